"""Source tables and drawings of Fig 4A-D (the figure contract: :data:`FIGURES`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .inputs import ASSAYS, PERT, TARGET


def stack_assays(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One long table with an ``Assay`` column (the figure label), in the paper's assay order."""
    names = [n for n in ASSAYS if n in tables]
    return pd.concat(
        [tables[n].assign(Assay=ASSAYS[n].label) for n in names], ignore_index=True
    )


def pivot_assays(tables: Mapping[str, pd.DataFrame], key: str) -> pd.DataFrame:
    """-log10(mAP p-value) of each ``key`` value side by side: one column per assay label.

    Only keys scored in every assay are kept (Fig 4B/4D).
    """
    if not all(n in tables for n in ASSAYS):
        raise ValueError(
            f"pivot_assays needs both assays {list(ASSAYS)}, got {list(tables)}"
        )
    wide = stack_assays(tables).pivot(
        index=key, columns="Assay", values="-log10(mAP p-value)"
    )
    labels = [ASSAYS[n].label for n in ASSAYS]
    return wide[labels].dropna().reset_index()


def plot_assay_columns(
    tables: Mapping[str, pd.DataFrame], title: str, xlabel: str = "mAP"
):
    """Fig 4A / 4C: one scatter + KDE column per assay (Cell Painting | nELISA)."""
    import matplotlib.pyplot as plt

    from mapreprod.plotting.scatter_kde import plot_map_scatter_kde

    names = [n for n in ASSAYS if n in tables]
    fig, axes = plt.subplots(
        1,
        len(names),
        figsize=(4.6 * len(names), 4.4),
        squeeze=False,
        layout="constrained",
        sharey=True,
    )
    for ax, name in zip(axes[0], names, strict=True):
        # Each panel keeps its own legend: the group sizes differ between assays.
        plot_map_scatter_kde(tables[name], ax, title=ASSAYS[name].label, xlabel=xlabel)
    fig.suptitle(title)
    return fig


def plot_assay_pivot(wide: pd.DataFrame, title: str):
    """Fig 4B / 4D: Cell Painting vs nELISA -log10 p per compound or target."""
    import matplotlib.pyplot as plt

    from mapreprod.plotting.scatter_kde import plot_pivot_scatter

    cp, ne = ASSAYS["cellpainting"].label, ASSAYS["nelisa"].label
    fig, ax = plt.subplots(figsize=(4.6, 4.6), layout="constrained")
    plot_pivot_scatter(
        wide,
        x=cp,
        y=ne,
        ax=ax,
        title=title,
        xlabel=f"{cp} -log10(mAP p-value)",
        ylabel=f"{ne} -log10(mAP p-value)",
        top_left_label=f"{ne} retrieved",
        bottom_right_label=f"{cp} retrieved",
    )
    return fig


# -- the figure contract: draw(tables, options) -> (source table, figure) ------------------------
# tables: the rule's inputs named by assay ("cellpainting", "nelisa"); options: none.


def draw_fig4a(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 4A: phenotypic activity per assay (tables: activity tables by assay)."""
    fig = plot_assay_columns(tables, title="Fig 4A: phenotypic activity (compound replicates vs DMSO)")
    return stack_assays(tables), fig


def draw_fig4c(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 4C: phenotypic consistency per assay (tables: consistency tables by assay)."""
    fig = plot_assay_columns(tables, title="Fig 4C: phenotypic consistency (compounds sharing a target)")
    return stack_assays(tables), fig


def draw_fig4b(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 4B: activity -log10 p per compound, Cell Painting vs nELISA."""
    wide = pivot_assays(tables, PERT)
    return wide, plot_assay_pivot(wide, title="Fig 4B: activity per compound")


def draw_fig4d(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 4D: consistency -log10 p per target, Cell Painting vs nELISA."""
    wide = pivot_assays(tables, TARGET)
    return wide, plot_assay_pivot(wide, title="Fig 4D: consistency per target")


def draw_metrics_nelisa(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """The other metrics beside mAP per assay (tables: the metrics tables of rule nelisa_metrics,
    named summary, energy, recall, retrieval, cell_count; options: ``threshold`` of the calls)."""
    from mapreprod.plotting.metrics import draw_metrics_figure

    return draw_metrics_figure(
        tables, "nELISA and Cell Painting: energy distance, retrieval and cell count beside mAP",
        threshold=float(options.get("threshold", 0.05)),
    )


FIGURES = {
    "fig4a": draw_fig4a,
    "fig4b": draw_fig4b,
    "fig4c": draw_fig4c,
    "fig4d": draw_fig4d,
    "metrics_nelisa": draw_metrics_nelisa,
}
