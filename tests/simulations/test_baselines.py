"""mp-value, MMD and k-means (mapreprod.simulations.baselines) against slow, obvious implementations.

The references below follow the authors' functions line by line (scikit-learn PCA and
EmpiricalCovariance, scipy pdist, one permutation at a time, scikit-learn KMeans), so they are
independent of the batched Gram-matrix algebra under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist, pdist, squareform
from sklearn.cluster import KMeans
from sklearn.covariance import EmpiricalCovariance
from sklearn.decomposition import PCA

from mapreprod.simulations import baselines


# ---------------------------------------------------------------- slow references (loops)
def ref_mahalanobis(pert: np.ndarray, ctrl: np.ndarray) -> float:
    cov = EmpiricalCovariance().fit(ctrl)
    return float(cov.mahalanobis(pert.mean(0).reshape(1, -1))[0])


def ref_mp_value(x, y, n_perm=1000, seed=42, rescale=True):
    merged = np.concatenate([x, y])
    pca = PCA(n_components=0.9, svd_solver="full", random_state=seed)
    arr = pca.fit_transform(merged)
    if rescale:
        arr = arr * pca.explained_variance_ratio_
    obs = ref_mahalanobis(arr[: len(x)], arr[len(x):])
    mask = np.concatenate([np.ones(len(x)), np.zeros(len(y))])
    rng = np.random.default_rng(seed)
    sim = np.zeros(n_perm)
    for i in range(n_perm):
        m = rng.permutation(mask).astype(bool)
        sim[i] = ref_mahalanobis(arr[m], arr[~m])
    return obs, sim, (np.sum(sim >= obs) + 1) / (n_perm + 1)


def ref_quadratic_mmd(x, y, bandwidth="sqrt_half_median"):
    z = np.vstack([x, y])
    d = squareform(pdist(z, "sqeuclidean"))
    np.fill_diagonal(d, np.nan)
    d = np.ravel(d)
    med = np.median(np.sqrt(d[~np.isnan(d)]))
    sigma = np.sqrt(med / 2.0) if bandwidth == "sqrt_half_median" else med

    def k(a, b):
        return np.exp(-cdist(a, b, "sqeuclidean") / (2 * sigma**2))

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    np.fill_diagonal(kxx, 0)
    np.fill_diagonal(kyy, 0)
    n, m = len(x), len(y)
    return kxx.sum() / (n * (n - 1)) + kyy.sum() / (m * (m - 1)) - 2 * kxy.sum() / (n * m)


def ref_mmd(x, y, n_perm=1000, seed=42, bandwidth="sqrt_half_median"):
    obs = ref_quadratic_mmd(x, y, bandwidth)
    merged = np.concatenate([x, y])
    mask = np.concatenate([np.ones(len(x)), np.zeros(len(y))])
    rng = np.random.default_rng(seed)
    sim = np.zeros(n_perm)
    for i in range(n_perm):
        m = rng.permutation(mask).astype(bool)
        sim[i] = ref_quadratic_mmd(merged[m], merged[~m], bandwidth)
    return obs, sim, (np.sum(sim >= obs) + 1) / (n_perm + 1)


def ref_kmeans(x, y, seed=42):
    km = KMeans(n_clusters=2, init="random", random_state=seed).fit(np.concatenate([x, y]))
    truth = np.r_[np.ones(len(x)), np.zeros(len(y))]
    hits = int((km.labels_ == truth).sum())
    return max(hits, len(truth) - hits) / len(truth)  # the same float whichever label is 1


def tie_aware_p(obs, sim, rtol=1e-9):
    """The reference p-value with permuted statistics equal to the observed one up to rounding
    counted as ties (>=). A permutation that recreates the observed groups gives the observed
    statistic mathematically; the loop recomputes it with rounding noise of either sign, the
    batched code reproduces it exactly."""
    return (np.sum(sim >= obs - rtol * abs(obs)) + 1) / (len(sim) + 1)


def two_groups(seed, n_x, n_y, d, shift=0.0, n_shift=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_x, d))
    x[:, : (n_shift if n_shift is not None else d)] += shift
    return x, rng.normal(size=(n_y, d))


# ---------------------------------------------------------------- tests
# (n_x, n_y, d): nonsingular control covariance (few features), singular (many features),
# and the simulation's smallest and largest designs.
DESIGNS = [(3, 12, 5), (2, 12, 60), (4, 9, 200), (3, 24, 50), (4, 36, 300)]


@pytest.mark.parametrize("n_x,n_y,d", DESIGNS)
@pytest.mark.parametrize("shift", [0.0, 0.7])
def test_mp_value_matches_sklearn_loop(n_x, n_y, d, shift):
    x, y = two_groups(n_x * 100 + d, n_x, n_y, d, shift, n_shift=max(1, d // 4))
    n_perm = 100
    obs, sim, p = ref_mp_value(x, y, n_perm)
    res = baselines.mp_value_from_gram(baselines.centered_gram(x, y)[None], n_x, n_perm)
    np.testing.assert_allclose(res.statistic[0], obs, rtol=1e-6)
    np.testing.assert_allclose(res.null[0], sim, rtol=1e-6)
    assert res.p_value[0] == tie_aware_p(obs, sim)


def test_mp_value_with_an_outlier_component_matches_sklearn_loop():
    # one huge Cauchy value makes a principal component of a single profile: whenever that
    # profile is in X, Y's covariance has a kernel beyond the structural one
    rng = np.random.default_rng(1)
    x, y = rng.standard_cauchy((3, 50)), rng.standard_cauchy((12, 50))
    x[0, 0] = 1e7
    obs, sim, p = ref_mp_value(x, y, 100)
    res = baselines.mp_value_from_gram(baselines.centered_gram(x, y)[None], 3, 100)
    np.testing.assert_allclose(res.null[0], sim, rtol=1e-6)
    assert res.p_value[0] == tie_aware_p(obs, sim)


def test_mp_value_without_rescaling_matches_sklearn_loop():
    x, y = two_groups(7, 3, 12, 40, 0.5, 10)
    obs, sim, p = ref_mp_value(x, y, 100, rescale=False)
    res = baselines.mp_value_from_gram(baselines.centered_gram(x, y)[None], 3, 100, rescale=False)
    np.testing.assert_allclose(res.null[0], sim, rtol=1e-6)
    assert res.p_value[0] == tie_aware_p(obs, sim)


@pytest.mark.parametrize("n_x,n_y,d", DESIGNS)
@pytest.mark.parametrize("bandwidth", ["sqrt_half_median", "median"])
def test_mmd_matches_pdist_loop(n_x, n_y, d, bandwidth):
    x, y = two_groups(n_x * 10 + d, n_x, n_y, d, 0.5, n_shift=max(1, d // 4))
    obs, sim, p = ref_mmd(x, y, 150, bandwidth=bandwidth)
    res = baselines.mmd_from_gram(baselines.centered_gram(x, y)[None], n_x, 150,
                                  bandwidth=bandwidth)
    np.testing.assert_allclose(res.statistic[0], obs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.null[0], sim, rtol=1e-9, atol=1e-12)
    assert res.p_value[0] == tie_aware_p(obs, sim)


def test_single_pair_wrappers_agree_with_batches():
    x, y = two_groups(3, 3, 12, 30, 1.0, 10)
    assert baselines.mp_value(x, y, 100)[1] == tie_aware_p(*ref_mp_value(x, y, 100)[:2])
    assert baselines.mmd(x, y, 100)[1] == tie_aware_p(*ref_mmd(x, y, 100)[:2])
    assert baselines.kmeans(x, y) == ref_kmeans(x, y)


def test_permutation_masks_are_the_authors_permutations():
    rng = np.random.default_rng(42)
    mask = np.r_[np.ones(3), np.zeros(5)]
    expected = [rng.permutation(mask).astype(bool) for _ in range(20)]
    np.testing.assert_array_equal(baselines.permutation_masks(3, 5, 20, 42), np.stack(expected))


def test_clearing_the_permutation_cache_changes_no_permutation():
    first = baselines.permutation_masks(3, 5, 20, 42)
    baselines.clear_permutation_cache()
    np.testing.assert_array_equal(baselines.permutation_masks(3, 5, 20, 42), first)


def test_pvalue_counts_ties_as_extreme():
    p = baselines.permutation_pvalues(np.array([1.0]), np.array([[1.0, 0.5, 2.0, 0.1]]))
    assert p[0] == pytest.approx(3 / 5)


@pytest.mark.parametrize("shift", [0.0, 0.4, 0.8, 1.5])
def test_kmeans_matches_sklearn(shift):
    # 12 stacks per shift: the emulation must give scikit-learn's accuracy on every one
    stacks = [two_groups(100 * i + int(10 * shift), 3, 12, 80, shift, 40) for i in range(8)]
    grams = np.stack([baselines.centered_gram(x, y) for x, y in stacks])
    acc = baselines.kmeans_from_gram(grams, 3, n_feats=80)
    ref = np.array([ref_kmeans(x, y) for x, y in stacks])
    np.testing.assert_array_equal(acc, ref)


def test_kmeans_init_indices_are_sklearns():
    rs = np.random.RandomState(42)
    p = np.full(15, 1 / 15)
    expected = [rs.choice(15, 2, replace=False, p=p) for _ in range(10)]
    np.testing.assert_array_equal(baselines.kmeans_init_indices(15), np.stack(expected))


def test_kmeans_separates_obvious_groups():
    x, y = two_groups(0, 4, 20, 50, 10.0)
    assert baselines.kmeans(x, y) == 1.0


def test_groups_of_one_are_rejected():
    x, y = two_groups(0, 1, 5, 4)
    with pytest.raises(ValueError, match="at least 2"):
        baselines.mmd(x, y)


def test_bad_bandwidth_is_rejected():
    x, y = two_groups(0, 2, 5, 4)
    with pytest.raises(ValueError, match="bandwidth"):
        baselines.mmd(x, y, 10, bandwidth="mean")


def test_kmeans_with_duplicate_profiles_matches_sklearn():
    # identical starting centres leave a cluster empty: handed to scikit-learn
    x, y = np.zeros((3, 5)), np.zeros((12, 5))
    y[:2] += 1.0
    assert baselines.kmeans(x, y) == ref_kmeans(x, y)


@pytest.mark.parametrize("k", [5, 14])  # Y's covariance regular / singular (12 rows of Y)
def test_direct_mahalanobis_fallback_matches_empirical_covariance(k):
    rng = np.random.default_rng(k)
    scores = rng.standard_cauchy((15, k))
    scores -= scores.mean(0)
    sets = np.stack([np.sort(rng.choice(15, 3, replace=False)) for _ in range(20)])
    got = baselines._mahalanobis_direct(scores, sets, chunk=7)
    for g, s in zip(got, sets):
        rest = np.setdiff1d(np.arange(15), s)
        np.testing.assert_allclose(g, ref_mahalanobis(scores[s], scores[rest]), rtol=1e-6)
