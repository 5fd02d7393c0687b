"""Retrieved compounds and targets of the real nELISA file under each test of map.test
(mapreprod.datasets.nelisa.calls_by_test; docs/methods.md §6). Checked against the engine called
directly on the same design: the shared and permutation rows must be those calls, and the
permutation test's fallback on the multilabel consistency must be the shared null's calls."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mapeval
from mapreprod.datasets import nelisa as ne
from mapreprod.datasets.nelisa.calls_by_test import CALL_COLUMNS, SUMMARY_COLUMNS, calls_by_test
from mapreprod.settings import MapSettings

#: Small nulls and relabelings: the checks compare with the engine at the same settings.
SETTINGS = MapSettings(null_size=1000, seed=0, n_permutations=200, threads=2)


@pytest.fixture(scope="module")
def unified(shared_data) -> pd.DataFrame:
    raw = pd.read_parquet(shared_data / "nelisa" / "nelisa_profiles.parquet")
    return ne.unify({"nelisa": ne.preprocess_profiles(raw, "nelisa", operations=[], na_cutoff=0)})["nelisa"]


@pytest.fixture(scope="module")
def comparison(unified):
    return calls_by_test(unified, "nelisa", SETTINGS)


def _activity_design(unified: pd.DataFrame):
    """The activity design written out with the engine alone: replicates vs every DMSO well."""
    df = mapeval.assign_reference_index(unified, "Metadata_control_type == 'negcon'", reference_col="ref")
    meta = df[[ne.PERT, "ref"]]
    feats = df[[c for c in df.columns if not c.startswith("Metadata_") and c != "ref"]].to_numpy()
    return meta, feats, ([ne.PERT, "ref"], [], [], [ne.PERT, "ref"])


def test_the_table_has_every_test_of_both_analyses(comparison):
    summary, calls = comparison
    assert list(summary.columns) == SUMMARY_COLUMNS and list(calls.columns) == CALL_COLUMNS
    assert summary[["analysis", "test"]].values.tolist() == [
        [a, t] for t in ("shared", "independent", "exact", "permutation") for a in ("activity", "consistency")
    ]
    # 304 compounds with replicates and 418 targets of >= 2 compounds on the nELISA half alone
    assert set(summary.loc[summary["analysis"] == "activity", "scored"]) == {304}
    assert set(summary.loc[summary["analysis"] == "consistency", "scored"]) == {418}
    # the permutation test is not defined for the multilabel consistency: the row says what ran
    made_by = summary.set_index(["analysis", "test"])["made_by"]
    assert made_by["consistency", "permutation"] == "shared (permutation undefined: multilabel)"
    assert made_by["activity", "permutation"] == "permutation"


def test_shared_and_permutation_rows_are_the_engines_calls(unified, comparison):
    summary, calls = comparison
    meta, feats, pairs = _activity_design(unified)
    ap = mapeval.average_precision(meta, feats, *pairs)
    shared = mapeval.mean_average_precision(ap, ne.PERT, 1000, threshold=0.05, seed=0)
    perm = mapeval.permutation_map(meta, feats, *pairs, ne.PERT, 200, 0.05, 0)
    for test, engine in (("shared", shared), ("permutation", perm)):
        engine = engine[engine[ne.PERT] != ne.MISSING_PERT]  # DMSO is not a compound
        ours = calls[(calls["analysis"] == "activity") & (calls["test"] == test)]
        assert ours["id"].tolist() == engine[ne.PERT].astype(str).tolist()
        np.testing.assert_allclose(ours["mAP"], engine["mean_average_precision"], rtol=1e-12)
        np.testing.assert_array_equal(ours["corrected_p_value"], engine["corrected_p_value"])
        np.testing.assert_array_equal(ours["retrieved"], engine["below_corrected_p"])
        row = summary[(summary["analysis"] == "activity") & (summary["test"] == test)].iloc[0]
        assert row["retrieved"] == int(engine["below_corrected_p"].sum())
    # both score the same design: the permutation test's observed mAP is the AP table's
    act = calls[calls["analysis"] == "activity"].set_index(["test", "id"])["mAP"]
    np.testing.assert_allclose(act["permutation"], act["shared"], rtol=1e-12)
    # the permutation p-values are sampled (B = 200 of comb(260, 4) relabelings)
    assert not calls.loc[(calls["analysis"] == "activity") & (calls["test"] == "permutation"),
                         "p_value_exact"].astype(bool).any()


def test_shared_row_equals_the_workflows_activity_table(unified, comparison):
    summary, _ = comparison
    table = ne.activity_map(unified, SETTINGS)  # what rule nelisa_activity writes
    row = summary[(summary["analysis"] == "activity") & (summary["test"] == "shared")].iloc[0]
    assert row["retrieved"] == int(table["p < 0.05"].sum())
    assert row["retrieved_text"] == f"{table['p < 0.05'].mean():.0%}"


def test_consistency_fallback_equals_the_shared_consistency(comparison):
    _, calls = comparison
    cons = calls[calls["analysis"] == "consistency"].set_index(["test", "id"])
    shared, perm = cons.loc["shared"], cons.loc["permutation"]
    pd.testing.assert_frame_equal(perm.drop(columns=["made_by"]), shared.drop(columns=["made_by"]))


def test_exact_consistency_is_the_engines_exact_null(unified, comparison):
    _, calls = comparison
    agg = ne.consistency_profiles(unified)
    meta = agg[[ne.PERT, ne.TARGET]]
    feats = agg[[c for c in agg.columns if not c.startswith("Metadata_")]].to_numpy()
    ap = mapeval.multilabel.average_precision(meta, feats, [ne.TARGET], [ne.PERT], [],
                                              [ne.TARGET, ne.PERT], ne.TARGET)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mapeval.ExactNullWarning)
        engine = mapeval.mean_average_precision(ap, ne.TARGET, 1000, seed=0, null_sampler="exact")
    ours = calls[(calls["analysis"] == "consistency") & (calls["test"] == "exact")]
    assert ours["id"].tolist() == engine[ne.TARGET].tolist()
    np.testing.assert_array_equal(ours["p_value"], engine["p_value"])
    np.testing.assert_array_equal(ours["p_value_exact"].astype(bool), engine["p_value_exact"])


def test_report_captions_name_the_test_of_each_figure(tmp_path):
    from mapreprod import registry

    def table(key, test):
        return pd.DataFrame({key: ["a", "b"], "mAP": [0.5, 0.2], "p < 0.05": [True, False],
                             "test": test})

    repro = ne.reproduction_table(
        {"nelisa": table(ne.PERT, "permutation")},
        {"nelisa": table(ne.TARGET, "shared (permutation undefined: multilabel)")},
    )
    path = tmp_path / "reproduction.csv"
    repro.to_csv(path, index=False)
    captions = registry.report_captions(path)
    line = "- test of the calls (map.test): shared (copairs) / **{}**"
    for fid in ("fig4a", "fig4b"):
        assert line.format("permutation") in captions[fid]
    for fid in ("fig4c", "fig4d"):
        assert line.format("shared (permutation undefined: multilabel)") in captions[fid]
