"""Activity (sharded AP, mAP after gathering) and consistency on small screens: against a
brute-force AP, the planted truth of the example, and the nELISA pipeline on the real file."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.own_data import (
    activity,
    consistency,
    inputs,
    preprocess,
    standin,
)
from mapreprod.datasets.own_data.inputs import CONTROL_COL, KEY_COL
from mapreprod.settings import MapSettings
from own_data_cases import entry_settings, tiny_screen, tiny_settings, tiny_spec

EXAMPLE_ENTRY = {
    "profiles": "resources/own_data_example/profiles.csv.gz",
    "columns": {"perturbation": ["Metadata_Compound", "Metadata_Concentration_uM"],
                "plate": "Metadata_Plate", "annotation": "Metadata_Target"},
    "controls": "Metadata_Compound == 'DMSO'",
    "feature_select": {"operations": ["variance_threshold", "correlation_threshold", "drop_na_columns"]},
    "consistency": {"positives_differ_in": ["Metadata_Compound"]},
    "null_size": 2000,
}


def _prepared(df, spec):
    mapped, feats = inputs.map_columns(df, spec)
    out, kept, _ = preprocess.prepare_profiles(mapped, feats, spec)
    return out, kept


@pytest.fixture(scope="module")
def example():
    profiles, truth = standin.example_screen()
    spec = inputs.OwnDataSpec.from_config("example", EXAMPLE_ENTRY)
    prepared, kept = _prepared(profiles, spec)
    return spec, prepared, kept, truth


EXAMPLE_SETTINGS = entry_settings(EXAMPLE_ENTRY)


def _run(prepared, kept, spec, n_shards, settings=EXAMPLE_SETTINGS):
    shards = [activity.shard_average_precision(prepared, kept, spec, settings, s, n_shards)
              for s in range(n_shards)]
    ap, table = activity.gather_activity(shards, prepared, spec, settings)
    return ap, table


def _csv_bytes(table) -> bytes:
    """The table as the workflow writes it (mapreprod.common.write_table: CSV, no index)."""
    buf = io.StringIO()
    table.to_csv(buf, index=False)
    return buf.getvalue().encode()


# --- shards ---------------------------------------------------------------------------------


def test_shards_split_perturbations_whole_and_balanced():
    key = np.array([-1, 0, 0, 1, 1, 1, 2, 2, -1, 3, 3, 3, 3, 4])
    for n in (1, 2, 3, 5, 9):
        where = activity.shard_of_rows(key, n)
        assert (where[key == -1] == -1).all()
        for k in range(5):
            assert len(set(where[key == k])) == 1  # a perturbation is never split
        # contiguous: shard numbers never decrease with the key
        per_key = [where[key == k][0] for k in range(5)]
        assert per_key == sorted(per_key) and set(per_key) <= set(range(n))
    sizes = np.bincount(activity.shard_of_rows(np.repeat(np.arange(100), 4), 4))
    assert sizes.tolist() == [100, 100, 100, 100]


@pytest.mark.parametrize(
    "design,shard_counts",
    [
        ({}, (2, 3, 7)),
        ({"activity": {"controls": "all"}}, (3,)),
        ({"activity": {"replicates_differ_in": ["Metadata_Plate"]}}, (3,)),
        ({"similarity": "correlation"}, (3,)),
    ],
)
def test_sharded_tables_equal_the_unsharded_byte_for_byte(example, design, shard_counts):
    spec, prepared, kept, _ = example
    spec = inputs.OwnDataSpec.from_config("example", {**EXAMPLE_ENTRY, **design})
    settings = entry_settings({**EXAMPLE_ENTRY, **design})
    ap1, table1 = _run(prepared, kept, spec, 1, settings)
    for n in shard_counts:
        ap_n, table_n = _run(prepared, kept, spec, n, settings)
        assert _csv_bytes(table_n) == _csv_bytes(table1), n
        pd.testing.assert_frame_equal(ap_n, ap1, check_exact=True)


def test_more_shards_than_perturbations_leave_empty_shards():
    spec = tiny_spec()
    prepared, kept = _prepared(tiny_screen(seed=9), spec)
    ap1, table1 = _run(prepared, kept, spec, 1, tiny_settings())
    ap9, table9 = _run(prepared, kept, spec, 9, tiny_settings())  # 6 perturbations
    assert _csv_bytes(table9) == _csv_bytes(table1)
    pd.testing.assert_frame_equal(ap9, ap1, check_exact=True)


def test_pvalues_must_be_computed_after_gathering(example):
    """Per-shard mAP calls would seed other nulls and BH over fewer perturbations."""
    spec, prepared, kept, _ = example
    _, table = _run(prepared, kept, spec, 1)
    import mapeval

    shard0 = activity.shard_average_precision(prepared, kept, spec, EXAMPLE_SETTINGS, 0, 3)
    alone = mapeval.mean_average_precision(
        shard0, KEY_COL, EXAMPLE_SETTINGS.null_size, seed=EXAMPLE_SETTINGS.seed
    )
    joined = table.iloc[: len(alone)]
    np.testing.assert_array_equal(alone["mean_average_precision"], joined["mAP"])
    assert not np.array_equal(alone["corrected_p_value"].to_numpy(), joined["corrected_p_value"].to_numpy())


# --- AP against brute force ---------------------------------------------------------------


def _brute_force_ap(prepared, kept, same_plate: bool) -> dict[int, float]:
    """Rank every other well of the perturbation and the (same-plate) controls by cosine
    similarity rounded to float32, positives first on ties; AP = mean precision at the hits."""
    x = prepared[kept].to_numpy()
    out = {}
    for i in np.flatnonzero(~prepared[CONTROL_COL].to_numpy()):
        cands = []
        for j in range(len(prepared)):
            if j == i:
                continue
            pos = prepared[KEY_COL].iat[j] == prepared[KEY_COL].iat[i]
            neg = prepared[CONTROL_COL].iat[j] and (
                not same_plate or prepared["Metadata_Plate"].iat[j] == prepared["Metadata_Plate"].iat[i])
            if pos or neg:
                s = np.float32(x[i] @ x[j] / np.linalg.norm(x[i]) / np.linalg.norm(x[j]))
                cands.append((-s, not pos, pos))
        ranked = [pos for *_, pos in sorted(cands)]
        hits = np.cumsum(ranked)
        out[i] = float(np.mean([hits[k] / (k + 1) for k, r in enumerate(ranked) if r]))
    return out


@pytest.mark.parametrize("same_plate", [True, False])
def test_average_precision_matches_brute_force(same_plate):
    spec = tiny_spec(activity={"controls": "same_plate" if same_plate else "all"})
    prepared, kept = _prepared(tiny_screen(seed=2), spec)
    ap, _ = _run(prepared, kept, spec, 2, tiny_settings())
    expected = _brute_force_ap(prepared, kept, same_plate)
    assert sorted(ap[activity.ROW_COL]) == sorted(expected)
    for row, value in zip(ap[activity.ROW_COL], ap["average_precision"]):
        assert value == pytest.approx(expected[row], abs=1e-12)


def test_activity_table_lists_each_perturbation_with_its_replicates(example):
    spec, prepared, kept, _ = example
    _, table = _run(prepared, kept, spec, 1)
    assert table.columns.tolist() == ["Metadata_Compound", "Metadata_Concentration_uM", "n_replicates",
                                      *activity.RESULT_COLUMNS, "test"]
    assert (table["test"] == "shared").all()  # map.test's default
    assert len(table) == 80 and (table["n_replicates"] == 4).all()
    assert table[["Metadata_Compound", "Metadata_Concentration_uM"]].equals(
        table[["Metadata_Compound", "Metadata_Concentration_uM"]].sort_values(
            ["Metadata_Compound", "Metadata_Concentration_uM"]))
    assert (table["retrieved"] == (table["corrected_p_value"] < 0.05)).all()


def test_activity_finds_the_planted_active_compounds(example):
    spec, prepared, kept, truth = example
    _, table = _run(prepared, kept, spec, 1)
    merged = table.merge(truth, on="Metadata_Compound")
    high = merged["Metadata_Concentration_uM"] >= 3
    assert merged.loc[high & merged["active"], "retrieved"].all()
    assert not merged.loc[~merged["active"], "retrieved"].any()


# --- consistency ----------------------------------------------------------------------------


def test_consensus_is_the_median_of_each_perturbations_wells(example):
    spec, prepared, kept, _ = example
    cons = consistency.consensus_profiles(prepared, kept, spec)
    treated = prepared[~prepared[CONTROL_COL]]
    expected = treated.groupby(KEY_COL)[kept].median()
    annotated = expected.loc[cons[KEY_COL]]
    np.testing.assert_allclose(cons[kept].to_numpy(), annotated.to_numpy(), rtol=0, atol=1e-12)
    # unannotated compounds (every 4th) are left out
    assert len(cons) == 60


def test_activity_filter_then_consistency_finds_the_planted_target(example):
    spec, prepared, kept, truth = example
    _, table = _run(prepared, kept, spec, 1)
    keys = activity.retrieved_keys(pd.read_csv(io.StringIO(_csv_bytes(table).decode())), prepared, spec)
    assert len(keys) == int(table["retrieved"].sum())
    cons = consistency.consensus_profiles(prepared, kept, spec, keys)
    assert set(cons["Metadata_Compound"]) <= set(truth.loc[truth["active"], "Metadata_Compound"])
    result = consistency.consistency_map(cons, kept, spec, EXAMPLE_SETTINGS)
    consistent = {t for t in "|".join(truth["consistent_target"]).split("|") if t}
    scored = set(result["Metadata_Target"])
    assert consistent and consistent <= scored
    assert result.set_index("Metadata_Target").loc[sorted(consistent), "retrieved"].all()


def test_consistency_without_shared_annotations_is_an_empty_table():
    df = tiny_screen()
    df["Metadata_Target"] = df["Metadata_Compound"].map({"c0": "A", "c1": "B", "c2": "C"})
    spec = tiny_spec(consistency={"positives_differ_in": ["Metadata_Compound"]})
    prepared, kept = _prepared(df, spec)
    cons = consistency.consensus_profiles(prepared, kept, spec)
    table = consistency.consistency_map(cons, kept, spec, tiny_settings())
    assert table.empty and table.columns.tolist() == ["Metadata_Target", "n_perturbations",
                                                      *activity.RESULT_COLUMNS, "test"]


# --- nELISA, mapped as new data, equals the nELISA pipeline ------------------------------------


def test_nelisa_as_own_data_equals_the_nelisa_pipeline(shared_data, repo_root):
    import yaml
    from mapreprod.datasets.nelisa import activity as ne_activity
    from mapreprod.datasets.nelisa import consistency as ne_consistency
    from mapreprod.datasets.nelisa import preprocess as ne_preprocess

    config = yaml.safe_load((repo_root / "config/examples/nelisa_as_own_data.yaml").read_text())
    entry = {**config["own_data"]["datasets"]["nelisa"], "null_size": 2000}
    spec = inputs.OwnDataSpec.from_config("nelisa", entry)
    settings = entry_settings(entry)
    raw = pd.read_parquet(shared_data / "nelisa/nelisa_profiles.parquet")
    prepared, kept = _prepared(raw, spec)
    _, ours = _run(prepared, kept, spec, 3, settings)
    cons = consistency.consensus_profiles(prepared, kept, spec)
    ours_c = consistency.consistency_map(cons, kept, spec, settings)

    pipe_in = ne_preprocess.preprocess_profiles(raw, "nelisa")
    nelisa_settings = MapSettings(null_size=2000, seed=0)  # the nELISA section's, smaller null
    theirs = ne_activity.activity_map(pipe_in, nelisa_settings)
    theirs_c = ne_consistency.consistency_map(pipe_in, nelisa_settings)
    for a, b, key in ((ours, theirs, "Metadata_broad_sample"), (ours_c, theirs_c, None)):
        if key is None:
            b = b.rename(columns={"Metadata_target": "Metadata_target_list"})
            key = "Metadata_target_list"
        assert a[key].tolist() == b[key].tolist()
        for col in ("mAP", "p_value", "corrected_p_value"):
            np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy(), err_msg=col)
        np.testing.assert_array_equal(a["retrieved"].to_numpy(), b["p < 0.05"].to_numpy())
    assert len(ours) == 304 and len(ours_c) == 418


def test_float32_storage_shards_identically_and_barely_moves_ap(example):
    spec, prepared, kept, _ = example
    spec32 = spec.with_(float32=True)
    mapped, feats = inputs.map_columns(standin.example_screen()[0], spec32)
    prepared32, kept32, _ = preprocess.prepare_profiles(mapped, feats, spec32)
    assert (prepared32[kept32].dtypes == np.float32).all() and kept32 == kept
    ap1, table1 = _run(prepared32, kept32, spec32, 1)
    _, table3 = _run(prepared32, kept32, spec32, 3)
    assert _csv_bytes(table3) == _csv_bytes(table1)
    ap64, _ = _run(prepared, kept, spec, 1)
    np.testing.assert_allclose(ap1["average_precision"], ap64["average_precision"], atol=1e-6)
