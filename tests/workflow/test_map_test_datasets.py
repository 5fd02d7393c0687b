"""map.test reaches the datasets' own mAP steps (docs/methods.md §1.9): where a step reshapes its
design for the permutation test, the observed mAP must stay the AP table's (the same design), and
where a step draws AP-level p-values itself, the exact test must be the engine's exact null."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mapeval
from mapreprod.datasets import cpg0016orf as orf
from mapreprod.datasets.cpjump1 import activity as jump_activity
from mapreprod.settings import MapSettings


def _orf_wells(seed: int = 0) -> orf.Profiles:
    """Two plates: 6 ORFs in one well each per plate (two shifted), and the plate's negcon wells,
    two negcon reagents of 4 wells each (they share a JCP id: positives of each other)."""
    rng = np.random.default_rng(seed)
    rows = []
    for plate in ("P1", "P2"):
        rows += [(f"JCP-{i}", plate, "trt") for i in range(6)]
        rows += [(f"NEG-{i % 2}", plate, "negcon") for i in range(8)]
    meta = pd.DataFrame(rows, columns=["Metadata_JCP2022", "Metadata_Plate", "Metadata_pert_type"])
    feats = rng.normal(size=(len(meta), 10))
    feats[meta["Metadata_JCP2022"].isin(["JCP-0", "JCP-1"]).to_numpy(), :4] += 2.0
    return orf.Profiles(meta, feats, [f"X_{i}" for i in range(10)])


def test_orf_activity_permutation_scores_the_same_design_as_the_ap_table():
    wells = _orf_wells()
    ap, shared = orf.phenotypic_activity(wells, MapSettings(null_size=500, seed=1))
    _, perm = orf.phenotypic_activity(wells, MapSettings(null_size=500, seed=1, test="permutation",
                                                         n_permutations=300))
    assert (perm["test"] == "permutation").all() and (shared["test"] == "shared").all()
    # the negcon wells are controls, not groups, and each ORF's observed mAP is its AP table's
    assert perm["Metadata_JCP2022"].tolist() == shared["Metadata_JCP2022"].tolist() == [f"JCP-{i}" for i in range(6)]
    np.testing.assert_allclose(perm["mean_average_precision"], shared["mean_average_precision"], rtol=1e-12)
    # one ORF well per plate relabelled among that plate's 8 negcon wells: 9 x 9 relabelings
    assert (perm["n_relabelings"] == 81).all() and perm["p_value_exact"].all()


def test_cpjump1_exact_ap_p_values_are_the_engines_exact_null():
    rng = np.random.default_rng(2)
    ap = pd.DataFrame({"n_pos_pairs": [1, 1, 2, 3], "n_total_pairs": [9, 9, 12, 20],
                       "average_precision": rng.uniform(0.1, 1.0, size=4)})
    got = jump_activity.ap_p_values(ap, MapSettings(null_size=100, seed=0, test="exact"))
    np.testing.assert_array_equal(got, mapeval.ap_p_values(ap, 100, 0, "exact"))
    # by hand: AP of 1 positive among 9 is 1/r for its rank r; P(AP >= a) = #{r: 1/r >= a} / 9
    for a, p in zip(ap["average_precision"][:2], got[:2]):
        assert p == pytest.approx(sum(1 / r >= a - 1e-7 for r in range(1, 10)) / 9)
