"""Bit-exactness with copairs 0.5.5 (skipped where copairs is not installed).

copairs is a test/benchmark extra only: the workflow itself never imports it. The first tests
enumerate every public name of ``copairs.map`` and every output column of its functions and check
that mapeval has it, with the same values on the same input.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

import mapeval

copairs_map = pytest.importorskip("copairs.map", reason="copairs not installed (test extra)")
copairs_compute = pytest.importorskip("copairs.compute")

# designed ties (duplicated and rounded profiles): the tie warning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::mapeval.TiedRanksWarning")


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
        theirs = copairs_map.mean_average_precision(
            ap, ["pert"], 2000, 0.05, 3, progress_bar=False, cache_dir=tmp_path
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


# ------------------------------------------------------------------------------------------------
# The whole copairs.map API: every public name, argument and output column, with equal values
# ------------------------------------------------------------------------------------------------


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _dose_design(seed=0):
    """Compounds x 3 doses x 3 replicates against DMSO; the high doses of a few compounds act."""
    rng = np.random.default_rng(seed)
    rows = [(f"c{c}", d, r) for c in range(8) for d in (1, 2, 3) for r in range(3)]
    rows += [("DMSO", 0, r) for r in range(24)]
    meta = pd.DataFrame(rows, columns=["cmpd", "dose", "rep"])
    meta = mapeval.assign_reference_index(meta, "cmpd == 'DMSO'", reference_col="ref")
    feats = rng.normal(size=(len(meta), 10))
    signal = rng.normal(size=10) * 1.5
    for c in range(3):  # strong at dose 3, weaker at dose 2
        feats[(meta["cmpd"] == f"c{c}") & (meta["dose"] == 3)] += signal
        feats[(meta["cmpd"] == f"c{c}") & (meta["dose"] == 2)] += 0.5 * signal
    return meta, feats


def test_every_public_name_of_copairs_map_exists_with_its_arguments():
    for name in copairs_map.__all__:
        theirs = getattr(copairs_map, name)
        assert hasattr(mapeval, name), f"mapeval lacks copairs.map.{name}"
        ours = getattr(mapeval, name)
        if inspect.ismodule(theirs):  # multilabel
            public = [n for n in dir(theirs) if not n.startswith("_") and inspect.getmodule(getattr(theirs, n)) is theirs]
            for sub in public:
                assert hasattr(ours, sub), f"mapeval.{name} lacks {sub}"
                if callable(getattr(theirs, sub)):
                    _same_arguments(getattr(theirs, sub), getattr(ours, sub), f"{name}.{sub}")
        else:
            _same_arguments(theirs, ours, name)


def _same_arguments(theirs, ours, name):
    t = list(inspect.signature(theirs).parameters)
    o = inspect.signature(ours).parameters
    missing = [p for p in t if p not in o]
    assert not missing, f"mapeval.{name} lacks argument(s) {missing}"
    # copairs' positional arguments without defaults keep their positions in mapeval
    required = [p for p, v in inspect.signature(theirs).parameters.items() if v.default is inspect.Parameter.empty]
    assert list(o)[: len(required)] == required, name


def test_average_precision_every_column_equal():
    meta, feats = _data(4)
    args = (["pert", "ref"], [], ["plate"], ["pert", "ref"])
    ours = mapeval.average_precision(meta, feats, *args)
    theirs = _quiet(copairs_map.average_precision, meta, feats, *args, progress_bar=False)
    assert set(theirs.columns) <= set(ours.columns)
    for col in theirs.columns:
        a, b = ours[col], theirs[col]
        if col in ("average_precision", "normalized_average_precision"):
            np.testing.assert_array_equal(a.isna(), b.isna(), err_msg=col)
            assert np.nanmax(np.abs(a - b)) <= 1e-12, col
        else:  # metadata and pair counts (controls' n_total_pairs = their negative pairs too)
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy(), err_msg=col)
    # normalised AP: copairs' own numbers from copairs' AP, bit for bit
    scored = theirs["n_pos_pairs"] > 0
    norm = mapeval.normalize_ap(theirs.loc[scored, "average_precision"], theirs.loc[scored, "n_pos_pairs"],
                                theirs.loc[scored, "n_total_pairs"])
    np.testing.assert_array_equal(norm, theirs.loc[scored, "normalized_average_precision"])


def test_multilabel_every_column_equal():
    rng = np.random.default_rng(7)
    n = 60
    targets = [f"t{i}" for i in range(8)]
    labels = [sorted(set(rng.choice(targets, size=rng.integers(1, 4)))) for _ in range(n)]
    meta = pd.DataFrame({"cmpd": [f"c{i}" for i in range(n)], "target": labels})
    feats = rng.normal(size=(n, 5))
    args = (["target"], ["cmpd"], [], ["target", "cmpd"])
    ours = mapeval.multilabel.average_precision(meta, feats, *args, "target")
    theirs = _quiet(copairs_map.multilabel.average_precision, meta, feats, *args, "target", progress_bar=False)
    assert set(theirs.columns) <= set(ours.columns)
    key = ["cmpd", "target"]
    a = ours.sort_values(key).reset_index(drop=True)
    b = theirs.sort_values(key).reset_index(drop=True)
    for col in theirs.columns:
        if col in ("average_precision", "normalized_average_precision"):
            assert np.abs(a[col] - b[col]).max() <= 1e-12, col
        else:
            np.testing.assert_array_equal(a[col].astype(str), b[col].astype(str), err_msg=col)


@pytest.mark.parametrize("sampler_seed", [0, 5])
def test_mean_average_precision_and_get_map_pvalue_every_column_equal(tmp_path, sampler_seed):
    meta, feats = _data(5)
    ap = _quiet(copairs_map.average_precision, meta, feats, ["pert", "ref"], [], [], ["pert", "ref"],
                progress_bar=False)
    for name, extra in (("mean_average_precision", (0.05,)), ("get_map_pvalue", ())):
        theirs = _quiet(getattr(copairs_map, name), ap, ["pert"], 1000, *extra, sampler_seed,
                        progress_bar=False, cache_dir=tmp_path / name)
        ours = getattr(mapeval, name)(ap, ["pert"], 1000, *extra, sampler_seed, null_sampler="copairs")
        assert list(ours.columns) == list(theirs.columns), name
        for col in theirs.columns:
            if col == "indices":
                assert ours[col].tolist() == [list(x) for x in theirs[col]]
            else:
                np.testing.assert_array_equal(ours[col].to_numpy(), theirs[col].to_numpy(), err_msg=f"{name}.{col}")


def test_mean_average_precision_hierarchical_every_column_equal(tmp_path):
    meta, feats = _dose_design()
    ap = _quiet(copairs_map.average_precision, meta, feats, ["cmpd", "dose", "ref"], [], [], ["cmpd", "ref"],
                progress_bar=False)
    args = (["cmpd", "dose"], 2000, 0.05, 1, ["cmpd"])
    theirs = _quiet(copairs_map.mean_average_precision_hierarchical, ap, *args, progress_bar=False,
                    cache_dir=tmp_path)
    ours = mapeval.mean_average_precision_hierarchical(ap, *args, null_sampler="copairs")
    assert list(ours.columns) == list(theirs.columns)
    for col in theirs.columns:
        if col == "indices":
            assert ours[col].tolist() == [list(x) for x in theirs[col]]
        else:
            np.testing.assert_array_equal(ours[col].to_numpy(), theirs[col].to_numpy(), err_msg=col)
    # the design exercises both stages: some compounds pass stage 1, some do not
    assert 0 < theirs["stage1_significant"].sum() < len(theirs)
    # rows of compounds failing stage 1 get corrected p-value 1 (stage 2 only within passing ones)
    assert (ours.loc[~ours["stage1_significant"], "corrected_p_value"] == 1.0).all()


@pytest.mark.parametrize("method", ["fdr_bh", "fdr_by", "bonferroni", "sidak", "holm", "holm-sidak",
                                    "simes-hochberg", "hommel", "fdr_i", "b", "h"])
def test_multipletests_equal_statsmodels(method):
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(3)
    p = np.r_[rng.uniform(size=40), rng.uniform(0, 0.01, size=8), [0.5, 0.5, 0.02, 0.02, 1.0, 0.0]]
    rng.shuffle(p)
    with np.errstate(divide="ignore"):  # statsmodels' log1p(-1) for p = 1
        reject, corrected, _, _ = multitest.multipletests(p, method=method)
    ours_reject, ours_corrected = mapeval.multipletests(p, method=method)
    np.testing.assert_array_equal(ours_corrected, corrected)
    np.testing.assert_array_equal(ours_reject, reject)
    table = pd.DataFrame({"g": np.arange(len(p)), "p_value": p})
    with np.errstate(divide="ignore"):
        theirs = copairs_map.apply_fdr_correction(table, method=method)
    np.testing.assert_array_equal(mapeval.apply_fdr_correction(table, method=method)["corrected_p_value"],
                                  theirs["corrected_p_value"])


def test_apply_hierarchical_fdr_correction_equal_on_a_table():
    rng = np.random.default_rng(9)
    table = pd.DataFrame({"cmpd": np.repeat([f"c{i}" for i in range(12)], 4), "dose": np.tile([1, 2, 3, 4], 12)})
    table["p_value"] = np.where(table["cmpd"].isin(["c0", "c1", "c2"]) & (table["dose"] > 2),
                                rng.uniform(0, 1e-3, len(table)), rng.uniform(size=len(table)))
    table.loc[table["cmpd"] == "c3", "p_value"] = [0.001, 0.6, 0.7, 0.8]  # one active dose
    theirs = copairs_map.apply_hierarchical_fdr_correction(table, ["cmpd"], ["cmpd", "dose"])
    ours = mapeval.apply_hierarchical_fdr_correction(table, ["cmpd"], ["cmpd", "dose"])
    assert list(ours.columns) == list(theirs.columns)
    for col in theirs.columns:
        np.testing.assert_array_equal(ours[col].to_numpy(), theirs[col].to_numpy(), err_msg=col)
