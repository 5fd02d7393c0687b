"""The paper-scale rehearsal (config/rehearsal.yaml, issue 19): the config is valid over
config/paper.yaml and states the real inputs' shapes that the code and the benchmarks state
elsewhere; the stand-in extensions it needs (more features than real names, redundant features,
Hub compounds with their own target lists, the control table streamed in gzip members) do what
they say, on small sizes."""

from __future__ import annotations

import gzip
import io
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from workflow_utils import REPO


@pytest.fixture(scope="module")
def rehearsal() -> dict:
    from mapreprod.config import check_config_files

    return check_config_files(
        [REPO / "config/paper.yaml", REPO / "config/rehearsal.yaml"],
        REPO / "config/config.yaml",
        REPO / "workflow/schemas/config.schema.yaml",
    )


def test_rehearsal_config_is_every_paper_dataset_on_its_stand_in_with_the_paper_settings(rehearsal):
    assert set(rehearsal["datasets"]) == {"nelisa", "cellhealth", "cpg0004", "cpg0016orf",
                                          "cpjump1", "perturbseq", "mitocheck"}
    assert rehearsal["map"]["null_sampler"] == "copairs"
    assert rehearsal["nelisa"]["synthetic_cellpainting"] and rehearsal["nelisa"]["assays"] == [
        "cellpainting", "nelisa"]
    for ds in ("cellhealth", "cpg0004", "cpg0016orf", "cpjump1", "perturbseq", "mitocheck"):
        assert rehearsal[ds]["synthetic"], ds
    # paper null sizes; Cell Health's stand-in has its own null key, set to the paper's
    assert rehearsal["cellhealth"]["synthetic_data"]["null_size"] == rehearsal["cellhealth"][
        "null_size"] == 1_000_000
    assert (rehearsal["cpg0004"]["null_size"], rehearsal["mitocheck"]["null_size"],
            rehearsal["perturbseq"]["single_cell_null_size"]) == (50_000, 500_000, 500_000)


def test_rehearsal_perturbseq_design_is_the_benchmark_s_real_shape(rehearsal):
    from mapreprod.datasets.perturbseq import REAL_SHAPE, StandinDesign, expected_counts

    design = StandinDesign.from_config(rehearsal["perturbseq"]["synthetic_design"])
    assert design == REAL_SHAPE
    counts = expected_counts(design)  # docs/methods.md §7
    assert (counts["seurat_features"], counts["seurat_cells"], counts["qc_cells"],
            counts["scored_cells"], counts["target_cells"]) == (20275, 23633, 23537, 22261, 19901)


def test_rehearsal_orf_design_is_bench_orf_s_full_scale_with_384_wells_a_plate(rehearsal):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_orf", REPO / "benchmarks/bench_orf.py")
    bench_orf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_orf)
    from mapreprod.datasets.cpg0016orf.standin import SyntheticDesign

    design = SyntheticDesign.from_config(rehearsal["cpg0016orf"]["synthetic_design"])
    assert design == bench_orf.full_scale_design(722)
    assert design.wells_per_plate == 384 and rehearsal["cpg0016orf"]["synthetic_real_metadata"]


def test_rehearsal_shapes_of_cell_health_cpg0004_mitocheck_and_nelisa(rehearsal):
    ch = rehearsal["cellhealth"]["synthetic_data"]
    assert (ch["n_guides"], ch["n_features"]) == (100, 1783)
    from mapreprod.datasets.cpg0004.standin import SyntheticDesign as Cpg0004Design

    lincs = Cpg0004Design.from_config(rehearsal["cpg0004"]["synthetic_design"])
    assert lincs.plate_maps * lincs.replicates == 140 and lincs.n_compounds == 1568
    assert (lincs.n_features, lincs.compound_source) == (609, "hub")
    from mapreprod.datasets.mitocheck.standin import SyntheticDesign as MitocheckDesign

    mito = MitocheckDesign.from_config(rehearsal["mitocheck"]["synthetic_design"])
    assert (mito.n_cells, mito.n_control_rows, mito.n_dp_features) == (2456, 780_000, 1280)
    assert mito.control_block_rows > 0 and mito.n_control_rows % mito.control_block_rows == 0
    assert rehearsal["nelisa"]["synthetic_design"]["n_features"] + 10 == 919  # + metadata


# ---------------------------------------------------------------------------------------------
# the stand-in extensions

GRAMMAR = re.compile(
    r"(Cells|Cytoplasm|Nuclei)_(AreaShape|Correlation|Granularity|Intensity|RadialDistribution|"
    r"Texture|Number|Location)_\w+"
)


def test_feature_names_beyond_the_real_ones_keep_them_and_follow_cellprofiler_s_grammar():
    from mapreprod.standin import MAX_FEATURES, REGULAR_FEATURES, SPECIAL_FEATURES, feature_names

    real = feature_names(len(REGULAR_FEATURES) + len(SPECIAL_FEATURES))
    names = feature_names(1783)
    assert len(names) == len(set(names)) == 1783
    assert set(real) <= set(names) and names[-len(SPECIAL_FEATURES):] == list(SPECIAL_FEATURES)
    assert all(GRAMMAR.fullmatch(n) for n in names), [n for n in names if not GRAMMAR.fullmatch(n)]
    assert sum("Costes" in n for n in names) == 2  # only the two special Costes features
    groups = {tuple(n.split("_")[:2]) for n in names}
    assert len(groups) >= 18  # every compartment x feature type
    assert len(feature_names(MAX_FEATURES)) == MAX_FEATURES
    with pytest.raises(ValueError, match="n_features"):
        feature_names(MAX_FEATURES + 1)


def test_cpjump1_and_cpg0004_names_extend_their_real_lists():
    from mapreprod.datasets.cpg0004 import standin as lincs
    from mapreprod.datasets.cpjump1 import standin as jump
    from mapreprod.datasets.cpjump1.feature_names import FEATURE_NAMES

    names = jump.feature_names(1000)
    assert names[:300] == list(FEATURE_NAMES) and len(set(names)) == 1000
    names = lincs.feature_names(609)
    assert names[: len(lincs.FEATURE_NAMES)] == list(lincs.FEATURE_NAMES) and len(set(names)) == 609
    last = len(lincs.FEATURE_NAMES) - 1
    assert lincs.feature_names(60) == [lincs.FEATURE_NAMES[i] for i in
                                       np.linspace(0, last, 60).round().astype(int)]


def test_cell_health_redundant_features_are_near_copies_and_leave_the_rest_as_it_was():
    from mapreprod.datasets.cellhealth.standin import make_cellhealth
    from mapreprod.standin import DUPLICATED_FEATURE, SPECIAL_FEATURES

    plain = make_cellhealth(n_guides=10, n_features=300)
    copied = make_cellhealth(n_guides=10, n_features=300, redundant_features=100)
    a = pd.concat(plain.plates.values(), ignore_index=True)
    b = pd.concat(copied.plates.values(), ignore_index=True)
    feats = [c for c in a.columns if c.startswith(("Cells_", "Cytoplasm_", "Nuclei_"))]
    changed = [c for c in feats if not a[c].equals(b[c])]
    assert len(changed) == 100
    # (the special near-duplicate is a copy by design, not one of the redundant features)
    unchanged = [c for c in feats if c not in changed and c not in SPECIAL_FEATURES
                 and c != DUPLICATED_FEATURE]
    corr = b[feats].corr()
    # every replaced feature is a copy (r > 0.9 within a cell line) of an untouched one
    for cell, rows in b.groupby("Metadata_cell_line").groups.items():
        c = b.loc[rows, feats].corr()
        assert (c.loc[changed, unchanged].max(axis=1) > 0.9).all(), cell
    assert corr.loc[unchanged, unchanged].where(~np.eye(len(unchanged), dtype=bool)).abs().max().max() < 0.9
    pd.testing.assert_frame_equal(a.drop(columns=changed), b.drop(columns=changed))
    pd.testing.assert_frame_equal(plain.truth, copied.truth)


def hub_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drugs and samples tables (Repurposing Hub columns that matter) with multi-target drugs."""
    targets = ["A|B", "A", "A|C", "B|C", "C", np.nan, np.nan, "D", "D|A", "B"]
    drugs = pd.DataFrame({"pert_iname": [f"drug{i}" for i in range(10)], "moa": "x",
                          "target": targets})
    samples = pd.DataFrame({
        "broad_id": [f"BRD-K{10000000 + i:08d}-001-01-{i}" for i in range(10)],
        "pert_iname": [f"drug{i}" for i in range(10)],
        "deprecated_broad_id": np.nan,
        "InChIKey": [f"KEY{i}" for i in range(10)],
    })
    return drugs, samples


def test_cpg0004_hub_compounds_keep_their_own_target_lists():
    from mapreprod.datasets.cpg0004.standin import SyntheticDesign, choose_compounds

    drugs, samples = hub_tables()
    design = SyntheticDesign(plate_maps=1, compounds_per_plate_map=10, consistent_targets=1,
                             inconsistent_targets=0, compounds_per_target=4,
                             unannotated_fraction=0.2, compound_source="hub", n_features=10)
    got = choose_compounds(drugs, samples, design, seed=3)
    assert len(got) == 10 and got["broad_sample"].is_unique
    target_of = dict(zip(samples["broad_id"], drugs["target"]))
    assert [t if isinstance(t, str) else None for t in got["target"]] == [
        target_of[s] if isinstance(target_of[s], str) else None for s in got["broad_sample"]]
    assert (got["role"] == "unannotated").sum() == 2 == got["target"].isna().sum()
    # the one consistent target must be carried by >= 4 chosen compounds: only A is (drugs 0-2, 8)
    consistent = got[got["role"] == "consistent"]
    assert set(consistent["planted_target"]) == {"A"}
    assert sorted(consistent["target"]) == ["A", "A|B", "A|C", "D|A"]
    assert sorted(got.loc[got["role"] == "other", "target"]) == ["B", "B|C", "C", "D"]
    with pytest.raises(ValueError, match="consistent targets"):
        choose_compounds(drugs, samples, SyntheticDesign(
            plate_maps=1, compounds_per_plate_map=10, consistent_targets=2, inconsistent_targets=0,
            compounds_per_target=4, unannotated_fraction=0.2, compound_source="hub",
            n_features=10), seed=3)


def test_mitocheck_control_blocks_are_one_csv_with_repeating_blocks_read_by_the_pipeline(tmp_path):
    from mapreprod.datasets.mitocheck import inputs, standin

    design = standin.SyntheticDesign(n_cells=60, n_classes=4, n_genes=6, n_dp_features=8,
                                     n_control_rows=250, control_block_rows=100,
                                     control_distinct_blocks=1)
    training, controls, _ = standin.generate(design)
    assert controls is None and len(training) > 0
    path = tmp_path / "controls.zip"
    assert standin.write_control_blocks(design, path) == 250
    with zipfile.ZipFile(path) as archive:
        raw = archive.read(standin.CONTROL_MEMBER)
    table = pd.read_csv(io.BytesIO(gzip.decompress(raw)))
    assert len(table) == 250 and inputs.count_rows(path, standin.CONTROL_MEMBER) == 250
    # the columns of the in-memory writer's table
    small = standin.SyntheticDesign(n_cells=60, n_classes=4, n_genes=6, n_dp_features=8,
                                    n_control_rows=20)
    assert list(table.columns) == list(standin.generate(small)[1].columns)
    # block 2 repeats block 1 (one distinct block); the short last block is drawn on its own
    pd.testing.assert_frame_equal(table.iloc[100:200].reset_index(drop=True),
                                  table.iloc[:100].reset_index(drop=True))
    assert not table.iloc[200:, :].reset_index(drop=True).equals(
        table.iloc[:50].reset_index(drop=True))
    assert (table["Metadata_Gene"] == "negative control").all()
    sample = inputs.read_control_sample(path, standin.CONTROL_MEMBER, 0.1, 0, 30)
    assert len(sample) == 25
