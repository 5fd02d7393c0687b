"""The energy-distance permutation test (mapeval.energy_distance_test, issue 18) against a loop
over the same relabelings computing the statistic with mapeval.energy_distance and by definition."""

from __future__ import annotations

import itertools

import mapeval
import numpy as np
import pandas as pd
import pytest
from mapeval.permutation import permutation_plan

DESIGN = (["pert", "ref"], [], [], ["pert", "ref"])
PLATE = (["pert", "ref"], [], ["plate"], ["pert", "ref"])


def _screen(n_plates: int, controls_per_plate: int, n_perts: int, seed: int = 0, shift: float = 0.0):
    rows = [(f"p{p}", f"c{k}") for p in range(n_plates) for k in range(n_perts)]
    rows += [(f"p{p}", "ctrl") for p in range(n_plates) for _ in range(controls_per_plate)]
    meta = pd.DataFrame(rows, columns=["plate", "pert"])
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = np.random.default_rng(seed).normal(size=(len(meta), 5))
    feats[(meta["pert"] == "c0").to_numpy()] += shift
    return meta, feats


def _energy(feats, pool, labelled):
    x = feats[np.asarray(labelled)]
    y = feats[np.setdiff1d(pool, labelled)]
    return mapeval.energy_distance(x, y)


def _energy_by_definition(x: np.ndarray, y: np.ndarray) -> float:
    """E = 2/(n1 n2) sum ||x - y|| - 1/n1^2 sum ||x - x'|| - 1/n2^2 sum ||y - y'||, pair by pair."""
    def mean_dist(a, b):
        return sum(float(np.sqrt(((u - v) ** 2).sum())) for u in a for v in b) / (len(a) * len(b))

    return 2 * mean_dist(x, y) - mean_dist(x, x) - mean_dist(y, y)


def test_observed_statistic_equals_energy_distance():
    # mapeval.energy_distance is tested against dcor.energy_distance in test_metrics.py (dcor
    # compiles numba kernels on import, ~10 s); here also against the definition, pair by pair
    meta, feats = _screen(3, 5, 4, seed=1, shift=0.7)
    for design in (DESIGN, PLATE):
        res = mapeval.energy_distance_test(meta, feats, *design, "pert", n_permutations=50)
        for row in res.itertuples():
            reps = np.flatnonzero(meta["pert"] == row.pert)
            ctrl = np.flatnonzero(meta["pert"] == "ctrl")
            if design is PLATE:  # the controls of the replicates' plates (here: all plates)
                ctrl = ctrl[np.isin(meta["plate"].to_numpy()[ctrl], meta["plate"].to_numpy()[reps])]
            assert row.energy_distance == pytest.approx(_energy_by_definition(feats[reps], feats[ctrl]), rel=1e-10)
            assert row.energy_distance == pytest.approx(mapeval.energy_distance(feats[reps], feats[ctrl]), rel=1e-10)


@pytest.mark.parametrize("design,strata", [(DESIGN, None), (PLATE, None), (DESIGN, "plate")])
def test_p_values_equal_the_loop_over_the_relabelings_permutation_map_uses(design, strata):
    meta, feats = _screen(3, 4, 3, seed=2, shift=0.6)
    for n_perm in (30, 10_000):  # sampled, then every relabeling
        res = mapeval.energy_distance_test(meta, feats, *design, "pert", n_permutations=n_perm, seed=5,
                                           strata=strata)
        plan = permutation_plan(meta, *design, "pert", n_permutations=n_perm, seed=5, strata=strata)
        for row, pl in zip(res.itertuples(), plan.itertuples()):
            observed = _energy(feats, pl.pool, pl.labelled)
            stats = np.array([_energy(feats, pl.pool, lab) for lab in pl.relabelings])
            ge = (stats >= observed - 1e-10 * abs(observed)).sum()
            want = ge / len(stats) if pl.enumerated else (1 + ge) / (1 + len(stats))
            assert row.energy_distance == pytest.approx(observed, rel=1e-10)
            assert row.p_value == pytest.approx(want, abs=1e-12)
            assert row.p_value_exact == pl.enumerated and row.n_permutations == len(stats)


def test_enumerated_relabelings_are_every_choice_within_strata():
    meta, _ = _screen(2, 3, 2)
    plan = permutation_plan(meta, *PLATE, "pert", n_permutations=100)
    for pl in plan.itertuples():
        plates = meta["plate"].to_numpy()
        per_plate = [list(itertools.combinations(pl.pool[plates[pl.pool] == p], 1)) for p in ("p0", "p1")]
        want = sorted(tuple(sorted(a + b)) for a, b in itertools.product(*per_plate))
        assert sorted(tuple(r) for r in pl.relabelings.tolist()) == want
        assert pl.enumerated and pl.n_relabelings == 16


def test_same_relabelings_as_permutation_map_for_the_same_seed():
    meta, feats = _screen(3, 6, 5, seed=4, shift=0.5)
    a = mapeval.energy_distance_test(meta, feats, *DESIGN, "pert", n_permutations=200, seed=9)
    b = mapeval.permutation_map(meta, feats, *DESIGN, "pert", n_permutations=200, seed=9)
    pd.testing.assert_series_equal(a["n_relabelings"], b["n_relabelings"])
    # both are checked against loops over permutation_plan's relabelings (above and in
    # test_permutation.py); here: the plan does not depend on the statistic or on the features
    p1 = permutation_plan(meta, *DESIGN, "pert", n_permutations=200, seed=9)
    p2 = permutation_plan(meta, *DESIGN, "pert", n_permutations=200, seed=9)
    for r1, r2 in zip(p1["relabelings"], p2["relabelings"]):
        np.testing.assert_array_equal(r1, r2)


def test_threads_and_memory_mode_do_not_change_results_and_shift_is_detected():
    meta, feats = _screen(3, 6, 12, seed=6, shift=1.5)
    a = mapeval.energy_distance_test(meta, feats, *PLATE, "pert", n_permutations=300, seed=1, threads=1)
    b = mapeval.energy_distance_test(meta, feats, *PLATE, "pert", n_permutations=300, seed=1, threads=2)
    c = mapeval.energy_distance_test(meta, feats, *PLATE, "pert", n_permutations=300, seed=1,
                                     max_memory_mb=(3 * 36 * 8 + 1) / 2**20)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c, rtol=1e-12)
    assert a.loc[a["pert"] == "c0", "p_value"].iloc[0] < 0.05
    assert list(a.columns) == ["pert", "energy_distance", "p_value", "corrected_p_value", "n_permutations",
                               "n_relabelings", "p_value_exact"]
