"""The other metrics on nELISA-shaped profiles (mapreprod.datasets.nelisa.metrics): the energy
distance of each compound by its formula against the DMSO wells its activity test uses, the
agreement classes from the two calls, recall@1 by brute force, the cell-count score by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets import nelisa as ne
from mapreprod.datasets.nelisa import metrics as nm
from mapreprod.settings import MapSettings
from scipy.spatial.distance import cdist

PERT = "Metadata_broad_sample"
SETTINGS = MapSettings(null_size=2000, seed=0, threshold=0.05, threads=1, n_permutations=300)


def _energy(x, y):
    return 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()


def _profiles(seed: int = 0, count: bool = False) -> pd.DataFrame:
    """2 plates x (4 DMSO + 2 wells of 6 compounds); c0, c1 share a shift (target T1), c2-c5
    none; targets T1 (c0, c1), T2 (c2, c3), T3 (c4), T2|T3 (c5)."""
    rng = np.random.default_rng(seed)
    shift = 3 * rng.normal(size=10)
    targets = {"c0": "T1", "c1": "T1", "c2": "T2", "c3": "T2", "c4": "T3", "c5": "T2|T3"}
    rows, feats, cells = [], [], []
    for plate in ("P1", "P2"):
        for _ in range(4):
            rows.append({"Metadata_Plate": plate, PERT: np.nan, "Metadata_control_type": "negcon",
                         "Metadata_target_list": np.nan})
            feats.append(rng.normal(size=10))
            cells.append(1000 + 50 * rng.normal())
        for comp, target in targets.items():
            for _ in range(2):
                rows.append({"Metadata_Plate": plate, PERT: comp, "Metadata_control_type": "trt",
                             "Metadata_target_list": target})
                feats.append(rng.normal(size=10) + (shift if comp in ("c0", "c1") else 0))
                cells.append(300 + 20 * rng.normal() if comp == "c0" else 1000 + 50 * rng.normal())
    df = pd.concat([pd.DataFrame(rows), pd.DataFrame(np.array(feats), columns=[f"f{i}" for i in range(10)])], axis=1)
    if count:
        df["Cells_Number_Object_Number"] = cells
    return ne.fill_missing_broad_sample(df)


@pytest.mark.parametrize("same_plate", [False, True])
def test_energy_table_is_the_formula_against_the_dmso_wells_and_calls_agree(same_plate):
    df = _profiles()
    activity = ne.activity_map(df, SETTINGS, same_plate_controls=same_plate)
    table = nm.energy_table(df, activity, SETTINGS, assay="nelisa", same_plate_controls=same_plate)
    assert (table["scope"] == "nELISA").all() and len(table) == 6
    feats = df[[f"f{i}" for i in range(10)]].to_numpy()
    dmso = (df[PERT] == "NA").to_numpy()
    for row in table.itertuples(index=False):
        x = feats[(df[PERT] == getattr(row, PERT)).to_numpy()]
        assert row.energy_distance == pytest.approx(_energy(x, feats[dmso]), abs=1e-10)
    for row in table.itertuples(index=False):
        m, e = row.map_called, row.energy_corrected_p_value < SETTINGS.threshold
        expect = {(True, True): "both", (True, False): "only mAP", (False, True): "only energy",
                  (False, False): "neither"}[(m, e)]
        assert row.agreement == expect
    called = table.set_index(PERT)["map_called"]
    assert called.to_dict() == activity.set_index(PERT)["p < 0.05"].to_dict()


def test_retrieval_table_recall_at_1_equals_brute_force_on_the_consensus_profiles():
    df = _profiles(1)
    row = nm.retrieval_table(df, SETTINGS, assay="nelisa").iloc[0]
    feats = [f"f{i}" for i in range(10)]
    cons = df[df[PERT] != "NA"].groupby(PERT)[feats].median()
    targets = df[df[PERT] != "NA"].groupby(PERT)["Metadata_target_list"].first().str.split("|")
    unit = cons.to_numpy() / np.linalg.norm(cons.to_numpy(), axis=1, keepdims=True)
    sim = unit @ unit.T
    hits = []
    for i, comp in enumerate(cons.index):
        others = [j for j in range(len(cons)) if j != i]
        if not any(set(targets[comp]) & set(targets.iloc[j]) for j in others):
            continue  # no relevant treatment: not a query
        best = max(others, key=lambda j: (sim[i, j], -j))
        hits.append(bool(set(targets[comp]) & set(targets.iloc[best])))
    assert row["n_queries"] == len(hits)
    assert row["recall_at_1"] == pytest.approx(np.mean(hits))
    assert row["annotation"] == "target" and row["scope"] == "nELISA"


def test_cell_count_table_scores_by_hand_and_says_why_when_it_cannot():
    df = _profiles(2, count=True)
    activity = ne.activity_map(df, SETTINGS)
    table, why = nm.cell_count_table(df, activity, SETTINGS, feature="Cells_Number_Object_Number")
    assert why is None and (table["scope"] == "Cell Painting").all()
    scores = table.set_index("perturbation")["cell_count_score"]
    z = []
    for plate in ("P1", "P2"):
        on = df["Metadata_Plate"] == plate
        ctrl = df.loc[on & (df[PERT] == "NA"), "Cells_Number_Object_Number"]
        mine = df.loc[on & (df[PERT] == "c0"), "Cells_Number_Object_Number"]
        z.append((mine.mean() - ctrl.mean()) / ctrl.std(ddof=1))
    assert scores["c0"] == pytest.approx(np.median(z))
    assert table.set_index("perturbation").loc["c0", "cell_count_called"]
    none, why = nm.cell_count_table(df.assign(Cells_Number_Object_Number=1.0), activity, SETTINGS,
                                    feature="Cells_Number_Object_Number")
    assert none is None and "same value in every control well" in why
    none, why = nm.cell_count_table(df, activity, SETTINGS, feature="Count_Cells")
    assert none is None and "no column 'Count_Cells'" in why
