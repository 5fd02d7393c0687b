"""Drawings of the simulation figures, Fig 2, S2-S5, figS_null and metrics_simulations (the figure
contract: :data:`FIGURES`).

The paper's figures are the recall grid of :func:`mapreprod.plotting.simulation.plot_recall_grid`;
ours, whose tables carry binomial intervals (``FigureSpec.intervals``), are the calibration strip
and recall grid of :func:`mapreprod.plotting.simulation.plot_calibration_recall`. Each draws the
table that rule ``simulations_table`` wrote (results/tables/<id>.csv, input ``table``); the
methods drawn are the columns of the figure's spec (:data:`simulate.FIGURE_SPECS`), so a method
added to a spec appears in its figure. The draw functions return the table they got: the figure
rule writes no table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from mapreprod.plotting.simulation import plot_calibration_recall, plot_recall_grid

from . import simulate

#: Titles of the rendered figures (the number of perturbations per condition is appended).
TITLES = {
    "fig2": "Fig 2: recall on simulated data (perturbed features ~ N(1, 1), controls ~ N(0, 1))",
    "figS2": "Fig S2: as Fig 2 with a linear axis of perturbed features",
    "figS3": "Fig S3: perturbed features ~ N(2, 2), controls ~ N(0, 1)",
    "figS4": "Fig S4: perturbed features ~ Cauchy(10, 1), controls ~ Cauchy(0, 1)",
    "figS5": "Fig S5: mAP recall with cosine, Euclidean and correlation similarity",
    "figS_null": ("figS_null (ours, not in the paper): the four mAP tests (shared, independent, "
                  "exact null; label permutation); 0% = false-positive rate"),
    "metrics_simulations": ("metrics_simulations (ours, not in the paper): Fig 2 with the energy-distance test; "
                    "0% = false-positive rate"),
}


def recall_figure(
    figure: str, table: pd.DataFrame, reference_line: float | None = None
) -> tuple[pd.DataFrame, Figure]:
    """The recall grid of one simulation figure: the methods of its spec, its title with the
    number of perturbations per condition (column ``n_perts``), optionally a dotted line."""
    per = f"{int(table['n_perts'].iloc[0])} perturbations per condition"
    title = f"{TITLES[figure]} ({per})"
    spec = simulate.figure_spec(figure)
    if spec.intervals:
        title = f"{TITLES[figure]}\n({per}; shaded: Clopper-Pearson 95% intervals)"
        intervals = {m: simulate.interval_columns(m) for m in spec.methods}
        # an accuracy column's "recall" is the share of perfect splits, not of p < 0.05
        labels = {m: f"{m} (share of perfect splits)" for m in simulate.ACCURACY_COLUMNS}
        return table, plot_calibration_recall(table, spec.methods, intervals, title=title,
                                              labels=labels)
    return table, plot_recall_grid(table, spec.methods, title=title, reference_line=reference_line)


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
    """figS_null (ours): the shared, independent and exact mAP nulls and the label-permutation
    mAP test: false-positive rate at 0% perturbed features per design against the binomial 95%
    interval of 5%, and recall over the Fig 2 grid, with Clopper-Pearson intervals."""
    return recall_figure("figS_null", tables["table"])


def draw_metrics_simulations(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """metrics_simulations (ours): Fig 2's methods and the energy-distance test, false-positive rate at
    0% perturbed features and recall over the Fig 2 grid, with Clopper-Pearson intervals."""
    return recall_figure("metrics_simulations", tables["table"])


FIGURES = {
    "fig2": draw_fig2,
    "figS2": draw_figS2,
    "figS3": draw_figS3,
    "figS4": draw_figS4,
    "figS5": draw_figS5,
    "figS_null": draw_figS_null,
    "metrics_simulations": draw_metrics_simulations,
}
