"""copairs @880f22a's tie order (mapeval.tie_order; docs/methods.md §12.6 item 6) against
independent oracles: numpy 1.23.4's own argsort output recorded on seeded arrays with ties, a
hand-worked multilabel case, and the CPJUMP1 notebooks' pipeline (copairs @880f22a, numpy
1.23.4, pandas 1.5.1) on one stand-in task. The fixtures were made by
tests/engine/data/make_tie_order_fixtures.py in that old environment."""

from __future__ import annotations

from pathlib import Path

import mapeval
import numpy as np
import pandas as pd
import pytest
from mapeval.tie_order import numpy_1_23_argsort

DATA = Path(__file__).resolve().parent / "data"
T, P, M = "Metadata_matching_target", "Metadata_broad_sample", "Metadata_modality"
PAIRS = {"pos_sameby": [T], "pos_diffby": [M], "neg_sameby": [], "neg_diffby": [T, M]}


def test_argsort_port_equals_numpy_1_23_recorded_permutations():
    """Every recorded case, including McIlroy adversary inputs that reach the heapsort
    fallback, gives numpy 1.23.4's permutation exactly (ties included)."""
    fx = np.load(DATA / "numpy_1_23_argsort.npz")
    assert str(fx["numpy_version"]) == "1.23.4"
    starts = np.r_[0, np.cumsum(fx["sizes"])]
    names = fx["names"]
    assert any(str(n).startswith("killer") for n in names)
    for k, name in enumerate(names):
        x = fx["values"][starts[k] : starts[k + 1]]
        want = fx["argsort"][starts[k] : starts[k + 1]]
        assert np.array_equal(numpy_1_23_argsort(x), want), str(name)


def test_argsort_port_sorts_and_rejects_nan():
    x = np.random.default_rng(0).integers(0, 4, 500).astype(float)
    perm = numpy_1_23_argsort(x)
    assert np.array_equal(np.sort(perm), np.arange(500)) and (np.diff(x[perm]) >= 0).all()
    with pytest.raises(ValueError, match="NaN"):
        numpy_1_23_argsort(np.array([1.0, np.nan]))


def _hand_case() -> tuple[pd.DataFrame, np.ndarray]:
    """c0 targets G1 and G2, c1 targets G2; reagents r1 (G1), r2 (G2), r3 (G3)."""
    meta = pd.DataFrame(
        {
            P: ["c0", "c1", "r1", "r2", "r3"],
            M: ["compound", "compound", "crispr", "crispr", "crispr"],
            T: [["G1", "G2"], ["G2"], ["G1"], ["G2"], ["G3"]],
        }
    )
    feats = np.array(
        [[1.0, 0, 0], [0, 1.0, 0], [1.0, 0.1, 0], [0.5, 1.0, 0], [0.2, 0.3, 1.0]]
    )
    return meta, feats


def test_positive_and_its_negative_copy_tie_in_the_notebooks_order():
    """Hand-worked. |cosine| of c0: r1 0.995, r2 0.447, r3 0.19; of c1: r2 0.894, r3 0.29,
    r1 0.0995. Every reagent is a negative of every compound, a reagent of the query's gene
    also a positive, tied with its copy. copairs lays positives out before negatives; on these
    lists (<= 16 entries) numpy's quicksort is a stable insertion sort, so ``[::-1]`` puts
    the copy first: (c0, G1) ranks r1-copy, r1 -> AP 1/2 (positives first: 1);
    (c0, G2): r1, r2-copy, r2 -> 1/3 (1/2); (c1, G2): r2-copy, r2 -> 1/2 (1);
    (r1, G1): c0-copy, c0 -> 1/2 (1); (r2, G2): c1-copy, c1, c0-copy, c0 -> (1/2 + 2/4)/2 = 1/2
    ((1 + 2/3)/2 = 5/6). The re-assembled notebooks' pipeline (copairs @880f22a, numpy 1.23.4)
    gives the same five APs."""
    meta, feats = _hand_case()
    want_nb = {("c0", "G1"): 1 / 2, ("c0", "G2"): 1 / 3, ("c1", "G2"): 1 / 2,
               ("r1", "G1"): 1 / 2, ("r2", "G2"): 1 / 2}
    want_first = {("c0", "G1"): 1.0, ("c0", "G2"): 1 / 2, ("c1", "G2"): 1.0,
                  ("r1", "G1"): 1.0, ("r2", "G2"): 5 / 6}
    for order, want in (("copairs_880f22a", want_nb), ("positives_first", want_first)):
        ap = mapeval.multilabel.average_precision(
            meta, feats, **PAIRS, multilabel_col=T, similarity="abs_cosine",
            negative_rule="ignore_labels", tie_order=order,
        )
        got = {(r[P], r[T]): r["average_precision"] for _, r in ap.iterrows()}
        assert got == pytest.approx(want, abs=1e-12), order
        assert dict(zip(zip(ap[P], ap[T]), ap["n_total_pairs"])) == {
            ("c0", "G1"): 4, ("c0", "G2"): 4, ("c1", "G2"): 4, ("r1", "G1"): 3, ("r2", "G2"): 4,
        }


def test_cpjump1_task_equals_the_notebooks_pipeline_in_every_row():
    """One compound x ORF task of the CPJUMP1 stand-in (24 features; rank lists of up to
    ~200 entries, so the quicksort partitions): every AP equals the notebooks' pipeline
    (copairs @880f22a under numpy 1.23.4 / pandas 1.5.1) to 1e-12; with positives first many
    rows differ, so the fixture does exercise the tie order."""
    fx = np.load(DATA / "cpjump1_fig4c_copairs_880f22a.npz")
    meta = pd.DataFrame(
        {P: fx["pert"].astype(str), M: fx["modality"].astype(str),
         T: [t.split("|") for t in fx["targets"].astype(str)]}
    )
    want = pd.DataFrame(
        {P: fx["ap_pert"].astype(str), T: fx["ap_target"].astype(str), "n_pos_nb": fx["ap_n_pos"],
         "n_total_nb": fx["ap_n_total"], "ap_nb": fx["ap"]}
    )
    for order in ("copairs_880f22a", "positives_first"):
        ap = mapeval.multilabel.average_precision(
            meta, fx["feats"], **PAIRS, multilabel_col=T, similarity="abs_cosine",
            negative_rule="ignore_labels", tie_order=order,
        )
        m = want.merge(ap, on=[P, T], validate="one_to_one")
        assert len(m) == len(want) == len(ap)
        assert (m["n_pos_nb"] == m["n_pos_pairs"]).all() and (m["n_total_nb"] == m["n_total_pairs"]).all()
        equal = np.abs(m["average_precision"] - m["ap_nb"]) <= 1e-12
        if order == "copairs_880f22a":
            assert equal.all(), m.loc[~equal, [P, T, "average_precision", "ap_nb"]].head()
        else:
            assert (~equal).sum() > len(m) // 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tie_order": "stable"}, r"tie_order must be one of \['positives_first', 'copairs_880f22a'\]"),
        ({"tie_order": "copairs_880f22a", "negative_rule": "share_none"}, r"needs negative_rule='ignore_labels'"),
        ({"tie_order": "copairs_880f22a", "negative_rule": "ignore_labels", "similarity": "correlation"},
         r"similarity 'cosine' or 'abs_cosine'"),
    ],
)
def test_bad_tie_order_settings_are_refused(kwargs, message):
    meta, feats = _hand_case()
    with pytest.raises(ValueError, match=message):
        mapeval.multilabel.average_precision(meta, feats, **PAIRS, multilabel_col=T, **kwargs)
