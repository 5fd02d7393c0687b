"""Fig 5 directionality against a brute-force rewrite of the notebook's steps: consensus
profiles, exploded compound targets, cosine of every pair, null percentiles (linear
interpolation), tail counts and Fisher's exact test (hypergeometric sums written out)."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from cpjump1_cases import plate_frame, unit
from mapreprod.datasets.cpjump1 import directionality, preprocess

DIM = 5


def _quantile(values, q):
    v = np.sort(np.asarray(values, float))
    pos = q * (len(v) - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def _fisher_two_sided(table):
    """Fisher's exact test, two-sided, from the hypergeometric distribution."""
    (a, b), (c, d) = table
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x):
        return comb(col1, x) * comb(n - col1, row1 - x) / comb(n, row1)

    observed = prob(a)
    lo, hi = max(0, row1 - (n - col1)), min(row1, col1)
    p = sum(prob(x) for x in range(lo, hi + 1) if prob(x) <= observed * (1 + 1e-7))
    odds = (a * d) / (b * c) if b * c else np.inf
    return odds, min(1.0, p)


def test_tail_summary_on_a_hand_made_null():
    null = np.linspace(0, 1, 101)  # 5th percentile 0.05, 95th 0.95
    signal = np.array([-1.0, 0.0, 0.04, 0.5, 0.6, 0.96, 1.0, 2.0])
    s = directionality.tail_summary(signal, null)
    assert s["fifth_percentile"] == pytest.approx(0.05)
    assert s["ninetyfifth_percentile"] == pytest.approx(0.95)
    assert (s["n"], s["n_fifth_percentile"], s["n_ninetyfifth_percentile"]) == (8, 3, 3)
    odds, p = _fisher_two_sided([[5, 3], [5, 3]])
    assert s["fishers_exact_statistic"] == pytest.approx(odds) and s["fishers_exact_pvalue"] == pytest.approx(p)


def test_fisher_on_the_tails_matches_the_hypergeometric_sum():
    rng = np.random.default_rng(0)
    null = rng.standard_normal(2000)
    signal = np.r_[rng.standard_normal(150) + 0.6, rng.standard_normal(50)]
    s = directionality.tail_summary(signal, null)
    lo, hi = _quantile(null, 0.05), _quantile(null, 0.95)
    n, nl, nh = len(signal), int((signal <= lo).sum()), int((signal >= hi).sum())
    odds, p = _fisher_two_sided([[n - nl, nl], [n - nh, nh]])
    assert (s["n_fifth_percentile"], s["n_ninetyfifth_percentile"]) == (nl, nh)
    assert s["fishers_exact_statistic"] == pytest.approx(odds)
    assert s["fishers_exact_pvalue"] == pytest.approx(p, rel=1e-6)
    assert odds > 1  # shifted signal: more pairs in the positive tail


@pytest.fixture(scope="module")
def conditions():
    """One cell type, every modality at both time points; 4 genes, 5 compounds."""
    rng = np.random.default_rng(7)
    genes = ["A", "B", "C", "D"]
    out = {}
    for t in ("short", "long"):
        guides = ["gA1", "gA2", "gB1", "gB2", "gC1", "gC2", "gD1", "NEG"]
        ggenes = ["A", "A", "B", "B", "C", "C", "D", np.nan]
        ctrl = [np.nan] * 7 + ["negcon"]
        frames = [plate_frame(f"cr{t}{p}", [f"A{i:02d}" for i in range(8)], guides, ctrl,
                              rng.standard_normal((8, DIM)), ggenes) for p in range(2)]
        out[f"crispr_A549_{t}"] = preprocess.condition_profiles(frames, "crispr")
        orfs = ["oA", "oB", "oC", "oD", "oE", "NEGO"]
        ogenes = genes + ["E", "CTL"]
        ctrl = [np.nan] * 5 + ["negcon"]
        frames = [plate_frame(f"or{t}{p}", [f"B{i:02d}" for i in range(6)], orfs, ctrl,
                              rng.standard_normal((6, DIM)), ogenes) for p in range(2)]
        out[f"orf_A549_{t}"] = preprocess.condition_profiles(frames, "orf")
        comps = ["c0", "c1", "c2", "c3", "c4", np.nan]
        ctrl = [np.nan] * 5 + ["negcon"]
        frames = [plate_frame(f"cp{t}{p}", [f"C{i:02d}" for i in range(6)], comps, ctrl,
                              rng.standard_normal((6, DIM))) for p in range(2)]
        out[f"compound_A549_{t}"] = preprocess.condition_profiles(frames, "compound")
    ann = pd.DataFrame({"Metadata_broad_sample": ["c0", "c1", "c2", "c3", "c4"],
                        "Metadata_target_list": ["A|B", "C", "Z", "D|A", np.nan]})
    return out, ann


def _med(df, col):
    feats = [c for c in df.columns if not c.startswith("Metadata")]
    df = df[(df["Metadata_control_type"] != "negcon") & df["Metadata_broad_sample"].notna()]
    return {k: g[feats].median().to_numpy() for k, g in df.groupby(col)}


def _brute_pairs(conds, ann):
    """Same-target cosines and null cosines per genetic modality (compound side) and ORF-CRISPR."""
    targets = dict(zip(ann["Metadata_broad_sample"], ann["Metadata_target_list"], strict=True))
    res = {}
    for gm in ("crispr", "orf"):
        same, diff = [], []
        for ct in ("short", "long"):
            comp = _med(conds[f"compound_A549_{ct}"], "Metadata_broad_sample")
            for gt in ("short", "long"):
                gene = _med(conds[f"{gm}_A549_{gt}"], "Metadata_gene")
                for c, v in comp.items():
                    tl = targets.get(c)
                    if not isinstance(tl, str):
                        continue
                    for t in tl.split("|"):
                        if t not in gene:
                            continue
                        for g, w in gene.items():
                            (same if g == t else diff).append(float(unit(v) @ unit(w)))
        res[gm] = (np.array(same), np.array(diff))
    same, diff = [], []
    for ot in ("short", "long"):
        orf = _med(conds[f"orf_A549_{ot}"], "Metadata_gene")
        for crt in ("short", "long"):
            cr = _med(conds[f"crispr_A549_{crt}"], "Metadata_gene")
            for g, v in orf.items():
                for h, w in cr.items():
                    (same if g == h else diff).append(float(unit(v) @ unit(w)))
    res["orf_crispr"] = (np.array(same), np.array(diff))
    return res


def _brute_row(same, diff):
    lo, hi = _quantile(diff, 0.05), _quantile(diff, 0.95)
    n, nl, nh = len(same), int((same <= lo).sum()), int((same >= hi).sum())
    odds, p = _fisher_two_sided([[n - nl, nl], [n - nh, nh]])
    return {"fifth_percentile": lo, "ninetyfifth_percentile": hi, "n": n,
            "n_fifth_percentile": nl, "n_ninetyfifth_percentile": nh,
            "fishers_exact_statistic": odds, "fishers_exact_pvalue": p}


def _check(row, want):
    for key, value in want.items():
        assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key


@pytest.mark.parametrize("tails", ["notebook", "paper"])
def test_directionality_matches_the_notebook_steps(conditions, tails):
    conds, ann = conditions
    signal, summary = directionality.directionality_tables(conds, ann, tails)
    brute = _brute_pairs(conds, ann)
    rows = {(r["panel"], r["genetic_perturbation"]): r for _, r in summary.iterrows()}
    _check(rows[("b", "CRISPR")], _brute_row(*brute["crispr"]))
    _check(rows[("b", "ORF")], _brute_row(*brute["orf"]))
    if tails == "paper":
        _check(rows[("a", "ORF-CRISPR")], _brute_row(*brute["orf_crispr"]))
    else:  # the notebook: the cell type's compound-genetic pairs, CRISPR and ORF pooled
        pooled = [np.r_[brute["crispr"][i], brute["orf"][i]] for i in (0, 1)]
        _check(rows[("a", "ORF-CRISPR")], _brute_row(*pooled))
    # the signal table holds every same-target pair: c0->A,B  c1->C  c3->D,A per time combination
    b = signal[signal["panel"] == "b"]
    assert len(b) == 2 * 4 * 5
    np.testing.assert_allclose(np.sort(b.loc[b["Genetic_Perturbation"] == "CRISPR", "cosine_sim"]),
                               np.sort(brute["crispr"][0]))
    a = signal[signal["panel"] == "a"]
    np.testing.assert_allclose(np.sort(a["cosine_sim"]), np.sort(brute["orf_crispr"][0]))


def test_unknown_fig5a_tails_is_refused(conditions):
    conds, ann = conditions
    with pytest.raises(ValueError, match="cpjump1.fig5a_tails"):
        directionality.directionality_tables(conds, ann, "both")
