"""The other metrics on cpg0004-shaped profiles (mapreprod.datasets.cpg0004.metrics): the energy
distance of each compound at the dose against the DMSO wells of its plates by the formula, the
retrieval rows by target and mechanism with recall@1 by brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets import cpg0004
from mapreprod.datasets.cpg0004 import metrics as cm
from mapreprod.settings import MapSettings
from scipy.spatial.distance import cdist

SETTINGS = MapSettings(null_size=2000, seed=0, threshold=0.05, threads=1, n_permutations=300)
FEATS = [f"Cells_f{i}" for i in range(8)]


def _energy(x, y):
    return 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()


def _profiles(seed=0):
    """3 plates x (3 DMSO + one well of 5 compounds at dose 6, and of c0 at dose 3)."""
    rng = np.random.default_rng(seed)
    shift = 3 * rng.normal(size=8)
    rows, feats = [], []
    for plate in ("P1", "P2", "P3"):
        for _ in range(3):
            rows.append({"Metadata_Plate": plate, "Metadata_broad_sample": "DMSO",
                         "Metadata_pert_type": "control", "Metadata_dose_recode": 0})
            feats.append(rng.normal(size=8))
        for k in range(5):
            rows.append({"Metadata_Plate": plate, "Metadata_broad_sample": f"BRD-K0000000{k}-001-01-1",
                         "Metadata_pert_type": "trt", "Metadata_dose_recode": 6})
            feats.append(rng.normal(size=8) + (shift if k < 2 else 0))
        rows.append({"Metadata_Plate": plate, "Metadata_broad_sample": "BRD-K00000000-001-01-1",
                     "Metadata_pert_type": "trt", "Metadata_dose_recode": 3})
        feats.append(rng.normal(size=8))
    return pd.concat([pd.DataFrame(rows), pd.DataFrame(np.array(feats), columns=FEATS)], axis=1)


def test_energy_table_uses_the_dose_and_the_dmso_wells_of_the_plates():
    df = _profiles()
    _, activity = cpg0004.phenotypic_activity(df, SETTINGS, dose=6)
    table = cm.energy_table(df, activity, SETTINGS, dose=6)
    assert len(table) == 5 and (table["scope"] == "dose 6").all()
    feats = df[FEATS].to_numpy()
    dmso = (df["Metadata_broad_sample"] == "DMSO").to_numpy()
    for row in table.itertuples(index=False):
        x = feats[((df["Metadata_broad_sample"] == row.Metadata_broad_sample)
                   & (df["Metadata_dose_recode"] == 6)).to_numpy()]
        assert row.energy_distance == pytest.approx(_energy(x, feats[dmso]), abs=1e-10)
    assert table.set_index("Metadata_broad_sample")["map_called"].to_dict() == (
        activity.set_index("Metadata_broad_sample")["below_corrected_p"].to_dict()
    )


def test_retrieval_table_by_target_and_mechanism():
    rng = np.random.default_rng(3)
    ids = [f"BRD-K0000000{k}" for k in range(6)]
    consensus = pd.DataFrame({
        "Metadata_broad_sample": [f"{i}-001-01-1" for i in ids] + ["DMSO"],
        "Metadata_dose_recode": [6] * 6 + [0],
        "Metadata_moa": ["m1", "m1", "m2", "m2|m1", "m3", np.nan, np.nan],
    })
    feats = rng.normal(size=(7, 8))
    feats[1] = feats[0] + 0.01  # the two T1 compounds are each other's nearest
    consensus = pd.concat([consensus, pd.DataFrame(feats, columns=FEATS)], axis=1)
    labels = pd.DataFrame({"broad_id": ids, "pert_iname": ids, "target": ["T1", "T1", "T2", "T2|T3", "T3", "T4"]})
    out = cm.retrieval_table(consensus, labels, SETTINGS, dose=6).set_index("annotation")
    assert set(out.index) == {"target", "mechanism"}
    # by target, queries c0..c4 (c5's T4 is shared by nobody); brute-force recall@1
    unit = feats[:6] / np.linalg.norm(feats[:6], axis=1, keepdims=True)
    sim = unit @ unit.T
    target = [{"T1"}, {"T1"}, {"T2"}, {"T2", "T3"}, {"T3"}, {"T4"}]
    hits = []
    for i in range(5):
        best = max((j for j in range(6) if j != i), key=lambda j: (sim[i, j], -j))
        hits.append(bool(target[i] & target[best]))
    assert out.loc["target", "n_queries"] == 5
    assert out.loc["target", "recall_at_1"] == pytest.approx(np.mean(hits))
    # by mechanism, c5 has none: 5 treatments are annotated, 4 of them share one
    assert out.loc["mechanism", "n_annotated"] == 5 and out.loc["mechanism", "n_queries"] == 4
