"""The generated CPJUMP1 stand-in: the real files' schema, the real replicate layout, the
negative-control normalization and planted signal that differs by modality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.cpjump1 import activity, inputs, preprocess, standin
from mapreprod.datasets.cpjump1.feature_names import FEATURE_NAMES
from mapreprod.settings import MapSettings

SMALL = standin.SyntheticDesign()


@pytest.fixture(scope="module")
def generated():
    layouts = standin.generated_layouts(seed=0)
    return layouts, standin.generate(layouts, SMALL, seed=0)


def test_generated_layouts_have_the_real_shape():
    lay = standin.generated_layouts(seed=1)
    comp = lay.platemaps["compound"]["broad_sample"]
    assert comp.isna().sum() == 64 and comp.value_counts().value_counts().to_dict() == {1: 292, 2: 14}
    crispr = lay.platemaps["crispr"].merge(lay.metadata["crispr"], on="broad_sample", how="left")
    assert crispr["broad_sample"].isna().sum() == 4
    assert crispr.query("control_type == 'negcon'")["broad_sample"].value_counts().eq(2).sum() == 30
    assert lay.metadata["crispr"]["gene"].nunique() == 160
    orf = lay.platemaps["orf"].merge(lay.metadata["orf"], on="broad_sample", how="left")
    counts = orf.dropna(subset=["broad_sample"]).groupby("control_type", dropna=False)["broad_sample"].value_counts()
    assert set(counts.loc["negcon"]) == {4} and len(counts.loc["negcon"]) == 15
    assert set(orf.dropna(subset=["broad_sample"])["well_position"].duplicated()) == {False}
    assert lay.annotations["target_list"].notna().all()


def test_profiles_have_the_real_schema_and_replicate_layout(generated):
    _, (experiment, annotations, profiles, truth) = generated
    assert set(profiles) == set(standin.standin_plates())
    assert len(profiles) == 51
    primary = inputs.primary_plates(experiment)
    for modality in inputs.MODALITIES:
        plates = primary.loc[primary["Perturbation"] == modality, "Assay_Plate_Barcode"]
        layout = None
        for plate in plates:
            df = profiles[plate]
            assert len(df) == 384 and (df["Metadata_Plate"] == plate).all()
            assert [c for c in df.columns if not c.startswith("Metadata_")] == list(FEATURE_NAMES[:120])
            needed = ["Metadata_Plate", "Metadata_Well", "Metadata_broad_sample", "Metadata_control_type"]
            assert set(needed) <= set(df.columns)
            if modality != "compound":
                assert "Metadata_gene" in df.columns
            here = df.set_index("Metadata_Well")["Metadata_broad_sample"].fillna("")
            layout = here if layout is None else layout
            assert here.equals(layout)  # same perturbation in the same well on every plate
    comp = profiles[primary.iloc[0]["Assay_Plate_Barcode"]]
    dmso = comp["Metadata_broad_sample"].isna()
    assert dmso.sum() == 64 and (comp.loc[dmso, "Metadata_control_type"] == "negcon").all()
    assert {"broad_sample", "target_list"} <= set(annotations.columns)
    assert set(truth["modality"]) == set(inputs.MODALITIES)


def test_profiles_are_normalized_to_their_negative_controls(generated):
    _, (_, _, profiles, _) = generated
    df = profiles["BR00118050"]
    feats = [c for c in df.columns if not c.startswith("Metadata_")]
    neg = df.loc[df["Metadata_control_type"] == "negcon", feats].to_numpy()
    np.testing.assert_allclose(np.median(neg, axis=0), 0, atol=1e-4)
    mad = 1.4826 * np.median(np.abs(neg - np.median(neg, axis=0)), axis=0)
    np.testing.assert_allclose(mad, 1, atol=1e-3)


def test_planted_signal_differs_by_modality(generated):
    _, (experiment, _, profiles, truth) = generated
    fr = {}
    for cond in ("compound_A549_short", "crispr_A549_short", "orf_A549_short"):
        plates = inputs.condition_plates(experiment, cond)
        df = preprocess.condition_profiles([profiles[p] for p in plates], cond.split("_")[0])
        _, classes = activity.replicate_retrieval(df, MapSettings(null_size=2000))
        fr[cond] = activity.fraction_retrieved(classes)
        if cond.startswith("compound"):
            hit = classes.merge(truth[truth["condition"] == cond], left_on="Metadata_broad_sample",
                                right_on="broad_sample")
            # planted actives are found far more often than planted inactives
            assert hit.loc[hit["active"], "above_q_threshold"].mean() > 0.8
            assert hit.loc[~hit["active"], "above_q_threshold"].mean() < 0.5
        if cond.startswith("orf"):
            _, same = activity.replicate_retrieval(df, MapSettings(null_size=2000), variant="same_well")
            _, diff = activity.replicate_retrieval(
                df, MapSettings(null_size=2000), variant="different_well"
            )
            # plate-layout confound: same-well replicates are the easiest, other wells the hardest
            ap_all, _ = activity.replicate_retrieval(df, MapSettings(null_size=10))
            assert same["mAP"].mean() > ap_all["average_precision"].mean() > diff["mAP"].mean()
            assert activity.fraction_retrieved(same) > activity.fraction_retrieved(diff)
    assert fr["compound_A549_short"] > fr["crispr_A549_short"] > fr["orf_A549_short"]


def test_written_files_read_back_through_the_input_readers(tmp_path):
    lay = standin.generated_layouts(seed=2)
    written = standin.write_standin(tmp_path, lay, standin.SyntheticDesign.from_config({"n_features": 8}), seed=2)
    experiment = inputs.read_experiment_metadata(written["experiment"])
    assert len(inputs.primary_plates(experiment)) == 40
    plate = "BR00116991"
    df = inputs.read_plate_profiles(tmp_path / inputs.profile_file(plate), plate)
    assert len(df) == 384
    ann = inputs.read_compound_annotations(written["annotations"])
    assert list(ann.columns) == ["Metadata_broad_sample", "Metadata_target_list"]
    assert not list(tmp_path.rglob("*.tmp"))


def test_design_errors_name_the_key():
    with pytest.raises(ValueError, match="unknown key"):
        standin.SyntheticDesign.from_config({"n_feature": 3})
    with pytest.raises(ValueError, match="n_features"):
        standin.SyntheticDesign.from_config({"n_features": standin.MAX_FEATURES + 1})
    with pytest.raises(ValueError, match="unknown modality"):
        standin.SyntheticDesign.from_config({"active_fraction": {"rna": 0.5}})
    with pytest.raises(ValueError, match="effect_min.orf"):
        standin.SyntheticDesign.from_config({"effect_min": {"orf": 2.0}})
    merged = standin.SyntheticDesign.from_config({"active_fraction": {"orf": 0.1}})
    assert merged.active_fraction == {"compound": 0.85, "crispr": 0.65, "orf": 0.1}


def test_real_layouts_are_used_when_given(shared_data):
    lay = standin.read_layouts({k: shared_data / "cpjump1" / f for k, f in standin.LAYOUT_FILES.items()})
    assert lay.source == "real"
    _, annotations, profiles, _ = standin.generate(lay, SMALL, seed=0)
    df = profiles["BR00116991"]
    real = pd.read_csv(shared_data / "cpjump1/JUMP-Target-1_compound_platemap.tsv", sep="\t")
    merged = df.merge(real, left_on="Metadata_Well", right_on="well_position")
    assert (merged["Metadata_broad_sample"].fillna("") == merged["broad_sample"].fillna("")).all()
    assert annotations["broad_sample"].str.startswith("BRD-").all()


def test_layout_source_auto_finds_local_files_or_a_local_mirror(tmp_path):
    assert standin.layout_source("generated", tmp_path, None) == "generated"
    assert standin.layout_source("real", tmp_path, None) == "real"
    assert standin.layout_source("auto", tmp_path, None) == "generated"
    assert standin.layout_source("auto", tmp_path, "https://example.org/mirror") == "generated"
    mirror = tmp_path / "mirror"
    for f in standin.LAYOUT_FILES.values():
        (mirror / "cpjump1" / f).parent.mkdir(parents=True, exist_ok=True)
        (mirror / "cpjump1" / f).write_text("x")
    assert standin.layout_source("auto", tmp_path / "resources", mirror) == "real"
    assert standin.layout_source("auto", tmp_path / "resources", mirror.as_uri()) == "real"
    assert standin.layout_source("auto", mirror / "cpjump1", None) == "real"
    with pytest.raises(ValueError, match="synthetic_metadata"):
        standin.layout_source("sometimes", tmp_path, None)


def test_config_and_schema_defaults_equal_the_design_defaults(repo_root):
    import yaml

    config = yaml.safe_load((repo_root / "config/config.yaml").read_text())["cpjump1"]["synthetic_design"]
    schema = yaml.safe_load((repo_root / "workflow/schemas/cpjump1.schema.yaml").read_text())
    props = schema["properties"]["synthetic_design"]["properties"]
    from_schema = {
        k: ({m: v["default"] for m, v in p["properties"].items()} if "properties" in p else p["default"])
        for k, p in props.items()
    }
    assert config == standin.SyntheticDesign().as_dict() == from_schema
