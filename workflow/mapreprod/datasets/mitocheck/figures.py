"""Mitocheck figures (Fig 5C, 5D, S9A-D, S10; docs/methods.md §8), drawn as the authors' ``3_plot_map.py``.

Each figure has a function building its source table (saved as ``results/tables/<id>.csv``)
and one drawing it. The AP tables are the authors' ``{grouping}_ap_results.csv``
(:func:`~.activity.grouping_ap`): CellProfiler rows, then DeepProfiler rows, the same cells in
the same order; figures that put two runs side by side pair cells by position, as the authors do,
and check that the cell ids agree.

- Fig 5C: per cell, AP with CellProfiler (x) against DeepProfiler (y) features, class grouping.
- Fig 5D / S9D: per cell, AP by gene (x) against AP by class (y), DeepProfiler / CellProfiler;
  colour: which of the two is retrieved (Both, Gene only, MC only, None); marginal densities.
- S9A / S9B: AP against -log10(AP p-value), class / gene grouping, one panel per feature set.
- S9C: APs of the retrieved cells per class, both feature sets; classes ordered by the mean
  retrieved CellProfiler AP minus the mean retrieved DeepProfiler AP, descending.
- S10: per class, UMAPs of its cells and the controls (CellProfiler | DeepProfiler), coloured
  by retrieval (p < 0.05) with the class's percent retrieved in the panel title. One file with
  every class (three classes per row).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from mapreprod.plotting.scatter_kde import plot_map_scatter_kde

from .embedding import EMBEDDED_CLASS
from .inputs import CELL_ID, CLASS, FEATURE_LABELS, GENE

MC = "Morphological Class"
GENE_AP, CLASS_AP = "AP, Gene", "AP, Morphological Class (MC)"
GENE_SIG, CLASS_SIG = "Gene p < 0.05", "MC p < 0.05"
#: Fig 5D / S9D categories, their legend order and drawing order (last drawn on top).
RETRIEVAL_KINDS = ("Both", "Gene only", "MC only", "None")
#: Hue of the S10 panels and its colours: retrieved orange, not retrieved blue, controls grey
#: (the authors' tab10 pair and pastel grey).
UMAP_HUES = ("True", "False", "Negative control")
UMAP_PALETTE = {"True": "#ff7f0e", "False": "#1f77b4", "Negative control": "#cfcfcf"}

__all__ = [
    "FIGURES",
    "ap_scatter_table",
    "cp_vs_dp_table",
    "draw_fig5c",
    "draw_fig5d",
    "draw_figS10",
    "draw_figS9a",
    "draw_figS9b",
    "draw_figS9c",
    "draw_figS9d",
    "gene_vs_class_table",
    "plot_ap_scatter",
    "plot_cp_vs_dp",
    "plot_gene_vs_class",
    "plot_retrieved_boxplot",
    "plot_umap_grid",
    "retrieved_boxplot_table",
    "umap_table",
]


def _feature_rows(ap: pd.DataFrame, feature_set: str) -> pd.DataFrame:
    rows = ap[ap["Features"] == feature_set].reset_index(drop=True)
    if rows.empty:
        raise ValueError(f"AP table has no rows with Features == {feature_set!r}")
    return rows


def _paired(first: pd.DataFrame, second: pd.DataFrame, what: str) -> None:
    """The authors pair two AP runs by row position: check the cells are the same."""
    if len(first) != len(second) or not (
        first[CELL_ID].astype(str).to_numpy() == second[CELL_ID].astype(str).to_numpy()
    ).all():
        raise ValueError(f"{what}: the two AP tables do not list the same cells in the same order")


def _retrieved(values: pd.Series) -> pd.Series:
    return values.astype(str).str.lower().eq("true") if values.dtype == object else values.astype(bool)


def _texts(ax, top_left: str, bottom_right: str) -> None:
    box = {"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1.0}
    ax.text(0.03, 0.97, top_left, transform=ax.transAxes, ha="left", va="top", bbox=box)
    ax.text(0.98, 0.01, bottom_right, transform=ax.transAxes, ha="right", va="bottom", bbox=box)


def _summary(ap: pd.Series, retrieved: pd.Series, sep: str = "\n") -> str:
    return f"mAP: {ap.mean():.2f}{sep}Retrieved: {_retrieved(retrieved).mean():.0%}"


# --- Fig 5C -------------------------------------------------------------------------------------


def cp_vs_dp_table(class_ap: pd.DataFrame) -> pd.DataFrame:
    """Per cell: class, AP and retrieval with CellProfiler and with DeepProfiler features."""
    cp, dp = _feature_rows(class_ap, "cp"), _feature_rows(class_ap, "dp")
    _paired(cp, dp, "Fig 5C")
    return pd.DataFrame({
        CELL_ID: cp[CELL_ID],
        MC: cp[CLASS],
        "AP, CellProfiler features": cp["average_precision"],
        "CellProfiler retrieved": _retrieved(cp["p < 0.05"]),
        "AP, DeepProfiler features": dp["average_precision"],
        "DeepProfiler retrieved": _retrieved(dp["p < 0.05"]),
    })


def plot_cp_vs_dp(table: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Fig 5C: scatter of the two APs per cell, coloured by class, with the y = x line; mAP and
    retrieved for DeepProfiler top left, for CellProfiler bottom right."""
    fig, ax = plt.subplots(figsize=(6.5, 6), layout="constrained")
    x, y = "AP, CellProfiler features", "AP, DeepProfiler features"
    sns.scatterplot(table, x=x, y=y, hue=MC, s=20, alpha=0.75, ax=ax)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), title=MC, frameon=False,
              fontsize="small", title_fontsize="small")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    _texts(ax, _summary(table[y], table["DeepProfiler retrieved"]),
           _summary(table[x], table["CellProfiler retrieved"], sep=", "))
    if title:
        ax.set_title(title)
    return fig


# --- Fig 5D / S9D -------------------------------------------------------------------------------


def gene_vs_class_table(gene_ap: pd.DataFrame, class_ap: pd.DataFrame, feature_set: str) -> pd.DataFrame:
    """Per cell (one feature set): AP and retrieval by gene and by class, and which is retrieved."""
    gene, cls = _feature_rows(gene_ap, feature_set), _feature_rows(class_ap, feature_set)
    _paired(gene, cls, "gene vs class")
    g_sig, c_sig = _retrieved(gene["p < 0.05"]).to_numpy(), _retrieved(cls["p < 0.05"]).to_numpy()
    kind = np.select([g_sig & c_sig, g_sig, c_sig], ["Both", "Gene only", "MC only"], "None")
    return pd.DataFrame({
        CELL_ID: gene[CELL_ID], GENE: gene[GENE], MC: cls[CLASS],
        GENE_AP: gene["average_precision"], GENE_SIG: g_sig,
        CLASS_AP: cls["average_precision"], CLASS_SIG: c_sig,
        "p < 0.05": kind,
    })


def plot_gene_vs_class(table: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Fig 5D / S9D: joint plot of AP by gene (x) and by class (y) with marginal densities per
    retrieval category; class mAP/retrieved top left, gene mAP/retrieved bottom right."""
    palette = dict(zip(("None", "Both", "Gene only", "MC only"), sns.color_palette()[:1]
                       + [sns.color_palette()[i] for i in (1, 4, 5)]))
    draw_order = {"Both": 1, "MC only": 2, "Gene only": 3, "None": 4}
    data = table.dropna(subset=[GENE_AP, CLASS_AP])
    data = data.sort_values("p < 0.05", key=lambda s: s.map(draw_order), kind="stable")
    levels = [k for k in RETRIEVAL_KINDS if (data["p < 0.05"] == k).any()]
    grid = sns.jointplot(data=data, x=GENE_AP, y=CLASS_AP, hue="p < 0.05", hue_order=levels,
                         palette={k: palette[k] for k in levels}, s=12, alpha=0.75, height=5.5,
                         marginal_kws={"cut": 0, "fill": False, "warn_singular": False})
    ax = grid.ax_joint
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=palette[k], label=k) for k in levels]
    ax.legend(handles=handles, title="p < 0.05", loc="center left", bbox_to_anchor=(1.25, 0.5),
              frameon=False)
    _texts(ax, _summary(table[CLASS_AP], table[CLASS_SIG]), _summary(table[GENE_AP], table[GENE_SIG]))
    # room above the top margin for a title of two lines (a stand-in note may add one later)
    grid.figure.subplots_adjust(top=0.84)
    if title:
        grid.figure.suptitle(title)
    return grid.figure


# --- S9A / S9B ----------------------------------------------------------------------------------


def ap_scatter_table(ap: pd.DataFrame, grouping: str) -> pd.DataFrame:
    """Per cell and feature set: AP, p-value, retrieval (the S9A/S9B points)."""
    return pd.DataFrame({
        "Features": ap["Features"].map(FEATURE_LABELS),
        CELL_ID: ap[CELL_ID],
        grouping: ap[grouping],
        "AP": ap["average_precision"],
        "p_value": ap["p_value"],
        "p < 0.05": _retrieved(ap["p < 0.05"]),
        "-log10(AP p-value)": ap["-log10(AP p-value)"],
    })


def plot_ap_scatter(table: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """S9A / S9B: AP against -log10(AP p-value) with a density of AP on top, one panel per
    feature set (CellProfiler | DeepProfiler), the repo's generic scatter + KDE."""
    labels = [FEATURE_LABELS[k] for k in ("cp", "dp") if (table["Features"] == FEATURE_LABELS[k]).any()]
    fig, axes = plt.subplots(1, len(labels), figsize=(5.2 * len(labels), 4.6), squeeze=False,
                             layout="constrained")
    for ax, label in zip(axes[0], labels):
        part = table[table["Features"] == label]
        plot_map_scatter_kde(part, ax, x="AP", y="-log10(AP p-value)", significant="p < 0.05",
                             title=label, xlabel="AP", ylabel="-log10(AP p-value)")
    if title:
        fig.suptitle(title)
    return fig


# --- S9C ----------------------------------------------------------------------------------------


def retrieved_boxplot_table(class_ap: pd.DataFrame) -> pd.DataFrame:
    """The retrieved cells (p < 0.05) of each class and feature set, classes in the authors'
    order: by (mean retrieved CellProfiler AP - mean retrieved DeepProfiler AP), descending
    (classes without a retrieved cell in one feature set last). Column ``order`` is the rank."""
    sig = class_ap[_retrieved(class_ap["p < 0.05"]).to_numpy()]
    means = sig.groupby(["Features", CLASS])["average_precision"].mean()
    cp = means.get("cp", pd.Series(dtype=float))
    dp = means.get("dp", pd.Series(dtype=float))
    order = (cp - dp).sort_values(ascending=False, na_position="last").index.tolist()
    rank = {c: i for i, c in enumerate(order)}
    out = pd.DataFrame({
        MC: sig[CLASS], "Features": sig["Features"].map(FEATURE_LABELS),
        "AP, p < 0.05": sig["average_precision"], CELL_ID: sig[CELL_ID],
    })
    out["order"] = out[MC].map(rank)
    return out.sort_values(["order", "Features"], kind="stable").reset_index(drop=True)


def plot_retrieved_boxplot(table: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """S9C: box plots of the retrieved cells' APs per class, hue = feature set (Set2)."""
    order = table.drop_duplicates(MC).sort_values("order")[MC].tolist()
    fig, ax = plt.subplots(figsize=(12, 6), layout="constrained")
    sns.boxplot(data=table, x=MC, y="AP, p < 0.05", hue="Features", order=order,
                hue_order=[FEATURE_LABELS["cp"], FEATURE_LABELS["dp"]], fill=False,
                palette="Set2", ax=ax)
    ax.tick_params(axis="x", rotation=90)
    # the APs of retrieved cells sit high: the empty bottom of the axes holds the legend
    ax.legend(frameon=False, title=None, loc="lower center", ncols=2)
    ax.set_ylim(-0.02, 1.05)
    if title:
        ax.set_title(title)
    return fig


# --- S10 ----------------------------------------------------------------------------------------


def umap_table(embeddings: pd.DataFrame, class_ap: pd.DataFrame) -> pd.DataFrame:
    """Embeddings with each cell's class retrieval per feature set and the panel colour.

    Control cells get ``Negative control``; cells of the embedded class ``True``/``False`` by
    their class-grouping ``p < 0.05`` (cells matched by ``Cell_UUID``)."""
    cp, dp = _feature_rows(class_ap, "cp"), _feature_rows(class_ap, "dp")
    flags = pd.DataFrame({
        CELL_ID: cp[CELL_ID].astype(str),
        "CellProfiler retrieved": _retrieved(cp["p < 0.05"]).to_numpy(),
        "DeepProfiler retrieved": _retrieved(dp.set_index(dp[CELL_ID].astype(str))["p < 0.05"]
                                             .reindex(cp[CELL_ID].astype(str))).to_numpy(),
    })
    emb = embeddings.copy()
    emb[CELL_ID] = emb[CELL_ID].astype(str)
    out = emb.merge(flags, on=CELL_ID, how="left", validate="many_to_one")
    in_class = (out[CLASS] == out[EMBEDDED_CLASS]).to_numpy()
    for key, col in (("CP", "CellProfiler retrieved"), ("DP", "DeepProfiler retrieved")):
        flag = out[col].fillna(False).astype(bool).to_numpy()
        out[f"{key}_hue"] = np.where(~in_class, "Negative control", np.where(flag, "True", "False"))
    return out


def plot_umap_grid(table: pd.DataFrame, per_row: int = 3, title: str | None = None) -> plt.Figure:
    """S10: for each class a CellProfiler and a DeepProfiler UMAP panel, ``per_row`` classes per
    row; titles carry the class's percent of cells retrieved (Python ``:.0%``)."""
    classes = list(pd.unique(table[EMBEDDED_CLASS]))
    rows = math.ceil(len(classes) / per_row)
    fig, axes = plt.subplots(rows, 2 * per_row, figsize=(4.6 * per_row, 2.5 * rows + 1.0),
                             squeeze=False)
    order = {h: i for i, h in enumerate(("Negative control", "False", "True"))}
    for i, cls in enumerate(classes):
        part = table[table[EMBEDDED_CLASS] == cls]
        in_class = part[part[CLASS] == cls]
        for j, (key, label, col) in enumerate((("CP", "CellProfiler", "CellProfiler retrieved"),
                                               ("DP", "DeepProfiler", "DeepProfiler retrieved"))):
            ax = axes[i // per_row, 2 * (i % per_row) + j]
            data = part.sort_values(f"{key}_hue", key=lambda s: s.map(order), kind="stable")
            colours = data[f"{key}_hue"].map(UMAP_PALETTE).to_list()
            ax.scatter(data[f"{key}_umap_0"], data[f"{key}_umap_1"], c=colours, s=6, linewidths=0)
            pct = f"{in_class[col].astype(float).mean():.0%}"
            ax.set_title(f"{cls}\n{label} ({pct})", fontsize="small")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel("UMAP 1", fontsize="x-small")
            ax.set_ylabel("UMAP 2", fontsize="x-small")
    for k in range(len(classes), rows * per_row):
        for j in range(2):
            axes[k // per_row, 2 * (k % per_row) + j].axis("off")
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=UMAP_PALETTE[h], label=h)
               for h in UMAP_HUES]
    height = fig.get_figheight()
    fig.legend(handles=handles, title="p < 0.05", loc="lower center", ncol=3, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title or "Morphological classes: UMAP of each class with the control cells")
    fig.tight_layout(rect=(0, 0.55 / height, 1, 1 - 0.35 / height))
    return fig


# --- the figure contract: draw(tables, options) -> (source table, figure) ----------------------
# tables: gene and morphoclass (the {grouping}_ap_results.csv of each grouping), embeddings (the
# per-class UMAPs, Fig S10). options: none (the stand-in mark is figure.py's).


def draw_fig5c(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 5C: class retrieval per cell, CellProfiler vs DeepProfiler (tables: morphoclass)."""
    table = cp_vs_dp_table(tables["morphoclass"])
    title = "Mitocheck: morphological class retrieval, CellProfiler vs DeepProfiler"
    return table, plot_cp_vs_dp(table, title)


def draw_fig5d(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 5D: gene vs class retrieval per cell, DeepProfiler (tables: gene, morphoclass)."""
    table = gene_vs_class_table(tables["gene"], tables["morphoclass"], "dp")
    title = "Mitocheck: gene vs morphological class retrieval, DeepProfiler features"
    return table, plot_gene_vs_class(table, title)


def draw_figS9d(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S9D: gene vs class retrieval per cell, CellProfiler (tables: gene, morphoclass)."""
    table = gene_vs_class_table(tables["gene"], tables["morphoclass"], "cp")
    title = "Mitocheck: gene vs morphological class retrieval, CellProfiler features"
    return table, plot_gene_vs_class(table, title)


def draw_figS9a(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S9A: AP against -log10 p by class, per feature set (tables: morphoclass)."""
    table = ap_scatter_table(tables["morphoclass"], CLASS)
    title = "Mitocheck: morphological class retrieval (single cells vs controls)"
    return table, plot_ap_scatter(table, title)


def draw_figS9b(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S9B: AP against -log10 p by gene, per feature set (tables: gene)."""
    table = ap_scatter_table(tables["gene"], GENE)
    return table, plot_ap_scatter(table, "Mitocheck: gene retrieval (single cells vs controls)")


def draw_figS9c(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S9C: APs of the retrieved cells per class (tables: morphoclass)."""
    table = retrieved_boxplot_table(tables["morphoclass"])
    return table, plot_retrieved_boxplot(table, "Mitocheck: AP of retrieved cells per morphological class")


def draw_figS10(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S10: per-class UMAPs coloured by class retrieval (tables: embeddings, morphoclass)."""
    table = umap_table(tables["embeddings"], tables["morphoclass"])
    title = "Mitocheck: UMAP of each morphological class with the control cells"
    return table, plot_umap_grid(table, title=title)


FIGURES = {
    "fig5c": draw_fig5c,
    "fig5d": draw_fig5d,
    "figS9a": draw_figS9a,
    "figS9b": draw_figS9b,
    "figS9c": draw_figS9c,
    "figS9d": draw_figS9d,
    "figS10": draw_figS10,
}
