"""Null distributions of AP and p-values (SPEC §1.3-§1.5).

The null of a query with k positives among N ranked pairs is the AP of a random binary list with
k ones among N. Two samplers give the same distribution:

* ``"copairs"``: copairs 0.5.5 bit for bit: one seed per configuration drawn by
  ``default_rng(seed).integers(8096, size=n_configs)`` in sorted (k, N) order, each sample a full
  shuffle of ``arange(N)`` whose first k entries are the positive ranks. Costs O(N) per sample.
* ``"fast"`` (default): draws only the k positive ranks (uniform k-subsets of range(N)) and
  computes AP with the same float32 arithmetic as copairs, so null values are identical
  functions of the rank set. Costs O(k) per sample.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from ._checks import positive_int, seed_value

NULL_SAMPLERS = ("fast", "copairs")
_CHUNK_CELLS = 8_000_000


def check_sampler(sampler: object) -> str:
    """The null sampler name, or a ValueError naming the choices."""
    if sampler not in NULL_SAMPLERS:
        raise ValueError(f"null_sampler must be one of {NULL_SAMPLERS}, got {sampler!r}")
    return str(sampler)


def _ap_of_ranks(ranks: np.ndarray) -> np.ndarray:
    """AP of sorted 0-based positive ranks, float32 exactly as copairs computes it."""
    k = ranks.shape[1]
    pr_k = np.arange(1, k + 1, dtype=np.float32) / (ranks + 1)
    return (pr_k.sum(axis=1) / k).astype(np.float32)


def _rank_dtype(n: int) -> type:
    return np.uint16 if n < 2**16 else np.uint32


def _copairs_samples(null_size: int, k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    dtype = _rank_dtype(n)
    out = np.empty(null_size, dtype=np.float32)
    chunk = max(1, _CHUNK_CELLS // n)
    for s in range(0, null_size, chunk):
        rows = min(chunk, null_size - s)
        idx = np.tile(np.arange(n, dtype=dtype), (rows, 1))
        rng.permuted(idx, axis=1, out=idx)
        out[s : s + rows] = _ap_of_ranks(np.sort(idx[:, :k], axis=1))
    return out


def _fast_samples(null_size: int, k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    dtype = _rank_dtype(n)
    out = np.empty(null_size, dtype=np.float32)
    chunk = max(1, _CHUNK_CELLS // max(k, 1))
    sparse_draw = k * k < n  # duplicates are rare: draw with replacement and redraw collisions
    for s in range(0, null_size, chunk):
        rows = min(chunk, null_size - s)
        if sparse_draw:
            ranks = np.sort(rng.integers(0, n, size=(rows, k)), axis=1)
            while True:
                dup = (np.diff(ranks, axis=1) == 0).any(axis=1) if k > 1 else np.zeros(rows, bool)
                if not dup.any():
                    break
                ranks[dup] = np.sort(rng.integers(0, n, size=(int(dup.sum()), k)), axis=1)
        else:
            sub = max(1, _CHUNK_CELLS // n)
            ranks = np.empty((rows, k), dtype=np.int64)
            for t in range(0, rows, sub):
                r = min(sub, rows - t)
                keys = rng.random((r, n))
                ranks[t : t + r] = np.sort(np.argpartition(keys, k - 1, axis=1)[:, :k], axis=1)
        out[s : s + rows] = _ap_of_ranks(ranks.astype(dtype))
    return out


def config_seeds(n_configs: int, seed: int) -> np.ndarray:
    """One seed in [0, 8096) per configuration, as copairs draws them."""
    return np.random.default_rng(seed).integers(8096, size=n_configs)


def null_distributions(
    configs: np.ndarray, null_size: int, seed: int, sampler: str = "fast"
) -> np.ndarray:
    """Null AP samples for each configuration.

    Parameters
    ----------
    configs : (n_configs, 2) int array of (n_pos_pairs k, n_total_pairs N), sorted and unique
        (``np.unique(..., axis=0)`` order, which defines the per-configuration seeds).
    null_size : samples per configuration.
    seed : top-level seed.
    sampler : "fast" or "copairs".

    Returns
    -------
    (n_configs, null_size) float32 array.
    """
    sampler = check_sampler(sampler)
    null_size = positive_int(null_size, "null_size", "e.g. null_size=10000")
    seed = seed_value(seed)
    configs = np.asarray(configs, dtype=np.int64).reshape(-1, 2)
    bad = (configs[:, 0] < 1) | (configs[:, 0] > configs[:, 1])
    if bad.any():
        raise ValueError(
            f"invalid null configuration (k, N) = {tuple(configs[bad][0].tolist())}: need 1 <= k <= N"
        )
    draw = _copairs_samples if sampler == "copairs" else _fast_samples
    seeds = config_seeds(len(configs), seed)
    out = np.empty((len(configs), null_size), dtype=np.float32)
    for c, ((k, n), s) in enumerate(zip(configs.tolist(), seeds.tolist())):
        key = (sampler, k, n, s, null_size)
        row = _NULL_CACHE.get(key)
        if row is None:
            row = draw(null_size, k, n, np.random.default_rng(s))
            _NULL_CACHE.put(key, row)
        out[c] = row
    return out


class _NullCache:
    """Null rows already drawn in this process, by (sampler, k, N, sub-seed, null_size).

    A row is a pure function of its key, so a cache hit returns exactly what a new draw would
    (unlike copairs' disk cache, keyed without the sub-seed). Repeated calls with the same
    configurations (Cell Health's many mAP calls of one design, or ``mean_average_precision``
    then ``ap_p_values``) draw each null once. Bounded by ``MAPEVAL_NULL_CACHE_MB`` (default
    128; 0 turns it off), least recently used rows dropped first.
    """

    def __init__(self) -> None:
        self._rows: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._bytes = 0

    @staticmethod
    def limit_bytes() -> int:
        value = os.environ.get("MAPEVAL_NULL_CACHE_MB", "").strip() or "128"
        try:
            mb = float(value)
        except ValueError as err:
            raise ValueError(f"environment variable MAPEVAL_NULL_CACHE_MB={value!r} is not a number") from err
        return max(0, int(mb * 2**20))

    def get(self, key: tuple) -> np.ndarray | None:
        row = self._rows.get(key)
        if row is not None:
            self._rows.move_to_end(key)
        return row

    def put(self, key: tuple, row: np.ndarray) -> None:
        limit = self.limit_bytes()
        if row.nbytes > limit:
            return
        row = row.copy()
        row.flags.writeable = False
        self._rows[key] = row
        self._bytes += row.nbytes
        while self._bytes > limit:
            _, old = self._rows.popitem(last=False)
            self._bytes -= old.nbytes

    def clear(self) -> None:
        self._rows.clear()
        self._bytes = 0


_NULL_CACHE = _NullCache()


def independent_group_null(
    member_configs: Iterable[tuple[int, int]], null_size: int, seed: int, sampler: str = "fast"
) -> np.ndarray:
    """mAP null of a group whose members each draw their own, independent null row.

    The random stream depends only on ``seed`` and the (sorted) member configurations, so groups
    with the same composition get the same null (their p-values stay valid one by one).
    """
    members = sorted((int(k), int(n)) for k, n in member_configs)
    flat = [v for kn in members for v in kn]
    ss = np.random.SeedSequence([seed, len(members), *flat])
    draw = _copairs_samples if sampler == "copairs" else _fast_samples
    total = np.zeros(null_size, dtype=np.float64)
    for (k, n), child in zip(members, ss.spawn(len(members))):
        total += draw(null_size, k, n, np.random.default_rng(child))
    return (total / len(members)).astype(np.float32)


def p_value_greater(null_sorted: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(1 + #{null > value}) / (1 + null_size), for a sorted null (the mAP rule, SPEC §1.4).

    The comparison is made in the null's precision, as copairs 0.5.5 makes it: it compares its
    float32 null with the mAP as a Python float, which numpy 2 (NEP 50, "weak" Python scalars)
    does in float32, i.e. against float32(mAP). A null value that ties float32(mAP) is therefore
    not counted even when it exceeds the float64 mAP.
    """
    null_sorted = np.asarray(null_sorted)
    values = np.asarray(values, dtype=np.float64)
    if null_sorted.dtype == np.float32:
        values = values.astype(np.float32)
    n = len(null_sorted)
    return (1 + n - np.searchsorted(null_sorted, values, side="right")) / (n + 1)


def p_value_greater_one(null: np.ndarray, value: float) -> float:
    """:func:`p_value_greater` of one value against an unsorted null (a count: no sort needed)."""
    null = np.asarray(null)
    v = np.float32(value) if null.dtype == np.float32 else np.float64(value)
    return (1 + int(np.count_nonzero(null > v))) / (len(null) + 1)


def p_value_greater_equal(null_sorted: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(1 + #{null >= value}) / (1 + null_size), for a sorted null (the per-AP rule, SPEC §1.5).

    The comparison is made in float64, as copairs 0.5.5 makes it: ``np.searchsorted`` of its
    sorted float32 null with the AP as a numpy float64 scalar promotes both to float64, so a
    null value counts only when it is >= the float64 AP (float32 rounding of the AP plays no part).
    """
    null_sorted = np.asarray(null_sorted)
    values = np.asarray(values, dtype=np.float64)
    n = len(null_sorted)
    return (1 + n - np.searchsorted(null_sorted.astype(np.float64), values, side="left")) / (n + 1)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (statsmodels ``fdr_bh``), same order as the input."""
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("p_values must be 1-D")
    if np.isnan(p).any():
        raise ValueError("p_values contain NaN")
    n = len(p)
    if n == 0:
        return p.copy()
    order = np.argsort(p, kind="mergesort")
    scaled = p[order] / (np.arange(1, n + 1) / n)  # statsmodels fdr_bh arithmetic
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(adjusted, 1.0)
    return out
