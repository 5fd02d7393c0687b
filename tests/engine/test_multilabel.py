"""Multilabel AP (SPEC §1.6) against brute-force implementations: copairs 0.5.5's negatives
(share no label, the default) and negative_rule="ignore_labels" (copairs @880f22a on the CPJUMP1
notebooks' compound-gene input, re-enacted pair by pair over the exploded rows)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mapeval
from oracles import ap_of_list, brute_force_multilabel_ap, similarity32

# designed ties (duplicated and rounded profiles): the tie warning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::mapeval.TiedRanksWarning")


def _labelled(seed: int, n_cmpd: int = 25, reps: int = 2):
    rng = np.random.default_rng(seed)
    targets = [f"T{i}" for i in range(8)]
    labels = [sorted(rng.choice(targets, size=rng.integers(1, 4), replace=False)) for _ in range(n_cmpd)]
    meta = pd.DataFrame({"cmpd": np.repeat([f"c{i}" for i in range(n_cmpd)], reps)})
    meta["target"] = [labels[i // reps] for i in range(len(meta))]
    feats = rng.normal(size=(len(meta), 5))
    feats[3::11] = feats[0]  # ties
    return meta, feats


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("similarity", ["cosine", "abs_cosine"])
def test_matches_brute_force(seed, similarity):
    meta, feats = _labelled(seed)
    got = mapeval.multilabel.average_precision(
        meta, feats, ["target"], ["cmpd"], [], ["target", "cmpd"], "target", similarity=similarity
    )
    want = brute_force_multilabel_ap(meta, feats, "target", ["cmpd"], kind=similarity)
    assert len(got) == len(want)
    np.testing.assert_array_equal(got["target"], want["target"])
    np.testing.assert_array_equal(got["cmpd"], meta["cmpd"].to_numpy()[want["row"]])
    np.testing.assert_array_equal(got["n_pos_pairs"], want["n_pos_pairs"])
    np.testing.assert_array_equal(got["n_total_pairs"], want["n_total_pairs"])
    np.testing.assert_allclose(got["average_precision"], want["average_precision"], atol=1e-12)


def test_hand_worked_example():
    # A carries {x, y}; B {x}; C {y}; D {z}; E {z}. For (A, x): positive B, negatives D, E (C shares
    # y with A, so it is excluded). A is closest to D, then B, then E: ranks N P N -> AP 1/2.
    meta = pd.DataFrame({"id": list("ABCDE"), "lab": [["x", "y"], ["x"], ["y"], ["z"], ["z"]]})
    feats = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [0.95, 0.31], [0.1, 0.99]])
    ap = mapeval.multilabel.average_precision(meta, feats, ["lab"], ["id"], [], ["lab", "id"], "lab")
    row = ap[(ap["id"] == "A") & (ap["lab"] == "x")].iloc[0]
    assert row["average_precision"] == pytest.approx(0.5)
    assert (row["n_pos_pairs"], row["n_total_pairs"]) == (1, 3)


def test_map_per_label():
    meta, feats = _labelled(4)
    ap = mapeval.multilabel.average_precision(
        meta, feats, ["target"], ["cmpd"], [], ["target", "cmpd"], "target"
    )
    res = mapeval.mean_average_precision(ap, "target", 500, seed=0)
    np.testing.assert_allclose(
        res.set_index("target")["mean_average_precision"],
        ap.groupby("target")["average_precision"].mean(),
    )


def test_rejects_scalar_labels():
    meta = pd.DataFrame({"id": list("AB"), "lab": ["x", "x"]})
    with pytest.raises(ValueError, match="list of labels per row; row 0"):
        mapeval.multilabel.average_precision(
            meta, np.eye(2), ["lab"], ["id"], [], ["lab", "id"], "lab"
        )


# --- negative_rule="ignore_labels": copairs @880f22a on the CPJUMP1 notebooks' input --------------


def copairs_880f22a_multilabel_ap(meta, feats, label_col, pos_diffby, neg_diffby, kind="abs_cosine"):
    """The multilabel AP as copairs @880f22a (cytomining/copairs, src/copairs/matching.py
    ``MatcherMultilabel``, src/copairs/map.py ``run_pipeline``/``build_rank_list_multi``) forms
    it, re-enacted pair by pair over the exploded rows (no code shared with mapeval):

    * the label column is exploded to one row per label (a string stays one row);
    * positives: two exploded rows with the same label that differ in ``pos_diffby``, mapped
      back to their profiles, one list per label;
    * negatives: two exploded rows that differ in the other ``neg_diffby`` columns, mapped back
      to their profiles; when ``neg_diffby`` holds the label column, kept only when
      ``len(set(value_a) & set(value_b)) == 0`` on the profiles' original label values (a string
      value gives the set of its characters); then de-duplicated (a set of pairs);
    * the rank list of (profile, label): the label's positives of the profile and every negative
      of the profile, by decreasing similarity (float32), positives first on ties (copairs
      @880f22a used numpy's unstable argsort there; mapeval ranks positives first).
    """
    values = list(meta[label_col])
    exploded = [(r, t) for r, v in enumerate(values) for t in ([v] if isinstance(v, str) else v)]
    other = [c for c in neg_diffby if c != label_col]
    rows = [meta.iloc[r] for r in range(len(meta))]
    positives = {}  # (row, label) -> partner rows
    negatives = set()  # unordered profile pairs
    for a in range(len(exploded)):
        for b in range(a + 1, len(exploded)):
            (ra, ta), (rb, tb) = exploded[a], exploded[b]
            if ta == tb and all(rows[ra][c] != rows[rb][c] for c in pos_diffby):
                positives.setdefault((ra, ta), []).append(rb)
                positives.setdefault((rb, tb), []).append(ra)
            label_filter = label_col not in neg_diffby or len(set(values[ra]) & set(values[rb])) == 0
            if label_filter and all(rows[ra][c] != rows[rb][c] for c in other):
                negatives.add(frozenset((ra, rb)))
    out = []
    for (r, t), partners in sorted(positives.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        ranked = []  # (rank key, 0 = positive / 1 = negative, relevance)
        for q in partners:
            ranked.append((np.float32(1) - similarity32(feats[r], feats[q], kind), 0, 1))
        for pair in negatives:
            if r in pair:
                (q,) = pair - {r}
                ranked.append((np.float32(1) - similarity32(feats[r], feats[q], kind), 1, 0))
        ranked.sort(key=lambda e: (e[0], e[1]))
        out.append((r, t, len(partners), len(ranked), ap_of_list([e[2] for e in ranked])))
    return pd.DataFrame(out, columns=["row", label_col, "n_pos_pairs", "n_total_pairs", "average_precision"])


def _compounds_and_genes(seed: int, n_cmpd: int = 14, n_gene_reagents: int = 16, dup: bool = False):
    """A compound-gene design like Fig 4c: compounds with 1-3 target genes, genetic reagents
    with one gene (some genes with two reagents, some with none), random profiles; ``dup``
    copies profiles to make ties across partners."""
    rng = np.random.default_rng(seed)
    genes = [f"G{i}" for i in range(10)]
    comp_labels = [sorted(rng.choice(genes, size=rng.integers(1, 4), replace=False)) for _ in range(n_cmpd)]
    reagent_genes = list(rng.choice(genes[:8], size=n_gene_reagents))
    meta = pd.DataFrame({
        "pert": [f"c{i}" for i in range(n_cmpd)] + [f"g{i}" for i in range(n_gene_reagents)],
        "modality": ["compound"] * n_cmpd + ["crispr"] * n_gene_reagents,
    })
    feats = rng.normal(size=(len(meta), 6))
    if dup:  # partners of one rank list with equal |cosine| to every query
        feats[n_cmpd + 6] = feats[n_cmpd + 1]
        feats[n_cmpd + 9] = -2 * feats[n_cmpd + 4]
        feats[9] = feats[4]
        feats[11] = -feats[3]
    return meta, feats, comp_labels, reagent_genes


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("dup", [False, True])
def test_ignore_labels_equals_copairs_880f22a_on_the_notebooks_input(seed, dup):
    """The notebooks label a genetic reagent with its gene as a string and a compound with a list
    of genes; copairs @880f22a's filter then removes no pair: that is negative_rule="ignore_labels"."""
    meta, feats, comp_labels, reagent_genes = _compounds_and_genes(seed, dup=dup)
    notebook_meta = meta.assign(target=comp_labels + reagent_genes)  # strings on the genetic side
    want = copairs_880f22a_multilabel_ap(notebook_meta, feats, "target", ["modality"], ["target", "modality"])
    ours_meta = meta.assign(target=comp_labels + [[g] for g in reagent_genes])
    got = mapeval.multilabel.average_precision(
        ours_meta, feats, ["target"], ["modality"], [], ["target", "modality"], "target",
        similarity="abs_cosine", negative_rule="ignore_labels",
    )
    assert len(got) == len(want) > 0
    np.testing.assert_array_equal(got["pert"], meta["pert"].to_numpy()[want["row"]])
    np.testing.assert_array_equal(got["target"], want["target"])
    np.testing.assert_array_equal(got["n_pos_pairs"], want["n_pos_pairs"])
    np.testing.assert_array_equal(got["n_total_pairs"], want["n_total_pairs"])
    np.testing.assert_allclose(got["average_precision"], want["average_precision"], atol=1e-12)
    # every compound-reagent pair is a negative: a reagent's list holds every compound
    n_cmpd = len(comp_labels)
    reagents = got[got["modality"] == "crispr"]
    assert (reagents["n_total_pairs"] == reagents["n_pos_pairs"] + n_cmpd).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_share_none_equals_copairs_880f22a_when_both_sides_hold_lists(seed):
    """With list labels on both sides (the notebooks' sister compounds; this project's input)
    copairs @880f22a's filter works and gives copairs 0.5.5's rule, mapeval's default."""
    meta, feats, comp_labels, reagent_genes = _compounds_and_genes(seed)
    meta = meta.assign(target=comp_labels + [[g] for g in reagent_genes])
    want = copairs_880f22a_multilabel_ap(meta, feats, "target", ["modality"], ["target", "modality"])
    got = mapeval.multilabel.average_precision(
        meta, feats, ["target"], ["modality"], [], ["target", "modality"], "target", similarity="abs_cosine"
    )
    np.testing.assert_array_equal(got["n_total_pairs"], want["n_total_pairs"])
    np.testing.assert_allclose(got["average_precision"], want["average_precision"], atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ignore_labels_matches_brute_force_within_one_modality(seed):
    """Sister-compound-like design (several labels per profile, negatives only by another column):
    every partner of another compound is a negative; partners sharing a label are also positives."""
    meta, feats = _labelled(seed, n_cmpd=12)
    got = mapeval.multilabel.average_precision(
        meta, feats, ["target"], ["cmpd"], [], ["target", "cmpd"], "target", negative_rule="ignore_labels"
    )
    # the brute force with the labels left out of the negatives' definition
    want = copairs_880f22a_multilabel_ap(meta, feats, "target", ["cmpd"], ["cmpd"], kind="cosine")
    np.testing.assert_array_equal(got["n_pos_pairs"], want["n_pos_pairs"])
    np.testing.assert_array_equal(got["n_total_pairs"], want["n_total_pairs"])
    np.testing.assert_allclose(got["average_precision"], want["average_precision"], atol=1e-12)


def test_ignore_labels_hand_worked_example():
    # compounds C1 {A, B}, C2 {A}, C3 {C}; reagents gA (gene A), gB (gene B), gC (gene C); cosine.
    # Query (C1, A): positive gA; negatives gA (again), gB, gC. C1 is closest to gB, then gA, then
    # gC: ranks N(gB) P(gA) N(gA) N(gC) -> AP 1/2 (share none: negative gC only -> AP 1).
    meta = pd.DataFrame({
        "pert": ["C1", "C2", "C3", "gA", "gB", "gC"],
        "modality": ["compound"] * 3 + ["crispr"] * 3,
        "target": [["A", "B"], ["A"], ["C"], ["A"], ["B"], ["C"]],
    })
    feats = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, -0.8], [0.8, 0.6], [0.9, 0.436], [-0.2, 0.98]])
    args = (meta, feats, ["target"], ["modality"], [], ["target", "modality"], "target")
    notebook = mapeval.multilabel.average_precision(*args, negative_rule="ignore_labels")
    default = mapeval.multilabel.average_precision(*args)
    row = notebook[(notebook["pert"] == "C1") & (notebook["target"] == "A")].iloc[0]
    assert (row["n_pos_pairs"], row["n_total_pairs"]) == (1, 4)
    assert row["average_precision"] == pytest.approx(0.5)
    row = default[(default["pert"] == "C1") & (default["target"] == "A")].iloc[0]
    assert (row["n_pos_pairs"], row["n_total_pairs"]) == (1, 2)
    assert row["average_precision"] == pytest.approx(1.0)
    # (gA, A): positives C1, C2; negatives C1, C2 again and C3. By similarity: C1 (0.8) P, C1 N,
    # C2 (0.6) P, C2 N, C3 (0) N -> (1/1 + 2/3) / 2 = 5/6
    row = notebook[(notebook["pert"] == "gA")].iloc[0]
    assert (row["n_pos_pairs"], row["n_total_pairs"]) == (2, 5)
    assert row["average_precision"] == pytest.approx(5 / 6)


def test_ignore_labels_equals_leaving_the_label_column_out_of_neg_diffby():
    meta, feats, comp_labels, reagent_genes = _compounds_and_genes(5)
    meta = meta.assign(target=comp_labels + [[g] for g in reagent_genes])
    a = mapeval.multilabel.average_precision(
        meta, feats, ["target"], ["modality"], [], ["target", "modality"], "target", negative_rule="ignore_labels"
    )
    b = mapeval.multilabel.average_precision(meta, feats, ["target"], ["modality"], [], ["modality"], "target")
    pd.testing.assert_frame_equal(a, b)


def test_a_positive_and_its_own_negative_copy_are_not_reported_as_ties():
    meta, feats, comp_labels, reagent_genes = _compounds_and_genes(6)
    meta = meta.assign(target=comp_labels + [[g] for g in reagent_genes])
    with warnings.catch_warnings():
        warnings.simplefilter("error", mapeval.TiedRanksWarning)
        mapeval.multilabel.average_precision(
            meta, feats, ["target"], ["modality"], [], ["target", "modality"], "target",
            negative_rule="ignore_labels",
        )
    # identical profiles do tie other partners: that is still reported
    with pytest.warns(mapeval.TiedRanksWarning):
        mapeval.multilabel.average_precision(
            meta, np.ones_like(feats) + np.arange(feats.shape[1]), ["target"], ["modality"], [],
            ["target", "modality"], "target", negative_rule="ignore_labels",
        )


def test_negative_rule_is_checked():
    meta, feats, comp_labels, reagent_genes = _compounds_and_genes(0)
    meta = meta.assign(target=comp_labels + [[g] for g in reagent_genes])
    with pytest.raises(ValueError, match=r"negative_rule must be one of \['share_none', 'ignore_labels'\], got 'exploded'"):
        mapeval.multilabel.average_precision(
            meta, feats, ["target"], ["modality"], [], ["target", "modality"], "target", negative_rule="exploded"
        )
