"""nELISA vs Cell Painting (mapreprod.datasets.nelisa, rules nelisa_*): docs/methods.md §6 on tiny frames with
the real nELISA schema, brute-force AP oracles, and the nELISA half end to end on the real file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from workflow_utils import copy_repo, snakemake

from mapreprod.datasets import nelisa as ne
from mapreprod.settings import MapSettings

PERT, TLIST = "Metadata_broad_sample", "Metadata_target_list"


@pytest.fixture(scope="module")
def schema(shared_data: Path) -> tuple[list[str], list[str]]:
    """(metadata columns, feature columns) of the real nELISA table."""
    names = pq.read_schema(shared_data / "nelisa" / "nelisa_profiles.parquet").names
    meta = [c for c in names if c.startswith("Metadata_")]
    return meta, [c for c in names if not c.startswith("Metadata_")]


def _frame(schema, rows: list[dict], feats: np.ndarray, n_feats: int | None = None) -> pd.DataFrame:
    """Profiles with every real metadata column (NaN unless given) and real feature names."""
    meta_cols, feat_cols = schema
    feat_cols = feat_cols[: feats.shape[1] if n_feats is None else n_feats]
    meta = pd.DataFrame([{c: r.get(c, np.nan) for c in meta_cols} for r in rows])
    return pd.concat([meta, pd.DataFrame(feats, columns=feat_cols)], axis=1)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def _ap(query: np.ndarray, positives: list[np.ndarray], negatives: list[np.ndarray]) -> float:
    """Average precision by brute force: sort candidates by cosine, mean precision at hits."""
    cands = [(_cosine(query, p), 1) for p in positives] + [
        (_cosine(query, n), 0) for n in negatives
    ]
    labels = np.array([lab for _, lab in sorted(cands, key=lambda t: -t[0])])
    hits = np.cumsum(labels)
    return float(np.mean((hits / np.arange(1, len(labels) + 1))[labels == 1]))


# ------------------------------------------------------------------ preprocessing


def test_robustize_per_plate_matches_hand_formula(schema):
    rng = np.random.default_rng(1)
    feats = rng.normal(size=(10, 3)) * 5 + 2
    rows = [{"Metadata_nelisa_plate_id": float(i % 2 + 1), PERT: f"c{i}"} for i in range(10)]
    df = _frame(schema, rows, feats)
    out = ne.robustize_per_plate(df, "Metadata_nelisa_plate_id")
    features = schema[1][:3]
    assert list(out.columns) == list(df.columns)
    for plate in (1.0, 2.0):
        rows_p = (df["Metadata_nelisa_plate_id"] == plate).to_numpy()
        x = feats[rows_p]
        med = np.median(x, axis=0)
        mad = np.median(np.abs(x - med), axis=0) * 1.4826
        np.testing.assert_allclose(out.loc[rows_p, features].to_numpy(), (x - med) / mad, rtol=1e-9)


def test_cellpainting_feature_selection_drops_blocklisted_constant_correlated_and_nan():
    rng = np.random.default_rng(2)
    n = 40
    area = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "Metadata_Plate": ["p1"] * n,
            "Cells_AreaShape_Area": area,
            "Cells_AreaShape_Perimeter": area * 2 + 1e-3 * rng.normal(size=n),  # correlated
            "Nuclei_Correlation_Manders_AGP_DNA": rng.normal(size=n),  # pycytominer blocklist
            "Cells_Intensity_MeanIntensity_DNA": np.r_[np.ones(n - 1), 2.0],  # near-constant
            "Cells_Texture_Variance_RNA_3_0": np.r_[np.nan, rng.normal(size=n - 1)],  # 1 NaN
            "Nuclei_Texture_Entropy_ER_3_0": rng.normal(size=n),
        }
    )
    out = ne.select_cellpainting_features(
        df,
        [
            "variance_threshold",
            "correlation_threshold",
            "drop_na_columns",
            "blocklist",
            "drop_outliers",
        ],
        na_cutoff=0,
    )
    kept = set(out.columns) - {"Metadata_Plate", "Nuclei_Texture_Entropy_ER_3_0"}
    assert {"Metadata_Plate", "Nuclei_Texture_Entropy_ER_3_0"} <= set(out.columns)
    # exactly one of the correlated pair survives; the others are all dropped
    assert kept in ({"Cells_AreaShape_Area"}, {"Cells_AreaShape_Perimeter"})


def test_preprocess_fills_missing_broad_sample_and_skips_selection_for_nelisa(schema):
    rng = np.random.default_rng(3)
    rows = [
        {
            "Metadata_nelisa_plate_id": 1.0,
            PERT: "c1" if i % 2 else None,
            "Metadata_control_type": None if i % 2 else "negcon",
            TLIST: "A" if i % 2 else None,
        }
        for i in range(6)
    ]
    df = _frame(schema, rows, rng.normal(size=(6, 4)))
    out = ne.preprocess_profiles(df, "nelisa", operations=["drop_na_columns"])
    assert out[PERT].tolist() == ["NA", "c1"] * 3
    assert out.shape == df.shape


def test_unknown_assay_names_the_config_key(schema):
    with pytest.raises(ValueError, match="nelisa.assays"):
        ne.preprocess_profiles(pd.DataFrame(), "rnaseq")


def test_unify_drops_unshared_compounds_and_unequal_replicate_counts():
    cp = pd.DataFrame({PERT: ["a", "a", "b", "b", "c", "NA", "NA"], "x": range(7)})
    nel = pd.DataFrame({PERT: ["a", "a", "b", "d", "NA", "NA"], "y": range(6)})
    out = ne.unify({"cellpainting": cp, "nelisa": nel})
    # a: 2 vs 2 kept; b: 2 vs 1 dropped; c, d: one assay only; NA: 2 vs 2 kept.
    assert out["cellpainting"][PERT].tolist() == ["a", "a", "NA", "NA"]
    assert out["nelisa"][PERT].tolist() == ["a", "a", "NA", "NA"]
    alone = ne.unify({"nelisa": nel})
    pd.testing.assert_frame_equal(alone["nelisa"], nel)


# ------------------------------------------------------------------ activity


def _activity_frame(schema, rng):
    """2 plates x (3 DMSO + 1 replicate of each of 3 compounds); compound 'strong' has a planted
    shared profile, 'weak' and 'noise' none."""
    rows, feats = [], []
    signal = rng.normal(size=8) * 3
    for plate in (1, 2):
        for d in range(3):
            rows.append(
                {
                    "Metadata_Plate": f"compound_A549_24_{plate}",
                    PERT: "NA",
                    "Metadata_control_type": "negcon",
                }
            )
            feats.append(rng.normal(size=8))
        for comp in ("strong", "weak", "noise"):
            for _ in range(2):
                rows.append(
                    {
                        "Metadata_Plate": f"compound_A549_24_{plate}",
                        PERT: comp,
                        "Metadata_control_type": None,
                    }
                )
                base = signal if comp == "strong" else 0.3 * signal if comp == "weak" else 0
                feats.append(base + rng.normal(size=8))
    return _frame(schema, rows, np.array(feats))


@pytest.mark.parametrize("same_plate", [False, True])
def test_activity_map_equals_brute_force_map(schema, same_plate):
    rng = np.random.default_rng(4)
    df = _activity_frame(schema, rng)
    out = ne.activity_map(df, MapSettings(null_size=200, seed=0), same_plate_controls=same_plate)
    feats = df[schema[1][:8]].to_numpy()
    expected = {}
    for comp in ("strong", "weak", "noise"):
        aps = []
        for i in np.flatnonzero(df[PERT] == comp):
            pos = [feats[j] for j in np.flatnonzero(df[PERT] == comp) if j != i]
            neg_rows = df["Metadata_control_type"] == "negcon"
            if same_plate:
                neg_rows &= df["Metadata_Plate"] == df["Metadata_Plate"][i]
            aps.append(_ap(feats[i], pos, [feats[j] for j in np.flatnonzero(neg_rows)]))
        expected[comp] = np.mean(aps)
    got = out.set_index(PERT)["mAP"].to_dict()
    assert set(got) == set(expected)  # "NA" (DMSO) is not scored
    for comp, value in expected.items():
        assert got[comp] == pytest.approx(value)
    assert list(out.columns) == [PERT, *ne.RESULT_COLUMNS, "test"]
    assert (out["test"] == "shared").all()  # map.test's default names every call


def test_activity_map_retrieves_planted_compound(schema):
    rng = np.random.default_rng(5)
    df = pd.concat([_activity_frame(schema, rng) for _ in range(3)], ignore_index=True)
    df["Metadata_broad_sample"] = np.where(
        df[PERT] == "NA", "NA", df[PERT] + "_" + (df.index // 18).astype(str)
    )
    out = ne.activity_map(df, MapSettings(null_size=2000, seed=0)).set_index(PERT)
    strong = out.loc[[f"strong_{k}" for k in range(3)]]
    assert strong["mAP"].min() > 0.7 and strong["p < 0.05"].all()
    noise = out.loc[[f"noise_{k}" for k in range(3)]]
    assert noise["mAP"].max() < strong["mAP"].min()
    # -log10 column from the BH-corrected p
    np.testing.assert_allclose(out["-log10(mAP p-value)"], -np.log10(out["corrected_p_value"]))


# ------------------------------------------------------------------ consistency


def _consistency_frame(schema, rng):
    targets = {"c1": "T1|T2", "c2": "T1", "c3": "T2", "c4": "T3", "c5": "T3|T1", "c6": "T4"}
    rows, feats = [], []
    for comp, tl in targets.items():
        for _ in range(3):
            rows.append(
                {
                    "Metadata_nelisa_plate_id": 1.0,
                    PERT: comp,
                    TLIST: tl,
                    "Metadata_control_type": None,
                }
            )
            feats.append(rng.normal(size=6))
    for _ in range(3):  # DMSO: no target list, dropped
        rows.append(
            {
                "Metadata_nelisa_plate_id": 1.0,
                PERT: "NA",
                TLIST: None,
                "Metadata_control_type": "negcon",
            }
        )
        feats.append(rng.normal(size=6))
    rows.append(
        {"Metadata_nelisa_plate_id": 1.0, PERT: "c7", TLIST: None, "Metadata_control_type": None}
    )  # a compound without targets: dropped
    feats.append(rng.normal(size=6))
    return _frame(schema, rows, np.array(feats)), targets


def test_consistency_map_equals_brute_force_multilabel_map(schema):
    rng = np.random.default_rng(6)
    df, targets = _consistency_frame(schema, rng)
    out = ne.consistency_map(df, MapSettings(null_size=200, seed=0)).set_index("Metadata_target")
    fcols = schema[1][:6]
    consensus = {c: df.loc[df[PERT] == c, fcols].median().to_numpy() for c in targets}
    labels = {c: set(t.split("|")) for c, t in targets.items()}
    expected = {}
    for t in sorted(set().union(*labels.values())):
        aps = []
        for c in targets:
            if t not in labels[c]:
                continue
            pos = [consensus[o] for o in targets if o != c and t in labels[o]]
            if not pos:
                continue
            neg = [consensus[o] for o in targets if not labels[o] & labels[c]]
            aps.append(_ap(consensus[c], pos, neg))
        if aps:
            expected[t] = np.mean(aps)
    assert set(out.index) == set(expected) == {"T1", "T2", "T3"}  # T4 has one compound
    for t, value in expected.items():
        assert out.loc[t, "mAP"] == pytest.approx(value)


def test_consistency_activity_filter_keeps_only_active_compounds(schema):
    rng = np.random.default_rng(7)
    df, _ = _consistency_frame(schema, rng)
    active = ["c1", "c2", "c3", "c4"]
    agg = ne.consistency_profiles(df, active=active)
    assert agg[PERT].tolist() == active
    assert agg["Metadata_target"].tolist() == [["T1", "T2"], ["T1"], ["T2"], ["T3"]]
    out = ne.consistency_map(df, MapSettings(null_size=100), active=active)
    assert set(out["Metadata_target"]) == {"T1", "T2"}


# ------------------------------------------------------------------ tables and figures


def _result(key, values, sig):
    return pd.DataFrame(
        {key: values, "mAP": 0.5, "p < 0.05": sig, "-log10(mAP p-value)": np.where(sig, 2.0, 0.5)}
    )


def test_pivot_assays_keeps_keys_scored_in_both():
    cp = _result(PERT, ["a", "b", "c"], [True, True, False])
    nel = _result(PERT, ["a", "c", "d"], [False, True, True])
    wide = ne.pivot_assays({"cellpainting": cp, "nelisa": nel}, PERT)
    assert wide[PERT].tolist() == ["a", "c"]
    assert wide["Cell Painting"].tolist() == [2.0, 0.5]
    assert wide["nELISA"].tolist() == [0.5, 2.0]
    with pytest.raises(ValueError, match="both assays"):
        ne.pivot_assays({"nelisa": nel}, PERT)


def test_reproduction_table_fills_ran_assays_and_na_for_others():
    act = {"nelisa": _result(PERT, list("abc"), [True, False, False])}
    con = {"nelisa": _result("Metadata_target", list("xy"), [False, False])}
    table = ne.reproduction_table(act, con).set_index("quantity")
    assert list(table.columns) == ["figure", "paper", "ours", "note"]
    assert table.loc["activity retrieved, nELISA", "ours"] == "33%"
    assert table.loc["activity retrieved, nELISA", "paper"] == "39%"
    assert table.loc["consistency retrieved, nELISA", "ours"] == "0%"
    assert table.loc["targets scored, nELISA", "ours"] == "2"
    assert table.loc["activity retrieved, Cell Painting", "ours"] == "NA"
    assert table.loc["consistency retrieved, Cell Painting", "paper"] == "23%"


def test_figures_render_for_one_and_two_assays(tmp_path):
    from mapreprod.plotting import save_figure

    cp = _result(PERT, list("abcd"), [True, True, False, True])
    nel = _result(PERT, list("abcd"), [False, True, False, False])
    fig = ne.plot_assay_columns({"nelisa": nel}, title="one")
    save_figure(fig, tmp_path / "one.png")
    fig = ne.plot_assay_columns({"cellpainting": cp, "nelisa": nel}, title="two")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "Retrieved: 75%" in texts and "Retrieved: 25%" in texts
    save_figure(fig, tmp_path / "two.png")
    wide = ne.pivot_assays({"cellpainting": cp, "nelisa": nel}, PERT)
    fig = ne.plot_assay_pivot(wide, title="pivot")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["nELISA retrieved: 25%", "Cell Painting retrieved: 75%"]
    save_figure(fig, tmp_path / "pivot.png")
    assert all((tmp_path / f).stat().st_size > 0 for f in ["one.png", "two.png", "pivot.png"])


# ------------------------------------------------------------------ workflow


FIG4_NELISA = [
    "results/figures/fig4a.png",
    "results/figures/fig4a.pdf",
    "results/tables/fig4a.csv",
    "results/figures/fig4c.png",
    "results/figures/fig4c.pdf",
    "results/tables/fig4c.csv",
    "results/nelisa/reproduction.csv",
]


@pytest.mark.workflow
def test_nelisa_half_runs_end_to_end_on_the_real_file(shared_data, http_mirror, tmp_path):
    base, folder = http_mirror
    (folder / "nelisa").mkdir()
    shutil.copy2(shared_data / "nelisa" / "nelisa_profiles.parquet", folder / "nelisa")
    work = copy_repo(tmp_path / "repo")
    (work / "test.yaml").write_text(
        f"data:\n  mirror: {base}\n  backoff: 0\n"
        "nelisa:\n  assays: [nelisa]\n  null_size: 1000\n"
        "map:\n  n_permutations: 200\n"
    )
    result = snakemake(work, *FIG4_NELISA, "--cores", "2", "--configfile", "test.yaml", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for path in FIG4_NELISA:
        assert (work / path).stat().st_size > 0, path
    activity = pd.read_csv(work / "results/tables/fig4a.csv")
    assert set(activity["Assay"]) == {"nELISA"}
    # 304 compounds without unification; the paper reports 39% retrieved for nELISA.
    assert len(activity) == 304
    assert 0.30 <= activity["p < 0.05"].mean() <= 0.50
    consistency = pd.read_csv(work / "results/tables/fig4c.csv")
    assert 380 <= len(consistency) <= 450 and consistency["p < 0.05"].mean() <= 0.15
    repro = pd.read_csv(work / "results/nelisa/reproduction.csv", keep_default_na=False)
    row = repro.set_index("quantity").loc["activity retrieved, nELISA"]
    assert row["ours"] == f"{activity['p < 0.05'].mean():.0%}"
    assert repro.set_index("quantity").loc["activity retrieved, Cell Painting", "ours"] == "NA"
    # map.test (default shared) is named for each figure's calls, and the table of calls under
    # every test (rule nelisa_calls_by_test) agrees with the workflow's own activity table
    tests = repro[repro["quantity"] == "test of the calls (map.test)"].set_index("figure")["ours"]
    assert tests.to_dict() == {"Fig 4A/B": "shared", "Fig 4C/D": "shared"}
    comparison = pd.read_csv(work / "results/nelisa/test_comparison.csv").set_index(["analysis", "test"])
    assert comparison.loc[("activity", "shared"), "retrieved"] == activity["p < 0.05"].sum()
    assert comparison.loc[("consistency", "shared"), "retrieved"] == consistency["p < 0.05"].sum()
    by_test = repro.set_index("quantity").loc[
        "activity retrieved, nELISA, by test (shared / independent / exact / permutation)", "ours"]
    assert by_test.split(" / ")[0] == f"{activity['p < 0.05'].mean():.0%}"
    # map.test reaches the mAP rules' params: choosing another test reruns activity and
    # consistency (and what reads them), not the preprocessing nor the comparison of all tests
    (work / "exact.yaml").write_text("map:\n  test: exact\n")
    plan = snakemake(work, *FIG4_NELISA, "-n", "--cores", "2", "--configfile", "test.yaml", "exact.yaml")
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    for rule in ("nelisa_activity", "nelisa_consistency", "nelisa_reproduction"):
        assert f"rule {rule}:" in plan.stdout, rule
    assert "Params have changed since last execution" in plan.stdout
    for rule in ("nelisa_preprocess", "nelisa_unify", "nelisa_calls_by_test", "download"):
        assert f"rule {rule}:" not in plan.stdout, rule


@pytest.mark.workflow
def test_both_assays_plan_the_comparison_figures(tmp_path):
    work = copy_repo(tmp_path / "repo")
    (work / "both.yaml").write_text("nelisa:\n  assays: [cellpainting, nelisa]\n")
    result = snakemake(
        work,
        "results/figures/fig4b.png",
        "results/figures/fig4d.png",
        "results/nelisa/reproduction.csv",
        "-n",
        "--configfile",
        "both.yaml",
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    plan = result.stdout
    for rule in ["nelisa_figure", "nelisa_unify"]:
        assert f"rule {rule}:" in plan
    for figure in ["fig4b", "fig4d"]:
        assert f"results/figures/{figure}.png" in plan
    assert "resources/nelisa/cellpainting_profiles.parquet" in plan
