"""Multiple-testing corrections (copairs 0.5.5 ``copairs.map.hierarchical_fdr``), without statsmodels.

:func:`multipletests` reproduces ``statsmodels.stats.multitest.multipletests`` (statsmodels 0.14/0.15)
operation by operation for the methods listed in :data:`METHODS`, so corrected p-values and
rejections are the same numbers; :func:`apply_fdr_correction` and
:func:`apply_hierarchical_fdr_correction` are copairs' two functions on top of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import column_list, probability

#: Supported methods (statsmodels names and aliases).
METHODS = {
    "fdr_bh": ("fdr_bh", "fdr_i", "fdr_p", "fdri", "fdrp"),
    "fdr_by": ("fdr_by", "fdr_n", "fdr_c", "fdrn", "fdrcorr"),
    "bonferroni": ("b", "bonf", "bonferroni"),
    "sidak": ("s", "sidak"),
    "holm": ("h", "holm"),
    "holm-sidak": ("hs", "holm-sidak"),
    "simes-hochberg": ("sh", "simes-hochberg"),
    "hommel": ("ho", "hommel"),
}
_ALIASES = {alias: name for name, aliases in METHODS.items() for alias in aliases}


def _p_values(p_values: object, what: str = "p_values") -> np.ndarray:
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {p.shape}")
    if np.isnan(p).any():
        raise ValueError(f"{what} contain NaN at position(s) {np.flatnonzero(np.isnan(p))[:10].tolist()}")
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"{what} must lie in [0, 1]; got {p[(p < 0) | (p > 1)][:5].tolist()}")
    return p


def _step_down_reject(notreject: np.ndarray) -> np.ndarray:
    nr = np.flatnonzero(notreject)
    first = len(notreject) if nr.size == 0 else nr.min()
    notreject[first:] = True
    return ~notreject


def _step_up_reject(reject: np.ndarray) -> np.ndarray:
    if reject.any():
        reject[: np.flatnonzero(reject).max()] = True
    return reject


def multipletests(
    p_values: Sequence[float] | np.ndarray, alpha: float = 0.05, method: str = "fdr_bh"
) -> tuple[np.ndarray, np.ndarray]:
    """Reject flags and corrected p-values, as ``statsmodels.stats.multitest.multipletests``.

    Parameters
    ----------
    p_values : 1-D p-values in [0, 1] (no NaN).
    alpha : family-wise error rate / FDR level for the reject flags.
    method : one of :data:`METHODS` (or a statsmodels alias such as "fdr_i", "b", "h").

    Returns
    -------
    reject : bool array, same order as ``p_values``.
    corrected : float64 array of corrected p-values (capped at 1), same order.
    """
    name = _ALIASES.get(str(method).lower()) if isinstance(method, str) else None
    if name is None:
        raise ValueError(f"method must be one of {sorted(METHODS)} (statsmodels names), got {method!r}")
    alpha = probability(alpha, "alpha")
    p = _p_values(p_values)
    order = np.argsort(p)  # statsmodels' (unstable) sort: tied p-values get tied results
    p = p[order]
    n = len(p)
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros(0)
    steps = np.arange(n, 0, -1)
    with np.errstate(divide="ignore"):  # log1p(-1) = -inf for p = 1 (sidak): corrected p is 1
        reject, corrected = _correct(name, p, n, steps, alpha)
    corrected = np.where(corrected > 1, 1.0, corrected)
    out_reject = np.empty(n, dtype=bool)
    out_corrected = np.empty(n)
    out_reject[order] = reject
    out_corrected[order] = corrected
    return out_reject, out_corrected


def _correct(name: str, p: np.ndarray, n: int, steps: np.ndarray, alpha: float):
    if name == "bonferroni":
        reject = p <= alpha / float(n)
        corrected = p * float(n)
    elif name == "sidak":
        reject = p <= 1 - np.power((1.0 - alpha), 1.0 / n)
        corrected = -np.expm1(n * np.log1p(-p))
    elif name == "holm-sidak":
        reject = _step_down_reject(p > 1 - np.power((1.0 - alpha), 1.0 / steps))
        corrected = np.maximum.accumulate(-np.expm1(steps * np.log1p(-p)))
    elif name == "holm":
        reject = _step_down_reject(p > alpha / steps)
        corrected = np.maximum.accumulate(p * steps)
    elif name == "simes-hochberg":
        reject = _step_up_reject(p <= alpha / steps)
        corrected = np.minimum.accumulate((steps * p)[::-1])[::-1]
    elif name == "hommel":
        a = p.copy()
        for m in range(n, 1, -1):
            cim = np.min(m * p[-m:] / np.arange(1, m + 1.0))
            a[-m:] = np.maximum(a[-m:], cim)
            a[:-m] = np.maximum(a[:-m], np.minimum(m * p[:-m], cim))
        corrected = a
        reject = a <= alpha
    else:  # fdr_bh, fdr_by (statsmodels fdrcorrection)
        ecdf = np.arange(1, n + 1) / float(n)
        if name == "fdr_by":
            ecdf = ecdf / np.sum(1.0 / np.arange(1, n + 1))
        reject = _step_up_reject(p <= ecdf * alpha)
        corrected = np.minimum.accumulate((p / ecdf)[::-1])[::-1]
    return reject, corrected


def _require_p_value(map_scores: pd.DataFrame, func: str) -> None:
    if not isinstance(map_scores, pd.DataFrame):
        raise TypeError(f"{func}: map_scores must be a DataFrame, got {type(map_scores).__name__}")
    if "p_value" not in map_scores.columns:
        raise ValueError(
            f"{func}: map_scores has no 'p_value' column: pass the output of "
            "mapeval.get_map_pvalue or mapeval.mean_average_precision"
        )


def check_hierarchy(hierarchical_by: list[str], sameby: list[str]) -> None:
    """``hierarchical_by`` must be a proper subset of ``sameby`` (copairs' rule and messages)."""
    if not set(hierarchical_by).issubset(sameby):
        raise ValueError(
            f"hierarchical_by columns {hierarchical_by} must be a subset of sameby columns {sameby}"
        )
    if set(hierarchical_by) == set(sameby):
        raise ValueError(
            f"hierarchical_by columns {hierarchical_by} must be a proper subset of sameby columns "
            f"{sameby}: with equal columns use the standard correction (mean_average_precision)"
        )


def apply_fdr_correction(map_scores: pd.DataFrame, method: str = "fdr_bh") -> pd.DataFrame:
    """Copy of ``map_scores`` with ``corrected_p_value`` over all its rows (copairs 0.5.5).

    Parameters
    ----------
    map_scores : DataFrame with a ``p_value`` column (e.g. :func:`mapeval.get_map_pvalue`).
    method : correction, default Benjamini-Hochberg; see :func:`multipletests`.
    """
    _require_p_value(map_scores, "apply_fdr_correction")
    out = map_scores.copy()
    out["corrected_p_value"] = multipletests(out["p_value"].to_numpy(), method=method)[1]
    return out


def apply_hierarchical_fdr_correction(
    map_scores: pd.DataFrame, hierarchical_by: str | Sequence[str], sameby: str | Sequence[str]
) -> pd.DataFrame:
    """Two-stage BH for grouped hypotheses (dose-response designs), as copairs 0.5.5.

    Stage 1: the smallest ``p_value`` of each ``hierarchical_by`` group (e.g. a compound's doses),
    BH-corrected over the groups; a group passes when BH rejects it at 0.05 (copairs fixes
    statsmodels' default alpha here, whatever the mAP threshold). Stage 2: within each passing
    group, BH over its rows (a single row keeps its p-value); rows of failing groups get
    ``corrected_p_value`` 1.

    Parameters
    ----------
    map_scores : DataFrame with ``p_value`` and the ``sameby`` columns.
    hierarchical_by : column(s) defining the groups; a proper subset of ``sameby``.
    sameby : the column(s) the mAP was grouped by.

    Returns
    -------
    DataFrame: ``map_scores`` (index reset, row order kept) plus ``stage1_p_value``,
    ``stage1_corrected_p_value``, ``stage1_significant`` and ``corrected_p_value``.
    """
    _require_p_value(map_scores, "apply_hierarchical_fdr_correction")
    hierarchical_by = column_list(hierarchical_by, "hierarchical_by")
    sameby = column_list(sameby, "sameby")
    check_hierarchy(hierarchical_by, sameby)
    missing = [c for c in hierarchical_by if c not in map_scores.columns]
    if missing:
        raise ValueError(f"hierarchical_by column(s) {missing} not in map_scores")
    na = map_scores[hierarchical_by].isna().any(axis=1).to_numpy()
    if na.any():
        raise ValueError(
            f"hierarchical_by column(s) {hierarchical_by} have missing values at row(s) "
            f"{np.flatnonzero(na)[:10].tolist()}"
        )
    out = map_scores.copy()
    stage1 = out.groupby(hierarchical_by, observed=True).agg({"p_value": "min"})
    stage1.columns = ["stage1_p_value"]
    reject, corrected = multipletests(stage1["stage1_p_value"].to_numpy(), method="fdr_bh")
    stage1["stage1_corrected_p_value"] = corrected
    stage1["stage1_significant"] = reject
    out = out.merge(stage1.reset_index(), on=hierarchical_by, how="left")
    corrected_all = np.ones(len(out))
    for rows in out.groupby(hierarchical_by, observed=True).indices.values():
        if not out["stage1_significant"].iloc[rows[0]]:
            continue
        p = out["p_value"].to_numpy()[rows]
        corrected_all[rows] = p if len(p) == 1 else multipletests(p, method="fdr_bh")[1]
    out["corrected_p_value"] = corrected_all
    return out
