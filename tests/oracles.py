"""Independent reference implementations, written straight from the paper's definitions.

Slow on purpose: plain loops over every pair, no shared code with ``mapeval``.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd


def similarity32(x: np.ndarray, y: np.ndarray, kind: str) -> np.float32:
    """Similarity of two profiles, rounded to float32 (as similarities are stored)."""
    if kind == "cosine":
        s = float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y)))
    elif kind == "abs_cosine":
        s = abs(float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y))))
    elif kind == "correlation":
        s = float(np.corrcoef(x, y)[0, 1])
    elif kind == "euclidean":
        s = 1.0 / (1.0 + float(np.sqrt(np.sum((x - y) ** 2))))
    else:
        raise ValueError(kind)
    return np.float32(s)


def _match(a: pd.Series, b: pd.Series, same: list[str], diff: list[str]) -> bool:
    return all(a[c] == b[c] for c in same) and all(a[c] != b[c] for c in diff)


def ap_of_list(relevance: list[int]) -> float:
    """Non-interpolated AP of a ranked 0/1 list (Methods eq. 1-3): mean precision@k at hits."""
    hits, total = 0, 0.0
    for k, rel in enumerate(relevance, start=1):
        if rel:
            hits += 1
            total += hits / k
    return total / hits


def brute_force_ap(meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby, kind="cosine"):
    """AP of every profile by listing its pairs and sorting them (positives first on ties)."""
    rows = [meta.iloc[i] for i in range(len(meta))]
    out = []
    for i in range(len(meta)):
        ranked = []  # (rank key, 0 for positive / 1 for negative, relevance)
        for j in range(len(meta)):
            if j == i:
                continue
            key = np.float32(1) - similarity32(feats[i], feats[j], kind)
            if _match(rows[i], rows[j], pos_sameby, pos_diffby):
                ranked.append((key, 0, 1))
            if _match(rows[i], rows[j], neg_sameby, neg_diffby):
                ranked.append((key, 1, 0))
        n_pos = sum(r[2] for r in ranked)
        if n_pos == 0:
            out.append((0, np.nan, np.nan))
            continue
        ranked.sort(key=lambda r: (r[0], r[1]))
        out.append((n_pos, len(ranked), ap_of_list([r[2] for r in ranked])))
    return pd.DataFrame(out, columns=["n_pos_pairs", "n_total_pairs", "average_precision"])


def brute_force_multilabel_ap(meta, feats, label_col, pos_diffby, kind="cosine"):
    """AP per (profile, label): positives share the label and differ in pos_diffby; negatives
    share no label with the profile."""
    out = []
    for i in range(len(meta)):
        li = set(meta[label_col].iloc[i])
        for t in sorted(li):
            ranked = []
            for j in range(len(meta)):
                if j == i:
                    continue
                lj = set(meta[label_col].iloc[j])
                key = np.float32(1) - similarity32(feats[i], feats[j], kind)
                if t in lj and all(meta[c].iloc[i] != meta[c].iloc[j] for c in pos_diffby):
                    ranked.append((key, 0, 1))
                if not (li & lj):
                    ranked.append((key, 1, 0))
            n_pos = sum(r[2] for r in ranked)
            if n_pos:
                ranked.sort(key=lambda r: (r[0], r[1]))
                out.append((i, t, n_pos, len(ranked), ap_of_list([r[2] for r in ranked])))
    return pd.DataFrame(
        out, columns=["row", label_col, "n_pos_pairs", "n_total_pairs", "average_precision"]
    )


def exact_null(k: int, n: int) -> dict[Fraction, Fraction]:
    """Exact distribution of the AP of a uniformly random 0/1 list with k ones among n."""
    dist: dict[Fraction, Fraction] = {}
    sets = list(itertools.combinations(range(1, n + 1), k))
    for ranks in sets:
        ap = sum(Fraction(m, r) for m, r in enumerate(ranks, start=1)) / k
        dist[ap] = dist.get(ap, Fraction(0)) + Fraction(1, len(sets))
    return dist


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg by its definition: q_i = min_{j: p_j >= p_i} p_j * n / rank_j."""
    n = len(p)
    ranks = np.argsort(np.argsort(p, kind="stable"), kind="stable") + 1
    q = np.empty(n)
    for i in range(n):
        q[i] = min(min(p[j] * n / ranks[j] for j in range(n) if p[j] >= p[i]), 1.0)
    return q
