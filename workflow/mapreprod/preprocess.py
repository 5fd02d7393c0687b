"""Profile preprocessing: thin, explicit wrappers around pycytominer 1.7.1.

pycytominer is imported lazily (it takes seconds and warns at import), so that the mAP engine
stays light. Features are always passed explicitly: ``features="infer"`` only recognises
CellProfiler names, and every dataset here names its features differently.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: pycytominer <= 1.6 called the frequency/uniqueness filter "variance_threshold"; 1.7 renamed it
#: "frequency_threshold" and gave the old name to a true variance filter. The authors ran 1.2.2.
AUTHORS_OPERATION_NAMES = {"variance_threshold": "frequency_threshold"}


def _pycytominer():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*copy_on_write.*")
        import pycytominer

    return pycytominer


def feature_columns(df: pd.DataFrame, prefix: str = "Metadata_") -> list[str]:
    """Every column not starting with ``prefix`` (the metadata convention, docs/methods.md §0)."""
    return [c for c in df.columns if not str(c).startswith(prefix)]


def _check_features(df: pd.DataFrame, features: Sequence[str], what: str) -> None:
    missing = [f for f in features if f not in df.columns]
    if missing:
        raise ValueError(f"{what}: feature column(s) not in the table: {missing[:5]}")
    if not features:
        raise ValueError(f"{what}: no feature columns given")


def normalize(
    df: pd.DataFrame,
    features: Sequence[str],
    method: str,
    samples: str = "all",
    by: str | None = None,
) -> pd.DataFrame:
    """Normalise features with pycytominer, optionally separately within each group of ``by``.

    Parameters
    ----------
    df : DataFrame
        Profiles (metadata + features).
    features : list of str
        Feature columns to transform; all other columns are kept unchanged.
    method : {"standardize", "robustize", "mad_robustize", "spherize"}
        pycytominer method. ``mad_robustize`` is (x - median) / (1.4826 MAD + 1e-18).
    samples : str
        "all" or a pandas query selecting the rows the scaler is fitted on.
    by : str, optional
        Column (e.g. plate) within whose groups the scaler is fitted and applied separately.

    Returns
    -------
    DataFrame
        Same rows (original order) and columns, features transformed.
    """
    _check_features(df, features, f"normalize({method})")
    if by is not None and by not in df.columns:
        raise ValueError(f"normalize: grouping column {by!r} not in the table")
    pcm = _pycytominer()
    meta = [c for c in df.columns if c not in set(features)]

    def run(part: pd.DataFrame) -> pd.DataFrame:
        if samples != "all" and len(part.query(samples)) == 0:
            raise ValueError(f"normalize: no rows match samples={samples!r}")
        out = pcm.normalize(
            part, features=list(features), meta_features=meta, samples=samples, method=method
        )[list(part.columns)]
        out.index = part.index
        return out

    df = df.reset_index(drop=True)
    if by is None:
        return run(df)
    parts = [run(part) for _, part in df.groupby(by, sort=False, observed=True, dropna=False)]
    return pd.concat(parts).sort_index()


#: A normalized value beyond this (in absolute value) is reported (docs/methods.md §13): robust
#: or standard z-scores of real features stay within a few hundred, while a scale of (almost)
#: zero, e.g. a MAD of 0 under ``mad_robustize`` ((x - median) / (0 + 1e-18)), gives 1e12-1e18.
VALUE_BOUND = 1e6
#: Columns of :func:`values_beyond`'s table.
BEYOND_COLUMNS = ["plate", "feature", "max_abs", "n_values"]
#: The quantity of the reproduction row that reports them (one row per dataset).
BEYOND_QUANTITY = "normalized values beyond 1e6"


def short_number(x: float) -> str:
    """A power of ten as people write it: 1e6, 1e-6 (not 1e+06)."""
    return f"{x:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")


def values_beyond(
    df: pd.DataFrame,
    features: Sequence[str],
    by: str | None = None,
    bound: float = VALUE_BOUND,
    what: str = "normalize",
) -> pd.DataFrame:
    """Features with a value beyond ``bound`` in absolute value, per group of ``by`` (a plate),
    with a ``logging`` warning naming them (nothing is changed: the paper's arithmetic is kept).

    Parameters
    ----------
    df : profiles after normalization (metadata + features).
    features : the feature columns to check (numeric; NaN ignored, +-inf counts as beyond).
    by : column whose groups are reported separately (e.g. the plate); None: one group "all".
    bound : the threshold on |x|.
    what : names the step in the warning (e.g. "cellhealth mad_robustize").

    Returns
    -------
    DataFrame
        Columns :data:`BEYOND_COLUMNS`: ``plate`` (the group of ``by``, as text), ``feature``,
        ``max_abs`` (the largest |x| of that feature in that group) and ``n_values`` (values
        beyond the bound); one row per (group, feature) with a value beyond, sorted by feature
        then group; empty when every value is within the bound.
    """
    _check_features(df, features, what)
    values = np.abs(df[list(features)].to_numpy(dtype=np.float64))
    with np.errstate(invalid="ignore"):
        beyond = values > bound
    groups = (df[by].astype(str).to_numpy() if by is not None else np.full(len(df), "all"))
    rows = []
    for j, feature in enumerate(features):
        hit = beyond[:, j]
        if not hit.any():
            continue
        for group in sorted(set(groups[hit])):
            here = hit & (groups == group)
            rows.append((group, feature, float(values[here, j].max()), int(here.sum())))
    table = pd.DataFrame(rows, columns=BEYOND_COLUMNS)
    if len(table):
        logging.getLogger(__name__).warning(
            "%s: %s; the values are kept (the authors' arithmetic)", what, describe_beyond(table, bound)
        )
    return table


def describe_beyond(table: pd.DataFrame, bound: float = VALUE_BOUND, limit: int = 8) -> str:
    """One line about a :func:`values_beyond` table: "none", or the features, their plates and
    the largest value, e.g. "2 feature(s) on 3 plate(s) beyond |x| = 1e+06, max |x| = 4e+18:
    'Count' (P0, P1), 'Area' (P2)"."""
    if table.empty:
        return f"none beyond |x| = {short_number(bound)}"
    per_feature = table.groupby("feature", sort=False)["plate"].apply(lambda p: ", ".join(map(str, p)))
    listed = "; ".join(f"{f!r} ({plates})" for f, plates in list(per_feature.items())[:limit])
    more = f"; ... {len(per_feature) - limit} more" if len(per_feature) > limit else ""
    return (
        f"{len(per_feature)} feature(s) on {table['plate'].nunique()} plate(s) beyond "
        f"|x| = {short_number(bound)}, max |x| = {table['max_abs'].max():.3g}: {listed}{more}"
    )


def beyond_summary(tables: dict[str, pd.DataFrame], bound: float = VALUE_BOUND) -> tuple[str, str]:
    """The reproduction row of one dataset's :func:`values_beyond` tables (one per step, e.g.
    per preprocessing or assay): ``(ours, note)``, ours "none" or "N feature(s) on M plate(s),
    max |x| = ...", the note naming the features and plates of each step."""
    hit = {step: t for step, t in tables.items() if len(t)}
    checked = ", ".join(tables) if tables else "nothing"
    if not hit:
        return "none", f"every normalized value within |x| <= {short_number(bound)} ({checked})"
    n_feat = sum(t["feature"].nunique() for t in hit.values())
    n_plate = len({(step, p) for step, t in hit.items() for p in t["plate"]})
    top = max(t["max_abs"].max() for t in hit.values())
    note = "; ".join(f"{step}: {describe_beyond(t, bound)}" for step, t in hit.items())
    return f"{n_feat} feature(s) on {n_plate} plate(s), max |x| = {top:.3g}", note + "; values kept as the authors computed them"


def select_features(
    df: pd.DataFrame,
    features: Sequence[str],
    operations: Sequence[str],
    na_cutoff: float = 0.05,
    corr_threshold: float = 0.9,
    freq_cut: float = 0.05,
    unique_cut: float = 0.01,
    outlier_cutoff: float = 500.0,
    authors_operation_names: bool = True,
) -> pd.DataFrame:
    """Drop features with pycytominer ``feature_select``.

    Parameters
    ----------
    operations : list of str
        pycytominer operations. With ``authors_operation_names`` (default), the names mean what
        they meant in pycytominer 1.2.2, which the authors ran: ``variance_threshold`` is the
        frequency/uniqueness filter (``freq_cut``, ``unique_cut``), called
        ``frequency_threshold`` since 1.7.
    """
    _check_features(df, features, "select_features")
    ops = [
        AUTHORS_OPERATION_NAMES.get(op, op) if authors_operation_names else op for op in operations
    ]
    pcm = _pycytominer()
    out = pcm.feature_select(
        df,
        features=list(features),
        operation=ops,
        na_cutoff=na_cutoff,
        corr_threshold=corr_threshold,
        freq_cut=freq_cut,
        unique_cut=unique_cut,
        outlier_cutoff=outlier_cutoff,
    )
    return out


def drop_features_containing(df: pd.DataFrame, token: str, case: bool = False) -> pd.DataFrame:
    """Drop every column whose name contains ``token`` (e.g. "costes", case-insensitive)."""
    cols = [c for c in df.columns if (token in c if case else token.lower() in c.lower())]
    return df.drop(columns=cols)


def aggregate(
    df: pd.DataFrame, strata: Sequence[str], features: Sequence[str], operation: str = "median"
) -> pd.DataFrame:
    """Consensus profiles: ``operation`` of each feature within each stratum (pycytominer)."""
    _check_features(df, features, "aggregate")
    pcm = _pycytominer()
    return pcm.aggregate(
        df, strata=list(strata), features=list(features), operation=operation
    ).reset_index(drop=True)
