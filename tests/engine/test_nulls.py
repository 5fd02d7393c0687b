"""Null distributions and p-values: exact small cases by enumeration, calibration, BH."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mapeval
from mapeval.nulls import benjamini_hochberg, null_distributions
from oracles import ap_of_list, bh, exact_null


@pytest.mark.parametrize("sampler", ["fast", "copairs"])
@pytest.mark.parametrize("k,n", [(1, 4), (2, 5), (3, 7), (4, 6), (6, 8)])
def test_null_matches_exact_enumeration(sampler, k, n):
    exact = exact_null(k, n)
    null = null_distributions(np.array([[k, n]]), 40_000, seed=3, sampler=sampler)[0]
    values = sorted(exact)
    # every sampled value is one of the exact AP values (up to float32 rounding)
    nearest = np.array([float(v) for v in values])
    idx = np.abs(null[:, None] - nearest[None, :]).argmin(axis=1)
    assert np.abs(null - nearest[idx]).max() < 1e-6
    observed = np.bincount(idx, minlength=len(values))
    expected = np.array([float(exact[v]) for v in values]) * len(null)
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(chi2, df=len(values) - 1) > 1e-4


def test_exact_small_case_by_hand():
    # k=1 among N=3: the positive is at rank 1, 2 or 3 with AP 1, 1/2, 1/3
    assert exact_null(1, 3) == {Fraction(1): Fraction(1, 3), Fraction(1, 2): Fraction(1, 3),
                                Fraction(1, 3): Fraction(1, 3)}
    assert ap_of_list([1, 0, 1]) == pytest.approx((1 + 2 / 3) / 2)


def test_samplers_agree_in_distribution():
    a = null_distributions(np.array([[5, 60]]), 20_000, seed=1, sampler="fast")[0]
    b = null_distributions(np.array([[5, 60]]), 20_000, seed=1, sampler="copairs")[0]
    assert stats.ks_2samp(a, b).pvalue > 1e-3


def test_dense_configuration_uses_the_other_branch():
    # N/3 < k < 2N/3: the fast sampler takes the k smallest of N random keys
    exact = exact_null(4, 9)
    null = null_distributions(np.array([[4, 9]]), 30_000, seed=0, sampler="fast")[0]
    mean_exact = float(sum(v * p for v, p in exact.items()))
    assert null.mean() == pytest.approx(mean_exact, abs=4 * null.std() / np.sqrt(len(null)))


def test_same_seed_same_null_and_seeds_per_configuration():
    confs = np.array([[2, 10], [3, 10]])
    a = null_distributions(confs, 1000, seed=7)
    b = null_distributions(confs, 1000, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, null_distributions(confs, 1000, seed=8))


def _random_groups(rng, n_groups, reps, n_ctrl, n_feats=8):
    perts = [f"p{g}" for g in range(n_groups) for _ in range(reps)] + ["ctrl"] * n_ctrl
    meta = mapeval.assign_reference_index(pd.DataFrame({"pert": perts}), "pert == 'ctrl'",
                                          reference_col="ref")
    return meta, rng.normal(size=(len(meta), n_feats))


def test_ap_pvalues_are_uniform_under_h0():
    # each perturbation has one replicate pair; under H0 its AP rank is uniform, so the AP
    # p-value (>= rule, +1 smoothing) is uniform up to discreteness
    rng = np.random.default_rng(0)
    meta, feats = _random_groups(rng, 400, 2, 40)
    ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    p = mapeval.ap_p_values(ap, 2000, seed=0)
    p = p[~np.isnan(p)]
    share = (p < 0.05).mean()
    # N = 41 ranks: P(p < 0.05) = P(positive at rank 1 or 2) = 2/41 = 0.0488
    assert abs(share - 2 / 41) < 4 * np.sqrt(0.05 * 0.95 / len(p))


@pytest.mark.parametrize("sampler", ["fast", "copairs"])
def test_map_pvalues_calibrated_under_h0(sampler):
    rng = np.random.default_rng(1)
    meta, feats = _random_groups(rng, 300, 3, 30)
    ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    shared = mapeval.mean_average_precision(ap, "pert", 2000, seed=0, null_sampler=sampler)
    indep = mapeval.mean_average_precision(ap, "pert", 2000, seed=0, null_sampler=sampler,
                                           map_null="independent")
    tol = 4 * np.sqrt(0.05 * 0.95 / 300)
    # the shared (copairs) null is the single-AP null: wider than the mAP null, conservative
    assert shared["below_p"].mean() <= 0.05 + tol
    # both stay near or below the nominal level here
    assert indep["below_p"].mean() <= 0.05 + 2 * tol


def test_independent_null_is_calibrated_for_independent_members():
    # members whose rank lists are independent: mAP of 3 independent random lists (k=2, N=12)
    rng = np.random.default_rng(5)
    n_groups, reps, k, n = 3000, 3, 2, 12
    rows = []
    for g in range(n_groups):
        for _ in range(reps):
            rel = np.zeros(n, int)
            rel[rng.choice(n, k, replace=False)] = 1
            rows.append((g, ap_of_list(list(rel)), k, n))
    ap = pd.DataFrame(rows, columns=["g", "average_precision", "n_pos_pairs", "n_total_pairs"])
    res = mapeval.mean_average_precision(ap, "g", 5000, seed=0, map_null="independent")
    # discrete statistic: compare with the exact null probability of the 5% tail
    share = res["below_p"].mean()
    assert 0.02 < share <= 0.05 + 4 * np.sqrt(0.05 * 0.95 / n_groups)
    shared = mapeval.mean_average_precision(ap, "g", 5000, seed=0, map_null="shared")
    assert shared["below_p"].mean() < share  # the shared null is conservative


def test_map_pvalue_rules():
    # perfect retrieval: AP = mAP = 1 and no null value can exceed it
    meta = pd.DataFrame({"pert": ["a"] * 3 + ["ctrl"] * 6})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = np.vstack([np.ones((3, 2)) + [[0, 0.01], [0.01, 0], [0, 0]], -np.ones((6, 2))])
    ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    res = mapeval.mean_average_precision(ap, ["pert"], 999, seed=0)
    assert res.loc[0, "mean_average_precision"] == 1.0
    assert res.loc[0, "p_value"] == pytest.approx(1 / 1000)
    # the per-AP rule counts null values equal to AP (>=): P(AP=1) = 1/C(8,2)
    p_ap = mapeval.ap_p_values(ap, 20_000, seed=0)[:3]
    assert p_ap == pytest.approx(np.full(3, 1 / 28), abs=0.006)


def test_map_pvalue_against_exact_tail():
    # one group whose members share (k, N): its shared null is the exact single-AP null
    exact = exact_null(2, 8)
    meta = pd.DataFrame({"pert": ["a"] * 3 + ["ctrl"] * 6})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    rng = np.random.default_rng(2)
    feats = rng.normal(size=(9, 4))
    ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    res = mapeval.mean_average_precision(ap, ["pert"], 200_000, seed=0)
    m = res.loc[0, "mean_average_precision"]
    tail = float(sum(p for v, p in exact.items() if float(v) > m + 1e-9))
    assert res.loc[0, "p_value"] == pytest.approx(tail, abs=0.005)


def test_benjamini_hochberg_against_definition_and_statsmodels():
    rng = np.random.default_rng(0)
    p = np.r_[rng.uniform(size=50), rng.uniform(0, 0.01, size=10), [0.5, 0.5, 0.02]]
    np.testing.assert_allclose(benjamini_hochberg(p), bh(p), rtol=0, atol=1e-15)
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    np.testing.assert_array_equal(benjamini_hochberg(p), multitest.multipletests(p, method="fdr_bh")[1])


def test_benjamini_hochberg_hand_example():
    # p = 0.01, 0.04, 0.03: sorted 0.01, 0.03, 0.04 -> 0.03, 0.045, 0.04 -> min from the top
    np.testing.assert_allclose(benjamini_hochberg(np.array([0.01, 0.04, 0.03])), [0.03, 0.04, 0.04])


# ------------------------------------------------------------------------------------------------
# Exact ties between the observed value and null values (copairs' comparison precision)
# ------------------------------------------------------------------------------------------------


def _one_query_frame(ap: float, k: int, n: int) -> pd.DataFrame:
    return pd.DataFrame({"g": ["x"], "average_precision": [ap], "n_pos_pairs": [k], "n_total_pairs": [n]})


@pytest.mark.parametrize("sampler", ["fast", "copairs"])
def test_map_tying_a_float32_null_value_is_not_counted(sampler):
    # k = 1 positive among N = 3: AP is 1, 1/2 or 1/3 (positive at rank 1, 2, 3), each w.p. 1/3.
    # The observed mAP is 1/3 (float64). The null stores float32(1/3) = 0.33333334 > 1/3, so a
    # float64 comparison would count the rank-3 samples as "greater" and give p ~ 1. copairs
    # compares in float32 (its mAP is a Python float against a float32 array under numpy 2),
    # where they tie: p = (1 + #{null samples with the positive at rank 1 or 2}) / (n + 1).
    n_null = 30_000
    res = mapeval.mean_average_precision(_one_query_frame(1 / 3, 1, 3), "g", n_null, seed=4, null_sampler=sampler)
    null = null_distributions(np.array([[1, 3]]), n_null, seed=4, sampler=sampler)[0]
    assert set(np.unique(null)) == {np.float32(1), np.float32(0.5), np.float32(1 / 3)}
    better = int((null >= np.float32(0.5)).sum())  # ranks 1 and 2: AP exactly 1 or 1/2
    assert res.loc[0, "p_value"] == (1 + better) / (n_null + 1)
    assert res.loc[0, "p_value"] == pytest.approx(2 / 3, abs=0.02)
    assert float(np.float32(1 / 3)) > 1 / 3  # the float64 comparison would have counted them


def test_map_tie_equals_copairs_on_a_hand_made_profile_set(tmp_path):
    # the same tie, from profiles: two replicates pointing away from each other, two controls
    # orthogonal to both: each replicate ranks its partner last (AP = 1/3, k = 1, N = 3)
    copairs_map = pytest.importorskip("copairs.map", reason="copairs not installed (test extra)")
    meta = mapeval.assign_reference_index(pd.DataFrame({"pert": ["a", "a", "ctrl", "ctrl"]}),
                                          "pert == 'ctrl'", reference_col="ref")
    feats = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    np.testing.assert_array_equal(ap["average_precision"][:2], [1 / 3, 1 / 3])
    ours = mapeval.mean_average_precision(ap, ["pert"], 5000, 0.05, 2, null_sampler="copairs")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = copairs_map.mean_average_precision(ap, ["pert"], 5000, 0.05, 2, progress_bar=False,
                                                    cache_dir=tmp_path)
    a = ours.set_index("pert").loc["a", "p_value"]
    assert a == theirs.set_index("pert").loc["a", "p_value"]
    assert a == pytest.approx(2 / 3, abs=0.03)


@pytest.mark.parametrize("sampler", ["fast", "copairs"])
def test_ap_pvalue_compares_in_float64_as_copairs(sampler):
    # k = 2 among N = 5 with positives at ranks 1 and 5: AP = (1 + 2/5)/2 = 0.7 exactly in float64,
    # but copairs' float32 null value of that rank pattern is float32(0.7) = 0.69999999 < 0.7.
    # copairs' per-AP rule (>=) compares in float64 (searchsorted of a float32 array with a float64
    # scalar), so those samples are NOT counted: p = (1 + #{null > 0.7}) / (n + 1).
    n_null = 20_000
    frame = _one_query_frame(0.7, 2, 5)
    p = mapeval.ap_p_values(frame, n_null, seed=1, null_sampler=sampler)[0]
    null = null_distributions(np.array([[2, 5]]), n_null, seed=1, sampler=sampler)[0]
    assert float(np.float32(0.7)) < 0.7 and (null == np.float32(0.7)).any()
    strictly_better = int((null > np.float32(0.7)).sum())  # rank patterns with exact AP > 0.7
    assert p == (1 + strictly_better) / (n_null + 1)


def test_ap_pvalue_tie_equals_copairs(tmp_path, monkeypatch):
    copairs_ap = pytest.importorskip("copairs.map.average_precision", reason="copairs not installed")
    monkeypatch.setenv("HOME", str(tmp_path))  # copairs caches nulls under ~/.copairs
    frame = pd.concat([_one_query_frame(0.7, 2, 5), _one_query_frame(1 / 3, 1, 3)], ignore_index=True)
    theirs = copairs_ap.p_values(frame, 3000, seed=0, progress_bar=False)
    ours = mapeval.ap_p_values(frame, 3000, seed=0, null_sampler="copairs")
    np.testing.assert_array_equal(ours.astype(np.float32), theirs)  # copairs stores float32


# ------------------------------------------------------------------------------------------------
# Normalised AP: the exact expected AP of a random ranking
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k,n", [(1, 1), (1, 2), (1, 5), (2, 5), (3, 7), (4, 6), (6, 8), (8, 8)])
def test_expected_ap_equals_exact_enumeration(k, n):
    exact = exact_null(k, n)
    mean = float(sum(v * p for v, p in exact.items()))
    assert mapeval.expected_ap(k, n)[0] == pytest.approx(mean, abs=1e-14)


def test_expected_ap_hand_cases_and_normalisation():
    # one positive among two: AP 1 or 1/2, mean 3/4; no positives: 0; all positives: 1
    assert mapeval.expected_ap(1, 2)[0] == 0.75
    assert mapeval.expected_ap(0, 4)[0] == 0.0
    assert mapeval.expected_ap(3, 3)[0] == 1.0
    # normalised: 0 at the expectation, 1 for a perfect ranking, -1 floor, NaN stays NaN
    np.testing.assert_array_equal(mapeval.normalize_ap([0.75, 1.0, np.nan], [1, 1, 1], [2, 2, 2]),
                                  [0.0, 1.0, np.nan])
    assert mapeval.normalize_ap([0.5], [1], [2])[0] == -1.0
    # denominator floor when E[AP] = 1 (all positives): (AP - 1) / 1e-10, clipped
    assert mapeval.normalize_ap([1.0], [3], [3])[0] == 0.0


def test_null_cache_returns_what_a_new_draw_gives(monkeypatch):
    from mapeval import nulls

    confs = np.array([[2, 10], [3, 40]])
    nulls._NULL_CACHE.clear()
    first = null_distributions(confs, 500, seed=9, sampler="copairs")
    cached = null_distributions(confs, 500, seed=9, sampler="copairs")  # from the cache
    monkeypatch.setenv("MAPEVAL_NULL_CACHE_MB", "0")
    nulls._NULL_CACHE.clear()
    fresh = null_distributions(confs, 500, seed=9, sampler="copairs")  # cache off: drawn again
    assert not nulls._NULL_CACHE._rows
    np.testing.assert_array_equal(first, cached)
    np.testing.assert_array_equal(first, fresh)
    # a configuration's sub-seed depends on its position among the call's configurations:
    # [3, 40] alone gets another sub-seed, hence another (not a cached) row
    monkeypatch.delenv("MAPEVAL_NULL_CACHE_MB")
    alone = null_distributions(np.array([[3, 40]]), 500, seed=9, sampler="copairs")[0]
    assert not np.array_equal(alone, first[1])
    cached[0, 0] = -1.0  # callers get their own copy
    assert null_distributions(confs, 500, seed=9, sampler="copairs")[0, 0] == first[0, 0]


@pytest.mark.parametrize("sampler", ["copairs", "fast"])
def test_null_rows_do_not_depend_on_the_threads_or_the_cache(monkeypatch, sampler):
    # configurations are drawn in threads, most expensive first; each has its own generator,
    # so the rows equal a serial draw's (and copairs' row for its sub-seed, shuffled alone)
    from mapeval import nulls

    monkeypatch.setenv("MAPEVAL_NULL_CACHE_MB", "0")
    confs = np.array([[1, 5], [2, 30], [3, 40], [7, 8], [20, 300]])
    serial = null_distributions(confs, 400, seed=3, sampler=sampler, threads=1)
    threaded = null_distributions(confs, 400, seed=3, sampler=sampler, threads=3)
    np.testing.assert_array_equal(serial, threaded)
    if sampler == "copairs":  # the oracle: copairs' draw, one full shuffle per sample
        for row, (k, n), s in zip(serial, confs, nulls.config_seeds(len(confs), 3)):
            rng = np.random.default_rng(s)
            want = [ap_of_list(np.isin(np.arange(n), rng.permutation(n)[:k]) * 1) for _ in range(5)]
            np.testing.assert_allclose(row[:5], want, rtol=1e-6)
    # with the cache on, a call mixing cached and new configurations gives the same rows
    monkeypatch.delenv("MAPEVAL_NULL_CACHE_MB")
    nulls._NULL_CACHE.clear()
    null_distributions(confs[[0, 2]], 400, seed=3, sampler=sampler)
    np.testing.assert_array_equal(null_distributions(confs, 400, seed=3, sampler=sampler, threads=2),
                                  serial)
