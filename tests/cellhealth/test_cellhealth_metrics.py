"""The other metrics on a small Cell Health stand-in (mapreprod.datasets.cellhealth.metrics): the
energy distance of each guide against the cutting controls of its cell line by the formula, the
gene-level recall per cell line by brute force, the cell-count baseline of a varying count and
the reason it is not computed for the stand-in's constant one, the planted groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets import cellhealth as ch
from mapreprod.datasets.cellhealth import metrics as hm
from mapreprod.datasets.cellhealth import standin as syn
from mapreprod.settings import MapSettings
from scipy.spatial.distance import cdist

SETTINGS = MapSettings(null_size=300, seed=0, threshold=0.05, threads=1, n_permutations=100)
COUNT = "Cells_Number_Object_Number"


@pytest.fixture(scope="module")
def data():
    return syn.make_cellhealth(seed=2, n_guides=8, n_features=40)


@pytest.fixture(scope="module")
def raw(data):
    return pd.concat([ch.tidy_metadata(t) for t in data.plates.values()], ignore_index=True)


@pytest.fixture(scope="module")
def profiles(raw):
    return ch.preprocess_profiles(raw, "mad_robustize")


@pytest.fixture(scope="module")
def activity(profiles):
    return ch.activity_by_cell_line(profiles, "cutting", SETTINGS)[0]


def _energy(x, y):
    return 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()


def test_energy_table_is_the_formula_against_the_cell_lines_cutting_controls(profiles, activity):
    table = hm.energy_table(profiles, activity, SETTINGS)
    assert set(table["scope"]) == set(ch.CELL_LINES) and len(table) == 3 * 8
    for cell in ch.CELL_LINES:
        subset = ch.replicate_subset(profiles, cell, "cutting")
        meta, feats = ch.split_cp_profiles(subset)
        controls = feats[meta[ch.IS_CONTROL].to_numpy() == 1]
        for row in table[table["scope"] == cell].head(3).itertuples(index=False):
            x = feats[(meta[ch.PERT] == row.Metadata_pert_name).to_numpy()]
            assert row.energy_distance == pytest.approx(_energy(x, controls), abs=1e-9)
    merged = table.merge(activity, left_on=["scope", "Metadata_pert_name"],
                         right_on=["Cell type", "Metadata_pert_name"])
    assert (merged["map_called"] == merged["p < 0.05"]).all() and len(merged) == len(table)


def test_recall_table_per_cell_line_equals_brute_force_on_gene_means(profiles):
    rel = pd.DataFrame({"entity1": ["AKT1", "AKT1", "ARID1B"], "entity2": ["ATF4", "ATP50", "ATP50"],
                        "source": ["CORUM"] * 3})
    out = hm.recall_table(profiles, rel, SETTINGS).set_index("scope")
    consensus = ch.consistency_profiles(profiles)
    feats = ch.cp_features(consensus)
    for cell in ch.CELL_LINES:
        part = consensus[(consensus[ch.CELL] == cell) & ~consensus[ch.GENE].isin(["Chr2", "Luc", "LacZ", "EMPTY"])]
        genes = part.groupby(ch.GENE)[feats].mean()
        unit = genes.to_numpy() / np.linalg.norm(genes.to_numpy(), axis=1, keepdims=True)
        sim = pd.DataFrame(unit @ unit.T, index=genes.index, columns=genes.index)
        lo, hi = np.percentile(sim.to_numpy()[np.triu_indices(len(genes), 1)], [5, 95])
        hits = [not lo <= sim.loc[a, b] <= hi for a, b in zip(rel["entity1"], rel["entity2"])]
        assert out.loc[cell, "n_genes"] == 4
        assert out.loc[cell, "recall"] == pytest.approx(np.mean(hits))


def test_cell_count_baseline_runs_on_a_varying_count_and_explains_why_not_on_a_constant_one(raw, activity):
    none, why = hm.cell_count_table(raw, activity, SETTINGS, feature=COUNT)
    assert none is None and "same value in every control well" in why  # the stand-in's constant
    rng = np.random.default_rng(0)
    varied = raw.assign(**{COUNT: rng.normal(1000, 50, len(raw))})
    table, why = hm.cell_count_table(varied, activity, SETTINGS, feature=COUNT)
    assert why is None and set(table["scope"]) == set(ch.CELL_LINES)
    assert len(table) == 3 * 8 and table["cell_count_called"].sum() <= 3  # no planted count effect
    none, why = hm.cell_count_table(raw, activity, SETTINGS, feature="Count")
    assert none is None and "no column 'Count'" in why


def test_planted_groups_are_the_mito_genes_of_each_cell_line(data):
    groups, genes = hm.planted_relationship_groups(data.truth)
    mito = data.truth[data.truth["category"] == "mito"]
    assert len(groups) == mito.drop_duplicates(["Metadata_gene_name", "Cell type"]).shape[0]
    assert set(groups["group"]) <= {f"mito {c}" for c in ch.CELL_LINES}
    assert "Chr2" not in genes and len(genes) == 4
