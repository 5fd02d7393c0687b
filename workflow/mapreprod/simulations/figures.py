"""Drawings of the simulation figures, Fig 2, S2-S5 and figS_null (the figure contract: :data:`FIGURES`).

Every figure is the recall grid of :func:`mapreprod.plotting.simulation.plot_recall_grid` over
the table that rule ``simulations_table`` wrote (results/tables/<id>.csv, input ``table``); the
methods drawn are the columns of the figure's spec (:data:`simulate.FIGURE_SPECS`), so a method
added to a spec appears in its figure. The draw functions return the table they got: the figure
rule writes no table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from mapreprod.plotting.simulation import plot_recall_grid

from . import simulate

#: Titles of the rendered figures (the number of perturbations per condition is appended).
TITLES = {
    "fig2": "Fig 2: recall on simulated data (perturbed features ~ N(1, 1), controls ~ N(0, 1))",
    "figS2": "Fig S2: as Fig 2 with a linear axis of perturbed features",
    "figS3": "Fig S3: perturbed features ~ N(2, 2), controls ~ N(0, 1)",
    "figS4": "Fig S4: perturbed features ~ Cauchy(10, 1), controls ~ Cauchy(0, 1)",
    "figS5": "Fig S5: mAP recall with cosine, Euclidean and correlation similarity",
    "figS_null": ("figS_null (ours, not in the paper): mAP with the shared (copairs) vs the "
                  "independent null; 0% = false-positive rate"),
}


def recall_figure(
    figure: str, table: pd.DataFrame, reference_line: float | None = None
) -> tuple[pd.DataFrame, Figure]:
    """The recall grid of one simulation figure: the methods of its spec, its title with the
    number of perturbations per condition (column ``n_perts``), optionally a dotted line."""
    title = f"{TITLES[figure]} ({int(table['n_perts'].iloc[0])} perturbations per condition)"
    methods = simulate.figure_spec(figure).methods
    return table, plot_recall_grid(table, methods, title=title, reference_line=reference_line)


# -- the figure contract: draw(tables, options) -> (source table, figure) ------------------------
# tables: {"table": the figure's recall table}; options: none.


def draw_fig2(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 2: recall of mAP, mp-value, MMD and k-means, Normal(1, 1) vs Normal(0, 1)."""
    return recall_figure("fig2", tables["table"])


def draw_figS2(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S2: as Fig 2 on a linear axis of perturbed features."""
    return recall_figure("figS2", tables["table"])


def draw_figS3(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S3: as Fig 2 with perturbed features ~ Normal(2, 2)."""
    return recall_figure("figS3", tables["table"])


def draw_figS4(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S4: as Fig 2 with Cauchy features."""
    return recall_figure("figS4", tables["table"])


def draw_figS5(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S5: mAP recall with cosine, Euclidean and correlation similarity."""
    return recall_figure("figS5", tables["table"])


def draw_figS_null(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """figS_null (ours): shared vs independent mAP null; a dotted line at the 5% level, the
    expected false-positive rate at 0% perturbed features."""
    return recall_figure("figS_null", tables["table"], reference_line=0.05)


FIGURES = {
    "fig2": draw_fig2,
    "figS2": draw_figS2,
    "figS3": draw_figS3,
    "figS4": draw_figS4,
    "figS5": draw_figS5,
    "figS_null": draw_figS_null,
}
