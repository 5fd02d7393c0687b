"""Bad input gets a clear ValueError naming the column or row, never a silent number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mapeval

ARGS = (["pert", "ref"], [], [], ["pert", "ref"])


@pytest.fixture()
def data():
    rng = np.random.default_rng(0)
    meta = pd.DataFrame({"pert": ["a", "a", "b", "b", "ctrl", "ctrl", "ctrl"]})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    return meta, rng.normal(size=(7, 3))


def test_nan_feature_names_row(data):
    meta, feats = data
    feats[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"finite.*row 3"):
        mapeval.average_precision(meta, feats, *ARGS)


def test_infinite_feature_names_column(data):
    meta, feats = data
    df = pd.DataFrame(feats, columns=["f1", "f2", "f3"])
    df.loc[2, "f3"] = np.inf
    with pytest.raises(ValueError, match="'f3'"):
        mapeval.average_precision(meta, df, *ARGS)


def test_missing_metadata_column(data):
    meta, feats = data
    with pytest.raises(ValueError, match="'Metadata_Plate' not found"):
        mapeval.average_precision(meta, feats, ["pert", "ref"], [], ["Metadata_Plate"], ["pert"])


def test_sameby_diffby_overlap(data):
    meta, feats = data
    with pytest.raises(ValueError, match=r"pos_sameby and pos_diffby.*\['pert'\]"):
        mapeval.average_precision(meta, feats, ["pert"], ["pert"], [], ["pert"])


def test_positives_without_negatives_are_refused(data):
    # copairs would return AP 1 and the smallest p-value here
    meta, feats = data
    meta["plate"] = [1, 1, 2, 2, 2, 2, 2]
    with pytest.raises(ValueError, match=r"no negative pairs.*row 0"):
        mapeval.average_precision(meta, feats, ["pert", "ref"], [], ["plate"], ["pert", "ref"])


def test_zero_norm_under_cosine(data):
    meta, feats = data
    feats[4] = 0
    with pytest.raises(ValueError, match=r"all-zero profiles: row\(s\) \[4\] have zero norm"):
        mapeval.average_precision(meta, feats, *ARGS)


@pytest.mark.parametrize("name", ["index", "Metadata pert", "Metadata-pert"])
def test_unusable_column_names(data, name):
    meta, feats = data
    meta = meta.rename(columns={"pert": name})
    with pytest.raises(ValueError, match="cannot be used for pairing"):
        mapeval.average_precision(meta, feats, [name, "ref"], [], [], [name, "ref"])


def test_empty_selection(data):
    meta, feats = data
    with pytest.raises(ValueError, match="empty selection"):
        mapeval.average_precision(meta.iloc[:0], feats[:0], *ARGS)
    with pytest.raises(ValueError, match="empty selection"):
        mapeval.average_precision(meta, feats[:, :0], *ARGS)


def test_non_numeric_features(data):
    meta, feats = data
    df = pd.DataFrame(feats, columns=["f1", "f2", "f3"]).assign(f2=list("abcdefg"))
    with pytest.raises(ValueError, match=r"non-numeric feature column.*'f2'"):
        mapeval.average_precision(meta, df, *ARGS)


def test_missing_metadata_values(data):
    meta, feats = data
    meta.loc[2, "pert"] = None
    with pytest.raises(ValueError, match=r"'pert' has missing values at row\(s\) \[2\]"):
        mapeval.average_precision(meta, feats, *ARGS)


def test_row_count_mismatch(data):
    meta, feats = data
    with pytest.raises(ValueError, match="6 rows but metadata has 7"):
        mapeval.average_precision(meta, feats[:6], *ARGS)


def test_no_positive_pairs(data):
    meta, feats = data
    meta["pert"] = list("abcdefg")
    with pytest.raises(ValueError, match="no positive pairs"):
        mapeval.average_precision(meta, feats, *ARGS)


def test_map_rejects_bad_arguments(data):
    meta, feats = data
    ap = mapeval.average_precision(meta, feats, *ARGS)
    with pytest.raises(ValueError, match="sameby column"):
        mapeval.mean_average_precision(ap, ["nope"], 10)
    with pytest.raises(ValueError, match="map_null"):
        mapeval.mean_average_precision(ap, ["pert"], 10, map_null="wrong")
    with pytest.raises(ValueError, match="null_sampler"):
        mapeval.mean_average_precision(ap, ["pert"], 10, null_sampler="wrong")
    with pytest.raises(ValueError, match="lacks column"):
        mapeval.mean_average_precision(ap.drop(columns="n_total_pairs"), ["pert"], 10)


def test_reference_index_without_controls(data):
    meta, _ = data
    with pytest.raises(ValueError, match="selects no rows"):
        mapeval.assign_reference_index(meta, "pert == 'DMSO'")
