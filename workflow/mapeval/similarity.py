"""Similarities between profiles, computed in blocks (never an N x N matrix in one piece).

Every similarity is a *similarity*: higher means more alike (SPEC §0). Values are rounded to
float32 before ranking, as copairs stores them, so that ties are the same ties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

#: A user similarity takes two (n, f) arrays of paired rows and returns n similarities.
PairwiseSimilarity = Callable[[np.ndarray, np.ndarray], np.ndarray]

SIMILARITIES = ("cosine", "abs_cosine", "correlation", "euclidean")


def _unit_rows(x: np.ndarray, what: str) -> np.ndarray:
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    bad = np.flatnonzero(norms == 0)
    if bad.size:
        raise ValueError(
            f"{what} is undefined for all-zero profiles: row(s) {bad[:10].tolist()} have zero norm"
        )
    return x / norms[:, None]


@dataclass(frozen=True)
class Similarity:
    """A prepared similarity over a fixed feature matrix.

    ``block(rows, cols)`` gives the (len(rows), len(cols)) similarities and ``pairs(i, j)`` the
    similarities of paired rows, both as float32.
    """

    name: str
    data: np.ndarray
    fn: PairwiseSimilarity | None = None

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        x, y = self.data[rows], self.data[cols]
        if self.name in ("cosine", "correlation"):
            out = x @ y.T
        elif self.name == "abs_cosine":
            out = np.abs(x @ y.T)
        elif self.name == "euclidean":
            out = 1.0 / (1.0 + cdist(x, y, "euclidean"))
        else:
            ii = np.repeat(np.arange(len(rows)), len(cols))
            jj = np.tile(np.arange(len(cols)), len(rows))
            out = self._call(x[ii], y[jj]).reshape(len(rows), len(cols))
        return out.astype(np.float32)

    def pairs(self, i: np.ndarray, j: np.ndarray, chunk_cells: int = 2_000_000) -> np.ndarray:
        out = np.empty(len(i), dtype=np.float32)
        step = max(1, chunk_cells // max(self.data.shape[1], 1))
        for s in range(0, len(i), step):
            out[s : s + step] = self._pairs(i[s : s + step], j[s : s + step])
        return out

    def _pairs(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        x, y = self.data[i], self.data[j]
        if self.name in ("cosine", "correlation"):
            out = np.einsum("ij,ij->i", x, y)
        elif self.name == "abs_cosine":
            out = np.abs(np.einsum("ij,ij->i", x, y))
        elif self.name == "euclidean":
            out = 1.0 / (1.0 + np.sqrt(((x - y) ** 2).sum(axis=1)))
        else:
            out = self._call(x, y)
        return out.astype(np.float32)

    @property
    def groupwise(self) -> bool:
        """Whether :meth:`within_groups` applies (inner-product similarities)."""
        return self.name in ("cosine", "abs_cosine", "correlation")

    def within_groups(self, members: np.ndarray, chunk_cells: int = 2_000_000) -> np.ndarray:
        """Similarities among the rows of each group: (g, s) row numbers -> (g, s, s) float32.

        Reads each row once per group instead of once per pair (pairs grow as s^2). Only for the
        matrix-product similarities (cosine, abs_cosine, correlation); see :attr:`groupwise`.
        """
        g, size = members.shape
        out = np.empty((g, size, size), dtype=np.float32)
        step = max(1, chunk_cells // max(size * self.data.shape[1], 1))
        for a in range(0, g, step):
            x = self.data[members[a : a + step]]  # (chunk, s, f)
            block = np.matmul(x, x.transpose(0, 2, 1))
            out[a : a + step] = np.abs(block) if self.name == "abs_cosine" else block
        return out

    def _call(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        assert self.fn is not None
        out = np.asarray(self.fn(x, y), dtype=np.float64)
        if out.shape != (len(x),):
            raise ValueError(
                f"similarity callable returned shape {out.shape}, expected ({len(x)},)"
            )
        if not np.isfinite(out).all():
            raise ValueError("similarity callable returned NaN or infinite values")
        return out


def prepare_similarity(feats: np.ndarray, similarity: str | PairwiseSimilarity) -> Similarity:
    """Precompute what a similarity needs (unit rows for cosine, centred unit rows for correlation).

    Parameters
    ----------
    feats : (n_profiles, n_features) float array, already validated finite.
    similarity : "cosine", "abs_cosine", "correlation" (Pearson), "euclidean" (1 / (1 + d)) or a
        callable taking two (n, f) arrays of paired rows and returning n similarities.
    """
    feats = np.asarray(feats, dtype=np.float64)
    if callable(similarity):
        return Similarity("callable", feats, similarity)
    if similarity in ("cosine", "abs_cosine"):
        return Similarity(similarity, _unit_rows(feats, f"{similarity} similarity"))
    if similarity == "correlation":
        centred = feats - feats.mean(axis=1, keepdims=True)
        return Similarity(similarity, _unit_rows(centred, "correlation (constant profile)"))
    if similarity == "euclidean":
        return Similarity(similarity, feats)
    raise ValueError(f"unknown similarity {similarity!r}; choose one of {SIMILARITIES} or a callable")
