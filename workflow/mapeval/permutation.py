"""Label-permutation tests: mAP (:func:`permutation_map`) and energy distance
(:func:`energy_distance_test`) against the same relabelings (docs/methods.md §1.8).

copairs' null shuffles each query's binary rank list on its own (copairs issue 69, "Can queries
really be permuted independently?"). That is the null of one AP; the APs of one perturbation's
replicates are not independent (they are ranked against the same controls), so the mAP of a
group needs its joint null. This module shuffles the *profile labels* instead, and recomputes
every query's rank list:

* **Design** (the workflow's replicate-vs-control calling convention, or consistency with one
  label per profile): for the groups of ``sameby``, each group's queries Q (its rows with an AP)
  must be pairwise positives (a complete positive set), and every query's negatives must be all
  rows of its ``neg_sameby`` group that are negatives of any query there (the controls), other
  than the group's own queries. The group's *pool* is Q plus those negatives. Designs that do
  not have this structure are refused with the reason.
* **Relabeling**: choose which |Q| pool profiles carry the group's label, within *strata*
  (``strata`` column, else the ``neg_sameby`` groups, else one stratum): in stratum s, as many
  labelled profiles as the group has queries there. A relabelled query's positives are the other
  labelled profiles; its negatives are the unlabelled pool profiles of its ``neg_sameby`` group.
  Its AP follows copairs' rules (float32 similarities, positives first on ties); the statistic is
  the mean AP over the labelled profiles.
* **Count**: prod_s comb(|pool in s|, |Q in s|) relabelings. When that is at most
  ``n_permutations`` every relabeling is enumerated (the observed one included) and
  p = #{mAP_perm >= mAP_obs} / count is the exact permutation p-value; otherwise
  B = ``n_permutations`` relabelings are drawn uniformly (independently, with replacement, the
  observed one allowed) and p = (1 + #{mAP_perm >= mAP_obs}) / (1 + B). Ties (within 1e-10
  relative) count as >=, or, with ``tie_break="similarity"``, only when the relabeling's mean
  positive-pair similarity is >= the observed one (mAP ties often with 2 replicates).
* **Seeds**: the relabelings of the group with output position i come from
  ``numpy.random.default_rng(numpy.random.SeedSequence([seed, i]))``; results do not depend on
  ``threads``. :func:`energy_distance_test` builds the same pools, strata and relabelings, so for
  the same arguments and seed both tests see identical relabelings.

Cost: the rank of every pool profile among its own ``neg_sameby`` group's pool profiles is
precomputed once for the profiles shared by many groups (the controls): a (controls x controls)
float32 key matrix and its within-group rank counts (6-8 bytes a cell: 0.4 GB for 8,320
controls, a 100,000-well screen). Each group adds its queries' similarities to its pool; each
relabeling then costs O(|Q|^2) lookups (plus comparisons with the group's own |Q| rows),
independent of the number of controls. Above ``max_memory_mb`` only the within-``neg_sameby``
blocks are kept and similarities across them are recomputed when needed (slower, bounded).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from ._checks import column_list, positive_int, probability, seed_value
from .average_precision import negatives_per_row, prepare_inputs, resolve_similarity
from .exact import all_combinations
from .nulls import benjamini_hochberg
from .pairs import NegativeRule, all_differ, codes, group_ids, pairs_within_groups
from .parallel import map_blocks, resolve_threads
from .similarity import PairwiseSimilarity, Similarity

#: Default memory (MB) for the shared (controls x controls) matrices.
MAX_MEMORY_MB = 4096
#: Relative tolerance under which a permuted statistic ties the observed one (counts as >=).
TIE_RTOL = 1e-10
#: Cells of the per-chunk (group x relabeling x query x positive) arrays.
_CHUNK_PAIRS = 600_000
#: Cells of one comparison batch (pairs x pool profiles).
_COMPARE_CELLS = 4_000_000
#: Rows of the shared matrices computed per block.
_ROW_BLOCK = 512
_INF32 = np.float32(np.inf)


# --------------------------------------------------------------------------------------------
# argument checks and the design


def _check_args(n_permutations: object, seed: object, strata: object, max_memory_mb: object) -> tuple:
    n_permutations = positive_int(n_permutations, "n_permutations", "e.g. n_permutations=1000")
    seed = seed_value(seed)
    if strata is not None and not isinstance(strata, str):
        raise TypeError(f"strata must be a column name (str) or None, got {strata!r}")
    if isinstance(max_memory_mb, bool) or not isinstance(max_memory_mb, (int, float)) or not max_memory_mb > 0:
        raise ValueError(f"max_memory_mb must be a positive number, got {max_memory_mb!r}")
    return n_permutations, seed, strata, float(max_memory_mb)


def _negatives_among(neg_group: np.ndarray, diff: np.ndarray, members: np.ndarray) -> np.ndarray:
    """For every row: the number of ``members`` rows that are its negatives (same negative group
    >= 0, different in every diff column), by inclusion-exclusion over the diff columns."""
    n, n_diff = diff.shape
    valid = neg_group >= 0
    g = np.where(valid, neg_group, neg_group.max() + 1 if n else 0)
    counted = members & valid
    total = np.zeros(n, dtype=np.int64)
    for size in range(n_diff + 1):
        for cols in combinations(range(n_diff), size):
            key = group_ids(np.stack([g, *(diff[:, c] for c in cols)], axis=1))
            total += (-1) ** size * np.bincount(key[counted], minlength=int(key.max()) + 1)[key]
    if n_diff == 0:
        total -= counted  # a row is not its own negative
    total[~valid] = 0
    return total


@dataclass
class Design:
    """Groups, pools and strata of a permutation test (see the module docstring).

    Row numbers refer to ``meta`` after ``reset_index``. ``s_rows`` are the shared pool profiles
    (negatives of some query), ordered by negative group then row; ``s_start[G]``/``s_size[G]``
    their slice for negative group G; ``s_index[row]`` a row's position in ``s_rows`` (-1 if none).
    """

    keys: pd.DataFrame  # sameby values of each group, sorted
    group_queries: list[np.ndarray]  # query rows of each group, ascending
    neg_group: np.ndarray
    strata: np.ndarray
    s_rows: np.ndarray
    s_index: np.ndarray
    s_start: np.ndarray
    s_size: np.ndarray
    s_strata_counts: dict[int, dict[int, int]]  # G -> stratum -> number of shared rows


def _design(meta: pd.DataFrame, lists: dict, keep: np.ndarray, sameby: list[str],
            strata_col: str | None) -> Design:
    n = len(meta)
    known: dict[str, np.ndarray] = {}
    pos_group = group_ids(codes(meta, lists["pos_sameby"], known))
    rows = np.flatnonzero(keep)
    i, j = pairs_within_groups(pos_group, rows)
    pos_diff = codes(meta, lists["pos_diffby"], known)
    sel = all_differ(pos_diff, i, j)
    i, j = i[sel], j[sel]
    if len(i) == 0:
        raise ValueError(f"no positive pairs: no two profiles match pos_sameby={lists['pos_sameby']} "
                         f"and pos_diffby={lists['pos_diffby']}")
    n_pos = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    q_rows = np.flatnonzero(n_pos > 0)
    for c in sameby:
        na = meta[c].iloc[q_rows].isna().to_numpy()
        if na.any():
            raise ValueError(f"sameby column {c!r} has missing values in {int(na.sum())} scored row(s) "
                             f"(first: row {int(q_rows[na][0])}); fill them or drop those rows")
    try:
        grouped = meta.iloc[q_rows].groupby(sameby, sort=True, observed=True)
        gid_q = grouped.ngroup().to_numpy()
    except TypeError as err:
        raise ValueError(f"sameby columns {sameby} hold unhashable values such as lists ({err})") from err
    keys = grouped.size().reset_index()[sameby]
    gid = np.full(n, -1, dtype=np.int64)
    gid[q_rows] = gid_q
    sizes = np.bincount(gid_q)

    cross = gid[i] != gid[j]
    if cross.any():
        a, b = int(i[cross][0]), int(j[cross][0])
        raise ValueError(
            f"rows {a} and {b} are a positive pair but belong to different sameby groups "
            f"({meta.iloc[a][sameby].to_dict()} vs {meta.iloc[b][sameby].to_dict()}): the permutation "
            "test relabels the profiles of one group, so sameby must hold every positive pair "
            "(e.g. sameby = the perturbation column of pos_sameby)")
    short = n_pos[q_rows] != sizes[gid_q] - 1
    if short.any():
        r = int(q_rows[short][0])
        raise ValueError(
            f"row {r} has {int(n_pos[r])} positive pair(s) but its sameby group has "
            f"{int(sizes[gid[r]]) - 1} other scored profile(s): the permutation test needs every "
            "profile of a group to be a positive of every other one (pos_diffby or pos_sameby "
            "split the group); pass a sameby that matches the positive pairs")
    neg_group = np.where(keep, group_ids(codes(meta, lists["neg_sameby"], known)), -1)
    diff = codes(meta, lists["neg_diffby"], known)
    both = (neg_group[i] >= 0) & (neg_group[i] == neg_group[j]) & all_differ(diff, i, j)
    if both.any():
        raise ValueError(f"rows {int(i[both][0])} and {int(j[both][0])} are both a positive and a "
                         "negative pair; the permutation test needs disjoint positive and negative pairs")
    rule = NegativeRule(neg_group, diff)
    n_neg = negatives_per_row(rule, q_rows)
    if (n_neg == 0).any():
        r = int(q_rows[n_neg == 0][0])
        raise ValueError(
            f"{int((n_neg == 0).sum())} profile(s) have positive pairs but no negative pairs (first: "
            f"row {r}, {meta.iloc[r][sameby].to_dict()}): there are no controls in its "
            "neg_sameby group; check neg_sameby/neg_diffby and the controls")
    scored = n_pos > 0
    in_s = (_negatives_among(neg_group, diff, scored) > 0) & (neg_group >= 0)
    n_neg_groups = int(neg_group.max()) + 1
    s_size = np.bincount(neg_group[in_s], minlength=n_neg_groups)
    # queries of group g that are also shared rows of their negative group (consistency designs)
    shared_q = q_rows[in_s[q_rows]]
    pair_key = neg_group * (len(sizes) + 1) + gid
    overlap = np.zeros(len(q_rows), dtype=np.int64)
    if len(shared_q):
        u, cnt = np.unique(pair_key[shared_q], return_counts=True)
        at = np.searchsorted(u, pair_key[q_rows]).clip(0, len(u) - 1)
        overlap = np.where(u[at] == pair_key[q_rows], cnt[at], 0)
    expected = s_size[neg_group[q_rows]] - overlap
    bad = n_neg != expected
    if bad.any():
        r = int(q_rows[bad][0])
        raise ValueError(
            f"row {r} has {int(n_neg[bad][0])} negative pairs, but {int(expected[bad][0])} profiles of "
            "its neg_sameby group are negatives of some query there: the permutation test needs every "
            "query of a neg_sameby group to be ranked against the same profiles (its controls), so "
            "that relabelling them is exchangeable; neg_diffby excludes different profiles for "
            "different queries here (e.g. a plate or batch column in neg_diffby). Express per-plate "
            "controls with neg_sameby=[plate] instead")

    # strata
    pooled = in_s | scored
    if strata_col is None:
        strata = neg_group.copy()
    else:
        values = meta[strata_col]
        na = values.isna().to_numpy() & pooled
        if na.any():
            raise ValueError(f"strata column {strata_col!r} has missing values at pooled row(s) "
                             f"{np.flatnonzero(na)[:10].tolist()}")
        try:
            strata = pd.factorize(values)[0].astype(np.int64)
        except TypeError as err:
            raise ValueError(f"strata column {strata_col!r} holds unhashable values ({err})") from err
        if lists["neg_sameby"]:
            rows_p = np.flatnonzero(pooled)
            pairs = pd.DataFrame({"s": strata[rows_p], "g": neg_group[rows_p]}).drop_duplicates()
            multi = pairs["s"].duplicated(keep=False)
            if multi.any():
                s_val = values.iloc[rows_p[strata[rows_p] == pairs["s"][multi].iloc[0]][0]]
                s_val = s_val.item() if isinstance(s_val, np.generic) else s_val
                raise ValueError(
                    f"strata column {strata_col!r}: stratum {s_val!r} spans several neg_sameby groups "
                    f"({lists['neg_sameby']}); strata must lie within them (relabelling within a "
                    "stratum keeps each query's negatives in its own group)")
    # pos_diffby: relabelled profiles must still differ in every pos_diffby column
    rows_p = np.flatnonzero(pooled)
    for c, col in enumerate(lists["pos_diffby"]):
        vals = pos_diff[rows_p, c]
        if len(np.unique(vals)) == len(vals):
            continue  # one profile per value: labelled profiles always differ
        one_stratum = pd.DataFrame({"v": vals, "s": strata[rows_p]}).groupby("v")["s"].nunique().max() == 1
        one_query = not pd.DataFrame({"g": gid[q_rows], "s": strata[q_rows]}).duplicated().any()
        if not (one_stratum and one_query):
            raise ValueError(
                f"pos_diffby column {col!r}: relabelled profiles could share a value of it (a value "
                "occurs in several strata, or a group has several queries in one stratum), and the "
                "positive pairs of a relabelling would then differ from the design's. Use strata "
                f"that hold one value of {col!r} each with one query per group (e.g. "
                f"strata={col!r}), or drop {col!r} from pos_diffby")

    s_rows = np.flatnonzero(in_s)
    s_rows = s_rows[np.lexsort((s_rows, neg_group[s_rows]))]
    s_index = np.full(n, -1, dtype=np.int64)
    s_index[s_rows] = np.arange(len(s_rows))
    s_start = np.r_[0, np.cumsum(s_size)[:-1]].astype(np.int64)
    s_strata_counts: dict[int, dict[int, int]] = {}
    gs, st = neg_group[s_rows], strata[s_rows]
    for (g, s), c in pd.Series(1, index=pd.MultiIndex.from_arrays([gs, st])).groupby(level=[0, 1]).size().items():
        s_strata_counts.setdefault(int(g), {})[int(s)] = int(c)
    order = np.argsort(gid_q, kind="stable")
    group_queries = np.split(q_rows[order], np.cumsum(sizes)[:-1])
    return Design(keys, group_queries, neg_group, strata, s_rows, s_index, s_start,
                  s_size.astype(np.int64), s_strata_counts)


# --------------------------------------------------------------------------------------------
# pools and relabelings


@dataclass
class Pool:
    """One group's pool: its own rows first (queries that are not shared, ``e`` of them), then
    the shared rows of its negative groups. ``identity`` holds the positions of its queries."""

    rows: np.ndarray
    s_index: np.ndarray  # position in Design.s_rows, -1 for the group's own rows
    neg_group: np.ndarray
    strata: np.ndarray
    identity: np.ndarray
    e: int


def _pool_shape(design: Design, g: int) -> tuple[int, int, int, int]:
    """(queries, own rows, pool size, number of relabelings) of group g, without building it."""
    q = design.group_queries[g]
    own = q[design.s_index[q] < 0]
    gs = np.unique(design.neg_group[q])
    n_pool = len(own) + int(design.s_size[gs].sum())
    sizes: dict[int, int] = {}
    for G in gs.tolist():
        for s, c in design.s_strata_counts.get(G, {}).items():
            sizes[s] = sizes.get(s, 0) + c
    for s in design.strata[own].tolist():
        sizes[s] = sizes.get(s, 0) + 1
    labelled = pd.Series(design.strata[q]).value_counts()
    count = 1
    for s, k in labelled.items():
        count *= math.comb(sizes[int(s)], int(k))
    return len(q), len(own), n_pool, count


def _pool(design: Design, g: int) -> Pool:
    q = design.group_queries[g]
    in_s = design.s_index[q] >= 0
    own = q[~in_s]
    gs = np.unique(design.neg_group[q])
    sizes = design.s_size[gs]
    shared = np.concatenate([design.s_rows[design.s_start[G]: design.s_start[G] + design.s_size[G]]
                             for G in gs.tolist()])
    rows = np.r_[own, shared].astype(np.int64)
    # positions of the queries: own rows first (in order), shared ones inside their group's slice
    qs = q[in_s]
    at = np.searchsorted(gs, design.neg_group[qs])
    offset = len(own) + np.r_[0, np.cumsum(sizes)[:-1]][at]
    shared_pos = offset + design.s_index[qs] - design.s_start[design.neg_group[qs]]
    identity = np.sort(np.r_[np.arange(len(own)), shared_pos])
    return Pool(rows, design.s_index[rows], design.neg_group[rows], design.strata[rows], identity, len(own))


def _draw_subsets(rng: np.random.Generator, size: int, k: int, n_draws: int) -> np.ndarray:
    """``n_draws`` uniform k-subsets of range(size), one per row (sorted)."""
    if k == size:
        return np.broadcast_to(np.arange(size), (n_draws, size)).copy()
    if k * k < size:
        out = np.sort(rng.integers(0, size, size=(n_draws, k)), axis=1)
        while k > 1:
            dup = (np.diff(out, axis=1) == 0).any(axis=1)
            if not dup.any():
                break
            out[dup] = np.sort(rng.integers(0, size, size=(int(dup.sum()), k)), axis=1)
        return out
    keys = rng.random((n_draws, size))
    return np.sort(np.argpartition(keys, k - 1, axis=1)[:, :k], axis=1)


def relabelings(pool: Pool, n_permutations: int, rng: np.random.Generator) -> tuple[np.ndarray, bool, int]:
    """The relabelings of one pool: (L, enumerated, count).

    L is (B, |Q|) pool positions, each row sorted; all ``count`` relabelings (B = count) when
    count <= ``n_permutations``, else B = ``n_permutations`` uniform draws (strata independent).
    """
    strata = pool.strata
    labelled = strata[pool.identity]
    levels, k_s = np.unique(labelled, return_counts=True)
    members = [np.flatnonzero(strata == s) for s in levels.tolist()]
    count = 1
    for m, k in zip(members, k_s.tolist()):
        count *= math.comb(len(m), k)
    if count <= n_permutations:
        parts = [m[all_combinations(len(m), k)] for m, k in zip(members, k_s.tolist())]
        grids = np.meshgrid(*[np.arange(len(p)) for p in parts], indexing="ij")
        cols = [p[gr.ravel()] for p, gr in zip(parts, grids)]
        out = np.concatenate(cols, axis=1)
        return np.sort(out, axis=1), True, count
    cols = [m[_draw_subsets(rng, len(m), k, n_permutations)] for m, k in zip(members, k_s.tolist())]
    return np.sort(np.concatenate(cols, axis=1), axis=1), False, count


def group_rng(seed: int, position: int) -> np.random.Generator:
    """The random stream of the group at output ``position`` (shared by both tests)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(position)]))


def _chunks(design: Design, n_permutations: int) -> list[list[int]]:
    """Groups in chunks of equal shape (queries, own rows, pool size, relabelings), bounded."""
    buckets: dict[tuple[int, int, int, int], list[int]] = {}
    for g in range(len(design.group_queries)):
        n1, e, n_pool, count = _pool_shape(design, g)
        b = min(count, n_permutations)
        buckets.setdefault((n1, e, n_pool, b), []).append(g)
    out = []
    for (n1, _e, _n, b), groups in sorted(buckets.items()):
        step = max(1, _CHUNK_PAIRS // ((b + 1) * n1 * n1))
        out += [groups[s: s + step] for s in range(0, len(groups), step)]
    return out


# --------------------------------------------------------------------------------------------
# shared matrices over the pooled profiles that many groups share (the controls)


class SharedBlock:
    """Values among the shared rows (``Design.s_rows``), computed once.

    ``value(i, j)`` gives a (float32 rank key, or float64 distance) for shared positions i, j;
    with ``ranks``, ``less(i, j)`` = #{u in i's negative group, u != i: value(i, u) < value(i, j)}
    and ``less_value(i, t)`` the same count for arbitrary thresholds t.
    Full mode keeps the whole (n_shared x n_shared) matrix; block mode only the
    within-negative-group blocks and recomputes the rest with ``pair_fn``.
    """

    def __init__(self, design: Design, block_fn: Callable, pair_fn: Callable, dtype: type,
                 ranks: bool, max_bytes: float, threads: int):
        self.start, self.size = design.s_start, design.s_size
        self.group = design.neg_group[design.s_rows]
        self.rows = design.s_rows
        self.pair_fn = pair_fn
        n_s = len(design.s_rows)
        self.rank_dtype = np.uint16 if self.size.max(initial=0) < 2**16 else np.uint32
        cell = np.dtype(dtype).itemsize + (np.dtype(self.rank_dtype).itemsize if ranks else 0)
        self.full = n_s * n_s * cell <= max_bytes
        if not self.full:
            need = float((self.size.astype(np.float64) ** 2).sum() * cell)
            if need > max_bytes:
                raise ValueError(
                    f"the permutation test needs {need / 2**20:,.1f} MB for the controls of the largest "
                    f"neg_sameby group ({int(self.size.max()):,} profiles shared by many groups) but "
                    f"max_memory_mb={max_bytes / 2**20:g}: raise max_memory_mb, or use per-plate "
                    "controls (neg_sameby=[plate]) or fewer control profiles")
        if self.full:
            self.values = np.empty((n_s, n_s), dtype=dtype)
            self.ranks = np.empty((n_s, n_s), dtype=self.rank_dtype) if ranks else None
            tasks = [(a, min(a + _ROW_BLOCK, n_s)) for a in range(0, n_s, _ROW_BLOCK)]

            def fill(task):
                a, b = task
                v = block_fn(self.rows[a:b], self.rows)
                v[np.arange(b - a), np.arange(a, b)] = np.inf  # a row is never its own negative
                self.values[a:b] = v
                if ranks:
                    for r in range(a, b):
                        lo, hi = self.start[self.group[r]], self.start[self.group[r]] + self.size[self.group[r]]
                        seg = np.sort(v[r - a, lo:hi])
                        self.ranks[r] = np.searchsorted(seg, v[r - a], side="left")
            for _ in map_blocks(fill, tasks, threads):
                pass
        else:
            self.offset = np.r_[0, np.cumsum(self.size.astype(np.int64) ** 2)[:-1]]
            total = int((self.size.astype(np.int64) ** 2).sum())
            self.values = np.empty(total, dtype=dtype)
            self.ranks = np.empty(total, dtype=self.rank_dtype) if ranks else None

            def fill_group(G):
                lo, m = int(self.start[G]), int(self.size[G])
                if m == 0:
                    return
                v = block_fn(self.rows[lo:lo + m], self.rows[lo:lo + m])
                v[np.arange(m), np.arange(m)] = np.inf
                o = int(self.offset[G])
                self.values[o:o + m * m] = v.ravel()
                if ranks:
                    seg = np.sort(v, axis=1)
                    self.ranks[o:o + m * m] = np.concatenate(
                        [np.searchsorted(seg[r], v[r], side="left") for r in range(m)])
            for _ in map_blocks(fill_group, range(len(self.size)), threads):
                pass

    def _flat(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        g = self.group[i]
        return self.offset[g] + (i - self.start[g]) * self.size[g] + (j - self.start[g])

    def value(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if self.full:
            return self.values[i, j]
        same = self.group[i] == self.group[j]
        out = np.empty(len(i), dtype=self.values.dtype)
        out[same] = self.values[self._flat(i[same], j[same])]
        if (~same).any():
            out[~same] = self.pair_fn(self.rows[i[~same]], self.rows[j[~same]])
        return out

    def less(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if self.full:
            return self.ranks[i, j].astype(np.int64)
        same = self.group[i] == self.group[j]
        out = np.empty(len(i), dtype=np.int64)
        out[same] = self.ranks[self._flat(i[same], j[same])]
        if (~same).any():
            out[~same] = self.less_value(i[~same], self.value(i[~same], j[~same]))
        return out

    def less_value(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        """#{u in i's negative group, u != i: value(i, u) < t}, by direct comparison."""
        out = np.zeros(len(i), dtype=np.int64)
        if len(i) == 0:
            return out
        g = self.group[i]
        width = int(self.size[g].max())
        step = max(1, _COMPARE_CELLS // width)
        lane = np.arange(width)
        for a in range(0, len(i), step):
            ii, gg, tt = i[a:a + step], g[a:a + step], t[a:a + step]
            valid = lane[None, :] < self.size[gg][:, None]
            if self.full:
                cols = np.where(valid, self.start[gg][:, None] + lane[None, :], 0)
                v = self.values[ii[:, None], cols]
            else:
                local = np.where(valid, lane[None, :], 0)
                v = self.values[(self.offset[gg] + (ii - self.start[gg]) * self.size[gg])[:, None] + local]
            out[a:a + step] = ((v < tt[:, None]) & valid).sum(axis=1)
        return out


# --------------------------------------------------------------------------------------------
# the statistics of a chunk of groups


def _chunk_inputs(design: Design, groups: list[int], n_permutations: int, seed: int):
    pools = [_pool(design, g) for g in groups]
    labels, enumerated, counts = [], [], []
    for g, pool in zip(groups, pools):
        L, enum, count = relabelings(pool, n_permutations, group_rng(seed, g))
        labels.append(np.vstack([pool.identity[None, :], L]))  # row 0: the observed labelling
        enumerated.append(enum)
        counts.append(count)
    return pools, np.stack(labels), np.array(enumerated), counts


def _p_values(stat: np.ndarray, enumerated: np.ndarray, secondary: np.ndarray | None = None) -> np.ndarray:
    """p from the observed statistic (column 0) and the relabelled ones (columns 1..B).

    ``secondary``: a statistic that orders relabelings whose ``stat`` ties the observed one
    (they count as >= only when their secondary value is >= the observed one).
    """
    obs = stat[:, :1]
    tol = TIE_RTOL * np.abs(obs)
    if secondary is None:
        ge = (stat[:, 1:] >= obs - tol).sum(axis=1)
    else:
        tie = np.abs(stat[:, 1:] - obs) <= tol
        ge = ((stat[:, 1:] > obs + tol) | (tie & (secondary[:, 1:] >= secondary[:, :1]))).sum(axis=1)
    b = stat.shape[1] - 1
    return np.where(enumerated, ge / b, (1 + ge) / (1 + b))


def _map_chunk(design: Design, sim: Similarity, shared: SharedBlock, groups: list[int],
               n_permutations: int, seed: int, tie_break: str | None = None) -> tuple:
    pools, L, enumerated, counts = _chunk_inputs(design, groups, n_permutations, seed)
    nc, b1, n1 = L.shape
    e, n_pool = pools[0].e, len(pools[0].rows)
    p_sidx = np.stack([p.s_index for p in pools])
    p_group = np.stack([p.neg_group for p in pools])
    # keys of the group's own rows (queries outside the shared set) to its whole pool
    es = _own_blocks(pools, e, lambda r, c: np.float32(1.0) - sim.block(r, c), np.float32, _INF32)
    # every (query a, positive c != a) of every relabeling, flattened: shape (nc, b1, n1, n1 - 1)
    k = n1 - 1
    a_idx, c_idx = _off_diagonal(n1)
    shape = (nc, b1, n1, k)
    gi = np.broadcast_to(np.arange(nc, dtype=np.intp)[:, None, None, None], shape).ravel()
    qp = L[:, :, a_idx].reshape(nc, b1, n1, k).ravel()
    jp = L[:, :, c_idx].reshape(nc, b1, n1, k).ravel()
    q_own, j_own = qp < e, jp < e
    sq, sj = p_sidx[gi, qp], p_sidx[gi, jp]
    gq = p_group[gi, qp]
    t = np.empty(len(qp), dtype=np.float32)
    base = np.zeros(len(qp), dtype=np.int64)
    m1 = np.flatnonzero(q_own)
    m2 = np.flatnonzero(~q_own & j_own)
    m3 = np.flatnonzero(~q_own & ~j_own)
    t[m1] = es[gi[m1], qp[m1], jp[m1]]
    t[m2] = es[gi[m2], jp[m2], qp[m2]]
    t[m3] = shared.value(sq[m3], sj[m3])
    # own query q: its pool rows of its negative group with a smaller key
    step = max(1, _COMPARE_CELLS // n_pool)
    for a in range(0, len(m1), step):
        idx = m1[a:a + step]
        row = es[gi[idx], qp[idx]]  # (m, n_pool)
        same = p_group[gi[idx]] == gq[idx][:, None]
        base[idx] = ((row < t[idx][:, None]) & same).sum(axis=1)
    # shared query q: shared rows of its group (precomputed ranks or direct) + the group's own rows
    base[m3] = shared.less(sq[m3], sj[m3])
    base[m2] = shared.less_value(sq[m2], t[m2])
    if e:
        ms = np.r_[m2, m3]
        own_keys = es[gi[ms][:, None], np.arange(e)[None, :], qp[ms][:, None]]  # (m, e)
        own_same = p_group[:, :e][gi[ms]] == gq[ms][:, None]
        base[ms] += ((own_keys < t[ms][:, None]) & own_same).sum(axis=1)
    t = t.reshape(shape)
    same_g = (gq == p_group[gi, jp]).reshape(shape)
    # positives by key (ties: any order, they get the same count); the labelled profiles of q's
    # negative group ranked strictly above positive m are positives, not negatives: subtract them
    order = np.argsort(t, axis=-1, kind="stable")
    ts = np.take_along_axis(t, order, axis=-1)
    gs = np.take_along_axis(same_g, order, axis=-1).astype(np.int64)
    before = np.cumsum(gs, axis=-1) - gs
    run_start = np.maximum.accumulate(
        np.where(np.r_[True, np.zeros(k - 1, bool)] | np.concatenate(
            [np.ones(shape[:-1] + (1,), bool), ts[..., 1:] != ts[..., :-1]], axis=-1),
            np.arange(k), 0), axis=-1)
    c_sorted = np.take_along_axis(base.reshape(shape), order, axis=-1) - np.take_along_axis(before, run_start, axis=-1)
    m = np.arange(1, n1, dtype=np.float64)
    ap = (m / (m + c_sorted)).sum(axis=-1) / k
    stat = ap.mean(axis=-1)  # (nc, b1)
    # tie_break="similarity": the mean similarity of the positive pairs (1 - mean rank key),
    # summed in the same order for the same labelled set, so identical sets tie exactly
    secondary = -t.reshape(nc, b1, -1).astype(np.float64).mean(axis=-1) if tie_break else None
    return groups, stat[:, 0], _p_values(stat, enumerated, secondary), stat.shape[1] - 1, counts, enumerated


def _own_blocks(pools: list[Pool], e: int, block_fn: Callable, dtype: type, diagonal: float) -> np.ndarray:
    """(groups, e, pool size) values of each group's own rows to its pool: one block per
    distinct shared part (groups with the same controls share it), so that the shared rows are
    gathered once per chunk, not once per group; ``diagonal`` on each own row's own entry."""
    nc, n_pool = len(pools), len(pools[0].rows)
    out = np.empty((nc, e, n_pool), dtype=dtype)
    if e == 0:
        return out
    by_part: dict[bytes, list[int]] = {}
    for c, pool in enumerate(pools):
        by_part.setdefault(pool.rows[e:].tobytes(), []).append(c)
    for members in by_part.values():
        own = np.concatenate([pools[c].rows[:e] for c in members])
        cols = pools[members[0]].rows[e:]
        if len(cols):
            out[members, :, e:] = block_fn(own, cols).reshape(len(members), e, len(cols))
        for c in members:
            out[c, :, :e] = block_fn(pools[c].rows[:e], pools[c].rows[:e])
            out[c, np.arange(e), np.arange(e)] = diagonal
    return out


def _off_diagonal(n1: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, c) of every ordered pair a != c of range(n1), a-major (n1 * (n1 - 1) pairs)."""
    a, c = np.nonzero(~np.eye(n1, dtype=bool))
    return a, c


def _energy_chunk(design: Design, dist_fn: Callable, shared: SharedBlock, row_sums: np.ndarray,
                  block_sums: np.ndarray, groups: list[int], n_permutations: int, seed: int) -> tuple:
    pools, L, enumerated, counts = _chunk_inputs(design, groups, n_permutations, seed)
    nc, b1, n1 = L.shape
    e, n_pool = pools[0].e, len(pools[0].rows)
    n2 = n_pool - n1
    rowsum = np.empty((nc, n_pool))
    total = np.empty(nc)
    ed = _own_blocks(pools, e, dist_fn, np.float64, 0.0)
    p_sidx = np.stack([p.s_index for p in pools])
    for c, pool in enumerate(pools):
        gs = np.unique(pool.neg_group[e:])
        s = pool.s_index[e:]
        rowsum[c, e:] = row_sums[s][:, gs].sum(axis=1) + (ed[c, :, e:].sum(axis=0) if e else 0.0)
        if e:
            rowsum[c, :e] = ed[c].sum(axis=1)
        total[c] = block_sums[np.ix_(gs, gs)].sum() + (2 * ed[c, :, e:].sum() + ed[c, :, :e].sum() if e else 0.0)
    gi = np.broadcast_to(np.arange(nc)[:, None, None, None], (nc, b1, n1, n1)).ravel()
    qp = np.broadcast_to(L[:, :, :, None], (nc, b1, n1, n1)).ravel()
    jp = np.broadcast_to(L[:, :, None, :], (nc, b1, n1, n1)).ravel()
    d = np.zeros(len(qp))
    off = qp != jp
    m1 = off & (qp < e)
    m2 = off & (qp >= e) & (jp < e)
    m3 = off & (qp >= e) & (jp >= e)
    d[m1] = ed[gi[m1], qp[m1], jp[m1]]
    d[m2] = ed[gi[m2], jp[m2], qp[m2]]
    d[m3] = shared.value(p_sidx[gi[m3], qp[m3]], p_sidx[gi[m3], jp[m3]])
    within_x = d.reshape(nc, b1, n1 * n1).sum(axis=-1)
    labelled_sums = np.take_along_axis(rowsum[:, None, :], L, axis=-1).sum(axis=-1)
    cross = labelled_sums - within_x
    within_y = total[:, None] - within_x - 2 * cross
    stat = 2 * cross / (n1 * n2) - within_x / n1**2 - within_y / n2**2
    return groups, stat[:, 0], _p_values(stat, enumerated), stat.shape[1] - 1, counts, enumerated


# --------------------------------------------------------------------------------------------
# public functions


def _prepare(meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby, sameby, strata,
             similarity, distance):
    if not isinstance(meta, pd.DataFrame):
        raise TypeError(f"meta must be a pandas DataFrame, got {type(meta).__name__}")
    sameby = column_list(sameby, "sameby")
    missing = [c for c in sameby if c not in meta.columns]
    if missing:
        raise ValueError(f"sameby column(s) {missing} not in metadata; have {list(meta.columns)}")
    if strata is not None and strata not in meta.columns:
        raise ValueError(f"strata column {strata!r} not in metadata; have {list(meta.columns)} "
                         "(e.g. strata='Metadata_Plate' to relabel within plates, or None)")
    similarity = resolve_similarity(similarity, distance)
    extra = [*sameby, *([strata] if strata else [])]
    meta2, lists, keep, _used, sim = prepare_inputs(
        meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby, similarity, extra_columns=extra)
    return meta2, lists, keep, sim, sameby


def _collect(design: Design, results: Iterator[tuple], name: str) -> pd.DataFrame:
    n_groups = len(design.group_queries)
    stat = np.empty(n_groups)
    p = np.empty(n_groups)
    b = np.empty(n_groups, dtype=np.int64)
    count = np.empty(n_groups, dtype=np.float64)
    enum = np.empty(n_groups, dtype=bool)
    for groups, s, pv, bb, counts, en in results:
        stat[groups], p[groups], b[groups], enum[groups] = s, pv, bb, en
        count[groups] = [float(c) for c in counts]
    out = design.keys.copy()
    out[name] = stat
    out["p_value"] = p
    out["corrected_p_value"] = benjamini_hochberg(p)
    out["n_permutations"] = b
    out["n_relabelings"] = count
    out["p_value_exact"] = enum
    return out


def permutation_plan(
    meta: pd.DataFrame,
    pos_sameby: Sequence[str],
    pos_diffby: Sequence[str],
    neg_sameby: Sequence[str],
    neg_diffby: Sequence[str],
    sameby: str | Sequence[str],
    n_permutations: int = 1000,
    seed: int = 0,
    strata: str | None = None,
) -> pd.DataFrame:
    """The pools and relabelings :func:`permutation_map` and :func:`energy_distance_test` use.

    For inspection and for checking the tests with other statistics. Returns one row per group
    (sorted by ``sameby``): the ``sameby`` columns, ``pool`` (row positions of the group's pool
    in ``meta``), ``labelled`` (its queries), ``relabelings`` ((B, n_queries) row positions,
    each row one relabeling), ``n_relabelings`` and ``enumerated``.
    """
    n_permutations, seed, strata, _ = _check_args(n_permutations, seed, strata, MAX_MEMORY_MB)
    dummy = np.ones((len(meta), 1)) if isinstance(meta, pd.DataFrame) else None
    meta2, lists, keep, _sim, sameby = _prepare(meta, dummy, pos_sameby, pos_diffby, neg_sameby,
                                                neg_diffby, sameby, strata, "euclidean", None)
    design = _design(meta2, lists, keep, sameby, strata)
    out = design.keys.copy()
    pools, labelled, relabels, counts, enumerated = [], [], [], [], []
    for g in range(len(design.group_queries)):
        pool = _pool(design, g)
        lab, enum, count = relabelings(pool, n_permutations, group_rng(seed, g))
        pools.append(np.sort(pool.rows))
        labelled.append(pool.rows[pool.identity])
        relabels.append(pool.rows[lab])
        counts.append(count)
        enumerated.append(enum)
    out["pool"] = pools
    out["labelled"] = labelled
    out["relabelings"] = relabels
    out["n_relabelings"] = [float(c) for c in counts]
    out["enumerated"] = enumerated
    return out


def permutation_map(
    meta: pd.DataFrame,
    feats: np.ndarray | pd.DataFrame,
    pos_sameby: Sequence[str],
    pos_diffby: Sequence[str],
    neg_sameby: Sequence[str],
    neg_diffby: Sequence[str],
    sameby: str | Sequence[str],
    n_permutations: int = 1000,
    threshold: float = 0.05,
    seed: int = 0,
    strata: str | None = None,
    *,
    similarity: str | PairwiseSimilarity = "cosine",
    distance: str | PairwiseSimilarity | None = None,
    threads: int | None = None,
    max_memory_mb: float = MAX_MEMORY_MB,
    tie_break: str | None = None,
) -> pd.DataFrame:
    """mAP of each group with its label-permutation p-value (module docstring; copairs issue 69).

    A drop-in for ``mean_average_precision(average_precision(meta, feats, pos_sameby,
    pos_diffby, neg_sameby, neg_diffby), sameby, ...)`` whose null relabels which pool profiles
    carry the group's label and recomputes every rank list, instead of shuffling each rank list
    on its own.

    Parameters
    ----------
    meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby : as
        :func:`mapeval.average_precision` (replicates vs controls: the reference-index design;
        consistency: one profile per perturbation, one annotation per profile).
    sameby : column(s) of the groups (every positive pair must lie within one group, and every
        profile of a group must be a positive of every other).
    n_permutations : relabelings per group (B); all of them, exactly, when there are no more.
    threshold : significance level of ``below_p`` / ``below_corrected_p``, in (0, 1).
    seed : seed of the relabelings (group i: ``SeedSequence([seed, i])``).
    strata : column within which profiles are relabelled (e.g. the plate); default: the
        ``neg_sameby`` groups (per-plate controls: one profile per plate relabelled among that
        plate's replicate and controls), or one stratum when ``neg_sameby`` is empty.
    similarity, distance : as :func:`mapeval.average_precision`.
    threads : groups computed in parallel (None: as :func:`mapeval.average_precision`);
        results do not depend on it.
    max_memory_mb : memory for the shared (controls x controls) keys and ranks (6 bytes a
        cell); above it only the within-``neg_sameby`` blocks are kept.
    tie_break : None (default): relabelings whose mAP ties the observed one count as >=.
        "similarity": among them, only those whose mean positive-pair similarity is >= the
        observed one count (a lexicographic statistic: still an exact test). mAP is a rank
        statistic and ties often with 2 replicates (any mutually nearest pair has mAP 1);
        breaking the ties by similarity restores the size and the power there (2 replicates,
        2 x 6 controls, 5,000 features: false positives 0.025 -> 0.042, recall at 4% perturbed
        features 0.54 -> 0.81; docs/benchmarks.md); it changes nothing at 3-4 replicates.

    Returns
    -------
    DataFrame, one row per group (sorted by ``sameby``): the ``sameby`` columns,
    ``mean_average_precision`` (observed), ``p_value``, ``corrected_p_value`` (BH over the
    groups), ``below_p``, ``below_corrected_p``, then ``n_permutations`` (relabelings used, B),
    ``n_relabelings`` (how many exist, float) and ``p_value_exact`` (True when all were
    enumerated: p is then the exact permutation p-value).
    """
    n_permutations, seed, strata, max_mb = _check_args(n_permutations, seed, strata, max_memory_mb)
    threshold = probability(threshold, "threshold")
    if tie_break not in (None, "similarity"):
        raise ValueError(f"tie_break must be None or 'similarity', got {tie_break!r}")
    threads = resolve_threads(threads)
    meta2, lists, keep, sim, sameby = _prepare(meta, feats, pos_sameby, pos_diffby, neg_sameby,
                                               neg_diffby, sameby, strata, similarity, distance)
    design = _design(meta2, lists, keep, sameby, strata)

    def block_keys(rows, cols):
        return np.float32(1.0) - sim.block(rows, cols)

    def pair_keys(i, j):
        return np.float32(1.0) - sim.pairs(i, j)

    shared = SharedBlock(design, block_keys, pair_keys, np.float32, True, max_mb * 2**20, threads)
    chunks = _chunks(design, n_permutations)
    results = map_blocks(lambda gr: _map_chunk(design, sim, shared, gr, n_permutations, seed, tie_break), chunks,
                         threads)
    out = _collect(design, results, "mean_average_precision")
    extra = out[["n_permutations", "n_relabelings", "p_value_exact"]]
    out = out.drop(columns=extra.columns)
    out["below_p"] = out["p_value"] < threshold
    out["below_corrected_p"] = out["corrected_p_value"] < threshold
    return pd.concat([out, extra], axis=1)


def energy_distance_test(
    meta: pd.DataFrame,
    feats: np.ndarray | pd.DataFrame,
    pos_sameby: Sequence[str],
    pos_diffby: Sequence[str],
    neg_sameby: Sequence[str],
    neg_diffby: Sequence[str],
    sameby: str | Sequence[str],
    n_permutations: int = 1000,
    seed: int = 0,
    strata: str | None = None,
    *,
    threads: int | None = None,
    max_memory_mb: float = MAX_MEMORY_MB,
) -> pd.DataFrame:
    """Energy distance of each group's profiles from its controls, with its permutation p-value.

    For a group's labelled profiles x (n1) and the rest of its pool y (n2; the observed labelling:
    its replicates and their controls), Euclidean,
    E = 2/(n1 n2) sum ||x - y|| - 1/n1^2 sum ||x - x'|| - 1/n2^2 sum ||y - y'||
    (``dcor.energy_distance``; issue 18, RxRx3-core). The pools, strata and relabelings are
    :func:`permutation_map`'s for the same arguments and seed (the pair rules say which profiles
    are a group's controls), and the p-value is computed the same way (exact when every
    relabeling is enumerated). Distances of the pool are computed once (the controls' once for
    all groups), never per relabeling.

    Returns
    -------
    DataFrame, one row per group (sorted by ``sameby``): the ``sameby`` columns,
    ``energy_distance``, ``p_value``, ``corrected_p_value`` (BH), ``n_permutations``,
    ``n_relabelings``, ``p_value_exact``.
    """
    n_permutations, seed, strata, max_mb = _check_args(n_permutations, seed, strata, max_memory_mb)
    threads = resolve_threads(threads)
    # "euclidean" validates the features as the distances need them (finite, not huge)
    meta2, lists, keep, sim, sameby = _prepare(meta, feats, pos_sameby, pos_diffby, neg_sameby,
                                               neg_diffby, sameby, strata, "euclidean", None)
    x = sim.data
    design = _design(meta2, lists, keep, sameby, strata)

    # ||a - b||^2 = |a|^2 + |b|^2 - 2 a.b as one matrix product per block, after centring on the
    # controls' mean (which keeps the cancellation error near 1e-15 of the squared distances);
    # pairs recomputed one by one (block mode) use exact differences
    center = x[design.s_rows].mean(axis=0)

    def block_dist(rows, cols):
        a, b = x[rows] - center, x[cols] - center
        d2 = np.einsum("ij,ij->i", a, a)[:, None] + np.einsum("ij,ij->i", b, b)[None, :]
        d2 -= 2.0 * (a @ b.T)
        return np.sqrt(np.maximum(d2, 0.0, out=d2))

    def pair_dist(i, j):
        return np.sqrt(((x[i] - x[j]) ** 2).sum(axis=1))

    shared = SharedBlock(design, block_dist, pair_dist, np.float64, False, max_mb * 2**20, threads)
    n_s = len(design.s_rows)
    n_g = len(design.s_size)
    # row sums of every shared profile's distances to each negative group's shared profiles
    row_sums = np.zeros((n_s, n_g))
    for G in range(n_g):
        lo, m = int(design.s_start[G]), int(design.s_size[G])
        for a in range(0, n_s, _ROW_BLOCK):
            b = min(a + _ROW_BLOCK, n_s)
            if shared.full:
                v = shared.values[a:b, lo:lo + m].copy()
            else:
                v = block_dist(design.s_rows[a:b], design.s_rows[lo:lo + m])
            v[~np.isfinite(v)] = 0.0  # the diagonal (a profile to itself)
            row_sums[a:b, G] = v.sum(axis=1)
    block_sums = np.zeros((n_g, n_g))
    for G in range(n_g):
        lo, m = int(design.s_start[G]), int(design.s_size[G])
        block_sums[G] = row_sums[lo:lo + m].sum(axis=0)
    chunks = _chunks(design, n_permutations)
    results = map_blocks(lambda gr: _energy_chunk(design, block_dist, shared, row_sums, block_sums, gr,
                                                  n_permutations, seed), chunks, threads)
    return _collect(design, results, "energy_distance")
