"""Average precision of every query profile (SPEC §1.2), copairs-exact and blocked.

For query i with k positive pairs and its negative pairs, sorted by decreasing similarity (ties:
positives first), AP = (1/k) * sum_m m / r_m, where r_m is the rank of the m-th positive. Because
ties put positives first, r_m = m + #{negatives strictly more similar than positive m}. So a query
needs only, for each of its positives, a *count* of better-ranked negatives: computed from blocks
of the similarity matrix restricted to the rows that can be negatives, never from one global sort.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

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
_ONE = np.float32(1.0)


def feature_matrix(
    feats: np.ndarray | pd.DataFrame, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Validate features: numeric, finite, one row per metadata row, at least one column.

    Returns the float64 matrix and every row's sum of squares (reused for cosine norms).
    """
    if isinstance(feats, pd.DataFrame):
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
    """
    n_rows = len(rule.group)
    counts = np.zeros(len(entry_row), dtype=np.int64)
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
    # small blocks (e.g. same-plate controls) are faster serially, with a multi-threaded BLAS
    cells = sum(len(q) * len(members_of[g]) for g, q in tasks)
    if cells < PARALLEL_MIN_CELLS * len(tasks):
        threads = 1
    block_cells = max(1, BLOCK_CELLS // threads)

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
        q_neg = np.zeros(len(q), dtype=np.int64)
        step = max(1, block_cells // max(len(q), 1))
        for c0 in range(0, len(cand), step):
            cols = cand[c0 : c0 + step]
            keys = _ONE - sim.block(q, cols)
            if rule.all_negative(q, cols):
                q_neg += len(cols)
            else:
                neg = rule.mask(q, cols)
                keys[~neg] = np.inf
                q_neg += neg.sum(axis=1)
            if kmax <= 24:
                for m in range(kmax):
                    block_counts[:, m] += (keys < pos[:, m : m + 1]).sum(axis=1)
            else:
                keys.sort(axis=1)
                for r in range(len(q)):
                    block_counts[r] += np.searchsorted(keys[r], pos[r], side="left")
        return q, q_neg, idx[valid], block_counts[valid]

    for result in map_blocks(count, tasks, threads):
        if result is not None:
            q, q_neg, where, found = result
            n_neg[q] = q_neg
            counts[where] = found
    return counts, n_neg


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


def _check_negatives(meta: pd.DataFrame, rows: np.ndarray, n_neg: np.ndarray, columns: list[str]) -> None:
    lonely = rows[n_neg[rows] == 0]
    if len(lonely):
        example = meta.iloc[int(lonely[0])][columns].to_dict() if columns else {}
        raise ValueError(
            f"{len(lonely)} profile(s) have positive pairs but no negative pairs, so their AP is "
            f"undefined (first: row {int(lonely[0])}, {example}); check neg_sameby/neg_diffby "
            "and the controls"
        )


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
        raise ValueError(f"meta must be a pandas DataFrame, got {type(meta).__name__}")
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
) -> pd.DataFrame:
    """Average precision of every profile against its positive and negative pairs.

    Parameters
    ----------
    meta : DataFrame, one row per profile (n rows).
    feats : (n, n_features) array or DataFrame of numeric features.
    pos_sameby, pos_diffby : positive pairs are equal in every ``pos_sameby`` column and differ
        in every ``pos_diffby`` column. An entry may also be a pandas query (a row filter).
    neg_sameby, neg_diffby : the same for negative pairs.
    similarity : "cosine" (default), "abs_cosine", "correlation", "euclidean" (1/(1+d)) or a
        callable on two (m, n_features) arrays of paired rows returning m similarities.
    batch_size : query rows per block of similarities.
    threads : blocks computed in parallel; None = ``MAPEVAL_NUM_THREADS``, else
        ``OMP_NUM_THREADS``, else the available CPUs (at most 8). Results do not depend on it.

    Returns
    -------
    DataFrame
        ``meta`` (index reset) plus ``n_pos_pairs``, ``n_total_pairs`` and ``average_precision``
        (NaN for profiles without positive pairs, e.g. controls).

    Raises
    ------
    ValueError
        On non-finite or non-numeric features, missing or unusable metadata columns, overlapping
        sameby/diffby, zero-norm profiles under cosine, an empty selection, no positive pairs at
        all, or a profile with positive pairs but no negative pairs.
    """
    meta, lists, keep, used, sim = prepare_inputs(
        meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby, similarity
    )
    threads = resolve_threads(threads)
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
    entry_key = _ONE - np.r_[s, s]
    order = np.argsort(entry_row, kind="stable")
    entry_row, entry_key = entry_row[order], entry_key[order]
    counts, n_neg = better_negative_counts(sim, entry_row, entry_key, rule, batch_size, threads)
    _check_negatives(meta, entry_row[sorted_starts(entry_row)], n_neg, used)
    ap, k = ap_from_counts(entry_row, entry_key, counts, len(meta))

    out = meta.copy()
    out["n_pos_pairs"] = k.astype(np.int64)
    out["n_total_pairs"] = np.where(k > 0, k + n_neg, 0).astype(np.int64)
    out["average_precision"] = ap
    return out
