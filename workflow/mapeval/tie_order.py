"""The tie order of copairs @880f22a (the CPJUMP1 notebooks' pin), reproduced exactly.

copairs @880f22a ranks a query's list by ``np.argsort(dist)[::-1]`` with numpy's default,
unstable sort. Where entries tie (under ``negative_rule="ignore_labels"`` a positive and its
negative copy always do, docs/methods.md §12.6), which of them comes first depends on the
sorting algorithm and on the order in which copairs laid the list out. This module reproduces
both, so that an AP equals the notebooks' even where a positive ties a negative:

* :func:`numpy_1_23_argsort`: numpy 1.23's ``np.argsort(x)`` (``kind="quicksort"``, the
  introsort of ``npysort/quicksort.cpp`` ``aquicksort_``: median-of-3 partition, insertion sort
  on slices of at most 16, heapsort ``aheapsort_`` below a depth of 2 floor(log2 n)) ported to
  Python. numpy 2's argsort gives another permutation of tied entries (about 5% of tied
  positions differ), so calling ``np.argsort`` today does not reproduce it.
* :func:`copairs_880f22a_average_precision`: the rank lists that copairs @880f22a's
  ``MatcherMultilabel`` + ``build_rank_list_multi`` build (pair order from its Python sets,
  pandas 1.5's merge and melt), ranked with the port.

The pair order comes from iterating CPython sets of ints and of tuples of ints, which is
deterministic (integer hashes are not randomized) and the same in CPython 3.8 to 3.13; it was
checked against the re-assembled notebook pipeline (numpy 1.23.4, pandas 1.5.1, CPython 3.11)
on the 16 compound-gene tasks of the CPJUMP1 stand-in: every AP equal (docs/methods.md §12.6).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

#: Slices of at most SMALL_QUICKSORT + 1 entries are insertion-sorted (numpy's SMALL_QUICKSORT).
SMALL_QUICKSORT = 15

#: ``tie_order`` values of :func:`mapeval.multilabel.average_precision`.
TIE_ORDERS = ("positives_first", "copairs_880f22a")


def _msb(n: int) -> int:
    """numpy's ``npy_get_msb``: floor(log2 n) for n >= 1, 0 for n = 0."""
    depth = 0
    n >>= 1
    while n:
        depth += 1
        n >>= 1
    return depth


def _sift_down(v: list, a: list, off: int, tmp: int, i: int, n: int) -> None:
    """The sift-down of numpy's ``aheapsort_``: place index ``tmp`` at heap position ``i``."""
    j = i << 1
    while j <= n:
        if j < n and v[a[off + j]] < v[a[off + j + 1]]:
            j += 1
        if v[tmp] < v[a[off + j]]:
            a[off + i] = a[off + j]
            i = j
            j += j
        else:
            break
    a[off + i] = tmp


def _aheapsort(v: list, a: list, lo: int, n: int) -> None:
    """numpy's ``aheapsort_`` on ``a[lo:lo + n]`` (1-based heap over ``a[lo - 1 + k]``)."""
    off = lo - 1  # a[off + k] is the heap's k-th element, k = 1..n
    for k in range(n >> 1, 0, -1):
        _sift_down(v, a, off, a[off + k], k, n)
    while n > 1:
        tmp = a[off + n]
        a[off + n] = a[off + 1]
        n -= 1
        _sift_down(v, a, off, tmp, 1, n)


def numpy_1_23_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values)`` exactly as numpy 1.23 computes it (default ``kind="quicksort"``).

    Parameters
    ----------
    values : (n,) float array without NaN (compared as Python floats, i.e. float64).

    Returns
    -------
    (n,) int64 permutation sorting ``values`` ascending; tied entries in numpy 1.23's order.
    """
    x = np.asarray(values)
    if x.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {x.shape}")
    if x.dtype.kind not in "fiu":
        raise TypeError(f"values must be a real numeric array, got dtype {x.dtype}")
    if x.dtype.kind == "f" and np.isnan(x).any():
        raise ValueError("values contain NaN: numpy's NaN ordering is not ported")
    return np.asarray(argsort_list(x.astype(np.float64).tolist()), dtype=np.int64)


def argsort_list(v: list) -> list[int]:
    """numpy 1.23's ``aquicksort_`` on a list of mutually comparable items (only ``<`` is
    used): the permutation sorting ``v`` ascending. :func:`numpy_1_23_argsort` for arrays."""
    num = len(v)
    a = list(range(num))
    if num < 2:
        return a
    pl, pr = 0, num - 1
    stack: list[tuple[int, int, int]] = []
    cdepth = _msb(num) * 2
    while True:
        if cdepth < 0:
            _aheapsort(v, a, pl, pr - pl + 1)
        else:
            while pr - pl > SMALL_QUICKSORT:
                pm = pl + ((pr - pl) >> 1)
                if v[a[pm]] < v[a[pl]]:
                    a[pm], a[pl] = a[pl], a[pm]
                if v[a[pr]] < v[a[pm]]:
                    a[pr], a[pm] = a[pm], a[pr]
                if v[a[pm]] < v[a[pl]]:
                    a[pm], a[pl] = a[pl], a[pm]
                vp = v[a[pm]]
                pi, pj = pl, pr - 1
                a[pm], a[pj] = a[pj], a[pm]
                while True:
                    pi += 1
                    while v[a[pi]] < vp:
                        pi += 1
                    pj -= 1
                    while vp < v[a[pj]]:
                        pj -= 1
                    if pi >= pj:
                        break
                    a[pi], a[pj] = a[pj], a[pi]
                pk = pr - 1
                a[pi], a[pk] = a[pk], a[pi]
                cdepth -= 1
                # numpy pushes the larger partition and goes on with the smaller one
                if pi - pl < pr - pi:
                    stack.append((pi + 1, pr, cdepth))
                    pr = pi - 1
                else:
                    stack.append((pl, pi - 1, cdepth))
                    pl = pi + 1
            for pi in range(pl + 1, pr + 1):
                vi = a[pi]
                vp = v[vi]
                pj = pi
                while pj > pl and vp < v[a[pj - 1]]:
                    a[pj] = a[pj - 1]
                    pj -= 1
                a[pj] = vi
        if not stack:
            break
        pl, pr, cdepth = stack.pop()
    return a


def copairs_cosine(feats: np.ndarray, i: np.ndarray, j: np.ndarray, absolute: bool) -> np.ndarray:
    """Cosine of row pairs computed as copairs @880f22a does (float64, each row divided by its
    norm, then the sum of products), absolute when ``absolute``: (len(i),) float64."""
    x, y = feats[i], feats[j]
    xn = x / np.linalg.norm(x, axis=1)[:, None]
    yn = y / np.linalg.norm(y, axis=1)[:, None]
    s = np.sum(xn * yn, axis=1)
    return np.abs(s) if absolute else s


def _reverse_index(codes: np.ndarray) -> dict[int, set[int]]:
    """copairs' ``reverse_index(col).apply(set)``: code -> set of the entries holding it, keys
    ascending, each set filled in ascending entry order (negative codes = missing: no key)."""
    members: dict[int, list[int]] = {}
    for e, c in enumerate(codes.tolist()):
        if c >= 0:
            members.setdefault(c, []).append(e)
    return {c: set(members[c]) for c in sorted(members)}


def copairs_880f22a_pairs(
    ex_row: np.ndarray, ex_label: np.ndarray, ex_pos_diff: np.ndarray, ex_neg_diff: np.ndarray
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
    """Positive and negative pairs in copairs @880f22a's order (the notebooks' CPJUMP1 design).

    Reproduces ``MatcherMultilabel.get_all_pairs`` with ``sameby`` = [label] and ``diffby`` =
    the positive columns, then with no ``sameby`` and one other ``diffby`` column (the label
    column's share-no-label filter removing no pair, ``negative_rule="ignore_labels"``), and the
    order that ``dict_to_dframe``, ``set(...)`` and pandas 1.5's inner merge give them.

    Parameters
    ----------
    ex_row : (E,) profile row of each exploded (profile, label) entry, in ``DataFrame.explode``
        order (profiles ascending, each profile's labels in list order).
    ex_label : (E,) label code of each entry; codes ascending = labels sorted.
    ex_pos_diff : (E, p) codes of the ``pos_diffby`` columns per entry (negative = missing).
    ex_neg_diff : (E,) codes of the single other ``neg_diffby`` column per entry, ascending =
        values sorted (negative = missing).

    Returns
    -------
    positive pairs as (label code, row 1, row 2) and negative pairs as (row 1, row 2), each
    list in copairs' order.
    """
    original = ex_row.tolist()
    by_label = _reverse_index(ex_label)
    by_diff = [_reverse_index(ex_pos_diff[:, k]) for k in range(ex_pos_diff.shape[1])]
    diff_vals = ex_pos_diff.tolist()
    pos: list[tuple[int, int, int]] = []
    for key, rows in by_label.items():  # Matcher._get_all_pairs_single, statement by statement
        processed: set = set()
        for id1 in rows:
            valid = set(rows)
            processed.add(id1)
            valid -= processed
            for k, val in enumerate(diff_vals[id1]):
                if val < 0:
                    continue
                valid = valid - by_diff[k][val]
            for id2 in valid:
                pos.append((key, original[id1], original[id2]))
    # pandas 1.5's inner merge (sort=False) with compute_similarities' unique right table
    # groups left rows by key, keys in order of first appearance
    first: dict[tuple[int, int], int] = {}
    for _, r1, r2 in pos:
        first.setdefault((r1, r2), len(first))
    pos.sort(key=lambda p: first[(p[1], p[2])])  # stable

    groups = _reverse_index(ex_neg_diff)  # Matcher._only_diffby with one column
    raw = []
    for key_a, key_b in itertools.combinations(list(groups), 2):
        raw.extend(itertools.product(groups[key_a], groups[key_b]))
    neg: list[tuple[int, int]] = []
    if raw:
        arr = np.unique(np.asarray(raw, dtype=np.int64), axis=0)
        arr = np.asarray(original, dtype=np.int64)[arr]
        neg_set = set(map(tuple, arr.tolist()))  # the notebooks' set(chain(dict_pairs.values()))
        neg = list(neg_set)
    return pos, neg


def copairs_880f22a_average_precision(
    ex_row: np.ndarray,
    ex_label: np.ndarray,
    ex_pos_diff: np.ndarray,
    ex_neg_diff: np.ndarray,
    similarity: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """AP of every exploded (profile, label) entry ranked as copairs @880f22a ranks it.

    The rank list of entry (row x, label t) is copairs' ``build_rank_list_multi`` layout: the
    similarities of the positive pairs of t holding x (those with x first, then those with x
    second, each in :func:`copairs_880f22a_pairs`' order), then those of every negative pair
    holding x (same rule); it is ranked by ``numpy_1_23_argsort(dist)[::-1]``.

    Parameters
    ----------
    ex_row, ex_label, ex_pos_diff, ex_neg_diff : as :func:`copairs_880f22a_pairs`.
    similarity : (i, j) row arrays -> (len(i),) float64 similarities (higher = closer), e.g.
        :func:`copairs_cosine`; positive and negative copies of a pair get the same value.

    Returns
    -------
    ap : (E,) float64 AP per entry (NaN for an entry without a positive pair).
    size : (E,) int64 number of entries of each rank list (0 without a positive pair).
    """
    pos, neg = copairs_880f22a_pairs(ex_row, ex_label, ex_pos_diff, ex_neg_diff)
    pos_arr = np.asarray([(a, b) for _, a, b in pos], dtype=np.int64).reshape(-1, 2)
    neg_arr = np.asarray(neg, dtype=np.int64).reshape(-1, 2)
    both = np.sort(np.vstack([pos_arr, neg_arr]), axis=1)
    sims: list[float] = []
    if len(both):
        # one value per unordered pair: a positive and its negative copy tie exactly (as they
        # did in copairs, checked on the stand-in)
        uniq, inverse = np.unique(both, axis=0, return_inverse=True)
        values = np.asarray(similarity(uniq[:, 0], uniq[:, 1]), dtype=np.float64)
        sims = values[inverse.reshape(-1)].tolist()
    pos_sim, neg_sim = sims[: len(pos)], sims[len(pos) :]
    pos_lists: dict[tuple[int, int], list[float]] = {}
    for side in (1, 2):  # melt: every ix1 first, then every ix2
        for (key, *rows), s in zip(pos, pos_sim):
            pos_lists.setdefault((rows[side - 1], key), []).append(s)
    neg_lists: dict[int, list[float]] = {}
    for side in (0, 1):
        for pair, s in zip(neg, neg_sim):
            neg_lists.setdefault(pair[side], []).append(s)
    entry = {(r, t): e for e, (r, t) in enumerate(zip(ex_row.tolist(), ex_label.tolist()))}
    ap = np.full(len(ex_row), np.nan)
    size = np.zeros(len(ex_row), dtype=np.int64)
    for (r, t), p in pos_lists.items():
        n = neg_lists.get(r, [])
        dist = np.asarray(p + n, dtype=np.float64)
        rel = np.repeat([1, 0], [len(p), len(n)])[numpy_1_23_argsort(dist)[::-1]]
        tp = np.cumsum(rel)
        e = entry[(r, t)]
        ap[e] = float((tp / np.arange(1, len(rel) + 1) * rel).sum() / tp[-1])
        size[e] = len(rel)
    return ap, size
