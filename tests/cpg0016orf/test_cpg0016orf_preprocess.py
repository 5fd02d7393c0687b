"""cpg0016[orf] annotation and well filters before S7B.

Oracles: hand-made tables for each filter (expected rows written out by hand) and the authors'
steps re-done on whole DataFrames (orf_authors_oracle.authors_filtered_wells) on the stand-in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.cpg0016orf import inputs, preprocess
from orf_authors_oracle import authors_filtered_wells
from orf_testdata import read_and_filter, write_inputs

ORF_COLS = list(inputs.ORF_METADATA_REQUIRED)


def _orf_metadata(rows):
    """rows: (JCP, broad_sample, symbol, gene, pert_type, complexname)."""
    return pd.DataFrame(rows, columns=ORF_COLS)


def _profiles(rows, features):
    meta = pd.DataFrame(rows, columns=list(inputs.PROFILE_METADATA))
    return inputs.Profiles(meta, np.asarray(features, dtype=np.float32),
                           [f"X_{i + 1}" for i in range(np.shape(features)[1])])


ORFS = _orf_metadata([
    ("J1", "b1", "G1", "1", "trt", "C1"),
    ("J2", "b2", "G2", "2", "trt", None),
    ("J9", "BAD CONSTRUCT", "BADSYM", "9", "trt", None),  # given a symbol: only the BAD filter drops it
    ("J0", "b0", None, None, "trt", None),  # no symbol
    ("N1", "bn", "LacZ", "LacZ", "negcon", None),
    ("E1", "be", "eGFP", "eGFP", "poscon", None),
    ("JX", "bx", "GX", "7", None, None),  # missing pert_type: kept (query semantics)
])
COMPOUNDS = pd.DataFrame({"Metadata_JCP2022": ["JCP2022_999999", "C5"]})


def test_annotation_labels_compounds_and_joins_inner():
    table = preprocess.annotation_table(ORFS, COMPOUNDS)
    labels = dict(zip(table["Metadata_JCP2022"], table["Metadata_pert_type"]))
    assert labels["JCP2022_999999"] == "empty" and labels["C5"] == "poscon"
    assert pd.isna(table.loc[table["Metadata_JCP2022"] == "C5", "Metadata_Symbol"]).all()
    meta = pd.DataFrame({"Metadata_Plate": ["P"] * 3, "Metadata_Well": ["A01", "A02", "A03"],
                         "Metadata_JCP2022": ["J1", "unknown", "C5"]})
    out = preprocess.annotate(meta, table)
    assert out["Metadata_JCP2022"].tolist() == ["J1", "C5"]  # unknown id dropped, order kept
    # an id listed twice duplicates its wells (pandas inner join, as the authors)
    twice = pd.concat([table, table[table["Metadata_JCP2022"] == "J1"]], ignore_index=True)
    assert preprocess.annotate(meta, twice)["Metadata_JCP2022"].tolist() == ["J1", "J1", "C5"]
    with pytest.raises(ValueError, match="Metadata_pert_type"):
        preprocess.annotate(meta.assign(Metadata_pert_type="trt"), table)


def test_each_filter_on_a_hand_made_plate():
    ids = ["J1", "J2", "J9", "J0", "N1", "E1", "JX", "JCP2022_999999", "C5"]
    rows = [("source_4", "P1", f"A{i + 1:02d}", j) for i, j in enumerate(ids)]
    feats = np.arange(len(ids) * 2, dtype=float).reshape(-1, 2) + 1
    feats[7, 1] = np.nan  # NaN only in an empty well: no feature is dropped for it
    prof = _profiles(rows, feats)
    experiment = pd.DataFrame({"Plate_Map_Name": ["M1"], "Assay_Plate_Barcode": ["P1"]})
    # J1's well A01 on plate map M1 is low-infection; J2's triple names another well
    reagents = pd.DataFrame({"Metadata_plate_map_name": ["M1", "M1", "M1"],
                             "Metadata_Well": ["A01", "A05", "A03"],
                             "Metadata_broad_sample": ["b1", "EMPTY", "bx"]})
    out, steps = preprocess.filter_profiles(prof, ORFS, COMPOUNDS, experiment, reagents)
    # annotated: all 9; empty wells: 999999 (empty), J0 (no symbol); C5 (poscon compound) has
    # no broad sample either -> dropped there; poscon: E1; BAD CONSTRUCT: J9; low-infection: J1
    assert out.meta["Metadata_JCP2022"].tolist() == ["J2", "N1", "JX"]
    assert steps.set_index("step")["wells"].to_dict() == {
        "profiles": 9, "annotated": 9, "remove empty wells": 6, "remove poscon": 5,
        "remove BAD CONSTRUCT": 4, "remove NaN features": 4, "remove low-infection wells": 3,
        "orf_reagents": 7, "genes": 6,
    }
    assert out.feature_names == ["X_1", "X_2"]
    np.testing.assert_array_equal(out.features, feats[[1, 4, 6]].astype(np.float32))
    assert out.meta["Metadata_plate_map_name"].tolist() == ["M1"] * 3


def test_nan_feature_dropped_only_when_a_kept_well_has_it():
    rows = [("s", "P1", "A01", "J1"), ("s", "P1", "A02", "N1"), ("s", "P2", "A01", "J1")]
    feats = np.array([[1, 2, 3], [4, np.nan, 6], [7, 8, 9]], dtype=float)
    experiment = pd.DataFrame({"Plate_Map_Name": ["M1"], "Assay_Plate_Barcode": ["P1"]})
    reagents = pd.DataFrame(columns=list(inputs.REAGENT_KEYS))
    out, _ = preprocess.filter_profiles(_profiles(rows, feats), ORFS, COMPOUNDS, experiment, reagents)
    assert out.feature_names == ["X_1", "X_3"]
    # P2 is not in the experiment table: its plate map is missing and its well is kept
    assert out.meta["Metadata_plate_map_name"].isna().tolist() == [False, False, True]
    assert len(out) == 3


@pytest.fixture(scope="module", params=["generated", "real"])
def standin_folder(request, tmp_path_factory):
    real_dir = None
    if request.param == "real":
        real_dir = request.getfixturevalue("shared_data") / "cpg0016orf"
    folder = tmp_path_factory.mktemp(f"orf_{request.param}")
    data = write_inputs(folder, real_dir=real_dir, seed=5)
    return folder, data


def test_filters_equal_the_authors_steps_on_the_standin(standin_folder):
    folder, data = standin_folder
    expected = authors_filtered_wells(folder).reset_index(drop=True)
    _, filtered, steps = read_and_filter(folder)
    ours = filtered.to_frame()
    assert sorted(ours.columns) == sorted(expected.columns)
    pd.testing.assert_frame_equal(ours[expected.columns], expected, check_dtype=False)
    # the stand-in exercises every filter
    wells = steps.set_index("step")["wells"]
    assert wells["annotated"] > wells["remove empty wells"] > wells["remove poscon"]
    # BAD CONSTRUCT has no symbol (as in the real table): already gone with the empty wells
    assert wells["remove BAD CONSTRUCT"] == wells["remove poscon"]
    assert wells["remove NaN features"] > wells["remove low-infection wells"]
    n_feat = steps.set_index("step")["features"]
    assert n_feat["remove NaN features"] == n_feat["remove BAD CONSTRUCT"] - 1
    low = set(data.truth.loc[data.truth["low_infection"], "Metadata_JCP2022"])
    assert low and not (low & set(ours["Metadata_JCP2022"]))
