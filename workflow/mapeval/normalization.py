"""Normalised average precision (copairs 0.5.5 ``copairs.map.normalization``).

The expected AP of a random ranking of M positives among L = M + N items is

    E[AP] = (1/L) * ((M - 1)/(L - 1) * (L - H_L) + H_L),   H_L = sum_{k=1..L} 1/k,

and the normalised AP is (AP - E[AP]) / max(1 - E[AP], 1e-10), clipped to [-1, 1]: 0 for a
random ranking, 1 for a perfect one, negative for worse than random. The arithmetic here is
copairs' own, operation by operation (H_L summed in increasing k, float64), so the values are
the same numbers; only the harmonic numbers are computed once for all configurations.
"""

from __future__ import annotations

import numpy as np

#: Floor of the denominator 1 - E[AP] (copairs' ``eps``).
NORMALIZE_EPS = 1e-10


def harmonic_numbers(n_max: int) -> np.ndarray:
    """H_0..H_n_max, with H_L summed as copairs sums it (1/1 + 1/2 + ... in float64, in order)."""
    out = np.zeros(int(n_max) + 1, dtype=np.float64)
    if n_max >= 1:
        # add.accumulate is a strictly sequential sum: the same rounding as a Python loop
        out[1:] = np.add.accumulate(1.0 / np.arange(1, int(n_max) + 1, dtype=np.float64))
    return out


def expected_ap(n_pos: np.ndarray | int, n_total: np.ndarray | int) -> np.ndarray:
    """Exact expected AP of a random ranking of ``n_pos`` positives among ``n_total`` items.

    Parameters
    ----------
    n_pos : M, the number of positive pairs (>= 0).
    n_total : L = M + N, the number of ranked pairs (>= max(M, 1)).

    Returns
    -------
    float64 array (copairs ``expected_ap`` element-wise: 1 when L == M, 0 when M == 0).
    """
    m = np.atleast_1d(np.asarray(n_pos, dtype=np.int64))
    total = np.atleast_1d(np.asarray(n_total, dtype=np.int64))
    m, total = np.broadcast_arrays(m, total)
    if ((total < 1) | (m < 0) | (m > total)).any():
        bad = np.flatnonzero((total < 1) | (m < 0) | (m > total))[0]
        raise ValueError(
            f"expected AP needs 0 <= n_pos <= n_total and n_total >= 1, got n_pos={m[bad]}, "
            f"n_total={total[bad]}"
        )
    out = np.zeros(m.shape, dtype=np.float64)
    out[m == total] = 1.0  # includes L == 1 with M == 1
    general = (m > 0) & (m < total)
    if general.any():
        mm = m[general].astype(np.float64)
        ll_int = total[general]
        h = harmonic_numbers(int(ll_int.max()))[ll_int]
        ll = ll_int.astype(np.float64)
        out[general] = (1.0 / ll) * (((mm - 1.0) / (ll - 1.0)) * (ll - h) + h)
    return out


def normalize_ap(ap: np.ndarray, n_pos: np.ndarray, n_total: np.ndarray) -> np.ndarray:
    """(AP - E[AP]) / max(1 - E[AP], 1e-10), clipped to [-1, 1]; NaN where AP is NaN."""
    ap = np.asarray(ap, dtype=np.float64)
    mu0 = expected_ap(n_pos, n_total)
    denominator = np.maximum(1 - mu0, NORMALIZE_EPS)
    return np.clip((ap - mu0) / denominator, -1.0, 1.0)
