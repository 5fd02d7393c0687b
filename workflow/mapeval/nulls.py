"""Null distributions of AP and p-values (SPEC §1.3-§1.5).

The null of a query with k positives among N ranked pairs is the AP of a random binary list with
k ones among N. Two samplers give the same distribution:

* ``"copairs"``: copairs 0.5.5 bit for bit: one seed per configuration drawn by
  ``default_rng(seed).integers(8096, size=n_configs)`` in sorted (k, N) order, each sample a full
  shuffle of ``arange(N)`` whose first k entries are the positive ranks. Costs O(N) per sample.
* ``"fast"`` (default): draws only the k positive ranks (uniform k-subsets of range(N)) and
  computes AP with the same float32 arithmetic as copairs, so null values are identical
  functions of the rank set. When k or N - k is at most N/3 it draws the smaller of the two
  rank sets without touching the other ranks (k values with replacement, repeated ones redrawn):
  O(k) per sample, plus O(N) to list the positives when the negatives were drawn (k >= 2N/3);
  in between, the k smallest of N random keys: O(N).

Draws expected to take :data:`LONG_DRAW_SECONDS` or more report their progress through the
``logging`` module (logger ``"mapeval"``, level INFO: shown once a script calls e.g.
``logging.basicConfig(stream=sys.stderr, level=logging.INFO)``; nothing by default).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

import numpy as np

from ._checks import positive_int, seed_value
from .parallel import map_blocks, resolve_threads

#: "exact" enumerates the null (mapeval.exact); it draws no samples, so null_distributions refuses it.
NULL_SAMPLERS = ("fast", "copairs", "exact")
_CHUNK_CELLS = 8_000_000


def check_sampler(sampler: object, exact_ok: bool = False) -> str:
    """The null sampler name, or a ValueError naming the choices.

    ``exact_ok``: whether "exact" is accepted (the mAP and AP p-value functions); samplers of
    null rows (:func:`null_distributions`) refuse it.
    """
    if sampler not in NULL_SAMPLERS:
        raise ValueError(f"null_sampler must be one of {NULL_SAMPLERS}, got {sampler!r}")
    if sampler == "exact" and not exact_ok:
        raise ValueError(
            "null_sampler='exact' enumerates null distributions and draws no null rows: this "
            "function takes 'fast' or 'copairs' (the exact null of one configuration is "
            "mapeval.exact.ap_null_distribution(k, n))"
        )
    return str(sampler)


def _ap_of_ranks(ranks: np.ndarray) -> np.ndarray:
    """AP of sorted 0-based positive ranks, float32 exactly as copairs computes it."""
    k = ranks.shape[1]
    pr_k = np.arange(1, k + 1, dtype=np.float32) / (ranks + 1)
    return (pr_k.sum(axis=1) / k).astype(np.float32)


def _rank_dtype(n: int) -> type:
    return np.uint16 if n < 2**16 else np.uint32


#: Cells (samples x N) of int64 ranks shuffled per chunk by the copairs sampler (16 MB).
_COPAIRS_CHUNK_CELLS = 2_000_000
#: The fast sampler draws the smaller of the positive and the negative rank sets by redrawing
#: repeated ranks when it is at most this share of N; above it, the positives are the k smallest
#: of N random keys (redrawing would take many rounds there; both cost O(N) at this share).
_REDRAW_MAX_SHARE = 1 / 3
#: Cells (samples x N) of the boolean mask that turns negative ranks into positive ones.
_MASK_CELLS = 2_000_000

Progress = Callable[[int], None]


def _copairs_samples(
    null_size: int, k: int, n: int, rng: np.random.Generator, progress: Progress | None = None
) -> np.ndarray:
    # copairs' stream: every sample is a full Fisher-Yates shuffle of arange(N), rows in order
    # (``permuted`` draws the same swaps whatever the dtype and the chunking). int64 rows shuffle
    # 10-25% faster than uint16 ones (numpy swaps 8-byte items with a fast path); the ranks are
    # cast back to the rank dtype before the AP, whose float32 arithmetic depends on it.
    dtype = _rank_dtype(n)
    out = np.empty(null_size, dtype=np.float32)
    chunk = max(1, min(null_size, _COPAIRS_CHUNK_CELLS // n))
    template = np.tile(np.arange(n, dtype=np.int64), (chunk, 1))
    work = np.empty_like(template)
    for s in range(0, null_size, chunk):
        rows = min(chunk, null_size - s)
        idx = work[:rows]
        np.copyto(idx, template[:rows])
        rng.permuted(idx, axis=1, out=idx)
        out[s : s + rows] = _ap_of_ranks(np.sort(idx[:, :k], axis=1).astype(dtype))
        if progress is not None:
            progress(rows)
    return out


def _distinct_sorted(rows: int, m: int, n: int, rng: np.random.Generator, dtype: type) -> np.ndarray:
    """(rows, m) sorted uniform m-subsets of range(n), m < n: each row drawn with replacement,
    then its duplicates redrawn (and the row re-sorted) until its values are distinct.

    Uniform: a row's state is a multiset, each round keeps its distinct values and adds fresh
    uniform draws, so every relabelling of range(n) leaves the distribution of the final set
    unchanged; relabellings reach every m-subset from any other, so all are equally likely.
    About m^2 / 2n values are redrawn in the first round and a share ~m/n of them again in each
    next one: cheap while m is a small share of n.
    """
    out = rng.integers(0, n, size=(rows, m), dtype=dtype)
    out.sort(axis=1)
    todo = np.arange(rows)
    sub = out
    while m > 1:
        dup = np.zeros(sub.shape, dtype=bool)
        np.equal(sub[:, 1:], sub[:, :-1], out=dup[:, 1:])
        has = dup.any(axis=1)
        if not has.any():
            break
        todo, sub, dup = todo[has], sub[has], dup[has]
        sub[dup] = rng.integers(0, n, size=int(dup.sum()), dtype=dtype)
        sub.sort(axis=1)
        out[todo] = sub
    return out


def _complement(ranks: np.ndarray, n: int) -> np.ndarray:
    """The sorted values of range(n) missing from each row of ``ranks`` (sorted, distinct)."""
    rows, m = ranks.shape
    out = np.empty((rows, n - m), dtype=ranks.dtype)
    step = max(1, _MASK_CELLS // n)
    for s in range(0, rows, step):
        part = ranks[s : s + step]
        mask = np.ones((len(part), n), dtype=bool)
        mask[np.arange(len(part))[:, None], part] = False
        out[s : s + step] = (np.flatnonzero(mask) % n).reshape(len(part), n - m)
    return out


def _fast_samples(
    null_size: int, k: int, n: int, rng: np.random.Generator, progress: Progress | None = None
) -> np.ndarray:
    dtype = _rank_dtype(n)
    out = np.empty(null_size, dtype=np.float32)
    chunk = max(1, _CHUNK_CELLS // max(k, 1))
    m = min(k, n - k)  # the smaller of the positive and the negative rank sets
    redraw = m <= n * _REDRAW_MAX_SHARE
    for s in range(0, null_size, chunk):
        rows = min(chunk, null_size - s)
        if redraw:
            # O(m) per sample, never touching all N ranks (the negatives when they are fewer)
            ranks = _distinct_sorted(rows, m, n, rng, dtype)
            if m < k:
                ranks = _complement(ranks, n)
        else:
            sub = max(1, _CHUNK_CELLS // n)
            ranks = np.empty((rows, k), dtype=np.int64)
            for t in range(0, rows, sub):
                r = min(sub, rows - t)
                keys = rng.random((r, n))
                ranks[t : t + r] = np.sort(np.argpartition(keys, k - 1, axis=1)[:, :k], axis=1)
        out[s : s + rows] = _ap_of_ranks(ranks.astype(dtype))
        if progress is not None:
            progress(rows)
    return out


_LOG = logging.getLogger("mapeval")
#: Null draws expected to take at least this long (seconds) log their progress.
LONG_DRAW_SECONDS = 10.0
#: A progress line at least every this many seconds, or at every further 10% of the draw ...
PROGRESS_EVERY = 30.0
#: ... but not more often than this (a short draw logs a few lines, not ten).
PROGRESS_MIN_GAP = 3.0


def draw_seconds(sampler: str, k: int, n: int) -> float:
    """Rough CPU seconds per null sample of configuration (k, N), to decide whether a draw is
    long (measured on the project machine: 2 cores of a Xeon, numpy 2.4, 2026-12)."""
    if sampler == "copairs":
        return 0.3e-6 + 13e-9 * n + 20e-9 * k  # the shuffle, then sorting the first k
    m = min(k, n - k)
    if m > n * _REDRAW_MAX_SHARE:
        return 0.3e-6 + 30e-9 * n  # random keys and a partition
    # each round of redrawing re-sorts the rows that still repeat a rank: about
    # log(m^2 / 2N) / log(N / m) rounds after the first
    rounds = 1 + max(0.0, np.log(max(m * m / (2 * n), 1.0)) / np.log(n / max(m, 1)))
    return 0.3e-6 + 8e-9 * m * rounds + (6e-9 * n if m < k else 0.0)


class DrawProgress:
    """Progress of a null draw through ``logging`` (logger ``"mapeval"``, INFO).

    Silent unless the draw is expected to take :data:`LONG_DRAW_SECONDS` or more and INFO is
    enabled for the logger; then one line at the start (the expected time), a line at every 10%
    or every :data:`PROGRESS_EVERY` seconds (whichever first, at most one per
    :data:`PROGRESS_MIN_GAP` seconds), and one at the end.
    """

    def __init__(self, what: str, expected_seconds: float) -> None:
        self.what = what
        self.total = max(expected_seconds, 1e-12)
        self.done = 0.0
        self.active = expected_seconds >= LONG_DRAW_SECONDS and _LOG.isEnabledFor(logging.INFO)
        self.start = self.last = time.monotonic()
        self.next_share = 0.1
        if self.active:
            _LOG.info("%s: expected to take about %s", what, _duration(expected_seconds))

    def advance(self, seconds_of_work: float) -> None:
        """Record work done, in expected seconds."""
        if not self.active:
            return
        self.done += seconds_of_work
        share = min(self.done / self.total, 1.0)
        now = time.monotonic()
        due = share >= self.next_share or now - self.last >= PROGRESS_EVERY
        if due and now - self.last >= PROGRESS_MIN_GAP and share < 1.0:
            elapsed = now - self.start
            left = elapsed / share * (1 - share) if share > 0 else float("nan")
            _LOG.info("%s: %.0f%% done after %s, about %s left", self.what, 100 * share,
                      _duration(elapsed), _duration(left))
            self.last = now
            self.next_share = np.floor(share * 10 + 1) / 10

    def finish(self) -> None:
        if self.active:
            _LOG.info("%s: done in %s", self.what, _duration(time.monotonic() - self.start))


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def config_seeds(n_configs: int, seed: int) -> np.ndarray:
    """One seed in [0, 8096) per configuration, as copairs draws them."""
    return np.random.default_rng(seed).integers(8096, size=n_configs)


def null_distributions(
    configs: np.ndarray, null_size: int, seed: int, sampler: str = "fast",
    threads: int | None = None,
) -> np.ndarray:
    """Null AP samples for each configuration.

    Parameters
    ----------
    configs : (n_configs, 2) int array of (n_pos_pairs k, n_total_pairs N), sorted and unique
        (``np.unique(..., axis=0)`` order, which defines the per-configuration seeds).
    null_size : samples per configuration.
    seed : top-level seed.
    sampler : "fast" or "copairs".
    threads : configurations drawn at once (None: :func:`mapeval.parallel.default_threads`,
        i.e. ``MAPEVAL_NUM_THREADS``, else ``OMP_NUM_THREADS`` as Snakemake sets it for a job,
        else the CPUs). Every configuration has its own generator, seeded by
        :func:`config_seeds`, so the rows do not depend on it.

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
    keys = [(sampler, k, n, s, null_size) for (k, n), s in zip(configs.tolist(), seeds.tolist())]
    missing = [c for c, key in enumerate(keys) if _NULL_CACHE.get(key) is None]
    cost = {c: draw_seconds(sampler, keys[c][1], keys[c][2]) for c in missing}
    progress = DrawProgress(
        f"mapeval null ({sampler} sampler): {len(missing)} configuration(s) x {null_size:,} samples",
        null_size * sum(cost.values()),
    )
    lock = threading.Lock()

    def advance(rows: int, per: float) -> None:
        with lock:
            progress.advance(rows * per)

    def draw_one(c: int) -> np.ndarray:
        _, k, n, s, _ = keys[c]
        per = cost[c]  # expected seconds per sample
        return draw(null_size, k, n, np.random.default_rng(s), lambda rows: advance(rows, per))

    for c, key in enumerate(keys):
        if c not in cost:  # cached: copied before the draws below can evict it
            out[c] = _NULL_CACHE.get(key)
    # the most expensive first, so that the threads finish together
    order = sorted(missing, key=lambda c: -cost[c])
    for c, row in zip(order, map_blocks(draw_one, order, resolve_threads(threads))):
        _NULL_CACHE.put(keys[c], row)
        out[c] = row
    progress.finish()
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
    cost = [draw_seconds(sampler, k, n) for k, n in members]
    progress = DrawProgress(
        f"mapeval independent group null ({sampler} sampler): {len(members)} member(s) x "
        f"{null_size:,} samples", null_size * sum(cost),
    )
    total = np.zeros(null_size, dtype=np.float64)
    for (k, n), child, per in zip(members, ss.spawn(len(members)), cost):
        total += draw(null_size, k, n, np.random.default_rng(child),
                      lambda rows, per=per: progress.advance(rows * per))
    progress.finish()
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
