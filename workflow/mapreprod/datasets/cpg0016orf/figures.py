"""Fig S7B and S7D: -log10(mAP p-value) against mAP, with a KDE of mAP on top.

As the authors' ``3_plot_map_results.py``: ``-log10(mAP p-value)`` is -log10 of the
BH-corrected p-value, ``mean_average_precision`` becomes ``mAP``, ``below_corrected_p`` becomes
``p < 0.05`` (for S7B that column holds q < 0.1 with the authors' FDR), and every row gets
``const = "dataset: cpg0016[orf]"``, the single hue level of their plot (so points are circles
for retrieved units and squares otherwise, with a dashed line at -log10(0.05)).
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from mapreprod.common import paper_columns
from mapreprod.plotting.scatter_kde import plot_map_scatter_kde

from .inputs import check_columns

#: Hue column and its one level, as in the authors' figure.
HUE = "const"
DATASET_LABEL = "dataset: cpg0016[orf]"
#: Unit of each figure's rows.
UNITS: dict[str, str] = {
    "figS7b": "Metadata_JCP2022",
    "figS7d": "Metadata_corum_complex_list",
}

__all__ = ["DATASET_LABEL", "HUE", "UNITS", "draw_figure", "figure_table"]


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
    """Scatter + KDE of one figure table (:func:`figure_table`), hue ``const`` as the authors."""
    return plot_map_scatter_kde(table, hue=HUE, title=title)
