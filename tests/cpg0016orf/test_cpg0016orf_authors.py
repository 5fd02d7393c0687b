"""The whole S7B/S7D computation against the authors' code on the same input.

Oracle: orf_authors_oracle, the authors' steps re-done on whole DataFrames with copairs 0.5.5
(AP, mAP, p-values, multilabel), on the stand-in laid out on the real JUMP metadata (generated
metadata where ../shared is absent). Our side uses mapeval with ``null_sampler="copairs"``, so the p-values must agree bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHARED
from mapreprod.datasets.cpg0016orf import activity, consistency, inputs, standin
from orf_testdata import read_and_filter, write_inputs

pytest.importorskip("copairs.map", reason="copairs not installed (test extra)")
import orf_authors_oracle as authors

NULL = {"null_size": 3000, "seed": 12527}
FDR = 0.1
# ours: the authors' settings with a smaller null and copairs' sampler (bit-for-bit p-values)
OURS_ACTIVITY = activity.AUTHORS_SETTINGS.replace(null_size=3000, null_sampler="copairs")
OURS_CONSISTENCY = consistency.AUTHORS_SETTINGS.replace(null_size=3000, null_sampler="copairs")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orf_authors")
    real_dir = SHARED / "data" / "cpg0016orf"  # generated metadata where ../shared is absent
    write_inputs(folder, real_dir=real_dir if real_dir.is_dir() else None, seed=11)
    cache = tmp_path_factory.mktemp("copairs_cache")
    theirs_wells = authors.authors_filtered_wells(folder).reset_index(drop=True)
    their_ap, their_map = authors.authors_activity(theirs_wells, fdr=FDR, cache_dir=cache, **NULL)
    their_cons = authors.authors_consensus(folder, their_map)
    their_cap, their_cmap = authors.authors_consistency(
        their_cons, fdr=0.05, cache_dir=tmp_path_factory.mktemp("copairs_cache2"), **NULL
    )
    profiles, wells, _ = read_and_filter(folder)
    our_ap, our_map = activity.phenotypic_activity(wells, OURS_ACTIVITY)
    orf_metadata = inputs.read_orf_metadata(folder / standin.FILES["orf_metadata"])
    sel = consistency.select_active_wells(
        profiles, consistency.active_perturbations(our_map),
        consistency.complex_annotations(orf_metadata),
    )
    our_cons = consistency.consensus(sel)
    our_cap, our_cmap = consistency.phenotypic_consistency(our_cons, OURS_CONSISTENCY)
    return {
        "theirs": (their_ap, their_map, their_cons, their_cap, their_cmap),
        "ours": (our_ap, our_map, our_cons, our_cap, our_cmap),
    }


def test_activity_ap_item_by_item(runs):
    their_ap, ours = runs["theirs"][0], runs["ours"][0]
    assert len(their_ap) == len(ours)
    np.testing.assert_array_equal(their_ap["Metadata_JCP2022"], ours["Metadata_JCP2022"])
    np.testing.assert_array_equal(their_ap["Metadata_Well"], ours["Metadata_Well"])
    np.testing.assert_array_equal(their_ap["n_pos_pairs"], ours["n_pos_pairs"])
    scored = ours["n_pos_pairs"] > 0
    np.testing.assert_array_equal(their_ap.loc[scored, "n_total_pairs"], ours.loc[scored, "n_total_pairs"])
    diff = np.abs(their_ap["average_precision"] - ours["average_precision"])[scored]
    assert diff.max() <= 1e-12


def test_activity_map_and_p_values_identical(runs):
    theirs, ours = runs["theirs"][1], runs["ours"][1]
    np.testing.assert_array_equal(theirs["Metadata_JCP2022"], ours["Metadata_JCP2022"])
    # APs agree to 1e-16, so their means to the last bit or two; p-values exactly
    np.testing.assert_allclose(theirs["mean_average_precision"], ours["mean_average_precision"],
                               rtol=0, atol=1e-12)
    for col in ("p_value", "corrected_p_value", "below_corrected_p"):
        np.testing.assert_array_equal(theirs[col], ours[col], err_msg=col)
    assert 0 < ours["below_corrected_p"].mean() < 1


def test_consensus_identical(runs):
    theirs, ours = runs["theirs"][2], runs["ours"][2]
    np.testing.assert_array_equal(theirs["Metadata_NCBI_Gene_ID"], ours.meta["Metadata_NCBI_Gene_ID"])
    np.testing.assert_array_equal(theirs["Metadata_JCP2022"], ours.meta["Metadata_JCP2022"])
    np.testing.assert_array_equal(theirs[ours.feature_names].to_numpy(), ours.features)
    assert [set(x) for x in theirs[consistency.COMPLEX_LIST]] == [
        set(x) for x in ours.meta[consistency.COMPLEX_LIST]
    ]
    # genes with two ORF reagents were pooled
    assert ours.meta["Metadata_NCBI_Gene_ID"].is_unique


def test_consistency_ap_and_map_identical(runs):
    keys = ["Metadata_NCBI_Gene_ID", consistency.COMPLEX_LIST]
    theirs = runs["theirs"][3].dropna(subset=["average_precision"]).sort_values(keys)
    ours = runs["ours"][3].sort_values(keys)
    assert len(theirs) == len(ours) > 0
    np.testing.assert_array_equal(theirs[keys].to_numpy(), ours[keys].to_numpy())
    np.testing.assert_array_equal(theirs["n_total_pairs"], ours["n_total_pairs"])
    assert np.abs(theirs["average_precision"].to_numpy() - ours["average_precision"].to_numpy()).max() <= 1e-12
    tm, om = runs["theirs"][4], runs["ours"][4]
    np.testing.assert_array_equal(tm[consistency.COMPLEX_LIST], om[consistency.COMPLEX_LIST])
    np.testing.assert_allclose(tm["mean_average_precision"], om["mean_average_precision"],
                               rtol=0, atol=1e-12)
    for col in ("p_value", "corrected_p_value", "below_corrected_p"):
        np.testing.assert_array_equal(tm[col], om[col], err_msg=col)
    assert om["below_corrected_p"].any()
