"""cpg0004 / LINCS (Fig S7A, S7C): labels, dose selection, activity, consistency, the workflow.

Oracles: hand-checked rows of the real Repurposing Hub tables, hand-built plates, and the truth
planted by the synthetic generator (mapreprod.datasets.cpg0004.standin).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mapreprod import registry
from mapreprod.datasets import cpg0004 as lincs
from mapreprod.datasets.cpg0004 import standin as synth
from mapreprod.settings import MapSettings

DRUGS = "cpg0004/repurposing_drugs_20200324.txt"
SAMPLES = "cpg0004/repurposing_samples_20200324.txt"
PLATE = "cpg0004/SQ00015054_normalized_feature_select.csv.gz"

# Strong, even signal: every planted effect is found (the config default is noisier).
CLEAR = synth.SyntheticDesign(
    plate_maps=4, compounds_per_plate_map=12, dmso_per_plate=16, n_features=40,
    consistent_targets=3, inconsistent_targets=4, compounds_per_target=3,
    active_fraction=0.4, effect=1.2, effect_spread=0.0, shared_weight=0.6,
)
FAST = MapSettings(null_size=2000, seed=0)


@pytest.fixture(scope="module")
def real_tables(shared_data):
    drugs = lincs.read_repurposing_table(shared_data / DRUGS)
    samples = lincs.read_repurposing_table(shared_data / SAMPLES)
    return drugs, samples


@pytest.fixture(scope="module")
def real_labels(real_tables):
    return lincs.merge_labels(*real_tables)


@pytest.fixture(scope="module")
def planted():
    """Synthetic experiment on stand-in label tables (no shared data needed)."""
    drugs, samples = synth.fallback_repurposing_tables(CLEAR)
    compounds = synth.choose_compounds(drugs, samples, CLEAR, seed=1)
    profiles, consensus, truth = synth.generate_profiles(compounds, CLEAR, seed=1)
    labels, _ = lincs.merge_labels(drugs, samples)
    return profiles, consensus, truth, labels


@pytest.fixture(scope="module")
def activity(planted):
    profiles = planted[0]
    return lincs.phenotypic_activity(profiles, FAST)


# --- labels ----------------------------------------------------------------------------------


def test_clue_table_needs_its_nine_comment_lines(tmp_path):
    bad = tmp_path / "drugs.txt"
    bad.write_text("!Source\tx\npert_iname\ttarget\na\tB\n")
    with pytest.raises(ValueError, match="drugs.txt"):
        lincs.read_repurposing_table(bad)


def test_stand_in_label_tables_round_trip_through_the_clue_format(tmp_path):
    drugs, samples = synth.fallback_repurposing_tables(CLEAR)
    for table, name in ((drugs, "drug information"), (samples, "sample information")):
        path = tmp_path / f"{name.split()[0]}.txt"
        lincs.write_repurposing_table(table, path, name)
        back = lincs.read_repurposing_table(path)
        assert list(back.columns) == list(table.columns)
        assert back["pert_iname"].tolist() == table["pert_iname"].tolist()
    assert (samples["broad_id"].str.len() == 22).all()


def test_real_label_merge_truncates_explodes_and_dedupes(real_labels):
    labels, mapper = real_labels
    assert labels["broad_id"].is_unique
    assert (labels["broad_id"].str.len() == 13).all()
    by_id = labels.set_index("broad_id")
    # Hand-checked in the raw files: omeprazole (ATP4A|CLCN2) is BRD-A55962179-001-2x-x, and
    # four esomeprazole samples (ATP4A) list "BRD-A55962179-..." four times, "|"-joined, as their
    # deprecated id. Merged: one id, ATP4A once, in order of first appearance.
    assert by_id.loc["BRD-A55962179", "target"] == "ATP4A|CLCN2"
    assert by_id.loc["BRD-A55962179", "pert_iname"] == "esomeprazole|omeprazole"
    assert by_id.loc["BRD-K61443506", "target"] == "ATP4A"  # esomeprazole's current id
    # GW-5074 (NTRK1|RAF1): current id BRD-K39520573, deprecated BRD-K07859598 and BRD-K93653303.
    for compound in ("BRD-K39520573", "BRD-K07859598", "BRD-K93653303"):
        assert by_id.loc[compound, "target"] == "NTRK1|RAF1"
    # budesonide: a "|"-joined deprecated id repeating one id gives a single NR3C1
    assert by_id.loc["BRD-A34299591", "target"] == "NR3C1"
    # A-33903 has no target annotation: its id BRD-A40302156 drops out
    assert "BRD-A40302156" not in by_id.index
    names = mapper.set_index("broad_id")["pert_iname"]
    # esomeprazole: 4 samples x 4 repeated ids x 1 target = 16 rows; omeprazole 4 x 2 = 8
    assert names["BRD-A55962179"] == "esomeprazole"
    assert names["BRD-K39520573"] == "GW-5074"


def test_real_label_targets_match_a_brute_force_merge(real_tables, real_labels):
    """Independent re-derivation with plain Python sets on a sample of compound ids."""
    drugs, samples = real_tables
    labels, _ = real_labels
    target_of = dict(zip(drugs["pert_iname"], drugs["target"]))
    expected: dict[str, set[str]] = {}
    for row in samples.itertuples():
        targets = target_of.get(row.pert_iname)
        if not isinstance(targets, str):
            continue
        for ids in (row.broad_id, row.deprecated_broad_id):
            if isinstance(ids, str):
                for full in ids.split("|"):
                    expected.setdefault(full[:-9], set()).update(targets.split("|"))
    got = {k: set(v.split("|")) for k, v in zip(labels["broad_id"], labels["target"])}
    assert got == expected


# --- profiles: dose and controls ------------------------------------------------------------


def test_dose_recode_and_selection_on_the_real_plate(shared_data):
    plate = pd.read_csv(shared_data / PLATE)
    assert "Metadata_dose_recode" not in plate.columns  # level-4 plate: recoded here
    recoded = lincs.add_dose_recode(plate)
    dmso = plate["Metadata_broad_sample"] == "DMSO"
    assert (recoded.loc[dmso, "Metadata_dose_recode"] == 0).all()
    ten_um = np.isclose(plate["Metadata_mmoles_per_liter"], 10.0)
    assert (recoded["Metadata_dose_recode"] == 6).sum() == ten_um.sum() == 55
    selected = lincs.select_activity_profiles(plate, dose=6)
    assert len(selected) == 55 + 24
    assert selected["Metadata_broad_sample"].eq("DMSO").sum() == 24


def test_dose_6_keeps_dmso_only_on_plates_with_dose_6():
    rows = [
        # plate, sample, mmol/L
        ("P1", "BRD-K00000001-001-01-1", 10.0),
        ("P1", "BRD-K00000001-001-01-1", 3.3333),
        ("P1", "DMSO", 0.0),
        ("P2", "BRD-K00000002-001-01-1", 1.1111),
        ("P2", "DMSO", 0.0),
        ("P3", "BRD-K00000003-001-01-1", 9.9998),
        ("P3", "DMSO", 0.0),
        ("P3", "DMSO", 0.0),
    ]
    df = pd.DataFrame(rows, columns=["Metadata_Plate", "Metadata_broad_sample", "Metadata_mmoles_per_liter"])
    df["f1"] = np.arange(len(df), dtype=float)
    out = lincs.select_activity_profiles(df, dose=6)
    assert out["f1"].tolist() == [0.0, 2.0, 5.0, 6.0, 7.0]


def test_recode_dose_matches_the_nearest_dose_point():
    mmol = [0.041152, 0.12346, 0.37037, 1.0, 3.3333, 10.0, 19.999, 0.004115, np.nan]
    got = lincs.recode_dose(np.array(mmol))
    assert got.tolist() == [1, 2, 3, 4, 5, 6, 7, 1, 0]


def test_each_dmso_well_gets_its_own_id():
    meta = pd.DataFrame({"Metadata_broad_sample": ["DMSO", "BRD-X", "DMSO", "DMSO"]})
    out = lincs.unique_controls(meta)
    assert out["Metadata_broad_sample"].tolist() == ["DMSO_0", "BRD-X", "DMSO_1", "DMSO_2"]
    assert meta["Metadata_broad_sample"].tolist()[0] == "DMSO"  # input untouched


# --- synthetic data keeps the LINCS schema --------------------------------------------------


def test_synthetic_tables_have_the_lincs_columns(shared_data, planted):
    profiles, consensus, _, _ = planted
    real_meta = [c for c in pd.read_csv(shared_data / PLATE, nrows=1).columns if c.startswith("Metadata_")]
    gen_meta = [c for c in profiles.columns if c.startswith("Metadata_")]
    assert gen_meta == real_meta + ["Metadata_dose_recode"]
    real_features = set(pd.read_csv(shared_data / PLATE, nrows=1).columns) - set(real_meta)
    assert set(lincs.split_profiles(profiles)[0].columns) == set(gen_meta)
    assert set(profiles.columns) - set(gen_meta) <= real_features
    assert (profiles["Metadata_broad_sample"].str.len().isin([4, 22])).all()
    assert list(consensus.columns[:8]) == list(synth.CONSENSUS_METADATA)
    # generator's dose levels are what the pipeline would recode from the concentrations
    recoded = lincs.add_dose_recode(profiles.drop(columns="Metadata_dose_recode"))
    assert recoded["Metadata_dose_recode"].tolist() == profiles["Metadata_dose_recode"].tolist()


def test_synthetic_compounds_are_real_ids_that_get_their_target(real_tables, real_labels):
    drugs, samples = real_tables
    labels, _ = real_labels
    design = synth.SyntheticDesign()
    stand_in = synth.fallback_repurposing_tables(design)
    assert [list(t.columns) for t in stand_in] == [list(drugs.columns), list(samples.columns)]
    compounds = synth.choose_compounds(drugs, samples, design, seed=0)
    assert len(compounds) == design.n_compounds
    assert compounds["broad_sample"].isin(samples["broad_id"]).all()
    target_of = labels.set_index("broad_id")["target"]
    got = lincs.truncate_broad_id(compounds["broad_sample"]).map(target_of)
    annotated = compounds["role"] != "unannotated"
    assert got[annotated].tolist() == compounds.loc[annotated, "target"].tolist()
    assert got[~annotated].isna().all()


# --- activity and consistency find what was planted -----------------------------------------


def test_activity_finds_the_planted_active_compounds(planted, activity):
    truth = planted[2]
    ap, scores = activity
    assert len(scores) == CLEAR.n_compounds  # DMSO wells score nothing
    assert ap.loc[ap["Metadata_broad_sample"].str.startswith("DMSO_"), "average_precision"].isna().all()
    called = set(scores.loc[scores["below_corrected_p"], "Metadata_broad_sample"])
    active = set(truth.loc[truth["active"], "Metadata_broad_sample"])
    assert called == active


def test_consistency_finds_the_planted_shared_targets(planted):
    _, consensus, truth, labels = planted
    ap, scores = lincs.phenotypic_consistency(consensus, labels, FAST)
    roles = truth.dropna(subset=["planted_target"]).groupby("planted_target")["role"].first()
    assert set(scores["Metadata_target"]) == set(roles.index)  # only shared targets score
    called = set(scores.loc[scores["below_corrected_p"], "Metadata_target"])
    assert called == set(roles.index[roles == "consistent"])


def test_activity_filter_removes_inactive_compounds(planted, activity):
    _, consensus, truth, labels = planted
    active = lincs.active_compounds(activity[1])
    kept = lincs.label_consensus(consensus, labels, active=active)
    every = lincs.label_consensus(consensus, labels)
    inactive = lincs.truncate_broad_id(truth.loc[~truth["active"], "Metadata_broad_sample"])
    assert every["Metadata_broad_sample"].isin(inactive).any()  # without the filter: present
    assert not kept["Metadata_broad_sample"].isin(inactive).any()
    assert set(kept["Metadata_broad_sample"]) <= set(lincs.truncate_broad_id(pd.Series(active)))
    ap, scores = lincs.phenotypic_consistency(consensus, labels, FAST, active=active)
    assert not ap["Metadata_broad_sample"].isin(inactive).any()
    roles = truth.dropna(subset=["planted_target"]).groupby("planted_target")["role"].first()
    called = set(scores.loc[scores["below_corrected_p"], "Metadata_target"])
    assert called == set(roles.index[roles == "consistent"])


def test_reproduction_table_lists_the_papers_numbers(activity, planted):
    _, consensus, _, labels = planted
    _, cons = lincs.phenotypic_consistency(consensus, labels, FAST)
    table = lincs.reproduction_table(activity[1], cons, synthetic=True, activity_filter=False)
    assert list(table.columns) == ["figure", "quantity", "paper", "ours", "note"]
    assert table["paper"].tolist() == ["34%", "32%", "1327", "shared (copairs)", "shared (copairs)"]
    # the last rows name the test of each figure's calls (map.test, here the default)
    assert table["quantity"].iloc[3:].tolist() == ["test of the calls (map.test)"] * 2
    assert table["ours"].iloc[3:].tolist() == ["shared", "shared"]
    assert table["ours"].iloc[2] == str(CLEAR.n_compounds)
    called = activity[1]["below_corrected_p"].mean()
    assert table["ours"].iloc[0] == f"{100 * called:.1f}%"
    assert table["note"].str.contains("SYNTHETIC").all()


def test_figure_tables_are_the_map_tables_in_the_authors_plot_columns(activity, planted):
    from mapreprod.datasets.cpg0004 import figures

    _, scores = activity
    table, fig = figures.draw_figS7a({"map": scores}, {})
    assert table["Metadata_broad_sample"].tolist() == sorted(scores["Metadata_broad_sample"])
    by_id = scores.set_index("Metadata_broad_sample").loc[table["Metadata_broad_sample"]]
    np.testing.assert_array_equal(table["mAP"], by_id["mean_average_precision"])
    np.testing.assert_array_equal(table["p < 0.05"], by_id["below_corrected_p"])
    # -log10 of the corrected p, floored at machine epsilon (p = 0 cannot occur)
    floor = np.finfo(np.float64).eps
    np.testing.assert_allclose(
        table["-log10(mAP p-value)"], -np.log10(np.maximum(by_id["corrected_p_value"], floor))
    )
    assert fig.axes
    _, consensus, _, labels = planted
    _, cons = lincs.phenotypic_consistency(consensus, labels, FAST)
    table, _ = figures.draw_figS7c({"map": cons}, {})
    assert table["Metadata_target"].tolist() == sorted(cons["Metadata_target"])


def test_bad_design_names_the_key():
    with pytest.raises(ValueError, match="compounds_per_plate_mapp"):
        synth.SyntheticDesign.from_config({"compounds_per_plate_mapp": 3})
    with pytest.raises(ValueError, match="exceed"):
        dataclasses.replace(CLEAR, compounds_per_plate_map=2).check()


# --- the workflow ---------------------------------------------------------------------------


@pytest.mark.workflow
def test_synthetic_cpg0004_workflow_runs(tmp_path, shared_data):
    from workflow_utils import copy_repo, snakemake

    work = copy_repo(tmp_path / "repo")
    (work / "resources/cpg0004").mkdir(parents=True)
    for name in (DRUGS, SAMPLES):
        (work / "resources" / name).write_bytes((shared_data / name).read_bytes())
    (work / "small.yaml").write_text(
        "datasets: [cpg0004]\ncpg0004:\n  synthetic: true\n  synthetic_real_labels: true\n"
        "  null_size: 1000\n"
    )
    targets = [
        "results/cpg0004/reproduction.csv",
        *[f"results/{kind}/{fid}.{ext}" for fid in registry.figure_ids("cpg0004")
          for kind, ext in (("figures", "png"), ("figures", "pdf"), ("tables", "csv"))],
    ]
    res = snakemake(work, *targets, "--cores", "2", "--configfile", "small.yaml", timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    repro = pd.read_csv(work / "results/cpg0004/reproduction.csv")
    assert repro["figure"].tolist()[:3] == ["Fig S7A", "Fig S7C", "Fig S7A"]
    tests = repro[repro["quantity"] == "test of the calls (map.test)"]
    assert tests["figure"].tolist() == ["Fig S7A", "Fig S7C"] and set(tests["ours"]) == {"shared"}
    truth = pd.read_csv(work / "resources/cpg0004_synthetic/planted_truth.csv")
    s7a = pd.read_csv(work / "results/tables/figS7a.csv")
    assert len(s7a) == len(truth)
    assert {"mAP", "p < 0.05", "-log10(mAP p-value)"} <= set(s7a.columns)
    # the copied real label tables were used (real compound ids, not the stand-ins)
    assert not truth["pert_iname"].str.startswith("synthetic-compound").any()


def test_hierarchical_fdr_option_equals_copairs_two_stage_correction(planted, tmp_path, monkeypatch):
    copairs_map = pytest.importorskip("copairs.map")
    monkeypatch.setenv("HOME", str(tmp_path))  # copairs caches nulls under ~/.copairs
    profiles = planted[0]
    ap, ours = lincs.phenotypic_activity(
        profiles, MapSettings(null_size=200, seed=3, null_sampler="copairs"), fdr="hierarchical"
    )
    assert set(ours["Metadata_dose_recode"]) == {6}
    # oracle: copairs' own AP and hierarchical mAP on the same selection and pairing
    from mapreprod.common import split_profiles as split
    from mapreprod.datasets.cpg0004 import select_dose_response_profiles, unique_controls

    meta, feats = split(select_dose_response_profiles(profiles))
    meta = unique_controls(meta)
    ref = copairs_map.average_precision(
        meta, feats, ["Metadata_broad_sample", "Metadata_dose_recode"], [], ["Metadata_Plate"],
        ["Metadata_pert_type", "Metadata_broad_sample"], batch_size=20000,
    )
    expected = copairs_map.mean_average_precision_hierarchical(
        ref, ["Metadata_broad_sample", "Metadata_dose_recode"], 200, 0.05, 3,
        ["Metadata_broad_sample"], progress_bar=False,
    )
    expected = expected[expected["Metadata_dose_recode"] == 6].set_index("Metadata_broad_sample")
    got = ours.set_index("Metadata_broad_sample").loc[expected.index]
    np.testing.assert_allclose(got["mean_average_precision"], expected["mean_average_precision"],
                               atol=1e-12)
    np.testing.assert_array_equal(got["corrected_p_value"], expected["corrected_p_value"])
    np.testing.assert_array_equal(got["below_corrected_p"], expected["below_corrected_p"])
    with pytest.raises(ValueError, match="cpg0004.fdr"):
        lincs.phenotypic_activity(profiles, MapSettings(null_size=10), fdr="holm")
