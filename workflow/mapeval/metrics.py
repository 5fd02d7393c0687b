"""The other metrics of the field, side by side with mAP (SPEC §13).

* :func:`energy_distance`, :func:`energy_distance_per_group`: perturbation magnitude as the energy
  distance between a perturbation's replicate profiles and the negative controls (RxRx3-core,
  Kraus et al. 2024; Rizzo & Székely 2016).
* :func:`known_relationship_recall`: recall of annotated gene-gene relationships among the most
  extreme cosine similarities of gene-level profiles (RxRx3-core, after Celik et al. 2024).
* :func:`retrieval_metrics`, :func:`summarize_retrieval`: recall@k, MAP of interpolated precision
  and folds of enrichment of treatment-level profiles (PhenoProfiler, Li et al. 2025).
* :func:`normalize_to_controls`, :func:`cell_count_scores`: the cell-count baseline's per-plate
  normalized change against controls (the cell-count paper, after Seal et al.).

Where a paper's sentence admits more than one reading, the docstring says which one is computed
and why. Everything is computed in blocks of rows with bounded memory (:data:`BLOCK_CELLS`);
``threads`` run blocks in parallel (:func:`mapeval.parallel.map_blocks`) and never change a
result. numpy, pandas and scipy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial.distance import cdist, pdist

from ._checks import positive_int, probability
from .parallel import map_blocks, resolve_threads
from .similarity import rescale_extreme_rows

T = TypeVar("T")

#: Cells (rows x columns of a distance or similarity block) per block, shared by the threads;
#: ~30 bytes a cell at the peak of a retrieval block, so about 60 MB in all.
BLOCK_CELLS = 2_000_000

#: Known-relationship recall keeps every gene-pair similarity in memory (and lets numpy take the
#: percentiles) up to this many pairs (~4,500 genes; 80 MB of float64); above it the exact order
#: statistics are found by histogram passes over recomputed blocks (see :class:`_TriangleScan`).
TRIANGLE_DIRECT_MAX = 10_000_000

#: Groups of replicates up to this size get their within-group distances from exact differences
#: vectorised over all groups of the same size; larger groups use scipy's cdist per group.
_SMALL_GROUP = 32


# ----------------------------------------------------------------------------------------------
# inputs
# ----------------------------------------------------------------------------------------------


def profile_matrix(x: object, name: str, min_rows: int = 1) -> np.ndarray:
    """``x`` as a finite float64 (n_profiles, n_features) matrix; errors name the argument.

    Accepts a 2-D array or a DataFrame of numeric columns (only the features: pass
    ``df[feature_columns]``). ``min_rows`` is the fewest profiles the metric is defined for.
    """
    if isinstance(x, pd.DataFrame):
        bad = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c]) or x[c].dtype == bool]
        if bad:
            raise ValueError(f"{name}: non-numeric column(s) {bad[:10]}; pass the feature columns only")
        arr = x.to_numpy(dtype=np.float64)
    else:
        arr = np.asarray(x)
        if (
            not np.issubdtype(arr.dtype, np.number)
            or np.issubdtype(arr.dtype, np.complexfloating)
        ):
            raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64, copy=False)
    if arr.ndim != 2:
        hint = " (a single feature: x.reshape(-1, 1))" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (profiles x features), got shape {arr.shape}{hint}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no feature columns (shape {arr.shape})")
    if arr.shape[0] < min_rows:
        raise ValueError(
            f"{name} has {arr.shape[0]} profile(s); the metric needs at least {min_rows}"
        )
    finite = np.isfinite(arr)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        raise ValueError(
            f"{name} must be finite: {int((~finite).any(axis=1).sum())} row(s) have NaN or "
            f"infinite values (first: row {r}, column {c})"
        )
    return arr


def _key_vector(values: object, n: int, name: str) -> np.ndarray:
    """A 1-D vector of ``n`` hashable keys without missing values (as an object/numeric array)."""
    if isinstance(values, pd.DataFrame):
        raise TypeError(f"{name} must be one column (a Series or a 1-D array), got a DataFrame")
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} entries but there are {n} profiles")
    missing = np.flatnonzero(pd.isna(arr))
    if len(missing):
        raise ValueError(f"{name} has missing values at row(s) {missing[:10].tolist()}")
    return arr


def _codes(keys: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        codes, uniques = pd.factorize(keys, sort=False)
    except TypeError as err:  # unhashable entries (lists)
        raise ValueError(f"{name} must hold one hashable key per profile (e.g. a string): {err}") from None
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _unit_rows(x: np.ndarray, what: str, names: np.ndarray | None = None) -> np.ndarray:
    """Rows scaled to unit Euclidean norm (cosine = dot product); zero rows are refused."""
    squares = np.einsum("ij,ij->i", x, x)
    x, squares = rescale_extreme_rows(x, squares)  # exact at any magnitude (powers of two)
    norms = np.sqrt(squares)
    zero = np.flatnonzero(norms == 0)
    if len(zero):
        which = names[zero[:10]].tolist() if names is not None else zero[:10].tolist()
        raise ValueError(f"cosine similarity is undefined for all-zero profiles: {what} {which}")
    return x / norms[:, None]


def _row_blocks(n_rows: int, n_cols: int, threads: int, cells: int = BLOCK_CELLS) -> list[range]:
    step = max(1, cells // max(threads, 1) // max(n_cols, 1))
    return [range(a, min(a + step, n_rows)) for a in range(0, n_rows, step)]


def _choice(value: object, name: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


def _percent(value: object, name: str, low_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number (a percentage), got {value!r} ({type(value).__name__})")
    value = float(value)
    if math.isnan(value) or not (0 < value < 100 if low_open else 0 <= value <= 100):
        raise ValueError(f"{name} must be a percentage in {'(0, 100)' if low_open else '[0, 100]'}, got {value}")
    return value


def linear_percentile_index(n: np.ndarray | int, percent: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order statistics and weight of numpy's default ("linear") percentile of ``n`` values.

    Returns (lower, upper, gamma) with percentile = lerp(v[lower], v[upper], gamma) of the values
    sorted ascending, computed with the same floating-point operations as
    ``numpy.percentile(..., method="linear")`` (numpy 2.x: virtual index (n - 1) q, then
    ``_get_indexes``), so that :func:`linear_lerp` reproduces its result bit for bit.
    """
    n = np.asarray(n, dtype=np.int64)
    q = np.true_divide(percent, 100)
    virtual = np.asarray((n - 1) * q, dtype=np.float64)  # Hyndman & Fan type 7
    lower = np.floor(virtual)
    gamma = virtual - lower
    lower = lower.astype(np.int64)
    upper = lower + 1
    above = virtual >= n - 1
    lower = np.where(above, n - 1, lower)
    upper = np.where(above, n - 1, upper)
    below = virtual < 0
    lower = np.where(below, 0, lower)
    upper = np.where(below, 0, upper)
    return lower, upper, gamma


def linear_lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's ``_lerp`` (a + (b - a) t, computed from b when t >= 0.5), bit for bit."""
    a, b, t = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), np.asarray(t, dtype=np.float64)
    diff = b - a
    out = a + diff * t
    return np.where(t >= 0.5, b - diff * (1 - t), out)


# ----------------------------------------------------------------------------------------------
# energy distance (RxRx3-core)
# ----------------------------------------------------------------------------------------------


def _sum_cross_distances(x: np.ndarray, y: np.ndarray) -> float:
    """sum_ij ||x_i - y_j|| from exact differences (scipy cdist), in blocks of rows."""
    total = 0.0
    for rows in _row_blocks(len(x), len(y), 1):
        total += float(cdist(x[rows.start : rows.stop], y).sum())
    return total


def _sum_within_distances(x: np.ndarray) -> float:
    """sum_{i != j} ||x_i - x_j|| (both orders) from exact differences, in blocks of rows."""
    n = len(x)
    if n < 2:
        return 0.0
    if n * (n - 1) // 2 <= BLOCK_CELLS:
        return 2.0 * float(pdist(x).sum())
    total = 0.0
    for rows in _row_blocks(n, n, 1):
        a, b = rows.start, rows.stop
        d = cdist(x[a:b], x[a:])
        total += float(d[:, b - a :].sum()) + float(np.triu(d[:, : b - a], 1).sum())
    return 2.0 * total


def power_of_two_exponent(*arrays: np.ndarray) -> int:
    """e such that 2**e brings the largest |value| of ``arrays`` into [0.5, 1), or 0 when it is
    already between 1e-100 and 1e100. Distances scale exactly by a power of two, so scaling by
    it (``np.ldexp``) avoids overflowing (|x| > ~1e154) or underflowing squares (subnormals)
    at no cost in accuracy."""
    top = max((float(np.abs(a).max()) for a in arrays if a.size), default=0.0)
    if top == 0.0 or 1e-100 < top < 1e100:
        return 0
    return -int(np.frexp(top)[1])


def energy_distance(x: np.ndarray | pd.DataFrame, y: np.ndarray | pd.DataFrame) -> float:
    """Energy distance between two sets of profiles (Euclidean, exponent 1).

    E = 2/(n1 n2) sum_ij ||x_i - y_j|| - 1/n1^2 sum_ij ||x_i - x_j|| - 1/n2^2 sum_ij ||y_i - y_j||

    (Kraus et al. 2024, RxRx3-core, "perturbation magnitude": x = a perturbation's replicate
    profiles, y = the negative controls). The V-statistic form with 1/n^2 (self pairs count as
    zero distances), as the paper writes it and as ``dcor.energy_distance`` computes it; it is 0
    for identical samples and never negative (up to rounding). Distances come from exact
    coordinate differences (scipy's cdist/pdist), in blocks of rows; inputs of extreme magnitude
    are first scaled by a power of two (:func:`power_of_two_exponent`): 1e200 and subnormals work.

    Parameters
    ----------
    x : (n1, n_features) array or DataFrame of numeric features, n1 >= 1.
    y : (n2, n_features) array or DataFrame, n2 >= 1, the same features.

    Returns
    -------
    float, in the units of the features.

    See Also
    --------
    energy_distance_per_group : many perturbations against one shared set of controls.
    """
    x = profile_matrix(x, "x")
    y = profile_matrix(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have the same features: x has {x.shape[1]} columns, y has {y.shape[1]}"
        )
    n1, n2 = len(x), len(y)
    e = power_of_two_exponent(x, y)
    if e:
        x, y = np.ldexp(x, e), np.ldexp(y, e)
    value = (
        2.0 * _sum_cross_distances(x, y) / (n1 * n2)
        - _sum_within_distances(x) / (n1 * n1)
        - _sum_within_distances(y) / (n2 * n2)
    )
    return float(np.ldexp(value, -e))


def _within_sums_by_group(x: np.ndarray, codes: np.ndarray, n_groups: int, threads: int) -> np.ndarray:
    """sum_{i != j in g} ||x_i - x_j|| for every group g, from exact differences."""
    sizes = np.bincount(codes, minlength=n_groups)
    order = np.argsort(codes, kind="stable")
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    out = np.zeros(n_groups, dtype=np.float64)
    f = x.shape[1]
    tasks = []
    for s in np.unique(sizes):
        if s < 2:
            continue
        groups = np.flatnonzero(sizes == s)
        if s <= _SMALL_GROUP:
            # (groups, s) row numbers; the s(s-1)/2 pairs are looped, each vectorised over groups
            step = max(1, BLOCK_CELLS // max(threads, 1) // (s * f))
            for a in range(0, len(groups), step):
                tasks.append((int(s), groups[a : a + step]))
        else:
            tasks += [(int(s), groups[a : a + 1]) for a in range(len(groups))]

    def within(task: tuple[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        s, groups = task
        members = order[starts[groups][:, None] + np.arange(s)[None, :]]  # (g, s)
        if s > _SMALL_GROUP:
            return groups, np.array([_sum_within_distances(x[members[0]])])
        rows = x[members.ravel()].reshape(len(groups), s, f)
        total = np.zeros(len(groups))
        for i in range(s - 1):
            diff = rows[:, i + 1 :, :] - rows[:, i : i + 1, :]  # (g, s - i - 1, f)
            total += np.sqrt(np.einsum("gjf,gjf->gj", diff, diff)).sum(axis=1)
        return groups, 2.0 * total

    for groups, sums in map_blocks(within, tasks, threads):
        out[groups] = sums
    return out


def energy_distance_per_group(
    feats: np.ndarray | pd.DataFrame,
    groups: Sequence[object] | np.ndarray | pd.Series,
    controls: np.ndarray | pd.DataFrame,
    *,
    threads: int | None = None,
) -> pd.DataFrame:
    """Energy distance of every group of profiles (a perturbation's replicates) to one control set.

    The statistic of :func:`energy_distance` for x = the rows of ``feats`` in a group and
    y = ``controls``, for all groups at once: the control-control sum is computed once, the
    distances to the controls in blocks of rows as one matrix product per block
    (||x - y||^2 = |x|^2 + |y|^2 - 2 x.y after centring on the control mean, which keeps the
    cancellation error near 1e-15 of the distances; a replicate identical to a control gets a
    distance of about 1e-8 of the profile norm instead of 0), the within-group distances from
    exact differences.

    Parameters
    ----------
    feats : (n, n_features) array or DataFrame, the replicate profiles of all perturbations.
    groups : (n,) perturbation of each row (hashable, no missing values).
    controls : (n_controls, n_features) the negative-control profiles, n_controls >= 1.
    threads : blocks computed in parallel (None: :func:`mapeval.parallel.default_threads`).

    Returns
    -------
    DataFrame, one row per group in order of first appearance: ``group``, ``n_profiles`` (n1),
    ``n_controls`` (n2), ``energy_distance``, and its three parts ``mean_distance_to_controls``
    (1/(n1 n2) sum ||x - y||), ``mean_distance_within`` (1/n1^2 sum ||x - x'||) and
    ``mean_distance_controls`` (1/n2^2 sum ||y - y'||, the same on every row), so that
    energy_distance = 2 * to_controls - within - controls.
    """
    x = profile_matrix(feats, "feats")
    y = profile_matrix(controls, "controls")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"feats and controls must have the same features: feats has {x.shape[1]} columns, "
            f"controls has {y.shape[1]}"
        )
    keys = _key_vector(groups, len(x), "groups")
    codes, uniques = _codes(keys, "groups")
    threads = resolve_threads(threads)
    n_groups = len(uniques)
    n2 = len(y)
    e = power_of_two_exponent(x, y)
    if e:
        x, y = np.ldexp(x, e), np.ldexp(y, e)

    center = y.mean(axis=0)
    yc = y - center
    y_sq = np.einsum("ij,ij->i", yc, yc)
    row_sums = np.empty(len(x), dtype=np.float64)

    def cross(rows: range) -> None:
        xb = x[rows.start : rows.stop] - center
        d2 = xb @ yc.T
        d2 *= -2.0
        d2 += np.einsum("ij,ij->i", xb, xb)[:, None]
        d2 += y_sq[None, :]
        np.maximum(d2, 0.0, out=d2)
        np.sqrt(d2, out=d2)
        row_sums[rows.start : rows.stop] = d2.sum(axis=1)

    for _ in map_blocks(cross, _row_blocks(len(x), n2, threads), threads):
        pass
    n1 = np.bincount(codes, minlength=n_groups).astype(np.float64)
    to_controls = np.bincount(codes, weights=row_sums, minlength=n_groups) / (n1 * n2)
    within = _within_sums_by_group(x, codes, n_groups, threads) / (n1 * n1)
    control_term = _sum_within_distances(y) / (n2 * n2)
    to_controls, within, control_term = (np.ldexp(t, -e) for t in (to_controls, within, control_term))
    return pd.DataFrame(
        {
            "group": uniques,
            "n_profiles": n1.astype(np.int64),
            "n_controls": np.int64(n2),
            "energy_distance": 2.0 * to_controls - within - control_term,
            "mean_distance_to_controls": to_controls,
            "mean_distance_within": within,
            "mean_distance_controls": control_term,
        }
    )


# ----------------------------------------------------------------------------------------------
# known-relationship recall (RxRx3-core)
# ----------------------------------------------------------------------------------------------


class _TriangleScan:
    """The strict upper triangle of the cosine similarities of unit rows ``g``, block by block.

    Rows [a, b) against columns [a, m), one matrix product per block; pass after pass the same
    blocks give the same bits (the same products on the same data), which the histogram passes
    rely on (and check).
    """

    def __init__(self, g: np.ndarray, threads: int):
        self.g = g
        self.m = len(g)
        self.threads = threads
        self.blocks: list[tuple[int, int]] = []
        a = 0
        while a < self.m - 1:
            step = max(1, BLOCK_CELLS // max(threads, 1) // (self.m - a))
            self.blocks.append((a, min(a + step, self.m - 1)))
            a += step

    @property
    def n_pairs(self) -> int:
        return self.m * (self.m - 1) // 2

    def block(self, a: int, b: int) -> np.ndarray:
        """(b - a, m - a) similarities of rows a..b-1 to columns a..m-1."""
        return self.g[a:b] @ self.g[a:].T

    def values(self, a: int, b: int, s: np.ndarray) -> np.ndarray:
        """The strict-upper-triangle values of a block, row by row (a fixed order)."""
        cols = np.arange(self.m - a)[None, :]
        return s[cols > np.arange(b - a)[:, None]]

    def run(self, fn: Callable[[int, int, np.ndarray], T]) -> list[T]:
        """fn(a, b, s) over the blocks (in threads); returns the results in block order."""
        return list(
            map_blocks(lambda ab: fn(ab[0], ab[1], self.block(*ab)), self.blocks, self.threads)
        )


#: Bins per histogram pass of the exact order statistics (level 0 spans [-1, 1]).
_BINS = 65_536
_LEVEL0 = (-1.0, 2.0 / _BINS)  # (low edge, bin width)
#: A bin holding an order statistic is collected when it has at most this many values,
#: else split again by a further pass (at most _MAX_DEPTH levels).
COLLECT_MAX = 4_000_000
_MAX_DEPTH = 3


def _bin_index(v: np.ndarray, low: float, width: float) -> np.ndarray:
    """Bin of every value: floor((v - low) / width), clipped to the bins. Non-decreasing in v
    (every step is a correctly rounded monotone operation), so bins are ordered like values."""
    return np.clip(np.floor((v - low) * (1.0 / width)), 0, _BINS - 1).astype(np.int64)


def _in_bin(v: np.ndarray, path: tuple[tuple[float, float, int], ...]) -> np.ndarray:
    """Whether each value lies in the nested bin ``path`` ((low, width, index) per level)."""
    keep = np.ones(len(v), dtype=bool)
    for low, width, index in path:
        sel = np.flatnonzero(keep)
        keep[sel[_bin_index(v[sel], low, width) != index]] = False
    return keep


def _order_statistics(
    scan: _TriangleScan, ranks: list[int], level0: np.ndarray
) -> dict[int, tuple[float, int, int]]:
    """Exact order statistics of the triangle values without holding them all.

    For every rank r (0-based, ascending) returns (v_r, #values < v_r, #values == v_r).
    ``level0`` is the histogram of all values over the level-0 bins (taken by the caller's first
    pass). A bin holding a wanted rank is collected (one more pass over recomputed blocks, then
    sorted) when it has at most COLLECT_MAX values, else split into _BINS sub-bins by a further
    pass. All values equal to v_r share its bin, so the counts come from the bin's contents.
    """
    # rank -> (path of its bin so far, its bin's range (low, width), #values before that bin)
    pending = {r: ((), _LEVEL0, 0) for r in ranks}
    counts_of = {(): level0}
    done: dict[int, tuple[float, int, int]] = {}
    while pending:
        to_collect: dict[tuple, list] = {}
        to_split: dict[tuple, tuple[float, float]] = {}
        for r, (path, (low, width), before) in pending.items():
            cum = np.cumsum(counts_of[path])
            b = int(np.searchsorted(cum, r - before, side="right"))
            child = path + ((low, width, b),)
            before_bin = before + (int(cum[b - 1]) if b else 0)
            n_bin = int(cum[b] - (cum[b - 1] if b else 0))
            if n_bin <= COLLECT_MAX or len(child) >= _MAX_DEPTH:
                to_collect.setdefault(child, [before_bin, n_bin, []])[2].append(r)
            else:
                to_split[child] = (low + b * width, width / _BINS)
                pending[r] = (child, to_split[child], before_bin)
        for r in (r for item in to_collect.values() for r in item[2]):
            del pending[r]

        def one_pass(
            a: int, b: int, s: np.ndarray, to_collect=to_collect, to_split=to_split
        ) -> dict[tuple, np.ndarray]:
            v = scan.values(a, b, s)
            out = {key: v[_in_bin(v, key)] for key in to_collect}
            for key, (low, width) in to_split.items():
                out[key] = np.bincount(_bin_index(v[_in_bin(v, key)], low, width), minlength=_BINS)
            return out

        parts = scan.run(one_pass)
        for key in to_split:
            counts_of[key] = sum(p[key] for p in parts)
        for key, (before_bin, n_bin, wanted) in to_collect.items():
            vals = np.sort(np.concatenate([p[key] for p in parts]))
            if len(vals) != n_bin:
                raise RuntimeError(
                    "similarities differed between two passes over the same blocks "
                    f"({len(vals)} vs {n_bin} values in a bin); rerun with threads=1"
                )
            for r in wanted:
                v = float(vals[r - before_bin])
                left = int(np.searchsorted(vals, v, side="left"))
                right = int(np.searchsorted(vals, v, side="right"))
                done[r] = (v, before_bin + left, right - left)
    return done


def _triangle_thresholds(
    scan: _TriangleScan, pair_i: np.ndarray, pair_j: np.ndarray, lower: float, upper: float
) -> tuple[np.ndarray, float, float, float]:
    """Similarities of the pairs (i < j), the two percentiles of all pairs, and the share of all
    pairs strictly below the lower or above the upper percentile.

    Up to TRIANGLE_DIRECT_MAX pairs the values are kept and numpy takes the percentiles; above,
    the first pass also takes the level-0 histogram and :func:`_order_statistics` finds the
    order statistics that numpy's linear percentile interpolates, with the same arithmetic
    (:func:`linear_percentile_index`, :func:`linear_lerp`).
    """
    order = np.argsort(pair_i, kind="stable")
    pi, pj = pair_i[order], pair_j[order]
    n = scan.n_pairs
    direct = n <= TRIANGLE_DIRECT_MAX

    def first_pass(a: int, b: int, s: np.ndarray):
        lo, hi = np.searchsorted(pi, [a, b])
        sims = s[pi[lo:hi] - a, pj[lo:hi] - a]
        v = scan.values(a, b, s)
        return lo, hi, sims, (v if direct else np.bincount(_bin_index(v, *_LEVEL0), minlength=_BINS))

    sims = np.empty(len(pi), dtype=np.float64)
    chunks = []
    for lo, hi, part, v in scan.run(first_pass):
        sims[lo:hi] = part
        chunks.append(v)
    out = np.empty_like(sims)
    out[order] = sims
    if direct:
        every = np.concatenate(chunks)
        low_t, high_t = (float(t) for t in np.percentile(every, [lower, upper]))
        share = (int((every < low_t).sum()) + int((every > high_t).sum())) / n
        return out, low_t, high_t, share
    idx = [linear_percentile_index(n, p) for p in (lower, upper)]
    ranks = sorted({int(i) for lo_i, hi_i, _ in idx for i in (lo_i, hi_i)})
    stats_of = _order_statistics(scan, ranks, sum(chunks))
    (l0, l1, lg), (h0, h1, hg) = idx
    low_t = float(linear_lerp(stats_of[int(l0)][0], stats_of[int(l1)][0], lg))
    high_t = float(linear_lerp(stats_of[int(h0)][0], stats_of[int(h1)][0], hg))
    # #(< low_t): low_t lies in [v_l0, v_l1] and no value lies strictly between the two
    v, less, equal = stats_of[int(l0)]
    n_below = less + (equal if low_t > v else 0)
    v, less, equal = stats_of[int(h1)]
    n_above = n - less - equal + (equal if high_t < v else 0)
    return out, low_t, high_t, (n_below + n_above) / n


def _aggregate(x: np.ndarray, codes: np.ndarray, how: str) -> np.ndarray:
    """One row per code (0, 1, ...): the mean or median of its rows, feature by feature."""
    if len(codes) == int(codes.max()) + 1:  # one row per gene already
        out = np.empty_like(x)
        out[codes] = x
        return out
    frame = pd.DataFrame(x)
    grouped = frame.groupby(codes, sort=True)
    return (grouped.mean() if how == "mean" else grouped.median()).to_numpy(dtype=np.float64)


def known_relationship_recall(
    feats: np.ndarray | pd.DataFrame,
    genes: Sequence[object] | np.ndarray | pd.Series,
    relationships: pd.DataFrame,
    *,
    gene_columns: tuple[str, str] = ("entity1", "entity2"),
    source_column: str | None = "source",
    aggregate: Literal["mean", "median"] = "mean",
    lower: float = 5.0,
    upper: float = 95.0,
    confidence: float = 0.95,
    threads: int | None = None,
) -> pd.DataFrame:
    """Recall of annotated gene-gene relationships among the extreme cosine similarities.

    Kraus et al. 2024 (RxRx3-core, Table 6, after Celik et al. 2024): each gene's profiles
    (e.g. its guides) are aggregated into one profile; the cosine similarity of every pair of
    distinct genes is computed; "predicted links" are the pairs whose similarity is strictly
    below the ``lower`` or strictly above the ``upper`` percentile of the similarities of all
    gene pairs (strong anti-correlation counts: e.g. MTOR and TSC2); recall, per annotation
    source, is the share of the source's annotated pairs, both genes present, that are predicted
    links. A map without information gives (lower + 100 - upper) / 100, 0.10 by default.

    The percentiles are numpy's default (``method="linear"``, Hyndman & Fan type 7) over the
    m (m - 1) / 2 similarities of the upper triangle (each unordered pair once, no self pairs),
    exact at any size. RxRx3-core took the thresholds from a null of randomly sampled gene
    pairs (3 seeds, their Table 6) and the EFAAR code compares percentile ranks with <= and >=;
    here all pairs are used, which is the limit of that null without sampling noise.

    Parameters
    ----------
    feats : (n, n_features) profiles (several per gene allowed).
    genes : (n,) gene of each row (hashable, no missing values).
    relationships : DataFrame of annotated pairs, one row each, with the two gene columns
        ``gene_columns`` and, if ``source_column`` is given and present, the annotation source
        (CORUM, hu.MAP, ...). Pairs are unordered: (a, b) and (b, a), and repeats, count once per
        source; self pairs are dropped; pairs with a gene that has no profile are not counted
        (``n_pairs_listed`` vs ``n_pairs``).
    gene_columns : the two gene columns of ``relationships``.
    source_column : the source column (None or absent: all pairs form one source ``"all"``).
    aggregate : "mean" or "median" of a gene's rows, feature by feature.
    lower, upper : percentiles in (0, 100), lower < upper.
    confidence : level of the Clopper-Pearson interval of each recall.
    threads : similarity blocks computed in parallel (results do not depend on it).

    Returns
    -------
    DataFrame, one row per source (sorted): ``source``, ``n_pairs_listed`` (distinct unordered
    non-self pairs), ``n_pairs`` (both genes profiled), ``n_predicted`` (of those, predicted
    links), ``recall`` (n_predicted / n_pairs; NaN without pairs), ``ci_low``, ``ci_high``
    (exact binomial interval), ``expected_recall`` (share of all gene pairs that are predicted
    links: the recall of a map without information, ~(lower + 100 - upper) / 100),
    ``lower_threshold``, ``upper_threshold`` (the two percentiles) and ``n_genes``.

    Raises
    ------
    ValueError
        Bad profiles, fewer than 3 genes, an all-zero gene profile, missing columns in
        ``relationships``, or no annotated pair with both genes profiled (e.g. symbols against
        Ensembl identifiers).
    """
    x = profile_matrix(feats, "feats")
    keys = _key_vector(genes, len(x), "genes")
    codes, uniques = _codes(keys, "genes")
    aggregate = _choice(aggregate, "aggregate", ("mean", "median"))
    lower = _percent(lower, "lower")
    upper = _percent(upper, "upper")
    if not lower < upper:
        raise ValueError(f"lower must be below upper, got lower={lower}, upper={upper}")
    confidence = probability(confidence, "confidence")
    threads = resolve_threads(threads)
    if len(uniques) < 3:
        raise ValueError(
            f"genes: {len(uniques)} distinct gene(s); known-relationship recall needs at least 3 "
            "(the percentiles are taken over the gene pairs)"
        )
    if not isinstance(relationships, pd.DataFrame):
        raise TypeError(f"relationships must be a pandas DataFrame, got {type(relationships).__name__}")
    if (
        not isinstance(gene_columns, (tuple, list))
        or len(gene_columns) != 2
        or not all(isinstance(c, str) for c in gene_columns)
    ):
        raise TypeError(f"gene_columns must be two column names, got {gene_columns!r}")
    missing = [c for c in gene_columns if c not in relationships.columns]
    if missing:
        raise ValueError(
            f"relationships: gene column(s) {missing} not found (columns: {list(relationships.columns)[:10]}); "
            "name them with gene_columns=(..., ...)"
        )
    g = _unit_rows(_aggregate(x, codes, aggregate), "gene(s)", uniques)

    index = pd.Index(uniques)
    a = index.get_indexer(relationships[gene_columns[0]].to_numpy(dtype=object))
    b = index.get_indexer(relationships[gene_columns[1]].to_numpy(dtype=object))
    names_a = relationships[gene_columns[0]].astype(str).to_numpy()
    names_b = relationships[gene_columns[1]].astype(str).to_numpy()
    if source_column is not None and source_column in relationships.columns:
        source = relationships[source_column].astype(str).to_numpy()
    else:
        source = np.full(len(relationships), "all", dtype=object)
    listed = pd.DataFrame(
        {"source": source, "u": np.where(names_a <= names_b, names_a, names_b),
         "v": np.where(names_a <= names_b, names_b, names_a),
         "i": np.minimum(a, b), "j": np.maximum(a, b), "present": (a >= 0) & (b >= 0)}
    )
    listed = listed[listed["u"] != listed["v"]].drop_duplicates(["source", "u", "v"])
    n_listed = listed.groupby("source").size()
    present = listed[listed["present"] & (listed["i"] != listed["j"])]
    if present.empty:
        raise ValueError(
            "relationships: no annotated pair has both genes among the profiled genes "
            f"({len(listed)} distinct pairs listed; e.g. {listed['u'].iloc[0] if len(listed) else '-'!r}; "
            f"profiled genes e.g. {uniques[:3].tolist()}); check the identifiers (symbols vs "
            "Ensembl IDs) and the gene_columns"
        )
    scan = _TriangleScan(g, threads)
    sims, low_t, high_t, share = _triangle_thresholds(
        scan, present["i"].to_numpy(np.int64), present["j"].to_numpy(np.int64), lower, upper
    )
    predicted = (sims < low_t) | (sims > high_t)
    counts = pd.DataFrame({"source": present["source"].to_numpy(), "predicted": predicted})
    per = counts.groupby("source")["predicted"].agg(["size", "sum"])
    out = pd.DataFrame({"source": sorted(n_listed.index)})
    out["n_pairs_listed"] = out["source"].map(n_listed).astype(np.int64)
    out["n_pairs"] = out["source"].map(per["size"]).fillna(0).astype(np.int64)
    out["n_predicted"] = out["source"].map(per["sum"]).fillna(0).astype(np.int64)
    n, k = out["n_pairs"].to_numpy(), out["n_predicted"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["recall"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    out["ci_low"], out["ci_high"] = clopper_pearson(k, n, confidence)
    out["expected_recall"] = share
    out["lower_threshold"] = low_t
    out["upper_threshold"] = high_t
    out["n_genes"] = np.int64(len(uniques))
    return out


def clopper_pearson(k: np.ndarray, n: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) binomial interval of k successes in n trials, element-wise.

    NaN where n == 0. Equal to ``scipy.stats.binomtest(k, n).proportion_ci(confidence)``.
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        from scipy import stats  # imported on use: it costs ~0.6 s and ~36 MB at import

        low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return low, high


# ----------------------------------------------------------------------------------------------
# retrieval metrics (PhenoProfiler)
# ----------------------------------------------------------------------------------------------


def annotation_sets(labels: object, n: int, name: str = "labels") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse one annotation per treatment into (row, label code) pairs.

    An entry is a single label (a string or another hashable scalar) or a list/tuple/set/array of
    labels (multilabel: several targets). None, NaN, "" and an empty list mean "not annotated".
    Strings are not split: write ``s.split("|")`` first for "a|b" annotations.

    Returns (rows, codes, uniques): rows and codes of every (treatment, label) incidence, and the
    distinct labels.
    """
    if isinstance(labels, pd.DataFrame):
        raise TypeError(f"{name} must be one entry per treatment (a list or Series), got a DataFrame")
    values = labels.tolist() if isinstance(labels, (pd.Series, pd.Index, np.ndarray)) else list(labels)  # type: ignore[call-overload]
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} entries but there are {n} profiles")
    rows, flat = [], []
    for r, value in enumerate(values):
        if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
            items = list(value.tolist() if isinstance(value, (np.ndarray, pd.Series)) else value)
            for item in items:
                if isinstance(item, (list, tuple, set, dict)) or item is None or (
                    not isinstance(item, str) and pd.isna(item)
                ):
                    raise ValueError(f"{name}: row {r} holds a missing or nested label ({value!r})")
            items = [i for i in dict.fromkeys(items) if i != ""]
        elif value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
            items = []
        elif isinstance(value, str):
            items = [value] if value != "" else []
        elif pd.api.types.is_scalar(value):
            items = [value]
        else:
            raise ValueError(f"{name}: row {r} holds {type(value).__name__} {value!r}; give a label or a list of labels")
        rows += [r] * len(items)
        flat += items
    try:
        codes, uniques = pd.factorize(pd.Series(flat, dtype=object), sort=False)
    except TypeError as err:
        raise ValueError(f"{name}: labels must be hashable: {err}") from None
    return np.asarray(rows, dtype=np.int64), codes.astype(np.int64), np.asarray(uniques, dtype=object)


#: float64 similarities -> int64 sort keys: the magnitude bits of a float below 2 fit in 62 bits,
#: so -(signed magnitude) * 2 + tie bit is an exact, order-preserving key (descending similarity,
#: then the tie bit), and one np.sort of int64 ranks a block with the tie rule applied.
_MAGNITUDE = np.int64(0x7FFF_FFFF_FFFF_FFFF)
_LAST = np.iinfo(np.int64).max


def _sort_keys(s: np.ndarray, tie: np.ndarray, valid: np.ndarray) -> np.ndarray:
    bits = s.view(np.int64)
    magnitude = bits & _MAGNITUDE
    key = np.where(bits < 0, magnitude, -magnitude)  # -(signed magnitude): larger s, smaller key
    key *= 2
    key += tie
    key[~valid] = _LAST  # not a candidate: after every candidate
    return key


def _key_similarity(key: np.ndarray) -> np.ndarray:
    """The similarity a sort key encodes (exact; -0.0 comes back as 0.0)."""
    signed = -(key >> 1)  # signed magnitude
    bits = np.where(signed < 0, (-signed) | np.int64(-0x8000_0000_0000_0000), signed)
    return bits.astype(np.int64).view(np.float64)


def fisher_exact_greater(
    v11: np.ndarray | int, v12: np.ndarray | int, v21: np.ndarray | int, v22: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray]:
    """scipy.stats.fisher_exact([[v11, v12], [v21, v22]], alternative="greater"), element-wise.

    Returns (sample odds ratio v11 v22 / (v12 v21), one-sided p-value) with scipy's conventions:
    NaN and p = 1 when a row or a column of the table is empty, inf when v12 or v21 is 0.
    """
    v11, v12, v21, v22 = (np.asarray(v, dtype=np.int64) for v in (v11, v12, v21, v22))
    empty = (v11 + v12 == 0) | (v21 + v22 == 0) | (v11 + v21 == 0) | (v12 + v22 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            (v21 > 0) & (v12 > 0), (v11 * v22) / np.maximum(v21 * v12, 1), np.inf
        ).astype(np.float64)
    total = v11 + v12 + v21 + v22
    from scipy import stats  # imported on use (see clopper_pearson)

    p = stats.hypergeom.cdf(v12, total, v11 + v12, v12 + v22)
    p = np.minimum(p, 1.0)
    ratio = np.where(empty, np.nan, ratio)
    p = np.where(empty, 1.0, p)
    return ratio, p


def retrieval_metrics(
    feats: np.ndarray | pd.DataFrame,
    labels: Sequence[object] | pd.Series,
    *,
    ks: Sequence[int] = (1, 3, 5, 10),
    recall_points: Literal["relevant"] | int = "relevant",
    top_percent: float = 1.0,
    ties: Literal["relevant_last", "relevant_first"] = "relevant_last",
    unannotated: Literal["drop", "candidates"] = "drop",
    exclude_same: Sequence[object] | pd.Series | None = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """Recall@k, interpolated average precision and folds of enrichment of every treatment.

    PhenoProfiler (Li et al. 2025, Evaluation Metrics): every treatment-level profile is a query;
    the other treatments are ranked by cosine similarity; a treatment is relevant to the query
    when they share an annotation (MoA, pathway, target): with several labels per treatment,
    when they share at least one ("at least one biological annotation ... matches the query").

    * **Recall@k** (``hit_at_k``): whether at least one relevant treatment is among the k most
      similar. The paper's "proportion of correct results within the top K returned results" is
      ambiguous; :func:`summarize_retrieval` averages these hits over queries (the share of
      queries with a hit, the reading of SPEC §13.4). ``share_at_k`` gives the other reading,
      the share of the query's relevant treatments that are in the top k (what the authors'
      code computes, with k a percentage of the treatments: pass those k's).
    * **Interpolated AP**: the mean of P_interp(r) = max_{r' >= r} P(r') over recall points r.
      ``recall_points="relevant"`` (default): r = m / n_relevant, m = 1..n_relevant, i.e. at the
      rank of each relevant treatment, which is the area under the interpolated
      precision-recall curve (PASCAL VOC's all-point AP). An integer R: R evenly spaced points
      0, 1/(R-1), ..., 1 (11 = the 11-point AP of TREC/VOC 2007; the authors' DeepProfiler-style
      code used R = the number of treatments). ``average_precision`` (not interpolated, mean of
      precision at each relevant rank, as mAP here and as sklearn's AP the authors' code
      reports) is given beside it.
    * **Folds of enrichment**: per query, the 2x2 table relevant/other x inside/outside the top
      ``top_percent`` % of its similarities, "inside" being strictly above numpy's linear
      percentile ``100 - top_percent`` of the query's candidate similarities (as the authors'
      code: ``np.percentile(row, 99)``); the one-sided (greater) Fisher exact test and the
      sample odds ratio (v11 v22) / (v12 v21), both as ``scipy.stats.fisher_exact``. The
      paper's sentence "the sum of the first row divided by the sum of the second row" is not
      an odds ratio; it cites Rohban et al. 2019, whose method is the odds ratio of this table
      (a single table over all pairs there; per query here, as the paper says "for each query
      treatment" and its code does). ``odds_ratio`` is infinite when the top set holds no other
      treatment (v12 = 0) or every relevant one (v21 = 0); ``odds_ratio_corrected`` replaces
      just those by the Haldane-Anscombe estimate (0.5 added to every cell) and equals
      ``odds_ratio`` elsewhere, so that the mean over queries is finite. Tables with v11 = 0 keep
      their odds ratio 0: correcting them too would turn a weak map's zeros into ~0.5 / E[v11]
      (a mean of 5 on random profiles with 10 treatments per MoA). The authors' code replaced
      infinite ratios by v22, which we do not follow.

    Ties (equal float64 similarity between a relevant and another treatment) are ranked
    ``ties="relevant_last"`` by default: the conservative rule, relevant treatments after the
    others they tie; ``"relevant_first"`` ranks them first (mAP's and copairs' rule). The folds
    of enrichment need no rule (a similarity is either above the threshold or not).

    Parameters
    ----------
    feats : (n, n_features) treatment-level profiles (e.g. the mean of a treatment's wells).
    labels : (n,) annotation of each treatment: a label, a list of labels, or None/NaN/""/[]
        for none (see :func:`annotation_sets`).
    ks : the k's of recall@k (positive integers).
    recall_points : "relevant" or an integer >= 2, see above.
    top_percent : the top set of the folds of enrichment, in percent (0, 100).
    ties : "relevant_last" or "relevant_first".
    unannotated : "drop" (default): treatments without annotation are neither queries nor
        candidates, as in both papers' code (an unannotated treatment may well share a
        mechanism nobody recorded, and would count as a miss); "candidates": they stay in every
        ranking as non-relevant treatments (but are never queries).
    exclude_same : optional (n,) key (e.g. the compound of a compound-dose treatment): pairs with
        the same key are left out of each other's rankings (neither relevant nor other), so that
        another dose of the same compound is not a retrieval. None: only the query itself is
        left out.
    threads : blocks of queries computed in parallel (results do not depend on it).

    Returns
    -------
    DataFrame, one row per treatment, in input order: ``annotated``, ``is_query`` (annotated and
    at least one relevant candidate; annotated treatments without one are skipped, with
    ``n_relevant`` 0), ``n_candidates``, ``n_relevant``, ``first_relevant_rank``, ``hit_at_{k}``
    and ``share_at_{k}`` per k, ``average_precision``, ``interpolated_average_precision``,
    ``top_threshold``, ``n_top``, ``top_relevant`` (v11), ``top_other`` (v12),
    ``rest_relevant`` (v21), ``rest_other`` (v22), ``odds_ratio``, ``odds_ratio_corrected``,
    ``fisher_p_value``. Non-queries have NaN (missing for ``hit_at_k``) metrics.
    """
    x = profile_matrix(feats, "feats", min_rows=2)
    n = len(x)
    ks = _ks(ks)
    if isinstance(recall_points, str):
        _choice(recall_points, "recall_points", ("relevant",))
        n_points = 0
    else:
        n_points = positive_int(recall_points, "recall_points", 'an integer >= 2 or "relevant"')
        if n_points < 2:
            raise ValueError(f'recall_points must be "relevant" or an integer >= 2, got {n_points}')
    top_percent = _percent(top_percent, "top_percent")
    ties = _choice(ties, "ties", ("relevant_last", "relevant_first"))
    unannotated = _choice(unannotated, "unannotated", ("drop", "candidates"))
    threads = resolve_threads(threads)
    rows, label_codes, _ = annotation_sets(labels, n, "labels")
    annotated = np.zeros(n, dtype=bool)
    annotated[rows] = True
    if not annotated.any():
        raise ValueError("labels: no treatment is annotated (all None/NaN/empty); nothing to retrieve")
    same = None
    if exclude_same is not None:
        same, _ = _codes(_key_vector(exclude_same, n, "exclude_same"), "exclude_same")
    units = _unit_rows(x, "row(s)")

    # the candidate set: every treatment, or the annotated ones
    pool = np.flatnonzero(annotated) if unannotated == "drop" else np.arange(n)
    pos_of = np.full(n, -1, dtype=np.int64)
    pos_of[pool] = np.arange(len(pool))
    keep = pos_of[rows] >= 0
    n_labels = int(label_codes.max()) + 1 if len(label_codes) else 1
    incidence = sparse.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.int32), (pos_of[rows[keep]], label_codes[keep])),
        shape=(len(pool), n_labels),
    )
    incidence.sum_duplicates()
    pool_units = units[pool]
    pool_same = same[pool] if same is not None else None
    queries = pos_of[np.flatnonzero(annotated)]  # positions in the pool
    tie_rel = 1 if ties == "relevant_last" else 0

    m = len(pool)
    out = _RetrievalColumns(n, ks)
    # q = target percentile of the folds of enrichment threshold
    q_percent = 100.0 - top_percent
    blocks = _row_blocks(len(queries), m, threads)

    def block(rng: range):
        q = queries[rng.start : rng.stop]
        b = len(q)
        s = pool_units[q] @ pool_units.T  # (b, m)
        shared = (incidence[q] @ incidence.T).tocoo()
        rel = np.zeros((b, m), dtype=bool)
        rel[shared.row, shared.col] = True
        valid = np.ones((b, m), dtype=bool)
        valid[np.arange(b), q] = False
        if pool_same is not None:
            valid &= pool_same[q][:, None] != pool_same[None, :]
        rel &= valid
        n_cand = valid.sum(axis=1)
        n_rel = rel.sum(axis=1)
        tie = rel if tie_rel else ~rel
        keys = _sort_keys(s, tie.astype(np.int64), valid)
        keys.sort(axis=1)
        # relevant positions (0-based ranks) of the sorted rows, row by row, ascending
        sorted_rel = (keys & 1) == tie_rel
        sorted_rel &= np.arange(m)[None, :] < n_cand[:, None]
        r_idx, pos = np.nonzero(sorted_rel)
        starts = np.r_[0, np.cumsum(n_rel)[:-1]]
        mth = np.arange(len(pos)) - starts[r_idx] + 1  # m-th relevant of its row
        rank = pos + 1
        precision = mth / rank
        kmax = int(n_rel.max()) if b else 0
        ap = np.full(b, np.nan)
        iap = np.full(b, np.nan)
        first = np.full(b, np.nan)
        hits = {}
        shares = {}
        is_q = n_rel > 0
        if kmax:
            padded = np.zeros((b, kmax))
            padded[r_idx, mth - 1] = precision
            ap[is_q] = padded[is_q].sum(axis=1) / n_rel[is_q]
            interp = np.maximum.accumulate(padded[:, ::-1], axis=1)[:, ::-1]  # max over m' >= m
            if n_points == 0:
                iap[is_q] = interp[is_q].sum(axis=1) / n_rel[is_q]
            else:
                j = np.arange(n_points)[None, :]
                kk = np.maximum(n_rel, 1)[:, None]
                # smallest m with m / k >= j / (R - 1): ceil(j k / (R - 1)), at least 1
                need = np.maximum(-((-j * kk) // (n_points - 1)), 1)
                iap[is_q] = np.take_along_axis(interp, need - 1, axis=1)[is_q].mean(axis=1)
            first[is_q] = rank[starts[is_q]]
            for k in ks:
                within = np.bincount(r_idx[rank <= k], minlength=b)
                hits[k] = within > 0
                with np.errstate(invalid="ignore", divide="ignore"):
                    shares[k] = within / n_rel
        # folds of enrichment: threshold = linear percentile of the candidate similarities
        lo_i, hi_i, gamma = linear_percentile_index(np.maximum(n_cand, 1), q_percent)
        rows_b = np.arange(b)
        # ascending index t is descending position n_cand - 1 - t
        a_val = _key_similarity(keys[rows_b, np.maximum(n_cand - 1 - lo_i, 0)])
        b_val = _key_similarity(keys[rows_b, np.maximum(n_cand - 1 - hi_i, 0)])
        thr = linear_lerp(a_val, b_val, gamma)
        top = (s > thr[:, None]) & valid
        n_top = top.sum(axis=1)
        v11 = (top & rel).sum(axis=1)
        return rng, q, n_cand, n_rel, first, hits, shares, ap, iap, thr, n_top, v11

    for result in map_blocks(block, blocks, threads):
        out.fill(pool, *result)
    if not out.n_relevant.any():
        raise ValueError(
            "labels: no two treatments share an annotation"
            + (" (after exclude_same)" if same is not None else "")
            + "; there is nothing to retrieve (check the labels, e.g. split 'a|b' strings into lists)"
        )
    return out.frame(annotated, ks)


def _ks(ks: object) -> list[int]:
    if isinstance(ks, (int, np.integer)) and not isinstance(ks, bool):
        ks = [ks]
    try:
        values = list(ks)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"ks must be a list of positive integers, got {ks!r}") from None
    if not values:
        raise ValueError("ks must hold at least one k")
    return sorted({positive_int(k, "ks", "e.g. ks=(1, 3, 5, 10)") for k in values})


class _RetrievalColumns:
    """The per-treatment output arrays of :func:`retrieval_metrics`, filled block by block."""

    def __init__(self, n: int, ks: list[int]):
        def nan() -> np.ndarray:
            return np.full(n, np.nan)

        self.n_candidates = np.zeros(n, dtype=np.int64)
        self.n_relevant = np.zeros(n, dtype=np.int64)
        self.first = nan()
        self.hits = {k: np.zeros(n, dtype=bool) for k in ks}
        self.shares = {k: nan() for k in ks}
        self.ap, self.iap, self.thr = nan(), nan(), nan()
        self.n_top = np.zeros(n, dtype=np.int64)
        self.v11 = np.zeros(n, dtype=np.int64)

    def fill(self, pool, rng, q, n_cand, n_rel, first, hits, shares, ap, iap, thr, n_top, v11) -> None:
        rows = pool[q]
        self.n_candidates[rows] = n_cand
        self.n_relevant[rows] = n_rel
        self.first[rows] = first
        for k in self.hits:
            if k in hits:
                self.hits[k][rows] = hits[k]
                self.shares[k][rows] = shares[k]
        self.ap[rows], self.iap[rows], self.thr[rows] = ap, iap, thr
        self.n_top[rows] = n_top
        self.v11[rows] = v11

    def frame(self, annotated: np.ndarray, ks: list[int]) -> pd.DataFrame:
        is_q = self.n_relevant > 0
        out = pd.DataFrame({"annotated": annotated, "is_query": is_q,
                            "n_candidates": self.n_candidates, "n_relevant": self.n_relevant})
        out["first_relevant_rank"] = pd.array(np.where(is_q, self.first, np.nan), dtype="Int64")
        for k in ks:
            out[f"hit_at_{k}"] = pd.array(np.where(is_q, self.hits[k], False), dtype="boolean")
            out.loc[~is_q, f"hit_at_{k}"] = pd.NA
        for k in ks:
            out[f"share_at_{k}"] = np.where(is_q, self.shares[k], np.nan)
        out["average_precision"] = np.where(is_q, self.ap, np.nan)
        out["interpolated_average_precision"] = np.where(is_q, self.iap, np.nan)
        v11 = self.v11
        v12 = self.n_top - v11
        v21 = self.n_relevant - v11
        v22 = self.n_candidates - self.n_top - v21
        ratio, p = fisher_exact_greater(v11, v12, v21, v22)
        # only the infinite ratios are corrected: +0.5 on a table with v11 = 0 (most queries of
        # a weak map: OR 0, well defined) would turn 0 into ~0.5 / E[v11], e.g. 5 for random data
        haldane = ((v11 + 0.5) * (v22 + 0.5)) / ((v12 + 0.5) * (v21 + 0.5))
        corrected = np.where(np.isinf(ratio), haldane, ratio)
        cols = {
            "top_threshold": self.thr, "n_top": self.n_top, "top_relevant": v11, "top_other": v12,
            "rest_relevant": v21, "rest_other": v22, "odds_ratio": ratio,
            "odds_ratio_corrected": corrected, "fisher_p_value": p,
        }
        for name, values in cols.items():
            if values.dtype.kind == "f":
                out[name] = np.where(is_q, values, np.nan)
            else:
                out[name] = pd.array(np.where(is_q, values, 0), dtype="Int64")
                out.loc[~is_q, name] = pd.NA
        return out


def summarize_retrieval(per_query: pd.DataFrame) -> pd.Series:
    """The PhenoProfiler summary of :func:`retrieval_metrics`' table.

    Returns
    -------
    Series: ``n_treatments``, ``n_annotated``, ``n_queries``, ``n_skipped`` (annotated treatments
    with no relevant candidate: not queries), ``recall_at_{k}`` (share of queries with a relevant
    treatment in the top k), ``mean_share_at_{k}``, ``map`` (mean non-interpolated AP),
    ``map_interpolated`` (the paper's MAP: mean interpolated AP), ``folds_of_enrichment`` (mean
    of ``odds_ratio_corrected`` over the queries where the odds ratio is defined; finite),
    ``median_odds_ratio`` (median of the raw odds ratios, infinite ones included),
    ``n_infinite_odds_ratio`` and ``n_undefined_odds_ratio`` (empty top set or no other
    treatment outside the relevant ones).
    """
    needed = {"annotated", "is_query", "average_precision", "interpolated_average_precision",
              "odds_ratio", "odds_ratio_corrected"}
    if not isinstance(per_query, pd.DataFrame) or needed - set(per_query.columns):
        missing = sorted(needed - set(getattr(per_query, "columns", [])))
        raise ValueError(f"per_query must be the table of retrieval_metrics (missing columns {missing})")
    q = per_query[per_query["is_query"].astype(bool)]
    out: dict[str, float] = {
        "n_treatments": len(per_query),
        "n_annotated": int(per_query["annotated"].sum()),
        "n_queries": len(q),
        "n_skipped": int(per_query["annotated"].sum() - len(q)),
    }
    for col in per_query.columns:
        if col.startswith("hit_at_"):
            out["recall_at_" + col[len("hit_at_"):]] = float(q[col].astype(float).mean()) if len(q) else np.nan
    for col in per_query.columns:
        if col.startswith("share_at_"):
            out["mean_share_at_" + col[len("share_at_"):]] = float(q[col].mean()) if len(q) else np.nan
    out["map"] = float(q["average_precision"].mean()) if len(q) else np.nan
    out["map_interpolated"] = float(q["interpolated_average_precision"].mean()) if len(q) else np.nan
    corrected = q["odds_ratio_corrected"].to_numpy(dtype=float)
    raw = q["odds_ratio"].to_numpy(dtype=float)
    defined = ~np.isnan(raw)
    out["folds_of_enrichment"] = float(corrected[defined].mean()) if defined.any() else np.nan
    out["median_odds_ratio"] = float(np.median(raw[defined])) if defined.any() else np.nan
    out["n_infinite_odds_ratio"] = int(np.isinf(raw).sum())
    out["n_undefined_odds_ratio"] = int((~defined).sum())
    return pd.Series(out, dtype=object)


# ----------------------------------------------------------------------------------------------
# the cell-count baseline
# ----------------------------------------------------------------------------------------------


def normalize_to_controls(
    values: Sequence[float] | np.ndarray | pd.Series,
    plates: Sequence[object] | np.ndarray | pd.Series,
    controls: Sequence[bool] | np.ndarray | pd.Series,
    *,
    ddof: int = 1,
) -> np.ndarray:
    """Per-plate normalized change against the plate's controls: (x - mean_c) / sd_c.

    The cell-count paper's feature (after Seal et al.): on every plate, the negative-control
    (DMSO) mean is subtracted and the result divided by the controls' standard deviation.
    The paper does not give the degrees of freedom of the SD; ``ddof=1`` (the sample SD, pandas'
    default) is used unless told otherwise.

    Parameters
    ----------
    values : (n,) one feature per well, e.g. ``Cells_Number_Object_Number``.
    plates : (n,) plate of each well.
    controls : (n,) True for the negative-control wells.
    ddof : delta degrees of freedom of the controls' SD (0 or 1).

    Returns
    -------
    (n,) float64 normalized values (controls included).
    """
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("values must be numbers (one per well)") from None
    if v.ndim != 1:
        raise ValueError(f"values must be 1-D (one per well), got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError(f"values must be finite: NaN or infinite at row(s) {np.flatnonzero(~np.isfinite(v))[:10].tolist()}")
    plate_keys = _key_vector(plates, len(v), "plates")
    ctrl = np.asarray(controls)
    if ctrl.shape != v.shape or ctrl.dtype != bool:
        raise ValueError(f"controls must be a boolean vector of {len(v)} entries (True = control well), got {ctrl.dtype} {ctrl.shape}")
    if ddof not in (0, 1) or isinstance(ddof, bool):
        raise ValueError(f"ddof must be 0 or 1, got {ddof!r}")
    codes, uniques = _codes(plate_keys, "plates")
    frame = pd.DataFrame({"p": codes[ctrl], "v": v[ctrl]}).groupby("p")["v"]
    n_ctrl = frame.size().reindex(range(len(uniques)), fill_value=0).to_numpy()
    few = np.flatnonzero(n_ctrl < 1 + ddof)
    if len(few):
        raise ValueError(
            f"plates {uniques[few[:10]].tolist()} have fewer than {1 + ddof} control well(s); "
            "the per-plate SD needs them (check `controls`, or drop those plates)"
        )
    mean = frame.mean().to_numpy()
    sd = frame.std(ddof=ddof).to_numpy()
    flat = np.flatnonzero(~(sd > 0))
    if len(flat):
        raise ValueError(
            f"plates {uniques[flat[:10]].tolist()}: the control wells all have the same value "
            "(SD 0), so the normalized change is undefined"
        )
    return (v - mean[codes]) / sd[codes]


def cell_count_scores(
    values: Sequence[float] | np.ndarray | pd.Series,
    perturbations: Sequence[object] | np.ndarray | pd.Series,
    plates: Sequence[object] | np.ndarray | pd.Series,
    controls: Sequence[bool] | np.ndarray | pd.Series,
    *,
    ddof: int = 1,
) -> pd.DataFrame:
    """The cell-count baseline score of every perturbation (the cell-count paper, Methods).

    Per plate, the perturbation's wells are averaged and normalized against the plate's controls
    ((mean - control mean) / control SD, :func:`normalize_to_controls`); the score is the median
    of these over the plates (replicates).

    Returns
    -------
    DataFrame, one row per non-control perturbation in order of first appearance:
    ``perturbation``, ``n_plates``, ``n_wells``, ``cell_count_score``.
    """
    z = normalize_to_controls(values, plates, controls, ddof=ddof)
    perts = _key_vector(perturbations, len(z), "perturbations")
    plate_keys = _key_vector(plates, len(z), "plates")
    ctrl = np.asarray(controls, dtype=bool)
    frame = pd.DataFrame({"pert": perts[~ctrl], "plate": plate_keys[~ctrl], "z": z[~ctrl]})
    if frame.empty:
        raise ValueError("every well is a control: no perturbation to score")
    frame["order"] = pd.factorize(frame["pert"])[0]
    per_plate = frame.groupby(["order", "plate"], sort=False).agg(pert=("pert", "first"), z=("z", "mean"), n=("z", "size"))
    per_pert = per_plate.groupby(level="order", sort=True).agg(
        perturbation=("pert", "first"), n_plates=("z", "size"), n_wells=("n", "sum"), cell_count_score=("z", "median")
    )
    return per_pert.reset_index(drop=True)
