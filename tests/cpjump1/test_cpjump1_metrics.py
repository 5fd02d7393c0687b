"""The other metrics on CPJUMP1-shaped condition profiles (mapreprod.datasets.cpjump1.metrics):
the energy distance of each perturbation against the negative controls of its plates by the
formula, its agreement with the detection call, the CRISPR gene-level recall by brute force,
compound retrieval only where detected compounds share a target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.cpjump1 import activity
from mapreprod.datasets.cpjump1 import metrics as jm
from mapreprod.settings import MapSettings
from scipy.spatial.distance import cdist

SETTINGS = MapSettings(null_size=500, seed=0, threshold=0.05, threads=1, n_permutations=200)


def _energy(x, y):
    return 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()


def _crispr(seed=0):
    """2 plates x (4 negcon + one well of 6 guides of 6 genes); guides of G0-G2 shifted alike."""
    rng = np.random.default_rng(seed)
    shift = 3 * rng.normal(size=6)
    rows, feats = [], []
    for plate in ("P1", "P2"):
        for k in range(4):
            rows.append((f"NEG{k}", plate, f"A0{k}", 1, "negcon", "NTC"))
            feats.append(rng.normal(size=6))
        for g in range(6):
            rows.append((f"BRDN{g}", plate, f"B0{g}", 0, np.nan, f"G{g}"))
            feats.append(rng.normal(size=6) + (shift if g < 3 else 0))
    meta = pd.DataFrame(rows, columns=["Metadata_broad_sample", "Metadata_Plate", "Metadata_Well",
                                       "Metadata_negcon", "Metadata_control_type", "Metadata_gene"])
    return pd.concat([meta, pd.DataFrame(np.array(feats), columns=[f"Cells_f{i}" for i in range(6)])], axis=1)


def test_energy_table_is_the_formula_against_the_plates_negative_controls():
    df = _crispr()
    _, classes = activity.replicate_retrieval(df, SETTINGS)
    table = jm.energy_table(df, classes, SETTINGS, condition="crispr_A549_long")
    assert len(table) == 6 and (table["scope"] == "crispr_A549_long").all()
    feats = df.filter(like="Cells_").to_numpy()
    neg = (df["Metadata_negcon"] == 1).to_numpy()
    for row in table.itertuples(index=False):
        x = feats[(df["Metadata_broad_sample"] == row.Metadata_broad_sample).to_numpy()]
        assert row.energy_distance == pytest.approx(_energy(x, feats[neg]), abs=1e-10)
    detected = classes.set_index("Metadata_broad_sample")["above_q_threshold"]
    assert (table.set_index("Metadata_broad_sample")["map_called"] == detected.reindex(table["Metadata_broad_sample"])).all()
    assert (table.set_index("Metadata_broad_sample")["map_corrected_p_value"]
            == classes.set_index("Metadata_broad_sample")["q_value"].reindex(table["Metadata_broad_sample"])).all()


def test_recall_table_leaves_negative_controls_out_and_equals_brute_force():
    df = _crispr(1)
    rel = pd.DataFrame({"entity1": ["G0", "G0", "G3"], "entity2": ["G1", "G2", "G4"], "source": ["CORUM"] * 3})
    out = jm.recall_table(df, rel, SETTINGS, condition="crispr_A549_long").iloc[0]
    keep = (df["Metadata_control_type"] != "negcon").to_numpy()
    genes = df.loc[keep, "Metadata_gene"].to_numpy()
    feats = df.filter(like="Cells_").to_numpy()[keep]
    names = sorted(set(genes))
    assert out["n_genes"] == len(names) == 6
    prof = np.stack([feats[genes == g].mean(axis=0) for g in names])
    unit = prof / np.linalg.norm(prof, axis=1, keepdims=True)
    sim = unit @ unit.T
    lo, hi = np.percentile(sim[np.triu_indices(6, 1)], [5, 95])
    hits = [not lo <= sim[a, b] <= hi for a, b in ((0, 1), (0, 2), (3, 4))]
    assert out["recall"] == pytest.approx(np.mean(hits))


def test_retrieval_table_is_none_without_two_detected_compounds_sharing_a_target():
    df = _crispr(2)
    classes = pd.DataFrame({"Metadata_broad_sample": [f"BRDN{g}" for g in range(6)],
                            "above_q_threshold": [True] * 6})
    annotations = pd.DataFrame({"Metadata_broad_sample": [f"BRDN{g}" for g in range(6)],
                                "Metadata_target_list": ["T0", "T1", "T2", "T3", "T4", "T5"]})
    assert jm.retrieval_table(df, classes, annotations, SETTINGS, condition="c") is None
    annotations["Metadata_target_list"] = ["T0", "T0|T9", "T1", "T1", "T2", "T3"]
    row = jm.retrieval_table(df, classes, annotations, SETTINGS, condition="c").iloc[0]
    assert row["n_queries"] == 4 and row["annotation"] == "target"


def test_planted_groups_are_empty_and_genes_exclude_controls():
    truth = pd.DataFrame({"modality": ["crispr", "orf", "orf", "compound"],
                          "gene": ["G1", "G2", "CONTROL01", "G3"]})
    groups, genes = jm.planted_relationship_groups(truth)
    assert groups.empty and genes == ["G1", "G2"]
