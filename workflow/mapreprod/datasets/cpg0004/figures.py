"""Source tables and drawings of Fig S7A and S7C (the figure contract: :data:`FIGURES`).

Both are the paper's generic figure: -log10(mAP p-value) against mAP with a KDE of mAP on top,
one point per compound (S7A, activity) or per target gene (S7C, consistency).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from mapreprod.common import paper_columns, require_columns
from mapreprod.plotting.scatter_kde import plot_map_scatter_kde


def figure_table(map_scores: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The table Fig S7A/S7C are drawn from: one row per ``unit`` with the authors' plot columns
    (``mAP``, ``p_value``, ``corrected_p_value``, ``p < 0.05``, ``-log10(mAP p-value)``)."""
    require_columns(
        map_scores, [unit, "mean_average_precision", "corrected_p_value", "below_corrected_p"],
        "mAP table",
    )
    table = paper_columns(map_scores)
    columns = [unit, "mAP", "p_value", "corrected_p_value", "p < 0.05", "-log10(mAP p-value)"]
    return table[columns].sort_values(unit).reset_index(drop=True)


def _plot_figure_table(table: pd.DataFrame, title: str) -> plt.Figure:
    """Scatter + KDE of one :func:`figure_table`, in a figure with a layout engine, so that a
    stand-in mark (figure.py) sits above the KDE strip instead of over it."""
    fig, ax = plt.subplots(figsize=(5.4, 4.6), layout="constrained")
    plot_map_scatter_kde(table, ax, title=title)
    return fig


# -- the figure contract: draw(tables, options) -> (source table, figure) ------------------------
# tables: {"map": the mAP table of the analysis}; options: only "standin" (read by figure.py).


def draw_figS7a(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S7A: phenotypic activity per compound (tables["map"]: results/cpg0004/map_activity.csv)."""
    table = figure_table(tables["map"], "Metadata_broad_sample")
    return table, _plot_figure_table(table, "cpg0004: phenotypic activity (compounds, 10 µM)")


def draw_figS7c(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S7C: phenotypic consistency per target gene (tables["map"]:
    results/cpg0004/map_consistency.csv)."""
    table = figure_table(tables["map"], "Metadata_target")
    return table, _plot_figure_table(table, "cpg0004: phenotypic consistency (target genes)")



def draw_metrics_cpg0004(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """The other metrics beside mAP (docs/methods.md §15; tables: the metrics tables of rule
    cpg0004_metrics, named summary, energy, recall, retrieval, cell_count; options: ``threshold``
    of the activity calls)."""
    from mapreprod.plotting.metrics import draw_metrics_figure

    return draw_metrics_figure(
        tables, "cpg0004 (LINCS): energy distance and retrieval by target and mechanism beside mAP",
        threshold=float(options.get("threshold", 0.05)),
    )

FIGURES = {
    "figS7a": draw_figS7a,
    "figS7c": draw_figS7c,
    "metrics_cpg0004": draw_metrics_cpg0004,
}
