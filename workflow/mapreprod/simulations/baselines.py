"""The three baseline tests of the simulation benchmark (docs/methods.md §2.4): mp-value, MMD and k-means.

Every method compares a group X of ``n_x`` profiles (the replicates of a perturbation) with a
group Y of ``n_y`` profiles (the controls). All three only need inner products between the
``n = n_x + n_y`` stacked profiles, so each works from the centred Gram matrix of the stack;
the ``*_from_gram`` functions take a batch of them, shape (B, n, n), with X first. A simulated
condition computes one Gram matrix of all its profiles and slices it per perturbation.

Permutation tests relabel the stacked rows as the authors' code does: permutation t is
``rng.permutation(mask)`` of the mask [1]*n_x + [0]*n_y, drawn from one
``numpy.random.default_rng(seed)``; every pair of groups of the same sizes sees the same
permutations. p = (1 + #{permuted >= observed}) / (1 + n_perm). All permuted statistics are
computed at once from the precomputed matrices: nothing is refitted inside a permutation.

mp-value
    PCA of the stack (90% of the variance; scores scaled by the explained-variance ratio), then
    the squared Mahalanobis distance between the mean of X's scores and Y's scores (location =
    Y's mean, covariance = Y's biased empirical covariance, pseudo-inverse when singular, as
    scikit-learn's ``EmpiricalCovariance.mahalanobis``). Permutations relabel the PCA scores.
    Per permutation only P x P matrices are needed: with scores Z = U Λ (U orthonormal, centred),
    Y's scatter is Λ(I - U_Xᵀ M U_X)Λ with M = I + 11ᵀ/n_y, a rank-n_x downdate of a diagonal
    matrix. Woodbury's identity gives its inverse; when it is singular (more components than
    n_y - 1) the pseudo-inverse is (S + P_N)⁻¹ - P_N with P_N the projector on its kernel,
    spanned by Λ⁻¹ U_Xᵀ M^½ e for the eigenvectors e of M^½ U_X U_Xᵀ M^½ with eigenvalue 1.
    All of it needs only the P x P blocks of U Λ^{2j} Uᵀ (j = 0, -1, -2) for the rows of X.
MMD
    Unbiased quadratic-time MMD² with a Gaussian kernel; bandwidth from the median pairwise
    Euclidean distance of the pooled sample, σ = sqrt(median / 2) (the authors' code) or
    σ = median (the paper's text). Permuted statistics are quadratic forms of one kernel matrix.
k-means
    scikit-learn's ``KMeans(n_clusters=2, init="random", n_init=10, random_state=seed)``
    (Lloyd), emulated on the Gram matrix for a batch of problems at once: the same initial
    centres (drawn by the same ``RandomState`` calls), assignment, tolerance, stopping rules and
    choice of the best restart. A problem that hits an empty cluster is handed to scikit-learn.
    Success = both groups recovered exactly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np

Bandwidth = Literal["sqrt_half_median", "median"]


@dataclass
class PermutationResult:
    """Observed statistics, permuted statistics and p-values of a batch of tests.

    ``statistic``: shape (B,); ``null``: shape (B, n_perm); ``p_value``: shape (B,).
    """

    statistic: np.ndarray
    null: np.ndarray
    p_value: np.ndarray


# --------------------------------------------------------------------------------------------
# shared helpers


def permutation_masks(n_x: int, n_y: int, n_perm: int = 1000, seed: int = 42) -> np.ndarray:
    """Boolean masks (n_perm, n_x + n_y) of the rows labelled X in each permutation.

    Permutation t is the t-th ``rng.permutation([1]*n_x + [0]*n_y)`` of
    ``numpy.random.default_rng(seed)``, as in the authors' mp-value and MMD code.
    """
    if n_perm < 1:
        raise ValueError(f"n_perm must be >= 1, got {n_perm}")
    return _permutation_masks(int(n_x), int(n_y), int(n_perm), int(seed)).copy()


@functools.lru_cache(maxsize=64)
def _permutation_masks(n_x: int, n_y: int, n_perm: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = np.concatenate([np.ones(n_x), np.zeros(n_y)])
    return np.stack([rng.permutation(mask) for _ in range(n_perm)]).astype(bool)


@functools.lru_cache(maxsize=64)
def _test_sets(n_x: int, n_y: int, n_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct X row sets (U, n_x), the observed one first, and the index of each
    permutation's set in them (n_perm,). Statistics are computed once per distinct set, so a
    permutation that recreates the observed groups ties with it exactly."""
    masks = _permutation_masks(n_x, n_y, n_perm, seed)
    rows = np.concatenate([np.arange(n_x)[None], _x_rows(masks, n_x)])
    uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
    obs = int(inverse[0])
    order = np.r_[obs, np.delete(np.arange(len(uniq)), obs)]
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return uniq[order], rank[inverse.ravel()[1:]]


def clear_permutation_cache() -> None:
    """Forget the cached permutation masks and distinct test sets.

    Every pair of groups of the same sizes sees the same permutations, so they are drawn once
    per (n_x, n_y, n_perm, seed) and kept (64 entries each). Clearing changes no result; a
    benchmark clears before it times the first computation.
    """
    _test_sets.cache_clear()
    _permutation_masks.cache_clear()


def permutation_pvalues(statistic: np.ndarray, null: np.ndarray) -> np.ndarray:
    """p = (1 + #{null >= statistic}) / (1 + n_perm), along the last axis of ``null``."""
    return (1 + (null >= statistic[..., None]).sum(-1)) / (1 + null.shape[-1])


def centered_gram(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Centred Gram matrix of the stack [x; y], shape (n, n)."""
    z = np.concatenate([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    if z.ndim != 2 or not np.isfinite(z).all():
        raise ValueError("profiles must be finite 2-D arrays (samples x features)")
    z = z - z.mean(0)
    return z @ z.T


def center_grams(grams: np.ndarray) -> np.ndarray:
    """Double-centre a batch of Gram matrices (B, n, n): H G H with H = I - 11ᵀ/n."""
    g = grams - grams.mean(-1, keepdims=True)
    return g - g.mean(-2, keepdims=True)


def _x_rows(masks: np.ndarray, n_x: int) -> np.ndarray:
    """Indices (T, n_x) of the X rows of each mask, in row order."""
    rows = np.nonzero(masks)[1]
    return rows.reshape(masks.shape[0], n_x)


def _blocks(mat: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """mat[b][idx[t]][:, idx[t]] for every b and t: (B, n, n), (T, P) -> (B, T, P, P)."""
    return mat[:, idx[:, :, None], idx[:, None, :]]


def _check_sizes(grams: np.ndarray, n_x: int) -> tuple[int, int]:
    if grams.ndim != 3 or grams.shape[1] != grams.shape[2]:
        raise ValueError(f"Gram matrices must have shape (B, n, n), got {grams.shape}")
    n = grams.shape[1]
    n_y = n - n_x
    if n_x < 2 or n_y < 2:
        raise ValueError(f"need at least 2 profiles in each group, got {n_x} and {n_y}")
    return n, n_y


# --------------------------------------------------------------------------------------------
# mp-value


def pca_from_gram(
    grams_c: np.ndarray, variance: float = 0.9, rescale: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PCA of each stack from its centred Gram matrix, as scikit-learn's ``PCA(variance)``.

    Returns ``u`` (B, n, n) left singular vectors (columns in decreasing variance), ``scale``
    (B, n) the factor of each component's scores (singular value, times the explained-variance
    ratio if ``rescale``; 0 for dropped components) and ``k`` (B,) the number of components
    kept: the smallest k whose cumulative explained-variance ratio exceeds ``variance``.
    """
    w, u = np.linalg.eigh(grams_c)
    w, u = np.clip(w[:, ::-1], 0, None), u[:, :, ::-1]
    ratio = w / w.sum(-1, keepdims=True)
    cum = np.cumsum(ratio, -1)
    k = np.minimum((cum <= variance).sum(-1) + 1, w.shape[-1])  # searchsorted(side="right")+1
    keep = np.arange(w.shape[-1])[None, :] < k[:, None]
    scale = np.sqrt(w) * (ratio if rescale else 1.0)
    return u, np.where(keep, scale, 0.0), k


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched solve of a x = b for vectors b (..., P)."""
    return np.linalg.solve(a, b[..., None])[..., 0]


#: Below this, Y's covariance counts as (numerically) more singular than its structure says;
#: such permutations are computed directly with a pseudo-inverse, as scikit-learn does.
_DEGENERATE = 1e-9


def _mahalanobis_batch(
    k0: np.ndarray, k2: np.ndarray | None, k4: np.ndarray | None, n_y: int, r0: int
) -> tuple[np.ndarray, np.ndarray]:
    """Squared Mahalanobis distance for blocks (..., P, P) of U Λ^{2j} Uᵀ (module docstring).

    Returns the distances and a mask of degenerate cases (a kernel larger than ``r0``, e.g. a
    principal component carried by one outlying profile), whose distance is left as NaN.
    """
    p = k0.shape[-1]
    n = p + n_y
    one = np.ones(p)
    eye = np.eye(p)
    m_half = eye + (np.sqrt(1 + p / n_y) - 1) * np.outer(one, one) / p
    c0 = n / (n_y * p)
    k0_1 = k0 @ one
    base = c0**2 * (k0_1 @ one)
    if r0 == 0:
        a = eye - np.outer(one, one) / n - k0  # M⁻¹ - K0; det(I - G) = det(M) det(a)
        bad = np.linalg.det(a) * (1 + p / n_y) < _DEGENERATE
        a = np.where(bad[..., None, None], eye, a)
        corr = c0**2 * np.einsum("...i,...i->...", k0_1, _solve(a, k0_1))
        return np.where(bad, np.nan, n_y * (base + corr)), bad
    g = m_half @ k0 @ m_half
    w, e = np.linalg.eigh(g)
    # exactly r0 eigenvalues equal 1 (the kernel); one more near 1 means a larger kernel
    bad = w[..., -r0 - 1] > 1 - _DEGENERATE if r0 < p else np.zeros(w.shape[:-1], bool)
    q = m_half @ e[..., -r0:]  # (..., P, r0)
    qt = np.swapaxes(q, -1, -2)
    ntn = qt @ k2 @ q
    c12 = m_half @ k2 @ q
    c22 = qt @ k4 @ q
    cap = np.concatenate(
        [
            np.concatenate([g - eye, c12], -1),
            np.concatenate([np.swapaxes(c12, -1, -2), ntn + c22], -1),
        ],
        -2,
    )
    cap = np.where(bad[..., None, None], np.eye(cap.shape[-1]), cap)
    b = c0 * np.concatenate([m_half @ k0_1[..., None], qt @ (k2 @ one)[..., None]], -2)[..., 0]
    ntd = c0 * (qt @ k0_1[..., None])[..., 0]
    woodbury = np.einsum("...i,...i->...", b, _solve(cap, b))
    proj = np.einsum("...i,...i->...", ntd, _solve(ntn, ntd))
    return np.where(bad, np.nan, n_y * (base - woodbury - proj)), bad


def _mahalanobis_direct(scores: np.ndarray, x_sets: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """scikit-learn's ``EmpiricalCovariance().fit(Y).mahalanobis(mean(X))`` for the rare
    degenerate permutations, batched: X = ``scores[x_sets[t]]``, Y = the other rows.

    Y's covariance is computed from its centred rows (not by downdating, which would cancel
    catastrophically next to an outlier) and pseudo-inverted like ``scipy.linalg.pinvh``:
    eigenvalues at most max|eigenvalue| * k * eps are dropped.
    """
    n, k = scores.shape
    out = np.empty(len(x_sets))
    for start in range(0, len(x_sets), chunk):
        sets = x_sets[start : start + chunk]
        mask = np.zeros((len(sets), n), bool)
        mask[np.arange(len(sets))[:, None], sets] = True
        y = scores[np.nonzero(~mask)[1].reshape(len(sets), n - sets.shape[1])]  # (T, m, k)
        mean_y = y.mean(1)
        yc = y - mean_y[:, None, :]
        cov = np.swapaxes(yc, 1, 2) @ yc / y.shape[1]
        w, v = np.linalg.eigh(cov)
        keep = np.abs(w) > np.abs(w).max(-1, keepdims=True) * k * np.finfo(float).eps
        d = scores[sets].mean(1) - mean_y
        proj = np.einsum("tkj,tk->tj", v, d)
        out[start : start + chunk] = np.where(keep, proj**2 / np.where(keep, w, 1.0), 0).sum(-1)
    return out


def mp_value_from_gram(
    grams_c: np.ndarray,
    n_x: int,
    n_perm: int = 1000,
    seed: int = 42,
    variance: float = 0.9,
    rescale: bool = True,
) -> PermutationResult:
    """mp-value of a batch of (X, Y) stacks given their centred Gram matrices (B, n, n).

    Rows 0..n_x-1 of each stack are X. See the module docstring for the method.
    """
    n, n_y = _check_sizes(grams_c, n_x)
    idx, which = _test_sets(n_x, n_y, n_perm, seed)  # idx[0] = observed
    u, scale, k = pca_from_gram(grams_c, variance, rescale)
    safe = np.where(scale > 0, scale, 1.0)
    kept = (scale > 0).astype(float)
    stats = np.empty((grams_c.shape[0], idx.shape[0]))
    # components beyond n_y - 1 make Y's covariance singular: its kernel has this dimension
    r0 = np.maximum(0, k - (n_y - 1))
    for r in np.unique(r0):
        sel = np.flatnonzero(r0 == r)
        us = u[sel]
        # blocks of U Λ^{2j} Uᵀ, j = 0, -1, -2; the last two only when Y's covariance is singular
        blocks = [_blocks((us * (kept[sel] * safe[sel] ** (-2.0 * j))[:, None, :])
                          @ np.swapaxes(us, -1, -2), idx) for j in range(3 if r > 0 else 1)]
        k0, k2, k4 = blocks if r > 0 else (blocks[0], None, None)
        stats[sel], bad = _mahalanobis_batch(k0, k2, k4, n_y, int(r))
        for bi in np.flatnonzero(bad.any(-1)):
            b, ts = sel[bi], np.flatnonzero(bad[bi])
            scores = u[b, :, : k[b]] * scale[b, : k[b]]
            stats[b, ts] = _mahalanobis_direct(scores, idx[ts])
    obs, null = stats[:, 0], stats[:, which]
    return PermutationResult(obs, null, permutation_pvalues(obs, null))


def mp_value(
    x: np.ndarray,
    y: np.ndarray,
    n_perm: int = 1000,
    seed: int = 42,
    variance: float = 0.9,
    rescale: bool = True,
) -> tuple[float, float]:
    """mp-value test of perturbation profiles ``x`` (n_x, d) against controls ``y`` (n_y, d).

    Returns (squared Mahalanobis distance, permutation p-value).
    """
    res = mp_value_from_gram(centered_gram(x, y)[None], len(x), n_perm, seed, variance, rescale)
    return float(res.statistic[0]), float(res.p_value[0])


# --------------------------------------------------------------------------------------------
# MMD


def sq_distances_from_gram(grams: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances (B, n, n) from Gram matrices; exact zeros on the diagonal."""
    d = np.diagonal(grams, axis1=-2, axis2=-1)
    sq = d[..., :, None] + d[..., None, :] - 2 * grams
    sq = np.clip(sq, 0, None)
    n = grams.shape[-1]
    sq[..., np.arange(n), np.arange(n)] = 0.0
    return sq


def mmd_bandwidth(sq_dists: np.ndarray, rule: Bandwidth = "sqrt_half_median") -> np.ndarray:
    """RBF bandwidth σ (B,) from the median off-diagonal Euclidean distance of each stack.

    ``"sqrt_half_median"``: σ = sqrt(median / 2), the authors' code; ``"median"``: σ = median,
    the paper's text (docs/methods.md §11 item 3).
    """
    n = sq_dists.shape[-1]
    iu = np.triu_indices(n, 1)
    med = np.median(np.sqrt(sq_dists[..., iu[0], iu[1]]), -1)
    if rule == "sqrt_half_median":
        return np.sqrt(med / 2.0)
    if rule == "median":
        return med
    raise ValueError(f"unknown MMD bandwidth rule {rule!r} (use 'sqrt_half_median' or 'median')")


def mmd_from_gram(
    grams: np.ndarray,
    n_x: int,
    n_perm: int = 1000,
    seed: int = 42,
    bandwidth: Bandwidth = "sqrt_half_median",
) -> PermutationResult:
    """Unbiased MMD² permutation test of a batch of (X, Y) stacks given Gram matrices (B, n, n).

    Rows 0..n_x-1 of each stack are X. The bandwidth depends only on the pooled sample, so one
    kernel matrix per stack serves every permutation.
    """
    n, n_y = _check_sizes(grams, n_x)
    sq = sq_distances_from_gram(grams)
    sigma = mmd_bandwidth(sq, bandwidth)
    kern = np.exp(-sq / (2 * sigma[:, None, None] ** 2))
    kern[:, np.arange(n), np.arange(n)] = 0.0
    row = kern.sum(-1)
    total = row.sum(-1)
    idx, which = _test_sets(n_x, n_y, n_perm, seed)  # idx[0] = observed
    sxx = _blocks(kern, idx).sum((-1, -2))  # (B, T)
    sxr = row[:, idx].sum(-1)
    sxy = sxr - sxx
    syy = total[:, None] - 2 * sxr + sxx
    stats = sxx / (n_x * (n_x - 1)) + syy / (n_y * (n_y - 1)) - 2 * sxy / (n_x * n_y)
    obs, null = stats[:, 0], stats[:, which]
    return PermutationResult(obs, null, permutation_pvalues(obs, null))


def mmd(
    x: np.ndarray,
    y: np.ndarray,
    n_perm: int = 1000,
    seed: int = 42,
    bandwidth: Bandwidth = "sqrt_half_median",
) -> tuple[float, float]:
    """MMD² test of ``x`` (n_x, d) against ``y`` (n_y, d). Returns (MMD², p-value)."""
    res = mmd_from_gram(centered_gram(x, y)[None], len(x), n_perm, seed, bandwidth)
    return float(res.statistic[0]), float(res.p_value[0])


# --------------------------------------------------------------------------------------------
# k-means


def kmeans_init_indices(n: int, n_init: int = 10, seed: int = 42) -> np.ndarray:
    """Sample indices (n_init, 2) of scikit-learn's ``init="random"`` starts for ``random_state=seed``."""
    rs = np.random.RandomState(seed)
    p = np.full(n, 1.0) / n
    return np.stack([rs.choice(n, size=2, replace=False, p=p) for _ in range(n_init)])


def _assign(gc: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared distances (Q, 2, n) of every point to centres w (Q, 2, n); labels (Q, n)."""
    wg = w @ gc
    cc = np.einsum("qcn,qcn->qc", wg, w)
    d = np.diagonal(gc, axis1=-2, axis2=-1)[:, None, :] - 2 * wg + cc[:, :, None]
    return d, np.argmin(d, axis=1)


def _centres(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    onehot = np.stack([labels == 0, labels == 1], 1).astype(float)
    counts = onehot.sum(-1)
    empty = (counts == 0).any(-1)
    return onehot / np.where(counts == 0, 1, counts)[..., None], empty


def _kmeans_sklearn(gc: np.ndarray, n_feats: int, n_init: int, seed: int) -> np.ndarray:
    """Labels from scikit-learn on an isometric embedding padded to ``n_feats`` columns
    (padding keeps the mean feature variance, hence scikit-learn's tolerance, unchanged)."""
    from sklearn.cluster import KMeans

    w, u = np.linalg.eigh(gc)
    emb = u * np.sqrt(np.clip(w, 0, None))
    emb = np.concatenate([emb, np.zeros((len(emb), max(0, n_feats - emb.shape[1])))], 1)
    km = KMeans(n_clusters=2, init="random", n_init=n_init, random_state=seed).fit(emb)
    return km.labels_


def kmeans_from_gram(
    grams_c: np.ndarray,
    n_x: int,
    n_feats: int,
    n_init: int = 10,
    seed: int = 42,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> np.ndarray:
    """Clustering accuracy (B,) of 2-means on each stack, given centred Gram matrices.

    Emulates ``sklearn.cluster.KMeans(2, init="random", n_init=n_init, random_state=seed,
    max_iter=max_iter, tol=tol)`` (Lloyd). ``n_feats`` is the number of features of the
    profiles (scikit-learn's tolerance is ``tol`` times the mean per-feature variance).
    Accuracy = max(share of rows labelled like the truth, share labelled the other way), truth
    being X vs Y; 1.0 means the groups are separated perfectly.
    """
    b, n, _ = grams_c.shape
    _check_sizes(grams_c, n_x)
    starts = kmeans_init_indices(n, n_init, seed)
    gq = np.repeat(grams_c, n_init, axis=0)  # problem q = (stack q // n_init, start q % n_init)
    q = gq.shape[0]
    tol_q = tol * np.trace(gq, axis1=1, axis2=2) / n / n_feats
    w = np.zeros((q, 2, n))
    st = np.tile(starts, (b, 1))
    w[np.arange(q), 0, st[:, 0]] = 1.0
    w[np.arange(q), 1, st[:, 1]] = 1.0
    labels = np.full((q, n), -1)
    labels_old = labels.copy()
    active = np.ones(q, bool)
    need_estep = np.zeros(q, bool)
    fallback = np.zeros(q, bool)
    for _ in range(max_iter):
        a = np.flatnonzero(active)
        if a.size == 0:
            break
        _, lab = _assign(gq[a], w[a])
        w_new, empty = _centres(lab)
        fallback[a[empty]] = True
        diff = w_new - w[a]
        shift = np.einsum("qcn,qnm,qcm->q", diff, gq[a], diff)
        labels[a] = lab
        w[a] = w_new
        strict = (lab == labels_old[a]).all(-1)
        by_tol = ~strict & (shift <= tol_q[a])
        need_estep[a[by_tol]] = True
        done = strict | by_tol | empty
        active[a[done]] = False
        labels_old[a] = lab
    need_estep |= active  # max_iter reached without convergence
    if need_estep.any():
        e = np.flatnonzero(need_estep)
        _, labels[e] = _assign(gq[e], w[e])
    d, _ = _assign(gq, w)
    inertia = np.take_along_axis(d, labels[:, None, :], 1)[:, 0].sum(-1)
    inertia = inertia.reshape(b, n_init)
    labels = labels.reshape(b, n_init, n)
    truth = np.r_[np.ones(n_x, int), np.zeros(n - n_x, int)]
    fallback = fallback.reshape(b, n_init).any(-1)
    acc = np.empty(b)
    for i in range(b):
        if fallback[i]:
            best = _kmeans_sklearn(grams_c[i], n_feats, n_init, seed)
        else:
            best, best_inertia = labels[i, 0], inertia[i, 0]
            for j in range(1, n_init):
                same = (labels[i, j] == best).all() or (labels[i, j] != best).all()
                if inertia[i, j] < best_inertia and not same:
                    best, best_inertia = labels[i, j], inertia[i, j]
        hit = int((best == truth).sum())  # counts, so that flipped labels give the same float
        acc[i] = max(hit, n - hit) / n
    return acc


def kmeans(x: np.ndarray, y: np.ndarray, n_init: int = 10, seed: int = 42) -> float:
    """2-means clustering accuracy of ``x`` vs ``y`` (1.0 = perfect separation)."""
    x = np.asarray(x, dtype=float)
    return float(kmeans_from_gram(centered_gram(x, y)[None], len(x), x.shape[1], n_init,
                                  seed)[0])
