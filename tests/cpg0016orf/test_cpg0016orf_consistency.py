"""Fig S7D, phenotypic consistency: annotations, active wells, consensus, multilabel AP, and the
two documented choices (consensus_by, consistency_wells).

Oracles: hand-made wells with medians worked out by hand, and the multilabel AP formula by brute
force (plain numpy, no mapeval).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.cpg0016orf import consistency, inputs, preprocess
from mapreprod.settings import MapSettings

PROFILE = list(inputs.PROFILE_METADATA)


def _orf_metadata(rows):
    """rows: (JCP, broad_sample, symbol, gene, pert_type, complexname)."""
    return pd.DataFrame(rows, columns=list(inputs.ORF_METADATA_REQUIRED))


ORFS = _orf_metadata([
    ("J1a", "b1a", "G1", "1", "trt", "C1|C2|C1"),
    ("J1b", "b1b", "G1", "1", "trt", "C1|C2|C1"),
    ("J2", "b2", "G2", "2", "trt", "C1"),
    ("J3", "b3", "G3", "3", "trt", "C2"),
    ("J4", "b4", "G4", "4", "trt", None),
    ("J5", "b5", "G5", None, "trt", "C2"),
])


def _wells(jcps, feats, plates=None):
    n = len(jcps)
    meta = pd.DataFrame({
        "Metadata_Source": ["source_4"] * n,
        "Metadata_Plate": plates or ["P1"] * n,
        "Metadata_Well": [f"A{i + 1:02d}" for i in range(n)],
        "Metadata_JCP2022": jcps,
    })
    feats = np.asarray(feats, dtype=np.float32)
    return inputs.Profiles(meta, feats, [f"X_{i + 1}" for i in range(feats.shape[1])])


def test_annotations_keep_complete_rows_and_split_complexes():
    ann = consistency.complex_annotations(ORFS)
    assert ann["Metadata_JCP2022"].tolist() == ["J1a", "J1b", "J2", "J3"]  # J4: no complex, J5: no gene
    assert ann[consistency.COMPLEX_LIST].tolist()[0] == ["C1", "C2", "C1"]


def test_active_wells_and_gene_consensus_by_hand():
    wells = _wells(["J1a", "J1a", "J1b", "J2", "J2", "J3", "J4"],
                   [[1, 2], [3, 4], [5, 0], [0, 1], [2, 2], [9, 9], [7, 7]])
    activity = pd.DataFrame({"Metadata_JCP2022": ["J1a", "J1b", "J2", "J3", "J4"],
                             "below_corrected_p": [True, True, True, False, True]})
    active = consistency.active_perturbations(activity)
    assert active == ["J1a", "J1b", "J2", "J4"]
    sel = consistency.select_active_wells(wells, active, consistency.complex_annotations(ORFS))
    # J3 inactive, J4 unannotated: out; wells keep their order
    assert sel.meta["Metadata_JCP2022"].tolist() == ["J1a", "J1a", "J1b", "J2", "J2"]
    cons = consistency.consensus(sel)  # per gene: J1a and J1b pooled
    assert cons.meta["Metadata_NCBI_Gene_ID"].tolist() == ["1", "2"]
    np.testing.assert_array_equal(cons.features, [[3, 2], [1, 1.5]])  # medians by hand
    assert cons.meta["Metadata_JCP2022"].tolist() == ["J1a", "J2"]  # first well's metadata
    assert cons.meta[consistency.COMPLEX_LIST].tolist() == [["C1", "C2"], ["C1"]]  # deduplicated
    # the paper's wording: one consensus per ORF reagent
    per_orf = consistency.consensus(sel, by=consistency.CONSENSUS_BY["perturbation"])
    assert per_orf.meta["Metadata_JCP2022"].tolist() == ["J1a", "J1b", "J2"]
    np.testing.assert_array_equal(per_orf.features, [[2, 3], [5, 0], [1, 1.5]])


def test_consistency_wells_all_brings_back_low_infection_wells():
    # J1a sits on plate P1 (map M1) and P2 (map M2); its M2 well is a low-infection reagent
    wells = _wells(["J1a", "J1a", "J2", "J2", "N"], [[1, 0], [5, 5], [0, 1], [0, 2], [1, 1]],
                   plates=["P1", "P2", "P1", "P2", "P1"])
    orfs = pd.concat([ORFS, _orf_metadata([("N", "bn", "LacZ", "LacZ", "negcon", None)])])
    experiment = pd.DataFrame({"Plate_Map_Name": ["M1", "M2"], "Assay_Plate_Barcode": ["P1", "P2"]})
    reagents = pd.DataFrame({"Metadata_plate_map_name": ["M2"], "Metadata_Well": ["A02"],
                             "Metadata_broad_sample": ["b1a"]})
    filtered, _ = preprocess.filter_profiles(
        wells, orfs, pd.DataFrame({"Metadata_JCP2022": []}), experiment, reagents
    )
    ann = consistency.complex_annotations(orfs)
    every = consistency.select_active_wells(wells, ["J1a", "J2"], ann)
    kept = consistency.select_active_wells(filtered, ["J1a", "J2"], ann, key_columns_only=True)
    assert len(every) == 4 and len(kept) == 3
    by_orf = consistency.CONSENSUS_BY["perturbation"]
    np.testing.assert_array_equal(consistency.consensus(every, by_orf).features[0], [3, 2.5])
    np.testing.assert_array_equal(consistency.consensus(kept, by_orf).features[0], [1, 0])
    with pytest.raises(ValueError, match="no well of an active ORF"):
        consistency.select_active_wells(wells, ["J4"], ann)


def _brute_force_multilabel(labels, feats):
    """AP per (profile, label): positives share the label, negatives share no label at all."""
    x = np.asarray(feats, dtype=np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = (x @ x.T).astype(np.float32)
    out = {}
    for p, own in enumerate(labels):
        for t in set(own):
            pos = [q for q in range(len(labels)) if q != p and t in labels[q]]
            neg = [q for q in range(len(labels)) if not set(labels[q]) & set(own)]
            if not pos:
                continue
            s = np.r_[sim[p, pos], sim[p, neg]]
            hit = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
            hit = hit[np.lexsort((-hit, -s))]
            prec = np.cumsum(hit) / np.arange(1, len(hit) + 1)
            out[(p, t)] = ((prec * hit).sum() / len(pos), len(pos), len(s))
    return out


def test_multilabel_ap_matches_the_formula():
    rng = np.random.default_rng(0)
    labels = [["A"], ["A", "B"], ["B"], ["A"], ["C"], ["C"], ["B", "C"], ["D"]]
    feats = rng.normal(size=(len(labels), 5))
    meta = pd.DataFrame({"Metadata_NCBI_Gene_ID": [str(i) for i in range(len(labels))],
                         consistency.COMPLEX_LIST: labels})
    cons = inputs.Profiles(meta, feats, [f"X_{i}" for i in range(5)])
    ap, scores = consistency.phenotypic_consistency(cons, MapSettings(null_size=1000, seed=12527))
    expected = _brute_force_multilabel(labels, feats)
    got = {(int(g), t): (a, k, n) for g, t, a, k, n in ap[[
        "Metadata_NCBI_Gene_ID", consistency.COMPLEX_LIST, "average_precision", "n_pos_pairs",
        "n_total_pairs"]].itertuples(index=False)}
    assert got.keys() == expected.keys()  # D has no partner: no row
    for key, (a, k, n) in expected.items():
        assert got[key][1:] == (k, n), key
        assert got[key][0] == pytest.approx(a, abs=1e-12), key
    assert sorted(scores[consistency.COMPLEX_LIST]) == ["A", "B", "C"]
    means = ap.groupby(consistency.COMPLEX_LIST)["average_precision"].mean()
    np.testing.assert_allclose(scores.set_index(consistency.COMPLEX_LIST)["mean_average_precision"],
                               means.loc[scores[consistency.COMPLEX_LIST]])
