"""Simulated profiles and the simulation benchmark (mapreprod.simulations.simulate, docs/methods.md §2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import binom, binomtest

import mapeval
from mapreprod import registry
from mapreprod.settings import MapSettings
from mapreprod.simulations import simulate
from mapreprod.simulations.simulate import (
    FIGURE_SPECS,
    Family,
    MapTest,
    SimulationOptions,
    generate_profiles,
)


def authors_loop(n_feats, n_plates, cpp, percent, n_perts, family, seed=42):
    """The authors' generator, one rng call per well and distribution (docs/methods.md §2.2)."""
    rng = np.random.default_rng(seed)
    labels = [f"c{k}" for k in range(n_perts)] + ["negative_control"] * cpp
    plate_map = rng.choice(labels, size=len(labels), replace=False)
    n_diff = int(n_feats * percent / 100)

    def draw(num, params):
        if family.kind == "normal":
            return rng.normal(loc=params[0], scale=params[1], size=num)
        return rng.standard_cauchy(size=num) * params[1] + params[0]

    rows = []
    for _ in range(n_plates):
        for pert in plate_map:
            parts = []
            rest = n_feats
            if pert != "negative_control" and n_diff:
                parts.append(draw(n_diff, family.perturbed))
                rest -= n_diff
            if rest > 0:
                parts.append(draw(rest, family.control))
            rows.append(np.concatenate(parts))
    return plate_map, np.array(rows)


@pytest.mark.parametrize("figure", ["fig2", "figS3", "figS4"])
@pytest.mark.parametrize("percent", [1, 32, 100])
def test_generator_reproduces_the_authors_draw_order(figure, percent):
    family = FIGURE_SPECS[figure].family
    meta, feats = generate_profiles(50, 3, 4, percent, 10, family, seed=42)
    plate_map, expected = authors_loop(50, 3, 4, percent, 10, family)
    np.testing.assert_array_equal(feats, expected)
    np.testing.assert_array_equal(meta["Metadata_Perturbation"].to_numpy()[:14], plate_map)


def test_generator_shapes_and_metadata():
    meta, feats = generate_profiles(30, 4, 3, 10, n_perts=7)
    assert feats.shape == (4 * (7 + 3), 30)
    assert list(meta.columns) == ["Metadata_Plate", "Metadata_Well", "Metadata_Perturbation"]
    assert meta["Metadata_Plate"].tolist() == [f"p{i}" for i in range(4) for _ in range(10)]
    assert meta["Metadata_Well"].tolist() == [f"w{j}" for _ in range(4) for j in range(10)]
    counts = meta["Metadata_Perturbation"].value_counts()
    assert counts["negative_control"] == 4 * 3
    assert (counts.drop("negative_control") == 4).all() and len(counts) == 8


def test_plate_map_is_shared_by_every_plate():
    meta, _ = generate_profiles(10, 3, 5, 1, n_perts=20)
    maps = [g.set_index("Metadata_Well")["Metadata_Perturbation"]
            for _, g in meta.groupby("Metadata_Plate")]
    for m in maps[1:]:
        pd.testing.assert_series_equal(m, maps[0], check_names=False)
    # and it is shuffled: controls are not simply the last wells
    assert (maps[0].iloc[-5:] != "negative_control").any()


@pytest.mark.parametrize("n_feats", [100, 250, 5000])
@pytest.mark.parametrize("percent", [1, 2, 4, 8, 16, 32, 64, 10, 50, 100])
def test_number_of_perturbed_features_is_floor_of_share(n_feats, percent):
    n_diff = simulate.n_perturbed_features(n_feats, percent)
    assert n_diff == (n_feats * percent) // 100


def test_perturbed_features_are_the_first_columns():
    # N(1000, 1) perturbed vs N(0, 1): perturbed cells are obvious
    family = Family("normal", (0.0, 1.0), (1000.0, 1.0))
    meta, feats = generate_profiles(200, 2, 3, 16, n_perts=5, family=family)
    pert = (meta["Metadata_Perturbation"] != "negative_control").to_numpy()
    big = feats > 500
    assert (big[pert, :32]).all() and not big[pert, 32:].any() and not big[~pert].any()


def test_grid_of_the_paper_has_the_published_sizes():
    pc = simulate.PAPER_PLATES_CONTROLS
    grid = simulate.simulation_grid(simulate.PAPER_N_FEATS, pc, simulate.PERCENT_STEPS["bin_exp"])
    assert len(grid) == 378
    assert set(grid["n_controls"]) == {12, 24, 36}
    lin = simulate.simulation_grid(simulate.PAPER_N_FEATS, pc, simulate.PERCENT_STEPS["linear"])
    assert len(lin) == 594
    assert simulate.PERCENT_STEPS["linear"] == [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]


def test_perturbation_groups_pair_replicates_with_every_control():
    meta, _ = generate_profiles(5, 3, 2, 0, n_perts=4)
    labels, stacks, controls = simulate.perturbation_groups(meta)
    assert len(labels) == 4 and stacks.shape == (4, 3 + 6)
    for lab, st in zip(labels, stacks):
        assert (meta["Metadata_Perturbation"].to_numpy()[st[:3]] == lab).all()
        np.testing.assert_array_equal(st[3:], controls)


def null_calls(n_seeds=8, n_perts=60):
    """Per-method p-values / accuracies at 0% perturbed features over several datasets: every mAP
    test and every baseline (3 replicates, 12 controls: 455 relabelings, 200 drawn)."""
    spec = simulate.FigureSpec(simulate.NORMAL, "bin_exp",
                               tuple(MapTest(t, test=t) for t in simulate.MAP_TESTS),
                               tuple(simulate.BASELINE_TESTS))
    out = []
    for seed in range(n_seeds):
        meta, feats = generate_profiles(40, 3, 4, 0, n_perts=n_perts, seed=seed)
        out.append(simulate.evaluate_condition(meta, feats, spec, MapSettings(null_size=500, seed=seed),
                                               SimulationOptions(n_permutations=200)))
    return pd.concat(out, ignore_index=True)


def test_permutation_pvalues_are_calibrated_under_the_null():
    res = null_calls()
    n = len(res)
    # Perturbations of one dataset share their controls, so calls are positively correlated:
    # a 99.9% binomial interval around 5% of 480, widened by a quarter (about 2.5%-9%).
    lo, hi = binom.ppf([0.0005, 0.9995], n, 0.05)
    lo, hi = lo * 0.75, hi * 1.25
    # label-permutation tests (the relabelings of the permutation mAP test for energy distance)
    for col in ("mp-value", "MMD", "permutation", "energy distance"):
        calls = int((res[col] < 0.05).sum())
        assert lo <= calls <= hi, f"{col}: {calls} of {n} called at 0% perturbed features"
    # the copairs-style shared null is conservative (the mAP null is the single-AP null), and
    # its exact (enumerated) version too
    assert (res["shared"] < 0.05).sum() <= hi
    assert (res["exact"] < 0.05).sum() <= hi
    # the independent-draw null ignores that replicates' APs are correlated: never more
    # conservative than the shared one (figS_null shows its false-positive rate)
    assert (res["independent"] < 0.05).sum() >= (res["shared"] < 0.05).sum()
    # k-means separates 3 replicates from 12 controls only by chance
    assert (res["k-means"] == 1).mean() < 0.02


def test_recall_grows_with_signal_and_replicates():
    spec = simulate.FIGURE_SPECS["fig2"]
    # 12 controls either way: 2 plates x 6 or 4 plates x 3
    grid = simulate.simulation_grid([100], {2: [6], 4: [3]}, [1, 8, 16, 64])
    table = simulate.run_grid("fig2", grid, MapSettings(null_size=500, seed=42),
                              SimulationOptions(n_perts=40, n_permutations=200))
    for reps, t in table.groupby("# replicates"):
        rec = t.sort_values("features_differ")["mAP p-value"].to_numpy()
        assert (np.diff(rec) >= -0.05).all() and rec[-1] > rec[0] + 0.5, (reps, rec)
    by_reps = table.pivot(index="features_differ", columns="# replicates", values="mAP p-value")
    # at 1% there is no signal; at 16% 4 replicates beat 2 clearly (at 8% both recalls are
    # near the 5% floor with 40 perturbations: their order depends on the null's random draws)
    assert by_reps.loc[16, 4] > by_reps.loc[16, 2] + 0.2, by_reps
    assert spec.methods == ["mAP p-value", "mp-value", "MMD", "k-means"]


def test_same_config_gives_identical_tables():
    grid = simulate.simulation_grid([30], {2: [3]}, [0, 50])
    settings = MapSettings(null_size=50, seed=3)
    options = SimulationOptions(n_perts=6, n_permutations=50)
    a = simulate.run_grid("fig2", grid, settings, options)
    b = simulate.run_grid("fig2", grid, settings.replace(threads=1, batch_size=7), options)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns[:4]) == ["mAP p-value", "mp-value", "MMD", "k-means"]
    assert list(a.columns[4:8]) == ["# replicates", "n_controls", "features_differ", "n_feats"]


def test_recall_counts_uncorrected_calls_and_perfect_kmeans():
    res = pd.DataFrame({"Metadata_Perturbation": list("abcd"),
                        "mAP p-value": [0.01, 0.049, 0.05, 0.5],
                        "k-means": [1.0, 0.99, 1.0, 0.5]})
    assert simulate.recall(res) == {"mAP p-value": 0.5, "k-means": 0.5}


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="percent"):
        simulate.n_perturbed_features(10, 120)
    with pytest.raises(ValueError, match="unknown simulation figure"):
        simulate.run_grid("fig9", simulate.simulation_grid([10], {2: [2]}, [1]),
                          MapSettings(null_size=10))
    with pytest.raises(ValueError, match="unknown test"):
        simulate.FigureSpec(simulate.NORMAL, "bin_exp", (MapTest("mAP"),), ("energy",))
    with pytest.raises(ValueError, match="unknown test 'bootstrap'"):
        MapTest("mAP", test="bootstrap")
    meta, feats = generate_profiles(10, 2, 2, 0, n_perts=3)
    with pytest.raises(ValueError, match="unknown mAP test"):
        simulate.map_pvalues(meta, feats, MapSettings(null_size=10), ("map_null",))
    with pytest.raises(ValueError, match="map_null_size"):
        simulate.map_pvalues(meta, feats, MapSettings(), ("shared",))
    with pytest.raises(ValueError, match="family"):
        generate_profiles(5, 2, 2, 1, 3, Family("uniform", (0, 1), (1, 1)))


def test_map_pvalues_use_the_similarity_null_size_seed_and_test_of_each_column():
    # oracle: the engine called by hand with the reference-index design of docs/methods.md §2.3
    meta, feats = generate_profiles(30, 3, 4, 20, n_perts=6, seed=5)
    settings = MapSettings(similarity="euclidean", null_size=200, seed=11)
    got = simulate.map_pvalues(meta, feats, settings, simulate.MAP_TESTS, n_permutations=150)
    assert list(got.columns) == ["Metadata_Perturbation", *simulate.MAP_TESTS]
    ref = meta.copy()
    ctrl = ref["Metadata_Perturbation"] == "negative_control"
    ref["Metadata_Control_Index"] = np.where(ctrl, np.arange(len(ref)), -1)
    design = ["Metadata_Perturbation", "Metadata_Control_Index"]
    ap = mapeval.average_precision(ref, feats, design, [], [], design, similarity="euclidean")
    for test, kw in (("shared", {}), ("independent", {"map_null": "independent"}),
                     ("exact", {"null_sampler": "exact"})):
        want = mapeval.mean_average_precision(ap, "Metadata_Perturbation", 200, seed=11, **kw)
        want = want.sort_values("Metadata_Perturbation")
        np.testing.assert_array_equal(got[test].to_numpy(), want["p_value"].to_numpy())
    want = mapeval.permutation_map(ref, feats, design, [], [], design, "Metadata_Perturbation",
                                   n_permutations=150, seed=11, similarity="euclidean")
    np.testing.assert_array_equal(got["permutation"].to_numpy(), want["p_value"].to_numpy())


def test_each_map_test_of_a_spec_sets_its_similarity_and_null():
    meta, feats = generate_profiles(30, 3, 4, 20, n_perts=6, seed=5)
    settings = MapSettings(null_size=200, seed=11)
    spec = FIGURE_SPECS["figS5"]
    res = simulate.evaluate_condition(meta, feats, spec, settings)
    assert list(res.columns) == ["Metadata_Perturbation", *spec.methods]
    for test in spec.maps:
        alone = simulate.map_pvalues(meta, feats, settings.replace(similarity=test.similarity))
        np.testing.assert_array_equal(res[test.column].to_numpy(), alone["shared"].to_numpy())


def test_paper_figures_compute_only_the_papers_methods():
    """New tests and intervals go into our figures only: the paper's figures keep the shared mAP
    null and the authors' three baselines, so their tables stay value for value."""
    rows = registry.figures()
    rows = rows[rows["dataset"] == "simulations"]
    for fig, paper in zip(rows["id"], rows["paper"]):
        spec = FIGURE_SPECS[fig]
        if paper == "ours":
            continue
        assert not spec.intervals and spec.columns == spec.methods, fig
        assert all(m.test == "shared" for m in spec.maps), fig
        assert spec.baselines in ((), simulate.PAPER_BASELINES), fig
    assert simulate.PAPER_BASELINES == ("mp-value", "MMD", "k-means")


def pool_statistic_pvalues(meta, feats, n_permutations, seed, statistic):
    """p-value of every perturbation from the relabelings of mapeval's permutation_plan, with
    the statistic computed here from scratch: (1 + #{perm >= obs}) / (1 + B), or #{>=} / count
    over all relabelings when they are enumerated (the observed one among them)."""
    ref = simulate.with_control_index(meta)
    design = simulate.REFERENCE_DESIGN
    plan = mapeval.permutation.permutation_plan(ref, design, [], [], design,
                                                "Metadata_Perturbation", n_permutations, seed)
    out = []
    for row in plan.itertuples():
        obs = np.atleast_1d(statistic(row.labelled, row.pool))
        perm = np.array([np.atleast_1d(statistic(lab, row.pool)) for lab in row.relabelings])
        # a (statistic, tie-break) pair is compared lexicographically, ties within 1e-9
        tie = np.abs(perm[:, 0] - obs[0]) <= 1e-9 * max(1.0, abs(obs[0]))
        ge = (perm[:, 0] > obs[0]) | tie
        if len(obs) > 1:
            ge = (perm[:, 0] > obs[0]) & ~tie | (tie & (perm[:, 1] >= obs[1] - 1e-12))
        hits = int(ge.sum())
        out.append(hits / len(perm) if row.enumerated else (1 + hits) / (1 + len(perm)))
    return np.array(out), plan


def test_energy_distance_column_is_the_label_permutation_test_of_the_energy_statistic():
    """Oracle: E = 2 mean||x - y|| - mean||x - x'|| - mean||y - y'|| (Euclidean, scipy's cdist)
    on the replicates x and the rest of the pool y, over the permutation mAP test's relabelings."""

    def energy(lab, pool):
        x, y = feats[lab], feats[np.setdiff1d(pool, lab)]
        return 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()

    spec = simulate.FigureSpec(simulate.NORMAL, "bin_exp", (), ("energy distance",))
    # 2 x 3 controls: comb(8, 2) = 28 relabelings, all enumerated; 3 x 3: 220 > 60, 60 drawn
    for plates, enumerated in ((2, True), (3, False)):
        meta, feats = generate_profiles(25, plates, 3, 30, n_perts=6, seed=plates)
        settings = MapSettings(null_size=50, seed=13)
        res = simulate.evaluate_condition(meta, feats, spec, settings,
                                          SimulationOptions(n_permutations=60))
        want, plan = pool_statistic_pvalues(meta, feats, 60, 13, energy)
        assert plan["enumerated"].all() == enumerated
        np.testing.assert_allclose(res["energy distance"].to_numpy(), want, rtol=0, atol=1e-12)


def test_permutation_column_is_the_label_permutation_test_of_the_map():
    """Oracle: each relabelled query's AP by brute force (cosine, its positives = the other
    relabelled profiles, negatives = the rest of the pool), mAP over the relabelled profiles."""

    def mean_ap(lab, pool, tie_break=False):
        lab = np.asarray(lab)
        aps, pair_sims = [], []
        for q in lab:
            others = pool[pool != q]
            sim = 1 - cdist(feats[[q]], feats[others], "cosine")[0]
            hit = np.isin(others, lab)[np.argsort(-sim, kind="stable")]
            ranks = np.flatnonzero(hit) + 1
            aps.append(np.mean(np.arange(1, len(ranks) + 1) / ranks))
            pair_sims.extend(sim[np.isin(others, lab)])
        # map.permutation_tie_break: similarity = (mAP, mean positive-pair similarity)
        return (float(np.mean(aps)), float(np.mean(pair_sims))) if tie_break else float(np.mean(aps))

    spec = simulate.FigureSpec(simulate.NORMAL, "bin_exp",
                               (MapTest("perm", test="permutation"),))
    for plates, enumerated in ((3, False), (2, True)):
        meta, feats = generate_profiles(25, plates, 3, 30, n_perts=6, seed=plates)
        for tie_break in ("none", "similarity"):
            settings = MapSettings(null_size=50, seed=13, permutation_tie_break=tie_break)
            res = simulate.evaluate_condition(meta, feats, spec, settings,
                                              SimulationOptions(n_permutations=60))
            want, plan = pool_statistic_pvalues(
                meta, feats, 60, 13, lambda lab, pool: mean_ap(lab, pool, tie_break == "similarity"))
            assert plan["enumerated"].all() == enumerated
            np.testing.assert_allclose(res["perm"].to_numpy(), want, rtol=0, atol=1e-12)


def test_recall_intervals_are_clopper_pearson_of_the_calls():
    res = pd.DataFrame({"Metadata_Perturbation": list("abcdefgh"),
                        "mAP p-value": [0.01, 0.049, 0.05, 0.5, 0.2, 0.001, 0.9, 0.3],
                        "k-means": [1.0, 0.99, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0]})
    counts = simulate.calls(res)
    assert counts == {"mAP p-value": 3, "k-means": 6}
    got = simulate.recall_intervals(counts, len(res))
    for method, k in counts.items():
        ci = binomtest(k, 8).proportion_ci(0.95, method="exact")
        lo, hi = simulate.interval_columns(method)
        assert got[lo] == pytest.approx(ci.low, abs=1e-12)
        assert got[hi] == pytest.approx(ci.high, abs=1e-12)


def test_interval_figures_add_interval_columns_after_the_recalls():
    grid = simulate.simulation_grid([20], {2: [3]}, [0, 50])
    # the interval figure with the baselines and energy distance (metrics_simulations)
    fig = next(f for f, sp in FIGURE_SPECS.items() if sp.intervals and "energy distance" in sp.baselines)
    spec = FIGURE_SPECS[fig]
    table = simulate.run_grid(fig, grid, MapSettings(null_size=50, seed=3),
                              SimulationOptions(n_perts=6, n_permutations=40))
    assert list(table.columns[: len(spec.columns)]) == spec.columns
    assert spec.columns[: len(spec.methods)] == spec.methods
    for m in spec.methods:
        lo, hi = simulate.interval_columns(m)
        assert ((table[lo] <= table[m]) & (table[m] <= table[hi])).all(), m


def test_design_is_the_section_without_the_engine_keys():
    section = {"n_perts": 7, "n_permutations": 9, "map_null_size": 5, "seed": 1,
               "mmd_bandwidth": "median", "kmeans_n_init": 3, "n_feats": [10]}
    design = simulate.design_param(section)
    assert "map_null_size" not in design and "seed" not in design
    assert SimulationOptions.from_config(design) == SimulationOptions(7, 9, "median", 3)
    # absent keys keep the paper's values
    assert SimulationOptions.from_config({}) == SimulationOptions(100, 1000, "sqrt_half_median", 10)


def test_each_figure_takes_its_perturbations_from_its_own_key():
    design = {"n_perts": 7, "ours_n_perts": 3, "n_permutations": 9}
    for fig, spec in FIGURE_SPECS.items():
        want = 3 if spec.n_perts_key == "ours_n_perts" else 7
        assert simulate.figure_options(fig, design) == SimulationOptions(want, 9), fig
        # without the figure's own key: the section's n_perts
        assert simulate.figure_options(fig, {"n_perts": 7}).n_perts == 7, fig
    # our figures (registry paper "ours") use ours_n_perts, the paper's use n_perts
    rows = registry.figures()
    rows = rows[rows["dataset"] == "simulations"]
    for fig, paper in zip(rows["id"], rows["paper"]):
        want = "ours_n_perts" if paper == "ours" else "n_perts"
        assert FIGURE_SPECS[fig].n_perts_key == want, fig


def test_default_simulation_map_pvalues_are_the_authors_copairs_values():
    """With the default config (simulations.null_sampler: copairs, seed 42, null 1000) the mAP
    p-values of a condition equal copairs 0.5.5's, called as the authors' eval_metrics does."""
    import yaml
    from copairs.map import average_precision as cp_ap
    from copairs.map import mean_average_precision as cp_map

    from mapreprod import settings as settings_module
    from mapreprod.config import validate_config
    from workflow_utils import REPO

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    validate_config(config, REPO / "workflow/schemas/config.schema.yaml")
    s = settings_module.from_config(config, "simulations")
    assert (s.null_sampler, s.null_size, s.seed) == ("copairs", 1000, 42)
    meta, feats = simulate.generate_profiles(200, 3, 8, 4, n_perts=40, seed=42)
    ours = simulate.map_pvalues(meta, feats, s)
    m = meta.reset_index(drop=True).copy()
    ctrl = m["Metadata_Perturbation"] == simulate.CONTROL_LABEL
    m["Metadata_Control_Index"] = np.where(ctrl, np.arange(len(m)), -1)
    design = ["Metadata_Perturbation", "Metadata_Control_Index"]
    ap = cp_ap(m, feats, design, [], [], design)
    theirs = cp_map(ap, ["Metadata_Perturbation"], null_size=1000, threshold=0.05, seed=42)
    theirs = theirs.sort_values("Metadata_Perturbation").reset_index(drop=True)
    np.testing.assert_array_equal(ours["Metadata_Perturbation"], theirs["Metadata_Perturbation"])
    np.testing.assert_array_equal(ours["shared"].to_numpy(), theirs["p_value"].to_numpy())
