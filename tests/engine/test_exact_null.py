"""The exact null (null_sampler="exact", copairs issue 105) against brute-force enumeration with
exact rational arithmetic, and against copairs' sampler at null size 100,000."""

from __future__ import annotations

import itertools
from fractions import Fraction

import mapeval
import numpy as np
import pandas as pd
import pytest
from mapeval.exact import ap_null_distribution, combination_chunks
from mapeval.nulls import null_distributions
from oracles import exact_null

SMALL = [(k, n) for n in range(1, 11) for k in range(1, n + 1)] + [(2, 30), (3, 17), (1, 60), (5, 14)]


@pytest.mark.parametrize("k,n", SMALL)
def test_exact_distribution_equals_brute_force_enumeration(k, n):
    dist = ap_null_distribution(k, n)
    exact = exact_null(k, n)  # rational AP -> probability, from itertools.combinations
    rationals = sorted(exact)
    assert int(dist.counts.sum()) == len(list(itertools.combinations(range(n), k)))
    # every float32 support value is its rank sets' rational AP, rounded; rank sets with the
    # same rational AP may round to neighbouring float32 values (summation order), so the
    # probabilities are compared per rational
    floats = np.array([float(q) for q in rationals])
    at = np.searchsorted(floats, dist.values).clip(1, len(floats) - 1)
    nearest = np.where(np.abs(floats[at - 1] - dist.values) <= np.abs(floats[at] - dist.values), at - 1, at)
    assert (np.abs(floats[nearest] - dist.values) <= (k + 2) * 2.0**-24 * dist.values).all()
    got: dict[Fraction, Fraction] = {}
    for i, count in zip(nearest.tolist(), dist.counts.tolist()):
        got[rationals[i]] = got.get(rationals[i], Fraction(0)) + Fraction(count, int(dist.counts.sum()))
    assert got == exact


@pytest.mark.parametrize("k,n", [(1, 5), (3, 9), (4, 12), (2, 30)])
def test_p_greater_equal_is_the_exact_tail_probability(k, n):
    dist = ap_null_distribution(k, n)
    exact = exact_null(k, n)
    values = sorted(exact)
    # at every support value (ties count as >=) and between support values
    probes = [float(v) for v in values] + [float((a + b) / 2) for a, b in itertools.pairwise(values)]
    floats = np.array([float(v) for v in values])
    tail = np.cumsum([float(exact[v]) for v in values][::-1])[::-1]
    for x in probes:
        want = tail[np.searchsorted(floats, x - 1e-12)] if x - 1e-12 <= floats[-1] else 0.0
        assert dist.p_greater_equal(x) == pytest.approx(want, abs=1e-12), x


@pytest.mark.parametrize("sampler", ["fast", "copairs"])
@pytest.mark.parametrize("k,n", [(3, 39), (2, 13), (5, 21)])
def test_sampled_null_values_are_support_values_bit_for_bit(sampler, k, n):
    dist = ap_null_distribution(k, n)
    null = null_distributions(np.array([[k, n]]), 5000, seed=1, sampler=sampler)[0]
    assert np.isin(null.astype(np.float64), dist.values).all()


def test_chunked_enumeration_lists_every_subset_once():
    chunks = list(combination_chunks(9, 4, max_rows=7))
    assert max(len(c) for c in chunks) <= 7
    assert np.array_equal(np.concatenate(chunks), np.array(list(itertools.combinations(range(9), 4))))


def _design(sizes: dict[str, int], n_controls: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = [p for p, m in sizes.items() for _ in range(m)] + ["ctrl"] * n_controls
    meta = pd.DataFrame({"pert": labels})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = rng.normal(size=(len(meta), 6))
    feats[: sizes.get("a", 0)] += 0.6
    return mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])


def _brute_group_p(ap: pd.DataFrame, pert: str, shared: bool) -> float:
    """P(group null >= mAP) by enumerating every rank set of every member (small groups)."""
    rows = ap[ap["pert"] == pert]
    confs = [tuple(v) for v in rows[["n_pos_pairs", "n_total_pairs"]].to_numpy().tolist()]
    observed = rows["average_precision"].mean()
    draws = sorted(set(confs)) if shared else confs
    weights = [confs.count(c) / len(confs) for c in draws] if shared else [1 / len(confs)] * len(confs)
    marginals = [list(exact_null(k, n).items()) for k, n in draws]
    total = Fraction(0)
    for combo in itertools.product(*marginals):
        value = sum(w * float(v) for w, (v, _) in zip(weights, combo))
        if value >= observed - 1e-6 * observed:
            prob = Fraction(1)
            for _, p in combo:
                prob *= p
            total += prob
    return float(total)


@pytest.mark.parametrize("map_null", ["shared", "independent"])
def test_group_p_values_equal_brute_force_over_member_rank_sets(map_null):
    # a: 3 replicates (one configuration), b: 2 (another); mixed: members of different
    # configurations come from a query filter that removes one control for some queries
    ap = _design({"a": 3, "b": 2}, 5)
    out = mapeval.mean_average_precision(ap, "pert", 10, null_sampler="exact", map_null=map_null)
    assert out["p_value_exact"].all()
    for pert, p in zip(out["pert"], out["p_value"]):
        assert p == pytest.approx(_brute_group_p(ap, pert, map_null == "shared"), abs=1e-9)


def test_group_mixing_configurations_is_the_exact_convolution():
    ap = _design({"a": 3}, 6)
    # give the members three different configurations (as a per-plate design would)
    ap.loc[0, ["n_pos_pairs", "n_total_pairs"]] = [2, 7]
    ap.loc[1, ["n_pos_pairs", "n_total_pairs"]] = [2, 5]
    ap.loc[2, ["n_pos_pairs", "n_total_pairs"]] = [1, 6]
    for map_null in ("shared", "independent"):
        out = mapeval.mean_average_precision(ap, "pert", 10, null_sampler="exact", map_null=map_null)
        assert out["p_value_exact"].iloc[0]
        assert out["p_value"].iloc[0] == pytest.approx(_brute_group_p(ap, "a", map_null == "shared"), abs=1e-9)


def test_exact_p_within_sampling_error_of_copairs_sampler_at_null_100000():
    ap = _design({"a": 4, "b": 4, "c": 3, "d": 2}, 20, seed=3)
    exact = mapeval.mean_average_precision(ap, "pert", 100_000, null_sampler="exact")
    sampled = mapeval.mean_average_precision(ap, "pert", 100_000, null_sampler="copairs", seed=5)
    scored = ap.dropna(subset=["average_precision"])
    for pert, p_exact, p_copairs in zip(exact["pert"], exact["p_value"], sampled["p_value"]):
        k, n = scored.loc[scored["pert"] == pert, ["n_pos_pairs", "n_total_pairs"]].iloc[0]
        dist = ap_null_distribution(int(k), int(n))
        observed = scored.loc[scored["pert"] == pert, "average_precision"].mean()
        # copairs counts null > mAP: compare with the exact P(X > mAP) ...
        strict = float(dist.probs[dist.values > np.float32(observed)].sum())
        sd = np.sqrt(max(strict * (1 - strict), 1e-5) / 100_000)
        assert abs(p_copairs - strict) <= 5 * sd + 2 / 100_001
        # ... and the copairs sampler's own rows estimate the exact P(X >= mAP)
        row = null_distributions(np.array([[k, n]]), 100_000, seed=11, sampler="copairs")[0]
        mc = float((row.astype(np.float64) >= observed - 1e-6 * observed).mean())
        sd = np.sqrt(max(p_exact * (1 - p_exact), 1e-5) / 100_000)
        assert abs(mc - p_exact) <= 5 * sd


def test_ap_p_values_exact_equal_brute_force():
    ap = _design({"a": 3, "b": 2}, 5)
    p = mapeval.ap_p_values(ap, 10, null_sampler="exact")
    for row, value in zip(ap.itertuples(), p):
        if np.isnan(row.average_precision):
            assert np.isnan(value)
            continue
        exact = exact_null(row.n_pos_pairs, row.n_total_pairs)
        want = float(sum(q for v, q in exact.items() if float(v) >= row.average_precision - 1e-9))
        assert value == pytest.approx(want, abs=1e-12)


def test_too_large_to_enumerate_falls_back_to_monte_carlo_with_a_warning():
    ap = _design({"a": 3, "b": 2}, 12)
    with pytest.warns(mapeval.ExactNullWarning, match=r"Monte Carlo.*exact_limit=10"):
        out = mapeval.mean_average_precision(ap, "pert", 20_000, null_sampler="exact", exact_limit=10)
    assert not out["p_value_exact"].any()
    full = mapeval.mean_average_precision(ap, "pert", 10, null_sampler="exact")
    assert full["p_value_exact"].all()
    sd = np.sqrt(full["p_value"] * (1 - full["p_value"]) / 20_000)
    assert (np.abs(out["p_value"] - full["p_value"]) <= 5 * sd + 1e-4).all()


def test_convolution_too_large_is_monte_carlo_from_the_exact_marginals():
    ap = _design({"a": 4}, 30)
    # the independent null of 4 members of (3, 33): support far above exact_limit=1000
    with pytest.warns(mapeval.ExactNullWarning):
        out = mapeval.mean_average_precision(ap, "pert", 20_000, null_sampler="exact", map_null="independent",
                                             exact_limit=6000)
    assert not out["p_value_exact"].iloc[0]
    ref = mapeval.mean_average_precision(ap, "pert", 20_000, null_sampler="fast", map_null="independent")
    assert abs(out["p_value"].iloc[0] - ref["p_value"].iloc[0]) < 0.02


def test_exact_sampler_is_refused_where_null_rows_are_drawn():
    with pytest.raises(ValueError, match="draws no null rows"):
        null_distributions(np.array([[2, 5]]), 10, 0, sampler="exact")
