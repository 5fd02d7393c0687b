"""The paper's figure for your data: mAP against -log10(p) with a density of mAP on top, one for
activity (per perturbation) and one for consistency (per annotation); drawn with
:func:`mapreprod.plotting.scatter_kde.plot_map_scatter_kde`, as Fig 3B/3E, 4A/4C and S7A/S7C.

The figure contract (:data:`FIGURES`): the registry's ids ``own_activity`` and
``own_consistency`` are drawn once per dataset of ``own_data.datasets`` (files
``own_<name>_<analysis>``), from that dataset's result table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["ANALYSES", "FIGURES", "figure_table", "plot_own_figure"]

#: analysis -> (what is scored, what it is scored against)
ANALYSES = {
    "activity": ("perturbations", "replicates vs controls"),
    "consistency": ("annotations", "perturbations sharing an annotation"),
}
_PLOTTED = ["mAP", "-log10(mAP p-value)", "retrieved"]


def figure_table(table: pd.DataFrame) -> pd.DataFrame:
    """The figure's source table: the result table itself (key columns, counts, mAP, p-values,
    retrieved), checked to have the plotted columns."""
    missing = [c for c in _PLOTTED if c not in table.columns]
    if missing:
        raise ValueError(f"result table lacks column(s) {missing}")
    return table.reset_index(drop=True)


def plot_own_figure(table: pd.DataFrame, name: str, analysis: str, threshold: float = 0.05):
    """Scatter + density of one dataset's activity or consistency table.

    An empty table (e.g. no two retrieved perturbations share an annotation) gives a figure
    that says so instead of failing the run.
    """
    import matplotlib.pyplot as plt

    from mapreprod.plotting.scatter_kde import plot_map_scatter_kde

    if analysis not in ANALYSES:
        raise ValueError(f"analysis must be one of {list(ANALYSES)}, got {analysis!r}")
    unit, design = ANALYSES[analysis]
    fig, ax = plt.subplots(figsize=(5.4, 4.6), layout="constrained")
    title = f"{name}: phenotypic {analysis}\n{len(table)} {unit} ({design})"
    if table.empty:
        ax.text(0.5, 0.5, f"No {unit} to score:\nno two perturbations share an annotation"
                if analysis == "consistency" else f"No {unit} to score", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_xlabel("mAP")
        ax.set_ylabel("-log10(mAP p-value)")
        ax.set_title(title)
        return fig
    data = table.assign(retrieved=table["retrieved"].astype(bool))
    data = data.rename(columns={"retrieved": f"q < {threshold:g}"})
    plot_map_scatter_kde(data, ax, significant=f"q < {threshold:g}", title=title,
                         ylabel="-log10(BH-corrected mAP p-value)")
    return fig


# -- the figure contract: draw(tables, options) -> (source table, figure) ------------------------
# tables: {"table": the dataset's result table, results/own_data/<name>/<analysis>.csv};
# options: "name" (the dataset's name, in the title) and "threshold" (its BH level).


def _draw(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any], analysis: str):
    table = figure_table(tables["table"])
    return table, plot_own_figure(table, options["name"], analysis, options["threshold"])


def draw_own_activity(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Phenotypic activity of one own dataset (one point per perturbation)."""
    return _draw(tables, options, "activity")


def draw_own_consistency(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Phenotypic consistency of one own dataset (one point per annotation)."""
    return _draw(tables, options, "consistency")



def draw_metrics_own_data(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """The other metrics beside mAP of one own dataset (docs/methods.md §15; tables: the metrics
    tables of rule own_data_metrics; options: ``name`` (title) and ``threshold``)."""
    from mapreprod.plotting.metrics import draw_metrics_figure

    name = options.get("name", "")
    return draw_metrics_figure(
        tables, f"Your profiles ({name}): energy distance, retrieval, recall and cell count beside mAP",
        threshold=float(options.get("threshold", 0.05)),
    )

FIGURES = {
    "own_activity": draw_own_activity,
    "own_consistency": draw_own_consistency,
    "metrics_own_data": draw_metrics_own_data,
}
