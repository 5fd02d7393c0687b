"""Average precision of every query profile (SPEC §1.2), copairs-exact and blocked.

For query i with k positive pairs and its negative pairs, sorted by decreasing similarity (ties:
positives first), AP = (1/k) * sum_m m / r_m, where r_m is the rank of the m-th positive. Because
ties put positives first, r_m = m + #{negatives strictly more similar than positive m}. So a query
needs only, for each of its positives, a *count* of better-ranked negatives: computed from blocks
of the similarity matrix restricted to the rows that can be negatives, never from one global sort.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import positive_int
from .normalization import normalize_ap
from .pairs import (
    NegativeRule,
    all_differ,
    as_column_list,
    check_pairing_columns,
    codes,
    group_ids,
    pairs_within_groups,
    split_queries,
)
from .parallel import map_blocks, resolve_threads
from .similarity import PairwiseSimilarity, Similarity, prepare_similarity

#: Cells (query rows x candidate rows) per similarity block; bounds memory (~16 bytes a cell).
BLOCK_CELLS = 4_000_000
#: Blocks are computed in parallel threads only when they average at least this many cells.
PARALLEL_MIN_CELLS = 1_000_000
#: Rank keys compared per step (rows x candidates, 512 KB of float32): they stay in cache.
_CACHE_CELLS = 131_072
#: 1 in float32: a pair's rank key is RANK_ONE - similarity (float32, smaller keys rank first).
RANK_ONE = np.float32(1.0)


#: A query is "decided by ties" when ranking its tied negatives before its tied positives would
#: lower its AP by at least this much (chance float32 coincidences, which fall deep in long rank
#: lists, move an AP far less).
TIE_AP_CHANGE = 0.01


class TiedRanksWarning(UserWarning):
    """Some queries are decided by ties: positive pairs tie negative pairs (equal float32 similarity).

    copairs 0.5.5 (and mapeval) rank tied positives first, which raises those APs; all-identical
    profiles get AP 1 and look significant. Filter it with
    ``warnings.simplefilter("ignore", mapeval.TiedRanksWarning)`` once the ties are understood.
    """


def warn_ties(
    entry_unit: np.ndarray,
    entry_key: np.ndarray,
    counts: np.ndarray,
    ties: np.ndarray,
    ap: np.ndarray,
    n_queries: int,
    what: str = "queries",
) -> None:
    """Emit :class:`TiedRanksWarning` naming the queries whose AP the tie rule decides.

    ``ties`` holds, per positive entry, the number of its query's negatives with exactly its key.
    The AP with those negatives ranked first instead (``counts + ties``) is the AP without the
    benefit of the doubt; queries where it is lower by at least :data:`TIE_AP_CHANGE` are named.
    """
    tied = ties > 0
    if not tied.any():
        return
    units = np.unique(entry_unit[tied])
    sel = np.isin(entry_unit, units)
    low, _ = ap_from_counts(
        np.searchsorted(units, entry_unit[sel]), entry_key[sel], counts[sel] + ties[sel], len(units)
    )
    change = ap[units] - low
    decided = int((change >= TIE_AP_CHANGE).sum())
    if decided:
        rest = len(units) - decided
        others = (
            f" {len(units)} {what} have ties in all; for the other {rest} the tie rule changes the "
            f"AP by less than {TIE_AP_CHANGE:g}." if rest else ""
        )
        warnings.warn(
            f"{decided} of {n_queries} {what} are decided by ties: a positive pair ties a negative "
            "pair (equal float32 similarity) and, as in copairs 0.5.5, tied positives rank first, "
            f"which raises these APs by up to {change.max():.3g} (all-identical profiles get AP 1 "
            f"and are called significant).{others} Duplicated, constant or coarse-valued profiles "
            "are the usual cause.",
            TiedRanksWarning,
            stacklevel=3,
        )


def feature_matrix(
    feats: np.ndarray | pd.DataFrame, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Validate features: numeric, finite, one row per metadata row, at least one column.

    Returns the float64 matrix and every row's sum of squares (reused for cosine norms).
    """
    if isinstance(feats, pd.DataFrame):
        dup = feats.columns[feats.columns.duplicated()].unique().tolist()
        if dup:
            raise ValueError(
                f"duplicate feature column name(s) {dup[:10]}: every feature must have its own name "
                "(drop or rename the duplicates, e.g. feats.loc[:, ~feats.columns.duplicated()])"
            )
        bad = [c for c in feats.columns if not pd.api.types.is_numeric_dtype(feats[c])]
        if bad:
            raise ValueError(f"non-numeric feature column(s): {bad[:10]}")
        names = list(map(str, feats.columns))
        feats = feats.to_numpy(dtype=np.float64)
    else:
        feats = np.asarray(feats)
        if not np.issubdtype(feats.dtype, np.number) or np.issubdtype(feats.dtype, np.complexfloating):
            raise ValueError(f"features must be real numbers, got dtype {feats.dtype}")
        feats = feats.astype(np.float64, copy=False)
        names = None
    if feats.ndim != 2:
        raise ValueError(f"features must be 2-D (profiles x features), got shape {feats.shape}")
    if feats.shape[0] != n_rows:
        raise ValueError(f"features have {feats.shape[0]} rows but metadata has {n_rows}")
    if feats.shape[1] == 0 or n_rows == 0:
        raise ValueError(f"empty selection: {n_rows} profiles x {feats.shape[1]} features")
    # a row's sum of squares is finite exactly when its values are (unless they overflow when
    # squared): one cheap pass over the matrix; the exact check runs only when it fails
    squares = row_squares(feats)
    if np.isfinite(squares).all():
        return feats, squares
    finite = np.isfinite(feats)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        col = names[c] if names else f"column {c}"
        raise ValueError(
            f"features must be finite: {int((~finite).any(axis=1).sum())} row(s) have NaN or "
            f"infinite values (first: row {r}, feature {col!r})"
        )
    return feats, squares


def sorted_starts(values: np.ndarray) -> np.ndarray:
    """Index of the first element of every run of equal values in a sorted array."""
    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]])


def row_squares(feats: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Sum of squares of every row, chunk by chunk."""
    out = np.empty(len(feats), dtype=np.float64)
    for s in range(0, len(feats), chunk):
        x = feats[s : s + chunk]
        out[s : s + chunk] = np.einsum("ij,ij->i", x, x)
    return out


def block_threads(cells: Sequence[int], threads: int) -> tuple[int, int]:
    """How to spend ``threads`` on blocks of the given sizes (query rows x candidate rows).

    Returns (worker threads over blocks, BLAS threads per worker). Blocks of at least
    :data:`PARALLEL_MIN_CELLS` on average run in up to ``threads`` workers with one BLAS thread
    each; fewer large blocks than threads (one large block: serially) share the rest as BLAS
    threads, their products being the only parallel work left. Smaller blocks (a plate's
    queries against the plate's controls) run serially on one BLAS thread: threads cost more
    than they save on them (measured on the 1,000,000-profile same-plate screen: 2 worker
    threads 1.4-4.5x slower than 1; a 2-thread BLAS 2x slower at load 3, 11x at load 10-15,
    docs/benchmarks.md).
    """
    n = len(cells)
    big = n > 0 and sum(cells) >= PARALLEL_MIN_CELLS * n
    if not big or threads <= 1:
        return 1, 1
    workers = min(threads, n)
    return workers, max(1, threads // workers)


def better_negative_counts(
    sim: Similarity,
    entry_row: np.ndarray,
    entry_key: np.ndarray,
    rule: NegativeRule,
    batch_size: int = 2048,
    threads: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """For every positive entry, count the negatives of its query ranked strictly above it.

    Parameters
    ----------
    sim : prepared similarity.
    entry_row : (n_entries,) query row of each positive entry, sorted ascending.
    entry_key : (n_entries,) float32 rank key (1 - similarity) of each entry; smaller ranks first.
    rule : which pairs are negative.
    batch_size : query rows per block.
    threads : blocks computed at the same time (results do not depend on it).

    Returns
    -------
    counts : (n_entries,) int64, #{negatives of the query with key < entry key}.
    n_neg : (n_rows,) int64, number of negatives of every row (0 for rows that were not queried).
    ties : (n_entries,) int64, #{negatives of the query with exactly the entry's key}.
    """
    n_rows = len(rule.group)
    counts = np.zeros(len(entry_row), dtype=np.int64)
    tied = np.zeros(len(entry_row), dtype=np.int64)
    n_neg = np.zeros(n_rows, dtype=np.int64)
    first = sorted_starts(entry_row)
    queries = entry_row[first]
    q_first = np.zeros(n_rows, dtype=np.int64)
    q_count = np.zeros(n_rows, dtype=np.int64)
    q_first[queries] = first
    q_count[queries] = np.diff(np.r_[first, len(entry_row)])

    groups = rule.group
    order = np.argsort(groups, kind="stable")
    g_sorted = groups[order]
    bounds = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1], True])
    members_of = {
        int(g_sorted[a]): order[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if g_sorted[a] >= 0
    }
    # queries by negative group (ascending row number within a group), in batches
    q_groups = groups[queries]
    q_order = np.argsort(q_groups, kind="stable")
    qg_sorted = q_groups[q_order]
    q_bounds = np.flatnonzero(np.r_[True, qg_sorted[1:] != qg_sorted[:-1], True])
    tasks = []
    for a, b in zip(q_bounds[:-1], q_bounds[1:]):
        g = int(qg_sorted[a])
        if g < 0:
            continue
        g_queries = queries[q_order[a:b]]
        # queries sharing diffby values end up in the same block: better candidate pruning
        if rule.diff.shape[1] and len(g_queries) > batch_size:
            g_queries = g_queries[np.lexsort(rule.diff[g_queries].T[::-1])]
        tasks += [(g, g_queries[s : s + batch_size]) for s in range(0, len(g_queries), batch_size)]
    workers, blas_threads = block_threads(
        [len(q) * len(members_of[g]) for g, q in tasks], threads
    )
    block_cells = max(1, BLOCK_CELLS // workers)

    def count(task: tuple[int, np.ndarray]):
        g, q = task
        cand = rule.candidates(q, members_of[g])
        if len(cand) == 0:
            return None
        starts = q_first[q]
        ks = q_count[q]
        kmax = int(ks.max())
        # positive keys padded with -inf (never beaten) into a (len(q), kmax) matrix
        slot = np.arange(kmax)[None, :]
        valid = slot < ks[:, None]
        idx = np.where(valid, starts[:, None] + slot, 0)
        pos = np.where(valid, entry_key[idx], -np.inf).astype(np.float32)
        block_counts = np.zeros((len(q), kmax), dtype=np.int64)
        block_ties = np.zeros((len(q), kmax), dtype=np.int64)
        q_neg = np.zeros(len(q), dtype=np.int64)
        step = max(1, block_cells // max(len(q), 1))
        for c0 in range(0, len(cand), step):
            cols = cand[c0 : c0 + step]
            keys = RANK_ONE - sim.block(q, cols)
            if rule.all_negative(q, cols):
                q_neg += len(cols)
            else:
                neg = rule.mask(q, cols)
                keys[~neg] = np.inf
                q_neg += neg.sum(axis=1)
            if kmax <= 24:
                # a few rows at a time, so that the rows' keys stay in cache across the 2 * kmax
                # comparisons (strictly better negatives, and ties for the warning)
                step_rows = max(1, _CACHE_CELLS // keys.shape[1])
                flags = np.empty((min(step_rows, len(q)), keys.shape[1]), dtype=bool)
                for r0 in range(0, len(q), step_rows):
                    sub = keys[r0 : r0 + step_rows]
                    hit = flags[: len(sub)]
                    for m in range(kmax):
                        pm = pos[r0 : r0 + step_rows, m : m + 1]
                        np.less(sub, pm, out=hit)
                        block_counts[r0 : r0 + step_rows, m] += hit.sum(axis=1)
                        np.equal(sub, pm, out=hit)
                        if hit.any():  # a flat any() first: rows only when there are ties
                            block_ties[r0 : r0 + step_rows, m] += hit.sum(axis=1)
            else:
                keys.sort(axis=1)
                for r in range(len(q)):
                    left = np.searchsorted(keys[r], pos[r], side="left")
                    block_counts[r] += left
                    block_ties[r] += np.searchsorted(keys[r], pos[r], side="right") - left
        return q, q_neg, idx[valid], block_counts[valid], block_ties[valid]

    for result in map_blocks(count, tasks, workers, blas_threads):
        if result is not None:
            q, q_neg, where, found, ties = result
            n_neg[q] = q_neg
            counts[where] = found
            tied[where] = ties
    return counts, n_neg, tied


def ap_from_counts(
    entry_unit: np.ndarray, entry_key: np.ndarray, counts: np.ndarray, n_units: int
) -> tuple[np.ndarray, np.ndarray]:
    """AP per unit from its entries' better-negative counts.

    Returns (ap, k): AP (NaN for units without entries) and the number of positives per unit.
    """
    n = len(entry_unit)
    k = np.bincount(entry_unit, minlength=n_units)
    ap = np.full(n_units, np.nan)
    if n == 0:
        return ap, k
    if (entry_unit[1:] >= entry_unit[:-1]).all():
        starts = np.flatnonzero(np.r_[True, entry_unit[1:] != entry_unit[:-1]])
        sizes = np.diff(np.r_[starts, n])
        kmax = int(sizes.max())
        if len(starts) * kmax <= 4 * n + 1024:
            # entries grouped by unit: one padded row per unit, sorted by key within the row
            slot = np.arange(kmax)[None, :]
            valid = slot < sizes[:, None]
            idx = np.where(valid, starts[:, None] + slot, 0)
            keys = np.where(valid, entry_key[idx], np.inf)
            order = np.argsort(keys, axis=1, kind="stable")  # padding (inf) sorts last
            c = np.take_along_axis(counts[idx], order, axis=1)
            m = slot + 1.0
            total = np.where(valid, m / (m + c), 0.0).sum(axis=1)
            ap[entry_unit[starts]] = total / sizes
            return ap, k
    order = np.lexsort((entry_key, entry_unit))
    unit = entry_unit[order]
    c = counts[order]
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, len(unit)]))
    m = np.arange(len(unit)) - first + 1
    total = np.bincount(unit, weights=m / (m + c), minlength=n_units)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = np.where(k > 0, total / np.maximum(k, 1), np.nan)
    return ap, k


def check_negatives(meta: pd.DataFrame, rows: np.ndarray, n_neg: np.ndarray, columns: list[str]) -> None:
    """Refuse queries (``rows``) that have positive pairs but no negative pair (undefined AP),
    naming the first one by its ``columns`` values."""
    lonely = rows[n_neg[rows] == 0]
    if len(lonely):
        example = meta.iloc[int(lonely[0])][columns].to_dict() if columns else {}
        raise ValueError(
            f"{len(lonely)} profile(s) have positive pairs but no negative pairs, so their AP is "
            f"undefined (first: row {int(lonely[0])}, {example}); check neg_sameby/neg_diffby "
            "and the controls"
        )


def check_feature_index(meta: pd.DataFrame, feats: object) -> None:
    """A features DataFrame must be indexed like the metadata: rows are matched by position,
    so a different index (another order, or rows dropped from one of them) is refused."""
    if not isinstance(feats, pd.DataFrame) or len(feats) != len(meta):
        return  # arrays have no labels; a length mismatch is reported by feature_matrix
    if feats.index.equals(meta.index):
        return
    differ = np.flatnonzero(feats.index.to_numpy() != meta.index.to_numpy())
    at = int(differ[0]) if len(differ) else 0
    raise ValueError(
        "feats and meta have different indexes (first difference at position "
        f"{at}: meta {meta.index[at]!r}, feats {feats.index[at]!r}); rows are matched by "
        "position, so align them first (feats = feats.loc[meta.index]) or pass feats.to_numpy() "
        "if the order is right"
    )


def _same_key_counts(columns: list[np.ndarray], valid: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each row in ``rows``: #{valid j equal to it in every column} (codes >= 0)."""
    key = np.zeros(len(valid), dtype=np.int64)
    size = 1
    for col in columns:
        radix = int(col.max()) + 1 if len(col) else 1
        if size * radix > 2**62:  # keep the mixed-radix key in int64
            key = pd.factorize(key)[0].astype(np.int64)
            size = int(key.max()) + 1
        key = key * radix + col
        size *= radix
    if size > 4 * len(key) + 1024:
        key = pd.factorize(key)[0].astype(np.int64)
        size = int(key.max()) + 1
    return np.bincount(key[valid], minlength=size)[key[rows]]


def negatives_per_row(rule: NegativeRule, rows: np.ndarray | None = None) -> np.ndarray:
    """Number of negative pairs of each of ``rows`` (default all): copairs' ``n_total_pairs`` of
    rows without positives.

    Negatives of i: rows j != i in the same negative group (>= 0) that differ from i in every
    ``neg_diffby`` column. Counted by inclusion-exclusion over the subsets S of those columns:
    sum_S (-1)^|S| #{j in i's group agreeing with i on S} (i itself cancels out when there is at
    least one diffby column). Not for multilabel rules (label sets).
    """
    group, diff = rule.group, rule.diff
    rows = np.arange(len(group)) if rows is None else np.asarray(rows)
    valid = group >= 0
    total = np.zeros(len(rows), dtype=np.int64)
    n_diff = diff.shape[1]
    group_codes = np.where(valid, group, 0)
    for size in range(n_diff + 1):
        for cols in itertools.combinations(range(n_diff), size):
            same = _same_key_counts([group_codes, *(diff[:, c] for c in cols)], valid, rows)
            total += (-1) ** size * same
    if n_diff == 0:
        total -= 1  # the row itself
    total[~valid[rows]] = 0
    return total


def check_batch_size(batch_size: object) -> int:
    return positive_int(batch_size, "batch_size", "the number of query rows per block, e.g. 2048")


def resolve_similarity(similarity: object, distance: object) -> object:
    """copairs' keyword ``distance`` is accepted as an alias of ``similarity``."""
    if distance is None:
        return similarity
    if similarity != "cosine" and similarity != distance:
        raise ValueError(
            f"give the similarity once: similarity={similarity!r} and distance={distance!r} "
            "(distance is copairs' name for the same argument)"
        )
    return distance


def prepare_inputs(
    meta: pd.DataFrame,
    feats: np.ndarray | pd.DataFrame,
    pos_sameby, pos_diffby, neg_sameby, neg_diffby,
    similarity: str | PairwiseSimilarity,
    extra_columns: Sequence[str] = (),
    require_columns: bool = True,
):
    """Validate the common inputs; returns meta (index reset), lists, row filter, Similarity."""
    if not isinstance(meta, pd.DataFrame):
        raise TypeError(f"meta must be a pandas DataFrame, got {type(meta).__name__}")
    check_feature_index(meta, feats)
    meta = meta.reset_index(drop=True)
    lists = {}
    keep = np.ones(len(meta), dtype=bool)
    for name, value in (
        ("pos_sameby", pos_sameby),
        ("pos_diffby", pos_diffby),
        ("neg_sameby", neg_sameby),
        ("neg_diffby", neg_diffby),
    ):
        cols, ok = split_queries(meta, as_column_list(value, name), name)
        lists[name] = cols
        keep &= ok
    for a, b in (("pos_sameby", "pos_diffby"), ("neg_sameby", "neg_diffby")):
        both = set(lists[a]) & set(lists[b])
        if both:
            raise ValueError(f"{a} and {b} must not share columns: {sorted(both)}")
    if require_columns and not (lists["pos_sameby"] or lists["pos_diffby"]):
        raise ValueError("give at least one column in pos_sameby or pos_diffby")
    if require_columns and not (lists["neg_sameby"] or lists["neg_diffby"]):
        raise ValueError("give at least one column in neg_sameby or neg_diffby")
    used = list(dict.fromkeys([c for v in lists.values() for c in v] + list(extra_columns)))
    check_pairing_columns(meta, [c for c in used if c not in extra_columns])
    feats, squares = feature_matrix(feats, len(meta))
    if not keep.any():
        raise ValueError("empty selection: no profile passes the query filters")
    return meta, lists, keep, used, prepare_similarity(feats, similarity, squares)


def average_precision(
    meta: pd.DataFrame,
    feats: np.ndarray | pd.DataFrame,
    pos_sameby: Sequence[str],
    pos_diffby: Sequence[str],
    neg_sameby: Sequence[str],
    neg_diffby: Sequence[str],
    similarity: str | PairwiseSimilarity = "cosine",
    batch_size: int = 2048,
    threads: int | None = None,
    *,
    distance: str | PairwiseSimilarity | None = None,
    progress_bar: bool = False,
) -> pd.DataFrame:
    """Average precision of every profile against its positive and negative pairs.

    Parameters
    ----------
    meta : DataFrame, one row per profile (n rows).
    feats : (n, n_features) array or DataFrame of numeric features (a DataFrame must have the
        same index as ``meta``: rows are matched by position).
    pos_sameby, pos_diffby : positive pairs are equal in every ``pos_sameby`` column and differ
        in every ``pos_diffby`` column. An entry may also be a pandas query (a row filter).
    neg_sameby, neg_diffby : the same for negative pairs.
    similarity : "cosine" (default), "abs_cosine", "correlation", "euclidean" (1/(1+d)) or a
        callable on two (m, n_features) arrays of paired rows returning m similarities.
        Cosine and correlation are scale-invariant and exact at any magnitude (rows of extreme
        magnitude, e.g. 1e200 or 1e-200, are rescaled by a power of two first).
    batch_size : query rows per block of similarities (a positive integer).
    threads : blocks computed in parallel; None = ``MAPEVAL_NUM_THREADS``, else
        ``OMP_NUM_THREADS``, else the available CPUs (at most 8). Results do not depend on it.
    distance : copairs' name of ``similarity`` (accepted for compatibility).
    progress_bar : accepted for copairs compatibility; mapeval shows none.

    Returns
    -------
    DataFrame
        ``meta`` (index reset) plus ``n_pos_pairs``, ``n_total_pairs``, ``average_precision``
        (NaN for profiles without positive pairs, e.g. controls) and
        ``normalized_average_precision`` ((AP - E[AP]) / (1 - E[AP]), see
        :mod:`mapeval.normalization`), the columns of copairs 0.5.5. As in copairs,
        ``n_total_pairs`` of a profile without positive pairs counts its negative pairs.

    Raises
    ------
    ValueError
        On non-finite or non-numeric features, missing, duplicated or unusable metadata columns,
        overlapping sameby/diffby, zero-norm profiles under cosine, an empty selection, no
        positive pairs at all, or a profile with positive pairs but no negative pairs.
    TypeError
        On arguments of the wrong type (``meta`` not a DataFrame, ``batch_size`` not an integer).

    Warns
    -----
    TiedRanksWarning
        When positive pairs tie negative pairs (copairs' positives-first rule decides those APs).
    """
    del progress_bar
    similarity = resolve_similarity(similarity, distance)
    batch_size = check_batch_size(batch_size)
    threads = resolve_threads(threads)
    meta, lists, keep, used, sim = prepare_inputs(
        meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby, similarity
    )
    rows = np.flatnonzero(keep)
    known: dict[str, np.ndarray] = {}  # codes per column, shared by the four lists
    pos_group = group_ids(codes(meta, lists["pos_sameby"], known))
    i, j, s = pairs_within_groups(pos_group, rows, sim, threads)
    pos_diff = codes(meta, lists["pos_diffby"], known)
    sel = all_differ(pos_diff, i, j)
    i, j, s = i[sel], j[sel], s[sel]
    if len(i) == 0:
        raise ValueError(f"no positive pairs: no two profiles match pos_sameby={lists['pos_sameby']} "
                         f"and pos_diffby={lists['pos_diffby']}")
    neg_group = group_ids(codes(meta, lists["neg_sameby"], known))
    neg_group = np.where(keep, neg_group, -1)
    rule = NegativeRule(neg_group, codes(meta, lists["neg_diffby"], known))

    entry_row = np.r_[i, j]
    entry_key = RANK_ONE - np.r_[s, s]
    order = np.argsort(entry_row, kind="stable")
    entry_row, entry_key = entry_row[order], entry_key[order]
    counts, n_neg, tied = better_negative_counts(sim, entry_row, entry_key, rule, batch_size, threads)
    queries = entry_row[sorted_starts(entry_row)]
    check_negatives(meta, queries, n_neg, used)
    ap, k = ap_from_counts(entry_row, entry_key, counts, len(meta))
    warn_ties(entry_row, entry_key, counts, tied, ap, len(queries))

    scored = k > 0
    n_total = np.where(scored, k + n_neg, 0)
    if not scored.all():
        n_total[~scored] = negatives_per_row(rule, np.flatnonzero(~scored))
    out = meta.copy()
    out["n_pos_pairs"] = k.astype(np.int64)
    out["n_total_pairs"] = n_total.astype(np.int64)
    out["average_precision"] = ap
    normalized = np.full(len(meta), np.nan)
    normalized[scored] = normalize_ap(ap[scored], k[scored], n_total[scored])
    out["normalized_average_precision"] = normalized
    return out
