"""Fig S7B, phenotypic activity: pairs, AP, mAP, the FDR choice, the planted truth.

Oracles: a plate worked out by hand, the AP formula computed by brute force for every well of
the stand-in (plain numpy, no mapeval), and the planted truth of the generator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.cpg0016orf import activity, inputs, standin
from mapreprod.settings import MapSettings
from orf_testdata import SMALL, read_and_filter, write_inputs

# the authors' seed and FDR 0.1 with a small null
FAST = MapSettings(null_size=2000, seed=12527, threshold=0.1)


def _wells(rows, feats):
    meta = pd.DataFrame(rows, columns=["Metadata_Plate", "Metadata_JCP2022", "Metadata_pert_type"])
    return inputs.Profiles(meta, np.asarray(feats, dtype=float), ["X_1", "X_2"])


def test_hand_worked_plate():
    # ORF A on plates P1 and P2; two negcon wells per plate; cosine similarities by hand:
    #   A@P1 = (1, 0): partner A@P2 (cos 0.995), negcons (0, 1) cos 0 and (1, 2) cos 0.447
    #       -> the positive ranks first: AP 1
    #   A@P2 = (1, 0.1): negcon (2, 0.21) cos 0.99998 > partner cos 0.995 > negcon (0.1, 1) cos 0.198
    #       -> the positive ranks second: AP 1/2.   mAP(A) = 0.75
    # ORF B, only on P1, has no partner: no AP and no mAP.
    rows = [("P1", "A", "trt"), ("P1", "N", "negcon"), ("P1", "N", "negcon"), ("P1", "B", "trt"),
            ("P2", "A", "trt"), ("P2", "N", "negcon"), ("P2", "N", "negcon")]
    feats = [[1, 0], [0, 1], [1, 2], [0.3, 0.7], [1, 0.1], [2, 0.21], [0.1, 1]]
    ap, scores = activity.phenotypic_activity(_wells(rows, feats), FAST)
    assert "negcon" not in set(ap["Metadata_pert_type"])  # negcon APs are dropped
    a = ap[ap["Metadata_JCP2022"] == "A"]
    np.testing.assert_allclose(a["average_precision"], [1.0, 0.5])
    assert a["n_pos_pairs"].tolist() == [1, 1] and a["n_total_pairs"].tolist() == [3, 3]
    assert ap.loc[ap["Metadata_JCP2022"] == "B", "average_precision"].isna().all()
    assert scores["Metadata_JCP2022"].tolist() == ["A"]
    np.testing.assert_allclose(scores["mean_average_precision"], [0.75])


def test_needs_negcon_wells():
    rows = [("P1", "A", "trt"), ("P2", "A", "trt")]
    with pytest.raises(ValueError, match="negcon"):
        activity.phenotypic_activity(_wells(rows, [[1, 0], [0, 1]]), FAST)


@pytest.fixture(scope="module")
def filtered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orf_act")
    data = write_inputs(folder, seed=7)
    _, wells, _ = read_and_filter(folder)
    return wells, data.truth


@pytest.fixture(scope="module")
def result(filtered):
    return activity.phenotypic_activity(filtered[0], FAST)


def _brute_force_ap(wells: inputs.Profiles) -> pd.DataFrame:
    """AP from the formula: positives = same JCP2022 on any plate, negatives = negcon wells of
    the query's plate; rank by float32 cosine, positives first on ties; mean precision at hits."""
    x = wells.features.astype(np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = (x @ x.T).astype(np.float32)
    jcp = wells.meta["Metadata_JCP2022"].to_numpy()
    plate = wells.meta["Metadata_Plate"].to_numpy()
    negcon = (wells.meta["Metadata_pert_type"] == "negcon").to_numpy()
    rows = []
    for i in np.flatnonzero(~negcon):
        pos = np.flatnonzero((jcp == jcp[i]) & (np.arange(len(jcp)) != i))
        neg = np.flatnonzero(negcon & (plate == plate[i]))
        if len(pos) == 0:
            rows.append((i, 0, 0, np.nan))
            continue
        s = np.r_[sim[i, pos], sim[i, neg]]
        label = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        order = np.lexsort((-label, -s))  # by similarity desc, positives first on ties
        hits = label[order]
        precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        rows.append((i, len(pos), len(s), float((precision * hits).sum() / len(pos))))
    return pd.DataFrame(rows, columns=["row", "n_pos_pairs", "n_total_pairs", "average_precision"])


def test_ap_matches_the_formula_for_every_well(filtered, result):
    wells, _ = filtered
    ap, _ = result
    expected = _brute_force_ap(wells)
    assert len(ap) == len(expected)
    np.testing.assert_array_equal(ap["n_pos_pairs"], expected["n_pos_pairs"])
    scored = expected["n_pos_pairs"] > 0
    np.testing.assert_array_equal(ap.loc[scored, "n_total_pairs"], expected.loc[scored, "n_total_pairs"])
    np.testing.assert_allclose(ap["average_precision"], expected["average_precision"], atol=1e-12)
    # every plate has negcons: each query sees the same number of negatives (16 per plate)
    n_neg = expected.loc[scored, "n_total_pairs"] - expected.loc[scored, "n_pos_pairs"]
    assert (n_neg == 4 * SMALL.negcon_wells_per_type).all()


def test_map_is_the_mean_ap_per_orf_and_bh_at_the_fdr(filtered, result):
    ap, scores = result
    means = ap.groupby("Metadata_JCP2022")["average_precision"].mean()
    np.testing.assert_allclose(
        scores.set_index("Metadata_JCP2022")["mean_average_precision"], means.loc[scores["Metadata_JCP2022"]]
    )
    # BH by hand: q_(i) = min_{j >= i} p_(j) * n / j
    p = scores["p_value"].to_numpy()
    order = np.argsort(p)
    q = np.minimum.accumulate((p[order] * len(p) / np.arange(1, len(p) + 1))[::-1])[::-1]
    expected = np.empty_like(q)
    expected[order] = np.minimum(q, 1)
    np.testing.assert_allclose(scores["corrected_p_value"], expected)
    np.testing.assert_array_equal(scores["below_corrected_p"], scores["corrected_p_value"] < 0.1)


def test_fdr_option_changes_only_the_call(filtered, result):
    _, code = result
    _, label = activity.phenotypic_activity(filtered[0], FAST.replace(threshold=0.05))
    pd.testing.assert_series_equal(code["corrected_p_value"], label["corrected_p_value"])
    np.testing.assert_array_equal(label["below_corrected_p"], label["corrected_p_value"] < 0.05)
    assert label["below_corrected_p"].sum() <= code["below_corrected_p"].sum()
    assert (label["below_corrected_p"] <= code["below_corrected_p"]).all()


def test_planted_truth_is_recovered(filtered, result):
    _, truth = filtered
    _, scores = result
    called = scores.set_index("Metadata_JCP2022")["below_corrected_p"]
    planted = truth.set_index("Metadata_JCP2022")["active"].reindex(called.index)
    assert called[planted].mean() > 0.7  # most active ORFs are retrieved
    assert called[~planted].mean() < 0.1  # few inactive ones
    # low-infection reagents were filtered out entirely
    low = set(truth.loc[truth["low_infection"], "Metadata_JCP2022"])
    assert low and not low & set(called.index)


def test_activity_rows_are_orfs_not_controls(filtered, result):
    _, scores = result
    _, truth = filtered
    assert set(scores["Metadata_JCP2022"]) <= set(truth["Metadata_JCP2022"])
    assert standin.BAD_CONSTRUCT_JCP not in set(scores["Metadata_JCP2022"])
