"""Each single-cell AP design (gene / class grouping x CellProfiler / DeepProfiler features)
against independent computations: a brute-force AP from the formula, and the authors' exact
code path on copairs 0.5.5 (AP and per-AP p-values); the BH option against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mapreprod.datasets.mitocheck import activity, inputs, preprocess
from mapreprod.settings import MapSettings

GROUPINGS = ["Metadata_Gene", "Mitocheck_Phenotypic_Class"]


def _cells(seed: int = 0, n_controls: int = 25) -> pd.DataFrame:
    """A small scored table: 3 classes x genes (one gene with a single cell), controls."""
    rng = np.random.default_rng(seed)
    classes = ["Prometaphase"] * 7 + ["Large"] * 5 + ["Apoptosis"] * 6
    genes = ["KIF14"] * 4 + ["CDK4"] * 3 + ["KIF14"] * 2 + ["TOP1"] * 3 + ["RAB21"] * 5 + ["POLG"]
    n = len(classes)
    centre = {c: rng.normal(size=12) for c in set(classes)}
    cells = pd.DataFrame({
        "Mitocheck_Phenotypic_Class": classes + ["neg_control"] * n_controls,
        "Cell_UUID": [f"c{i}" for i in range(n + n_controls)],
        "Metadata_Plate": "LT0010_27",
        "Metadata_Gene": genes + ["negative control"] * n_controls,
    })
    cp = np.vstack([centre[c] for c in classes] + [np.zeros((n_controls, 12))])
    cp = cp * 0.8 + rng.normal(size=cp.shape)
    dp = rng.normal(size=(n + n_controls, 20))
    dp[:n] += 0.6 * np.array([[1.0 if c == "Large" else -0.5] * 20 for c in classes])
    for j in range(12):
        cells[f"CP__feature_{j}"] = cp[:, j]
    for j in range(20):
        cells[f"DP__efficientnet_{j}"] = dp[:, j]
    return cells


def _brute_force_ap(cells: pd.DataFrame, grouping: str, feature_set: str) -> np.ndarray:
    """AP of every labelled cell from the definition: rank the other labelled cells of its group
    (positives) and all control cells (negatives) by cosine similarity, ties positives first."""
    x = cells[inputs.feature_columns(cells, feature_set)].to_numpy()
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    is_ctl = (cells["Mitocheck_Phenotypic_Class"] == "neg_control").to_numpy()
    group = cells[grouping].to_numpy()
    aps = []
    for i in np.flatnonzero(~is_ctl):
        pos = [j for j in np.flatnonzero(~is_ctl) if j != i and group[j] == group[i]]
        neg = [j for j in np.flatnonzero(is_ctl) if group[j] != group[i]]
        if not pos:
            aps.append(np.nan)
            continue
        ranked = sorted([(-float(x[i] @ x[j]), 0) for j in pos] + [(-float(x[i] @ x[j]), 1) for j in neg])
        hits, total = 0, 0.0
        for k, (_, is_neg) in enumerate(ranked, start=1):
            if not is_neg:
                hits += 1
                total += hits / k
        aps.append(total / len(pos))
    return np.array(aps)


@pytest.mark.parametrize("grouping", GROUPINGS)
@pytest.mark.parametrize("feature_set", ["cp", "dp"])
def test_ap_matches_brute_force(grouping, feature_set):
    cells = _cells()
    ours = activity.single_cell_ap(cells, grouping, feature_set, MapSettings(null_size=200, seed=0))
    assert len(ours) == 18 and (ours["Features"] == feature_set).all()
    assert (ours["Mitocheck_Phenotypic_Class"] != "neg_control").all()
    np.testing.assert_allclose(ours["average_precision"], _brute_force_ap(cells, grouping, feature_set),
                               rtol=0, atol=1e-12)
    group_size = ours.groupby(grouping)[grouping].transform("size")
    np.testing.assert_array_equal(ours["n_pos_pairs"], group_size - 1)
    scored = ours["n_pos_pairs"] > 0
    np.testing.assert_array_equal(ours.loc[scored, "n_total_pairs"], ours.loc[scored, "n_pos_pairs"] + 25)


def test_cell_without_positives_gets_no_ap_and_is_not_retrieved():
    ours = activity.single_cell_ap(_cells(), "Metadata_Gene", "cp", MapSettings(null_size=200, seed=0))
    lone = ours[ours["Metadata_Gene"] == "POLG"]
    assert lone["average_precision"].isna().all() and lone["p_value"].isna().all()
    assert not lone["p < 0.05"].any()


def _authors_code(cells: pd.DataFrame, grouping: str, feature_set: str, null_size: int) -> pd.DataFrame:
    """The authors' 2_calculate_map.py (HEAD), on copairs 0.5.5."""
    from copairs import compute
    from copairs import map as copairs_map
    from copairs.matching import assign_reference_index

    df = assign_reference_index(cells.reset_index(drop=True),
                                condition="Mitocheck_Phenotypic_Class == 'neg_control'",
                                reference_col="Metadata_control_index")
    meta = df.filter(regex="^(?!CP__|DP__)").columns
    feats = df.filter(regex=f"^({feature_set.upper()}__)").columns
    ap = copairs_map.average_precision(
        df[meta], df[feats].values, pos_sameby=[grouping, "Metadata_control_index"], pos_diffby=[],
        neg_sameby=[], neg_diffby=[grouping, "Metadata_control_index"], progress_bar=False,
    ).query("Mitocheck_Phenotypic_Class != 'neg_control'").reset_index(drop=True)
    mask = ap["n_pos_pairs"] > 0
    p = np.full(len(ap), np.nan, dtype=np.float32)
    p[mask] = compute.p_values(ap.loc[mask, "average_precision"].values,
                               ap.loc[mask, ["n_pos_pairs", "n_total_pairs"]].values,
                               null_size, 0, progress_bar=False)
    ap["p_value"] = p
    ap["p < 0.05"] = ap["p_value"] < 0.05
    ap["-log10(AP p-value)"] = -np.log10(ap["p_value"])
    return ap


@pytest.mark.parametrize("grouping", GROUPINGS)
@pytest.mark.parametrize("feature_set", ["cp", "dp"])
def test_ap_and_p_values_match_the_authors_code_on_copairs(grouping, feature_set, tmp_path, monkeypatch):
    pytest.importorskip("copairs")
    monkeypatch.setenv("HOME", str(tmp_path))  # copairs caches nulls under ~/.copairs
    cells = _cells(seed=3)
    theirs = _authors_code(cells, grouping, feature_set, null_size=1000)
    ours = activity.single_cell_ap(
        cells, grouping, feature_set, MapSettings(null_size=1000, seed=0, null_sampler="copairs")
    )
    assert ours["Cell_UUID"].tolist() == theirs["Cell_UUID"].tolist()
    np.testing.assert_array_equal(ours["n_pos_pairs"], theirs["n_pos_pairs"])
    scored = theirs["n_pos_pairs"].to_numpy() > 0
    np.testing.assert_array_equal(ours["n_total_pairs"][scored], theirs["n_total_pairs"][scored])
    np.testing.assert_allclose(ours["average_precision"], theirs["average_precision"], rtol=1e-6)
    # copairs stores the p-values as float32
    np.testing.assert_allclose(ours["p_value"], theirs["p_value"], rtol=1e-6)
    np.testing.assert_array_equal(ours["p < 0.05"], theirs["p < 0.05"])
    np.testing.assert_allclose(ours["-log10(AP p-value)"], theirs["-log10(AP p-value)"], rtol=1e-5)


def test_bh_option_corrects_over_the_cells_of_one_call():
    statsmodels = pytest.importorskip("statsmodels.stats.multitest")
    cells = _cells(seed=5)
    engine = MapSettings(null_size=300, seed=0)
    raw = activity.single_cell_ap(cells, "Mitocheck_Phenotypic_Class", "dp", engine)
    bh = activity.single_cell_ap(cells, "Mitocheck_Phenotypic_Class", "dp", engine, correction="bh")
    np.testing.assert_array_equal(raw["p_value"], bh["p_value"])  # raw p kept either way
    expected = statsmodels.multipletests(raw["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(bh["corrected_p_value"], expected, rtol=1e-12)
    np.testing.assert_array_equal(bh["p < 0.05"], expected < 0.05)
    np.testing.assert_allclose(bh["-log10(AP p-value)"], -np.log10(expected))
    np.testing.assert_array_equal(raw["p < 0.05"], raw["p_value"] < 0.05)


def test_grouping_ap_stacks_cellprofiler_then_deepprofiler_in_cell_order():
    cells = _cells()
    ap = activity.grouping_ap(cells, "class", MapSettings(null_size=100, seed=0))
    assert ap["Features"].tolist() == ["cp"] * 18 + ["dp"] * 18
    assert ap["Cell_UUID"].tolist()[:18] == ap["Cell_UUID"].tolist()[18:]
    assert list(ap.columns[-len(activity.RESULT_COLUMNS):]) == activity.RESULT_COLUMNS
    assert "Metadata_control_index" in ap.columns
    summary = activity.summarize(ap).set_index("Features")
    assert summary.loc["cp", "mAP"] == pytest.approx(ap.loc[ap.Features == "cp", "average_precision"].mean())


def test_unknown_grouping_and_correction_are_refused():
    with pytest.raises(ValueError, match="grouping"):
        activity.single_cell_ap(_cells(), "Metadata_Well", "cp", MapSettings(null_size=10))
    with pytest.raises(ValueError, match="p_value_correction"):
        activity.single_cell_ap(
            _cells(), "gene", "cp", MapSettings(null_size=10), correction="bonferroni"
        )


# --- preprocessing -----------------------------------------------------------------------------


def _training_and_controls():
    cells = _cells()
    training = cells[cells["Mitocheck_Phenotypic_Class"] != "neg_control"].copy()
    controls = cells[cells["Mitocheck_Phenotypic_Class"] == "neg_control"].drop(
        columns="Mitocheck_Phenotypic_Class")
    extra = training.iloc[:3].copy()
    extra["Metadata_Gene"] = "failed QC"
    oof = training.iloc[3:5].copy()
    oof["Mitocheck_Phenotypic_Class"] = "OutOfFocus"
    training = pd.concat([training, extra, oof], ignore_index=True)
    training["CP__Location_Center_Z"] = 0.0
    controls["CP__Location_Center_Z"] = 0.0
    return training, controls


def test_preprocess_labels_controls_drops_qc_failures_and_out_of_focus():
    training, controls = _training_and_controls()
    merged = preprocess.preprocess_cells(training, controls, operations=[])
    assert len(merged) == 18 + 25
    assert (merged["Mitocheck_Phenotypic_Class"].iloc[18:] == "neg_control").all()
    assert not (merged["Metadata_Gene"] == "failed QC").any()
    assert not (merged["Mitocheck_Phenotypic_Class"] == "OutOfFocus").any()
    assert merged.index.tolist() == list(range(43))


def test_feature_selection_drops_constant_cellprofiler_features_only():
    training, controls = _training_and_controls()
    training["DP__constant"] = 1.0
    controls["DP__constant"] = 1.0
    merged = preprocess.preprocess_cells(training, controls)  # the authors' default
    assert "CP__Location_Center_Z" not in merged.columns
    assert "DP__constant" in merged.columns  # DeepProfiler features are not selected
    # the authors' column order: metadata, DeepProfiler, then the selected CellProfiler features
    cols = list(merged.columns)
    assert cols.index("DP__efficientnet_0") < cols.index("CP__feature_0")
    both = preprocess.preprocess_cells(training, controls, select_dp=True)
    assert "DP__constant" not in both.columns
