"""The shared layer of the other metrics (mapreprod.metrics, mapreprod.annotations,
mapreprod.plotting.metrics) against independent computations on tiny inputs: agreement counts by
hand, the energy distance by its formula, recall by brute force over all gene pairs, recall@k of
a random ranking by enumeration, the cell-count normalization by hand."""

from __future__ import annotations

import itertools

import mapeval
import numpy as np
import pandas as pd
import pytest
from mapreprod import annotations, metrics
from mapreprod.settings import MapSettings
from scipy.spatial.distance import cdist

SETTINGS = MapSettings(null_size=500, seed=3, threshold=0.05, threads=1, n_permutations=200)


def energy_formula(x: np.ndarray, y: np.ndarray) -> float:
    """E = 2/(n1 n2) sum ||x - y|| - 1/n1^2 sum ||x - x'|| - 1/n2^2 sum ||y - y'|| (RxRx3-core)."""
    n1, n2 = len(x), len(y)
    return (2 * cdist(x, y).sum() / (n1 * n2) - cdist(x, x).sum() / n1**2
            - cdist(y, y).sum() / n2**2)


# ----------------------------------------------------------------------------------------------
# agreement of the two activity calls


def _calls(called_map, called_energy):
    n = len(called_map)
    keys = [f"p{i}" for i in range(n)]
    mp = pd.DataFrame({"pert": keys, "mAP": np.linspace(0, 1, n), "map_p_value": np.linspace(0.5, 0.001, n),
                       "map_corrected_p_value": [0.01 if c else 0.5 for c in called_map],
                       "map_called": called_map})
    en = pd.DataFrame({"pert": keys, "energy_distance": np.linspace(1, 3, n),
                       "energy_p_value": np.linspace(0.4, 0.002, n),
                       "energy_corrected_p_value": [0.01 if c else 0.5 for c in called_energy],
                       "energy_permutations": 100, "energy_p_exact": False})
    return mp, en


def test_agreement_classes_and_counts_match_a_hand_count():
    called_map = [True, True, False, False, True, False]
    called_energy = [True, False, True, False, True, False]
    mp, en = _calls(called_map, called_energy)
    table = metrics.agreement_table(mp, en.iloc[::-1], ["pert"], 0.05)  # order of the mAP table kept
    assert table["pert"].tolist() == mp["pert"].tolist()
    assert table["agreement"].tolist() == ["both", "only mAP", "only energy", "neither", "both", "neither"]
    summary = metrics.agreement_summary(table)
    row = summary.iloc[0]
    assert (row["n"], row["both"], row["only mAP"], row["only energy"], row["neither"]) == (6, 2, 1, 1, 2)
    # both statistics increase along the rows: perfect rank agreement
    assert row["spearman_map_energy"] == pytest.approx(1.0)
    assert row["spearman_log10p"] == pytest.approx(1.0)
    e = np.linspace(1, 3, 6)
    assert row["energy_mean"] == pytest.approx(e.mean())
    assert row["energy_mad"] == pytest.approx(np.median(np.abs(e - np.median(e))))


def test_agreement_refuses_tables_without_a_common_perturbation_and_duplicates():
    mp, en = _calls([True, False, True], [True, True, False])
    with pytest.raises(ValueError, match="no perturbation is in both"):
        metrics.agreement_table(mp, en.assign(pert=["x", "y", "z"]), ["pert"], 0.05)
    with pytest.raises(ValueError, match="twice"):
        metrics.agreement_table(pd.concat([mp, mp]), en, ["pert"], 0.05)
    with pytest.raises(ValueError, match="lacks column"):
        metrics.agreement_table(mp.drop(columns="map_called"), en, ["pert"], 0.05)


def test_spearman_matches_the_textbook_formula_without_ties_and_is_nan_when_undefined():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([2.0, 1.0, 4.0, 3.0, 5.0])
    d = np.array([1, -1, 1, -1, 0])
    assert metrics.spearman(x, y) == pytest.approx(1 - 6 * (d**2).sum() / (5 * 24))
    assert np.isnan(metrics.spearman([1, 2], [2, 1]))
    assert np.isnan(metrics.spearman([1, 1, 1], [1, 2, 3]))


def test_agreement_summary_pools_several_scopes_in_an_all_row():
    mp, en = _calls([True, False, True, False], [True, True, False, False])
    table = metrics.agreement_table(mp, en, ["pert"], 0.05)
    table.insert(0, "scope", ["a", "a", "b", "b"])
    summary = metrics.agreement_summary(table, "scope").set_index("scope")
    assert summary.loc["a", "both"] == 1 and summary.loc["a", "only energy"] == 1
    assert summary.loc["b", "only mAP"] == 1 and summary.loc["b", "neither"] == 1
    assert summary.loc["all", "n"] == 4
    # energy distances of different scopes (assays, conditions) are not pooled into one statistic
    assert summary.loc["all", "pooled"] and np.isnan(summary.loc["all", "energy_mean"])
    assert np.isnan(summary.loc["all", "spearman_map_energy"]) and not summary.loc["a", "pooled"]


# ----------------------------------------------------------------------------------------------
# energy distance


def _plate_design(seed: int = 0):
    """Two plates, 5 perturbations with one well a plate, 4 controls a plate; p0 shifted."""
    rng = np.random.default_rng(seed)
    rows = [(f"p{k}", f"plate{q}", False) for q in range(2) for k in range(5)]
    rows += [("DMSO", f"plate{q}", True) for q in range(2) for _ in range(4)]
    meta = pd.DataFrame(rows, columns=["pert", "plate", "control"])
    feats = rng.normal(size=(len(meta), 6))
    feats[(meta["pert"] == "p0").to_numpy()] += 4.0
    meta = mapeval.assign_reference_index(meta, meta["control"].to_numpy(), reference_col="ref")
    pairs = {"pos_sameby": ["pert", "ref"], "pos_diffby": [], "neg_sameby": ["plate"],
             "neg_diffby": ["pert", "ref"]}
    return meta, feats, pairs


def test_energy_activity_is_the_formula_against_the_controls_of_the_perturbations_plates():
    meta, feats, pairs = _plate_design()
    out = metrics.energy_activity(meta, feats, pairs, "pert", SETTINGS)
    assert set(out["pert"]) == {f"p{k}" for k in range(5)}  # controls are never a group
    controls = feats[meta["control"].to_numpy()]
    for row in out.itertuples(index=False):
        x = feats[(meta["pert"] == row.pert).to_numpy()]
        assert row.energy_distance == pytest.approx(energy_formula(x, controls), abs=1e-10)
    assert ((out["energy_p_value"] > 0) & (out["energy_p_value"] <= 1)).all()
    # the shifted perturbation is the most extreme one
    assert out.set_index("pert")["energy_p_value"].idxmin() == "p0"
    assert (out["energy_permutations"] <= SETTINGS.n_permutations).all()


def test_energy_activity_uses_only_the_controls_of_the_plates_of_the_replicates():
    meta, feats, pairs = _plate_design(1)
    # p1 only on plate0: its controls are plate0's
    keep = ~((meta["pert"] == "p1") & (meta["plate"] == "plate1")).to_numpy()
    meta, feats = meta[keep].reset_index(drop=True), feats[keep]
    meta = meta.assign(pert=np.where((meta["pert"] == "p1").to_numpy(), "p1", meta["pert"]))
    # p1 keeps two wells on plate0 so that it has replicates
    extra = meta[(meta["pert"] == "p1")].copy()
    meta = pd.concat([meta, extra], ignore_index=True)
    feats = np.vstack([feats, feats[(meta["pert"] == "p1").to_numpy()[: len(feats)]] + 0.1])
    meta = mapeval.assign_reference_index(meta.drop(columns="ref"), meta["control"].to_numpy(),
                                          reference_col="ref")
    out = metrics.energy_activity(meta, feats, pairs, "pert", SETTINGS).set_index("pert")
    x = feats[(meta["pert"] == "p1").to_numpy()]
    y = feats[(meta["control"] & (meta["plate"] == "plate0")).to_numpy()]
    assert out.loc["p1", "energy_distance"] == pytest.approx(energy_formula(x, y), abs=1e-10)


# ----------------------------------------------------------------------------------------------
# known-relationship recall


def _brute_recall(feats, genes, pairs, lower=5.0, upper=95.0):
    names = sorted(set(genes))
    prof = np.stack([feats[np.asarray(genes) == g].mean(axis=0) for g in names])
    unit = prof / np.linalg.norm(prof, axis=1, keepdims=True)
    sim = unit @ unit.T
    tri = sim[np.triu_indices(len(names), 1)]
    lo, hi = np.percentile(tri, [lower, upper])
    idx = {g: i for i, g in enumerate(names)}
    hits = [(sim[idx[a], idx[b]] < lo) or (sim[idx[a], idx[b]] > hi) for a, b in pairs]
    return np.mean(hits), len(hits)


def test_relationship_recall_equals_brute_force_over_all_gene_pairs():
    rng = np.random.default_rng(5)
    genes = [f"G{i}" for i in range(30) for _ in range(2)]
    feats = rng.normal(size=(len(genes), 8))
    feats[:10] += 3 * rng.normal(size=8)  # G0-G4 share a direction
    pairs_a = [("G0", "G1"), ("G2", "G3"), ("G1", "G4"), ("G10", "G20"), ("G5", "G6")]
    pairs_b = [("G7", "G8"), ("G9", "G11")]
    rel = pd.DataFrame(
        [(a, b, "A") for a, b in pairs_a] + [(b, a, "A") for a, b in pairs_a[:2]]  # both orders
        + [(a, b, "B") for a, b in pairs_b] + [("G0", "G0", "B"), ("X", "G1", "B")],
        columns=["entity1", "entity2", "source"],
    )
    out = metrics.relationship_recall(feats, genes, rel, SETTINGS, scope="s").set_index("source")
    for source, pairs in (("A", pairs_a), ("B", pairs_b)):
        recall, n = _brute_recall(feats, genes, pairs)
        assert out.loc[source, "n_pairs"] == n
        assert out.loc[source, "recall"] == pytest.approx(recall)
    assert out.loc["B", "n_pairs_listed"] == 3  # the self pair dropped, the unprofiled one listed
    assert (out["scope"] == "s").all()


def test_relationship_recall_without_profiled_pairs_is_nan_not_an_error():
    rel = pd.DataFrame({"entity1": ["X", "Y"], "entity2": ["Z", "W"], "source": ["A", "A"]})
    feats = np.random.default_rng(0).normal(size=(5, 3))
    out = metrics.relationship_recall(feats, list("abcde"), rel, SETTINGS)
    assert out["n_pairs"].tolist() == [0] and np.isnan(out["recall"].iloc[0])
    assert out["n_pairs_listed"].tolist() == [2]


def test_recall_of_random_profiles_lies_in_its_binomial_interval_around_the_expected_share():
    """Random profiles carry no information: the recall of 400 random pairs is within the 95%
    binomial interval around the share of predicted links (about 0.10)."""
    from scipy import stats

    rng = np.random.default_rng(11)
    genes = [f"G{i}" for i in range(120)]
    feats = rng.normal(size=(120, 20))
    pairs = set()
    while len(pairs) < 400:
        a, b = rng.choice(120, 2, replace=False)
        pairs.add((genes[min(a, b)], genes[max(a, b)]))
    rel = pd.DataFrame([(a, b, "R") for a, b in sorted(pairs)], columns=["entity1", "entity2", "source"])
    row = metrics.relationship_recall(feats, genes, rel, SETTINGS).iloc[0]
    lo, hi = stats.binom.interval(0.95, 400, row["expected_recall"])
    assert lo <= row["n_predicted"] <= hi
    assert row["expected_recall"] == pytest.approx(0.10, abs=0.005)


# ----------------------------------------------------------------------------------------------
# retrieval metrics


@pytest.mark.parametrize(("n", "r", "k"), [(5, 1, 1), (6, 2, 3), (7, 3, 2), (4, 4, 2), (3, 1, 10)])
def test_random_recall_at_k_equals_enumeration_of_all_rankings(n, r, k):
    hits = [any(i < r for i in perm[:k]) for perm in itertools.permutations(range(n))]
    assert metrics.random_recall_at_k(np.array([n]), np.array([r]), k)[0] == pytest.approx(np.mean(hits))


def test_retrieval_summary_hits_by_hand_on_a_tiny_map():
    # a and b share target T and are nearest neighbours; c shares U with d, but e is nearer to c
    feats = np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.2, 1.0],
                      [0.1, 1.0, 0.05]])
    labels = [["T"], ["T"], ["U"], ["U"], ["V"]]
    row, per_query = metrics.retrieval_summary(feats, labels, SETTINGS, scope="s", annotation="target")
    assert per_query["is_query"].tolist() == [True, True, True, True, False]
    # hits at 1: a->b yes, b->a yes, c->e no (e is not U), d->? nearest of d: e (0.2,1 vs ...)
    sims = (feats / np.linalg.norm(feats, axis=1, keepdims=True)) @ (feats / np.linalg.norm(feats, axis=1, keepdims=True)).T
    expect = []
    for q in range(4):
        order = [j for j in np.argsort(-sims[q]) if j != q]
        expect.append(labels[order[0]] == labels[q])
    assert row.loc[0, "recall_at_1"] == pytest.approx(np.mean(expect))
    assert row.loc[0, "recall_at_10"] == 1.0
    assert row.loc[0, "random_recall_at_1"] == pytest.approx(0.25)  # 1 relevant among 4


# ----------------------------------------------------------------------------------------------
# the cell-count baseline


def test_cell_count_baseline_normalizes_per_plate_and_counts_what_cell_count_explains():
    rng = np.random.default_rng(2)
    rows, values = [], []
    for plate, base in (("P1", 1000.0), ("P2", 2000.0)):
        for i in range(8):
            rows.append(("DMSO", plate, True))
            values.append(base + 30 * rng.normal())
        for pert, shift in (("toxic", -600.0), ("mild", -5.0), ("up", 500.0)):
            for _ in range(3):
                rows.append((pert, plate, False))
                values.append(base + shift + 10 * rng.normal())
    meta = pd.DataFrame(rows, columns=["pert", "plate", "control"])
    meta = mapeval.assign_reference_index(meta, meta["control"].to_numpy(), reference_col="ref")
    values = np.array(values)
    pairs = {"pos_sameby": ["pert", "ref"], "pos_diffby": [], "neg_sameby": ["plate"],
             "neg_diffby": ["pert", "ref"]}
    calls = pd.DataFrame({"perturbation": ["toxic", "mild", "up"], "mAP": [0.9, 0.8, 0.2],
                          "map_called": [True, True, False]})
    out = metrics.cell_count_baseline(
        meta, values, perturbation="pert", plate="plate", controls=meta["control"].to_numpy(),
        pairs=pairs, settings=SETTINGS.replace(null_size=2000), map_calls=calls,
    ).set_index("perturbation")
    # the score by hand: per plate (mean of the wells - DMSO mean) / DMSO SD, median over plates
    for pert in ("toxic", "mild", "up"):
        z = []
        for plate in ("P1", "P2"):
            ctrl = values[(meta["control"] & (meta["plate"] == plate)).to_numpy()]
            mine = values[((meta["pert"] == pert) & (meta["plate"] == plate)).to_numpy()]
            z.append((mine.mean() - ctrl.mean()) / ctrl.std(ddof=1))
        assert out.loc[pert, "cell_count_score"] == pytest.approx(np.median(z))
    assert out.loc["toxic", "cell_count_called"] and out.loc["up", "cell_count_called"]
    assert not out.loc["mild", "cell_count_called"]
    assert out["explained_by_cell_count"].tolist() == [True, False, False]
    summary = metrics.cell_count_summary(out.reset_index()).iloc[0]
    assert (summary["retrieved_map"], summary["explained"]) == (2, 1)
    assert summary["share_explained"] == 0.5 and not summary["warning"]  # above 0.5 warns


def test_cell_count_summary_warns_when_most_retrieved_perturbations_are_cell_count(caplog):
    table = pd.DataFrame({"perturbation": list("abc"), "cell_count_score": [-5.0, -4.0, 0.1],
                          "cell_count_called": [True, True, False], "map_called": [True, True, True],
                          "explained_by_cell_count": [True, True, False], "mAP": [1.0, 0.9, 0.5]})
    with caplog.at_level("WARNING"):
        row = metrics.cell_count_summary(table).iloc[0]
    assert row["warning"] and row["share_explained"] == pytest.approx(2 / 3)
    assert "most of this activity is cell count" in caplog.text
    rows = metrics.reproduction_rows(metrics.summary_table(cell_count=metrics.cell_count_summary(table)))
    share = rows[rows["quantity"].str.startswith("cell count: share")]
    assert "WARNING" in share["note"].iloc[0]


@pytest.mark.parametrize(
    ("values", "controls", "plates", "message"),
    [
        ([1.0, 1.0, 1.0, 5.0], [True, True, True, False], ["a"] * 4, "same value in every control"),
        ([1.0, 2.0, 3.0, 5.0], [True, False, False, False], ["a"] * 4, "fewer than 2 control"),
        ([1.0, np.nan, 3.0, 5.0], [True, True, False, False], ["a"] * 4, "missing"),
    ],
)
def test_cell_count_problem_names_why_the_baseline_cannot_run(values, controls, plates, message):
    assert message in metrics.cell_count_problem(values, plates, np.array(controls), "count")


def test_cell_count_problem_is_none_for_a_usable_count():
    assert metrics.cell_count_problem([1.0, 2.0, 3.0, 9.0], ["a"] * 4, np.array([1, 1, 0, 0], bool), "c") is None


# ----------------------------------------------------------------------------------------------
# summary and reproduction rows


def test_summary_and_reproduction_rows_carry_every_metric_and_the_reasons():
    mp, en = _calls([True, False, True], [True, True, False])
    agreement = metrics.agreement_summary(metrics.agreement_table(mp, en, ["pert"], 0.05))
    retrieval = pd.DataFrame([{"scope": "s", "annotation": "target", "n_queries": 3, "n_treatments": 4,
                               **{f"recall_at_{k}": 0.5 for k in metrics.RECALL_KS},
                               **{f"random_recall_at_{k}": 0.1 for k in metrics.RECALL_KS},
                               "map_interpolated": 0.4, "folds_of_enrichment": 2.0}])
    summary = metrics.summary_table(energy=agreement, retrieval=retrieval, notes={"cell count": "none here"})
    assert list(summary.columns) == metrics.SUMMARY_COLUMNS
    rows = metrics.reproduction_rows(summary, note="x.csv")
    assert list(rows.columns) == ["figure", "quantity", "paper", "ours", "note"]
    calls = rows[rows["quantity"].str.startswith("activity calls")]["ours"].iloc[0]
    assert calls == "1 / 1 / 1 / 0"
    assert rows[rows["quantity"] == "recall@1/3/5/10 by target, s"]["ours"].iloc[0] == "0.5 / 0.5 / 0.5 / 0.5"
    assert (rows[rows["ours"] == "not computed"]["note"].str.contains("none here")).all()
    assert rows["note"].str.endswith("x.csv").all()


def test_assemble_writes_empty_tables_with_columns_for_metrics_that_do_not_apply():
    mp, en = _calls([True, False, True], [True, True, False])
    table = metrics.agreement_table(mp, en, ["pert"], 0.05)
    table.insert(0, "scope", "s")
    out = metrics.assemble(energy=[table], notes={"cell count": "no count"})
    assert set(out) == set(metrics.OUTPUT_SUFFIXES)
    assert out["recall"].empty and "recall" in out["recall"].columns
    assert out["cell_count"].empty and "cell_count_score" in out["cell_count"].columns


# ----------------------------------------------------------------------------------------------
# annotation sources


def test_pair_lists_and_corum_complexes_read_as_unordered_pairs(tmp_path):
    efaar = tmp_path / "HuMAP.txt"
    efaar.write_text("entity1,entity2\nB,A\nA,B\nC,C\nA,C\n,D\n")
    pairs = annotations.read_pair_list(efaar, "hu.MAP")
    assert pairs[["entity1", "entity2"]].values.tolist() == [["A", "B"], ["A", "C"]]
    corum = tmp_path / "CORUM_proteincomplex_annotations.tsv"
    corum.write_text("Symbol\tComplexName\nA\tK1|K2\nB\tK1\nC\tK2\nD\tK3\n")
    pairs = annotations.read_corum_complexes(corum)
    assert pairs[["entity1", "entity2"]].values.tolist() == [["A", "B"], ["A", "C"]]  # K3 has one gene
    with pytest.raises(ValueError, match="entity1,entity2"):
        annotations.read_pair_list(corum, "x")


def test_standin_relationships_keep_planted_shares_and_add_only_unplanted_random_pairs(tmp_path):
    groups = pd.DataFrame({"gene": ["A", "B", "C", "D", "E"], "group": ["g1", "g1", "g1", "g2", "g2"]})
    genes = [f"G{i}" for i in range(20)] + list("ABCDE")
    planted = {("A", "B"), ("A", "C"), ("B", "C"), ("D", "E")}
    tables = annotations.standin_relationships(groups, genes, seed=1)
    for source, (keep, noise) in annotations.STANDIN_DESIGN.items():
        got = set(map(tuple, tables[source][["entity1", "entity2"]].values.tolist()))
        kept = got & planted
        assert len(kept) == round(keep * len(planted))
        assert len(got - planted) == round(noise * len(kept))
    paths = annotations.write_relationships(tables, tmp_path)
    back = annotations.read_relationships(paths)
    for source in annotations.SOURCES:
        part = back[back["source"] == source][["entity1", "entity2"]]
        assert part.values.tolist() == tables[source].values.tolist()
    again = annotations.standin_relationships(groups, genes, seed=1)
    assert all(again[s].equals(tables[s]) for s in tables)


# ----------------------------------------------------------------------------------------------
# the figure


def test_metrics_figure_draws_one_panel_per_table_and_a_reason_for_each_missing_metric():
    import matplotlib

    matplotlib.use("Agg")
    mp, en = _calls([True, False, True, False], [True, True, False, False])
    energy = metrics.agreement_table(mp, en, ["pert"], 0.05)
    energy.insert(0, "scope", "s")
    recall = pd.DataFrame({"scope": ["s", "s"], "source": ["CORUM", "hu.MAP"], "n_pairs": [10, 5],
                           "recall": [0.3, np.nan], "ci_low": [0.1, np.nan], "ci_high": [0.6, np.nan],
                           "expected_recall": [0.1, 0.1]})
    tables = metrics.assemble(energy=[energy], recall=recall.assign(
        n_pairs_listed=10, n_predicted=3, lower_threshold=0, upper_threshold=1, n_genes=9),
        notes={"cell count": "no count"})
    from mapreprod.plotting.metrics import draw_metrics_figure

    table, fig = draw_metrics_figure(tables, "t", threshold=0.05)
    assert table is tables["summary"]
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert any("Activity calls" in t for t in titled) and any("recall" in t for t in titled)
    assert any("Cell-count" in t for t in titled)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("no count" in t for t in texts)
