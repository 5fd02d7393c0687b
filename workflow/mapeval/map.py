"""Mean average precision per group, its p-value and FDR (SPEC §1.4, §1.5)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .nulls import (
    benjamini_hochberg,
    independent_group_null,
    null_distributions,
    p_value_greater,
    p_value_greater_equal,
)

MAP_NULLS = ("shared", "independent")
EPS = np.finfo(np.float64).eps


def _scored(ap_scores: pd.DataFrame) -> pd.DataFrame:
    needed = ["average_precision", "n_pos_pairs", "n_total_pairs"]
    missing = [c for c in needed if c not in ap_scores.columns]
    if missing:
        raise ValueError(f"ap_scores lacks column(s) {missing}: pass the output of average_precision")
    keep = ap_scores["average_precision"].notna() & (ap_scores["n_pos_pairs"] > 0)
    return ap_scores.loc[keep].reset_index(drop=True)


def _configs(ap: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    confs = ap[["n_pos_pairs", "n_total_pairs"]].to_numpy(dtype=np.int64)
    configs, rev = np.unique(confs, axis=0, return_inverse=True)
    return configs, rev.ravel()


def mean_average_precision(
    ap_scores: pd.DataFrame,
    sameby: str | Sequence[str],
    null_size: int,
    threshold: float = 0.05,
    seed: int = 0,
    null_sampler: str = "fast",
    map_null: str = "shared",
) -> pd.DataFrame:
    """mAP of each group of profiles, with a permutation p-value and BH correction.

    Parameters
    ----------
    ap_scores : output of :func:`mapeval.average_precision` (rows without AP are ignored).
    sameby : column(s) defining the groups.
    null_size : number of null samples per configuration.
    threshold : significance level for ``below_p`` / ``below_corrected_p``.
    seed : top-level seed of the null distributions.
    null_sampler : "fast" or "copairs" (bit-exact with copairs 0.5.5), see :mod:`mapeval.nulls`.
    map_null : "shared" (copairs): the group null is the element-wise float32 mean of its
        members' per-configuration null rows, members with the same (k, N) sharing one row.
        "independent": every member draws its own null row.

    Returns
    -------
    DataFrame, one row per group: the ``sameby`` columns, ``mean_average_precision``,
    ``p_value`` = (1 + #{null > mAP}) / (1 + null_size), ``corrected_p_value`` (BH over the
    groups of this call), ``below_p``, ``below_corrected_p``.
    """
    if map_null not in MAP_NULLS:
        raise ValueError(f"map_null must be one of {MAP_NULLS}, got {map_null!r}")
    sameby = [sameby] if isinstance(sameby, str) else list(sameby)
    missing = [c for c in sameby if c not in ap_scores.columns]
    if missing:
        raise ValueError(f"sameby column(s) {missing} not in ap_scores")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    ap = _scored(ap_scores)
    if ap.empty:
        raise ValueError("no profile has an average precision (no positive pairs)")
    configs, rev = _configs(ap)

    grouped = ap.groupby(sameby, observed=True, sort=True)
    # pandas' groupby mean, as copairs computes mAP (its summation order matters for ties)
    means = grouped["average_precision"].mean()
    keys = means.reset_index()[sameby]
    maps = means.to_numpy(dtype=np.float64)
    codes = grouped.ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    member_rows = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)

    nulls = None if map_null == "independent" else null_distributions(configs, null_size, seed, null_sampler)
    cache: dict[tuple[int, ...], np.ndarray] = {}
    p = np.empty(len(member_rows))
    for g, rows in enumerate(member_rows):
        comp = tuple(rev[rows].tolist())
        if map_null == "independent":
            comp = tuple(sorted(comp))
        null = cache.get(comp)
        if null is None:
            if map_null == "shared":
                # float32 element-wise mean in member order, exactly as copairs
                null = np.sort(nulls[list(comp)].mean(axis=0))
            else:
                null = np.sort(
                    independent_group_null(configs[list(comp)], null_size, seed, null_sampler)
                )
            cache[comp] = null
        p[g] = p_value_greater(null, np.array([maps[g]]))[0]

    out = keys.copy()
    out["mean_average_precision"] = maps
    out["p_value"] = p
    out["corrected_p_value"] = benjamini_hochberg(p)
    out["below_p"] = out["p_value"] < threshold
    out["below_corrected_p"] = out["corrected_p_value"] < threshold
    return out


def ap_p_values(
    ap_scores: pd.DataFrame, null_size: int, seed: int = 0, null_sampler: str = "fast"
) -> np.ndarray:
    """p-value of every AP: (1 + #{null >= AP}) / (1 + null_size) (SPEC §1.5).

    Uses the same per-configuration nulls (and seeds) as :func:`mean_average_precision`.
    Returns an array aligned with ``ap_scores`` rows (NaN where there is no AP).
    """
    out = np.full(len(ap_scores), np.nan)
    keep = (ap_scores["average_precision"].notna() & (ap_scores["n_pos_pairs"] > 0)).to_numpy()
    if not keep.any():
        return out
    ap = ap_scores.loc[keep]
    configs, rev = _configs(ap)
    nulls = null_distributions(configs, null_size, seed, null_sampler)
    nulls.sort(axis=1)
    values = ap["average_precision"].to_numpy()
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
