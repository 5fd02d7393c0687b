"""The other metrics on cpg0016[orf]-shaped wells (mapreprod.datasets.cpg0016orf.metrics): the
energy distance of each ORF against the negcon wells of its plates by the formula, the gene-level
recall by brute force, the planted groups of the stand-in's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.cpg0016orf import metrics as om
from mapreprod.datasets.cpg0016orf.activity import phenotypic_activity
from mapreprod.datasets.cpg0016orf.inputs import Profiles
from mapreprod.settings import MapSettings
from scipy.spatial.distance import cdist

SETTINGS = MapSettings(null_size=500, seed=0, threshold=0.1, threads=1, n_permutations=200)


def _energy(x, y):
    return 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()


def _wells(seed=0):
    """2 plates x (3 negcon + 8 ORFs of 8 genes, one well each); ORFs of genes A-C shifted alike."""
    rng = np.random.default_rng(seed)
    shift = 3 * rng.normal(size=6)
    rows, feats = [], []
    genes = list("ABCDEFGH")
    for plate in ("P1", "P2"):
        for k in range(3):
            rows.append((f"JCP_neg{k}", plate, "negcon", f"NEG{k}", np.nan))
            feats.append(rng.normal(size=6))
        for g in genes:
            rows.append((f"JCP_{g}", plate, "trt", g, g))
            feats.append(rng.normal(size=6) + (shift if g in "ABC" else 0))
    meta = pd.DataFrame(rows, columns=["Metadata_JCP2022", "Metadata_Plate", "Metadata_pert_type",
                                       "Metadata_Symbol", "Metadata_Approved_Symbol"])
    return Profiles(meta, np.array(feats), [f"X_{i}" for i in range(6)])


def test_energy_table_is_the_formula_against_the_negcon_wells_of_the_plates():
    wells = _wells()
    _, activity = phenotypic_activity(wells, SETTINGS)
    table = om.energy_table(wells, activity, SETTINGS)
    assert len(table) == 8 and not table["Metadata_JCP2022"].str.startswith("JCP_neg").any()
    negcon = (wells.meta["Metadata_pert_type"] == "negcon").to_numpy()
    for row in table.itertuples(index=False):
        x = wells.features[(wells.meta["Metadata_JCP2022"] == row.Metadata_JCP2022).to_numpy()]
        assert row.energy_distance == pytest.approx(_energy(x, wells.features[negcon]), abs=1e-10)
    called = activity.set_index("Metadata_JCP2022")["below_corrected_p"]
    assert (table.set_index("Metadata_JCP2022")["map_called"] == called.reindex(table["Metadata_JCP2022"])).all()


def test_recall_table_equals_brute_force_on_gene_means():
    wells = _wells(1)
    rel = pd.DataFrame({"entity1": ["A", "A", "D", "G"], "entity2": ["B", "C", "E", "Z"],
                        "source": ["CORUM", "CORUM", "StringDB", "StringDB"]})
    out = om.recall_table(wells, rel, SETTINGS).set_index("source")
    trt = (wells.meta["Metadata_pert_type"] == "trt").to_numpy()
    genes = wells.meta.loc[trt, "Metadata_Approved_Symbol"].to_numpy()
    names = sorted(set(genes))
    prof = np.stack([wells.features[trt][genes == g].mean(axis=0) for g in names])
    unit = prof / np.linalg.norm(prof, axis=1, keepdims=True)
    sim = unit @ unit.T
    lo, hi = np.percentile(sim[np.triu_indices(len(names), 1)], [5, 95])
    idx = {g: i for i, g in enumerate(names)}
    for source, pairs in (("CORUM", [("A", "B"), ("A", "C")]), ("StringDB", [("D", "E")])):
        hits = [not lo <= sim[idx[a], idx[b]] <= hi for a, b in pairs]
        assert out.loc[source, "n_pairs"] == len(pairs)
        assert out.loc[source, "recall"] == pytest.approx(np.mean(hits))
    assert out.loc["StringDB", "n_pairs_listed"] == 2


def test_planted_groups_are_the_members_of_consistent_complexes():
    truth = pd.DataFrame({"Metadata_Symbol": ["A", "B", "C", "D"],
                          "consistent_complexes": ["K1", "K1|K2", "K2", np.nan]})
    groups, genes = om.planted_relationship_groups(truth)
    assert sorted(map(tuple, groups[["gene", "group"]].values.tolist())) == [
        ("A", "K1"), ("B", "K1"), ("B", "K2"), ("C", "K2")]
    assert genes == ["A", "B", "C", "D"]
