"""CPJUMP1 inputs and preprocessing: the primary plates, the readers, the condition profiles and
consensus profiles, against hand-made tables and the real JUMP-Target-1 files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cpjump1_cases import compound_plates, orf_plates, plate_frame
from mapreprod.datasets.cpjump1 import inputs, preprocess, standin


def _experiment(rows):
    cols = ["Batch", "Plate_Map_Name", "Assay_Plate_Barcode", "Perturbation", "Cell_type", "Time",
            "Density", "Antibiotics", "Cell_line"]
    return pd.DataFrame(rows, columns=cols)


def test_primary_plates_keep_density_100_no_antibiotics_no_compound_on_cas9():
    b = inputs.BATCH
    table = _experiment([
        (b, "m", "KEEP1", "compound", "A549", 24, 100, "absent", "Parental"),
        (b, "m", "DENS80", "compound", "A549", 48, 80, "absent", "Parental"),
        (b, "m", "CAS9CMP", "compound", "A549", 48, 100, "absent", "Cas9"),
        (b, "m", "KEEP2", "crispr", "A549", 144, 100, "absent", "Cas9"),
        (b, "m", "PURO", "crispr", "A549", 144, 100, "Puromycin", "Cas9"),
        (b, "m", "KEEP3", "orf", "U2OS", 96, 100, "absent", "Parental"),
        ("2020_11_04_CPJUMP1_DL", "m", "OTHERBATCH", "orf", "U2OS", 96, 100, "absent", "Parental"),
    ])
    plates = inputs.primary_plates(table)
    assert plates["Assay_Plate_Barcode"].tolist() == ["KEEP1", "KEEP2", "KEEP3"]
    assert plates["condition"].tolist() == ["compound_A549_short", "crispr_A549_long", "orf_U2OS_long"]


def test_real_plate_table_gives_four_or_two_primary_plates_per_condition():
    plates = inputs.primary_plates(standin.experiment_metadata())
    counts = plates.groupby("condition").size()
    assert sorted(counts.index) == sorted(inputs.all_conditions())
    for cond, n in counts.items():
        assert n == (2 if cond.startswith("orf") else 4), cond
    # the plates the paper excludes are in the table but not kept
    assert {"BR00117008", "BR00117050", "BR00117001", "BR00118049"}.isdisjoint(plates["Assay_Plate_Barcode"])
    assert len(plates) == 40


def test_time_points_map_hours_to_short_and_long():
    assert inputs.TIMEPOINTS == {
        "compound": {24: "short", 48: "long"},
        "crispr": {96: "short", 144: "long"},
        "orf": {48: "short", 96: "long"},
    }
    b = inputs.BATCH
    bad = _experiment([(b, "m", "X", "orf", "A549", 24, 100, "absent", "Parental")])
    with pytest.raises(ValueError, match="orf plates at 24 h"):
        inputs.primary_plates(bad)


def test_bad_condition_and_missing_columns_are_named(tmp_path):
    with pytest.raises(ValueError, match="unknown CPJUMP1 condition 'orf_HeLa_short'"):
        inputs.parse_condition("orf_HeLa_short")
    path = tmp_path / "exp.tsv"
    pd.DataFrame({"Batch": ["x"]}).to_csv(path, sep="\t", index=False)
    with pytest.raises(ValueError, match="lacks column"):
        inputs.read_experiment_metadata(path)


def test_plate_reader_checks_columns_values_and_plate(tmp_path):
    plate = compound_plates(n_plates=1)[0]
    good = tmp_path / "P0.csv"
    plate.to_csv(good, index=False)
    assert len(inputs.read_plate_profiles(good, "P0")) == len(plate)
    with pytest.raises(ValueError, match="expected 'P9'"):
        inputs.read_plate_profiles(good, "P9")
    nan = plate.copy()
    nan.loc[0, "Cells_AreaShape_F3"] = np.nan
    nan.to_csv(tmp_path / "nan.csv", index=False)
    with pytest.raises(ValueError, match="Cells_AreaShape_F3"):
        inputs.read_plate_profiles(tmp_path / "nan.csv")
    plate.drop(columns=["Metadata_Well"]).to_csv(tmp_path / "nowell.csv", index=False)
    with pytest.raises(ValueError, match="Metadata_Well"):
        inputs.read_plate_profiles(tmp_path / "nowell.csv")


def test_profile_file_names_round_trip():
    assert inputs.profile_file("BR00116991") == (
        "profiles/BR00116991_normalized_feature_select_negcon_batch.csv.gz"
    )
    assert inputs.plate_of_profile_file(inputs.profile_file("BR00116991")) == "BR00116991"
    with pytest.raises(ValueError, match="must be named"):
        inputs.plate_of_profile_file("BR00116991.csv.gz")


def test_compound_condition_names_dmso_and_flags_negcon():
    plates = compound_plates(n_plates=2, n_compounds=4, n_dmso=3)
    df = preprocess.condition_profiles(plates, "compound")
    # plates stacked, every well kept (DMSO wells named), negcon flag from control_type
    assert len(df) == sum(len(p) for p in plates)
    dmso = df[df["Metadata_broad_sample"] == "DMSO"]
    assert len(dmso) == 6 and (dmso["Metadata_negcon"] == 1).all()
    assert (df.loc[df["Metadata_broad_sample"] != "DMSO", "Metadata_negcon"] == 0).all()
    assert (df["Metadata_modality"] == "compound").all()


def test_genetic_condition_drops_empty_wells_and_copies_gene():
    plates = orf_plates(n_plates=2)
    df = preprocess.condition_profiles(plates, "orf")
    assert df["Metadata_broad_sample"].notna().all()
    assert len(df) == sum(p["Metadata_broad_sample"].notna().sum() for p in plates)
    assert (df["Metadata_matching_target"] == df["Metadata_gene"]).all()


def test_plates_are_stacked_on_their_shared_columns():
    a, b = compound_plates(n_plates=2)
    b = b.drop(columns=["Cells_AreaShape_F0"])
    df = preprocess.condition_profiles([a, b], "compound")
    assert "Cells_AreaShape_F0" not in df.columns and "Cells_AreaShape_F1" in df.columns


def test_consensus_is_the_median_with_the_first_rows_metadata():
    x = np.array([[1.0, 10.0], [3.0, 30.0], [2.0, 0.0], [5.0, 5.0]])
    df = plate_frame("P", ["A01", "A02", "A03", "A04"], ["s1", "s1", "s1", "s2"], [np.nan] * 4, x)
    cons = preprocess.consensus(df, "Metadata_broad_sample")
    assert cons["Metadata_broad_sample"].tolist() == ["s1", "s2"]
    assert cons["Metadata_Well"].tolist() == ["A01", "A04"]
    np.testing.assert_array_equal(cons[["Cells_AreaShape_F0", "Cells_AreaShape_F1"]].to_numpy(),
                                  [[2.0, 10.0], [5.0, 5.0]])


def test_remove_negcon_and_empty():
    df = pd.DataFrame({"Metadata_broad_sample": ["a", np.nan, "c", "d"],
                       "Metadata_control_type": [np.nan, np.nan, "negcon", "poscon_cp"]})
    assert preprocess.remove_negcon_and_empty(df)["Metadata_broad_sample"].tolist() == ["a", "d"]


# --- the real JUMP-Target-1 files (../shared) ----------------------------------------------


@pytest.fixture(scope="module")
def real_layouts(shared_data):
    return standin.read_layouts(
        {k: shared_data / "cpjump1" / f for k, f in standin.LAYOUT_FILES.items()}
    )


def test_real_layouts_have_the_papers_replicate_design(real_layouts):
    pm = real_layouts.platemaps
    comp = pm["compound"]["broad_sample"]
    assert comp.isna().sum() == 64  # DMSO wells
    assert comp.value_counts().value_counts().to_dict() == {1: 292, 2: 14}
    orf = pm["orf"].merge(real_layouts.metadata["orf"], on="broad_sample", how="left")
    per_orf = orf.dropna(subset=["broad_sample"]).groupby("broad_sample")["well_position"].nunique()
    negcon = set(real_layouts.metadata["orf"].query("control_type == 'negcon'")["broad_sample"])
    assert (per_orf[~per_orf.index.isin(negcon)] == 2).all() and len(negcon) == 15
    crispr = pm["crispr"].merge(real_layouts.metadata["crispr"], on="broad_sample", how="left")
    assert crispr.query("control_type == 'negcon'")["broad_sample"].nunique() == 30
    assert real_layouts.metadata["crispr"]["gene"].nunique() == 160


def test_pilot_plate_map_and_metadata_agree_with_jump_target(shared_data, real_layouts):
    pilot = pd.read_csv(shared_data / "cpjump1/pilot/C-7210-01-CMP-013.txt", sep="\t")
    jt = real_layouts.platemaps["compound"]
    merged = pilot.merge(jt, on="well_position", suffixes=("_pilot", "_jt"))
    assert len(merged) == 384
    assert (merged["broad_sample_pilot"].fillna("") == merged["broad_sample_jt"].fillna("")).all()
    genes = pd.read_csv(shared_data / "cpjump1/pilot/cpjump1_crispr_metadata.tsv", sep="\t")
    both = genes.dropna(subset=["broad_sample"]).merge(real_layouts.metadata["crispr"], on="broad_sample")
    assert len(both) == 335 and (both["genes"].fillna("") == both["gene"].fillna("")).all()
