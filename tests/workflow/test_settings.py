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
    assert (s.similarity, s.threshold, s.map_null) == ("cosine", 0.05, "shared")


def test_simulations_name_their_null_size_map_null_size():
    config = _config(simulations={"map_null_size": 77})
    assert settings.from_config(config, "simulations").null_size == 77


def test_param_holds_only_fields_that_change_results():
    s = settings.MapSettings(null_size=10, batch_size=5, threads=3)
    param = s.param()
    assert set(param) == set(settings.RESULT_FIELDS)
    assert "batch_size" not in param and "threads" not in param
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
        for key in ('config["map"]["null_sampler"]', 'config["map"]["map_null"]', 'config["map"]["batch_size"]'):
            assert key not in text, f"{path.name} reads {key}: pass map_settings(<dataset>) instead"
