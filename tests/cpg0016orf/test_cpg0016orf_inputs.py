"""cpg0016[orf] inputs and the generated stand-in: exact columns of the real files, readers'
errors, and the stand-in's layout on the real JUMP metadata (../shared/data/cpg0016orf).

Oracles: the real JUMP tables themselves (column lists, plate maps, controls) and the column
lists read from the source repositories (jump-profiling-recipe format_check, Morphmap notebooks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mapreprod.datasets.cpg0016orf import inputs, standin
from orf_testdata import SMALL, jump_metadata, write_inputs

FILES = standin.FILES


@pytest.fixture(scope="module")
def real_dir(shared_data):
    return shared_data / "cpg0016orf"


@pytest.fixture(scope="module")
def real_standin(real_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("orf_real")
    data = write_inputs(folder, real_dir=real_dir)
    return folder, data, jump_metadata(real_dir)


# --- the real JUMP metadata --------------------------------------------------------------------


def test_real_jump_tables_have_exactly_the_listed_columns(real_dir):
    meta = jump_metadata(real_dir)
    assert list(meta.orfs.columns) == list(inputs.JUMP_ORF_COLUMNS)
    assert list(meta.plates.columns) == list(inputs.JUMP_PLATE_COLUMNS)
    assert list(meta.experiment.columns) == list(inputs.PRODUCTION_EXPERIMENT_COLUMNS)
    assert list(meta.controls.columns) == list(inputs.PERTURBATION_CONTROL_COLUMNS)
    # hand-checked facts of the real files
    assert len(meta.orfs) == 15132 and meta.orfs["Metadata_JCP2022"].is_unique
    bad = meta.orfs[meta.orfs["Metadata_broad_sample"] == inputs.BAD_CONSTRUCT]
    assert bad["Metadata_JCP2022"].tolist() == [standin.BAD_CONSTRUCT_JCP]
    assert bad["Metadata_Symbol"].isna().all()
    negcon = meta.orfs.loc[meta.orfs["Metadata_pert_type"] == "negcon", "Metadata_Symbol"]
    assert sorted(negcon) == ["BFP", "HcRed", "LUCIFERASE", "LacZ"]
    orf_plates = set(meta.plates.loc[meta.plates["Metadata_PlateType"] == "ORF", "Metadata_Plate"])
    exp_orf = meta.experiment[meta.experiment["Type"] == "ORF"]
    assert len(orf_plates) == 251 and len(exp_orf) == 237
    assert set(exp_orf["Assay_Plate_Barcode"]) <= orf_plates
    assert exp_orf["Plate_Map_Name"].nunique() == 45
    # the fallback control table is the real one
    real_controls = meta.controls.fillna("").values.tolist()
    assert [list(row) for row in standin.CONTROLS] == real_controls


def test_fallback_control_orfs_are_the_real_rows(real_dir):
    orfs = jump_metadata(real_dir).orfs.set_index("Metadata_JCP2022")
    for jcp, broad, name, tx, sym in standin.CONTROL_ORFS:
        row = orfs.loc[jcp]
        assert (row["Metadata_broad_sample"], row["Metadata_Name"], row["Metadata_Transcript"],
                row["Metadata_Symbol"]) == (broad, name, tx, sym)


# --- readers ------------------------------------------------------------------------------------


def test_readers_name_the_file_and_the_missing_column(tmp_path):
    path = tmp_path / "orf_metadata.tsv.gz"
    pd.DataFrame({c: ["x"] for c in inputs.ORF_METADATA_COLUMNS if c != "Metadata_complexname"}).to_csv(
        path, sep="\t", index=False
    )
    with pytest.raises(ValueError, match=r"orf_metadata.tsv.gz.*Metadata_complexname"):
        inputs.read_orf_metadata(path)
    exp = tmp_path / "experiment-metadata.tsv"
    pd.DataFrame({"Batch": ["b"], "Plate_Map_Name": ["m"]}).to_csv(exp, sep="\t", index=False)
    with pytest.raises(ValueError, match=r"experiment-metadata.tsv.*Assay_Plate_Barcode"):
        inputs.read_experiment_metadata(exp)
    reagents = tmp_path / "reagents.csv.gz"
    pd.DataFrame({"Metadata_Well": ["A01"]}).to_csv(reagents, index=False)
    with pytest.raises(ValueError, match="Metadata_plate_map_name"):
        inputs.read_low_infection_reagents(reagents)


def _parquet(path, columns: dict):
    pq.write_table(pa.table(columns), path)


def test_profile_reader_checks_metadata_and_features(tmp_path):
    good = {"Metadata_Source": ["s"], "Metadata_Plate": ["P"], "Metadata_Well": ["A01"],
            "Metadata_JCP2022": ["J"], "X_1": pa.array([1.0], pa.float32())}
    path = tmp_path / "ok.parquet"
    _parquet(path, good)
    prof = inputs.read_profiles(path)
    assert prof.feature_names == ["X_1"] and prof.features.dtype == np.float32
    assert list(prof.meta.columns) == list(inputs.PROFILE_METADATA)
    no_well = {k: v for k, v in good.items() if k != "Metadata_Well"}
    _parquet(tmp_path / "a.parquet", no_well)
    with pytest.raises(ValueError, match=r"a.parquet.*Metadata_Well"):
        inputs.read_profiles(tmp_path / "a.parquet")
    _parquet(tmp_path / "b.parquet", {**good, "X_2": ["text"]})
    with pytest.raises(ValueError, match="non-numeric feature.*X_2"):
        inputs.read_profiles(tmp_path / "b.parquet")
    _parquet(tmp_path / "c.parquet", {**good, "Metadata_Plate": pa.array([None], pa.string())})
    with pytest.raises(ValueError, match="Metadata_Plate.*missing"):
        inputs.read_profiles(tmp_path / "c.parquet")


# --- the stand-in --------------------------------------------------------------------------------


def test_standin_files_have_the_real_columns(real_standin):
    folder, _, _ = real_standin
    schema = pq.read_schema(folder / FILES["profiles"])
    n = SMALL.n_features
    assert schema.names == [*inputs.PROFILE_METADATA, *[f"X_{i}" for i in range(1, n + 1)]]
    assert all(schema.field(c).type == pa.string() for c in inputs.PROFILE_METADATA)
    assert all(schema.field(f"X_{i}").type == pa.float32() for i in range(1, n + 1))
    read = lambda key, **kw: pd.read_csv(folder / FILES[key], **kw)
    assert list(read("orf_metadata", sep="\t").columns) == list(inputs.ORF_METADATA_COLUMNS)
    assert list(read("compounds").columns) == list(inputs.COMPOUND_COLUMNS)
    assert list(read("experiment", sep="\t").columns) == list(inputs.EXPERIMENT_COLUMNS)
    assert list(read("reagents").columns) == list(inputs.REAGENT_COLUMNS)
    assert list(read("corum", sep="\t").columns) == list(inputs.CORUM_COLUMNS)


def test_standin_is_laid_out_on_the_real_plates_and_plate_maps(real_standin):
    folder, data, meta = real_standin
    prof = data.profiles
    exp = meta.experiment.set_index("Assay_Plate_Barcode")
    plates = meta.plates.set_index("Metadata_Plate")
    assert (plates.loc[prof["Metadata_Plate"].unique(), "Metadata_PlateType"] == "ORF").all()
    assert (prof["Metadata_Source"] == "source_4").all()
    # every plate of a chosen plate map is there (the real replicate plates)
    maps = exp.loc[prof["Metadata_Plate"].unique(), "Plate_Map_Name"].unique()
    assert len(maps) == SMALL.plate_maps
    expected = set(meta.experiment.loc[meta.experiment["Plate_Map_Name"].isin(maps),
                                       "Assay_Plate_Barcode"]) & set(plates.index)
    assert set(prof["Metadata_Plate"]) == expected
    # Batch_name is plate.csv.gz's batch of the plate
    written = pd.read_csv(folder / FILES["experiment"], sep="\t", dtype=str)
    orf_rows = written[written["Assay_Plate_Barcode"].isin(plates.index)]
    assert (orf_rows["Batch_name"].to_numpy()
            == plates.loc[orf_rows["Assay_Plate_Barcode"], "Metadata_Batch"].to_numpy()).all()
    assert len(written) == len(meta.experiment)
    # the same layout on every replicate plate of a map
    prof = prof.assign(map=exp.loc[prof["Metadata_Plate"], "Plate_Map_Name"].to_numpy())
    per_well = prof.groupby(["map", "Metadata_Well"])["Metadata_JCP2022"].nunique()
    assert (per_well == 1).all()


def test_standin_has_controls_on_every_plate_and_the_wells_to_filter(real_standin):
    folder, data, meta = real_standin
    prof = data.profiles
    orfs = meta.orfs.set_index("Metadata_JCP2022")
    negcon_ids = set(orfs.index[orfs["Metadata_pert_type"] == "negcon"])
    counts = prof[prof["Metadata_JCP2022"].isin(negcon_ids)].groupby("Metadata_Plate").size()
    assert counts.reindex(prof["Metadata_Plate"].unique()).eq(4 * SMALL.negcon_wells_per_type).all()
    ids = prof["Metadata_JCP2022"]
    per_plate = prof.groupby("Metadata_Plate")["Metadata_JCP2022"]
    assert per_plate.apply(lambda s: (s == inputs.EMPTY_JCP).sum()).eq(SMALL.empty_wells).all()
    assert per_plate.apply(lambda s: (s == standin.BAD_CONSTRUCT_JCP).sum()).eq(
        SMALL.bad_construct_wells).all()
    egfp = orfs.index[orfs["Metadata_Symbol"] == "eGFP"][0]
    assert (ids == egfp).sum() == SMALL.poscon_wells * prof["Metadata_Plate"].nunique()
    no_symbol = set(orfs.index[orfs["Metadata_Symbol"].isna()]) - {standin.BAD_CONSTRUCT_JCP}
    assert ids.isin(no_symbol).sum() == SMALL.unannotated_wells * prof["Metadata_Plate"].nunique()
    # ORF ids, broad samples and symbols are the real ones
    annotated = pd.read_csv(folder / FILES["orf_metadata"], sep="\t", dtype=str)
    assert set(annotated["Metadata_JCP2022"]) == set(orfs.index)
    merged = annotated.set_index("Metadata_JCP2022").loc[orfs.index]
    for col in ("Metadata_broad_sample", "Metadata_Symbol", "Metadata_NCBI_Gene_ID"):
        assert merged[col].fillna("").tolist() == orfs[col].fillna("").tolist()
    # low-infection reagents: every listed ORF triple is a real well of its plate map
    reagents = pd.read_csv(folder / FILES["reagents"], dtype=str)
    low = data.truth[data.truth["low_infection"]]
    listed = reagents[reagents["Metadata_broad_sample"] != "EMPTY"]
    assert sorted(listed["Metadata_broad_sample"]) == sorted(low["Metadata_broad_sample"])
    assert (reagents["Metadata_broad_sample"] == "EMPTY").any()


def test_standin_complexes_are_joined_by_symbol_as_morphmap(real_standin):
    folder, data, _ = real_standin
    corum = pd.read_csv(folder / FILES["corum"], sep="\t", dtype=str)
    annotated = pd.read_csv(folder / FILES["orf_metadata"], sep="\t", dtype=str)
    assert (annotated["Metadata_Approved_Symbol"].fillna("")
            == annotated["Metadata_Symbol"].fillna("")).all()
    with_complex = annotated.dropna(subset=["Metadata_complexname"])
    expected = dict(zip(corum["Symbol"], corum["ComplexName"]))
    assert dict(zip(with_complex["Metadata_Symbol"], with_complex["Metadata_complexname"])) == expected
    # multilabel rows (shared genes) and genes with two reagents
    assert corum["ComplexName"].str.contains("|", regex=False).sum() == SMALL.shared_genes
    truth = data.truth[data.truth["complexes"] != ""]
    assert truth.groupby("Metadata_NCBI_Gene_ID").size().eq(2).sum() == SMALL.two_orf_genes


def test_generated_metadata_has_the_real_columns_and_runs_offline(tmp_path):
    meta = standin.generated_jump_metadata(SMALL, seed=3)
    assert list(meta.orfs.columns) == list(inputs.JUMP_ORF_COLUMNS)
    assert list(meta.plates.columns) == list(inputs.JUMP_PLATE_COLUMNS)
    assert list(meta.experiment.columns) == list(inputs.PRODUCTION_EXPERIMENT_COLUMNS)
    assert list(meta.controls.columns) == list(inputs.PERTURBATION_CONTROL_COLUMNS)
    data = write_inputs(tmp_path, seed=3)
    assert data.profiles["Metadata_Plate"].nunique() == SMALL.plate_maps * SMALL.replicates
    again = standin.generate(SMALL, meta, 3)
    pd.testing.assert_frame_equal(data.profiles, again.profiles)
    other = standin.generate(SMALL, meta, 4)
    assert not np.allclose(other.profiles["X_2"].to_numpy()[:50], data.profiles["X_2"].to_numpy()[:50])


def test_design_rejects_impossible_settings():
    with pytest.raises(ValueError, match="384"):
        standin.SyntheticDesign(orfs_per_plate_map=380)
    with pytest.raises(ValueError, match="unknown key"):
        standin.SyntheticDesign.from_config({"plates": 3})
    with pytest.raises(ValueError, match="replicates"):
        standin.SyntheticDesign(replicates=1)
