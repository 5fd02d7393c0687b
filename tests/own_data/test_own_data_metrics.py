"""The other metrics of your own profiles (mapreprod.datasets.own_data.metrics): the energy
distance against the controls of the same plate by the formula, agreement keyed by your
perturbation columns, retrieval where another dose of the same compound is no hit, the recall
of a gene column by brute force, the cell-count baseline of a count column, and the config keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.own_data import metrics as om
from mapreprod.datasets.own_data.inputs import CONTROL_COL, KEY_COL, OwnDataSpec
from mapreprod.settings import MapSettings
from scipy.spatial.distance import cdist

SETTINGS = MapSettings(null_size=500, seed=0, threshold=0.05, threads=1, n_permutations=200)
FEATS = [f"Cells_f{i}" for i in range(6)]
ENTRY = {
    "profiles": "x.csv",
    "columns": {"perturbation": ["Metadata_Compound", "Metadata_Dose"], "plate": "Metadata_Plate",
                "annotation": "Metadata_Target"},
    "controls": "Metadata_Compound == 'DMSO'",
    "consistency": {"activity_filter": False, "positives_differ_in": ["Metadata_Compound"]},
}


def _energy(x, y):
    return 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()


def _prepared(seed=0):
    """3 plates x (4 DMSO + compounds A, B (target T1), C (T2) at doses 1 and 10, one well each);
    A and B shift alike; A at dose 10 kills cells."""
    rng = np.random.default_rng(seed)
    shift = 3 * rng.normal(size=6)
    rows, feats = [], []
    perts = [("A", 1.0, "T1", "GA"), ("A", 10.0, "T1", "GA"), ("B", 1.0, "T1", "GB"),
             ("B", 10.0, "T1", "GB"), ("C", 1.0, "T2", "GC"), ("C", 10.0, "T2", "GC")]
    for plate in ("P1", "P2", "P3"):
        for _ in range(4):
            rows.append(("DMSO", np.nan, plate, np.nan, np.nan, 2000 + 60 * rng.normal(), True, -1))
            feats.append(rng.normal(size=6))
        for key, (comp, dose, target, gene) in enumerate(perts):
            count = 500.0 if (comp, dose) == ("A", 10.0) else 2000 + 60 * rng.normal()
            rows.append((comp, dose, plate, target, gene, count + 10 * rng.normal(), False, key))
            feats.append(rng.normal(size=6) + (shift if comp in "AB" else 0))
    meta = pd.DataFrame(rows, columns=["Metadata_Compound", "Metadata_Dose", "Metadata_Plate",
                                       "Metadata_Target", "Metadata_Gene", "Metadata_Count_Cells",
                                       CONTROL_COL, KEY_COL])
    return pd.concat([meta, pd.DataFrame(np.array(feats), columns=FEATS)], axis=1)


def _activity(prepared, called):
    """An activity table as the workflow writes it (your perturbation columns, mAP, p-values,
    retrieved), for the six perturbations."""
    names = prepared[~prepared[CONTROL_COL]].drop_duplicates(KEY_COL).sort_values(KEY_COL)
    return pd.DataFrame({"Metadata_Compound": names["Metadata_Compound"].to_numpy(),
                         "Metadata_Dose": names["Metadata_Dose"].to_numpy(), "n_replicates": 3,
                         "mAP": np.linspace(0.9, 0.1, 6), "p_value": np.linspace(0.001, 0.9, 6),
                         "corrected_p_value": np.linspace(0.002, 0.9, 6), "retrieved": called})


def test_energy_table_against_same_plate_controls_keyed_by_your_columns():
    spec = OwnDataSpec.from_config("t", ENTRY)
    prepared = _prepared()
    called = [True, True, True, False, False, False]
    table = om.energy_table(prepared, FEATS, _activity(prepared, called), spec, SETTINGS)
    assert table["perturbation"].tolist() == ["A|1.0", "A|10.0", "B|1.0", "B|10.0", "C|1.0", "C|10.0"]
    assert table["map_called"].tolist() == called and (table["scope"] == "t").all()
    feats = prepared[FEATS].to_numpy()
    ctrl = prepared[CONTROL_COL].to_numpy()
    for row in table.itertuples(index=False):
        x = feats[(prepared[KEY_COL].astype(str) == row.OwnData_perturbation).to_numpy()]
        assert row.energy_distance == pytest.approx(_energy(x, feats[ctrl]), abs=1e-10)


def test_retrieval_never_counts_another_dose_of_the_same_compound():
    spec = OwnDataSpec.from_config("t", ENTRY)
    prepared = _prepared(1)
    row = om.retrieval_table(prepared, FEATS, spec, SETTINGS).iloc[0]
    # T1 is shared by A and B across compounds; T2 only by the two doses of C: not queries
    assert row["n_queries"] == 4 and row["annotation"] == "Metadata_Target"
    assert row["recall_at_10"] == 1.0
    alone = prepared[prepared["Metadata_Compound"].isin(["DMSO", "C"])]
    assert om.retrieval_table(alone, FEATS, spec, SETTINGS) is None


def test_recall_of_a_gene_column_and_the_error_naming_the_key():
    spec = OwnDataSpec.from_config("t", ENTRY)
    prepared = _prepared(2)
    rel = pd.DataFrame({"entity1": ["GA", "GA"], "entity2": ["GB", "GC"], "source": ["mine", "mine"]})
    out = om.recall_table(prepared, FEATS, spec, "Metadata_Gene", rel, SETTINGS).iloc[0]
    assert out["n_genes"] == 3 and out["n_pairs"] == 2
    with pytest.raises(ValueError, match=r"own_data\.metrics\.t\.gene: column 'Gene'"):
        om.recall_table(prepared, FEATS, spec, "Gene", rel, SETTINGS)


def test_cell_count_baseline_of_a_count_column_explains_the_toxic_dose():
    spec = OwnDataSpec.from_config("t", ENTRY)
    prepared = _prepared(3)
    activity = _activity(prepared, [True, True, False, False, False, False])
    table, why = om.cell_count_table(prepared, activity, spec, "Metadata_Count_Cells", SETTINGS)
    assert why is None
    by_name = table.set_index("name")
    assert by_name.loc["A|10.0", "cell_count_called"] and by_name.loc["A|10.0", "explained_by_cell_count"]
    assert not by_name.loc["C|1.0", "cell_count_called"]
    z = []
    for plate in ("P1", "P2", "P3"):
        on = prepared["Metadata_Plate"] == plate
        ctrl = prepared.loc[on & prepared[CONTROL_COL], "Metadata_Count_Cells"]
        mine = prepared.loc[on & (prepared[KEY_COL] == 1), "Metadata_Count_Cells"]
        z.append((mine.mean() - ctrl.mean()) / ctrl.std(ddof=1))
    assert by_name.loc["A|10.0", "cell_count_score"] == pytest.approx(np.median(z))
    none, why = om.cell_count_table(prepared, activity, spec, "Cells_Number_Object_Number", SETTINGS)
    assert none is None and "own_data.metrics.t.cell_count" in why


def test_metrics_options_fill_defaults_and_refuse_unknown_keys():
    assert om.metrics_options("t", {}) == {"gene": None, "cell_count": None, "relationships": None}
    assert om.metrics_options("t", {"t": {"gene": "G"}})["gene"] == "G"
    with pytest.raises(ValueError, match=r"own_data\.metrics\.t: unknown key"):
        om.metrics_options("t", {"t": {"genes": "G"}})
