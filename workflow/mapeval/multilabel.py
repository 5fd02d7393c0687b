"""Average precision when a profile carries several labels (SPEC §1.6).

For each label t, positive pairs are pairs that both carry t (and satisfy the other positive
constraints); negative pairs, with the label column in ``neg_diffby``, are pairs whose label sets
do not intersect. The query unit is (profile, label): its rank list holds the partners sharing t
and every profile that shares no label with it; profiles sharing another label are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from .average_precision import (
    _ONE,
    _check_negatives,
    ap_from_counts,
    better_negative_counts,
    check_batch_size,
    prepare_inputs,
    resolve_similarity,
    sorted_starts,
    warn_ties,
)
from .normalization import normalize_ap
from .pairs import NegativeRule, all_differ, codes, group_ids, pairs_within_groups
from .parallel import resolve_threads
from .similarity import PairwiseSimilarity


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

    Returns
    -------
    DataFrame, one row per (profile, label) with at least one positive pair: the metadata with
    ``multilabel_col`` holding that single label, ``n_pos_pairs``, ``n_total_pairs``,
    ``average_precision`` and ``normalized_average_precision`` (copairs 0.5.5's columns);
    ordered by profile, then label.
    """
    del progress_bar
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
    labels_in_neg = multilabel_col in neg_diffby
    if not (labels_in_neg or other_neg or neg_sameby):
        raise ValueError("give the multilabel column or another column in neg_diffby")
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
    rule = NegativeRule(neg_group, codes(meta2, other_neg), label_matrix)

    s = sim.pairs(i, j)
    entry_row = np.r_[i, j]
    entry_unit = np.r_[e1, e2]
    entry_key = _ONE - np.r_[s, s]
    order = np.argsort(entry_row, kind="stable")
    entry_row, entry_unit, entry_key = entry_row[order], entry_unit[order], entry_key[order]
    counts, n_neg, tied = better_negative_counts(sim, entry_row, entry_key, rule, batch_size, threads)
    _check_negatives(meta2, entry_row[sorted_starts(entry_row)], n_neg, used)
    ap, k = ap_from_counts(entry_unit, entry_key, counts, len(ex_row))
    warn_ties(entry_unit, entry_key, counts, tied, ap, int((k > 0).sum()), "(profile, label) queries")

    units = np.flatnonzero(k > 0)
    units = units[np.lexsort((ex_label[units], ex_row[units]))]
    out = meta2.drop(columns=[multilabel_col]).iloc[ex_row[units]].reset_index(drop=True)
    out[multilabel_col] = np.asarray(vocab, dtype=object)[ex_label[units]]
    out["n_pos_pairs"] = k[units].astype(np.int64)
    out["n_total_pairs"] = (k[units] + n_neg[ex_row[units]]).astype(np.int64)
    out["average_precision"] = ap[units]
    out["normalized_average_precision"] = normalize_ap(
        ap[units], k[units], out["n_total_pairs"].to_numpy()
    )
    return out
