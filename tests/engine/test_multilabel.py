"""Multilabel AP (SPEC §1.6) against a brute-force implementation of the definition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mapeval
from oracles import brute_force_multilabel_ap

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
