"""Average precision against a brute-force implementation of the paper's formula, hand-worked
examples and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mapeval
from oracles import brute_force_ap

# designed ties (duplicated and rounded profiles): the tie warning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::mapeval.TiedRanksWarning")

SIMILARITIES = ["cosine", "abs_cosine", "correlation", "euclidean"]

DESIGNS = {
    # replicates vs controls (reference index trick)
    "replicates_vs_controls": (["pert", "ref"], [], [], ["pert", "ref"]),
    # replicates vs same-plate controls
    "same_plate_controls": (["pert", "ref"], [], ["plate"], ["pert", "ref"]),
    # replicates must come from another plate; negatives are every other perturbation
    "across_plates": (["pert"], ["plate"], [], ["pert"]),
}


def _random_design(seed: int, n: int = 60, n_feats: int = 6, ties: bool = True):
    rng = np.random.default_rng(seed)
    meta = pd.DataFrame(
        {
            "pert": rng.choice(["a", "b", "c", "d", "e", "ctrl"], size=n),
            "plate": rng.integers(0, 3, size=n),
        }
    )
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = rng.normal(size=(n, n_feats))
    if ties:  # exact duplicates and a coarse grid make many tied similarities
        feats[5::9] = feats[2]
        feats[: n // 2] = np.round(feats[: n // 2])
        feats[feats.sum(axis=1) == 0] += 1.0
    return meta, feats


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_brute_force_with_ties(similarity, design, seed):
    meta, feats = _random_design(seed)
    if similarity == "correlation":
        feats = feats + np.arange(feats.shape[1])  # no constant rows
    args = DESIGNS[design]
    got = mapeval.average_precision(meta, feats, *args, similarity=similarity, batch_size=7)
    want = brute_force_ap(meta, feats, *args, kind=similarity)
    has = want["n_pos_pairs"] > 0
    np.testing.assert_array_equal(got["n_pos_pairs"], want["n_pos_pairs"])
    np.testing.assert_array_equal(got.loc[has, "n_total_pairs"], want.loc[has, "n_total_pairs"])
    np.testing.assert_allclose(
        got["average_precision"], want["average_precision"], rtol=0, atol=1e-12
    )
    assert got.loc[~has, "average_precision"].isna().all()


def test_hand_worked_example():
    # query at 0 on a line; positives at distances 1, 3, 6; negatives at 2, 4, 5, 7.
    # ranked: P N P N N P N  ->  AP = (1/1 + 2/3 + 3/6) / 3 = 13/18
    x = np.array([0, 1, 3, 6, 2, 4, 5, 7], dtype=float)[:, None]
    meta = pd.DataFrame({"group": ["q", "q", "q", "q", "n1", "n2", "n3", "n4"]})
    meta["is_query"] = [0, 1, 2, 3, -1, -1, -1, -1]
    ap = mapeval.average_precision(
        meta, x, ["group"], [], [], ["group"], similarity="euclidean"
    )
    assert ap.loc[0, "average_precision"] == pytest.approx(13 / 18, abs=1e-15)
    assert ap.loc[0, "n_pos_pairs"] == 3
    assert ap.loc[0, "n_total_pairs"] == 7


def test_ties_rank_positives_first():
    # the negative is an exact copy of the positive: the tie is broken in favour of the positive
    meta = pd.DataFrame({"pert": ["a", "a", "ctrl", "ctrl"]})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = np.array([[1.0, 0.0], [0.6, 0.8], [0.6, 0.8], [0.0, 1.0]])
    ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    assert ap.loc[0, "average_precision"] == 1.0
    assert ap.loc[0, "n_total_pairs"] == 3


def test_controls_have_no_ap():
    meta, feats = _random_design(3)
    ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    ctrl = meta["pert"] == "ctrl"
    assert ap.loc[ctrl, "average_precision"].isna().all()
    assert (ap.loc[ctrl, "n_pos_pairs"] == 0).all()


def test_perfect_separation_gives_ap_one():
    rng = np.random.default_rng(0)
    meta = pd.DataFrame({"pert": ["a"] * 4 + ["ctrl"] * 10})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = np.vstack([np.ones((4, 5)) + rng.normal(0, 0.01, (4, 5)), -np.ones((10, 5))])
    ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    np.testing.assert_array_equal(ap["average_precision"][:4], 1.0)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_groups=st.integers(1, 4),
    reps=st.integers(2, 4),
    n_ctrl=st.integers(1, 8),
    scale=st.floats(0.01, 100),
)
def test_properties(seed, n_groups, reps, n_ctrl, scale):
    rng = np.random.default_rng(seed)
    perts = [f"p{g}" for g in range(n_groups) for _ in range(reps)] + ["ctrl"] * n_ctrl
    meta = pd.DataFrame({"pert": perts})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = rng.normal(size=(len(meta), 4))
    args = (["pert", "ref"], [], [], ["pert", "ref"])
    ap = mapeval.average_precision(meta, feats, *args)
    scored = ap["average_precision"].dropna()
    # AP lies in [1/N... 1] and is at least the precision of the worst possible ranking
    k, n = ap["n_pos_pairs"][scored.index], ap["n_total_pairs"][scored.index]
    worst = [np.mean([m / (n_ - k_ + m) for m in range(1, k_ + 1)]) for k_, n_ in zip(k, n)]
    assert (scored <= 1.0 + 1e-12).all() and (scored >= np.array(worst) - 1e-12).all()
    # cosine AP is invariant to scaling profiles
    scaled = mapeval.average_precision(meta, feats * scale, *args)
    np.testing.assert_allclose(scaled["average_precision"], ap["average_precision"], atol=1e-6)
    # ... and to the order of the rows
    perm = rng.permutation(len(meta))
    shuffled = mapeval.average_precision(meta.iloc[perm], feats[perm], *args)
    np.testing.assert_allclose(
        shuffled["average_precision"].to_numpy(), ap["average_precision"].to_numpy()[perm], atol=1e-12
    )


# ------------------------------------------------------------------------------------------------
# copairs' columns for every row, tie reporting, extreme magnitudes
# ------------------------------------------------------------------------------------------------


def _pair_lists(meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby, kind="cosine"):
    """Brute force: per row, the float32 rank keys of its positive and of its negative pairs."""
    from oracles import similarity32

    def match(i, j, same, diff):
        return all(meta[c].iloc[i] == meta[c].iloc[j] for c in same) and all(
            meta[c].iloc[i] != meta[c].iloc[j] for c in diff)

    pos, neg = [], []
    for i in range(len(meta)):
        p, n = [], []
        for j in range(len(meta)):
            if j == i:
                continue
            key = np.float32(1) - similarity32(feats[i], feats[j], kind)
            if match(i, j, pos_sameby, pos_diffby):
                p.append(key)
            if match(i, j, neg_sameby, neg_diffby):
                n.append(key)
        pos.append(p)
        neg.append(n)
    return pos, neg


def _ap_with_ties(pos_keys, neg_keys, positives_first: bool) -> float:
    from oracles import ap_of_list

    order = 0 if positives_first else 1  # sort key of a positive on ties
    ranked = sorted([(k, order, 1) for k in pos_keys] + [(k, 1 - order, 0) for k in neg_keys])
    return ap_of_list([r[2] for r in ranked])


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("seed", [0, 4])
def test_every_row_counts_its_pairs_and_ties_are_reported(design, seed):
    # copairs' n_total_pairs of a profile without positives (a control) is its number of negative
    # pairs; the tie warning names the queries whose AP drops by >= 0.001 when tied negatives
    # rank first instead of tied positives (brute force, both orders)
    meta, feats = _random_design(seed)
    args = DESIGNS[design]
    pos, neg = _pair_lists(meta, feats, *args)
    with pytest.warns(mapeval.TiedRanksWarning) as record:
        ap = mapeval.average_precision(meta, feats, *args, batch_size=5)
    np.testing.assert_array_equal(ap["n_total_pairs"], [len(p) + len(n) for p, n in zip(pos, neg)])
    queries = [(p, n) for p, n in zip(pos, neg) if p]
    change = [_ap_with_ties(p, n, True) - _ap_with_ties(p, n, False) for p, n in queries]
    from mapeval.average_precision import TIE_AP_CHANGE

    decided = sum(c >= TIE_AP_CHANGE for c in change)
    tied = sum(bool(set(p) & set(n)) for p, n in queries)
    assert decided > 0
    message = str(record[0].message)
    assert message.startswith(f"{decided} of {len(queries)} queries are decided by ties")
    assert f"raises these APs by up to {max(change):.3g}" in message
    if tied > decided:
        assert f"{tied} queries have ties in all; for the other {tied - decided}" in message


def test_ties_reported_for_long_rank_lists_too():
    # more than 24 positives per query (the sorted branch of the counting); all-identical
    # profiles: every AP is 1 by the tie rule, (1/29) sum_m m/(m+20) with negatives first
    meta = pd.DataFrame({"pert": ["a"] * 30 + ["ctrl"] * 20})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    low = np.mean([m / (m + 20) for m in range(1, 30)])
    with pytest.warns(mapeval.TiedRanksWarning, match=rf"^30 of 30 queries are decided by ties.*up to {1 - low:.3g} "):
        ap = mapeval.average_precision(meta, np.ones((50, 4)), ["pert", "ref"], [], [], ["pert", "ref"])
    assert (ap["average_precision"][:30] == 1.0).all()


def test_rare_deep_ties_are_not_reported():
    # one float32 coincidence deep in a long rank list changes the AP by < 0.01: no warning
    rng = np.random.default_rng(1)
    meta = pd.DataFrame({"pert": ["a"] * 2 + ["ctrl"] * 2000})
    meta = mapeval.assign_reference_index(meta, "pert == 'ctrl'", reference_col="ref")
    feats = rng.normal(size=(len(meta), 8))
    feats[1] = feats[0] + rng.normal(size=8) * 3  # a weak replicate: ranked deep
    feats[2] = feats[1]  # a control tying it exactly
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", mapeval.TiedRanksWarning)
        ap = mapeval.average_precision(meta, feats, ["pert", "ref"], [], [], ["pert", "ref"])
    assert ap.loc[0, "average_precision"] < 0.05  # deep: the tie is worth < 0.01


@pytest.mark.parametrize("similarity", ["cosine", "abs_cosine", "correlation"])
@pytest.mark.parametrize("factor", [1e180, 1e300, 1e-180, 1e-300, 2.0**-1060])
def test_extreme_rows_give_the_exact_answer(similarity, factor):
    # some rows scaled to magnitudes where squares (and products) over- or underflow: the APs
    # equal those of the unscaled profiles (scale invariance), bit for bit
    meta, feats = _random_design(1, ties=False)
    if similarity == "correlation":
        feats = feats + np.arange(feats.shape[1])
    args = DESIGNS["same_plate_controls"]
    want = mapeval.average_precision(meta, feats, *args, similarity=similarity)
    scaled = feats.copy()
    scaled[::3] *= factor
    got = mapeval.average_precision(meta, scaled, *args, similarity=similarity, batch_size=7)
    if factor < 1e-300:  # subnormal rows keep fewer bits: equal up to that rounding
        np.testing.assert_allclose(got["average_precision"], want["average_precision"], atol=1e-6)
    else:
        np.testing.assert_array_equal(got["average_precision"], want["average_precision"])
