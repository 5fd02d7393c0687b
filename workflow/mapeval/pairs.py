"""Positive and negative pairs from metadata (block design, SPEC §1.1).

A pair (i, j), i < j, is *positive* when the two profiles are equal in every ``pos_sameby``
column and different in every ``pos_diffby`` column; *negative* likewise with ``neg_sameby`` and
``neg_diffby``. Positive pairs are listed explicitly (they are few); negative pairs are never
listed: they are described by :class:`NegativeRule` and evaluated block by block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

_BAD_NAME = re.compile(r"[\s\-]")


def as_column_list(value: str | Sequence[str] | None, name: str) -> list[str]:
    """Normalise a ``*_sameby``/``*_diffby`` argument to a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        out = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a column name or a list of column names, got {value!r}") from None
    for v in out:
        if not isinstance(v, str):
            raise TypeError(f"{name} must hold column names (str), got {v!r}")
    return out


def split_queries(meta: pd.DataFrame, entries: list[str], name: str) -> tuple[list[str], np.ndarray]:
    """Separate column names from pandas query strings (row filters) in a column list.

    Returns the column names and a boolean mask of the rows that pass every query.
    """
    keep = np.ones(len(meta), dtype=bool)
    cols = []
    for entry in entries:
        if entry in meta.columns:
            cols.append(entry)
            continue
        if not re.search(r"[=<>!]", entry):
            raise ValueError(f"{name}: metadata column {entry!r} not found; have {list(meta.columns)}")
        try:
            keep &= meta.eval(entry).to_numpy(dtype=bool)
        except Exception as err:  # pandas raises many types here
            raise ValueError(f"{name}: cannot evaluate query {entry!r}: {err}") from err
    return cols, keep


def check_pairing_columns(meta: pd.DataFrame, columns: Sequence[str]) -> None:
    """Reject names that break pairing (``index``, spaces, dashes), duplicated columns and
    missing values."""
    for col in columns:
        if (meta.columns == col).sum() > 1:
            raise ValueError(
                f"metadata column {col!r} appears {(meta.columns == col).sum()} times; pairing needs "
                "one column per name: drop or rename the duplicates "
                "(e.g. meta.loc[:, ~meta.columns.duplicated()])"
            )
        if col == "index" or _BAD_NAME.search(col):
            raise ValueError(
                f"metadata column {col!r} cannot be used for pairing: rename it "
                "(no 'index', spaces or dashes)"
            )
        na = meta[col].isna().to_numpy()
        if na.any():
            rows = np.flatnonzero(na)[:10].tolist()
            raise ValueError(f"metadata column {col!r} has missing values at row(s) {rows}")


def _unhashable_message(meta: pd.DataFrame, col: str, err: Exception) -> str:
    row = next(
        (r for r, v in enumerate(meta[col].tolist()) if isinstance(v, (list, np.ndarray, dict, set))),
        None,
    )
    where = f" (first: row {row}, {meta[col].iloc[row]!r})" if row is not None else ""
    return (
        f"metadata column {col!r} holds lists or other unhashable values{where}, but pairing "
        f"needs one value per row ({err}). For several labels per profile use "
        f"mapeval.multilabel.average_precision(..., multilabel_col={col!r}); otherwise join the "
        "values into a string"
    )


def codes(
    meta: pd.DataFrame, columns: Sequence[str], cache: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """Integer codes of each column, shape (n_rows, len(columns)).

    ``cache`` (column -> codes), when given, is read and filled, so that a column used by
    several of sameby/diffby is factorised once per call.
    """
    if not columns:
        return np.zeros((len(meta), 0), dtype=np.int64)
    cache = {} if cache is None else cache
    for c in columns:
        if c not in cache:
            try:
                cache[c] = pd.factorize(meta[c])[0].astype(np.int64)
            except TypeError as err:  # unhashable values: lists, arrays, dicts, sets
                raise ValueError(_unhashable_message(meta, c, err)) from err
    return np.stack([cache[c] for c in columns], axis=1)


def group_ids(code_matrix: np.ndarray) -> np.ndarray:
    """One integer per distinct row of ``code_matrix`` (all zeros when it has no columns)."""
    n, n_cols = code_matrix.shape
    if n_cols == 0:
        return np.zeros(n, dtype=np.int64)
    key = code_matrix[:, 0].astype(np.int64)
    for c in range(1, n_cols):
        # mixed-radix key while it fits in int64, re-factorised to stay small
        key = pd.factorize(key * (int(code_matrix[:, c].max()) + 1) + code_matrix[:, c])[0]
    return pd.factorize(key)[0].astype(np.int64)


#: Groups up to this size get their similarities as one small matrix per group.
GROUPWISE_MAX_SIZE = 64


def pairs_within_groups(
    groups: np.ndarray, rows: np.ndarray | None = None, similarity=None, threads: int = 1
) -> tuple[np.ndarray, ...]:
    """All pairs (i, j), i < j, of ``rows`` that share a group id.

    Parameters
    ----------
    groups : (n,) int array, group id per row (negative ids never pair).
    rows : row numbers to consider (default: all).
    similarity : optional :class:`mapeval.similarity.Similarity`; then the pairs'
        similarities are returned as a third array.
    threads : threads for the similarities.
    """
    rows = np.arange(len(groups)) if rows is None else np.asarray(rows)
    rows = rows[groups[rows] >= 0]
    order = np.lexsort((rows, groups[rows]))
    rows = rows[order]
    g = groups[rows]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(rows) else np.empty(0, int)
    sizes = np.diff(np.r_[starts, len(rows)])
    out_i, out_j = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    by_size = []  # (members, a, b) per group size, for the group-wise similarities
    for size in np.unique(sizes[sizes >= 2]):
        members = rows[starts[sizes == size][:, None] + np.arange(size)[None, :]]
        a, b = np.triu_indices(size, k=1)
        out_i.append(members[:, a].ravel())
        out_j.append(members[:, b].ravel())
        by_size.append((members, a, b))
    i, j = np.concatenate(out_i), np.concatenate(out_j)
    if similarity is None:
        return i, j
    # replicate plates that share a layout give runs of pairs (i + t, j + t): read in place
    s = similarity.pairs_along_runs(i, j)
    if s is not None:
        return i, j, s
    out_s = [np.empty(0, np.float32)]
    for (members, a, b), pi, pj in zip(by_size, out_i[1:], out_j[1:]):
        if similarity.groupwise and members.shape[1] <= GROUPWISE_MAX_SIZE:
            out_s.append(similarity.within_groups(members, threads=threads)[:, a, b].ravel())
        else:
            out_s.append(similarity.pairs(pi, pj))
    return i, j, np.concatenate(out_s)


def all_differ(code_matrix: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """True where rows i and j differ in every column of ``code_matrix``."""
    keep = np.ones(len(i), dtype=bool)
    for c in range(code_matrix.shape[1]):
        keep &= code_matrix[i, c] != code_matrix[j, c]
    return keep


@dataclass(frozen=True)
class NegativeRule:
    """Which pairs are negative: same ``group`` (>= 0), different in every ``diff`` column and,
    when ``labels`` is given (multilabel), no label in common."""

    group: np.ndarray  # (n,) int, -1 = never a negative
    diff: np.ndarray  # (n, n_diffby) int codes
    labels: sparse.csr_matrix | None = None  # (n, n_labels) 0/1

    def candidates(self, queries: np.ndarray, members: np.ndarray) -> np.ndarray:
        """Members that can be a negative of at least one query (cheap pre-filter)."""
        keep = np.ones(len(members), dtype=bool)
        for c in range(self.diff.shape[1]):
            values = self.diff[queries, c]
            if values.min() == values.max():  # one value: members with it are never negatives
                keep &= self.diff[members, c] != values[0]
        return members[keep]

    def all_negative(self, rows: np.ndarray, cols: np.ndarray) -> bool:
        """Cheap sufficient test that every (row, col) of a block is a negative pair: one group,
        no shared value in any ``diff`` column (so no row is also a col), no label sets."""
        if self.labels is not None or self.diff.shape[1] == 0:
            return False
        g = self.group[rows]
        if g.min() < 0 or g.min() != g.max() or (self.group[cols] != g[0]).any():
            return False
        for c in range(self.diff.shape[1]):
            a, b = self.diff[rows, c], self.diff[cols, c]
            if a.min() > b.max() or b.min() > a.max():
                continue
            if len(b) <= len(a):
                a, b = b, a
            if np.isin(a, b).any():
                return False
        return True

    def mask(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """(len(rows), len(cols)) boolean: is (row, col) a negative pair."""
        m = self.group[rows][:, None] == self.group[cols][None, :]
        m &= self.group[rows][:, None] >= 0
        for c in range(self.diff.shape[1]):
            m &= self.diff[rows, c][:, None] != self.diff[cols, c][None, :]
        if self.labels is not None:
            shared = (self.labels[rows] @ self.labels[cols].T).toarray()
            m &= shared == 0
        m &= rows[:, None] != cols[None, :]
        return m
