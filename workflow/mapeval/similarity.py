"""Similarities between profiles, computed in blocks (never an N x N matrix in one piece).

Every similarity is a *similarity*: higher means more alike (SPEC §0). Values are rounded to
float32 before ranking, as copairs stores them, so that ties are the same ties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from .parallel import map_blocks

#: A user similarity takes two (n, f) arrays of paired rows and returns n similarities.
PairwiseSimilarity = Callable[[np.ndarray, np.ndarray], np.ndarray]

SIMILARITIES = ("cosine", "abs_cosine", "correlation", "euclidean")


#: Cells (rows x features) gathered per chunk: 500,000 float64 = 4.0 MB stays below numpy's 4 MiB
#: threshold for asking the kernel for huge pages, whose first touch costs 5-25 ms per chunk
#: on machines with transparent huge pages in "madvise" mode; smaller chunks also stay in cache.
_CHUNK_CELLS = 500_000

#: Similarity blocks with at most this many columns compute their product transposed.
_FEW_COLUMNS = 128

#: Pairs on runs at least this long are read in place (see Similarity.pairs_along_runs).
_MIN_RUN = 16

#: Rows per chunk when row norms are computed (bounds the temporary memory).
_NORM_CHUNK = 4096


def _row_norms(x: np.ndarray, center: np.ndarray | None, what: str) -> np.ndarray:
    """Euclidean norm of every (centred) row, chunk by chunk; zero norms are refused."""
    norms = np.empty(len(x), dtype=np.float64)
    for s in range(0, len(x), _NORM_CHUNK):
        c = x[s : s + _NORM_CHUNK]
        if center is not None:
            c = c - center[s : s + _NORM_CHUNK, None]
        norms[s : s + _NORM_CHUNK] = np.sqrt(np.einsum("ij,ij->i", c, c))
    _refuse_zero_norms(norms, what)
    return norms


def _refuse_zero_norms(norms: np.ndarray, what: str) -> None:
    bad = np.flatnonzero(norms == 0)
    if bad.size:
        raise ValueError(
            f"{what} is undefined for all-zero profiles: row(s) {bad[:10].tolist()} have zero norm"
        )


@dataclass(frozen=True)
class Similarity:
    """A prepared similarity over a fixed feature matrix.

    ``block(rows, cols)`` gives the (len(rows), len(cols)) similarities and ``pairs(i, j)`` the
    similarities of paired rows, both as float32. The feature matrix is kept as given, never
    copied whole: cosine divides the products of the raw rows by both rows' norms (contiguous
    runs of rows are used in place); correlation centres and scales the rows it gathers.
    """

    name: str
    data: np.ndarray
    fn: PairwiseSimilarity | None = None
    center: np.ndarray | None = None  # (n,) row means subtracted first (correlation)
    norms: np.ndarray | None = None  # (n,) norms of the (centred) rows (cosine, correlation)

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """The prepared rows ``idx`` (any shape of row numbers -> idx.shape + (n_features,))."""
        idx = np.asarray(idx)
        x = self.data[idx]  # integer-array indexing: always a copy
        if self.center is not None:
            x -= self.center[idx][..., None]
        if self.norms is not None:
            x /= self.norms[idx][..., None]
        return x

    @property
    def _scaled_products(self) -> bool:
        # cosine: products of the raw rows divided by both norms (no scaled copy of the rows)
        return self.name in ("cosine", "abs_cosine")

    def _raw(self, idx: np.ndarray) -> np.ndarray:
        """Rows ``idx`` of the feature matrix: a view when they are one contiguous run."""
        idx = np.asarray(idx)
        if idx.ndim == 1 and len(idx) > 1 and idx[-1] - idx[0] == len(idx) - 1:
            if (np.diff(idx) == 1).all():
                return self.data[idx[0] : idx[-1] + 1]
        return self.data[idx]

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        if self._scaled_products:
            x, y = self._raw(rows), self._raw(cols)
            # a few columns (e.g. 352 queries x 32 controls of a plate): BLAS is ~20% faster
            # with the short side first; for large blocks the usual order is faster
            out = (y @ x.T).T if len(cols) <= _FEW_COLUMNS < len(rows) else x @ y.T
            out /= self.norms[rows][:, None]
            out /= self.norms[cols][None, :]
            if self.name == "abs_cosine":
                np.abs(out, out=out)
            return out.astype(np.float32, order="C")
        x, y = self.rows(rows), self.rows(cols)
        if self.name == "correlation":
            out = x @ y.T
        elif self.name == "euclidean":
            out = 1.0 / (1.0 + cdist(x, y, "euclidean"))
        else:
            ii = np.repeat(np.arange(len(rows)), len(cols))
            jj = np.tile(np.arange(len(cols)), len(rows))
            out = self._call(x[ii], y[jj]).reshape(len(rows), len(cols))
        return out.astype(np.float32)

    def pairs(self, i: np.ndarray, j: np.ndarray, chunk_cells: int = _CHUNK_CELLS) -> np.ndarray:
        out = np.empty(len(i), dtype=np.float32)
        step = max(1, chunk_cells // max(self.data.shape[1], 1))
        for s in range(0, len(i), step):
            out[s : s + step] = self._pairs(i[s : s + step], j[s : s + step])
        return out

    def _pairs(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if self._scaled_products:
            out = np.einsum("ij,ij->i", self.data[i], self.data[j])
            out /= self.norms[i] * self.norms[j]
            return (np.abs(out) if self.name == "abs_cosine" else out).astype(np.float32)
        x, y = self.rows(i), self.rows(j)
        if self.name == "correlation":
            out = np.einsum("ij,ij->i", x, y)
        elif self.name == "euclidean":
            out = 1.0 / (1.0 + np.sqrt(((x - y) ** 2).sum(axis=1)))
        else:
            out = self._call(x, y)
        return out.astype(np.float32)

    def pairs_along_runs(self, i: np.ndarray, j: np.ndarray) -> np.ndarray | None:
        """Similarities of pairs (i, j) read in place along runs, or None when runs are rare.

        A run is a stretch of pairs (i0 + t, j0 + t), t = 0..L-1: the layout of replicate plates
        that share a plate map (the same well on each plate). Its similarities are row-wise
        products of two contiguous slices of the feature matrix, with no gathered copy. Used
        for cosine and abs_cosine when at least half of the pairs lie on runs of
        ``_MIN_RUN`` or more; other pairs are gathered as by :meth:`pairs`.
        """
        if not self._scaled_products or len(i) < 2 * _MIN_RUN:
            return None
        d = j - i
        order = np.lexsort((i, d))
        io, do = i[order], d[order]
        cut = np.flatnonzero(np.r_[True, (do[1:] != do[:-1]) | (io[1:] != io[:-1] + 1), True])
        lengths = np.diff(cut)
        long = lengths >= _MIN_RUN
        if lengths[long].sum() * 2 < len(i):
            return None
        sorted_out = np.empty(len(i), dtype=np.float32)
        for a, length in zip(cut[:-1][long], lengths[long]):
            r0, c0 = io[a], io[a] + do[a]
            x, y = self.data[r0 : r0 + length], self.data[c0 : c0 + length]
            s = np.einsum("ij,ij->i", x, y)
            s /= self.norms[r0 : r0 + length] * self.norms[c0 : c0 + length]
            sorted_out[a : a + length] = np.abs(s) if self.name == "abs_cosine" else s
        rest = np.repeat(~long, lengths)
        if rest.any():
            sorted_out[rest] = self.pairs(io[rest], io[rest] + do[rest])
        out = np.empty(len(i), dtype=np.float32)
        out[order] = sorted_out
        return out

    @property
    def groupwise(self) -> bool:
        """Whether :meth:`within_groups` applies (inner-product similarities)."""
        return self.name in ("cosine", "abs_cosine", "correlation")

    def within_groups(
        self, members: np.ndarray, chunk_cells: int = _CHUNK_CELLS, threads: int = 1
    ) -> np.ndarray:
        """Similarities among the rows of each group: (g, s) row numbers -> (g, s, s) float32.

        Reads each row once per group instead of once per pair (pairs grow as s^2). Only for the
        matrix-product similarities (cosine, abs_cosine, correlation); see :attr:`groupwise`.
        """
        g, size = members.shape
        out = np.empty((g, size, size), dtype=np.float32)
        step = max(1, chunk_cells // max(size * self.data.shape[1], 1))

        def chunk(a: int) -> None:
            m = members[a : a + step]
            if self._scaled_products:
                # a flat gather is much faster than a 2-D fancy index
                x = self.data[m.ravel()].reshape(*m.shape, -1)  # (chunk, s, f)
                block = np.matmul(x, x.transpose(0, 2, 1))
                n = self.norms[m]
                block /= n[:, :, None]
                block /= n[:, None, :]
            else:
                x = self.rows(m)
                block = np.matmul(x, x.transpose(0, 2, 1))
            out[a : a + step] = np.abs(block) if self.name == "abs_cosine" else block

        if g * size * self.data.shape[1] < 4 * chunk_cells:
            threads = 1  # too little work to pay for the threads
        # (s x f) @ (f x s) products are small: one BLAS thread each, serial or not (a
        # multi-threaded BLAS spin-waits on them)
        for _ in map_blocks(chunk, range(0, g, step), threads):
            pass
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


#: Rows whose sum of squares is below this (or not finite) are rescaled by a power of two
#: before cosine and correlation: their squares or products would under- or overflow.
_TINY_SQUARES = 2.0**-600
#: Euclidean: 1/(1+d) leaves float32's normal range for distances above about 1e38.
_MAX_EUCLIDEAN_NORM = 1e37


def rescale_extreme_rows(feats: np.ndarray, squares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of extreme magnitude scaled so that their largest |value| lies in [0.5, 1).

    Cosine and correlation do not change when a row is multiplied by a positive number, and a
    power of two changes no bit of the result: the answer is exact where the raw arithmetic
    would overflow (|x| >~ 1e154: squares are infinite) or underflow (|x| <~ 1e-154, subnormals:
    squares are 0). Other rows, and the matrix when no row is extreme, are left as they are
    (a copy is made only when some row is rescaled). All-zero rows stay zero.

    Returns the (possibly new) matrix and its rows' sums of squares.
    """
    extreme = ~np.isfinite(squares) | (squares < _TINY_SQUARES)
    if not extreme.any():
        return feats, squares
    rows = np.flatnonzero(extreme)
    x = feats[rows]
    top = np.abs(x).max(axis=1)
    nonzero = top > 0
    if nonzero.any():
        exponent = np.frexp(top[nonzero])[1]  # top = m * 2**exponent, m in [0.5, 1)
        x[nonzero] = np.ldexp(x[nonzero], -exponent[:, None])
    feats = feats.copy()
    feats[rows] = x
    squares = squares.copy()
    squares[rows] = np.einsum("ij,ij->i", x, x)
    return feats, squares


def prepare_similarity(
    feats: np.ndarray,
    similarity: str | PairwiseSimilarity,
    squares: np.ndarray | None = None,
) -> Similarity:
    """Precompute what a similarity needs (row norms for cosine; row means and norms for correlation).

    Parameters
    ----------
    feats : (n_profiles, n_features) float array, already validated finite.
    similarity : "cosine", "abs_cosine", "correlation" (Pearson), "euclidean" (1 / (1 + d)) or a
        callable taking two (n, f) arrays of paired rows and returning n similarities.
    squares : optional (n_profiles,) sum of squares of every row (saves a pass).
    """
    feats = np.asarray(feats, dtype=np.float64)
    if callable(similarity):
        return Similarity("callable", feats, similarity)
    if not isinstance(similarity, str):
        raise TypeError(
            f"similarity must be one of {SIMILARITIES} or a callable, got {similarity!r} "
            f"({type(similarity).__name__}); note that copairs' 7th argument is batch_size while "
            "mapeval's is similarity: pass batch_size=... by keyword"
        )
    if similarity not in SIMILARITIES:
        raise ValueError(f"unknown similarity {similarity!r}; choose one of {SIMILARITIES} or a callable")
    if squares is None:
        squares = np.einsum("ij,ij->i", feats, feats)
    if similarity == "euclidean":
        big = ~np.isfinite(squares) | (squares > _MAX_EUCLIDEAN_NORM**2)
        if big.any():
            raise ValueError(
                f"euclidean similarity 1/(1+d) cannot rank profiles of norm above {_MAX_EUCLIDEAN_NORM:.0e} "
                f"(row(s) {np.flatnonzero(big)[:10].tolist()}): their distances overflow or their "
                "similarities vanish in float32. Rescale the features (e.g. divide by a power of "
                "ten) or use cosine/correlation, which are scale-invariant"
            )
        return Similarity(similarity, feats)
    feats, squares = rescale_extreme_rows(feats, squares)
    if similarity in ("cosine", "abs_cosine"):
        norms = np.sqrt(squares)
        _refuse_zero_norms(norms, f"{similarity} similarity")
        return Similarity(similarity, feats, norms=norms)
    # correlation
    center = feats.mean(axis=1)
    norms = _row_norms(feats, center, "correlation (constant profile)")
    return Similarity(similarity, feats, center=center, norms=norms)
