"""Perturbation matching (Fig 4b, 4c) against brute-force rank lists written from the notebook's
definitions: sister compounds (multilabel targets, |cosine|), sister guides (cosine, genes with
one retrieved guide dropped), compound-gene pairs (targets restricted to the genetic genes,
positives and negatives across modalities, |cosine|)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cpjump1_cases import brute_ap, plate_frame
from mapreprod.datasets.cpjump1 import consistency, preprocess
from mapreprod.settings import MapSettings

DIM = 6


def _condition(samples, modality, genes=None, seed=0, plates=2, shared=None):
    """Profiles of a condition whose perturbation s has direction shared[s] (if given)."""
    rng = np.random.default_rng(seed)
    frames = []
    wells = [f"A{i + 1:02d}" for i in range(len(samples))]
    control = [np.nan] * len(samples)
    for p in range(plates):
        x = rng.standard_normal((len(samples), DIM))
        if shared:
            x += np.array([shared.get(s, np.zeros(DIM)) for s in samples])
        frames.append(plate_frame(f"{modality}{p}", wells, samples, control, x, genes))
    df = preprocess.concat_plates(frames)
    df["Metadata_negcon"] = 0
    df["Metadata_modality"] = modality
    if genes is not None:
        df["Metadata_matching_target"] = df["Metadata_gene"]
    return df


def _classes(samples, retrieved):
    return pd.DataFrame({"Metadata_broad_sample": samples,
                         "above_q_threshold": [s in retrieved for s in samples]})


def _medians(df, col="Metadata_broad_sample"):
    feats = [c for c in df.columns if not c.startswith("Metadata")]
    return {k: g[feats].median().to_numpy() for k, g in df.groupby(col)}


def test_sister_compounds_multilabel_abs_cosine_matches_brute_force():
    rng = np.random.default_rng(1)
    comps = [f"c{i}" for i in range(8)]
    targets = {"c0": "A|B", "c1": "A", "c2": "B|C", "c3": "C", "c4": "A|D", "c5": "E",
               "c6": "D", "c7": "F"}
    shared = {c: 2 * rng.standard_normal(DIM) for c in comps}
    df = _condition(comps, "compound", shared=shared)
    retrieved = set(comps) - {"c7"}
    ann = pd.DataFrame({"Metadata_broad_sample": comps,
                        "Metadata_target_list": [targets[c] for c in comps]})
    ap, classes = consistency.sister_compound_matching(
        df, _classes(comps, retrieved), ann, MapSettings(null_size=200)
    )
    med = _medians(df)
    labels = {c: set(targets[c].split("|")) for c in retrieved}
    expected = {}
    for c in sorted(retrieved):
        for t in labels[c]:
            pos = [d for d in retrieved if d != c and t in labels[d]]
            neg = [d for d in retrieved if not labels[d] & labels[c]]
            if pos:
                expected[(c, t)] = brute_ap(med[c], [med[d] for d in pos], [med[d] for d in neg], absolute=True)
    got = {(r.Metadata_broad_sample, r.Metadata_matching_target): r.average_precision
           for r in ap.itertuples(index=False)}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-6), key
    # classes are targets shared by at least two retrieved compounds
    assert sorted(classes["Metadata_matching_target"]) == ["A", "B", "C", "D"]


def test_sister_guides_cosine_drop_genes_with_one_retrieved_guide():
    guides = ["g1a", "g1b", "g2a", "g2b", "g3a", "g3b", "g4a"]
    genes = ["G1", "G1", "G2", "G2", "G3", "G3", "G4"]
    rng = np.random.default_rng(2)
    direction = {g: 2 * rng.standard_normal(DIM) for g in set(genes)}
    shared = {s: direction[g] for s, g in zip(guides, genes, strict=True)}
    df = _condition(guides, "crispr", genes=genes, shared=shared)
    retrieved = {"g1a", "g1b", "g2a", "g2b", "g3a", "g4a"}  # G3 keeps one guide
    ap, classes = consistency.sister_guide_matching(df, _classes(guides, retrieved), MapSettings(null_size=200))
    med = _medians(df)
    kept = ["g1a", "g1b", "g2a", "g2b"]
    gene_of = dict(zip(guides, genes, strict=True))
    for r in ap.itertuples(index=False):
        g = r.Metadata_broad_sample
        pos = [med[h] for h in kept if h != g and gene_of[h] == gene_of[g]]
        neg = [med[h] for h in kept if gene_of[h] != gene_of[g]]
        assert r.average_precision == pytest.approx(brute_ap(med[g], pos, neg), abs=1e-6)
    assert sorted(ap["Metadata_broad_sample"]) == kept
    assert sorted(classes["Metadata_matching_target"]) == ["G1", "G2"]


@pytest.mark.parametrize("negatives", ["notebook", "copairs_0_5_5"])
def test_compound_gene_pairs_across_modalities_match_brute_force(negatives):
    """notebook (default): every compound-reagent pair is a negative, so a reagent of a
    compound's target is in its rank list twice, as positive and as negative, tied (copairs
    @880f22a on the notebooks' input, docs/methods.md §12.6); the tie is ordered as copairs
    @880f22a did: on lists of at most 16 entries numpy's quicksort is a (stable) insertion sort,
    and ``[::-1]`` then puts the negative copy, laid out after the positives, first.
    copairs_0_5_5: a negative shares no gene."""
    rng = np.random.default_rng(3)
    comps = ["c0", "c1", "c2", "c3", "c4"]
    targets = {"c0": "A|X", "c1": "B", "c2": "A|B", "c3": "Y", "c4": "C"}
    orfs = ["oA", "oB", "oC", "oD"]
    ogenes = ["A", "B", "C", "D"]
    cdf = _condition(comps, "compound", seed=4, shared={c: rng.standard_normal(DIM) for c in comps})
    gdf = _condition(orfs, "orf", genes=ogenes, seed=5, shared={o: rng.standard_normal(DIM) for o in orfs})
    ann = pd.DataFrame({"Metadata_broad_sample": comps,
                        "Metadata_target_list": [targets[c] for c in comps]})
    comp_hit = {"c0", "c1", "c2", "c3"}  # c4 (target C) is not retrieved
    orf_hit = {"oA", "oB", "oC"}         # oD not retrieved
    ap, classes = consistency.compound_gene_matching(
        cdf, _classes(comps, comp_hit), gdf, _classes(orfs, orf_hit), ann, MapSettings(null_size=200),
        multilabel_negatives=negatives,
    )
    cm, om = _medians(cdf), _medians(gdf)
    gene_of = dict(zip(orfs, ogenes, strict=True))
    genes = {gene_of[o] for o in orf_hit}
    # compound labels restricted to the retrieved genes; c3 (Y only) drops out
    clabels = {c: set(targets[c].split("|")) & genes for c in comp_hit}
    clabels = {c: v for c, v in clabels.items() if v}
    copy_first = negatives == "notebook"  # every rank list here has at most 16 entries
    expected = {}
    for c, labs in clabels.items():
        for t in labs:
            pos = [om[o] for o in orf_hit if gene_of[o] == t]
            neg = [om[o] for o in orf_hit if negatives == "notebook" or gene_of[o] not in labs]
            expected[(c, t)] = brute_ap(cm[c], pos, neg, absolute=True, ties_negatives_first=copy_first)
    for o in orf_hit:
        g = gene_of[o]
        pos = [cm[c] for c, labs in clabels.items() if g in labs]
        neg = [cm[c] for c, labs in clabels.items() if negatives == "notebook" or g not in labs]
        if pos:
            expected[(o, g)] = brute_ap(om[o], pos, neg, absolute=True, ties_negatives_first=copy_first)
    got = {(r.Metadata_broad_sample, r.Metadata_matching_target): r.average_precision
           for r in ap.itertuples(index=False)}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-6), key
    assert sorted(classes["Metadata_matching_target"]) == ["A", "B"]
    n_total = {(r.Metadata_broad_sample, r.Metadata_matching_target): r.n_total_pairs
               for r in ap.itertuples(index=False)}
    if negatives == "notebook":  # every retrieved reagent of the other side, plus the positives
        assert n_total[("c1", "B")] == 1 + len(orf_hit)
        assert n_total[("oA", "A")] == 2 + len(clabels)
    else:
        assert n_total[("c1", "B")] == 1 + 2  # oB, then oA and oC (share no gene with c1)
        assert n_total[("oA", "A")] == 2 + 1  # c0, c2, then c1 (B only)


def test_compound_gene_negatives_key_is_checked():
    comps, orfs = ["c0", "c1"], ["oA", "oB"]
    cdf = _condition(comps, "compound")
    gdf = _condition(orfs, "orf", genes=["A", "B"], seed=1)
    ann = pd.DataFrame({"Metadata_broad_sample": comps, "Metadata_target_list": ["A", "B"]})
    with pytest.raises(ValueError, match=r"cpjump1.multilabel_negatives.*\['notebook', 'copairs_0_5_5'\], got 'exploded'"):
        consistency.compound_gene_matching(
            cdf, _classes(comps, set(comps)), gdf, _classes(orfs, set(orfs)), ann,
            MapSettings(null_size=10), multilabel_negatives="exploded",
        )


def test_no_retrieved_partner_gives_empty_tables():
    comps = ["c0", "c1"]
    df = _condition(comps, "compound")
    ann = pd.DataFrame({"Metadata_broad_sample": comps, "Metadata_target_list": ["A", "B"]})
    ap, classes = consistency.sister_compound_matching(
        df, _classes(comps, set(comps)), ann, MapSettings(null_size=10)
    )
    assert ap.empty and classes.empty
    assert "above_q_threshold" in classes.columns


def test_only_retrieved_perturbations_enter_matching():
    comps = ["c0", "c1", "c2"]
    df = _condition(comps, "compound")
    cons = consistency.replicable_consensus(df, _classes(comps, {"c0", "c2"}))
    assert sorted(cons["Metadata_broad_sample"]) == ["c0", "c2"]


def test_anti_correlated_sister_compounds_match_under_absolute_cosine():
    """Hand-made: c0 and c1 share target A with opposite profiles; c2, c3 (target B) are
    orthogonal to them. With |cosine| c0's sister ranks first (AP 1); the notebooks use |cosine|
    for compounds because sisters may be anti-correlated."""
    comps = ["c0", "c1", "c2", "c3"]
    base = np.eye(DIM)
    profile = {"c0": 5 * base[0], "c1": -5 * base[0], "c2": 5 * base[1], "c3": 5 * base[1] + base[2]}
    rows = []
    for p in range(2):
        for i, c in enumerate(comps):
            rows.append(plate_frame(f"P{p}", [f"A{i:02d}"], [c], [np.nan], (profile[c] + 0.01 * (p + 1) * base[3])[None, :]))
    df = preprocess.concat_plates(rows)
    ann = pd.DataFrame({"Metadata_broad_sample": comps, "Metadata_target_list": ["A", "A", "B", "B"]})
    ap, _ = consistency.sister_compound_matching(
        df, _classes(comps, set(comps)), ann, MapSettings(null_size=50)
    )
    got = ap.set_index("Metadata_broad_sample")["average_precision"]
    assert got["c0"] == pytest.approx(1.0) and got["c1"] == pytest.approx(1.0)
    # plain cosine would rank the anti-correlated sister last: AP 1/3
    assert brute_ap(profile["c0"], [profile["c1"]], [profile["c2"], profile["c3"]]) == pytest.approx(1 / 3)


def test_config_values_of_the_negatives_key_are_the_functions_choices():
    from pathlib import Path

    import yaml

    schema = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "workflow/schemas/cpjump1.schema.yaml").read_text()
    )
    key = schema["properties"]["multilabel_negatives"]
    assert key["enum"] == list(consistency.CROSS_MODALITY_NEGATIVES)
    assert key["default"] == "notebook"
    assert consistency.CROSS_MODALITY_NEGATIVES == {"notebook": "ignore_labels", "copairs_0_5_5": "share_none"}
