"""The engine settings travel as one object (mapreprod.settings.MapSettings): built from the
config per dataset, handed to rules as a plain dict of the fields that change results, rebuilt in
the script with the job's threads."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import mapeval
from mapreprod import settings
from mapreprod.config import validate_config
from workflow_utils import REPO


def _config(**sections) -> dict:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    for key, value in sections.items():
        config[key] = {**config.get(key, {}), **value}
    validate_config(config, REPO / "workflow/schemas/config.schema.yaml")
    return config


def test_dataset_keys_overlay_the_map_section():
    config = _config(map={"null_sampler": "copairs", "batch_size": 17}, nelisa={"null_size": 123, "seed": 9})
    s = settings.from_config(config, "nelisa")
    assert (s.null_size, s.seed, s.null_sampler, s.batch_size) == (123, 9, "copairs", 17)
    assert (s.similarity, s.threshold, s.test, s.n_permutations) == ("cosine", 0.05, "shared", 10_000)
    # map.test, map.n_permutations and map.exact_limit come from the map section
    config = _config(map={"test": "permutation", "n_permutations": 99, "exact_limit": 7})
    s = settings.from_config(config, "cpg0004")
    assert (s.test, s.n_permutations, s.exact_limit) == ("permutation", 99, 7)


def test_simulations_name_their_null_size_map_null_size():
    config = _config(simulations={"map_null_size": 77})
    assert settings.from_config(config, "simulations").null_size == 77


def test_param_holds_only_fields_that_change_results():
    s = settings.MapSettings(null_size=10, batch_size=5, threads=3)
    param = s.param()
    # the relabelings, their tie break and the exact limit change nothing under the shared null
    assert set(param) == set(settings.RESULT_FIELDS) - {
        "n_permutations", "permutation_tie_break", "exact_limit"}
    assert "batch_size" not in param and "threads" not in param
    assert {"n_permutations", "permutation_tie_break"} <= set(s.replace(test="permutation").param())
    assert "exact_limit" not in s.replace(test="permutation").param()
    assert "exact_limit" in s.replace(test="exact").param()
    # a rule that runs every test (not map.test's) lists them without "test": they stay
    every_test = [f for f in settings.RESULT_FIELDS if f != "test"]
    assert {"n_permutations", "exact_limit"} <= set(s.param(every_test))
    assert "test" not in s.param(every_test)
    assert s.param(["similarity"]) == {"similarity": "cosine"}
    with pytest.raises(ValueError, match="batch_size and threads change no result"):
        s.param(["batch_size"])
    # a plain dict: Snakemake compares its repr to decide on reruns
    assert eval(repr(param)) == param


def test_from_job_adds_batch_size_from_the_config_and_the_jobs_threads():
    job = types.SimpleNamespace(
        params=types.SimpleNamespace(settings={"similarity": "euclidean", "null_size": 5}),
        config={"map": {"batch_size": 64}},
        threads=2,
    )
    s = settings.from_job(job)
    assert (s.similarity, s.null_size, s.batch_size, s.threads) == ("euclidean", 5, 64, 2)


def test_settings_call_the_engine_with_their_values():
    rng = np.random.default_rng(0)
    meta = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 4)})
    feats = rng.normal(size=(12, 5))
    s = settings.MapSettings(similarity="euclidean", null_size=50, seed=3, threshold=0.2)
    ap = s.average_precision(meta, feats, ["g"], [], [], ["g"])
    direct = mapeval.average_precision(meta, feats, ["g"], [], [], ["g"], similarity="euclidean")
    pd.testing.assert_frame_equal(ap, direct)
    got = s.mean_average_precision(ap, "g")
    want = mapeval.mean_average_precision(direct, "g", 50, threshold=0.2, seed=3)
    pd.testing.assert_frame_equal(got, want)


def test_p_values_need_a_null_size():
    s = settings.MapSettings()  # an AP-only rule passes no null size
    ap = pd.DataFrame({"g": ["a"], "average_precision": [0.5], "n_pos_pairs": [1], "n_total_pairs": [3]})
    with pytest.raises(ValueError, match="no null_size"):
        s.mean_average_precision(ap, "g")


def test_no_rule_hands_over_engine_settings_one_by_one():
    """Rules pass map_settings(...) as one param; none retypes the engine's keys."""
    for path in sorted(Path(REPO / "workflow/rules").glob("*.smk")):
        text = path.read_text()
        for key in ('config["map"]["null_sampler"]', 'config["map"]["test"]', 'config["map"]["batch_size"]',
                    'config["map"]["n_permutations"]', 'config["map"]["map_null"]'):
            assert key not in text, f"{path.name} reads {key}: pass map_settings(<dataset>) instead"


# --- the test of the mAP calls (config map.test, issue 17; docs/methods.md §1.9) ---------------


def test_a_config_with_map_null_is_told_the_new_key():
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["map"]["map_null"] = "independent"
    with pytest.raises(ValueError, match=r"'map\.map_null' was renamed: use map\.test") as err:
        validate_config(config, REPO / "workflow/schemas/config.schema.yaml")
    assert "unknown config key" not in str(err.value)  # not the generic message
    # the shipped configs use the new key
    for path in sorted((REPO / "config").rglob("*.yaml")):
        assert "map_null:" not in path.read_text(), f"{path} still sets map_null"


def _replicates_vs_controls(seed: int = 0):
    """Four perturbations x 3 replicates (two shifted) and 12 controls on 3 plates."""
    rng = np.random.default_rng(seed)
    perts = np.repeat(["a", "b", "c", "d"], 3).tolist() + ["ctrl"] * 12
    meta = pd.DataFrame({"pert": perts, "plate": [0, 1, 2] * 4 + [0, 1, 2] * 4})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = rng.normal(size=(len(meta), 8))
    feats[:6, :3] += 1.5
    return meta, feats


DESIGN = (["pert", "ref"], [], [], ["pert", "ref"])


@pytest.mark.parametrize("test", ["shared", "independent", "exact"])
def test_group_map_is_the_engines_call_for_the_ap_table_tests(test):
    meta, feats = _replicates_vs_controls()
    s = settings.MapSettings(similarity="correlation", null_size=300, seed=4, threshold=0.2, test=test)
    got = s.group_map(meta, feats, *DESIGN, "pert")
    ap = mapeval.average_precision(meta, feats, *DESIGN, similarity="correlation")
    want = mapeval.mean_average_precision(
        ap, "pert", 300, threshold=0.2, seed=4, null_sampler="exact" if test == "exact" else "fast",
        map_null="independent" if test == "independent" else "shared",
    )
    assert (got.pop("test") == test).all()
    pd.testing.assert_frame_equal(got, want)
    # the AP table can be handed over (computed once for other uses)
    again = s.group_map(meta, feats, *DESIGN, "pert", ap=ap)
    pd.testing.assert_frame_equal(again.drop(columns="test"), want)


def test_group_map_under_permutation_is_the_engines_permutation_test():
    meta, feats = _replicates_vs_controls()
    s = settings.MapSettings(null_size=300, seed=4, threshold=0.2, test="permutation", n_permutations=150)
    got = s.group_map(meta, feats, *DESIGN, "pert")
    # map.permutation_tie_break: similarity (the default) is the engine's tie_break="similarity"
    want = mapeval.permutation_map(meta, feats, *DESIGN, "pert", 150, 0.2, 4, tie_break="similarity")
    assert (got.pop("test") == "permutation").all()
    pd.testing.assert_frame_equal(got, want)
    # "none" is the engine's default (ties count as >=)
    got = s.replace(permutation_tie_break="none").group_map(meta, feats, *DESIGN, "pert")
    pd.testing.assert_frame_equal(got.drop(columns="test"),
                                  mapeval.permutation_map(meta, feats, *DESIGN, "pert", 150, 0.2, 4))
    with pytest.raises(ValueError, match="map.permutation_tie_break"):
        s.replace(permutation_tie_break="random")
    s = s.replace(permutation_tie_break="none")
    # per-plate controls: the plates are the strata, as the engine's default
    plate = (["pert", "ref"], [], ["plate"], ["pert", "ref"])
    got = s.group_map(meta, feats, *plate, "pert").drop(columns="test")
    pd.testing.assert_frame_equal(got, mapeval.permutation_map(meta, feats, *plate, "pert", 150, 0.2, 4))
    # the hierarchical correction is applied to the permutation p-values
    meta2 = meta.assign(dose=np.where(meta["pert"].isin(["a", "c"]), 1, 2))
    got = s.group_map(meta2, feats, ["pert", "ref"], [], [], ["pert", "ref"], ["pert", "dose"],
                      hierarchical_by=["dose"])
    perm = mapeval.permutation_map(meta2, feats, ["pert", "ref"], [], [], ["pert", "ref"],
                                   ["pert", "dose"], 150, 0.2, 4)
    want = mapeval.apply_hierarchical_fdr_correction(
        perm.drop(columns=["corrected_p_value", "below_p", "below_corrected_p"]), ["dose"], ["pert", "dose"])
    np.testing.assert_array_equal(got["corrected_p_value"], want["corrected_p_value"])
    np.testing.assert_array_equal(got["below_corrected_p"], want["corrected_p_value"] < 0.2)


def test_permutation_undefined_runs_the_shared_null_and_says_so(caplog):
    meta, feats = _replicates_vs_controls()
    s = settings.MapSettings(null_size=300, seed=4, test="permutation")
    with caplog.at_level("WARNING", logger="mapreprod"):
        got = s.group_map(meta, feats, *DESIGN, "pert", permutation_undefined="why not", analysis="demo")
    # the job's log says so (rule scripts route the mapreprod logger there)
    assert "map.test: permutation is not defined for why not; demo uses the shared null" in caplog.text
    shared = s.replace(test="shared").group_map(meta, feats, *DESIGN, "pert")
    assert (got["test"] == "shared (permutation undefined: why not)").all()
    pd.testing.assert_frame_equal(got.drop(columns="test"), shared.drop(columns="test"))
    # the other tests ignore the reason
    exact = s.replace(test="exact").group_map(meta, feats, *DESIGN, "pert", permutation_undefined="x")
    assert (exact["test"] == "exact").all()


def test_multilabel_group_map_falls_back_from_permutation_and_is_the_engines_call():
    rng = np.random.default_rng(1)
    meta = pd.DataFrame({"cpd": list("pqrstu"),
                         "targets": [["A"], ["A", "B"], ["B"], ["A"], ["C"], ["B", "C"]]})
    feats = rng.normal(size=(6, 5))
    pairs = (["targets"], ["cpd"], [], ["targets", "cpd"])
    ap = mapeval.multilabel.average_precision(meta, feats, *pairs, "targets")
    want = mapeval.mean_average_precision(ap, "targets", 200, seed=2)
    for test, label in (("shared", "shared"), ("permutation", "shared (permutation undefined: multilabel)")):
        s = settings.MapSettings(null_size=200, seed=2, test=test)
        got = s.multilabel_group_map(meta, feats, *pairs, "targets", "targets")
        assert (got.pop("test") == label).all()
        pd.testing.assert_frame_equal(got, want)


def test_ap_level_p_values_follow_the_exact_test_only():
    meta, feats = _replicates_vs_controls()
    ap = mapeval.average_precision(meta, feats, *DESIGN)
    for test, sampler, label in (
        ("shared", "fast", "shared"),
        ("exact", "exact", "exact"),
        ("permutation", "fast", "shared (permutation undefined: AP-level p-values)"),
    ):
        s = settings.MapSettings(null_size=200, seed=3, test=test)
        np.testing.assert_array_equal(s.ap_p_values(ap), mapeval.ap_p_values(ap, 200, 3, sampler))
        assert s.ap_test_label() == label


def test_mean_average_precision_refuses_the_permutation_test():
    meta, feats = _replicates_vs_controls()
    ap = mapeval.average_precision(meta, feats, *DESIGN)
    s = settings.MapSettings(null_size=10, test="permutation")
    with pytest.raises(ValueError, match="call MapSettings.group_map"):
        s.mean_average_precision(ap, "pert")
    with pytest.raises(ValueError, match="must be one of"):
        settings.MapSettings(test="Shared")


def test_reproduction_rows_name_the_tests_of_the_tables():
    a = pd.DataFrame({"test": ["permutation", "permutation"]})
    b = pd.DataFrame({"test": ["shared (permutation undefined: multilabel)"]})
    rows = settings.test_rows({"Fig 4A/B": [a], "Fig 4C/D": [b, None], "Fig X": []}, "n")
    assert rows["figure"].tolist() == ["Fig 4A/B", "Fig 4C/D", "Fig X"]
    assert rows["ours"].tolist() == ["permutation", "shared (permutation undefined: multilabel)", "NA"]
    assert set(rows["paper"]) == {"shared (copairs)"} and set(rows["quantity"]) == {settings.TEST_QUANTITY}
    assert settings.tests_used([a, b]) == "permutation; shared (permutation undefined: multilabel)"


def test_ap_level_p_values_under_permutation_are_logged(caplog):
    meta, feats = _replicates_vs_controls()
    ap = mapeval.average_precision(meta, feats, *DESIGN)
    with caplog.at_level("WARNING", logger="mapreprod"):
        settings.MapSettings(null_size=50, test="shared").ap_p_values(ap)
        assert caplog.text == ""
        settings.MapSettings(null_size=50, test="permutation").ap_p_values(ap)
    assert "permutation is not defined for AP-level p-values" in caplog.text
