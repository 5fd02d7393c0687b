"""Reading your files and mapping their columns (own_data.datasets.<name>: profiles, columns,
controls, rows, features), checked against hand-built expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from mapreprod.datasets.own_data import consistency, inputs
from mapreprod.datasets.own_data.inputs import CONTROL_COL, KEY_COL, OwnDataSpec
from own_data_cases import entry_settings, tiny_screen, tiny_spec

SCHEMA = "workflow/schemas/own_data.schema.yaml"


def _schema_defaults(schema: dict, prefix: str = "") -> dict:
    out = {}
    for key, sub in schema.get("properties", {}).items():
        if sub.get("type") == "object" and "properties" in sub:
            out.update(_schema_defaults(sub, f"{prefix}{key}."))
        elif "default" in sub:
            out[f"{prefix}{key}"] = sub["default"]
    return out


def test_spec_defaults_equal_the_schema_defaults(repo_root):
    schema = yaml.safe_load((repo_root / SCHEMA).read_text())
    entry = schema["properties"]["datasets"]["additionalProperties"]
    defaults = _schema_defaults(entry)
    spec = OwnDataSpec.from_config("x", {"profiles": "a.csv", "columns": {"perturbation": "p"},
                                         "controls": "c == 1", "activity": {"controls": "all"}})
    required = {"profiles", "columns.perturbation", "controls"}
    engine = set(OwnDataSpec.ENGINE_KEYS)
    planning = set(OwnDataSpec.WORKFLOW_KEYS)  # shards: read by the planning only
    assert set(defaults) | required == set(OwnDataSpec.CONFIG_KEYS) | engine | planning
    assert not (engine | planning) & set(OwnDataSpec.CONFIG_KEYS)  # one home for each setting
    assert not hasattr(spec, "shards")  # no rule's spec can fall back on a default shard count
    for key, value in defaults.items():
        if key == "activity.controls" or key in engine | planning:
            continue  # overridden above (same_plate needs a plate); engine keys: next test
        ours = getattr(spec, OwnDataSpec.CONFIG_KEYS[key])
        expected = tuple(value) if isinstance(value, list) else (() if key == "features.prefix" and value is None else value)
        assert ours == expected, key
    assert OwnDataSpec.__dataclass_fields__["activity_controls"].default == defaults["activity.controls"]


def test_engine_keys_of_an_entry_make_its_map_settings(repo_root):
    """similarity, null_size, seed, threshold of an entry (schema defaults filled in, or set)
    are the dataset's MapSettings, not fields of the spec."""
    from snakemake.utils import validate

    config = {"datasets": {"screen": {"profiles": "a.parquet", "columns": {"perturbation": "p"},
                                      "controls": "c == 1"}}}
    validate(config, schema=str(repo_root / SCHEMA))
    entry = config["datasets"]["screen"]
    got = entry_settings(entry)
    schema = yaml.safe_load((repo_root / SCHEMA).read_text())
    defaults = _schema_defaults(schema["properties"]["datasets"]["additionalProperties"])
    for key in OwnDataSpec.ENGINE_KEYS:
        assert getattr(got, key) == defaults[key], key
        assert not hasattr(OwnDataSpec, key), key
    entry = {**entry, "similarity": "correlation", "null_size": 77, "seed": 5, "threshold": 0.1}
    got = entry_settings(entry)
    assert (got.similarity, got.null_size, got.seed, got.threshold) == ("correlation", 77, 5, 0.1)
    entry["activity"] = {"controls": "all"}  # (same_plate would need a plate column)
    OwnDataSpec.from_config("screen", entry)  # the spec accepts the engine keys, and ignores them


def test_snakemake_validation_fills_every_default_of_an_entry(repo_root):
    from snakemake.utils import validate

    config = {"datasets": {"screen": {"profiles": "a.parquet", "columns": {"perturbation": "p"},
                                      "controls": "c == 1"}}}
    validate(config, schema=str(repo_root / SCHEMA))
    entry = config["datasets"]["screen"]
    assert entry["normalize"] == {"method": "mad_robustize", "fit_on": "controls", "per_plate": True,
                                  "zero_dispersion": "drop"}
    assert entry["activity"]["controls"] == "same_plate" and entry["shards"] == 1
    assert config["example"]["plates"] == 4


@pytest.mark.parametrize("bad", [{"shards": 0}, {"similarity": "dot"}, {"normalize": {"fit_on": "dmso"}},
                                 {"colums": {}}, {"feature_select": {"operations": ["pca"]}}])
def test_snakemake_validation_rejects_bad_entries(repo_root, bad):
    import jsonschema
    from snakemake.utils import validate

    entry = {"profiles": "a.parquet", "columns": {"perturbation": "p"}, "controls": "c == 1", **bad}
    with pytest.raises((jsonschema.ValidationError, Exception)):
        validate({"datasets": {"screen": entry}}, schema=str(repo_root / SCHEMA))


def test_csv_gz_tsv_parquet_lists_and_globs_read_the_same_wells(tmp_path, monkeypatch):
    df = tiny_screen()
    half = len(df) // 2
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plates").mkdir()
    df.iloc[:half].to_csv("plates/p1.csv.gz", index=False)
    df.iloc[half:].to_parquet("plates/p2.parquet", index=False)
    df.to_csv("all.tsv", sep="\t", index=False)
    key = "own_data.datasets.tiny.profiles"
    paths = inputs.resolve_paths(["plates/p*"], key)
    assert paths == ["plates/p1.csv.gz", "plates/p2.parquet"]
    stacked = inputs.read_profiles(paths, key)
    pd.testing.assert_frame_equal(stacked, df, check_dtype=False)
    pd.testing.assert_frame_equal(inputs.read_profiles(["all.tsv"], key), df, check_dtype=False)
    assert inputs.read_header(paths, key) == list(df.columns)
    with pytest.raises(ValueError, match="listed twice"):
        inputs.resolve_paths(["plates/p1.csv.gz", "plates/*.gz"], key)


def test_perturbation_key_follows_the_sorted_perturbation_columns():
    df = tiny_screen().sample(frac=1.0, random_state=1).reset_index(drop=True)
    mapped, feats = inputs.map_columns(df, tiny_spec())
    assert feats == ["f0", "f1", "f2", "f3", "f4", "Cells_AreaShape_Area"]
    ctrl = (df["Metadata_Compound"] == "DMSO").to_numpy()
    assert (mapped[CONTROL_COL].to_numpy() == ctrl).all()
    assert (mapped.loc[ctrl, KEY_COL] == -1).all()
    pairs = sorted({(c, d) for c, d in zip(df.loc[~ctrl, "Metadata_Compound"], df.loc[~ctrl, "Metadata_Dose"])})
    expected = [pairs.index((c, d)) for c, d in zip(df.loc[~ctrl, "Metadata_Compound"], df.loc[~ctrl, "Metadata_Dose"])]
    assert mapped.loc[~ctrl, KEY_COL].tolist() == expected
    # row order and the original columns are kept
    pd.testing.assert_frame_equal(mapped[df.columns], df)


def test_control_wells_may_leave_the_perturbation_empty():
    df = tiny_screen()
    df.loc[df["Metadata_Compound"] == "DMSO", ["Metadata_Compound", "Metadata_Dose"]] = None
    mapped, _ = inputs.map_columns(df, tiny_spec(controls="Metadata_Compound.isna()"))
    assert mapped[CONTROL_COL].sum() == 12 and (mapped.loc[mapped[CONTROL_COL], KEY_COL] == -1).all()


@pytest.mark.parametrize(
    "features,expected",
    [
        ({}, ["f0", "f1", "f2", "f3", "f4", "Cells_AreaShape_Area"]),
        ({"prefix": "Cells_"}, ["Cells_AreaShape_Area"]),
        ({"prefix": ["f1", "f3"]}, ["f1", "f3"]),
        ({"regex": r"^f[0-2]$"}, ["f0", "f1", "f2"]),
        ({"metadata_prefix": "f"}, ["Metadata_Well", "Cells_AreaShape_Area"]),  # mapped ones left out
    ],
)
def test_feature_rules_choose_the_columns(features, expected):
    spec = tiny_spec(features=features)
    assert inputs.feature_columns(spec, list(tiny_screen().columns)) == expected


def test_rows_query_keeps_only_those_wells():
    df = tiny_screen()
    mapped, _ = inputs.map_columns(df, tiny_spec(rows="Metadata_Plate != 'P2'"))
    assert len(mapped) == 20 and set(mapped["Metadata_Plate"]) == {"P0", "P1"}


@pytest.mark.parametrize(
    "value,expected",
    [
        ("A|B", ["A", "B"]),
        (" A | B |A", ["A", "B"]),
        ("A||B|", ["A", "B"]),
        (["B", "A", "B"], ["B", "A"]),
        (7, ["7"]),
        (None, []),
        (np.nan, []),
        ("", []),
    ],
)
def test_annotations_are_split_on_the_separator(value, expected):
    assert consistency.split_annotations(value, "|") == expected


def test_annotations_may_be_a_list_column_or_integers():
    df = tiny_screen()
    lists = df["Metadata_Target"].map(lambda v: None if pd.isna(v) else v.split("|"))
    for column in (lists, df["Metadata_Target"].str.len().astype("Int64")):
        mapped, feats = inputs.map_columns(df.assign(Metadata_Target=column), tiny_spec())
        cons = consistency.consensus_profiles(mapped, feats, tiny_spec())
        assert len(cons) == 6
    cons = consistency.consensus_profiles(*inputs.map_columns(df.assign(Metadata_Target=lists), tiny_spec()), tiny_spec())
    assert cons["OwnData_annotations"].tolist() == [["T1", "T2"]] * 2 + [["T1"]] * 2 + [["T3"]] * 2
