"""Exact null distributions of AP and mAP by enumeration (``null_sampler="exact"``).

The null AP of a query with k positives among N ranked pairs is the AP of a uniformly random
k-subset of the N ranks (copairs issue 105: "compute exact p-value for small null
configurations"). There are comb(N, k) equally likely rank sets; when that number is at most
``exact_limit`` (default :data:`EXACT_LIMIT`) every one of them is enumerated (vectorised, in
chunks of at most :data:`CHUNK_ROWS` rank sets) and the AP of each is computed with the same
float32 arithmetic as the samplers of :mod:`mapeval.nulls` (so the sampled null values are
exactly values of this support). The distribution is stored as its sorted distinct values
(float64 holding the float32 AP) with their exact counts.

p-values (docs/methods.md §1, "The nulls"):

* one AP, or the mAP of a group whose members share one configuration (the shared null: they
  share one null row, so the group null is that configuration's AP): p = P(X >= observed),
  exact;
* a group mixing configurations c with m_c members each: the null of its mAP is
  sum_c (m_c / m) X_c with the X_c independent across configurations (copairs' shared null) or,
  with ``map_null="independent"``, (1/m) sum_i X_i over independent members. Its distribution
  is the exact convolution of the (weighted) member distributions while the support stays at
  most ``exact_limit`` values; beyond that, and for configurations with more than
  ``exact_limit`` rank sets, the p-value is Monte Carlo with ``null_size`` draws (from the exact
  marginals where they exist, from the fast sampler otherwise), p = (1 + #{null >= mAP}) /
  (1 + null_size), and the output column ``p_value_exact`` is False (an
  :class:`ExactNullWarning` says how many).

Ties: the observed value is float64, the null values are float32 APs; a null value counts as
>= the observed value x when it is >= x - tol with tol = (k_max + 2) * 2**-23 * |x|, twice the
bound of float32's rounding error of an AP with k_max positives (so rank sets with exactly the
observed AP always count; distinct APs closer than tol, which float32 cannot separate either,
count too: conservative by at most their probability).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ._checks import positive_int, seed_value
from .nulls import null_distributions

#: Default largest comb(N, k) enumerated (and largest support of a convolution).
EXACT_LIMIT = 2_000_000
#: Rank sets per enumeration chunk (rows x k cells bound the memory: ~2M x k x 4 bytes).
CHUNK_ROWS = 1 << 20
#: Values of a convolution closer than this (relative) are merged (rounding of the sums).
_MERGE_RTOL = 1e-12


class ExactNullWarning(UserWarning):
    """Some p-values asked for with ``null_sampler="exact"`` are Monte Carlo (see ``p_value_exact``)."""


def check_exact_limit(value: object) -> int:
    """``exact_limit`` as a positive int (TypeError / ValueError naming the argument otherwise)."""
    return positive_int(value, "exact_limit", "the largest comb(N, k) enumerated, e.g. 2000000")


def tie_tolerance(observed: np.ndarray | float, k_max: int) -> np.ndarray:
    """Absolute tolerance under which a null value ties the observed value (module docstring)."""
    return (int(k_max) + 2) * 2.0**-23 * np.abs(np.asarray(observed, dtype=np.float64))


def _rank_dtype(n: int) -> type:
    # the samplers' rank dtype: it decides the float32 / float64 arithmetic of the AP
    return np.uint16 if n < 2**16 else np.uint32


def ap_of_rank_sets(ranks: np.ndarray) -> np.ndarray:
    """AP of sorted 0-based positive ranks (rows), float32 as :mod:`mapeval.nulls` computes it.

    ``ranks``: (rows, k) array in the samplers' dtype (uint16 below N = 65,536, else uint32),
    C-contiguous (the row sums are then summed in the same order). Returns (rows,) float32.
    """
    k = ranks.shape[1]
    pr_k = np.arange(1, k + 1, dtype=np.float32) / (ranks + 1)
    return (pr_k.sum(axis=1) / k).astype(np.float32)


def all_combinations(n: int, k: int, dtype: type = np.int64) -> np.ndarray:
    """Every k-subset of range(n) as a (comb(n, k), k) array, rows sorted, lexicographic order."""
    if k == 0:
        return np.zeros((1, 0), dtype=dtype)
    if k > n:
        return np.zeros((0, k), dtype=dtype)
    cols = [np.arange(n - k + 1, dtype=np.int64)]
    for i in range(1, k):
        last = cols[-1]
        counts = (n - k + i) - last  # choices for the next element: last + 1 .. n - k + i
        idx = np.repeat(np.arange(len(last)), counts)
        starts = np.cumsum(counts) - counts
        nxt = last[idx] + 1 + (np.arange(len(idx)) - starts[idx])
        cols = [c[idx] for c in cols] + [nxt]
    out = np.empty((len(cols[0]), k), dtype=dtype)
    for j, c in enumerate(cols):
        out[:, j] = c
    return out


def combination_chunks(n: int, k: int, max_rows: int = CHUNK_ROWS, dtype: type = np.int64) -> Iterator[np.ndarray]:
    """Every k-subset of range(n), lexicographically, in chunks of at most ``max_rows`` rows
    (split on the leading elements when comb(n, k) is larger)."""
    if math.comb(n, k) <= max_rows or k == 0:
        yield all_combinations(n, k, dtype)
        return
    for a in range(n - k + 1):
        for sub in combination_chunks(n - a - 1, k - 1, max_rows, dtype):
            out = np.empty((len(sub), k), dtype=dtype)
            out[:, 0] = a
            out[:, 1:] = sub + (a + 1)
            yield out


@dataclass(frozen=True)
class ExactNull:
    """A finite null distribution: sorted distinct ``values`` with their probabilities.

    ``values`` (float64) and ``probs`` (float64, summing to 1); ``k_max`` is the largest number
    of positives of the APs it is made of (for the tie tolerance); ``counts`` (int64) holds the
    exact number of rank sets per value for a single configuration (None for convolutions).
    """

    values: np.ndarray
    probs: np.ndarray
    k_max: int
    counts: np.ndarray | None = None

    @property
    def survival(self) -> np.ndarray:
        """P(X >= values[i]) for every i (exact counts where they exist)."""
        if self.counts is not None:
            tail = np.cumsum(self.counts[::-1])[::-1]
            return tail / tail[0]
        return np.minimum(np.cumsum(self.probs[::-1])[::-1], 1.0)

    def p_greater_equal(self, observed: np.ndarray | float) -> np.ndarray:
        """P(X >= x) for each observed x, ties within :func:`tie_tolerance` counted as >=."""
        x = np.asarray(observed, dtype=np.float64)
        idx = np.searchsorted(self.values, x - tie_tolerance(x, self.k_max), side="left")
        tail = np.r_[self.survival, 0.0]
        return tail[idx]

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` independent draws (float64), by the inverse of the exact CDF."""
        cdf = np.cumsum(self.probs)
        cdf[-1] = 1.0
        return self.values[np.searchsorted(cdf, rng.random(size), side="right").clip(0, len(cdf) - 1)]


def ap_null_distribution(k: int, n: int, exact_limit: int = EXACT_LIMIT) -> ExactNull | None:
    """The exact null of the AP of k positives among n ranked pairs, or None when comb(n, k) >
    ``exact_limit``.

    Every k-subset of the n ranks is enumerated (equally likely) and its AP computed in float32
    as the samplers compute it; values are the distinct APs (float64), counts the number of rank
    sets giving each.
    """
    k, n = int(k), int(n)
    if not 1 <= k <= n:
        raise ValueError(f"invalid null configuration (k, N) = ({k}, {n}): need 1 <= k <= N")
    exact_limit = check_exact_limit(exact_limit)
    total = math.comb(n, k)
    if total > exact_limit:
        return None
    dtype = _rank_dtype(n)
    values, counts = [], []
    for ranks in combination_chunks(n, k, CHUNK_ROWS, np.int64):
        ap = ap_of_rank_sets(np.ascontiguousarray(ranks.astype(dtype)))
        v, c = np.unique(ap, return_counts=True)
        values.append(v)
        counts.append(c)
    v_all = np.concatenate(values)
    c_all = np.concatenate(counts)
    v, inv = np.unique(v_all, return_inverse=True)
    c = np.bincount(inv.ravel(), weights=c_all, minlength=len(v)).astype(np.int64)
    assert c.sum() == total
    return ExactNull(v.astype(np.float64), c / total, k, c)


def _merge(values: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values (near-equal sums merged) with summed probabilities."""
    order = np.argsort(values, kind="stable")
    v, p = values[order], probs[order]
    if len(v) == 0:
        return v, p
    new = np.r_[True, np.diff(v) > _MERGE_RTOL * np.maximum(np.abs(v[1:]), 1e-300)]
    starts = np.flatnonzero(new)
    return v[starts], np.add.reduceat(p, starts)


def convolve(parts: Sequence[tuple[ExactNull, float]], limit: int) -> ExactNull | None:
    """Distribution of sum_i w_i X_i for independent X_i (``parts`` = [(X_i, w_i)]), or None
    when a partial support would exceed ``limit`` values."""
    values = np.zeros(1)
    probs = np.ones(1)
    k_max = 0
    for dist, weight in parts:
        if len(values) * len(dist.values) > limit:
            return None
        values = (values[:, None] + weight * dist.values[None, :]).ravel()
        probs = (probs[:, None] * dist.probs[None, :]).ravel()
        values, probs = _merge(values, probs)
        k_max = max(k_max, dist.k_max)
    return ExactNull(values, probs / probs.sum(), k_max)


def _mc_seed(*keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(x) for x in keys]))


class ExactNulls:
    """Exact nulls of a set of configurations, with Monte Carlo fallbacks (see module docstring).

    Parameters
    ----------
    configs : (n_configs, 2) int array of (k, N), unique.
    null_size : Monte Carlo draws where the exact distribution is not used.
    seed : seed of those draws (per configuration, and per group composition).
    exact_limit : largest comb(N, k) enumerated, and largest support of a convolution.
    """

    def __init__(self, configs: np.ndarray, null_size: int, seed: int, exact_limit: int = EXACT_LIMIT):
        self.configs = np.asarray(configs, dtype=np.int64).reshape(-1, 2)
        self.null_size = positive_int(null_size, "null_size", "e.g. null_size=10000")
        self.seed = seed_value(seed)
        self.limit = check_exact_limit(exact_limit)
        self.dists = [ap_null_distribution(k, n, self.limit) for k, n in self.configs.tolist()]
        self._draws: dict[int, np.ndarray] = {}

    @property
    def n_inexact_configs(self) -> int:
        return sum(d is None for d in self.dists)

    def _draw(self, c: int, rng_keys: tuple[int, ...]) -> np.ndarray:
        """``null_size`` draws of configuration c (float64) from a stream keyed by ``rng_keys``."""
        k, n = self.configs[c].tolist()
        rng = _mc_seed(self.seed, k, n, *rng_keys)
        dist = self.dists[c]
        if dist is not None:
            return dist.sample(self.null_size, rng)
        sub_seed = int(rng.integers(2**63))
        return null_distributions(np.array([[k, n]]), self.null_size, sub_seed, "fast")[0].astype(np.float64)

    def shared_draw(self, c: int) -> np.ndarray:
        """The Monte Carlo row of configuration c shared by every group (as copairs shares it)."""
        if c not in self._draws:
            self._draws[c] = self._draw(c, ())
        return self._draws[c]

    def p_values(self, member_configs: np.ndarray, observed: np.ndarray, map_null: str) -> tuple[np.ndarray, bool]:
        """p = P(group null >= observed) for groups with the member configurations
        ``member_configs`` (indices into ``configs``, one per member), and whether it is exact.

        ``observed``: the mAPs of the groups sharing this composition.
        """
        member_configs = np.asarray(member_configs)
        uniq, m_c = np.unique(member_configs, return_counts=True)
        m = len(member_configs)
        observed = np.asarray(observed, dtype=np.float64)
        k_max = int(self.configs[uniq, 0].max())
        if all(self.dists[c] is not None for c in uniq):
            if map_null == "shared":
                parts = [(self.dists[c], cnt / m) for c, cnt in zip(uniq.tolist(), m_c.tolist())]
            else:
                parts = [(self.dists[c], 1.0 / m) for c in sorted(member_configs.tolist())]
            if len(parts) == 1:
                dist = parts[0][0]  # one configuration: the group null is its AP null
            else:
                dist = convolve(parts, self.limit)
            if dist is not None:
                return dist.p_greater_equal(observed), True
        # Monte Carlo: shared rows per configuration, or independent rows per member
        total = np.zeros(self.null_size)
        if map_null == "shared":
            for c, cnt in zip(uniq.tolist(), m_c.tolist()):
                total += (cnt / m) * self.shared_draw(c)
        else:
            flat = [int(v) for c in sorted(member_configs.tolist()) for v in self.configs[c]]
            for i, c in enumerate(sorted(member_configs.tolist())):
                total += self._draw(c, (m, *flat, i)) / m
        tol = tie_tolerance(observed, k_max)
        null = np.sort(total)
        count = len(null) - np.searchsorted(null, observed - tol, side="left")
        return (1 + count) / (1 + self.null_size), False


def warn_inexact(n_groups: int, n_inexact: int, nulls: ExactNulls) -> None:
    """One :class:`ExactNullWarning` saying how many p-values are Monte Carlo, and why."""
    if not n_inexact:
        return
    big = [(int(k), int(n)) for (k, n), d in zip(nulls.configs.tolist(), nulls.dists) if d is None]
    why = []
    if big:
        k, n = max(big, key=lambda kn: math.comb(kn[1], kn[0]))
        why.append(f"{len(big)} configuration(s) have more than exact_limit={nulls.limit:,} rank "
                   f"lists (largest: comb({n}, {k}) = {math.comb(n, k):.3g})")
    why.append("groups mixing configurations whose convolution would exceed exact_limit values")
    warnings.warn(
        f"null_sampler='exact': {n_inexact} of {n_groups} p-values are Monte Carlo with "
        f"null_size={nulls.null_size:,} draws (column p_value_exact is False for them): "
        + "; or ".join(why) + ". Raise exact_limit to enumerate more (cost grows with it).",
        ExactNullWarning,
        stacklevel=3,
    )


def exact_ap_p_values(configs: np.ndarray, rev: np.ndarray, values: np.ndarray, null_size: int,
                      seed: int, exact_limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-AP p = P(X >= AP) with the exact null of each AP's configuration (Monte Carlo, with
    the fast sampler, for configurations above ``exact_limit``).

    Returns (p, exact) aligned with ``values``; ``rev`` maps each value to its configuration.
    """
    nulls = ExactNulls(configs, null_size, seed, exact_limit)
    p = np.empty(len(values))
    exact = np.ones(len(values), dtype=bool)
    for c in range(len(configs)):
        sel = rev == c
        if not sel.any():
            continue
        dist = nulls.dists[c]
        if dist is not None:
            p[sel] = dist.p_greater_equal(values[sel])
        else:
            null = np.sort(nulls.shared_draw(c))
            x = values[sel]
            count = len(null) - np.searchsorted(null, x - tie_tolerance(x, configs[c, 0]), side="left")
            p[sel] = (1 + count) / (1 + null_size)
            exact[sel] = False
    warn_inexact(len(values), int((~exact).sum()), nulls)
    return p, exact


def exact_group_p_values(
    configs: np.ndarray,
    rev: np.ndarray,
    member_rows: Sequence[np.ndarray],
    maps: np.ndarray,
    map_null: str,
    null_size: int,
    seed: int,
    exact_limit: int = EXACT_LIMIT,
) -> tuple[np.ndarray, np.ndarray]:
    """mAP p-value of every group under the exact null (``get_map_pvalue(null_sampler="exact")``).

    Parameters
    ----------
    configs : (n_configs, 2) unique (k, N) of the scored rows; ``rev`` (n_rows,) their index.
    member_rows : rows of each group; ``maps`` (n_groups,) observed mAPs.
    map_null : "shared" or "independent" (module docstring).

    Returns
    -------
    p : (n_groups,) P(group null >= mAP) (or its Monte Carlo estimate, see ``exact``).
    exact : (n_groups,) bool, True where ``p`` is the exact probability.
    """
    nulls = ExactNulls(configs, null_size, seed, exact_limit)
    by_comp: dict[tuple[int, ...], list[int]] = {}
    for g, rows in enumerate(member_rows):
        # the group null depends only on its members' configurations, not on their order
        by_comp.setdefault(tuple(sorted(rev[rows].tolist())), []).append(g)
    p = np.empty(len(member_rows))
    exact = np.empty(len(member_rows), dtype=bool)
    for comp, groups in by_comp.items():
        p[groups], exact[groups] = nulls.p_values(np.array(comp), maps[groups], map_null)
    warn_inexact(len(member_rows), int((~exact).sum()), nulls)
    return p, exact
