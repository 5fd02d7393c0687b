"""Cell Health library (mapreprod.datasets.cellhealth): preprocessing choices, subsets, pairings,
feature groups, CERES mapping, figure subsets. Planted-signal runs are in
test_synthetic_cellhealth.py."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import combine_pvalues

import mapeval
import mapreprod.preprocess
from mapreprod.datasets import cellhealth as ch
from mapreprod.datasets.cellhealth import figures as chfig
from mapreprod.settings import MapSettings

warnings.filterwarnings("ignore", message=".*copy_on_write.*")


# --- feature selection: which pycytominer 1.7.1 operation is 1.2.2's variance_threshold ------


def variance_threshold_122(df: pd.DataFrame, freq_cut=0.05, unique_cut=0.01) -> set[str]:
    """pycytominer 1.2.2's variance_threshold, written out from its documented rule: drop a
    feature if (2nd most common count / most common count) < freq_cut (or it has < 2 values),
    or if (unique values / rows) < unique_cut."""
    dropped = set()
    for col in df.columns:
        counts = df[col].value_counts()
        if len(counts) < 2 or counts.iloc[1] / counts.iloc[0] < freq_cut:
            dropped.add(col)
        if df[col].nunique() / len(df) < unique_cut:
            dropped.add(col)
    return dropped


@pytest.fixture(scope="module")
def low_information_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    return pd.DataFrame({
        # 295 zeros, 5 ones: 2nd/1st frequency 0.017 < 0.05, variance 0.016 (a variance filter keeps it)
        "Cells_AreaShape_Rare": np.r_[np.zeros(295), np.ones(5)],
        # two alternating values: frequency ratio 1, but 2 / 300 unique < 0.01
        "Cells_Intensity_TwoLevels_DNA": np.tile([0.0, 1.0], n // 2),
        # continuous with variance 1e-10: frequency and uniqueness fine, a variance filter drops it
        "Nuclei_Texture_Tiny_RNA_5_0": 1e-5 * rng.normal(size=n),
        "Cytoplasm_Granularity_1_Mito": rng.normal(size=n),
        "Cells_Number_Object_Number": np.ones(n),
    })


def test_frequency_threshold_not_variance_threshold_reproduces_122(low_information_frame):
    from pycytominer.operations import frequency_threshold, variance_threshold

    df = low_information_frame
    feats = list(df.columns)
    expected = variance_threshold_122(df)
    assert expected == {"Cells_AreaShape_Rare", "Cells_Intensity_TwoLevels_DNA",
                        "Cells_Number_Object_Number"}
    assert set(frequency_threshold(df, features=feats)) == expected
    assert set(variance_threshold(df, features=feats)) != expected


def test_select_features_translates_the_authors_operation_name(low_information_frame):
    df = low_information_frame
    out = mapreprod.preprocess.select_features(df, list(df.columns), ["variance_threshold"])
    assert set(df.columns) - set(out.columns) == variance_threshold_122(df)


# --- metadata, subsets ------------------------------------------------------------------------


def raw_plate(genes_wells: dict[str, int], plate="SQ00014610", cell="A549", n_feats=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    k = 0
    for pert, n in genes_wells.items():
        gene = pert.split("-")[0]
        for _ in range(n):
            rows.append((plate, f"A{k + 1:02d}", "A", k + 1, gene, pert, np.nan, cell))
            k += 1
    df = pd.DataFrame(rows, columns=list(ch.RAW_METADATA))
    for j in range(n_feats):
        df[f"Cells_Intensity_Mean{j}_DNA"] = rng.normal(size=len(df))
    return df


def test_tidy_metadata_renames_plate_and_well_and_drops_broad_sample():
    out = ch.tidy_metadata(raw_plate({"AKT1-1": 2}))
    assert {"Metadata_Plate", "Metadata_Well"} <= set(out.columns)
    assert "Metadata_broad_sample" not in out.columns
    assert not any(c.startswith("Image_") for c in out.columns)


def test_tidy_metadata_names_the_missing_column():
    bad = raw_plate({"AKT1-1": 2}).drop(columns="Metadata_pert_name")
    with pytest.raises(ValueError, match="Metadata_pert_name"):
        ch.tidy_metadata(bad, "plate.csv.gz")


def three_plates(wells_per_plate: dict[str, int], cell="A549") -> pd.DataFrame:
    plates = [p for p, c in ch.PLATE_CELL_LINE.items() if c == cell]
    return pd.concat([ch.tidy_metadata(raw_plate(wells_per_plate, p, cell, seed=i))
                      for i, p in enumerate(plates)], ignore_index=True)


def test_subset_keeps_guides_with_exactly_six_wells_and_all_controls():
    df = three_plates({"AKT1-1": 2, "AKT1-2": 1, "MYC-1": 3, "Chr2-1": 4, "Luc-1": 2, "EMPTY": 5})
    cut = ch.replicate_subset(df, "A549", "cutting")
    assert set(cut.loc[cut[ch.IS_CONTROL] == 0, ch.PERT]) == {"AKT1-1"}
    assert (cut[ch.IS_CONTROL] == 1).sum() == 3 * (4 + 2)
    # controls get their own row index, guides -1
    ctrl = cut[ch.IS_CONTROL] == 1
    assert (cut.loc[ctrl, ch.CONTROL_INDEX] == np.flatnonzero(ctrl)).all()
    assert (cut.loc[~ctrl, ch.CONTROL_INDEX] == -1).all()
    emp = ch.replicate_subset(df, "A549", "empty")
    assert set(emp.loc[emp[ch.IS_CONTROL] == 1, ch.GENE]) == {"EMPTY"}
    # docs/methods.md §3.3 caveat, kept as the authors had it: with EMPTY controls, a cutting-control guide
    # with exactly 6 wells counts as a guide
    assert set(emp.loc[emp[ch.IS_CONTROL] == 0, ch.PERT]) == {"AKT1-1", "Luc-1"}


def test_unknown_control_type_is_rejected():
    with pytest.raises(ValueError, match="control"):
        ch.control_genes("positive")


def test_plate_pairs_in_order_of_first_appearance():
    assert ch.plate_pairs(["b", "a", "b", "c"]) == [("b", "a"), ("b", "c"), ("a", "c")]


def test_plate_well_combines_the_three_plate_pairs_with_stouffer():
    rng = np.random.default_rng(1)
    df = three_plates({"AKT1-1": 2, "MYC-1": 2, "Chr2-1": 4, "EMPTY": 1}, "ES2")
    feats = ch.cp_features(df)
    df.loc[df[ch.PERT] == "AKT1-1", feats] += 2.0 + rng.normal(size=(6, len(feats)))
    out = ch.plate_well_position(df, "mad_robustize", MapSettings(null_size=200, seed=3))
    assert len(out) == 2 * 3  # guides x modes (only ES2 has wells)
    es2 = out.loc[(out["Cell type"] == "ES2") & (out["mode"] == "different plate, different well")]
    # oracle: the three per-pair mAP calls, averaged and Stouffer-combined by hand
    subset = ch.replicate_subset(df, "ES2")
    per_pair = []
    for plates in ch.plate_pairs(subset[ch.PLATE]):
        pair = subset.loc[subset[ch.PLATE].isin(plates)].reset_index(drop=True)
        ap = mapeval.average_precision(
            pair[[c for c in pair.columns if c.startswith("Metadata_")]], pair[feats],
            [ch.PERT, ch.CONTROL_INDEX], [ch.PLATE, ch.WELL], [], [ch.PERT, ch.CONTROL_INDEX])
        per_pair.append(mapeval.mean_average_precision(ap, ch.PERT, null_size=200, seed=3))
    both = pd.concat(per_pair)
    for guide, rows in both.groupby(ch.PERT):
        got = es2.set_index(ch.PERT).loc[guide]
        assert got["mAP"] == pytest.approx(rows["mean_average_precision"].mean())
        assert got["p_value"] == pytest.approx(combine_pvalues(rows["p_value"], method="stouffer").pvalue)
        assert got["p < 0.05"] == (got["p_value"] < 0.05)  # no BH step


@pytest.fixture
def three_cell_lines():
    return pd.concat([three_plates({"AKT1-1": 2, "MYC-1": 2, "Chr2-1": 4, "EMPTY": 1}, c)
                      for c in ch.CELL_LINES], ignore_index=True)


def test_plate_well_has_one_row_per_guide_mode_and_cell_line(three_cell_lines):
    out = ch.plate_well_position(three_cell_lines, "standardize", MapSettings(null_size=50))
    assert len(out) == 2 * 3 * 3
    assert set(out["Preprocessing"]) == {"Standardize"}
    assert list(out.columns) == [ch.PERT, "mode", "Preprocessing", "Cell type", "mAP", "p_value",
                                 "p < 0.05", "markers", "-log10(mAP p-value)", "test"]


def test_plate_well_bh_option_corrects_the_stouffer_p_within_cell_line_and_mode(three_cell_lines):
    settings = MapSettings(null_size=50, seed=1)
    raw = ch.plate_well_position(three_cell_lines, "standardize", settings)
    bh = ch.plate_well_position(three_cell_lines, "standardize", settings, bh=True)
    assert (raw["mAP"] == bh["mAP"]).all()
    for _, rows in raw.groupby(["Cell type", "mode"]):
        # statsmodels' fdr_bh is the independent oracle of the caption's BH
        from statsmodels.stats.multitest import multipletests

        expected = multipletests(rows["p_value"], method="fdr_bh")[1]
        assert np.allclose(bh.loc[rows.index, "p_value"], expected)
        assert (bh.loc[rows.index, "p < 0.05"] == (expected < 0.05)).all()


def test_activity_ap_pvalues_are_bh_corrected_within_the_call(three_cell_lines):
    subset = ch.replicate_subset(three_cell_lines, "HCC44")
    m, a = ch.phenotypic_activity(subset, MapSettings(null_size=100, seed=0))
    assert len(m) == 2 and len(a) == 12  # 2 guides x 6 replicates; controls have no AP
    raw = mapeval.ap_p_values(a.rename(columns={"AP": "average_precision"}), 100, seed=0)
    assert np.allclose(a["p_value"], mapeval.benjamini_hochberg(raw))
    assert (m["markers"] == np.where(m["below_p"], "p<0.05", "p>=0.05")).all()


# --- feature groups -------------------------------------------------------------------------


FEATURES = [
    "Cells_AreaShape_Area",
    "Cells_Correlation_K_Mito_ER",
    "Cells_Intensity_MeanIntensity_Mito",
    "Nuclei_Texture_SumAverage_DNA_5_0",
    "Nuclei_Texture_Correlation_RNA_5_0",
    "Cytoplasm_RadialDistribution_FracAtD_AGP_1of4",
]


def test_channel_groups_use_substrings_so_correlations_count_twice():
    g = ch.channel_groups(FEATURES)
    assert g["Mito"] == ["Cells_Correlation_K_Mito_ER", "Cells_Intensity_MeanIntensity_Mito"]
    assert g["ER"] == ["Cells_Correlation_K_Mito_ER"]
    assert not any("Cells_AreaShape_Area" in v for v in g.values())


def test_compartment_groups_are_compartment_and_feature_type_prefixes():
    g = ch.compartment_groups(FEATURES)
    assert list(g) == ["Cells_AreaShape", "Cells_Correlation", "Cells_Intensity",
                       "Cytoplasm_RadialDistribution", "Nuclei_Texture"]
    # Texture_Correlation is a texture feature, not a correlation feature
    assert g["Nuclei_Texture"] == FEATURES[3:5]


# --- CERES ----------------------------------------------------------------------------------


def test_ceres_columns_map_symbols_to_entrez_offline():
    t = ch.ceres_symbols(["A1BG (1)", "HIF1A (3091)", "DepMap_ID", "odd name"])
    assert t.to_dict("records") == [
        {"column": "A1BG (1)", "symbol": "A1BG", "entrez": 1},
        {"column": "HIF1A (3091)", "symbol": "HIF1A", "entrez": 3091},
    ]


def test_ceres_merge_keeps_cell_health_lines_and_matches_case_insensitively():
    ceres = pd.DataFrame({"DepMap_ID": ["ACH-1", "ACH-2", "ACH-3"],
                          "HIF1A (3091)": [-0.5, -0.1, 0.2], "KRAS (3845)": [-1.0, -0.2, 0.0]})
    info = pd.DataFrame({"DepMap_ID": ["ACH-1", "ACH-2", "ACH-3"],
                         "stripped_cell_line_name": ["A549", "MCF7", "ES2"]})
    long = ch.ceres_long(ceres, info)
    assert set(long["Cell type"]) == {"A549", "ES2"} and len(long) == 4
    act = pd.DataFrame({ch.PERT: ["HIF1a-1", "HIF1a-1", "XBP-1"], ch.GENE: ["HIF1a", "HIF1a", "XBP"],
                        "Cell type": ["A549", "ES2", "A549"], "mAP": [0.5, 0.2, 0.9]})
    merged = ch.merge_ceres(act, long)
    assert merged[[ch.PERT, "Cell type", "ceres_score", "_id"]].values.tolist() == [
        ["HIF1a-1", "A549", -0.5, 3091], ["HIF1a-1", "ES2", 0.2, 3091]]


# --- consistency and figure subsets ----------------------------------------------------------


def test_gene_filter_needs_two_active_guides_at_head_one_in_e9a5414():
    act = pd.DataFrame({ch.PERT: ["A-1", "A-2", "B-1", "B-2"], "Cell type": "ES2",
                        "p < 0.05": [True, True, True, False]})
    genes = pd.DataFrame({ch.PERT: ["A-1", "A-2", "B-1", "B-2"], ch.GENE: ["A", "A", "B", "B"]})
    assert ch.genes_passing(act, genes, "ES2", 2) == ["A"]
    assert ch.genes_passing(act, genes, "ES2", 1) == ["A", "B"]
    assert ch.genes_passing(act, genes, "A549", 1) == []


def test_fig3c_takes_positions_0_to_13_and_18_of_guides_active_in_two_lines():
    names = [f"G{i:02d}-1" for i in range(25)]
    rows = [(n, c, True) for n in names for c in ("A549", "ES2")]
    rows += [("Z-only-one", "A549", True), ("Y-never", "ES2", False)]
    act = pd.DataFrame(rows, columns=[ch.PERT, "Cell type", "p < 0.05"])
    assert chfig.fig3c_guides(act) == names[:14] + [names[18]]


def test_reproduction_table_covers_every_cell_health_row_of_spec_10():
    figures = {"Fig 3A", "Fig 3B", "Fig 3C", "Fig S6A", "Fig S6B", "Fig 3D", "Fig S6C", "Fig 3E",
               "Fig 3F"}
    pw = pd.DataFrame([(g, m, p, c, 0.5, 0.01, True, "p<0.05", 2.0)
                       for g in ("A-1",) for m in ch.PLATE_WELL_MODES
                       for p in ch.PREPROCESSINGS.values() for c in ch.CELL_LINES],
                      columns=[ch.PERT, "mode", "Preprocessing", "Cell type", "mAP", "p_value",
                               "p < 0.05", "markers", "-log10(mAP p-value)"])
    act = pd.DataFrame([("A-1", c, 0.5, True, 2.0) for c in ch.CELL_LINES],
                       columns=[ch.PERT, "Cell type", "mAP", "p < 0.05", "-log10(mAP p-value)"])
    stack = ch.activity_with_controls(act, act, pd.DataFrame({ch.PERT: ["A-1"], ch.GENE: ["A"]}))
    chan = pd.DataFrame([("A-1", c, k, 0.5, 2.0) for c in ch.CELL_LINES for k in ch.CHANNELS],
                        columns=[ch.PERT, "cell_type", "channel", "dropped", "exclusive"])
    comp = pd.DataFrame([("A-1", c, f"{k}_{t}", k, t, 2.0, 0.5) for c in ch.CELL_LINES
                         for k in ch.COMPARTMENTS for t in ch.FEATURE_TYPES],
                        columns=[ch.PERT, "cell_line", "feature_group", "compartment",
                                 "feature_type", "dropped", "exclusive"])
    cons = pd.DataFrame({ch.GENE: ["A"] * 3, "Cell type": list(ch.CELL_LINES), "p < 0.05": True})
    cons_ap = pd.DataFrame({ch.GENE: ["CDK4"], ch.PERT: ["CDK4-1"], "Cell type": ["A549"],
                            "p < 0.05": [False]})
    ap = pd.DataFrame({ch.PERT: ["ATF4-1"] * 6, "Cell type": "ES2", "p < 0.05": [True] * 5 + [False]})
    out = ch.reproduction_table(pw, act, stack, chan, comp, cons, cons_ap, ap, None, "test")
    assert list(out.columns) == ["figure", "quantity", "paper", "ours", "note"]
    assert set(out["figure"]) == figures
    assert out["note"].str.startswith("test").all()
    tests = out[out["quantity"] == "test of the calls (map.test)"]
    assert set(tests["figure"]) == figures - {"Fig S6B"} and set(tests["ours"]) == {"NA"}  # no test column
    out = out.drop(tests.index)
    assert out.loc[out["quantity"].str.startswith("ATF4-1"), "ours"].item() == "5 of 6"
    assert "A549 1 of 1" in out.loc[out["figure"] == "Fig 3F", "ours"].item()
    # the paper's values come from paper_values.tsv (docs/methods.md §10: 49% mean activity, 54-92% consistency)
    paper = dict(zip(out["quantity"], out["paper"]))
    assert paper["activity percent retrieved, mean over cell lines"] == "49%"
    assert paper["consistency percent retrieved per cell line (range)"] == "54-92%"
    assert "not reported" not in set(out["paper"])


# --- figures --------------------------------------------------------------------------------


def test_s6a_labels_each_control_type_with_its_own_mean_map_and_retrieval():
    rows = []
    for label, m, sig in (("cutting_control", 0.8, True), ("perturbation_control", 0.2, False)):
        for c in ch.CELL_LINES:
            rows.append(("A-1", c, m, sig, 3.0 if sig else 0.5, label))
    t = pd.DataFrame(rows, columns=[ch.PERT, "Cell type", "mAP", "p < 0.05",
                                    "-log10(mAP p-value)", "control_barcodes"])
    fig = chfig.plot_control_comparison(t)
    texts = [x.get_text() for x in fig.axes[0].texts]
    assert any("Cutting" in x and "0.80" in x and "100%" in x for x in texts)
    assert any("EMPTY" in x and "0.20" in x and "0%" in x for x in texts)


def test_fig3c_table_holds_only_the_selected_guides():
    names = [f"G{i:02d}-1" for i in range(20)]
    act = pd.DataFrame([(n, c, True) for n in names for c in ("A549", "ES2")],
                       columns=[ch.PERT, "Cell type", "p < 0.05"])
    ap = pd.DataFrame([(n, "ES2", 0.9, True, 3.0) for n in names for _ in range(6)],
                      columns=[ch.PERT, "Cell type", "AP", "p < 0.05", "-log10(AP p-value)"])
    table, fig = chfig.FIGURES["fig3c"]({"activity_map": act, "activity_ap": ap}, {"seed": 0})
    assert sorted(table[ch.PERT].unique()) == names[:14] + [names[18]]
    assert len(fig.axes) >= 15


def test_activity_scores_with_the_similarity_threshold_null_and_seed_of_the_settings(three_cell_lines):
    # oracle: the engine called by hand with the Fig 3B pairing (docs/methods.md §3.5)
    subset = ch.replicate_subset(three_cell_lines, "ES2")
    settings = MapSettings(similarity="euclidean", null_size=80, seed=4, threshold=0.3)
    m, a = ch.phenotypic_activity(subset, settings)
    meta = subset[[c for c in subset.columns if c.startswith("Metadata_")]]
    ap = mapeval.average_precision(meta, subset[ch.cp_features(subset)].to_numpy(),
                                   [ch.PERT, ch.CONTROL_INDEX], [], [],
                                   [ch.PERT, ch.CONTROL_INDEX, ch.IS_CONTROL],
                                   similarity="euclidean")
    want = mapeval.mean_average_precision(ap, ch.PERT, 80, threshold=0.3, seed=4)
    np.testing.assert_array_equal(m["mAP"], want["mean_average_precision"])
    np.testing.assert_array_equal(m["p_value"], want["p_value"])
    assert (m["p < 0.05"] == want["below_corrected_p"]).all()  # the settings' threshold, 0.3
    scored = ap.loc[ap["average_precision"].notna()].reset_index(drop=True)
    raw = mapeval.ap_p_values(scored, 80, seed=4)
    np.testing.assert_array_equal(a["p_value"], mapeval.benjamini_hochberg(raw))
    assert (a["p < 0.05"] == (a["p_value"] < 0.3)).all()
