"""Fig S7B and S7D: -log10(mAP p-value) against mAP, with a KDE of mAP on top.

As the authors' ``3_plot_map_results.py``: ``-log10(mAP p-value)`` is -log10 of the
BH-corrected p-value, ``mean_average_precision`` becomes ``mAP``, ``below_corrected_p`` becomes
``p < 0.05`` (for S7B that column holds q < 0.1 with the authors' FDR), and every row gets
``const = "dataset: cpg0016[orf]"``, the single hue level of their plot (so points are circles
for retrieved units and squares otherwise, with a dashed line at -log10(0.05)).

The figure contract: :data:`FIGURES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from mapreprod.common import paper_columns
from mapreprod.plotting.scatter_kde import plot_map_scatter_kde

from .inputs import check_columns

#: Hue column and its one level, as in the authors' figure.
HUE = "const"
DATASET_LABEL = "dataset: cpg0016[orf]"

__all__ = ["DATASET_LABEL", "FIGURES", "HUE", "draw_figure", "figure_table"]


def figure_table(map_scores: pd.DataFrame, unit: str, threshold: float) -> pd.DataFrame:
    """The table a figure is drawn from: one row per unit with the authors' plot columns.

    Columns: ``unit``, ``mAP``, ``p_value``, ``corrected_p_value``, ``p < 0.05`` (=
    ``below_corrected_p``), ``-log10(mAP p-value)``, ``const`` and ``q_threshold`` (the BH level
    ``p < 0.05`` was called at), sorted by unit.
    """
    check_columns(
        map_scores,
        [unit, "mean_average_precision", "p_value", "corrected_p_value", "below_corrected_p"],
        "mAP table",
    )
    table = paper_columns(map_scores)
    table[HUE] = DATASET_LABEL
    table["q_threshold"] = threshold
    columns = [unit, "mAP", "p_value", "corrected_p_value", "p < 0.05", "-log10(mAP p-value)",
               HUE, "q_threshold"]
    return table[columns].sort_values(unit, kind="stable").reset_index(drop=True)


def draw_figure(table: pd.DataFrame, title: str) -> Axes:
    """Scatter + KDE of one figure table (:func:`figure_table`), hue ``const`` as the authors,
    in a figure with a layout engine (a stand-in mark then sits above the KDE strip)."""
    _, ax = plt.subplots(figsize=(5.4, 4.6), layout="constrained")
    return plot_map_scatter_kde(table, ax, hue=HUE, title=title)


# -- the figure contract: draw(tables, options) -> (source table, figure) ------------------------
# tables: {"map": the mAP table of the analysis}; options: "q", the BH level the table was called
# at (cpg0016orf.activity_fdr or consistency_fdr), and "standin" (read by figure.py).


def _draw(map_scores: pd.DataFrame, unit: str, q: float, title: str):
    table = figure_table(map_scores, unit, q)
    ax = draw_figure(table, f"{title}\nretrieved: BH q < {q:g}")
    return table, ax.figure


def draw_figS7b(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S7B: phenotypic activity per ORF (tables["map"]: results/cpg0016orf/map_activity.csv)."""
    return _draw(
        tables["map"], "Metadata_JCP2022", options["q"],
        "cpg0016[orf]: phenotypic activity (ORFs vs same-plate negcon ORFs)",
    )


def draw_figS7d(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S7D: phenotypic consistency per CORUM complex (tables["map"]:
    results/cpg0016orf/map_consistency.csv)."""
    return _draw(
        tables["map"], "Metadata_corum_complex_list", options["q"],
        "cpg0016[orf]: phenotypic consistency (CORUM complexes)",
    )



def draw_metrics_cpg0016orf(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """The other metrics beside mAP (docs/methods.md §15; tables: the metrics tables of rule
    cpg0016orf_metrics, named summary, energy, recall, retrieval, cell_count; options: ``threshold``
    of the activity calls)."""
    from mapreprod.plotting.metrics import draw_metrics_figure

    return draw_metrics_figure(
        tables, "cpg0016[orf]: energy distance and known-relationship recall beside mAP",
        threshold=float(options.get("threshold", 0.05)),
    )

FIGURES = {
    "figS7b": draw_figS7b,
    "figS7d": draw_figS7d,
    "metrics_cpg0016orf": draw_metrics_cpg0016orf,
}
