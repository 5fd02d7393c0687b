"""The label-permutation mAP test (mapeval.permutation_map, copairs issue 69) against a
brute-force loop: every relabeling listed with itertools, each relabelled pool scored by
mapeval.average_precision, the mean AP compared with the observed one."""

from __future__ import annotations

import itertools
import math

import mapeval
import numpy as np
import pandas as pd
import pytest
from mapeval.permutation import permutation_plan

DESIGN = (["pert", "ref"], [], [], ["pert", "ref"])
PLATE = (["pert", "ref"], [], ["plate"], ["pert", "ref"])


def _screen(n_plates: int, controls_per_plate: int, n_perts: int, seed: int = 0, shift: float = 0.0):
    """Replicates (one per plate) and per-plate controls, the same plate map on every plate."""
    rows = [(f"p{p}", f"c{k}") for p in range(n_plates) for k in range(n_perts)]
    rows += [(f"p{p}", "ctrl") for p in range(n_plates) for _ in range(controls_per_plate)]
    meta = pd.DataFrame(rows, columns=["plate", "pert"])
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = np.random.default_rng(seed).normal(size=(len(meta), 5))
    feats[(meta["pert"] == "c0").to_numpy()] += shift
    return meta, feats


def _relabelled_map(meta, feats, pool_rows, labelled_rows, design) -> float:
    """mAP of the profiles ``labelled_rows`` against the rest of ``pool_rows``, by
    mapeval.average_precision on a relabelled copy of the pool."""
    sub = meta.loc[pool_rows].drop(columns="ref").reset_index(drop=True)
    sub["pert"] = np.where(np.isin(pool_rows, labelled_rows), "X", "ctrl")
    sub = mapeval.assign_reference_index(sub, "pert == 'ctrl'", reference_col="ref")
    ap = mapeval.average_precision(sub, feats[pool_rows], *design)
    return float(ap.loc[ap["pert"] == "X", "average_precision"].mean())


def _pool_and_strata(meta, pert, per_plate, strata_col):
    reps = np.flatnonzero(meta["pert"] == pert)
    ctrl = np.flatnonzero(meta["pert"] == "ctrl")
    if per_plate:
        ctrl = ctrl[np.isin(meta["plate"].to_numpy()[ctrl], meta["plate"].to_numpy()[reps])]
    pool = np.sort(np.r_[reps, ctrl])
    if per_plate or strata_col:
        strata = meta["plate"].to_numpy()[pool]
    else:
        strata = np.zeros(len(pool), dtype=object)
    return reps, pool, strata


def _brute_force(meta, feats, per_plate=False, strata_col=None):
    """Observed mAP and exact permutation p of every perturbation: all relabelings."""
    design = PLATE if per_plate else DESIGN
    out = {}
    for pert in sorted(set(meta["pert"]) - {"ctrl"}):
        reps, pool, strata = _pool_and_strata(meta, pert, per_plate, strata_col)
        observed = _relabelled_map(meta, feats, pool, reps, design)
        per_stratum = []
        for s in pd.unique(strata):
            members = pool[strata == s]
            k = int(np.isin(members, reps).sum())
            per_stratum.append(list(itertools.combinations(members, k)))
        stats = [
            _relabelled_map(meta, feats, pool, np.concatenate([np.array(c, dtype=int) for c in combo]), design)
            for combo in itertools.product(*per_stratum)
        ]
        stats = np.array(stats)
        out[pert] = (observed, float((stats >= observed - 1e-10).mean()), len(stats))
    return out


@pytest.mark.parametrize("per_plate,strata", [(False, None), (True, None), (False, "plate")])
def test_enumerated_p_values_equal_brute_force(per_plate, strata):
    meta, feats = _screen(3, 2, 2, seed=1, shift=0.8)
    res = mapeval.permutation_map(meta, feats, *(PLATE if per_plate else DESIGN), "pert",
                                  n_permutations=10_000, strata=strata, threads=1)
    oracle = _brute_force(meta, feats, per_plate, strata)
    assert res["p_value_exact"].all()
    for row in res.itertuples():
        observed, p, count = oracle[row.pert]
        assert row.mean_average_precision == pytest.approx(observed, abs=1e-12)
        assert row.p_value == pytest.approx(p, abs=1e-12)
        assert row.n_relabelings == count == row.n_permutations


def test_relabeling_counts_are_products_of_binomials():
    meta, feats = _screen(3, 4, 2)
    free = mapeval.permutation_map(meta, feats, *DESIGN, "pert", n_permutations=10)
    plate = mapeval.permutation_map(meta, feats, *PLATE, "pert", n_permutations=10)
    strata = mapeval.permutation_map(meta, feats, *DESIGN, "pert", n_permutations=10, strata="plate")
    assert (free["n_relabelings"] == math.comb(3 + 12, 3)).all()  # 3 replicates among 15
    assert (plate["n_relabelings"] == 5**3).all()  # one of (replicate + 4 controls) per plate
    assert (strata["n_relabelings"] == 5**3).all()
    assert (free["n_permutations"] == 10).all() and not free["p_value_exact"].any()
    # sampled: p = (1 + #{>=}) / (1 + B)
    assert np.allclose((free["p_value"] * 11) % 1, 0)


def test_sampled_p_values_equal_the_loop_over_the_same_relabelings():
    meta, feats = _screen(3, 4, 2, seed=2, shift=0.5)
    for design, strata in ((DESIGN, None), (PLATE, None), (DESIGN, "plate")):
        res = mapeval.permutation_map(meta, feats, *design, "pert", n_permutations=25, seed=7, strata=strata)
        plan = permutation_plan(meta, *design, "pert", n_permutations=25, seed=7, strata=strata)
        for row, pl in zip(res.itertuples(), plan.itertuples()):
            assert row.pert == pl.pert and not pl.enumerated and len(pl.relabelings) == 25
            observed = _relabelled_map(meta, feats, pl.pool, pl.labelled, design)
            stats = np.array([_relabelled_map(meta, feats, pl.pool, lab, design) for lab in pl.relabelings])
            assert row.mean_average_precision == pytest.approx(observed, abs=1e-12)
            assert row.p_value == pytest.approx((1 + (stats >= observed - 1e-10).sum()) / 26, abs=1e-12)
            if strata or design is PLATE:  # one labelled profile per plate
                plates = meta["plate"].to_numpy()[pl.relabelings]
                assert all(len(set(r)) == 3 for r in plates)


def test_sampled_p_value_estimates_the_exact_one():
    meta, feats = _screen(3, 5, 4, seed=9, shift=0.4)
    exact = mapeval.permutation_map(meta, feats, *DESIGN, "pert", n_permutations=1000)
    sampled = mapeval.permutation_map(meta, feats, *DESIGN, "pert", n_permutations=400, seed=1)
    assert exact["p_value_exact"].all() and not sampled["p_value_exact"].any()  # 816 relabelings
    sd = np.sqrt(exact["p_value"] * (1 - exact["p_value"]) / 400)
    assert (np.abs(sampled["p_value"] - exact["p_value"]) <= 5 * sd + 2 / 400).all()


def test_exact_p_values_are_uniform_over_all_labellings_of_a_pool():
    # the defining property of an exact permutation test: taking each of the comb(8, 3) = 56
    # labellings of one pool as the observed one, #{p <= j / 56} <= j for every j (equality
    # where no two labellings tie in mAP; ranks make ties common)
    rng = np.random.default_rng(4)
    feats = rng.normal(size=(8, 4))
    ps = []
    for labelled in itertools.combinations(range(8), 3):
        meta = pd.DataFrame({"pert": np.where(np.isin(np.arange(8), labelled), "a", "ctrl")})
        meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
        out = mapeval.permutation_map(meta, feats, *DESIGN, "pert", n_permutations=100, threads=1)
        assert out["p_value_exact"].iloc[0] and out["n_relabelings"].iloc[0] == 56
        ps.append(out["p_value"].iloc[0])
    ps = np.round(np.array(ps) * 56).astype(int)
    at_most = np.array([(ps <= j).sum() for j in range(1, 57)])
    assert (at_most <= np.arange(1, 57)).all()
    # each p is its labelling's rank from the top, ties counted: equality at every attained p
    for j in np.unique(ps):
        assert (ps <= j).sum() == j


def test_observed_map_equals_mean_average_precision():
    meta, feats = _screen(4, 5, 6, seed=3, shift=0.4)
    for design in (DESIGN, PLATE):
        res = mapeval.permutation_map(meta, feats, *design, "pert", n_permutations=50)
        ref = mapeval.mean_average_precision(mapeval.average_precision(meta, feats, *design), "pert", 100)
        np.testing.assert_allclose(res["mean_average_precision"], ref["mean_average_precision"], atol=1e-12)
        assert list(res["pert"]) == list(ref["pert"])
        assert list(res.columns[:6]) == ["pert", "mean_average_precision", "p_value", "corrected_p_value",
                                         "below_p", "below_corrected_p"]


def test_seed_reproducible_and_threads_and_memory_mode_do_not_change_results():
    meta, feats = _screen(3, 6, 20, seed=5, shift=0.3)
    for design in (DESIGN, PLATE):
        a = mapeval.permutation_map(meta, feats, *design, "pert", n_permutations=200, seed=3, threads=1)
        b = mapeval.permutation_map(meta, feats, *design, "pert", n_permutations=200, seed=3, threads=2)
        # only the per-plate blocks fit: the cross-plate keys are recomputed
        c = mapeval.permutation_map(meta, feats, *design, "pert", n_permutations=200, seed=3,
                                    max_memory_mb=(3 * 36 * 6 + 1) / 2**20 if design is PLATE else 1.0)
        d = mapeval.permutation_map(meta, feats, *design, "pert", n_permutations=200, seed=4)
        pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(a, c)
        assert not np.array_equal(a["p_value"], d["p_value"])


def test_consistency_design_relabels_which_profiles_share_the_annotation():
    rng = np.random.default_rng(6)
    targets = ["t1"] * 3 + ["t2"] * 2 + ["t3"] * 3 + ["s1", "s2"]
    meta = pd.DataFrame({"target": targets, "cmpd": [f"k{i}" for i in range(len(targets))]})
    feats = rng.normal(size=(len(meta), 4))
    feats[:3] += 1.0
    design = (["target"], ["cmpd"], [], ["target"])
    res = mapeval.permutation_map(meta, feats, *design, "target", n_permutations=1000)
    assert res["p_value_exact"].all()
    for row in res.itertuples():
        members = np.flatnonzero(meta["target"] == row.target)

        def stat(labelled):
            sub = meta.copy()
            sub["target"] = [f"r{i}" for i in range(len(sub))]
            sub.loc[list(labelled), "target"] = "X"
            ap = mapeval.average_precision(sub, feats, *design)
            return ap.loc[ap["target"] == "X", "average_precision"].mean()

        observed = stat(members)
        stats = np.array([stat(c) for c in itertools.combinations(range(len(meta)), len(members))])
        assert row.mean_average_precision == pytest.approx(observed, abs=1e-12)
        assert row.p_value == pytest.approx((stats >= observed - 1e-10).mean(), abs=1e-12)


def test_permutation_detects_a_shift_the_shared_null_misses_less_often():
    # 4 replicates vs 36 controls, a modest shift on every perturbation: the permutation test
    # is at least as powerful as copairs' shared null here (its null is not conservative)
    meta, feats = _screen(4, 9, 30, seed=8)
    feats[(meta["pert"] != "ctrl").to_numpy(), :2] += 0.9
    perm = mapeval.permutation_map(meta, feats, *DESIGN, "pert", n_permutations=500)
    shared = mapeval.mean_average_precision(mapeval.average_precision(meta, feats, *DESIGN), "pert", 1000)
    assert perm["below_p"].sum() >= shared["below_p"].sum()


def test_refuses_designs_that_are_not_relabelable():
    meta, feats = _screen(3, 3, 2)
    # negatives that differ per query (the plate in neg_diffby): not one control set
    with pytest.raises(ValueError, match="ranked against the same profiles"):
        mapeval.permutation_map(meta, feats, ["pert", "ref"], [], [], ["pert", "ref", "plate"], "pert")
    # sameby coarser than the positive pairs
    with pytest.raises(ValueError, match="different sameby groups|other scored profile"):
        mapeval.permutation_map(_with_column(meta, "all", "x"), feats, ["pert", "ref"], [], [], ["pert", "ref"],
                                "all")


def _with_column(meta, name, value):
    out = meta.copy()
    out[name] = value
    return out


def test_tie_break_by_similarity_equals_brute_force_lexicographic_order():
    # 2 replicates: mAP ties often (every mutually nearest pair has mAP 1)
    meta, feats = _screen(2, 5, 2, seed=15, shift=2.0)
    res = mapeval.permutation_map(meta, feats, *DESIGN, "pert", n_permutations=1000, tie_break="similarity")
    plain = mapeval.permutation_map(meta, feats, *DESIGN, "pert", n_permutations=1000)
    unit = feats / np.linalg.norm(feats, axis=1, keepdims=True)
    for row, base in zip(res.itertuples(), plain.itertuples()):
        reps, pool, _ = _pool_and_strata(meta, row.pert, False, None)

        def stat(labelled, pool=pool):
            labelled = np.asarray(labelled)
            sims = unit[labelled] @ unit[labelled].T
            return (_relabelled_map(meta, feats, pool, labelled, DESIGN),
                    sims[~np.eye(len(labelled), dtype=bool)].mean())

        obs = stat(reps)
        stats = [stat(c) for c in itertools.combinations(pool, len(reps))]
        ge = sum(m > obs[0] + 1e-10 or (abs(m - obs[0]) <= 1e-10 and s >= obs[1] - 1e-6) for m, s in stats)
        assert row.p_value == pytest.approx(ge / len(stats), abs=1e-12)
        assert row.p_value <= base.p_value  # ties no longer all count against the observed labelling
    assert (res["p_value"] < plain["p_value"]).any()
    with pytest.raises(ValueError, match="tie_break must be None or 'similarity'"):
        mapeval.permutation_map(meta, feats, *DESIGN, "pert", tie_break="cosine")
