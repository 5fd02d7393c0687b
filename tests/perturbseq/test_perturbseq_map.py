"""Each Perturb-seq AP design against an independent computation (docs/methods.md §7).

For every design the positives and negatives are listed here in the paper's words (the other
guides of the gene; the other cells of the guide; the neg profiles), the AP is computed from its
formula by sorting similarities, and the whole table is compared with copairs 0.5.5 run with
the authors' exact configuration (their ``calculate_map`` arguments, seed 0), p-values included
(mapeval's ``null_sampler="copairs"`` is bit-exact with copairs).
"""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from oracles import ap_of_list, bh, similarity32

from mapreprod.datasets import perturbseq as ps
from mapreprod.settings import MapSettings

warnings.filterwarnings("ignore", category=FutureWarning)

GUIDE, GENE, REF, CELL = (
    "Metadata_guide_identity", "Metadata_gene_identity", "Metadata_reference_index",
    "Metadata_cell_identity",
)


def design_ap(feats: np.ndarray, query: int, positives: list[int], negatives: list[int]) -> float:
    """AP of one query from its listed positives and negatives (ties: positives first)."""
    ranked = [(np.float32(1) - similarity32(feats[query], feats[j], "cosine"), 0 if j in positives else 1,
               int(j in positives)) for j in [*positives, *negatives]]
    ranked.sort(key=lambda r: (r[0], r[1]))
    return ap_of_list([r[2] for r in ranked])


# --- bulk (Fig 4E-F) -------------------------------------------------------------------------


def _bulk(seed: int = 0, unit: str = "guide"):
    """4 genes x 4 guides + 5 neg guides; graded shared signal per gene; Table S16 rows."""
    rng = np.random.default_rng(seed)
    rows, feats, s16 = [], [], []
    base = rng.normal(size=(4, 30))
    for g in range(4):
        for k in range(4):
            guide = f"GENE{g}_GENE{g}_+_{100 + g}.23-P1P2_{k:02d}"
            for grp in ([1] if unit == "guide" else [1, 2, 3]):
                rows.append({GUIDE: guide, GENE: f"GENE{g}", "Metadata_gemgroup": grp})
                feats.append(base[g] * (1 - 0.3 * k) + rng.normal(size=30))
            s16.append({"id": guide.split("_", 1)[1], "sequence": "G" * 20, "gene": f"GENE{g}",
                        "gamma_day5": -0.5, "gamma_day10": -0.4,
                        "relative_activity_day5": 1 - 0.3 * k, "relative_activity_day10": 1 - 0.3 * k})
    for n in range(5):
        for grp in ([1] if unit == "guide" else [1, 2, 3]):
            rows.append({GUIDE: f"neg_ctrl_non-targeting_{n:05d}", GENE: "neg", "Metadata_gemgroup": grp})
            feats.append(rng.normal(size=30))
    meta = pd.DataFrame(rows)
    if unit == "guide":
        meta = meta.drop(columns="Metadata_gemgroup")
    genes = pd.DataFrame(np.array(feats), columns=[f"g{i}" for i in range(30)])
    genes["const"] = 0.5  # variance 0: dropped by the variance filter
    s16 = pd.DataFrame(s16)
    s16["perturbation"] = s16["gene"] + "_" + s16["id"]
    return pd.concat([meta, genes], axis=1), s16


def test_bulk_ap_is_retrieval_of_same_gene_guides_against_neg_guides():
    bulk, s16 = _bulk(0)
    table = ps.bulk_map(bulk, s16, MapSettings(null_size=200, seed=0))
    feats = bulk[[f"g{i}" for i in range(30)]].to_numpy()
    genes = bulk[GENE].to_numpy()
    neg = list(np.flatnonzero(genes == "neg"))
    for i in np.flatnonzero(genes != "neg"):
        positives = [j for j in range(len(bulk)) if j != i and genes[j] == genes[i]]
        expected = design_ap(feats, i, positives, neg)
        got = table.loc[table["perturbation"] == bulk[GUIDE].iloc[i], "mAP"].item()
        assert got == pytest.approx(expected, abs=1e-12)
    assert len(table) == 16 and list(table.columns) == [*ps.BULK_COLUMNS, "test"]
    assert (table["test"] == "shared").all()


def test_bulk_table_equals_copairs_with_the_authors_config(tmp_path):
    copairs_map = pytest.importorskip("copairs.map")
    bulk, s16 = _bulk(1)
    ours = ps.bulk_map(bulk, s16, MapSettings(null_size=2000, seed=0, null_sampler="copairs"))
    # the authors' 3_calculate_map_perturbseq.py, bulk part
    df = bulk.query("Metadata_gene_identity != '*'").reset_index(drop=True)
    df[REF] = np.where(df[GENE] == "neg", df.index, -1)
    keep = [c for c in df.columns if not c.startswith("Metadata_") and df[c].var() > 0.001]
    meta = df.filter(regex="^Metadata_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ap = copairs_map.average_precision(meta, df[keep].to_numpy(), [GENE, REF], [], [], [GENE, REF],
                                           progress_bar=False)
        ap = ap.dropna(subset=["average_precision"])
        theirs = copairs_map.mean_average_precision(ap, [GUIDE, GENE], 2000, 0.05, 0,
                                                    progress_bar=False, cache_dir=tmp_path)
    theirs = theirs.merge(s16, left_on=GUIDE, right_on="perturbation")
    ours = ours.set_index("perturbation").loc[theirs["perturbation"]]
    np.testing.assert_allclose(ours["mAP"], theirs["mean_average_precision"], rtol=1e-12)
    np.testing.assert_array_equal(ours["p_value"], theirs["p_value"])
    np.testing.assert_array_equal(ours["corrected_p_value"], theirs["corrected_p_value"])
    np.testing.assert_array_equal(ours["p < 0.05"], theirs["below_corrected_p"])
    eps = np.finfo(float).eps
    np.testing.assert_allclose(ours["-log10(mAP p-value)"],
                               -np.log10(np.maximum(theirs["corrected_p_value"], eps)))
    np.testing.assert_allclose(ours["corrected_p_value"], bh(ours["p_value"].to_numpy()), rtol=1e-12)


def test_bulk_per_gemgroup_retrieves_a_guides_own_replicates():
    bulk, s16 = _bulk(2, unit="gemgroup")
    table = ps.bulk_map(bulk, s16, MapSettings(null_size=200), unit="gemgroup")
    feats = bulk[[f"g{i}" for i in range(30)]].to_numpy()
    guides, genes = bulk[GUIDE].to_numpy(), bulk[GENE].to_numpy()
    neg = list(np.flatnonzero(genes == "neg"))
    for guide in table["perturbation"]:
        rows = np.flatnonzero(guides == guide)
        aps = [design_ap(feats, i, [j for j in rows if j != i], neg) for i in rows]
        assert table.loc[table["perturbation"] == guide, "mAP"].item() == pytest.approx(np.mean(aps), abs=1e-12)


def test_bulk_profiles_are_per_guide_medians_without_multiplets():
    cells = pd.DataFrame({
        GUIDE: ["A_A_1", "A_A_1", "A_A_1", "*", "neg_ctrl_x", np.nan, "neg_ctrl_x"],
        "Metadata_gemgroup": [1, 2, 1, 1, 2, 1, 3],
        "x": [1.0, 5.0, 2.0, 9.0, 0.0, 7.0, 4.0],
        "y": [0.0, 1.0, 1.0, 9.0, 3.0, 7.0, 1.0],
    })
    bulk = ps.bulk_profiles(cells)
    assert list(bulk[GUIDE]) == ["A_A_1", "neg_ctrl_x"]
    assert list(bulk[GENE]) == ["A", "neg"]
    np.testing.assert_allclose(bulk[["x", "y"]], [[2.0, 1.0], [2.0, 2.0]])
    per_group = ps.bulk_profiles(cells, unit="gemgroup")
    assert list(zip(per_group[GUIDE], per_group["Metadata_gemgroup"])) == [
        ("A_A_1", 1), ("A_A_1", 2), ("neg_ctrl_x", 2), ("neg_ctrl_x", 3)]
    np.testing.assert_allclose(per_group["x"], [1.5, 5.0, 0.0, 4.0])


# --- single cell (Fig 5A-B) ----------------------------------------------------------------------


def _cells(seed: int = 0):
    """3 guides x 6 cells, 30 neg cells (+ a multiplet, a poor-coverage cell, an unassigned one)."""
    rng = np.random.default_rng(seed)
    rows, feats = [], []
    shifts = rng.normal(size=(3, 25))
    for g in range(3):
        for _ in range(6):
            rows.append({GUIDE: f"G{g}_G{g}_+_1.23-P1P2_0{g}", GENE: f"G{g}", "Metadata_good_coverage": True})
            feats.append(shifts[g] * (1.5 - 0.5 * g) + rng.normal(size=25))
    for n in range(30):
        rows.append({GUIDE: f"neg_ctrl_non-targeting_0000{n % 3}", GENE: "neg", "Metadata_good_coverage": True})
        feats.append(rng.normal(size=25))
    rows += [{GUIDE: "*", GENE: "*", "Metadata_good_coverage": True},
             {GUIDE: "G0_G0_+_1.23-P1P2_00", GENE: "G0", "Metadata_good_coverage": False},
             {GUIDE: np.nan, GENE: np.nan, "Metadata_good_coverage": np.nan}]
    feats += [rng.normal(size=25) for _ in range(3)]
    meta = pd.DataFrame(rows)
    meta.insert(0, CELL, [f"sc_profile_{i}" for i in range(len(meta))])
    return pd.concat([meta, pd.DataFrame(np.array(feats), columns=[f"f{i}" for i in range(25)])], axis=1)


def test_scored_cells_drop_multiplets_poor_coverage_and_unassigned():
    cells = ps.scored_cells(_cells())
    assert len(cells) == 48
    assert not cells[GENE].isin(["*"]).any() and cells[GUIDE].notna().all()
    ref = cells[REF].to_numpy()
    assert (ref[cells[GENE].eq("neg")] == np.flatnonzero(cells[GENE].eq("neg"))).all()
    assert (ref[~cells[GENE].eq("neg")] == -1).all()


def test_control_sample_equals_pandas_under_the_authors_global_seed():
    cells = ps.scored_cells(_cells())
    ours = ps.sample_controls(cells, 0.2, 42)
    np.random.seed(42)  # the authors' script: np.random.seed(42) at import, then .sample(frac=0.2)
    theirs = cells.query("Metadata_gene_identity == 'neg'").sample(frac=0.2)
    assert list(ours.index) == list(theirs.index) and len(ours) == 6


def test_single_cell_ap_is_retrieval_of_same_guide_cells_against_sampled_neg_cells():
    cells = ps.scored_cells(_cells(3))
    controls = ps.sample_controls(cells, 0.2, 42)
    features = ps.variable_features(cells)
    table = ps.single_cell_ap(cells, controls, features, MapSettings(null_size=200))
    feats = cells[features].to_numpy()
    guides = cells[GUIDE].to_numpy()
    neg = list(controls.index)  # rows of `cells`
    assert len(table) == 18
    for _, row in table.iterrows():
        i = int(np.flatnonzero(cells[CELL] == row[CELL])[0])
        positives = [j for j in np.flatnonzero(guides == guides[i]) if j != i]
        assert row["mAP"] == pytest.approx(design_ap(feats, i, positives, neg), abs=1e-12)


def test_single_cell_table_equals_copairs_with_the_authors_config(tmp_path):
    copairs_map = pytest.importorskip("copairs.map")
    cells = ps.scored_cells(_cells(4))
    controls = ps.sample_controls(cells, 0.2, 42)
    features = ps.variable_features(cells)
    ours = ps.single_cell_ap(
        cells, controls, features, MapSettings(null_size=1000, null_sampler="copairs")
    )
    subset = pd.concat([cells[cells[GENE] != "neg"], controls]).reset_index(drop=True)
    meta = subset[[CELL, GUIDE, GENE, REF]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ap = copairs_map.average_precision(meta, subset[features].to_numpy(), [GUIDE, REF], [], [],
                                           [GUIDE, REF], progress_bar=False)
        ap = ap.dropna(subset=["average_precision"])
        theirs = copairs_map.mean_average_precision(ap, [GUIDE, CELL], 1000, 0.05, 0,
                                                    progress_bar=False, cache_dir=tmp_path)
    merged = ours.merge(theirs, on=[GUIDE, CELL])
    assert len(merged) == len(ours) == 18
    np.testing.assert_allclose(merged["mAP"], merged["mean_average_precision"], rtol=1e-12)
    np.testing.assert_array_equal(merged["p_value_x"], merged["p_value_y"])
    np.testing.assert_array_equal(merged["corrected_p_value_x"], merged["corrected_p_value_y"])


def test_per_guide_calls_correct_within_each_guide():
    cells = ps.scored_cells(_cells(5))
    controls = ps.sample_controls(cells, 0.2, 42)
    features = ps.variable_features(cells)
    table = ps.single_cell_ap(cells, controls, features, MapSettings(null_size=500), calls="per_guide")
    for _, part in table.groupby(GUIDE):
        np.testing.assert_allclose(part["corrected_p_value"], bh(part["p_value"].to_numpy()), rtol=1e-12)
    pooled = ps.single_cell_ap(cells, controls, features, MapSettings(null_size=500), calls="all")
    np.testing.assert_allclose(np.sort(table["mAP"]), np.sort(pooled["mAP"]), rtol=1e-12)


def test_plotted_significance_uses_the_raw_p_value_by_default():
    table = pd.DataFrame({"p_value": [0.01, 0.2], "corrected_p_value": [0.08, 0.3]})
    raw = ps.significance(table)
    assert list(raw["p < 0.05"]) == [True, False]
    np.testing.assert_allclose(raw["-log10(mAP p-value)"], -np.log10([0.01, 0.2]))
    assert list(ps.significance(table, "corrected_p_value")["p < 0.05"]) == [False, False]


def test_variable_features_are_pandas_variance_above_threshold():
    df = pd.DataFrame({"Metadata_x": ["a", "b", "c"], "u": [0.0, 0.01, 0.02], "v": [0.0, 1.0, 2.0],
                       "w": [1.0, 1.0, 1.0]})
    assert ps.variable_features(df, 0.001) == ["v"]  # var(u) = 1e-4
    with pytest.raises(ValueError, match="variance_threshold"):
        ps.variable_features(df, 5.0)


# --- the finalised tables ----------------------------------------------------------------------


def test_single_cell_table_is_a_right_join_on_the_barcode():
    scaled = pd.DataFrame({"Metadata_barcode": ["AC-1", "GT-1", "TT-2"], "x": [1.0, 2.0, 3.0]})
    ids = pd.DataFrame({"cell_barcode": ["TT-2", "AC-1", "ZZ-3"], "guide_identity": ["neg_ctrl_n_1", "RAN_RAN_+_1.23-P1P2_12", "*"],
                        "read_count": [10, 20, 30], "UMI_count": [1, 2, 3], "coverage": [10.0, 10.0, 10.0],
                        "gemgroup": [2, 1, 3], "good_coverage": [True, True, False], "number_of_cells": [1, 1, 2]})
    table = ps.single_cell_table(scaled, ids)
    assert list(table[CELL]) == ["sc_profile_0", "sc_profile_1", "sc_profile_2"]
    assert list(table["Metadata_barcode"]) == ["AC-1", "GT-1", "TT-2"]
    assert table[GENE].tolist()[0] == "RAN" and pd.isna(table[GENE].iloc[1]) and table[GENE].iloc[2] == "neg"
    assert list(table["Metadata_sequence"]) == ["AC", "GT", "TT"]
    assert list(table["x"]) == [1.0, 2.0, 3.0]


def test_screen_phenotypes_are_read_from_the_supplement_zip(tmp_path):
    text = ("\tsequence\tgene\tgamma_day5\tgamma_day10\trelative_activity_day5\trelative_activity_day10\n"
            "RAN_+_131356438.23-P1P2_12\tGGCG\tRAN\t-0.04\t-0.03\t0.23\t0.21\n")
    path = tmp_path / "supp.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Table_S1.txt", "x")
        z.writestr(ps.PHENOTYPE_TABLE, text)
    table = ps.read_screen_phenotypes(path)
    assert table["perturbation"].tolist() == ["RAN_RAN_+_131356438.23-P1P2_12"]
    assert table["id"].tolist() == ["RAN_+_131356438.23-P1P2_12"]
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Table_S1.txt", "x")
    with pytest.raises(ValueError, match="Table_S16"):
        ps.read_screen_phenotypes(path)


def test_linear_fit_band_equals_statsmodels_ols_mean_interval():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 40)
    y = 0.2 + 0.6 * x + rng.normal(0, 0.1, 40)
    grid = np.linspace(-0.1, 1.1, 7)
    band = ps.linear_fit_band(x, y, grid)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    pred = fit.get_prediction(sm.add_constant(grid)).summary_frame(alpha=0.05)
    np.testing.assert_allclose(band["fit"], pred["mean"], rtol=1e-10)
    np.testing.assert_allclose(band["lower"], pred["mean_ci_lower"], rtol=1e-10)
    np.testing.assert_allclose(band["upper"], pred["mean_ci_upper"], rtol=1e-10)
