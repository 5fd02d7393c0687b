"""Perturbation detection (Fig 4a, Extended Data Fig 1) against brute force, copairs 0.5.5 and
hand-worked cases; the class q-value in the notebooks' and the paper's way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cpjump1_cases import bh, brute_ap, compound_plates, orf_plates
from mapreprod.datasets.cpjump1 import activity, preprocess
from mapreprod.settings import MapSettings


@pytest.fixture(scope="module")
def compound_condition():
    return preprocess.condition_profiles(compound_plates(n_plates=3, n_compounds=7), "compound")


@pytest.fixture(scope="module")
def orf_condition():
    return preprocess.condition_profiles(orf_plates(n_plates=2, n_orfs=6), "orf")


def _features(df):
    return df[[c for c in df.columns if not c.startswith("Metadata")]].to_numpy(float)


def _brute_detection(df, variant):
    """The notebooks' pairing written out: positives = other wells of the same perturbation
    (same / different well for the variants), negatives = negcon wells of the query's plate."""
    x = _features(df)
    out = {}
    for i, row in df.iterrows():
        if row["Metadata_negcon"] == 1:
            continue
        pos = []
        for j, other in df.iterrows():
            if j == i or other["Metadata_broad_sample"] != row["Metadata_broad_sample"]:
                continue
            same_well = other["Metadata_Well"] == row["Metadata_Well"]
            if (variant == "same_well" and not same_well) or (variant == "different_well" and same_well):
                continue
            pos.append(j)
        neg = df.index[(df["Metadata_negcon"] == 1) & (df["Metadata_Plate"] == row["Metadata_Plate"])]
        if pos:
            out[i] = (brute_ap(x[i], x[pos], x[neg]), len(pos), len(pos) + len(neg))
    return out


@pytest.mark.parametrize("variant", ["all", "same_well", "different_well"])
def test_detection_ap_matches_brute_force(orf_condition, compound_condition, variant):
    for df in (compound_condition, orf_condition):
        ap, _ = activity.replicate_retrieval(df, MapSettings(null_size=200), variant=variant)
        expected = _brute_detection(df, variant)
        got = {
            (r.Metadata_Plate, r.Metadata_Well): r for r in ap.itertuples(index=False)
        }
        assert len(got) == len(expected)
        for i, (value, k, n) in expected.items():
            r = got[(df.at[i, "Metadata_Plate"], df.at[i, "Metadata_Well"])]
            assert r.average_precision == pytest.approx(value, abs=1e-6)
            assert (r.n_pos_pairs, r.n_total_pairs) == (k, n)


def test_variants_split_the_orf_replicates_by_well(orf_condition):
    ap_all, _ = activity.replicate_retrieval(orf_condition, MapSettings(null_size=100))
    ap_same, _ = activity.replicate_retrieval(orf_condition, MapSettings(null_size=100), variant="same_well")
    ap_diff, _ = activity.replicate_retrieval(
        orf_condition, MapSettings(null_size=100), variant="different_well"
    )
    # 2 plates x 2 in-plate copies: 3 replicates, 1 in the same well (other plate), 2 elsewhere
    assert set(ap_all["n_pos_pairs"]) == {3}
    assert set(ap_same["n_pos_pairs"]) == {1}
    assert set(ap_diff["n_pos_pairs"]) == {2}


def test_ap_pvalues_use_strict_greater_on_copairs_nulls(compound_condition, tmp_path):
    from copairs.compute import get_null_dists

    ap, _ = activity.replicate_retrieval(
        compound_condition, MapSettings(null_size=500, seed=3, null_sampler="copairs")
    )
    confs = ap[["n_pos_pairs", "n_total_pairs"]].to_numpy()
    uniq, rev = np.unique(confs, axis=0, return_inverse=True)
    nulls = get_null_dists(uniq, 500, seed=3, cache_dir=tmp_path, progress_bar=False)
    for (value, p), c in zip(ap[["average_precision", "p_value"]].to_numpy(), rev.ravel(), strict=True):
        assert p == pytest.approx((1 + (nulls[c] > np.float32(value)).sum()) / 501)


def test_strict_greater_on_a_hand_made_null():
    # k = 1 of N = 2: the null AP is 1 or 0.5; an AP of 1 is never exceeded -> p = 1/(n+1)
    ap = pd.DataFrame({"average_precision": [1.0, 0.5], "n_pos_pairs": [1, 1], "n_total_pairs": [2, 2]})
    p = activity.ap_p_values(ap, MapSettings(null_size=1000, seed=0))
    assert p[0] == pytest.approx(1 / 1001)
    assert 0.4 < p[1] < 0.6  # about half the null draws (AP 1) exceed 0.5


def _class_oracle(ap, col, mode, threshold=0.05):
    rows = []
    for key, part in ap.groupby(col):
        rows.append((key, part["average_precision"].mean(), np.mean(-np.log10(part["p_value"]))))
    keys = [r[0] for r in rows]
    nlog10p = np.array([r[2] for r in rows])
    if mode == "notebook":
        q = bh(10.0**-nlog10p)
    else:
        qap = bh(ap["p_value"].to_numpy())
        q = np.array([10 ** np.mean(np.log10(qap[(ap[col] == k).to_numpy()])) for k in keys])
    return pd.DataFrame({col: keys, "mAP": [r[1] for r in rows], "q": q, "hit": -np.log10(q) > -np.log10(threshold)})


@pytest.mark.parametrize("mode", ["notebook", "paper"])
def test_class_q_geometric_mean_then_bh_or_bh_then_geometric_mean(mode):
    rng = np.random.default_rng(5)
    ap = pd.DataFrame({
        "Metadata_broad_sample": np.repeat([f"c{i}" for i in range(12)], 4),
        "average_precision": rng.random(48),
        "p_value": np.concatenate([rng.uniform(1e-4, 0.02, 16), rng.uniform(0.01, 1, 32)]),
    })
    got = activity.class_scores(ap, "Metadata_broad_sample", 0.05, class_q=mode)
    want = _class_oracle(ap, "Metadata_broad_sample", mode)
    assert got["Metadata_broad_sample"].tolist() == want["Metadata_broad_sample"].tolist()
    np.testing.assert_allclose(got["mAP"], want["mAP"])
    np.testing.assert_allclose(got["q_value"], want["q"], rtol=1e-12)
    assert got["above_q_threshold"].tolist() == want["hit"].tolist()
    assert got["n_members"].tolist() == [4] * 12


def test_class_q_modes_differ_as_documented():
    # one class of two members with p = 0.001 and 0.5: geometric mean ~0.022; alone in its call
    ap = pd.DataFrame({"Metadata_broad_sample": ["a", "a"], "average_precision": [0.9, 0.1],
                       "p_value": [0.001, 0.5]})
    nb = activity.class_scores(ap, "Metadata_broad_sample", class_q="notebook")
    pp = activity.class_scores(ap, "Metadata_broad_sample", class_q="paper")
    assert nb["q_value"].iloc[0] == pytest.approx(np.sqrt(0.001 * 0.5))
    # paper: BH of (0.001, 0.5) over 2 tests = (0.002, 0.5), geometric mean sqrt(0.001)
    assert pp["q_value"].iloc[0] == pytest.approx(np.sqrt(0.002 * 0.5))
    with pytest.raises(ValueError, match="cpjump1.class_q"):
        activity.class_scores(ap, "Metadata_broad_sample", class_q="other")


def test_notebook_pipeline_reimplemented_with_copairs_matches(compound_condition, tmp_path):
    """The notebooks' steps with copairs 0.5.5 (pos_sameby broad_sample, neg_sameby Plate,
    neg_diffby negcon, then negcon rows dropped), copairs' nulls, (1 + #{null > AP})/(1 + n),
    copairs-aggregate class q: identical classes, item by item."""
    from copairs.compute import get_null_dists
    from copairs.map import average_precision

    df = compound_condition
    meta = df[["Metadata_broad_sample", "Metadata_Plate", "Metadata_Well", "Metadata_negcon"]].copy()
    feats = _features(df)
    ref = average_precision(meta, feats, ["Metadata_broad_sample"], [], ["Metadata_Plate"],
                            ["Metadata_negcon"], progress_bar=False)
    ref = ref[(ref["Metadata_negcon"] == 0) & ref["average_precision"].notna()].reset_index(drop=True)
    confs = ref[["n_pos_pairs", "n_total_pairs"]].to_numpy()
    uniq, rev = np.unique(confs, axis=0, return_inverse=True)
    nulls = get_null_dists(uniq, 400, seed=0, cache_dir=tmp_path, progress_bar=False)
    ref["p_value"] = [
        (1 + (nulls[c] > np.float32(v)).sum()) / 401
        for v, c in zip(ref["average_precision"], rev.ravel(), strict=True)
    ]
    want = _class_oracle(ref, "Metadata_broad_sample", "notebook")

    ap, got = activity.replicate_retrieval(
        df, MapSettings(null_size=400, seed=0, null_sampler="copairs")
    )
    merged = ap.merge(ref, on=["Metadata_Plate", "Metadata_Well"], suffixes=("", "_ref"))
    assert len(merged) == len(ref) == len(ap)
    np.testing.assert_allclose(merged["average_precision"], merged["average_precision_ref"], atol=1e-6)
    np.testing.assert_allclose(merged["p_value"], merged["p_value_ref"])
    np.testing.assert_allclose(got["mAP"], want["mAP"], atol=1e-6)
    np.testing.assert_allclose(got["q_value"], want["q"], rtol=1e-9)
    assert got["above_q_threshold"].tolist() == want["hit"].tolist()


def test_fraction_retrieved_is_the_share_of_classes_below_q():
    classes = pd.DataFrame({"above_q_threshold": [True, False, True, True]})
    assert activity.fraction_retrieved(classes) == 0.75
    assert np.isnan(activity.fraction_retrieved(classes.iloc[:0]))


def test_unknown_variant_is_refused(compound_condition):
    with pytest.raises(ValueError, match="variant"):
        activity.replicate_retrieval(compound_condition, MapSettings(null_size=10), variant="neighbour")
