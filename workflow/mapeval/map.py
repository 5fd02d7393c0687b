"""Mean average precision per group, its p-value and FDR (SPEC §1.4, §1.5).

The functions and their output columns are copairs 0.5.5's ``copairs.map`` ones:
:func:`get_map_pvalue` (mAP, ``indices``, mean normalised AP, p-value), :func:`mean_average_precision`
(plus BH), :func:`mean_average_precision_hierarchical` (plus the two-stage correction), and
:func:`ap_p_values` for copairs' per-AP p-values (``copairs.map.average_precision.p_values``).
copairs' ``progress_bar``, ``max_workers`` and ``cache_dir`` arguments are accepted so that calls
need no rewriting: ``max_workers`` is, as in copairs, the threads drawing the null rows (one
configuration each; the rows do not depend on it); mapeval shows no progress bar and never
caches null distributions on disk (a call equals a copairs call with an empty cache).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import column_list, positive_int, probability, seed_value
from .exact import (
    EXACT_LIMIT,
    check_exact_limit,
    exact_ap_p_values,
    exact_group_p_values,
)
from .fdr import apply_hierarchical_fdr_correction, check_hierarchy
from .normalization import normalize_ap
from .nulls import (
    benjamini_hochberg,
    check_sampler,
    independent_group_null,
    null_distributions,
    p_value_greater,
    p_value_greater_equal,
    p_value_greater_one,
)

MAP_NULLS = ("shared", "independent")
EPS = np.finfo(np.float64).eps
_AP_COLUMNS = ["average_precision", "n_pos_pairs", "n_total_pairs"]
#: Groups sharing a null: up to this many are counted one by one, more share one sort.
_SORT_ABOVE = 8


def _require_ap_columns(ap_scores: pd.DataFrame, func: str) -> None:
    if not isinstance(ap_scores, pd.DataFrame):
        raise TypeError(f"{func}: ap_scores must be a DataFrame (the output of average_precision), "
                        f"got {type(ap_scores).__name__}")
    missing = [c for c in _AP_COLUMNS if c not in ap_scores.columns]
    if missing:
        raise ValueError(f"ap_scores lacks column(s) {missing}: pass the output of average_precision")
    _check_ap_values(ap_scores, func)


def _check_ap_values(ap_scores: pd.DataFrame, func: str) -> None:
    """Refuse impossible AP tables (a plausible-looking mAP from them would be wrong).

    Rows with an AP (the scored rows) need 0 <= AP <= 1 and counts 1 <= n_pos_pairs <=
    n_total_pairs; counts present anywhere are non-negative integers. Rows without an AP are
    ignored whatever their n_pos_pairs (as documented: e.g. APs blanked to leave rows out).
    Errors name the column, the first offending rows (index labels of ap_scores) and values.
    """
    dup = [c for c in _AP_COLUMNS if (ap_scores.columns == c).sum() > 1]
    if dup:
        raise ValueError(f"{func}: ap_scores has column(s) {dup} more than once: drop the duplicates")
    for c in _AP_COLUMNS:
        col = ap_scores[c]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            raise ValueError(f"{func}: ap_scores column {c!r} must be numeric, got dtype {col.dtype} "
                             "(e.g. strings from a CSV): pass the output of average_precision")

    def refuse(bad: np.ndarray, col: str, rule: str, versus: str | None = None) -> None:
        rows = np.flatnonzero(bad)
        values = ap_scores[col].to_numpy()[rows[:5]].tolist()
        if versus is not None:  # show the value it is compared with
            values = [f"{v!r} vs {versus} {w!r}" for v, w in zip(values, ap_scores[versus].to_numpy()[rows[:5]].tolist())]
        else:
            values = [repr(v) for v in values]
        shown = ", ".join(f"index {label!r}: {v}" for label, v in zip(ap_scores.index[rows[:5]].tolist(), values))
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        raise ValueError(f"{func}: ap_scores column {col!r} {rule}: {len(rows)} row(s) do not "
                         f"({shown}{more}); pass the output of average_precision")

    ap = ap_scores["average_precision"].to_numpy(dtype=np.float64, na_value=np.nan)
    scored = ~np.isnan(ap)
    counts = {}
    for c in ("n_pos_pairs", "n_total_pairs"):
        v = ap_scores[c].to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(v) & ~((v >= 0) & (v == np.floor(v)) & np.isfinite(v))
        if bad.any():
            refuse(bad, c, "must hold non-negative integers (counts of pairs)")
        if np.isnan(v[scored]).any():
            refuse(scored & np.isnan(v), c, "must be given on every row with an average_precision")
        counts[c] = v
    with np.errstate(invalid="ignore"):
        if ((ap < 0) | (ap > 1))[scored].any():
            refuse(scored & ((ap < 0) | (ap > 1)), "average_precision", "must lie in [0, 1]")
    k, n = counts["n_pos_pairs"], counts["n_total_pairs"]
    if (scored & (k < 1)).any():
        refuse(scored & (k < 1), "n_pos_pairs",
               "must be at least 1 on rows with an average_precision (a profile without positive "
               "pairs has no AP: NaN)")
    if (scored & (k > n)).any():
        refuse(scored & (k > n), "n_pos_pairs", "must not exceed n_total_pairs (positives are among "
               "the ranked pairs)", versus="n_total_pairs")


def _scored(ap_scores: pd.DataFrame) -> pd.DataFrame:
    _require_ap_columns(ap_scores, "mean_average_precision")
    keep = ap_scores["average_precision"].notna() & (ap_scores["n_pos_pairs"] > 0)
    return ap_scores.loc[keep].reset_index(drop=True)


def _configs(ap: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    confs = ap[["n_pos_pairs", "n_total_pairs"]].to_numpy(dtype=np.int64)
    configs, rev = np.unique(confs, axis=0, return_inverse=True)
    return configs, rev.ravel()


def _check_map_null(map_null: object) -> str:
    if map_null not in MAP_NULLS:
        raise ValueError(f"map_null must be one of {MAP_NULLS}, got {map_null!r}")
    return str(map_null)


def _check_sameby_columns(ap: pd.DataFrame, sameby: list[str]) -> None:
    missing = [c for c in sameby if c not in ap.columns]
    if missing:
        raise ValueError(f"sameby column(s) {missing} not in ap_scores; have {list(ap.columns)}")
    dup = [c for c in sameby if (ap.columns == c).sum() > 1]
    if dup:
        raise ValueError(
            f"sameby column(s) {dup} appear more than once in ap_scores: rename or drop the duplicates"
        )


def _check_sameby_values(ap: pd.DataFrame, sameby: list[str]) -> None:
    """Scored rows only: a missing or unhashable group value has no group."""
    for c in sameby:
        na = ap[c].isna().to_numpy()
        if na.any():
            raise ValueError(
                f"sameby column {c!r} has missing values in {int(na.sum())} scored row(s) (first: "
                f"row {int(np.flatnonzero(na)[0])} of the rows with an AP); their group is undefined: "
                "fill them (e.g. with 'NA') or drop those rows"
            )
        try:
            pd.factorize(ap[c])
        except TypeError as err:
            raise ValueError(
                f"sameby column {c!r} holds unhashable values such as lists ({err}); group by a "
                "column with one value per row (multilabel output has one label per row)"
            ) from err


def get_map_pvalue(
    ap_scores: pd.DataFrame,
    sameby: str | Sequence[str],
    null_size: int,
    seed: int = 0,
    progress_bar: bool = False,
    max_workers: int | None = None,
    cache_dir: str | Path | None = None,
    *,
    null_sampler: str = "fast",
    map_null: str = "shared",
    exact_limit: int = EXACT_LIMIT,
) -> pd.DataFrame:
    """mAP of each group with its p-value, before any multiple-testing correction.

    Parameters
    ----------
    ap_scores : output of :func:`mapeval.average_precision` (rows without AP are ignored).
    sameby : column(s) defining the groups.
    null_size : number of null samples per configuration (a positive integer).
    seed : top-level seed of the null distributions (a non-negative integer).
    progress_bar, cache_dir : accepted for copairs compatibility and ignored.
    max_workers : threads drawing the null rows, one configuration each (copairs: its thread
        pool over configurations); None: :func:`mapeval.parallel.default_threads`. Every
        configuration has its own seeded generator, so the result does not depend on it.
    null_sampler : "fast" or "copairs" (bit-exact with copairs 0.5.5), see :mod:`mapeval.nulls`;
        or "exact": p = P(group null >= mAP) from the enumerated null (:mod:`mapeval.exact`,
        copairs issue 105), Monte Carlo with ``null_size`` draws where the null is too large
        to enumerate (then ``p_value_exact`` is False and an ``ExactNullWarning`` is raised).
    map_null : "shared" (copairs): the group null is the element-wise float32 mean of its
        members' per-configuration null rows, members with the same (k, N) sharing one row.
        "independent": every member draws its own null row.
    exact_limit : with ``null_sampler="exact"``: the largest comb(N, k) enumerated and the
        largest support of a group's convolution (default 2,000,000).

    Returns
    -------
    DataFrame, one row per group (sorted by ``sameby``): the ``sameby`` columns,
    ``mean_average_precision``, ``indices`` (copairs: the positions of the group's rows among the
    scored rows of ``ap_scores``, i.e. after dropping rows without an AP and renumbering from 0),
    ``mean_normalized_average_precision`` and ``p_value`` = (1 + #{null > mAP}) / (1 + null_size),
    the comparison made in float32 as copairs makes it. With ``null_sampler="exact"``,
    ``p_value`` = P(null >= mAP) (ties within float32 rounding count) and a last column
    ``p_value_exact`` (bool) says where it is exact.
    """
    del progress_bar, cache_dir  # copairs-only options
    map_null = _check_map_null(map_null)
    null_sampler = check_sampler(null_sampler, exact_ok=True)
    null_size = positive_int(null_size, "null_size", "e.g. null_size=10000")
    seed = seed_value(seed)
    exact_limit = check_exact_limit(exact_limit)
    _require_ap_columns(ap_scores, "get_map_pvalue")
    sameby = column_list(sameby, "sameby")
    _check_sameby_columns(ap_scores, sameby)
    ap = _scored(ap_scores)
    if ap.empty:
        raise ValueError("no profile has an average precision (no positive pairs)")
    _check_sameby_values(ap, sameby)
    if "normalized_average_precision" not in ap.columns:
        ap["normalized_average_precision"] = normalize_ap(
            ap["average_precision"].to_numpy(), ap["n_pos_pairs"].to_numpy(), ap["n_total_pairs"].to_numpy()
        )
    configs, rev = _configs(ap)

    grouped = ap.groupby(sameby, observed=True, sort=True)
    # pandas' groupby mean, as copairs computes mAP (its summation order matters for ties)
    means = grouped["average_precision"].mean()
    norm_means = grouped["normalized_average_precision"].mean()
    keys = means.reset_index()[sameby]
    maps = means.to_numpy(dtype=np.float64)
    codes = grouped.ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    member_rows = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)

    p_exact = None
    if null_sampler == "exact":
        p, p_exact = exact_group_p_values(configs, rev, member_rows, maps, map_null, null_size,
                                          seed, exact_limit)
    else:
        p = _sampled_p_values(configs, rev, member_rows, maps, map_null, null_size, seed,
                              null_sampler, max_workers)

    out = keys.copy()
    out["mean_average_precision"] = maps
    out["indices"] = [rows.tolist() for rows in member_rows]
    out["mean_normalized_average_precision"] = norm_means.to_numpy(dtype=np.float64)
    out["p_value"] = p
    if p_exact is not None:
        out["p_value_exact"] = p_exact
    return out


def _sampled_p_values(configs, rev, member_rows, maps, map_null, null_size, seed, null_sampler,
                      threads=None):
    """(1 + #{null > mAP}) / (1 + null_size) per group, the null sampled as copairs does."""
    nulls = None if map_null == "independent" else null_distributions(
        configs, null_size, seed, null_sampler, threads=threads)
    # groups by null composition (member configurations): one null per composition, then a
    # count per group, or one sort when many groups share it
    by_comp: dict[tuple[int, ...], list[int]] = {}
    for g, rows in enumerate(member_rows):
        comp = tuple(rev[rows].tolist())
        if map_null == "independent":
            comp = tuple(sorted(comp))
        by_comp.setdefault(comp, []).append(g)
    p = np.empty(len(member_rows))
    for comp, groups in by_comp.items():
        if map_null == "shared":
            # float32 element-wise mean in member order, exactly as copairs
            null = nulls[list(comp)].mean(axis=0)
        else:
            null = independent_group_null(configs[list(comp)], null_size, seed, null_sampler)
        if len(groups) > _SORT_ABOVE:
            p[groups] = p_value_greater(np.sort(null), maps[groups])
        else:
            p[groups] = [p_value_greater_one(null, maps[g]) for g in groups]
    return p


def mean_average_precision(
    ap_scores: pd.DataFrame,
    sameby: str | Sequence[str],
    null_size: int,
    threshold: float = 0.05,
    seed: int = 0,
    progress_bar: bool = False,
    max_workers: int | None = None,
    cache_dir: str | Path | None = None,
    *,
    null_sampler: str = "fast",
    map_null: str = "shared",
    exact_limit: int = EXACT_LIMIT,
) -> pd.DataFrame:
    """mAP of each group of profiles, with a permutation p-value and BH correction.

    Parameters
    ----------
    ap_scores, sameby, null_size, seed, null_sampler, map_null, exact_limit, progress_bar,
    max_workers, cache_dir : as :func:`get_map_pvalue` (``null_sampler="exact"``: the exact
        null, copairs issue 105; for the label-permutation test see :func:`mapeval.permutation_map`).
    threshold : significance level for ``below_p`` / ``below_corrected_p``, in (0, 1).

    Returns
    -------
    DataFrame, one row per group: the :func:`get_map_pvalue` columns (``sameby``,
    ``mean_average_precision``, ``indices``, ``mean_normalized_average_precision``, ``p_value``),
    then ``corrected_p_value`` (BH over the groups of this call), ``below_p`` and
    ``below_corrected_p`` (copairs 0.5.5's columns, in its order).
    """
    threshold = probability(threshold, "threshold")
    out = get_map_pvalue(
        ap_scores, sameby, null_size, seed, progress_bar, max_workers, cache_dir,
        null_sampler=null_sampler, map_null=map_null, exact_limit=exact_limit,
    )
    out["corrected_p_value"] = benjamini_hochberg(out["p_value"].to_numpy())
    out["below_p"] = out["p_value"] < threshold
    out["below_corrected_p"] = out["corrected_p_value"] < threshold
    return out


def mean_average_precision_hierarchical(
    ap_scores: pd.DataFrame,
    sameby: str | Sequence[str],
    null_size: int,
    threshold: float,
    seed: int,
    hierarchical_by: str | Sequence[str],
    progress_bar: bool = False,
    max_workers: int | None = None,
    cache_dir: str | Path | None = None,
    *,
    null_sampler: str = "fast",
    map_null: str = "shared",
    exact_limit: int = EXACT_LIMIT,
) -> pd.DataFrame:
    """mAP per group with the two-stage (hierarchical) FDR correction of copairs 0.5.5.

    For dose-response designs: ``sameby=[compound, dose]``, ``hierarchical_by=[compound]``.
    Stage 1 BH-corrects each compound's smallest p-value over the compounds; stage 2
    BH-corrects the doses within each compound that passes (see
    :func:`mapeval.apply_hierarchical_fdr_correction`).

    Returns
    -------
    DataFrame: the :func:`get_map_pvalue` columns, ``stage1_p_value``,
    ``stage1_corrected_p_value``, ``stage1_significant``, ``corrected_p_value`` (1 for groups
    failing stage 1), ``below_p`` and ``below_corrected_p``.
    """
    threshold = probability(threshold, "threshold")
    sameby_list = column_list(sameby, "sameby")
    hierarchical_by = column_list(hierarchical_by, "hierarchical_by")
    check_hierarchy(hierarchical_by, sameby_list)  # before the (costly) null distributions
    out = get_map_pvalue(
        ap_scores, sameby_list, null_size, seed, progress_bar, max_workers, cache_dir,
        null_sampler=null_sampler, map_null=map_null, exact_limit=exact_limit,
    )
    out = apply_hierarchical_fdr_correction(out, hierarchical_by, sameby_list)
    out["below_p"] = out["p_value"] < threshold
    out["below_corrected_p"] = out["corrected_p_value"] < threshold
    return out


def ap_p_values(
    ap_scores: pd.DataFrame, null_size: int, seed: int = 0, null_sampler: str = "fast",
    *, exact_limit: int = EXACT_LIMIT, threads: int | None = None,
) -> np.ndarray:
    """p-value of every AP: (1 + #{null >= AP}) / (1 + null_size) (SPEC §1.5).

    copairs 0.5.5's ``copairs.map.average_precision.p_values``: the same per-configuration nulls
    (and seeds) as :func:`mean_average_precision`, compared in float64 as copairs compares them.
    Returns a float64 array aligned with ``ap_scores`` rows (NaN where there is no AP); copairs
    stores the same values rounded to float32.

    ``null_sampler="exact"``: p = P(null >= AP) from the enumerated null of the AP's
    configuration (ties within float32 rounding count), Monte Carlo with ``null_size`` fast
    draws (and an ``ExactNullWarning``) for configurations above ``exact_limit`` rank lists.
    ``threads``: threads drawing the null rows (as ``max_workers`` of
    :func:`mean_average_precision`; the result does not depend on it).
    """
    null_sampler = check_sampler(null_sampler, exact_ok=True)
    exact_limit = check_exact_limit(exact_limit)
    null_size = positive_int(null_size, "null_size", "e.g. null_size=10000")
    seed = seed_value(seed)
    _require_ap_columns(ap_scores, "ap_p_values")
    out = np.full(len(ap_scores), np.nan)
    keep = (ap_scores["average_precision"].notna() & (ap_scores["n_pos_pairs"] > 0)).to_numpy()
    if not keep.any():
        return out
    ap = ap_scores.loc[keep]
    configs, rev = _configs(ap)
    values = ap["average_precision"].to_numpy(dtype=np.float64)
    if null_sampler == "exact":
        out[keep] = exact_ap_p_values(configs, rev, values, null_size, seed, exact_limit)[0]
        return out
    nulls = null_distributions(configs, null_size, seed, null_sampler, threads=threads)
    nulls.sort(axis=1)
    p = np.empty(len(ap))
    for c in range(len(configs)):
        sel = rev == c
        p[sel] = p_value_greater_equal(nulls[c], values[sel])
    out[keep] = p
    return out


def percent_retrieved(significant: pd.Series | np.ndarray) -> float:
    """Share of units called significant (SPEC §0 'percent retrieved'), in [0, 1]."""
    values = np.asarray(significant, dtype=bool)
    if values.size == 0:
        raise ValueError("percent_retrieved of an empty selection")
    return float(values.mean())
