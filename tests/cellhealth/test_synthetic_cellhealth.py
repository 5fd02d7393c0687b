"""The synthetic Cell Health generator (mapreprod.datasets.cellhealth.standin): the real schema, and the
Cell Health pipeline finding what was planted. One Snakemake run of the synthetic pipeline."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from mapreprod import registry
from mapreprod.datasets import cellhealth as ch
from mapreprod.datasets.cellhealth import standin as syn
from mapreprod.settings import MapSettings
from mapreprod.standin import REGULAR_FEATURES

warnings.filterwarnings("ignore", message=".*copy_on_write.*")
NEG_LOG_05 = -np.log10(0.05)


@pytest.fixture(scope="module")
def data() -> syn.SyntheticCellHealth:
    return syn.make_cellhealth(seed=0, n_guides=60, n_features=100)


@pytest.fixture(scope="module")
def profiles(data) -> pd.DataFrame:
    raw = pd.concat([ch.tidy_metadata(t, p) for p, t in data.plates.items()], ignore_index=True)
    return ch.preprocess_profiles(raw, "mad_robustize")


@pytest.fixture(scope="module")
def activity(profiles):
    return ch.activity_by_cell_line(profiles, "cutting", MapSettings(null_size=1000, seed=0))


# --- schema ---------------------------------------------------------------------------------


def test_feature_names_are_real_cell_health_features(shared_data):
    real = set(pd.read_parquet(shared_data / "cellhealth/SQ00014613_two_cells_all_features.parquet").columns)
    names = syn.feature_names(len(REGULAR_FEATURES) + len(syn.SPECIAL_FEATURES))
    assert len(set(names)) == len(names)
    assert set(names) <= real


def test_small_feature_sets_still_cover_every_channel_compartment_and_type():
    names = syn.feature_names(40)
    assert all(ch.channel_groups(names).values())
    assert len(ch.compartment_groups(names)) == len(ch.COMPARTMENTS) * len(ch.FEATURE_TYPES)


def test_plates_have_the_augmented_schema_and_a_384_well_layout(data):
    assert sorted(data.plates) == sorted(ch.PLATES)
    for plate, table in data.plates.items():
        assert list(table.columns[:8]) == [
            "Metadata_WellRow", "Metadata_WellCol", "Metadata_gene_name", "Metadata_pert_name",
            "Metadata_broad_sample", "Metadata_cell_line", "Image_Metadata_Plate",
            "Image_Metadata_Well"]
        assert set(ch.RAW_METADATA) <= set(table.columns)
        assert len(table) == 384 and table["Image_Metadata_Well"].is_unique
        expected = {f"{r}{c:02d}" for r in "ABCDEFGHIJKLMNOP" for c in range(1, 25)}
        assert set(table["Image_Metadata_Well"]) == expected
        assert (table["Image_Metadata_Well"] == table["Metadata_WellRow"]
                + table["Metadata_WellCol"].map("{:02d}".format)).all()
        assert (table["Image_Metadata_Plate"] == plate).all()
        assert (table["Metadata_cell_line"] == ch.PLATE_CELL_LINE[plate]).all()


def test_each_guide_has_two_wells_on_each_of_its_three_plates(data):
    stacked = pd.concat(data.plates.values(), ignore_index=True)
    guides = data.truth["Metadata_pert_name"].unique()
    for cell in ch.CELL_LINES:
        part = stacked.loc[stacked["Metadata_cell_line"] == cell]
        per_plate = part.groupby(["Metadata_pert_name", "Image_Metadata_Plate"]).size().unstack()
        assert (per_plate.loc[guides] == 2).all().all()
        # the three plates of a cell line share one plate map
        maps = [t.set_index("Image_Metadata_Well")["Metadata_pert_name"]
                for p, t in data.plates.items() if ch.PLATE_CELL_LINE[p] == cell]
        assert all(m.equals(maps[0]) for m in maps[1:])
        counts = part["Metadata_pert_name"].value_counts()
        assert set(counts.index[counts == 6]) == set(guides)


def test_controls_are_cutting_guides_and_empty_wells(data):
    table = data.plates["SQ00014614"]
    genes = set(table["Metadata_gene_name"])
    assert set(ch.CUTTING_CONTROL_GENES) <= genes and ch.EMPTY_GENE in genes
    assert (table["Metadata_gene_name"] == "EMPTY").sum() >= 16
    assert (table.loc[table["Metadata_gene_name"] == "EMPTY", "Metadata_pert_name"] == "EMPTY").all()


def test_generator_is_seeded_and_rejects_bad_sizes():
    a = syn.make_cellhealth(seed=3, n_guides=10, n_features=40)
    b = syn.make_cellhealth(seed=3, n_guides=10, n_features=40)
    pd.testing.assert_frame_equal(a.plates["SQ00014610"], b.plates["SQ00014610"])
    with pytest.raises(ValueError, match="n_guides"):
        syn.make_cellhealth(n_guides=7)
    with pytest.raises(ValueError, match="n_features"):
        syn.make_cellhealth(n_features=5000)


def test_files_are_written_where_the_workflow_reads_them(tmp_path):
    d = syn.make_cellhealth(seed=1, n_guides=6, n_features=40)
    paths = syn.write_cellhealth(d, tmp_path)
    assert (tmp_path / "SQ00014618_augmented.csv.gz").is_file()
    back = pd.read_csv(paths["SQ00014610"])
    assert list(back.columns) == list(d.plates["SQ00014610"].columns)
    assert ch.ceres_symbols(pd.read_csv(paths["ceres"]).columns[1:])["entrez"].notna().all()


# --- the pipeline finds what was planted ------------------------------------------------------


def test_feature_selection_removes_the_planted_low_quality_features(profiles):
    kept = set(ch.cp_features(profiles))
    for name, role in syn.SPECIAL_FEATURES.items():
        if role != "duplicate":
            assert name not in kept, name
    # correlation_threshold keeps exactly one of the near-duplicate pair
    pair = {syn.DUPLICATED_FEATURE, "Nuclei_Location_Center_Y"}
    assert len(pair & kept) == 1


def test_activity_retrieves_the_planted_active_guides(activity, data):
    m, a = activity
    assert m.groupby("Cell type")[ch.PERT].nunique().eq(60).all()
    merged = m.merge(data.truth, on=[ch.PERT, "Cell type"])
    recall = merged.loc[merged["active"], "p < 0.05"].mean()
    false_calls = merged.loc[~merged["active"], "p < 0.05"].mean()
    assert recall >= 0.95
    # inactive guides are called only through the shared well-position offsets
    assert false_calls <= 0.35
    assert len(a) == 60 * 6 * 3


def test_same_well_replicates_are_inflated_by_the_planted_well_effect(profiles):
    out = ch.plate_well_position(profiles, "mad_robustize", MapSettings(null_size=500, seed=0))
    rate = out.groupby("mode")["p < 0.05"].mean()
    assert rate["different plate, same well"] > rate["different plate, different well"]


def test_consistency_retrieves_genes_whose_guides_share_an_effect(profiles, activity, data):
    consensus = ch.consistency_profiles(profiles)
    assert len(consensus) == 3 * (60 + len(syn.CUTTING_CONTROLS))
    m, a = ch.phenotypic_consistency(consensus, activity[0], MapSettings(null_size=1000, seed=0))
    truth = data.truth.drop_duplicates([ch.GENE, "Cell type"])
    merged = m.merge(truth, on=[ch.GENE, "Cell type"])
    assert merged.loc[merged["consistent"], "p < 0.05"].mean() >= 0.9
    assert merged.loc[merged["category"] == "inconsistent", "p < 0.05"].mean() <= 0.2
    assert set(a[ch.GENE]) == set(m[ch.GENE])


def test_channel_exclusive_analysis_finds_the_mito_only_signal(profiles, data):
    groups = ch.channel_groups(ch.cp_features(profiles))
    out = ch.feature_group_analysis(profiles, {"Mito": groups["Mito"]},
                                     MapSettings(null_size=1000, seed=0))
    merged = out.merge(data.truth, on=[ch.PERT, "Cell type"])
    mito = merged.loc[merged["mito_only"]]
    assert len(mito) > 0
    assert (mito["exclusive"] > NEG_LOG_05).mean() >= 0.9
    assert (mito["dropped"] <= NEG_LOG_05).mean() >= 0.8
    assert (mito["channel_signal"] > 0).all()


def test_ceres_is_lower_for_active_guides(activity, data):
    m, a = activity
    stack = ch.activity_with_controls(m, m, a)
    merged = ch.merge_ceres(stack, ch.ceres_long(data.ceres, data.sample_info))
    assert set(merged["Cell type"]) == set(ch.CELL_LINES)
    assert spearmanr(merged["-log10(mAP p-value)"], merged["ceres_score"]).statistic < -0.3


# --- the workflow ---------------------------------------------------------------------------


@pytest.mark.workflow
def test_synthetic_cellhealth_workflow_runs(tmp_path):
    from workflow_utils import copy_repo, snakemake

    work = copy_repo(tmp_path / "repo")
    (work / "small.yaml").write_text(
        "datasets: [cellhealth]\n"
        "cellhealth:\n  synthetic: true\n"
        "  synthetic_data: {seed: 0, n_guides: 40, n_features: 60, null_size: 300}\n"
    )
    figures = registry.figure_ids("cellhealth")
    targets = ["results/cellhealth/reproduction.csv"] + [
        f"results/{kind}/{fid}.{ext}" for fid in figures
        for kind, ext in (("figures", "png"), ("figures", "pdf"), ("tables", "csv"))]
    res = snakemake(work, *targets, "--cores", "2", "--configfile", "small.yaml", timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    for target in targets:
        assert (work / target).stat().st_size > 0, target
    repro = pd.read_csv(work / "results/cellhealth/reproduction.csv")
    assert list(repro.columns) == ["figure", "quantity", "paper", "ours", "note"]
    assert {"Fig 3A", "Fig 3B", "Fig S6A", "Fig S6B", "Fig 3D", "Fig S6C", "Fig 3E"} <= set(repro["figure"])
    assert repro["note"].str.contains("SYNTHETIC").all()
    fig3a = pd.read_csv(work / "results/tables/fig3a.csv")
    assert len(fig3a) == 40 * 3 * 3 * 2  # guides x modes x cell lines x preprocessings
