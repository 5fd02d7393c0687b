"""The engine's fast paths (contiguous row runs, blocks that need no negative mask, padded AP,
threads) give the brute-force oracle's numbers, and threads never change a result."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import mapeval
from mapeval.pairs import NegativeRule
from mapeval.parallel import default_threads, resolve_threads
from oracles import brute_force_ap

# designed ties (duplicated and rounded profiles): the tie warning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::mapeval.TiedRanksWarning")

AP_MODULE = sys.modules["mapeval.average_precision"]


def _plate_layout(seed: int, n_plates: int = 4, wells: int = 24, n_ctrl: int = 4, n_feats: int = 8):
    """Plates stored one after another (rows of a plate are one contiguous run), controls in
    the first wells, the same plate map on every plate: the layout of real plate-based data."""
    rng = np.random.default_rng(seed)
    slot = np.tile(np.arange(wells), n_plates)
    plate = np.repeat(np.arange(n_plates), wells)
    pert = np.where(slot < n_ctrl, "DMSO", "p" + (slot % 7).astype(str))
    meta = pd.DataFrame({"plate": plate, "pert": pert})
    meta = mapeval.assign_reference_index(meta, "pert == 'DMSO'", reference_col="ref")
    feats = rng.normal(size=(len(meta), n_feats))
    feats[slot >= n_ctrl] += rng.normal(size=(7, n_feats))[slot[slot >= n_ctrl] % 7] * 0.5
    feats[::11] = np.round(feats[::11])  # a few ties
    return meta, feats


DESIGNS = {
    "same_plate_controls": (["pert", "ref"], [], ["plate"], ["pert", "ref"]),
    "all_controls": (["pert", "ref"], [], [], ["pert", "ref"]),
    "other_perturbations": (["pert"], ["plate"], [], ["pert"]),
}


@pytest.mark.parametrize("similarity", ["cosine", "abs_cosine", "correlation", "euclidean"])
@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("threads", [1, 3])
def test_contiguous_layout_matches_brute_force(monkeypatch, similarity, design, threads):
    # tiny blocks and no minimum block size: every chunking and the thread pool are exercised
    monkeypatch.setattr(AP_MODULE, "BLOCK_CELLS", 50)
    monkeypatch.setattr(AP_MODULE, "PARALLEL_MIN_CELLS", 0)
    meta, feats = _plate_layout(0)
    args = DESIGNS[design]
    got = mapeval.average_precision(
        meta, feats, *args, similarity=similarity, batch_size=9, threads=threads
    )
    want = brute_force_ap(meta, feats, *args, kind=similarity)
    np.testing.assert_array_equal(got["n_pos_pairs"], want["n_pos_pairs"])
    has = want["n_pos_pairs"] > 0
    np.testing.assert_array_equal(got.loc[has, "n_total_pairs"], want.loc[has, "n_total_pairs"])
    np.testing.assert_allclose(got["average_precision"], want["average_precision"], atol=1e-12)


def test_threads_do_not_change_results(monkeypatch):
    monkeypatch.setattr(AP_MODULE, "PARALLEL_MIN_CELLS", 0)
    meta, feats = _plate_layout(1, n_plates=12, wells=48, n_feats=30)
    for args in DESIGNS.values():
        one = mapeval.average_precision(meta, feats, *args, batch_size=16, threads=1)
        four = mapeval.average_precision(meta, feats, *args, batch_size=16, threads=4)
        pd.testing.assert_frame_equal(one, four)


def test_all_negative_is_never_wrong():
    """Whenever the shortcut says a block needs no mask, the mask is indeed all True."""
    rng = np.random.default_rng(3)
    said_yes = 0
    for _ in range(300):
        n = 30
        group = rng.choice([-1, 0, 0, 0, 0, 1], size=n)
        diff = rng.integers(0, 8, size=(n, rng.integers(1, 3)))
        rule = NegativeRule(group, diff)
        rows = rng.choice(n, size=rng.integers(1, 4), replace=False)
        cols = rng.choice(n, size=rng.integers(1, 4), replace=False)
        if rule.all_negative(rows, cols):
            said_yes += 1
            assert rule.mask(rows, cols).all()
    assert said_yes > 5  # the shortcut is taken in this sample


def test_padded_ap_equals_the_general_path():
    """AP from counts: entries grouped by unit (padded fast path) or in any order (sort path)."""
    rng = np.random.default_rng(4)
    n_units = 50
    unit = np.sort(rng.integers(0, n_units, size=400))
    key = rng.integers(0, 5, size=400).astype(np.float32)  # many tied positives
    # each unit's negatives; a positive's count is the number of its negatives ranked above it
    neg_keys = [rng.integers(0, 6, size=rng.integers(1, 15)) for _ in range(n_units)]
    counts = np.array([(neg_keys[u] < k).sum() for u, k in zip(unit, key)])
    fast_ap, fast_k = AP_MODULE.ap_from_counts(unit, key, counts, n_units)
    perm = rng.permutation(400)
    slow_ap, slow_k = AP_MODULE.ap_from_counts(unit[perm], key[perm], counts[perm], n_units)
    np.testing.assert_array_equal(fast_k, slow_k)
    np.testing.assert_allclose(fast_ap, slow_ap, atol=1e-15)
    # by hand, from the definition: positives by increasing key, m-th has rank m + count
    for u in range(n_units):
        sel = unit == u
        if not sel.any():
            assert np.isnan(fast_ap[u])
            continue
        c = counts[sel][np.argsort(key[sel], kind="stable")]
        m = np.arange(1, sel.sum() + 1)
        assert fast_ap[u] == pytest.approx(np.mean(m / (m + c)), abs=1e-15)


def test_thread_settings(monkeypatch):
    monkeypatch.setenv("MAPEVAL_NUM_THREADS", "3")
    assert default_threads() == 3 and resolve_threads(None) == 3
    monkeypatch.delenv("MAPEVAL_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert default_threads() == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="OMP_NUM_THREADS"):
        default_threads()
    for bad in (0, -1, 1.5, True, np.bool_(True), np.float64(2.0), np.int64(0), "2"):
        with pytest.raises(ValueError, match="threads"):
            resolve_threads(bad)
    # numpy integers are integers (a value read from an array or a table)
    for good in (np.int64(3), np.int32(1), np.uint8(2)):
        assert resolve_threads(good) == int(good) and type(resolve_threads(good)) is int


# ------------------------------------------------------------------ BLAS threads in the engine


def test_block_threads_policy():
    big, small = AP_MODULE.PARALLEL_MIN_CELLS, 352 * 32  # a plate's queries x its controls
    block_threads = AP_MODULE.block_threads
    assert block_threads([small] * 500, 2) == (1, 1)  # tiny products: serial, one BLAS thread
    assert block_threads([big] * 10, 2) == (2, 1)  # threads over blocks, one BLAS thread each
    assert block_threads([big] * 10, 1) == (1, 1)  # threads=1 means one thread, BLAS included
    assert block_threads([4 * big], 2) == (1, 2)  # one large product: BLAS is the parallelism
    assert block_threads([big, 2 * big], 8) == (2, 4)  # fewer large blocks than threads
    assert block_threads([], 2) == (1, 1)


def _blas_threads_now() -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.mark.parametrize(
    "threads,min_cells,one_block,expected",
    [
        (1, None, False, 1),  # threads=1: one BLAS thread (the engine used to leave BLAS alone)
        (2, None, False, 1),  # small same-plate blocks, serial: one BLAS thread
        (2, 0, False, 1),  # blocks in 2 worker threads: one BLAS thread each
        (2, 10, True, 2),  # one large block (all queries vs all controls): BLAS keeps 2 threads
        (8, 10, True, 2),  # ... never more than it had
    ],
)
def test_blas_threads_inside_engine_blocks(monkeypatch, threads, min_cells, one_block, expected):
    from threadpoolctl import threadpool_limits

    from mapeval.similarity import Similarity

    seen = []
    original = Similarity.block

    def spy(self, rows, cols):
        seen.append(max(_blas_threads_now()))
        return original(self, rows, cols)

    monkeypatch.setattr(Similarity, "block", spy)
    if min_cells is not None:
        monkeypatch.setattr(AP_MODULE, "PARALLEL_MIN_CELLS", min_cells)
    meta, feats = _plate_layout(3, n_plates=2, wells=24, n_feats=16)
    design = DESIGNS["all_controls"] if one_block else DESIGNS["same_plate_controls"]
    with threadpool_limits(limits=2, user_api="blas"):
        if not _blas_threads_now() or max(_blas_threads_now()) != 2:
            pytest.skip("no BLAS whose threads can be set to 2 here")
        got = mapeval.average_precision(meta, feats, *design, batch_size=1000 if one_block else 16,
                                        threads=threads)
        assert max(_blas_threads_now()) == 2  # restored afterwards
    assert seen and set(seen) == {expected}
    want = brute_force_ap(meta, feats, *design, kind="cosine")
    np.testing.assert_allclose(got["average_precision"], want["average_precision"], atol=1e-12)


# ------------------------------------------------------------------ pairs read along runs


def _replicate_plates(seed: int, n_plates: int = 4, wells: int = 40, n_ctrl: int = 6, n_feats: int = 12):
    """Replicate plates sharing one plate map, one perturbation per treated well: every positive
    pair (same well, two plates) lies on a run (i + t, j + t) of wells - n_ctrl pairs."""
    rng = np.random.default_rng(seed)
    slot = np.tile(np.arange(wells), n_plates)
    plate = np.repeat(np.arange(n_plates), wells)
    pert = np.where(slot < n_ctrl, "DMSO", "p" + slot.astype(str))
    meta = mapeval.assign_reference_index(
        pd.DataFrame({"plate": plate, "pert": pert}), "pert == 'DMSO'", reference_col="ref"
    )
    feats = rng.normal(size=(len(meta), n_feats))
    feats[slot >= n_ctrl] += rng.normal(size=(wells, n_feats))[slot[slot >= n_ctrl]] * 0.7
    feats[::7] = np.round(feats[::7])  # ties
    return meta, feats


@pytest.mark.parametrize("similarity", ["cosine", "abs_cosine"])
def test_pairs_along_runs_equal_the_formula(similarity):
    from mapeval.similarity import prepare_similarity
    from oracles import similarity32

    rng = np.random.default_rng(5)
    feats = rng.normal(size=(200, 9))
    sim = prepare_similarity(feats, similarity)
    # three long runs (lengths 40, 25, 16) and scattered pairs (runs of 1-3)
    i = np.r_[np.arange(0, 40), np.arange(60, 85), np.arange(150, 166), rng.integers(0, 100, 30)]
    j = np.r_[np.arange(0, 40) + 100, np.arange(60, 85) + 7, np.arange(150, 166) + 20,
              rng.integers(100, 200, 30)]
    got = sim.pairs_along_runs(i, j)
    assert got is not None and got.dtype == np.float32
    want = [similarity32(feats[a], feats[b], similarity) for a, b in zip(i, j)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-7)
    # the same numbers as the gathered path, in the caller's order
    np.testing.assert_allclose(got, sim.pairs(i, j), rtol=0, atol=1e-7)


def test_pairs_along_runs_declines_when_runs_are_rare_or_similarity_is_not_a_product():
    from mapeval.similarity import prepare_similarity

    rng = np.random.default_rng(6)
    feats = rng.normal(size=(300, 5))
    i, j = rng.integers(0, 150, 200), rng.integers(150, 300, 200)
    assert prepare_similarity(feats, "cosine").pairs_along_runs(i, j) is None
    runs = np.arange(100)
    for kind in ("correlation", "euclidean"):
        assert prepare_similarity(feats, kind).pairs_along_runs(runs, runs + 150) is None


@pytest.mark.parametrize("similarity", ["cosine", "abs_cosine"])
@pytest.mark.parametrize("design", DESIGNS)
def test_replicate_plate_layout_reads_runs_and_matches_brute_force(monkeypatch, similarity, design):
    from mapeval.similarity import Similarity

    taken = []
    original = Similarity.pairs_along_runs

    def spy(self, i, j):
        out = original(self, i, j)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(Similarity, "pairs_along_runs", spy)
    meta, feats = _replicate_plates(2)
    args = DESIGNS[design]
    got = mapeval.average_precision(meta, feats, *args, similarity=similarity)
    want = brute_force_ap(meta, feats, *args, kind=similarity)
    if design != "other_perturbations":  # one perturbation per well: all pairs on runs
        assert taken == [True]
    np.testing.assert_array_equal(got["n_pos_pairs"], want["n_pos_pairs"])
    np.testing.assert_allclose(got["average_precision"], want["average_precision"], atol=1e-12)
