"""Average precision when a profile carries several labels (SPEC §1.6; docs/methods.md §1.6).

The query unit is (profile, label). For label t of profile p, the positives are the partners
that also carry t (and satisfy the other positive constraints). Every label of p shares p's
negatives; with the label column in ``neg_diffby``, ``negative_rule`` says how that column is
read:

* ``"share_none"`` (default; copairs 0.5.5): a negative shares no label with p. Partners sharing
  another label of p are neither positive nor negative for (p, t).
* ``"ignore_labels"``: the labels do not restrict the negatives; they are the partners that
  satisfy ``neg_sameby`` and the other ``neg_diffby`` columns, whatever labels they carry. A
  partner carrying t is then a positive and also a negative of (p, t): it stands in the rank
  list twice, with the same similarity, and ranks first as the positive (ties: positives
  first). This is what copairs @880f22a (the CPJUMP1 notebooks' pin) computed for the notebooks'
  compound-gene matching, where the genetic side's label is a string: its
  ``MatcherMultilabel`` reads each profile's labels as ``set(value)``, the characters of a gene
  symbol, which never intersect a compound's set of symbols, so its share-no-label filter
  removed no pair (docs/methods.md §12.6). It equals leaving the label column out of
  ``neg_diffby``.

``tie_order`` says how tied entries of a rank list are ordered: ``"positives_first"``
(default) or ``"copairs_880f22a"``, copairs @880f22a's own order (its pair layout ranked by
numpy 1.23's unstable argsort, :mod:`mapeval.tie_order`), which decides where a positive and its
negative copy fall under ``"ignore_labels"`` and so reproduces the CPJUMP1 notebooks' APs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from .average_precision import (
    RANK_ONE,
    ap_from_counts,
    better_negative_counts,
    check_batch_size,
    check_negatives,
    prepare_inputs,
    resolve_similarity,
    sorted_starts,
    warn_ties,
)
from .normalization import normalize_ap
from .pairs import NegativeRule, all_differ, codes, group_ids, pairs_within_groups
from .parallel import resolve_threads
from .similarity import PairwiseSimilarity
from .tie_order import TIE_ORDERS, copairs_880f22a_average_precision, copairs_cosine

#: How a multilabel column in ``neg_diffby`` restricts the negatives (see the module docstring).
NEGATIVE_RULES = ("share_none", "ignore_labels")


@dataclass(frozen=True)
class _RuleWithout(NegativeRule):
    """A :class:`~mapeval.pairs.NegativeRule` minus the pairs in ``excluded`` ((n, n) sparse,
    symmetric), which are counted separately (:class:`_NegativeCopies`)."""

    excluded: sparse.csr_matrix | None = None

    def all_negative(self, rows: np.ndarray, cols: np.ndarray) -> bool:
        return self.excluded is None and super().all_negative(rows, cols)

    def mask(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        m = super().mask(rows, cols)
        if self.excluded is not None:
            m &= self.excluded[rows][:, cols].toarray() == 0
        return m


@dataclass(frozen=True)
class _NegativeCopies:
    """Partners that are positive (for some label) and negative for a row: each is one negative
    of the row, ranked by the similarity of the positive pair."""

    matrix: sparse.csr_matrix | None  # (n, n) 1 where (row, partner) is such a pair
    starts: np.ndarray  # (n + 1,) slice of each row in ``keys``
    keys: np.ndarray  # float32 rank keys of the copies, row by row, ascending
    per_row: np.ndarray  # (n,) number of copies of each row

    @classmethod
    def of(cls, i: np.ndarray, j: np.ndarray, s: np.ndarray, n_rows: int) -> _NegativeCopies:
        """From the positive pairs (i, j) with similarity s that are also negative pairs (a pair
        positive under several labels is one copy)."""
        row, partner = np.r_[i, j], np.r_[j, i]
        key = RANK_ONE - np.r_[s, s]
        pair_id = row.astype(np.int64) * n_rows + partner
        _, first = np.unique(pair_id, return_index=True)
        row, partner, key = row[first], partner[first], key[first]
        order = np.lexsort((key, row))
        row, partner, key = row[order], partner[order], key[order]
        per_row = np.bincount(row, minlength=n_rows).astype(np.int64)
        starts = np.r_[0, np.cumsum(per_row)]
        matrix = None
        if len(row):
            ones = np.ones(len(row), dtype=np.int8)
            matrix = sparse.csr_matrix((ones, (row, partner)), shape=(n_rows, n_rows))
        return cls(matrix, starts, key, per_row)

    def count(self, entry_row: np.ndarray, entry_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For every positive entry: copies of its row ranked strictly above it (key smaller)
        and copies with exactly its key (its own copy included)."""
        better = np.zeros(len(entry_row), dtype=np.int64)
        tied = np.zeros(len(entry_row), dtype=np.int64)
        rows = np.flatnonzero(self.per_row)
        # entry_row is sorted: the entries of row r are one slice
        first = np.searchsorted(entry_row, rows, side="left")
        last = np.searchsorted(entry_row, rows, side="right")
        for r, a, b in zip(rows, first, last):
            keys = self.keys[self.starts[r] : self.starts[r + 1]]
            left = np.searchsorted(keys, entry_key[a:b], side="left")
            better[a:b] = left
            tied[a:b] = np.searchsorted(keys, entry_key[a:b], side="right") - left
        return better, tied


def _check_copairs_880f22a(
    similarity: object,
    negative_rule: str,
    other_pos: list[str],
    neg_sameby: list[str],
    other_neg: list[str],
) -> None:
    """Refuse designs whose copairs @880f22a layout :mod:`mapeval.tie_order` does not cover."""
    problems = []
    if negative_rule != "ignore_labels":
        problems.append(f"negative_rule='ignore_labels' (got {negative_rule!r})")
    if similarity not in ("cosine", "abs_cosine"):
        problems.append(f"similarity 'cosine' or 'abs_cosine' (got {similarity!r})")
    if other_pos:
        problems.append(f"pos_sameby = [multilabel_col] only (also got {other_pos})")
    if neg_sameby:
        problems.append(f"no neg_sameby (got {neg_sameby})")
    if len(other_neg) != 1:
        problems.append(f"exactly one neg_diffby column besides the label (got {other_neg})")
    if problems:
        raise ValueError("tie_order='copairs_880f22a' needs " + "; ".join(problems))


def _label_lists(meta: pd.DataFrame, col: str) -> list[list]:
    out = []
    for r, value in enumerate(meta[col].tolist()):
        if isinstance(value, str) or not hasattr(value, "__iter__"):
            raise ValueError(
                f"multilabel column {col!r} must hold a list of labels per row; row {r} has {value!r}"
            )
        labels = list(dict.fromkeys(value))
        if any(pd.isna(v) for v in labels):
            raise ValueError(f"multilabel column {col!r} has a missing label at row {r}")
        out.append(labels)
    return out


def average_precision(
    meta: pd.DataFrame,
    feats: np.ndarray | pd.DataFrame,
    pos_sameby: Sequence[str],
    pos_diffby: Sequence[str],
    neg_sameby: Sequence[str],
    neg_diffby: Sequence[str],
    multilabel_col: str,
    similarity: str | PairwiseSimilarity = "cosine",
    batch_size: int = 2048,
    threads: int | None = None,
    *,
    distance: str | PairwiseSimilarity | None = None,
    progress_bar: bool = False,
    negative_rule: str = "share_none",
    tie_order: str = "positives_first",
) -> pd.DataFrame:
    """Average precision per (profile, label).

    Parameters
    ----------
    meta, feats, pos_*, neg_*, similarity, batch_size, threads : as
        :func:`mapeval.average_precision`.
    multilabel_col : column holding a list of labels per profile. It must be in ``pos_sameby``
        (positives share the label); in ``neg_diffby`` it means negatives share no label.
    distance, progress_bar : copairs' names, accepted for compatibility (see
        :func:`mapeval.average_precision`).
    negative_rule : how the label column in ``neg_diffby`` restricts the negatives:
        ``"share_none"`` (copairs 0.5.5: a negative shares no label with the query profile) or
        ``"ignore_labels"`` (not at all: negatives are the partners allowed by ``neg_sameby``
        and the other ``neg_diffby`` columns, so a partner sharing the query's label is also a
        negative and enters the rank list twice; copairs @880f22a on the CPJUMP1 notebooks'
        compound-gene input, see the module docstring).
    tie_order : order of tied entries of a rank list: ``"positives_first"`` (a positive ranks
        above the negatives it ties) or ``"copairs_880f22a"`` (copairs @880f22a's order: its
        pair layout ranked by numpy 1.23's ``np.argsort(dist)[::-1]``; see
        :mod:`mapeval.tie_order`). The latter reproduces the CPJUMP1 notebooks' compound-gene
        APs; it needs ``negative_rule="ignore_labels"``, ``similarity`` ``"cosine"`` or
        ``"abs_cosine"`` (computed in float64 as copairs did), ``pos_sameby`` =
        [``multilabel_col``], no ``neg_sameby``, one other ``neg_diffby`` column and no row
        dropped for missing values; it ranks each list in Python (seconds for thousands of
        queries of hundreds of entries).

    Returns
    -------
    DataFrame, one row per (profile, label) with at least one positive pair: the metadata with
    ``multilabel_col`` holding that single label, ``n_pos_pairs``, ``n_total_pairs``,
    ``average_precision`` and ``normalized_average_precision`` (copairs 0.5.5's columns);
    ordered by profile, then label. ``n_total_pairs`` counts every entry of the rank list (under
    ``"ignore_labels"`` a partner that is positive and negative counts twice).
    """
    del progress_bar
    if not isinstance(negative_rule, str) or negative_rule not in NEGATIVE_RULES:
        raise ValueError(
            f"negative_rule must be one of {list(NEGATIVE_RULES)}, got {negative_rule!r}: "
            "'share_none' = negatives share no label with the query (copairs 0.5.5); "
            "'ignore_labels' = labels do not restrict the negatives (copairs @880f22a on the "
            "CPJUMP1 notebooks' compound-gene input)"
        )
    if not isinstance(tie_order, str) or tie_order not in TIE_ORDERS:
        raise ValueError(
            f"tie_order must be one of {list(TIE_ORDERS)}, got {tie_order!r}: 'positives_first' = "
            "a positive ranks above the negatives it ties; 'copairs_880f22a' = copairs @880f22a's "
            "order (the CPJUMP1 notebooks')"
        )
    similarity = resolve_similarity(similarity, distance)
    batch_size = check_batch_size(batch_size)
    threads = resolve_threads(threads)
    if not isinstance(meta, pd.DataFrame):
        raise TypeError(f"meta must be a pandas DataFrame, got {type(meta).__name__}")
    if not isinstance(multilabel_col, str):
        raise TypeError(f"multilabel_col must be a column name (str), got {multilabel_col!r}")
    pos_sameby = [pos_sameby] if isinstance(pos_sameby, str) else list(pos_sameby)
    neg_diffby = [neg_diffby] if isinstance(neg_diffby, str) else list(neg_diffby)
    neg_sameby = [neg_sameby] if isinstance(neg_sameby, str) else list(neg_sameby)
    if multilabel_col not in meta.columns:
        raise ValueError(f"multilabel column {multilabel_col!r} not in metadata")
    if multilabel_col not in pos_sameby:
        raise ValueError(f"multilabel column {multilabel_col!r} must be in pos_sameby")
    if multilabel_col in neg_sameby:
        raise ValueError(f"multilabel column {multilabel_col!r} in neg_sameby is not supported")
    other_pos = [c for c in pos_sameby if c != multilabel_col]
    other_neg = [c for c in neg_diffby if c != multilabel_col]
    if not (multilabel_col in neg_diffby or other_neg or neg_sameby):
        raise ValueError("give the multilabel column or another column in neg_diffby")
    if tie_order == "copairs_880f22a":
        _check_copairs_880f22a(similarity, negative_rule, other_pos, neg_sameby, other_neg)
    labels_in_neg = multilabel_col in neg_diffby and negative_rule == "share_none"
    meta2, lists, keep, used, sim = prepare_inputs(
        meta,
        feats,
        other_pos,
        pos_diffby,
        neg_sameby,
        other_neg,
        similarity,
        extra_columns=[multilabel_col],
        require_columns=False,
    )
    label_lists = _label_lists(meta2, multilabel_col)
    ex_row = np.repeat(np.arange(len(meta2)), [len(x) for x in label_lists])
    flat = [v for x in label_lists for v in x]
    if not flat:
        raise ValueError(f"multilabel column {multilabel_col!r} holds no labels")
    ex_label, vocab = pd.factorize(pd.Series(flat, dtype=object), sort=True)
    n_rows, n_labels = len(meta2), len(vocab)

    # positive pairs: exploded (row, label) entries sharing the label and the other pos_sameby
    row_group = group_ids(codes(meta2, lists["pos_sameby"]))
    ex_group = group_ids(np.stack([ex_label, row_group[ex_row]], axis=1))
    ex_keep = np.flatnonzero(keep[ex_row])
    e1, e2 = pairs_within_groups(ex_group, ex_keep)
    i, j = ex_row[e1], ex_row[e2]
    sel = all_differ(codes(meta2, lists["pos_diffby"]), i, j)
    e1, e2, i, j = e1[sel], e2[sel], i[sel], j[sel]
    if len(i) == 0:
        raise ValueError(f"no positive pairs: no two profiles share a label in {multilabel_col!r}")

    neg_group = np.where(keep, group_ids(codes(meta2, lists["neg_sameby"])), -1)
    label_matrix = None
    if labels_in_neg:
        label_matrix = sparse.csr_matrix(
            (np.ones(len(ex_row), dtype=np.int32), (ex_row, ex_label)), shape=(n_rows, n_labels)
        )
    neg_diff = codes(meta2, other_neg)
    # positive pairs that the rule also makes negative (only when labels do not restrict the
    # negatives): their negative copies are counted from the positives' own similarities below,
    # so that a copy ties its positive exactly (ties: positives first)
    also_negative = (neg_group[i] == neg_group[j]) & (neg_group[i] >= 0) & all_differ(neg_diff, i, j)
    if label_matrix is not None:
        also_negative[:] = False  # the two share the positive's label

    s = sim.pairs(i, j)
    copies = _NegativeCopies.of(i[also_negative], j[also_negative], s[also_negative], n_rows)
    rule = _RuleWithout(neg_group, neg_diff, label_matrix, copies.matrix)
    entry_row = np.r_[i, j]
    entry_unit = np.r_[e1, e2]
    entry_key = RANK_ONE - np.r_[s, s]
    entry_copy = np.r_[also_negative, also_negative]
    order = np.argsort(entry_row, kind="stable")
    entry_row, entry_unit, entry_key = entry_row[order], entry_unit[order], entry_key[order]
    entry_copy = entry_copy[order]
    counts, n_neg, tied = better_negative_counts(sim, entry_row, entry_key, rule, batch_size, threads)
    copy_better, copy_tied = copies.count(entry_row, entry_key)
    counts += copy_better
    # a positive tying its own negative copy is by construction, not a chance tie
    tied += copy_tied - entry_copy
    n_neg += copies.per_row
    check_negatives(meta2, entry_row[sorted_starts(entry_row)], n_neg, used)
    ap, k = ap_from_counts(entry_unit, entry_key, counts, len(ex_row))
    warn_ties(entry_unit, entry_key, counts, tied, ap, int((k > 0).sum()), "(profile, label) queries")

    units = np.flatnonzero(k > 0)
    units = units[np.lexsort((ex_label[units], ex_row[units]))]
    if tie_order == "copairs_880f22a":
        if not keep.all():
            raise ValueError(
                "tie_order='copairs_880f22a' needs every row: rows "
                f"{np.flatnonzero(~keep)[:10].tolist()} were dropped for missing values in the "
                "pair columns; drop them from meta and feats first"
            )
        ex_pos_diff = codes(meta2, lists["pos_diffby"])[ex_row]
        ex_neg_diff = pd.factorize(meta2[other_neg[0]], sort=True)[0].astype(np.int64)[ex_row]
        absolute = similarity == "abs_cosine"
        ap_c, size_c = copairs_880f22a_average_precision(
            ex_row, ex_label, ex_pos_diff, ex_neg_diff,
            lambda a, b: copairs_cosine(sim.data, a, b, absolute),
        )
        n_total = k[units] + n_neg[ex_row[units]]
        if not np.array_equal(size_c[units], n_total):  # both build the same rank lists
            raise RuntimeError("copairs_880f22a layout disagrees with the rank-list sizes")
        ap = ap.copy()
        ap[units] = ap_c[units]
    out = meta2.drop(columns=[multilabel_col]).iloc[ex_row[units]].reset_index(drop=True)
    out[multilabel_col] = np.asarray(vocab, dtype=object)[ex_label[units]]
    out["n_pos_pairs"] = k[units].astype(np.int64)
    out["n_total_pairs"] = (k[units] + n_neg[ex_row[units]]).astype(np.int64)
    out["average_precision"] = ap[units]
    out["normalized_average_precision"] = normalize_ap(
        ap[units], k[units], out["n_total_pairs"].to_numpy()
    )
    return out
