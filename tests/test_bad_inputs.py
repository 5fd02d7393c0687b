"""Bad inputs, one row each: a clear error naming the argument, column, key or file, or the exact result.

The table ``CASES`` is built by section (API of the engine here; config, files and downloads are
appended by their sections). A row is a :class:`Case`:

* ``call(ctx)`` runs the bad input; ``ctx`` has ``tmp_path`` and ``monkeypatch`` (pytest's) and
  ``repo`` (the checkout), for rows that need files or environment variables;
* ``error`` is the exception type expected and ``match`` a regular expression searched in its
  message (it should name what is wrong and, where useful, what to do);
* or ``error=None`` and ``check(result)`` asserts the exact result for inputs that must *work*
  (e.g. magnitudes where naive arithmetic overflows).

To add a section: write ``MY_CASES = [Case(...), ...]`` below and ``CASES += MY_CASES``.
The README's bad-input section lists these rows (``python -m pytest tests/test_bad_inputs.py
--collect-only -q`` prints their ids).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import mapeval
from oracles import brute_force_ap


@dataclass(frozen=True)
class Case:
    """One bad input: ``call(ctx)`` must raise ``error`` matching ``match``, or pass ``check``."""

    id: str
    call: Callable[[SimpleNamespace], object]
    error: type[BaseException] | tuple[type[BaseException], ...] | None
    match: str | None = None
    check: Callable[[object], None] | None = None


# ----------------------------------------------------------------------------------------------
# API: the mAP engine (mapeval)
# ----------------------------------------------------------------------------------------------

#: replicates of a and b against the control wells (reference-index trick)
ARGS = (["pert", "ref"], [], [], ["pert", "ref"])
#: the same against the control wells of their plate
PLATE_ARGS = (["pert", "ref"], [], ["plate"], ["pert", "ref"])


def _meta() -> pd.DataFrame:
    meta = pd.DataFrame({"pert": ["a", "a", "b", "b", "ctrl", "ctrl", "ctrl"],
                         "plate": [1, 2, 1, 2, 1, 2, 1]})
    return mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")


def _feats() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(7, 3))


def _frame() -> pd.DataFrame:
    return pd.DataFrame(_feats(), columns=["f1", "f2", "f3"])


def _ap(meta: pd.DataFrame | None = None) -> pd.DataFrame:
    return mapeval.average_precision(_meta() if meta is None else meta, _feats(), *ARGS)


def _with(frame: pd.DataFrame, **columns) -> pd.DataFrame:
    out = frame.copy()
    for name, values in columns.items():
        out[name] = values
    return out


def _feats_where(row: int, col: int, value: float) -> np.ndarray:
    x = _feats()
    x[row, col] = value
    return x


def _scaled_rows(rows: list[int] | None, factor: float) -> np.ndarray:
    x = _feats()
    if rows is None:
        return x * factor
    x[rows] *= factor
    return x


def _same_as_unscaled(similarity: str = "cosine") -> Callable[[object], None]:
    """The AP equals the one of the unscaled features (cosine/correlation are scale-invariant)
    and the brute-force oracle's."""

    def check(result: object) -> None:
        ours = mapeval.average_precision(_meta(), _feats(), *ARGS, similarity=similarity)
        oracle = brute_force_ap(_meta(), _feats(), *ARGS, kind=similarity)
        got = result["average_precision"].to_numpy()
        np.testing.assert_array_equal(got, ours["average_precision"].to_numpy())
        has = oracle["n_pos_pairs"] > 0
        np.testing.assert_allclose(got[has], oracle.loc[has, "average_precision"], atol=1e-12, rtol=0)

    return check


def _subnormal_rows() -> np.ndarray:
    # small integers times the smallest subnormal: exact, and their cosines are those of the integers
    x = np.round(_feats() * 4)
    x[x == 0] = 1
    return x * 5e-324


def _subnormal_check(result: object) -> None:
    x = np.round(_feats() * 4)
    x[x == 0] = 1
    want = mapeval.average_precision(_meta(), x, *ARGS)
    np.testing.assert_array_equal(result["average_precision"], want["average_precision"])


def _identical_profiles(ctx: SimpleNamespace) -> pd.DataFrame:
    feats = np.ones((7, 3))
    with pytest.warns(mapeval.TiedRanksWarning, match=r"^4 of 4 queries are decided by ties.*raises these APs by up to 0.75 "):
        return mapeval.average_precision(_meta(), feats, *ARGS)


def _all_ap_one(result: object) -> None:
    scored = result["n_pos_pairs"] > 0
    assert (result.loc[scored, "average_precision"] == 1.0).all()  # copairs' semantics, kept


def _no_tie_warning(ctx: SimpleNamespace) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", mapeval.TiedRanksWarning)
        return mapeval.average_precision(_meta(), _feats(), *ARGS)


def _env_threads(ctx: SimpleNamespace) -> object:
    ctx.monkeypatch.setenv("MAPEVAL_NUM_THREADS", "abc")
    return mapeval.average_precision(_meta(), _feats(), *ARGS)


def _env_null_cache(ctx: SimpleNamespace) -> object:
    ctx.monkeypatch.setenv("MAPEVAL_NULL_CACHE_MB", "lots")
    return mapeval.mean_average_precision(_ap(), "pert", 10, seed=12345)


def _dose_map() -> pd.DataFrame:
    ap = _ap()
    ap["dose"] = 1
    return ap


def _ml_meta(labels) -> pd.DataFrame:
    return pd.DataFrame({"cmpd": ["c1", "c2", "c3", "c4"], "target": labels})


ML = (["target"], ["cmpd"], [], ["target", "cmpd"])
ML_FEATS = np.random.default_rng(1).normal(size=(4, 3))


def _ap_where(index=None, dtypes=None, **cells) -> pd.DataFrame:
    """_ap() with cells changed: column=(row, value) or column=[(row, value), ...]; ``index``
    relabels the rows, ``dtypes`` casts columns first."""
    ap = _ap()
    for col, dtype in (dtypes or {}).items():
        ap[col] = ap[col].astype(dtype)
    for col, changes in cells.items():
        for row, value in changes if isinstance(changes, list) else [changes]:
            ap.loc[row, col] = value
    if index is not None:
        ap.index = index
    return ap


def _same_map_as_ints(result: object) -> None:
    want = mapeval.mean_average_precision(_ap(), "pert", 10, seed=3)
    pd.testing.assert_frame_equal(result, want)


def _long_draw_logs(ctx: SimpleNamespace) -> list[str]:
    """A null draw expected to be long (threshold set to 0 s) logs through logger 'mapeval'."""
    import logging

    from mapeval import nulls

    ctx.monkeypatch.setattr(nulls, "LONG_DRAW_SECONDS", 0.0)
    nulls._NULL_CACHE.clear()
    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: lines.append(f"{record.levelname}:{record.getMessage()}")
    logger = logging.getLogger("mapeval")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        mapeval.mean_average_precision(_ap(), "pert", 5000, seed=12)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    return lines


def _long_draw_check(lines: object) -> None:
    assert lines[0].startswith("INFO:mapeval null (fast sampler): 1 configuration(s) x 5,000 samples: "
                               "expected to take about"), lines
    assert lines[-1].startswith("INFO:mapeval null (fast sampler)") and "done in" in lines[-1]

API_CASES: list[Case] = [
    # --- features ---------------------------------------------------------------------------
    Case("api-meta-not-a-dataframe", lambda c: mapeval.average_precision(_meta().to_numpy(), _feats(), *ARGS),
         TypeError, r"meta must be a pandas DataFrame"),
    Case("api-feature-nan", lambda c: mapeval.average_precision(_meta(), _feats_where(3, 1, np.nan), *ARGS),
         ValueError, r"finite.*row 3"),
    Case("api-feature-inf-names-column",
         lambda c: mapeval.average_precision(_meta(), _with(_frame(), f3=[0, 0, np.inf, 0, 0, 0, 0]), *ARGS),
         ValueError, r"finite.*'f3'"),
    Case("api-feature-non-numeric", lambda c: mapeval.average_precision(_meta(), _with(_frame(), f2=list("abcdefg")), *ARGS),
         ValueError, r"non-numeric feature column.*'f2'"),
    Case("api-feature-duplicate-names",
         lambda c: mapeval.average_precision(_meta(), _frame().set_axis(["f1", "f1", "f3"], axis=1), *ARGS),
         ValueError, r"duplicate feature column name.*'f1'.*rename"),
    Case("api-feature-complex", lambda c: mapeval.average_precision(_meta(), _feats() * 1j, *ARGS),
         ValueError, r"real numbers"),
    Case("api-feature-1d", lambda c: mapeval.average_precision(_meta(), _feats()[:, 0], *ARGS),
         ValueError, r"2-D"),
    Case("api-feature-row-count", lambda c: mapeval.average_precision(_meta(), _feats()[:6], *ARGS),
         ValueError, r"6 rows but metadata has 7"),
    Case("api-feature-no-columns", lambda c: mapeval.average_precision(_meta(), _feats()[:, :0], *ARGS),
         ValueError, r"empty selection"),
    Case("api-feature-index-differs",
         lambda c: mapeval.average_precision(_meta(), _frame().iloc[::-1], *ARGS),
         ValueError, r"different indexes.*feats\.loc\[meta\.index\]"),
    Case("api-feature-zero-profile-cosine", lambda c: mapeval.average_precision(_meta(), _scaled_rows([4], 0.0), *ARGS),
         ValueError, r"all-zero profiles: row\(s\) \[4\]"),
    Case("api-feature-constant-profile-correlation",
         lambda c: mapeval.average_precision(_meta(), np.vstack([_feats()[:6], [[2.0, 2.0, 2.0]]]), *ARGS,
                                             similarity="correlation"),
         ValueError, r"constant profile.*\[6\]"),
    Case("api-feature-huge-euclidean",
         lambda c: mapeval.average_precision(_meta(), _scaled_rows(None, 1e200), *ARGS, similarity="euclidean"),
         ValueError, r"euclidean.*norm above.*cosine/correlation"),
    # exact results where naive arithmetic under- or overflows
    Case("api-feature-huge-1e200-cosine-exact",
         lambda c: mapeval.average_precision(_meta(), _scaled_rows(None, 1e200), *ARGS),
         None, check=_same_as_unscaled()),
    Case("api-feature-one-row-1e300-cosine-exact",
         lambda c: mapeval.average_precision(_meta(), _scaled_rows([2], 1e300), *ARGS),
         None, check=_same_as_unscaled()),
    Case("api-feature-huge-1e160-correlation-exact",
         lambda c: mapeval.average_precision(_meta(), _scaled_rows(None, 1e160), *ARGS, similarity="correlation"),
         None, check=_same_as_unscaled("correlation")),
    Case("api-feature-tiny-1e-200-cosine-exact",
         lambda c: mapeval.average_precision(_meta(), _scaled_rows(None, 1e-200), *ARGS),
         None, check=_same_as_unscaled()),
    Case("api-feature-tiny-1e-200-abs-cosine-exact",
         lambda c: mapeval.average_precision(_meta(), _scaled_rows([0, 5], 1e-200), *ARGS, similarity="abs_cosine"),
         None, check=_same_as_unscaled("abs_cosine")),
    Case("api-feature-subnormal-cosine-exact", lambda c: mapeval.average_precision(_meta(), _subnormal_rows(), *ARGS),
         None, check=_subnormal_check),
    Case("api-feature-all-identical-warns-ties", _identical_profiles, None, check=_all_ap_one),
    Case("api-feature-no-ties-no-warning", _no_tie_warning, None,
         check=lambda r: np.testing.assert_array_equal(r["n_pos_pairs"], [1, 1, 1, 1, 0, 0, 0])),
    # --- metadata and pairing columns ----------------------------------------------------------
    Case("api-meta-missing-column",
         lambda c: mapeval.average_precision(_meta(), _feats(), ["pert", "ref"], [], ["Metadata_Plate"], ["pert"]),
         ValueError, r"neg_sameby: metadata column 'Metadata_Plate' not found"),
    Case("api-meta-duplicate-pairing-column",
         lambda c: mapeval.average_precision(pd.concat([_meta(), _meta()[["pert"]]], axis=1), _feats(), *ARGS),
         ValueError, r"'pert' appears 2 times.*rename the duplicates"),
    Case("api-meta-list-values",
         lambda c: mapeval.average_precision(_with(_meta(), pert=[["a"], ["a"], ["b"], ["b"], ["c"], ["c"], ["c"]]),
                                             _feats(), *ARGS),
         ValueError, r"'pert' holds lists.*row 0.*multilabel_col='pert'"),
    Case("api-meta-missing-values",
         lambda c: mapeval.average_precision(_with(_meta(), pert=["a", "a", None, "b", "c", "c", "c"]), _feats(), *ARGS),
         ValueError, r"'pert' has missing values at row\(s\) \[2\]"),
    Case("api-meta-column-named-index",
         lambda c: mapeval.average_precision(_meta().rename(columns={"pert": "index"}), _feats(),
                                             ["index", "ref"], [], [], ["index", "ref"]),
         ValueError, r"'index' cannot be used for pairing"),
    Case("api-meta-column-with-space",
         lambda c: mapeval.average_precision(_meta().rename(columns={"pert": "my pert"}), _feats(),
                                             ["my pert", "ref"], [], [], ["my pert", "ref"]),
         ValueError, r"'my pert' cannot be used for pairing"),
    Case("api-sameby-not-names", lambda c: mapeval.average_precision(_meta(), _feats(), ["pert", 3], [], [], ["pert"]),
         TypeError, r"pos_sameby must hold column names"),
    Case("api-sameby-not-a-list", lambda c: mapeval.average_precision(_meta(), _feats(), 3, [], [], ["pert"]),
         TypeError, r"pos_sameby must be a column name or a list"),
    Case("api-sameby-diffby-overlap", lambda c: mapeval.average_precision(_meta(), _feats(), ["pert"], ["pert"], [], ["pert"]),
         ValueError, r"pos_sameby and pos_diffby must not share columns: \['pert'\]"),
    Case("api-no-positive-columns", lambda c: mapeval.average_precision(_meta(), _feats(), [], [], [], ["pert"]),
         ValueError, r"at least one column in pos_sameby or pos_diffby"),
    Case("api-no-negative-columns", lambda c: mapeval.average_precision(_meta(), _feats(), ["pert"], [], [], []),
         ValueError, r"at least one column in neg_sameby or neg_diffby"),
    Case("api-bad-query", lambda c: mapeval.average_precision(_meta(), _feats(), ["pert", "ref", "plate >> 1"], [], [], ["pert"]),
         ValueError, r"pos_sameby: cannot evaluate query 'plate >> 1'"),
    Case("api-query-selects-nothing",
         lambda c: mapeval.average_precision(_meta(), _feats(), ["pert", "ref", "plate > 5"], [], [], ["pert", "ref"]),
         ValueError, r"empty selection: no profile passes the query filters"),
    Case("api-no-positive-pairs", lambda c: mapeval.average_precision(_with(_meta(), pert=list("abcdefg")), _feats(), *ARGS),
         ValueError, r"no positive pairs"),
    Case("api-positives-without-negatives",
         lambda c: mapeval.average_precision(_with(_meta(), plate=[1, 1, 2, 2, 2, 2, 2]), _feats(),
                                             ["pert", "ref"], [], ["plate"], ["pert", "ref"]),
         ValueError, r"no negative pairs.*row 0.*neg_sameby/neg_diffby"),
    # --- other arguments of average_precision -------------------------------------------------
    Case("api-unknown-similarity", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, similarity="cosin"),
         ValueError, r"unknown similarity 'cosin'"),
    Case("api-similarity-positional-batch-size", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, 20000),
         TypeError, r"similarity must be one of.*batch_size=\.\.\. by keyword"),
    Case("api-similarity-and-distance", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, similarity="correlation",
                                                                            distance="euclidean"),
         ValueError, r"give the similarity once"),
    Case("api-similarity-callable-shape",
         lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, similarity=lambda x, y: np.zeros((len(x), 2))),
         ValueError, r"similarity callable returned shape"),
    Case("api-similarity-callable-nan",
         lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, similarity=lambda x, y: np.full(len(x), np.nan)),
         ValueError, r"similarity callable returned NaN"),
    Case("api-batch-size-zero", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, batch_size=0),
         ValueError, r"batch_size must be a positive integer \(>= 1\), got 0"),
    Case("api-batch-size-negative", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, batch_size=-1),
         ValueError, r"batch_size must be a positive integer \(>= 1\), got -1"),
    Case("api-batch-size-float", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, batch_size=2.5),
         TypeError, r"batch_size must be a positive integer, got 2.5"),
    Case("api-threads-zero", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, threads=0),
         ValueError, r"threads must be a positive integer or None, got 0"),
    Case("api-threads-env-not-integer", _env_threads, ValueError, r"MAPEVAL_NUM_THREADS='abc' is not an integer"),
    # --- mean_average_precision and p-values ---------------------------------------------------
    Case("api-null-size-float", lambda c: mapeval.mean_average_precision(_ap(), "pert", 2.5),
         TypeError, r"null_size must be a positive integer, got 2.5"),
    Case("api-null-size-bool", lambda c: mapeval.mean_average_precision(_ap(), "pert", True),
         TypeError, r"null_size must be a positive integer, got True"),
    Case("api-null-size-zero", lambda c: mapeval.mean_average_precision(_ap(), "pert", 0),
         ValueError, r"null_size must be a positive integer \(>= 1\), got 0"),
    Case("api-threshold-string", lambda c: mapeval.mean_average_precision(_ap(), "pert", 10, threshold="0.05"),
         TypeError, r"threshold must be a number in \(0, 1\), got '0.05' \(str\)"),
    Case("api-threshold-nan", lambda c: mapeval.mean_average_precision(_ap(), "pert", 10, threshold=float("nan")),
         ValueError, r"threshold must be in \(0, 1\), got nan"),
    Case("api-threshold-one", lambda c: mapeval.mean_average_precision(_ap(), "pert", 10, threshold=1.0),
         ValueError, r"threshold must be in \(0, 1\), got 1.0"),
    Case("api-seed-negative", lambda c: mapeval.mean_average_precision(_ap(), "pert", 10, seed=-1),
         ValueError, r"seed must be a non-negative integer, got -1"),
    Case("api-seed-float", lambda c: mapeval.mean_average_precision(_ap(), "pert", 10, seed=0.5),
         TypeError, r"seed must be a non-negative integer, got 0.5"),
    Case("api-null-sampler-unknown", lambda c: mapeval.mean_average_precision(_ap(), "pert", 10, null_sampler="exakt"),
         ValueError, r"null_sampler must be one of \('fast', 'copairs', 'exact'\), got 'exakt'"),
    Case("api-map-null-unknown", lambda c: mapeval.mean_average_precision(_ap(), "pert", 10, map_null="mixed"),
         ValueError, r"map_null must be one of \('shared', 'independent'\)"),
    Case("api-sameby-missing", lambda c: mapeval.mean_average_precision(_ap(), ["nope"], 10),
         ValueError, r"sameby column\(s\) \['nope'\] not in ap_scores"),
    Case("api-sameby-empty", lambda c: mapeval.mean_average_precision(_ap(), [], 10),
         ValueError, r"sameby must name at least one column"),
    Case("api-sameby-nan", lambda c: mapeval.mean_average_precision(_with(_ap(), pert=["a", np.nan, "b", "b", "c", "c", "c"]),
                                                                    "pert", 10),
         ValueError, r"sameby column 'pert' has missing values in 1 scored row.*fill them"),
    Case("api-sameby-nan-in-unscored-rows-is-fine",
         lambda c: mapeval.mean_average_precision(_with(_ap(), pert=["a", "a", "b", "b", None, None, None]), "pert", 10),
         None, check=lambda r: np.testing.assert_array_equal(r["pert"], ["a", "b"])),
    Case("api-sameby-list-values",
         lambda c: mapeval.mean_average_precision(_with(_ap(), pert=[["a"], ["a"], ["b"], ["b"], ["c"], ["c"], ["c"]]),
                                                  "pert", 10),
         ValueError, r"sameby column 'pert' holds unhashable values"),
    Case("api-ap-scores-missing-columns",
         lambda c: mapeval.mean_average_precision(_ap().drop(columns="n_total_pairs"), "pert", 10),
         ValueError, r"ap_scores lacks column\(s\) \['n_total_pairs'\]"),
    Case("api-ap-scores-not-a-dataframe", lambda c: mapeval.mean_average_precision(_ap().to_numpy(), "pert", 10),
         TypeError, r"ap_scores must be a DataFrame"),
    Case("api-ap-scores-without-ap",
         lambda c: mapeval.mean_average_precision(_with(_ap(), average_precision=np.nan), "pert", 10),
         ValueError, r"no profile has an average precision"),
    Case("api-null-cache-env-not-a-number", _env_null_cache, ValueError,
         r"MAPEVAL_NULL_CACHE_MB='lots' is not a number"),
    Case("api-ap-p-values-null-size", lambda c: mapeval.ap_p_values(_ap(), null_size=-5),
         ValueError, r"null_size must be a positive integer \(>= 1\), got -5"),
    Case("api-null-configuration-invalid", lambda c: mapeval.null_distributions(np.array([[5, 3]]), 10, 0),
         ValueError, r"invalid null configuration \(k, N\) = \(5, 3\)"),
    Case("api-hierarchical-not-subset",
         lambda c: mapeval.mean_average_precision_hierarchical(_dose_map(), ["pert", "dose"], 10, 0.05, 0, ["plate"]),
         ValueError, r"hierarchical_by columns \['plate'\] must be a subset of sameby"),
    Case("api-hierarchical-equal-to-sameby",
         lambda c: mapeval.mean_average_precision_hierarchical(_dose_map(), ["pert", "dose"], 10, 0.05, 0, ["dose", "pert"]),
         ValueError, r"must be a proper subset of sameby"),
    Case("api-fdr-without-p-value", lambda c: mapeval.apply_fdr_correction(pd.DataFrame({"p": [0.1]})),
         ValueError, r"no 'p_value' column"),
    Case("api-fdr-unknown-method", lambda c: mapeval.apply_fdr_correction(pd.DataFrame({"p_value": [0.1]}), method="bh"),
         ValueError, r"method must be one of .*'fdr_bh'"),
    Case("api-fdr-p-value-out-of-range", lambda c: mapeval.multipletests([0.1, 1.5]),
         ValueError, r"must lie in \[0, 1\]"),
    Case("api-bh-nan", lambda c: mapeval.benjamini_hochberg(np.array([0.1, np.nan])),
         ValueError, r"p_values contain NaN"),
    Case("api-bh-2d", lambda c: mapeval.benjamini_hochberg(np.ones((2, 2))),
         ValueError, r"p_values must be 1-D"),
    Case("api-percent-retrieved-empty", lambda c: mapeval.percent_retrieved([]),
         ValueError, r"percent_retrieved of an empty selection"),
    # --- impossible AP tables (issue 16): the row index, the column and the value are named -----
    Case("api-ap-scores-ap-above-one", lambda c: mapeval.mean_average_precision(_ap_where(average_precision=(0, 1.5)), "pert", 10),
         ValueError, r"'average_precision' must lie in \[0, 1\]: 1 row\(s\) do not \(index 0: 1.5\)"),
    Case("api-ap-scores-ap-negative-index-labels",
         lambda c: mapeval.get_map_pvalue(_ap_where(list("abcdefg"), average_precision=(2, -0.1)), "pert", 10),
         ValueError, r"get_map_pvalue: .*'average_precision' must lie in \[0, 1\].*\(index 'c': -0.1\)"),
    Case("api-ap-scores-ap-infinite", lambda c: mapeval.mean_average_precision(_ap_where(average_precision=(3, np.inf)), "pert", 10),
         ValueError, r"'average_precision' must lie in \[0, 1\].*index 3: inf"),
    Case("api-ap-scores-ap-one-and-tiny-are-fine",
         lambda c: mapeval.mean_average_precision(_ap_where(average_precision=[(2, 1.0), (3, 1e-9)]), "pert", 10),
         None, check=lambda r: np.testing.assert_allclose(r["mean_average_precision"], [1.0, 0.5 + 0.5e-9])),
    Case("api-ap-scores-more-positives-than-pairs",
         lambda c: mapeval.mean_average_precision(_ap_where(n_pos_pairs=(0, 50)), "pert", 10),
         ValueError, r"'n_pos_pairs' must not exceed n_total_pairs.*1 row\(s\) do not \(index 0: 50 vs n_total_pairs 4\)"),
    Case("api-ap-scores-more-positives-than-pairs-ap-p-values",
         lambda c: mapeval.ap_p_values(_ap_where(n_pos_pairs=(1, 5)), 10),
         ValueError, r"ap_p_values: ap_scores column 'n_pos_pairs' must not exceed n_total_pairs.*index 1: 5"),
    # every pair positive (copairs' rows for queries without negatives): AP 1, the null is all 1s
    # and no null value exceeds the mAP (copairs' rule), so p = 1 / (1 + null_size)
    Case("api-ap-scores-positives-equal-pairs-is-accepted",
         lambda c: mapeval.mean_average_precision(
             _ap_where(n_pos_pairs=[(0, 4), (1, 4)], average_precision=[(0, 1.0), (1, 1.0)]), "pert", 10),
         None, check=lambda r: np.testing.assert_array_equal(
             [r["mean_average_precision"][0], r["p_value"][0]], [1.0, 1 / 11])),
    Case("api-ap-scores-negative-count",
         lambda c: mapeval.mean_average_precision(_ap_where(n_total_pairs=(5, -2)), "pert", 10),
         ValueError, r"'n_total_pairs' must hold non-negative integers.*\(index 5: -2\)"),
    Case("api-ap-scores-fractional-count",
         lambda c: mapeval.mean_average_precision(_ap_where(dtypes={"n_total_pairs": float}, n_total_pairs=(2, 4.5)),
                                                  "pert", 10),
         ValueError, r"'n_total_pairs' must hold non-negative integers.*\(index 2: 4.5\)"),
    Case("api-ap-scores-float-counts-are-fine",
         lambda c: mapeval.mean_average_precision(_ap_where(dtypes={"n_pos_pairs": float, "n_total_pairs": float}),
                                                  "pert", 10, seed=3),
         None, check=_same_map_as_ints),
    Case("api-ap-scores-ap-without-positives",
         lambda c: mapeval.mean_average_precision(_ap_where(n_pos_pairs=(3, 0)), "pert", 10),
         ValueError, r"'n_pos_pairs' must be at least 1 on rows with an average_precision.*\(index 3: 0\)"),
    Case("api-ap-scores-count-missing-on-scored-row",
         lambda c: mapeval.mean_average_precision(_ap_where(dtypes={"n_total_pairs": float}, n_total_pairs=(1, np.nan)),
                                                  "pert", 10),
         ValueError, r"'n_total_pairs' must be given on every row with an average_precision.*index 1: nan"),
    Case("api-ap-scores-unscored-rows-are-ignored",  # controls: no AP, counts missing
         lambda c: mapeval.mean_average_precision(
             _ap_where(dtypes={"n_pos_pairs": float}, n_pos_pairs=[(4, np.nan), (5, np.nan), (6, np.nan)]),
             "pert", 10, seed=3),
         None, check=_same_map_as_ints),
    Case("api-ap-scores-ap-strings",
         lambda c: mapeval.mean_average_precision(_ap_where(dtypes={"average_precision": str}), "pert", 10),
         ValueError, r"'average_precision' must be numeric, got dtype"),
    Case("api-ap-scores-counts-boolean",
         lambda c: mapeval.ap_p_values(_ap_where(dtypes={"n_pos_pairs": bool}), 10),
         ValueError, r"'n_pos_pairs' must be numeric, got dtype bool"),
    Case("api-ap-scores-duplicate-ap-column",
         lambda c: mapeval.mean_average_precision(pd.concat([_ap(), _ap()[["average_precision"]]], axis=1), "pert", 10),
         ValueError, r"ap_scores has column\(s\) \['average_precision'\] more than once"),
    Case("api-ap-scores-many-bad-rows-first-five",
         lambda c: mapeval.mean_average_precision(pd.concat([_ap()] * 3, ignore_index=True).assign(average_precision=2.0),
                                                  "pert", 10),
         ValueError, r"21 row\(s\) do not \(index 0: 2.0, index 1: 2.0, index 2: 2.0, index 3: 2.0, index 4: 2.0 "
                     r"and 16 more\)"),
    # --- numpy integers are integers (threads, batch_size, null_size, seed); bool and floats not --
    Case("api-threads-numpy-int", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, threads=np.int64(2)),
         None, check=lambda r: pd.testing.assert_frame_equal(r, _ap())),
    Case("api-threads-numpy-zero", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, threads=np.int64(0)),
         ValueError, r"threads must be a positive integer or None, got np.int64\(0\)"),
    Case("api-threads-numpy-bool", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, threads=np.bool_(True)),
         ValueError, r"threads must be a positive integer or None, got np.True_"),
    Case("api-threads-bool", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, threads=True),
         ValueError, r"threads must be a positive integer or None, got True"),
    Case("api-threads-numpy-float", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, threads=np.float64(2.0)),
         ValueError, r"threads must be a positive integer or None, got np.float64\(2.0\)"),
    Case("api-threads-float", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, threads=2.0),
         ValueError, r"threads must be a positive integer or None, got 2.0"),
    Case("api-batch-size-numpy-int", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, batch_size=np.int32(2)),
         None, check=lambda r: pd.testing.assert_frame_equal(r, _ap())),
    Case("api-batch-size-numpy-bool", lambda c: mapeval.average_precision(_meta(), _feats(), *ARGS, batch_size=np.bool_(True)),
         TypeError, r"batch_size must be a positive integer, got np.True_"),
    Case("api-null-size-and-seed-numpy-int",
         lambda c: mapeval.mean_average_precision(_ap(), "pert", np.int64(10), seed=np.uint32(3)),
         None, check=_same_map_as_ints),
    Case("api-null-size-numpy-bool", lambda c: mapeval.mean_average_precision(_ap(), "pert", np.bool_(True)),
         TypeError, r"null_size must be a positive integer, got np.True_"),
    Case("api-null-size-numpy-float", lambda c: mapeval.ap_p_values(_ap(), np.float64(10.0)),
         TypeError, r"null_size must be a positive integer, got np.float64\(10.0\)"),
    Case("api-seed-numpy-negative", lambda c: mapeval.mean_average_precision(_ap(), "pert", 10, seed=np.int64(-1)),
         ValueError, r"seed must be a non-negative integer, got -1"),
    Case("api-seed-numpy-bool", lambda c: mapeval.ap_p_values(_ap(), 10, seed=np.bool_(False)),
         TypeError, r"seed must be a non-negative integer, got np.False_"),
    # --- long null draws say so (logger "mapeval", INFO; silent by default) --------------------
    Case("api-null-long-draw-logs-progress", _long_draw_logs, None, check=_long_draw_check),
    # --- assign_reference_index -----------------------------------------------------------------
    Case("api-reference-col-exists", lambda c: mapeval.assign_reference_index(_meta(), "pert == 'ctrl'", reference_col="pert"),
         ValueError, r"reference_col 'pert' is already a column.*never overwrites"),
    Case("api-reference-condition-invalid", lambda c: mapeval.assign_reference_index(_meta(), "pert === 'ctrl'", "r2"),
         ValueError, r"cannot evaluate reference condition"),
    Case("api-reference-condition-not-boolean", lambda c: mapeval.assign_reference_index(_meta(), "pert", "r2"),
         ValueError, r"must be a comparison that is True for control rows"),
    Case("api-reference-mask-length", lambda c: mapeval.assign_reference_index(_meta(), np.ones(3, bool), "r2"),
         ValueError, r"boolean mask of length 7, got shape \(3,\)"),
    Case("api-reference-no-controls", lambda c: mapeval.assign_reference_index(_meta(), "pert == 'DMSO'", "r2"),
         ValueError, r"selects no rows: there are no controls"),
    # --- multilabel -------------------------------------------------------------------------------
    Case("api-multilabel-not-lists",
         lambda c: mapeval.multilabel.average_precision(_ml_meta(["t1", "t1", "t2", "t2"]), ML_FEATS, *ML, "target"),
         ValueError, r"multilabel column 'target' must hold a list of labels per row; row 0 has 't1'"),
    Case("api-multilabel-missing-label",
         lambda c: mapeval.multilabel.average_precision(_ml_meta([["t1"], ["t1", None], ["t2"], ["t2"]]), ML_FEATS, *ML,
                                                        "target"),
         ValueError, r"multilabel column 'target' has a missing label at row 1"),
    Case("api-multilabel-column-missing",
         lambda c: mapeval.multilabel.average_precision(_ml_meta([["t1"]] * 4), ML_FEATS, *ML, "targets"),
         ValueError, r"multilabel column 'targets' not in metadata"),
    Case("api-multilabel-not-in-pos-sameby",
         lambda c: mapeval.multilabel.average_precision(_ml_meta([["t1"]] * 4), ML_FEATS, ["cmpd"], [], [], ["target"],
                                                        "target"),
         ValueError, r"multilabel column 'target' must be in pos_sameby"),
    Case("api-multilabel-in-neg-sameby",
         lambda c: mapeval.multilabel.average_precision(_ml_meta([["t1"]] * 4), ML_FEATS, ["target"], ["cmpd"],
                                                        ["target"], ["cmpd"], "target"),
         ValueError, r"multilabel column 'target' in neg_sameby is not supported"),
    Case("api-multilabel-tie-order-unknown", lambda c: mapeval.multilabel.average_precision(
        _ml_meta([["t1"], ["t1"], ["t2"], ["t2"]]), ML_FEATS, *ML, "target", tie_order="stable"),
         ValueError, r"tie_order must be one of \['positives_first', 'copairs_880f22a'\]"),
    Case("api-multilabel-tie-order-needs-ignore-labels", lambda c: mapeval.multilabel.average_precision(
        _ml_meta([["t1"], ["t1"], ["t2"], ["t2"]]), ML_FEATS, *ML, "target", tie_order="copairs_880f22a"),
         ValueError, r"needs negative_rule='ignore_labels'"),
    Case("api-multilabel-batch-size", lambda c: mapeval.multilabel.average_precision(
        _ml_meta([["t1"], ["t1"], ["t2"], ["t2"]]), ML_FEATS, *ML, "target", batch_size=0),
        ValueError, r"batch_size must be a positive integer"),
    Case("api-multilabel-negative-rule-unknown", lambda c: mapeval.multilabel.average_precision(
        _ml_meta([["t1"], ["t1"], ["t2"], ["t2"]]), ML_FEATS, *ML, "target", negative_rule="exploded"),
        ValueError, r"negative_rule must be one of \['share_none', 'ignore_labels'\], got 'exploded'"),
    Case("api-multilabel-negative-rule-not-str", lambda c: mapeval.multilabel.average_precision(
        _ml_meta([["t1"], ["t1"], ["t2"], ["t2"]]), ML_FEATS, *ML, "target", negative_rule=None),
        ValueError, r"negative_rule must be one of \['share_none', 'ignore_labels'\], got None"),
    # --- exact null and label-permutation tests ---------------------------------------------------
    Case("api-exact-limit-zero",
         lambda c: mapeval.mean_average_precision(_ap(), "pert", 10, null_sampler="exact", exact_limit=0),
         ValueError, r"exact_limit must be a positive integer \(>= 1\), got 0"),
    Case("api-exact-limit-float", lambda c: mapeval.ap_p_values(_ap(), 10, null_sampler="exact", exact_limit=1e6),
         TypeError, r"exact_limit must be a positive integer, got 1000000.0"),
    Case("api-null-distributions-exact", lambda c: mapeval.null_distributions(np.array([[2, 5]]), 10, 0, "exact"),
         ValueError, r"null_sampler='exact' .*draws no null rows.*ap_null_distribution"),
    Case("api-exact-null-configuration-invalid", lambda c: mapeval.ap_null_distribution(4, 3),
         ValueError, r"invalid null configuration \(k, N\) = \(4, 3\)"),
    Case("api-permutation-n-permutations-zero",
         lambda c: mapeval.permutation_map(_meta(), _feats(), *ARGS, "pert", n_permutations=0),
         ValueError, r"n_permutations must be a positive integer \(>= 1\), got 0"),
    Case("api-permutation-n-permutations-float",
         lambda c: mapeval.permutation_map(_meta(), _feats(), *ARGS, "pert", n_permutations=100.0),
         TypeError, r"n_permutations must be a positive integer, got 100.0"),
    Case("api-permutation-threshold", lambda c: mapeval.permutation_map(_meta(), _feats(), *ARGS, "pert", 10, 1.5),
         ValueError, r"threshold must be in \(0, 1\), got 1.5"),
    Case("api-permutation-seed-negative", lambda c: mapeval.permutation_map(_meta(), _feats(), *ARGS, "pert", seed=-3),
         ValueError, r"seed must be a non-negative integer, got -3"),
    Case("api-permutation-sameby-missing", lambda c: mapeval.permutation_map(_meta(), _feats(), *ARGS, "Metadata_pert"),
         ValueError, r"sameby column\(s\) \['Metadata_pert'\] not in metadata"),
    Case("api-permutation-strata-missing",
         lambda c: mapeval.permutation_map(_meta(), _feats(), *ARGS, "pert", strata="Metadata_Plate"),
         ValueError, r"strata column 'Metadata_Plate' not in metadata.*strata='Metadata_Plate'"),
    Case("api-permutation-strata-not-a-name",
         lambda c: mapeval.permutation_map(_meta(), _feats(), *ARGS, "pert", strata=["plate"]),
         TypeError, r"strata must be a column name \(str\) or None, got \['plate'\]"),
    Case("api-permutation-strata-missing-values",
         lambda c: mapeval.permutation_map(_with(_meta(), plate=[1, 2, 1, 2, None, 2, 1]), _feats(), *ARGS, "pert",
                                           strata="plate"),
         ValueError, r"strata column 'plate' has missing values at pooled row\(s\) \[4\]"),
    Case("api-permutation-strata-span-neg-groups",
         lambda c: mapeval.permutation_map(_with(_meta(), batch=1), _feats(), *PLATE_ARGS, "pert", strata="batch"),
         ValueError, r"strata column 'batch': stratum 1 spans several neg_sameby groups"),
    Case("api-permutation-no-controls-on-a-plate",
         lambda c: mapeval.permutation_map(_with(_meta(), plate=[1, 2, 1, 2, 1, 1, 1]), _feats(), *PLATE_ARGS, "pert"),
         ValueError, r"no negative pairs.*row 1.*no controls in its neg_sameby group"),
    Case("api-permutation-sameby-coarser-than-positives",
         lambda c: mapeval.permutation_map(_with(_meta(), kind="x"), _feats(), *ARGS, "kind"),
         ValueError, r"1 other scored profile\(s\)|every profile of a group to be a positive"),
    Case("api-permutation-negatives-differ-per-query",
         lambda c: mapeval.permutation_map(_meta(), _feats(), ["pert", "ref"], [], [], ["pert", "ref", "plate"], "pert"),
         ValueError, r"ranked against the same profiles.*neg_sameby=\[plate\]"),
    Case("api-permutation-pos-diffby-not-relabelable",
         lambda c: mapeval.permutation_map(_meta(), _feats(), ["pert", "ref"], ["plate"], [], ["pert", "ref"], "pert"),
         ValueError, r"pos_diffby column 'plate': relabelled profiles could share a value.*strata='plate'"),
    Case("api-permutation-pos-diffby-with-plate-strata-works",
         lambda c: mapeval.permutation_map(_meta(), _feats(), ["pert", "ref"], ["plate"], [], ["pert", "ref"], "pert",
                                           strata="plate"),
         None, check=lambda r: np.testing.assert_array_equal(r["n_relabelings"], [6.0, 6.0])),
    Case("api-permutation-max-memory-zero",
         lambda c: mapeval.permutation_map(_meta(), _feats(), *ARGS, "pert", max_memory_mb=0),
         ValueError, r"max_memory_mb must be a positive number, got 0"),
    Case("api-permutation-max-memory-too-small",
         lambda c: mapeval.permutation_map(_meta(), _feats(), *ARGS, "pert", max_memory_mb=1e-9),
         ValueError, r"needs 0.0 MB .*largest neg_sameby group \(3 profiles.*raise max_memory_mb"),
    Case("api-energy-test-n-permutations-zero",
         lambda c: mapeval.energy_distance_test(_meta(), _feats(), *ARGS, "pert", n_permutations=0),
         ValueError, r"n_permutations must be a positive integer \(>= 1\), got 0"),
    Case("api-energy-test-strata-missing",
         lambda c: mapeval.energy_distance_test(_meta(), _feats(), *ARGS, "pert", strata="well"),
         ValueError, r"strata column 'well' not in metadata"),
    Case("api-energy-test-feature-nan",
         lambda c: mapeval.energy_distance_test(_meta(), _feats_where(2, 0, np.nan), *ARGS, "pert"),
         ValueError, r"finite.*row 2"),
]



# =============================================================================================
# Config, files and downloads (the workflow's side). These rows need the paper's package
# (mapreprod); the engine's own environment skips them.
# =============================================================================================

import re as _re  # noqa: E402
import sys as _sys  # noqa: E402

try:
    import mapreprod  # noqa: F401
except ImportError:  # the engine alone (tests/workflow/test_engine_alone.py)
    _WORKFLOW = False
else:
    _WORKFLOW = True

if _WORKFLOW:
    # --- config (mapreprod.config): every bad key is named, with its dotted path ---------------------

    import copy as _copy
    from pathlib import Path as _Path

    import yaml as _yaml

    from mapreprod.config import check_config_files as _check_files
    from mapreprod.config import validate_config as _validate
    from mapreprod.settings import MapSettings as _MapSettings

    _REPO = _Path(__file__).resolve().parents[1]
    _SCHEMA = _REPO / "workflow/schemas/config.schema.yaml"
    _DEFAULT = _yaml.safe_load((_REPO / "config/config.yaml").read_text())


    def _config_with(path: str, value):
        def run(ctx):
            config = _copy.deepcopy(_DEFAULT)
            *parents, last = path.split(".")
            node = config
            for key in parents:
                node = node.setdefault(key, {})
            node[last] = value
            return _validate(config, _SCHEMA)

        return run


    def _config_file(text: str):
        def run(ctx):
            path = ctx.tmp_path / "my.yaml"
            path.write_text(text)
            return _check_files([path], _REPO / "config/config.yaml", _SCHEMA)

        return run


    _CONFIG_ROWS = [
        ("config-unknown-top-key", _config_with("datasetz", ["nelisa"]), ValueError, "unknown config key(s) ['datasetz']"),
        ("config-unknown-nested-key", _config_with("nelisa.nul_size", 5), ValueError, "['nul_size'] under 'nelisa'"),
        ("config-unknown-dataset", _config_with("datasets", ["nelisaa"]), ValueError, "config key 'datasets[0]'"),
        ("config-null-size-float", _config_with("nelisa.null_size", 2.5), ValueError, "config key 'nelisa.null_size'"),
        ("config-null-size-bool", _config_with("cpg0004.null_size", True), ValueError, "config key 'cpg0004.null_size'"),
        ("config-threshold-string", _config_with("cpg0004.threshold", "0.05x"), ValueError, "config key 'cpg0004.threshold'"),
        ("config-threshold-nan", _config_with("cpg0004.threshold", float("nan")), ValueError, "cpg0004.threshold"),
        ("config-batch-size-zero", _config_with("map.batch_size", 0), ValueError, "config key 'map.batch_size'"),
        ("config-sampler-enum", _config_with("map.null_sampler", "exact"), ValueError, "allowed: ['fast', 'copairs']"),
        ("config-feature-select-enum", _config_with("nelisa.cellpainting_feature_select", ["variance"]), ValueError, "nelisa.cellpainting_feature_select[0]"),
        ("config-threads-zero", _config_with("map.threads", 0), ValueError, "config key 'map.threads'"),
        ("config-cpjump1-multilabel-negatives", _config_with("cpjump1.multilabel_negatives", "exploded"), ValueError, "cpjump1.multilabel_negatives"),
        ("config-yaml-syntax", _config_file("datasets: [nelisa\nmap:\n  threads: 2\n"), ValueError, "my.yaml:2:4: YAML syntax error"),
        ("config-yaml-not-mapping", _config_file("- nelisa\n"), ValueError, "must map keys to values"),
        # the test of the mAP calls (map.test, issue 17): the old key names the new one
        ("config-map-null-renamed", _config_with("map.map_null", "independent"), ValueError,
         "config key 'map.map_null' was renamed: use map.test (shared | independent | exact | permutation)"),
        ("config-test-enum", _config_with("map.test", "copairs"), ValueError,
         "allowed: ['shared', 'independent', 'exact', 'permutation']"),
        ("config-n-permutations-zero", _config_with("map.n_permutations", 0), ValueError,
         "config key 'map.n_permutations'"),
        ("config-permutation-tie-break-enum", _config_with("map.permutation_tie_break", "random"),
         ValueError, "allowed: ['similarity', 'none']"),
        ("config-permutation-tie-break-null", _config_with("map.permutation_tie_break", None),
         ValueError, "config key 'map.permutation_tie_break'"),
        # the simulations' own figures (figS_null, metrics_simulations: issues 17, 18)
        ("config-simulations-ours-n-perts-zero", _config_with("simulations.ours_n_perts", 0),
         ValueError, "config key 'simulations.ours_n_perts'"),
        ("settings-test-unknown", lambda c: _MapSettings(test="exactly"), ValueError,
         "MapSettings.test (config map.test) must be one of"),
        ("settings-tie-break-unknown", lambda c: _MapSettings(permutation_tie_break="random"), ValueError,
         "MapSettings.permutation_tie_break (config map.permutation_tie_break) must be one of"),
        ("settings-map-null-renamed", lambda c: _MapSettings().replace(map_null="independent"), TypeError,
         "MapSettings.map_null was renamed: use replace(test="),
        ("settings-permutation-needs-profiles",
         lambda c: _MapSettings(null_size=10, test="permutation").mean_average_precision(_ap(), "pert"),
         ValueError, "map.test is 'permutation', which relabels profiles and needs them, not an AP table"),
        ("settings-permutation-design-refused",
         lambda c: _MapSettings(null_size=10, test="permutation").group_map(
             _meta(), _feats(), ["pert", "ref"], ["plate"], [], ["pert", "ref"], "pert", analysis="demo"),
         ValueError, "demo: map.test is 'permutation', but the label-permutation test does not apply"),
    ]

    CONFIG_CASES = [Case(i, call, err, _re.escape(msg)) for i, call, err, msg in _CONFIG_ROWS]

    # Downloads: manifest, mirrors, transfers, files placed by hand (tests/workflow/download_cases.py)
    _sys.path.insert(0, str(_Path(__file__).parent / "workflow"))
    _sys.path.insert(0, str(_Path(__file__).parent / "own_data"))
    from download_cases import DOWNLOAD_BAD_INPUTS  # noqa: E402

    DOWNLOAD_CASES = [
        Case(f"download-{b.id}", lambda c, b=b: b.call(c.tmp_path), b.error, _re.escape(b.message))
        for b in DOWNLOAD_BAD_INPUTS
    ]

    # Your own profiles: every mapping error names the key and the column
    # (tests/own_data/test_own_data_bad_inputs.py)
    import test_own_data_bad_inputs as _own  # noqa: E402

    OWN_DATA_CASES = [
        Case(
            f"own-data-{cid}",
            lambda c, call=call: call(),
            err,
            "".join(f"(?=[\\s\\S]*{_re.escape(f)})" for f in fragments),
        )
        for cid, call, err, fragments in _own.CASES
    ]
    # ... files (what a file really is, wells read twice, text cells, inf) and the inputs that
    # must give the right answer, each against an oracle (issue 16)
    OWN_DATA_CASES += [
        Case(
            f"own-data-{cid}",
            lambda c, call=call: call(c.tmp_path),
            err,
            "".join(f"(?=[\\s\\S]*{_re.escape(f)})" for f in fragments),
        )
        for cid, call, err, fragments in _own.FILE_CASES
    ]
    OWN_DATA_CASES += [
        Case(f"own-data-{cid}", lambda c, call=call: call(c.tmp_path), None, check=check)
        for cid, call, check in _own.ANSWERS
    ]

    # The paper pipelines keep the authors' arithmetic, but a normalized value beyond 1e6 (a
    # MAD of 0: (x - median) / (0 + 1e-18)) never passes silently (mapreprod.preprocess)
    from mapreprod import preprocess as _pp

    def _mad_zero_on_p1():
        """Feature a is 0 in 3 of the 4 wells of plate p1 (MAD 0 there), b varies."""
        df = pd.DataFrame({"Metadata_Plate": ["p1"] * 4 + ["p2"] * 4,
                           "a": [0.0, 0.0, 0.0, 5.0, 1.0, 2.0, 3.0, 4.0],
                           "b": [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 5.0]})
        normalized = _pp.normalize(df, ["a", "b"], "mad_robustize", by="Metadata_Plate")
        return _pp.values_beyond(normalized, ["a", "b"], by="Metadata_Plate")

    def _beyond_is(expected):
        def check(table):
            assert table[["plate", "feature", "n_values"]].values.tolist() == [[*r[:2], *r[3:]] for r in expected]
            assert table["max_abs"].tolist() == pytest.approx([r[2] for r in expected], rel=1e-12)
        return check

    PAPER_NORMALIZE_CASES = [
        Case("paper-normalize-mad-zero-values-beyond-1e6-reported", lambda c: _mad_zero_on_p1(), None,
             # (5 - median 0) / (1.4826 x MAD 0 + 1e-18) on plate p1, nothing on p2
             check=_beyond_is([("p1", "a", 5.0 / 1e-18, 1)])),
        Case("paper-normalize-within-bound-reports-none",
             lambda c: _pp.values_beyond(pd.DataFrame({"p": [1, 1], "a": [1e6, -1e6]}), ["a"], by="p"),
             None, check=lambda t: _beyond_is([])(t)),
        Case("paper-normalize-infinite-value-reported",
             lambda c: _pp.values_beyond(pd.DataFrame({"p": [1, 2], "a": [1.0, -np.inf]}), ["a"], by="p"),
             None, check=_beyond_is([("2", "a", np.inf, 1)])),
    ]
else:
    CONFIG_CASES, DOWNLOAD_CASES, OWN_DATA_CASES, PAPER_NORMALIZE_CASES = [], [], [], []


CASES: list[Case] = [*API_CASES, *CONFIG_CASES, *DOWNLOAD_CASES, *OWN_DATA_CASES, *PAPER_NORMALIZE_CASES]


def test_table_is_large_enough_and_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert len(CASES) >= 40
    for case in CASES:
        assert (case.error is None) == (case.check is not None), case.id
        assert case.error is None or case.match, case.id


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path, monkeypatch, repo_root):
    ctx = SimpleNamespace(tmp_path=tmp_path, monkeypatch=monkeypatch, repo=repo_root)
    if case.error is None:
        case.check(case.call(ctx))
    else:
        with pytest.raises(case.error, match=case.match):
            case.call(ctx)


# ----------------------------------------------------------------------------------------------
# API: the other metrics of the field (mapeval.metrics: energy distance, known-relationship
# recall, retrieval metrics, the cell-count baseline)
# ----------------------------------------------------------------------------------------------

_RNG = np.random.default_rng(18)
_X, _Y = _RNG.normal(size=(4, 3)), _RNG.normal(size=(6, 3))
_GENES = ["g1", "g2", "g3", "g4"]
_PAIRS = pd.DataFrame({"entity1": ["g1", "g2"], "entity2": ["g3", "g4"]})
_TREATS = _RNG.normal(size=(6, 3))
_MOA = ["A", "A", "B", "B", "C", None]


def _with_value(x: np.ndarray, row: int, col: int, value: float) -> np.ndarray:
    x = x.copy()
    x[row, col] = value
    return x


def _scaled_energy_is_exact(factor: float) -> Callable[[object], None]:
    def check(result: object) -> None:
        assert result == pytest.approx(factor * mapeval.energy_distance(_X, _Y), rel=1e-12)
    return check


def _cell_counts(values=(1, 2, 3, 5, 10, 14, 16), controls=None, plates=None):
    plates = plates or ["p1"] * 4 + ["p2"] * 3
    controls = controls if controls is not None else [True, True, True, False, True, True, False]
    return mapeval.cell_count_scores(list(values), ["c", "c", "c", "A", "c", "c", "A"], plates, controls)


METRICS_CASES: list[Case] = [
    # --- energy distance ---------------------------------------------------------------------
    Case("metrics-energy-x-1d", lambda c: mapeval.energy_distance(_X[:, 0], _Y),
         ValueError, r"x must be 2-D.*reshape\(-1, 1\)"),
    Case("metrics-energy-x-nan", lambda c: mapeval.energy_distance(_with_value(_X, 1, 2, np.nan), _Y),
         ValueError, r"x must be finite.*first: row 1, column 2"),
    Case("metrics-energy-y-empty", lambda c: mapeval.energy_distance(_X, _Y[:0]),
         ValueError, r"y has 0 profile\(s\); the metric needs at least 1"),
    Case("metrics-energy-y-strings", lambda c: mapeval.energy_distance(_X, _Y.astype(str)),
         ValueError, r"y must hold real numbers"),
    Case("metrics-energy-feature-mismatch", lambda c: mapeval.energy_distance(_X, _Y[:, :2]),
         ValueError, r"x and y must have the same features: x has 3 columns, y has 2"),
    Case("metrics-energy-huge-1e200-exact", lambda c: mapeval.energy_distance(_X * 1e200, _Y * 1e200),
         None, check=_scaled_energy_is_exact(1e200)),
    Case("metrics-energy-tiny-1e-200-exact", lambda c: mapeval.energy_distance(_X * 1e-200, _Y * 1e-200),
         None, check=_scaled_energy_is_exact(1e-200)),
    Case("metrics-energy-groups-length",
         lambda c: mapeval.energy_distance_per_group(_X, ["a", "a", "b"], _Y),
         ValueError, r"groups has 3 entries but there are 4 profiles"),
    Case("metrics-energy-groups-missing",
         lambda c: mapeval.energy_distance_per_group(_X, ["a", None, "b", "b"], _Y),
         ValueError, r"groups has missing values at row\(s\) \[1\]"),
    Case("metrics-energy-controls-features",
         lambda c: mapeval.energy_distance_per_group(_X, ["a"] * 4, _Y[:, :2]),
         ValueError, r"feats and controls must have the same features"),
    Case("metrics-energy-threads-zero",
         lambda c: mapeval.energy_distance_per_group(_X, ["a"] * 4, _Y, threads=0),
         ValueError, r"threads must be a positive integer"),
    # --- known-relationship recall -----------------------------------------------------------
    Case("metrics-recall-two-genes",
         lambda c: mapeval.known_relationship_recall(_X, ["g1", "g1", "g2", "g2"], _PAIRS),
         ValueError, r"genes: 2 distinct gene\(s\).*at least 3"),
    Case("metrics-recall-unknown-genes",
         lambda c: mapeval.known_relationship_recall(_X, ["ENSG1", "ENSG2", "ENSG3", "ENSG4"], _PAIRS),
         ValueError, r"relationships: no annotated pair has both genes among the profiled genes.*symbols vs Ensembl"),
    Case("metrics-recall-missing-gene-column",
         lambda c: mapeval.known_relationship_recall(_X, _GENES, _PAIRS.rename(columns={"entity2": "gene_b"})),
         ValueError, r"gene column\(s\) \['entity2'\] not found.*gene_columns="),
    Case("metrics-recall-not-a-dataframe",
         lambda c: mapeval.known_relationship_recall(_X, _GENES, [("g1", "g3")]),
         TypeError, r"relationships must be a pandas DataFrame"),
    Case("metrics-recall-genes-missing",
         lambda c: mapeval.known_relationship_recall(_X, ["g1", np.nan, "g3", "g4"], _PAIRS),
         ValueError, r"genes has missing values at row\(s\) \[1\]"),
    Case("metrics-recall-lower-above-upper",
         lambda c: mapeval.known_relationship_recall(_X, _GENES, _PAIRS, lower=60, upper=40),
         ValueError, r"lower must be below upper"),
    Case("metrics-recall-upper-100",
         lambda c: mapeval.known_relationship_recall(_X, _GENES, _PAIRS, upper=100),
         ValueError, r"upper must be a percentage in \(0, 100\)"),
    Case("metrics-recall-aggregate-unknown",
         lambda c: mapeval.known_relationship_recall(_X, _GENES, _PAIRS, aggregate="max"),
         ValueError, r"aggregate must be one of \['mean', 'median'\]"),
    Case("metrics-recall-confidence-95",
         lambda c: mapeval.known_relationship_recall(_X, _GENES, _PAIRS, confidence=95),
         ValueError, r"confidence must be in \(0, 1\)"),
    Case("metrics-recall-zero-gene-profile",
         lambda c: mapeval.known_relationship_recall(_with_value(_with_value(_with_value(_X, 1, 0, 0), 1, 1, 0), 1, 2, 0),
                                                     _GENES, _PAIRS),
         ValueError, r"all-zero profiles: gene\(s\) \['g2'\]"),
    # --- retrieval metrics -------------------------------------------------------------------
    Case("metrics-retrieval-labels-length", lambda c: mapeval.retrieval_metrics(_TREATS, _MOA[:5]),
         ValueError, r"labels has 5 entries but there are 6 profiles"),
    Case("metrics-retrieval-one-treatment", lambda c: mapeval.retrieval_metrics(_TREATS[:1], ["A"]),
         ValueError, r"feats has 1 profile\(s\); the metric needs at least 2"),
    Case("metrics-retrieval-nothing-shared", lambda c: mapeval.retrieval_metrics(_TREATS, list("ABCDEF")),
         ValueError, r"no two treatments share an annotation.*split 'a\|b'"),
    Case("metrics-retrieval-nothing-annotated", lambda c: mapeval.retrieval_metrics(_TREATS, [None, "", [], np.nan, None, None]),
         ValueError, r"no treatment is annotated"),
    Case("metrics-retrieval-nested-label",
         lambda c: mapeval.retrieval_metrics(_TREATS, [["A", None], "A", "B", "B", "C", None]),
         ValueError, r"labels: row 0 holds a missing or nested label"),
    Case("metrics-retrieval-k-zero", lambda c: mapeval.retrieval_metrics(_TREATS, _MOA, ks=(0, 1)),
         ValueError, r"ks must be a positive integer"),
    Case("metrics-retrieval-recall-points-one", lambda c: mapeval.retrieval_metrics(_TREATS, _MOA, recall_points=1),
         ValueError, r'recall_points must be "relevant" or an integer >= 2'),
    Case("metrics-retrieval-recall-points-word", lambda c: mapeval.retrieval_metrics(_TREATS, _MOA, recall_points="all"),
         ValueError, r"recall_points must be one of \['relevant'\]"),
    Case("metrics-retrieval-ties-unknown", lambda c: mapeval.retrieval_metrics(_TREATS, _MOA, ties="first"),
         ValueError, r"ties must be one of \['relevant_last', 'relevant_first'\]"),
    Case("metrics-retrieval-unannotated-unknown", lambda c: mapeval.retrieval_metrics(_TREATS, _MOA, unannotated="keep"),
         ValueError, r"unannotated must be one of \['drop', 'candidates'\]"),
    Case("metrics-retrieval-top-percent-zero", lambda c: mapeval.retrieval_metrics(_TREATS, _MOA, top_percent=0),
         ValueError, r"top_percent must be a percentage in \(0, 100\)"),
    Case("metrics-retrieval-zero-profile",
         lambda c: mapeval.retrieval_metrics(np.vstack([_TREATS[:2], np.zeros((1, 3)), _TREATS[3:]]), _MOA),
         ValueError, r"all-zero profiles: row\(s\) \[2\]"),
    Case("metrics-retrieval-exclude-same-length",
         lambda c: mapeval.retrieval_metrics(_TREATS, _MOA, exclude_same=["x"] * 5),
         ValueError, r"exclude_same has 5 entries but there are 6 profiles"),
    Case("metrics-retrieval-summary-wrong-table", lambda c: mapeval.summarize_retrieval(pd.DataFrame({"a": [1]})),
         ValueError, r"per_query must be the table of retrieval_metrics"),
    # --- the cell-count baseline -------------------------------------------------------------
    Case("metrics-cellcount-plate-without-controls",
         lambda c: _cell_counts(controls=[True, True, True, False, False, False, False]),
         ValueError, r"plates \['p2'\] have fewer than 2 control well\(s\)"),
    Case("metrics-cellcount-constant-controls", lambda c: _cell_counts(values=(2, 2, 2, 5, 10, 14, 16)),
         ValueError, r"plates \['p1'\]: the control wells all have the same value \(SD 0\)"),
    Case("metrics-cellcount-controls-not-boolean", lambda c: _cell_counts(controls=[1, 1, 1, 0, 1, 1, 0]),
         ValueError, r"controls must be a boolean vector of 7 entries"),
    Case("metrics-cellcount-values-nan", lambda c: _cell_counts(values=(1, 2, 3, np.nan, 10, 14, 16)),
         ValueError, r"values must be finite: NaN or infinite at row\(s\) \[3\]"),
    Case("metrics-cellcount-all-controls", lambda c: _cell_counts(controls=[True] * 7),
         ValueError, r"every well is a control: no perturbation to score"),
]
CASES += METRICS_CASES


# ----------------------------------------------------------------------------------------------
# The other metrics in the workflow (mapreprod.metrics, mapreprod.annotations, own data's
# own_data.metrics keys): what cannot be computed is named, with the key or the file
# ----------------------------------------------------------------------------------------------

if _WORKFLOW:
    from mapreprod import annotations as _annotations
    from mapreprod import metrics as _wmetrics
    from mapreprod.datasets.own_data import metrics as _own_metrics

    def _agreement(map_keys, energy_keys):
        mp = pd.DataFrame({"k": map_keys, "mAP": 0.5, "map_p_value": 0.1, "map_corrected_p_value": 0.1,
                           "map_called": False})
        en = pd.DataFrame({"k": energy_keys, "energy_distance": 1.0, "energy_p_value": 0.1,
                           "energy_corrected_p_value": 0.1, "energy_permutations": 10, "energy_p_exact": True})
        return _wmetrics.agreement_table(mp, en, ["k"], 0.05)

    def _names_the_constant_plate(message):
        assert _re.search(r"same value in every control well of plate\(s\) \['p1'\]", message), message

    def _pair_file(ctx, text, name="pairs.txt"):
        path = ctx.tmp_path / name
        path.write_text(text)
        return path

    CASES += [
        Case("workflow-metrics-agreement-no-common-perturbation", lambda c: _agreement(["a"], ["b"]),
             ValueError, r"no perturbation is in both the mAP table \(1\) and the energy table \(1\)"),
        Case("workflow-metrics-agreement-perturbation-twice", lambda c: _agreement(["a", "a"], ["a"]),
             ValueError, r"map_calls lists a perturbation twice"),
        Case("workflow-metrics-cell-count-constant-controls",
             lambda c: _wmetrics.cell_count_problem([5.0, 5.0, 7.0], ["p1"] * 3, np.array([True, True, False]),
                                                    "Cells_Number_Object_Number"),
             None, check=_names_the_constant_plate),
        Case("workflow-metrics-pair-list-without-header",
             lambda c: _annotations.read_pair_list(_pair_file(c, "A,B\nC,D\n"), "hu.MAP"),
             ValueError, r"not a gene pair list \(EFAAR format, header 'entity1,entity2'\)"),
        Case("workflow-metrics-corum-table-wrong-columns",
             lambda c: _annotations.read_corum_complexes(_pair_file(c, "gene\tcomplex\nA\tK\n", "c.tsv")),
             ValueError, r"not Morphmap's CORUM table \(tab-separated, columns Symbol, ComplexName\)"),
        Case("workflow-metrics-unknown-relationship-source",
             lambda c: _annotations.read_relationships({"BioGRID": "x.txt"}),
             ValueError, r"unknown relationship source\(s\) \['BioGRID'\]"),
        Case("own-data-metrics-unknown-key",
             lambda c: _own_metrics.metrics_options("screen1", {"screen1": {"genes": "Metadata_Gene"}}),
             ValueError, r"own_data\.metrics\.screen1: unknown key\(s\) \['genes'\]"),
    ]
