"""Bit-exactness with copairs 0.5.5 (skipped where copairs is not installed).

copairs is a test/benchmark extra only: the workflow itself never imports it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mapeval

copairs_map = pytest.importorskip("copairs.map", reason="copairs not installed (test extra)")
copairs_compute = pytest.importorskip("copairs.compute")


def _data(seed, n=300):
    rng = np.random.default_rng(seed)
    meta = pd.DataFrame(
        {"pert": rng.choice([f"p{i}" for i in range(40)] + ["ctrl"] * 8, size=n),
         "plate": rng.integers(0, 3, size=n)}
    )
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = rng.normal(size=(n, 12))
    feats[::13] = feats[1]
    return meta, feats


@pytest.mark.parametrize("similarity", ["cosine", "abs_cosine", "correlation", "euclidean"])
@pytest.mark.parametrize("neg_sameby", [[], ["plate"]])
def test_ap_identical(similarity, neg_sameby):
    meta, feats = _data(0)
    args = (["pert", "ref"], [], neg_sameby, ["pert", "ref"])
    ours = mapeval.average_precision(meta, feats, *args, similarity=similarity)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = copairs_map.average_precision(meta, feats, *args, distance=similarity, progress_bar=False)
    scored = ours["n_pos_pairs"] > 0
    np.testing.assert_array_equal(ours["n_pos_pairs"], theirs["n_pos_pairs"])
    np.testing.assert_array_equal(ours.loc[scored, "n_total_pairs"], theirs.loc[scored, "n_total_pairs"])
    diff = np.abs(ours["average_precision"] - theirs["average_precision"])[scored]
    assert diff.max() <= 1e-12


@pytest.mark.parametrize("k,n,seed", [(1, 10, 0), (3, 40, 5), (7, 200, 11), (30, 70, 2)])
def test_copairs_sampler_bit_exact(k, n, seed):
    ours = mapeval.null_distributions(np.array([[k, n]]), 3000, seed=seed, sampler="copairs")[0]
    sub_seed = np.random.default_rng(seed).integers(8096, size=1)[0]
    theirs = copairs_compute.random_ap(3000, k, n, sub_seed)
    np.testing.assert_array_equal(ours, theirs)


def test_map_pvalues_bit_exact(tmp_path):
    meta, feats = _data(1)
    args = (["pert", "ref"], [], ["plate"], ["pert", "ref"])
    ap = mapeval.average_precision(meta, feats, *args)
    ours = mapeval.mean_average_precision(ap, ["pert"], 2000, 0.05, seed=3, null_sampler="copairs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # copairs 0.5.5 also averages a normalised AP, which mapeval does not compute
        theirs = copairs_map.mean_average_precision(
            ap.assign(normalized_average_precision=0.0), ["pert"], 2000, 0.05, 3, progress_bar=False, cache_dir=tmp_path
        )
    np.testing.assert_array_equal(ours["pert"], theirs["pert"])
    np.testing.assert_array_equal(ours["mean_average_precision"], theirs["mean_average_precision"])
    np.testing.assert_array_equal(ours["p_value"], theirs["p_value"])
    np.testing.assert_array_equal(ours["corrected_p_value"], theirs["corrected_p_value"])
    np.testing.assert_array_equal(ours["below_corrected_p"], theirs["below_corrected_p"])


def test_ap_pvalues_match(tmp_path, monkeypatch):
    meta, feats = _data(2)
    ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    monkeypatch.setenv("HOME", str(tmp_path))  # copairs caches nulls under ~/.copairs
    from copairs.map.average_precision import p_values

    theirs = p_values(ap, 1000, seed=0, progress_bar=False)
    ours = mapeval.ap_p_values(ap, 1000, seed=0, null_sampler="copairs")
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)  # copairs stores p-values as float32


def test_multilabel_identical():
    rng = np.random.default_rng(3)
    n = 90
    targets = [f"t{i}" for i in range(10)]
    labels = [sorted(set(rng.choice(targets, size=rng.integers(1, 4)))) for _ in range(n // 3)]
    meta = pd.DataFrame({"cmpd": [f"c{i // 3}" for i in range(n)]})
    meta["target"] = [labels[i // 3] for i in range(n)]
    feats = rng.normal(size=(n, 6))
    args = (["target"], ["cmpd"], [], ["target", "cmpd"])
    ours = mapeval.multilabel.average_precision(meta, feats, *args, "target", similarity="abs_cosine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = copairs_map.multilabel.average_precision(
            meta, feats, *args, "target", distance="abs_cosine", progress_bar=False
        )
    keys = ["cmpd", "target", "n_pos_pairs", "n_total_pairs", "average_precision"]
    a = ours[keys].sort_values(keys).reset_index(drop=True)
    b = theirs[keys].sort_values(keys).reset_index(drop=True)
    np.testing.assert_array_equal(a[keys[:4]].astype(str), b[keys[:4]].astype(str))
    assert np.abs(a["average_precision"] - b["average_precision"]).max() <= 1e-12
