"""The other metrics on Perturb-seq-shaped bulk profiles (mapreprod.datasets.perturbseq.metrics):
the energy distance of each gene's guide profiles against the non-targeting guide profiles by
the formula, the gene-level mAP call it is compared with, the recall of the target genes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.perturbseq import metrics as pm
from mapreprod.settings import MapSettings
from scipy.spatial.distance import cdist

SETTINGS = MapSettings(null_size=500, seed=0, threshold=0.05, threads=1, n_permutations=200)
GUIDE, GENE = "Metadata_guide_identity", "Metadata_gene_identity"


def _energy(x, y):
    return 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()


def _bulk(seed=0):
    """5 genes x 3 guides, 10 non-targeting guides; GENE0's guides strongly shifted."""
    rng = np.random.default_rng(seed)
    rows, feats = [], []
    for g in range(5):
        shift = 4 * rng.normal(size=12) if g == 0 else 0
        for k in range(3):
            rows.append((f"GENE{g}_g{k}", f"GENE{g}"))
            feats.append(rng.normal(size=12) + shift)
    for k in range(10):
        rows.append((f"neg_{k}", "neg"))
        feats.append(rng.normal(size=12))
    meta = pd.DataFrame(rows, columns=[GUIDE, GENE])
    return pd.concat([meta, pd.DataFrame(np.array(feats), columns=[f"g{i}" for i in range(12)])], axis=1)


def test_energy_table_is_per_gene_against_the_non_targeting_guides():
    bulk = _bulk()
    table = pm.energy_table(bulk, SETTINGS)
    assert sorted(table[GENE]) == [f"GENE{g}" for g in range(5)]
    feats = bulk.filter(like="g", axis=1).drop(columns=[GUIDE, GENE]).to_numpy()
    neg = (bulk[GENE] == "neg").to_numpy()
    for row in table.itertuples(index=False):
        x = feats[(bulk[GENE] == row.Metadata_gene_identity).to_numpy()]
        assert row.energy_distance == pytest.approx(_energy(x, feats[neg]), abs=1e-10)
    gene0 = table.set_index(GENE).loc["GENE0"]
    assert gene0["mAP"] == pytest.approx(1.0) and gene0["agreement"] == "both"
    assert (table["scope"] == "bulk, per gene").all()


def test_recall_table_covers_the_target_genes_only():
    bulk = _bulk(1)
    rel = pd.DataFrame({"entity1": ["GENE0", "GENE2"], "entity2": ["GENE1", "neg"], "source": ["StringDB"] * 2})
    out = pm.recall_table(bulk, rel, SETTINGS).iloc[0]
    assert out["n_genes"] == 5 and out["n_pairs"] == 1 and out["n_pairs_listed"] == 2


def test_planted_groups_are_empty_and_genes_are_the_targets():
    guides = pd.DataFrame({"gene": ["A", "A", "B", "neg"]})
    groups, genes = pm.planted_relationship_groups(guides)
    assert groups.empty and genes == ["A", "B"]
