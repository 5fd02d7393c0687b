"""The Perturb-seq figures through the figure contract (registry id -> draw(tables, options)), on
hand-made result tables: the options choose the genes and the p-value behind "p < 0.05"."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mapreprod import registry
from mapreprod.datasets.perturbseq import figures

CELL, GUIDE, GENE = "Metadata_cell_identity", "Metadata_guide_identity", "Metadata_gene_identity"
GENES = ("ALDOA", "BCR", "RAN")


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(0)
    guides = [f"{g}_{g}_+_1.{i}-P1P2_0{i}" for g in GENES for i in range(4)]
    bulk = pd.DataFrame({
        "perturbation": guides,
        "gene": [g.split("_")[0] for g in guides],
        "mAP": rng.uniform(0, 1, len(guides)),
        "p < 0.05": [i % 2 == 0 for i in range(len(guides))],
        "relative_activity_day5": rng.uniform(0, 1.1, len(guides)),
    })
    cells = pd.DataFrame({
        CELL: [f"sc_profile_{i}" for i in range(len(guides) * 10)],
        GUIDE: np.repeat(guides, 10),
        GENE: np.repeat(bulk["gene"], 10),
        "mAP": rng.uniform(0, 1, len(guides) * 10),
        # raw p below 0.05 for every other cell; corrected p never
        "p_value": np.tile([0.01, 0.5], len(guides) * 5),
        "corrected_p_value": 0.2,
    })
    neg = [f"sc_profile_{1000 + i}" for i in range(8)]
    umap = pd.concat([
        pd.DataFrame({
            "Metadata_embedded_gene": gene,
            CELL: [*cells.loc[cells[GENE] == gene, CELL], *neg],
            GUIDE: [*cells.loc[cells[GENE] == gene, GUIDE], *["neg_ctrl"] * len(neg)],
            GENE: [gene] * 40 + ["neg"] * len(neg),
        })
        for gene in GENES
    ], ignore_index=True)
    umap["umap_0"], umap["umap_1"] = rng.normal(size=(2, len(umap)))
    return {"bulk_map": bulk, "cell_map": cells, "umap": umap}


def _options(**changes):
    return {"genes": [], "significance": "raw", "threshold": 0.05, **changes}


# the paper's figures (metrics_perturbseq draws the metrics tables: tests/perturbseq/test_perturbseq_metrics.py)
@pytest.mark.parametrize("figure_id", [f for f in registry.figure_ids("perturbseq")
                                       if registry.entry(f)["rule"] != "perturbseq_metrics_figure"])
def test_every_registered_figure_draws_from_the_result_tables(tables, figure_id):
    table, fig = registry.draw_function(figure_id)(tables, _options())
    assert len(table) > 0 and fig.axes
    plt.close(fig)


def test_single_cell_significance_option_picks_the_p_value(tables):
    raw, fig = figures.draw_fig5a(tables, _options())
    plt.close(fig)
    # raw p: 0.01 for every other cell; corrected p: 0.2 for all
    assert raw["p < 0.05"].sum() == len(raw) // 2
    np.testing.assert_allclose(raw["-log10(mAP p-value)"], -np.log10(raw["p_value"]))
    bh, fig = figures.draw_fig5a(tables, _options(significance="corrected"))
    plt.close(fig)
    assert not bh["p < 0.05"].any()
    np.testing.assert_allclose(bh["-log10(mAP p-value)"], -np.log10(0.2))
    strict, fig = figures.draw_fig5a(tables, _options(threshold=0.001))
    plt.close(fig)
    assert not strict["p < 0.05"].any()
    with pytest.raises(ValueError, match="perturbseq.single_cell_significance"):
        figures.draw_fig5a(tables, _options(significance="bonferroni"))


def test_figure_genes_option_keeps_only_those_genes(tables):
    table, fig = figures.draw_fig4f(tables, _options(genes=["BCR"]))
    assert set(table["gene"]) == {"BCR"} and len(table) == 4
    plt.close(fig)
    table, fig = figures.draw_fig5b(tables, _options(genes=["RAN", "ALDOA"]))
    assert set(table[GENE]) == {"RAN", "ALDOA"} and len(table) == 80
    assert table["p < 0.05"].sum() == 40  # raw p: every other cell
    plt.close(fig)
    with pytest.raises(ValueError, match="perturbseq.figure_genes"):
        figures.draw_fig4f(tables, _options(genes=["GATA1"]))


def test_figS8_table_labels_each_guide_with_its_activity(tables):
    table, fig = figures.draw_figS8(tables, _options(significance="corrected"))
    plt.close(fig)
    assert set(table.loc[table[GENE] == "neg", "panel"]) == {"Negative Ctrl"}
    bulk = tables["bulk_map"].set_index("perturbation")["relative_activity_day5"]
    guided = table[table[GENE] != "neg"]
    expected = [f"{g.split('_')[0]} {bulk[g]:.3f}" for g in guided[GUIDE]]
    assert guided["panel"].tolist() == expected
    assert not guided["p < 0.05"].any()  # corrected p is 0.2 everywhere
