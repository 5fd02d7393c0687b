"""Normalized values beyond 1e6 never pass silently (issue 16): the shared check
(mapreprod.preprocess.values_beyond), the row it adds to the paper pipelines' reproduction tables
(Cell Health, nELISA: exactly one row, the others unchanged) and to an own dataset's summary,
and the zero-dispersion rule of own-data mode against hand-computed dispersions."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from mapreprod import preprocess as pp
from mapreprod.datasets import cellhealth as ch
from mapreprod.datasets import nelisa as ne
from mapreprod.datasets.own_data import preprocess, reproduction
from mapreprod.datasets.own_data.inputs import OwnDataSpec, map_columns
from own_data_cases import SCREEN42_ENTRY, entry_settings, screen42

EXPLODED = pd.DataFrame([("P1", "Count", 4e18, 3), ("P2", "Count", 2e17, 1), ("P1", "Area", 1e7, 1)],
                        columns=pp.BEYOND_COLUMNS)


def test_values_beyond_warns_naming_the_features_and_plates(caplog):
    df = pd.DataFrame({"plate": ["P1", "P1", "P2"], "Count": [4e18, -1.0, 2e17], "Area": [1.0, -2e7, 3.0]})
    with caplog.at_level(logging.WARNING, logger="mapreprod.preprocess"):
        table = pp.values_beyond(df, ["Count", "Area"], by="plate", what="test step")
    assert table.values.tolist() == [["P1", "Count", 4e18, 1], ["P2", "Count", 2e17, 1], ["P1", "Area", 2e7, 1]]
    (record,) = caplog.records
    assert "test step" in record.getMessage()
    assert "'Count' (P1, P2)" in record.getMessage() and "'Area' (P1)" in record.getMessage()
    assert "max |x| = 4e+18" in record.getMessage()


def test_beyond_summary_counts_features_and_plates():
    ours, note = pp.beyond_summary({"standardize": EXPLODED.iloc[:0], "mad_robustize": EXPLODED})
    assert ours == "2 feature(s) on 2 plate(s), max |x| = 4e+18"
    assert "mad_robustize: 2 feature(s) on 2 plate(s)" in note and "'Count' (P1, P2)" in note
    assert pp.beyond_summary({"a": EXPLODED.iloc[:0]}) == ("none", "every normalized value within |x| <= 1e6 (a)")


def _cellhealth_tables():
    """Minimal Cell Health tables (one guide) for reproduction_table."""
    pw = pd.DataFrame([("A-1", m, p, c, 0.5, 0.01, True, "p<0.05", 2.0)
                       for m in ch.PLATE_WELL_MODES for p in ch.PREPROCESSINGS.values() for c in ch.CELL_LINES],
                      columns=[ch.PERT, "mode", "Preprocessing", "Cell type", "mAP", "p_value",
                               "p < 0.05", "markers", "-log10(mAP p-value)"])
    act = pd.DataFrame([("A-1", c, 0.5, True, 2.0) for c in ch.CELL_LINES],
                       columns=[ch.PERT, "Cell type", "mAP", "p < 0.05", "-log10(mAP p-value)"])
    stack = ch.activity_with_controls(act, act, pd.DataFrame({ch.PERT: ["A-1"], ch.GENE: ["A"]}))
    chan = pd.DataFrame([("A-1", c, k, 0.5, 2.0) for c in ch.CELL_LINES for k in ch.CHANNELS],
                        columns=[ch.PERT, "cell_type", "channel", "dropped", "exclusive"])
    comp = pd.DataFrame([("A-1", c, f"{k}_{t}", k, t, 2.0, 0.5) for c in ch.CELL_LINES
                         for k in ch.COMPARTMENTS for t in ch.FEATURE_TYPES],
                        columns=[ch.PERT, "cell_line", "feature_group", "compartment", "feature_type",
                                 "dropped", "exclusive"])
    cons = pd.DataFrame({ch.GENE: ["A"] * 3, "Cell type": list(ch.CELL_LINES), "p < 0.05": True})
    cons_ap = pd.DataFrame({ch.GENE: ["CDK4"], ch.PERT: ["CDK4-1"], "Cell type": ["A549"], "p < 0.05": [False]})
    ap = pd.DataFrame({ch.PERT: ["ATF4-1"] * 6, "Cell type": "ES2", "p < 0.05": [True] * 5 + [False]})
    return (pw, act, stack, chan, comp, cons, cons_ap, ap, None, "synthetic")


def _one_row_added(with_row: pd.DataFrame, without: pd.DataFrame) -> pd.Series:
    """The tables are identical but for one added row, which is returned."""
    added = with_row[with_row["quantity"] == pp.BEYOND_QUANTITY]
    assert len(added) == 1 and len(with_row) == len(without) + 1
    pd.testing.assert_frame_equal(with_row.drop(index=added.index).reset_index(drop=True), without)
    return added.iloc[0]


def test_cellhealth_reproduction_gains_one_row_naming_the_exploded_features():
    tables = _cellhealth_tables()
    without = ch.reproduction_table(*tables)
    row = _one_row_added(ch.reproduction_table(*tables, beyond={"standardize": EXPLODED.iloc[:0],
                                                                "mad_robustize": EXPLODED}), without)
    assert row["ours"] == "2 feature(s) on 2 plate(s), max |x| = 4e+18"
    assert row["note"].startswith("synthetic; mad_robustize: 2 feature(s)") and "'Count' (P1, P2)" in row["note"]
    none = _one_row_added(ch.reproduction_table(*tables, beyond={"standardize": EXPLODED.iloc[:0]}), without)
    assert none["ours"] == "none"


def test_nelisa_reproduction_gains_one_row_naming_the_exploded_features():
    act = {"nelisa": pd.DataFrame({ne.PERT: list("abc"), "mAP": 0.5, "p < 0.05": [True, False, False]})}
    con = {"nelisa": pd.DataFrame({"Metadata_target": list("xy"), "mAP": 0.5, "p < 0.05": [False, False]})}
    without = ne.reproduction_table(act, con, note="null size 10")
    row = _one_row_added(ne.reproduction_table(act, con, note="null size 10", beyond={"nelisa": EXPLODED}), without)
    assert row["ours"] == "2 feature(s) on 2 plate(s), max |x| = 4e+18"
    assert row["note"].startswith("nELISA: 2 feature(s)") and row["note"].endswith("null size 10")


# --- own-data mode: the zero-dispersion rule --------------------------------------------------


def _flagged(df: pd.DataFrame, **entry) -> pd.DataFrame:
    spec = OwnDataSpec.from_config("s", {**SCREEN42_ENTRY, **entry})
    mapped, feats = map_columns(df, spec)
    return preprocess.zero_dispersion(mapped, feats, spec)


@pytest.mark.parametrize("jitter,flagged", [(0.0, True), (1e-9, True), (1e-4, False)])
def test_negligible_control_dispersion_is_flagged_not_only_zero(jitter, flagged):
    """Controls of P0 at 3 + jitter x (0, 1, 2, ...): MAD = jitter x 1.5 (hand-computed: median
    of |i - 2.5| for i = 0..5); the plate's SD is about 1.7, so 1e-9 is below 1e-6 x SD and 1e-4
    is not."""
    df = screen42()
    ctrl = ((df["Metadata_Plate"] == "P0") & (df["Metadata_Compound"] == "DMSO")).to_numpy()
    df.loc[ctrl, "Count"] = 3.0 + jitter * np.arange(6)
    got = _flagged(df)
    part = df.loc[df["Metadata_Plate"] == "P0", "Count"].to_numpy()
    assert np.isclose(1.5 * jitter, np.median(np.abs(df.loc[ctrl, "Count"] - np.median(df.loc[ctrl, "Count"]))))
    assert (1.5 * jitter < preprocess.ZERO_DISPERSION_RATIO * part.std()) == flagged
    assert got[["plate", "feature"]].values.tolist() == ([["P0", "Count"]] if flagged else [])


# the blown-up feature makes cosine similarities tie in float32 (one symptom of the harm)
@pytest.mark.filterwarnings("ignore:.*decided by ties")
def test_the_check_is_needed_pycytominer_blows_the_feature_up():
    """Without the check (pycytominer directly), the count reaches ~1e18 and the calls change:
    the oracle of the ANSWERS rows is not trivially equal."""
    from mapreprod.datasets.own_data import activity

    df = screen42()
    df.loc[(df["Metadata_Plate"] == "P0") & (df["Metadata_Compound"] == "DMSO"), "Count"] = 0.0
    spec = OwnDataSpec.from_config("s", {**SCREEN42_ENTRY, "normalize": {"method": "none"}})
    mapped, feats = map_columns(df, spec)
    scaled = pp.normalize(mapped, feats, "mad_robustize", samples=preprocess.CONTROL_QUERY, by="Metadata_Plate")
    assert scaled["Count"].abs().max() > 1e15
    settings = entry_settings(SCREEN42_ENTRY)
    exploded = activity.gather_activity([activity.shard_average_precision(scaled, feats, spec, settings)],
                                        scaled, spec, settings)[1]
    clean_feats = [f for f in feats if f != "Count"]
    clean = activity.gather_activity([activity.shard_average_precision(scaled, clean_feats, spec, settings)],
                                     scaled, spec, settings)[1]
    assert not exploded["retrieved"].equals(clean["retrieved"])


def test_summary_counts_the_dropped_feature_and_the_values_beyond():
    spec = OwnDataSpec.from_config("s", SCREEN42_ENTRY)
    info = {"wells": 42, "controls": 18, "plates": 3, "perturbations": 8, "features_in": 11,
            "features_kept": 10, "zero_dispersion": {"Count": ["P0", "P2"]},
            "beyond": EXPLODED.to_dict(orient="records")}
    activity = pd.DataFrame({"Metadata_Compound": ["c0"], "retrieved": [True], "mAP": [1.0]})
    rows = reproduction.summary_rows(spec, entry_settings(SCREEN42_ENTRY), info, activity).set_index("quantity")
    assert rows.loc["features dropped: zero dispersion", "ours"] == "1"
    assert rows.loc["features dropped: zero dispersion", "note"].startswith("Count (P0, P2); no spread")
    assert rows.loc[pp.BEYOND_QUANTITY, "ours"] == "2 feature(s) on 2 plate(s), max |x| = 4e+18"
