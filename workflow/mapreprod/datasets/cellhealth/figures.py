"""Cell Health figures, Fig 3A-F and S6A-C (the figure contract: :data:`FIGURES`; docs/methods.md §3, §9).

Fig 3A/3B/3E reuse the generic scatter + KDE and Fig 3D/S6C the pivot scatter of
:mod:`mapreprod.plotting.scatter_kde`; the figure types only Cell Health has live here: faceted
replicate-level AP strips (3C, 3F), the cutting-vs-EMPTY comparison (S6A) and the CERES scatter
(S6B), with the subsets they show (:func:`fig3c_guides`, :func:`consistent_gene_aps`).

This module imports matplotlib; the package's ``__init__`` does not import it, so that the rule
scripts that only compute (some in an environment without matplotlib) do not need it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mapreprod.plotting import PALETTES
from mapreprod.plotting.scatter_kde import (
    SIGNIFICANCE_MARKERS,
    legend_marker,
    percent_retrieved,
    plot_map_scatter_kde,
    plot_pivot_scatter,
    significance_keys,
)

from .activity import activity_with_controls, merge_ceres
from .inputs import (
    CELL_LINES,
    CHANNELS,
    COMPARTMENTS,
    CONTROL_LABELS,
    FEATURE_TYPES,
    GENE,
    PERT,
    PLATE_WELL_MODES,
    PREPROCESSINGS,
    ceres_long,
)

CELL_TYPE = "Cell type"
NEG_LOG_THRESHOLD = float(-np.log10(0.05))


# -- the subsets the figures show ---------------------------------------------------------------


def fig3c_guides(activity_map: pd.DataFrame, min_cell_lines: int = 2,
                 positions: Sequence[int] = (*range(14), 18)) -> list[str]:
    """Guides of Fig 3C: active (``p < 0.05``) in >= 2 cell lines, sorted alphabetically, HEAD
    keeps positions 0-13 and 18 (15 guides); positions past the end are skipped."""
    active = activity_map.loc[activity_map["p < 0.05"]].groupby(PERT)[CELL_TYPE].nunique()
    ordered = sorted(active.index[active >= min_cell_lines])
    return [ordered[i] for i in positions if i < len(ordered)]


def consistent_genes(consistency_map: pd.DataFrame, min_cell_lines: int = 2) -> list[str]:
    """Genes of Fig 3F: ``p < 0.05`` in >= 2 cell lines (HEAD: all of them), sorted."""
    sig = consistency_map.loc[consistency_map["p < 0.05"]].groupby(GENE)[CELL_TYPE].nunique()
    return sorted(sig.index[sig >= min_cell_lines])


def consistent_gene_aps(consistency_ap: pd.DataFrame, consistency_map: pd.DataFrame) -> pd.DataFrame:
    """Guide-level AP rows of the genes of Fig 3F."""
    genes = consistent_genes(consistency_map)
    return consistency_ap.loc[consistency_ap[GENE].isin(genes)].reset_index(drop=True)


def jitter(values: pd.Series, width: float, low: float, high: float, rng: np.random.Generator) -> np.ndarray:
    """Display-only uniform jitter of +-``width``, clipped to [low, high] (Fig 3E)."""
    v = values.to_numpy(dtype=float)
    return np.clip(v + rng.uniform(-width, width, size=v.size), low, high)


# -- the figure types ---------------------------------------------------------------------------


def _cell_palette() -> dict[str, str]:
    return dict(PALETTES["cell_line"])


def _drop_legend(ax) -> None:
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()


def plot_plate_well(table: pd.DataFrame) -> Figure:
    """Fig 3A: rows = preprocessing, columns = plate/well task, scatter + KDE per cell line."""
    preps = [p for p in PREPROCESSINGS.values() if p in set(table["Preprocessing"])]
    modes = list(PLATE_WELL_MODES)
    fig, axes = plt.subplots(len(preps), len(modes), figsize=(4.2 * len(modes), 4.6 * len(preps)),
                             squeeze=False)
    for i, prep in enumerate(preps):
        for j, mode in enumerate(modes):
            ax = axes[i, j]
            part = table.loc[(table["Preprocessing"] == prep) & (table["mode"] == mode)]
            plot_map_scatter_kde(
                part, ax, hue=CELL_TYPE, hue_order=list(CELL_LINES), palette=_cell_palette(),
                markers_from="markers", title=f"{prep}\n{mode}",
                ylabel="-log10(mAP p-value)\n(Stouffer over plate pairs)" if j == 0 else "",
            )
            if j < len(modes) - 1:
                _drop_legend(ax)
    fig.subplots_adjust(hspace=0.55, wspace=0.25)
    return fig


def plot_activity(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Fig 3B: one scatter + KDE panel, hue = cell line, marker from ``markers``."""
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    plot_map_scatter_kde(table, ax, hue=CELL_TYPE, hue_order=list(CELL_LINES),
                         palette=_cell_palette(), markers_from="markers", title=title)
    return fig


def plot_ap_facets(
    table: pd.DataFrame,
    facet: str,
    order: Sequence[str] | None = None,
    ncol: int = 5,
    seed: int = 0,
    jitter: float = 0.08,
) -> Figure:
    """Fig 3C/3F: one panel per guide (or gene) of replicate-level AP against -log10(AP p),
    colour = cell line, circle if p < 0.05 else square, jittered for display, dashed line at
    p = 0.05.

    Parameters
    ----------
    table : AP rows with ``AP``, ``-log10(AP p-value)``, ``p < 0.05``, ``Cell type`` and ``facet``.
    seed : seed of the display jitter (applied to -log10 p only, ``jitter`` wide).
    """
    order = list(order) if order is not None else sorted(table[facet].unique())
    if not order:
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.text(0.5, 0.5, "no guide/gene met the selection", ha="center", va="center")
        ax.axis("off")
        return fig
    rng = np.random.default_rng(seed)
    nrow = int(np.ceil(len(order) / ncol))
    ncols = min(ncol, len(order))
    fig, axes = plt.subplots(nrow, ncols, figsize=(2.3 * ncols, 2.1 * nrow), sharex=True,
                             sharey=True, squeeze=False)
    palette = _cell_palette()
    ymax = max(float(table["-log10(AP p-value)"].max()), NEG_LOG_THRESHOLD) + 0.4
    for k, ax in enumerate(axes.flat):
        if k >= len(order):
            ax.axis("off")
            continue
        part = table.loc[table[facet] == order[k]]
        for cell in CELL_LINES:
            for sig in (True, False):
                sel = part.loc[(part[CELL_TYPE] == cell) & (part["p < 0.05"] == sig)]
                if sel.empty:
                    continue
                y = sel["-log10(AP p-value)"].to_numpy() + rng.uniform(-jitter, jitter, len(sel))
                ax.scatter(sel["AP"], y, s=22, color=palette[cell], marker=SIGNIFICANCE_MARKERS[sig],
                           edgecolor="white", linewidth=0.4, alpha=0.9)
        ax.axhline(NEG_LOG_THRESHOLD, color="grey", linestyle="--", linewidth=0.8)
        ax.set_title(order[k], fontsize="small")
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.2, ymax)
        if k % ncols == 0:
            ax.set_ylabel("-log10(AP p-value)")
        if k + ncols >= len(order):  # nothing drawn below this panel
            ax.set_xlabel("AP")
            ax.tick_params(labelbottom=True)
    handles = [legend_marker(palette[c], c) for c in CELL_LINES] + significance_keys()
    fig.legend(handles=handles, title=CELL_TYPE, loc="upper left", bbox_to_anchor=(1.0, 0.95),
               fontsize="small", title_fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def plot_drop_exclusive(
    table: pd.DataFrame,
    col: str,
    hue: str,
    row: str | None = None,
    col_order: Sequence[str] | None = None,
    row_order: Sequence[str] | None = None,
    what: str = "group",
) -> Figure:
    """Fig 3D / S6C: per facet, -log10(mAP p) with the group's features dropped (x) against
    with only the group's features (y); ``what`` names the group in the axis labels."""
    col_order = list(col_order) if col_order is not None else sorted(table[col].unique())
    row_order = [None] if row is None else (list(row_order) if row_order is not None
                                             else sorted(table[row].unique()))
    fig, axes = plt.subplots(len(row_order), len(col_order),
                             figsize=(3.0 * len(col_order), 3.1 * len(row_order)), squeeze=False)
    for i, r in enumerate(row_order):
        for j, c in enumerate(col_order):
            ax = axes[i, j]
            part = table.loc[table[col] == c]
            if r is not None:
                part = part.loc[part[row] == r]
            title = c if r is None else f"{r} | {c}"
            if part[["dropped", "exclusive"]].dropna().empty:
                ax.set_title(title, fontsize="small")
                ax.text(0.5, 0.5, "no features", ha="center", va="center", transform=ax.transAxes)
                ax.set_xticks([])
                ax.set_yticks([])
                continue
            plot_pivot_scatter(part, x="dropped", y="exclusive", hue=hue, palette=_cell_palette(),
                               ax=ax, title=title,
                               xlabel=f"-log10(mAP p), {what} dropped" if i == len(row_order) - 1 else "",
                               ylabel=f"-log10(mAP p), {what} only" if j == 0 else "")
            ax.title.set_fontsize("small")
            for text in ax.texts:
                text.set_fontsize("x-small")
            if not (i == 0 and j == len(col_order) - 1):
                _drop_legend(ax)
            elif ax.get_legend() is not None:
                ax.get_legend().set_title(CELL_TYPE)
    fig.tight_layout()
    return fig


def plot_control_comparison(table: pd.DataFrame) -> Figure:
    """S6A: -log10 p of each (guide, cell line) with EMPTY controls (x) vs cutting controls (y),
    y = x line, equal aspect; texts give mean mAP and percent retrieved per control type
    (each with its own values: HEAD's figure swapped them, docs/methods.md §11 item 15)."""
    wide = table.pivot_table(index=[PERT, CELL_TYPE], columns="control_barcodes",
                             values="-log10(mAP p-value)").reset_index()
    cut, emp = CONTROL_LABELS["cutting"], CONTROL_LABELS["empty"]
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    palette = _cell_palette()
    for cell in CELL_LINES:
        sel = wide.loc[wide[CELL_TYPE] == cell]
        ax.scatter(sel[emp], sel[cut], s=22, color=palette[cell], edgecolor="white",
                   linewidth=0.4, label=cell, alpha=0.9)
    values = wide[[cut, emp]].to_numpy(dtype=float)
    hi = float(np.nanmax(values)) * 1.05 + 0.1 if np.isfinite(values).any() else 1.0
    ax.plot([0, hi], [0, hi], color="red", linestyle="--", linewidth=1)
    ax.axhline(NEG_LOG_THRESHOLD, color="grey", linewidth=0.8)
    ax.axvline(NEG_LOG_THRESHOLD, color="grey", linewidth=0.8)
    ax.set_xlim(-0.1, hi)
    ax.set_ylim(-0.1, hi)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("-log10(mAP p-value), EMPTY-well controls")
    ax.set_ylabel("-log10(mAP p-value), cutting controls")
    stats = {}
    for label in (cut, emp):
        part = table.loc[table["control_barcodes"] == label]
        stats[label] = (part["mAP"].mean(), percent_retrieved(part["p < 0.05"]))
    ax.text(0.03, 0.97, f"Cutting controls\nmean mAP {stats[cut][0]:.2f}\nRetrieved: {stats[cut][1]}",
            transform=ax.transAxes, ha="left", va="top", fontsize="small")
    ax.text(0.97, 0.03, f"EMPTY controls\nmean mAP {stats[emp][0]:.2f}\nRetrieved: {stats[emp][1]}",
            transform=ax.transAxes, ha="right", va="bottom", fontsize="small")
    ax.legend(title=CELL_TYPE, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
              title_fontsize="small")
    return fig


def plot_ceres(table: pd.DataFrame) -> Figure:
    """S6B: -log10(mAP p) against CERES score per (guide, cell line), point size = mAP,
    colour = cell line, alpha 0.3; one panel per control type."""
    controls = [c for c in CONTROL_LABELS.values() if c in set(table["control_barcodes"])]
    fig, axes = plt.subplots(1, max(len(controls), 1), figsize=(4.2 * max(len(controls), 1), 4),
                             sharey=True, squeeze=False)
    palette = _cell_palette()
    for ax, control in zip(axes.flat, controls):
        part = table.loc[table["control_barcodes"] == control]
        for cell in CELL_LINES:
            sel = part.loc[part[CELL_TYPE] == cell]
            ax.scatter(sel["-log10(mAP p-value)"], sel["ceres_score"], s=10 + 120 * sel["mAP"],
                       color=palette[cell], alpha=0.3, edgecolor="none", label=cell)
        ax.axvline(NEG_LOG_THRESHOLD, color="grey", linestyle="--", linewidth=0.8)
        ax.set_title(control.replace("_", " "))
        ax.set_xlabel("-log10(mAP p-value)")
    axes[0, 0].set_ylabel("CERES score (gene effect)")
    handles = [legend_marker(palette[c], c) for c in CELL_LINES]
    handles += [legend_marker("grey", f"mAP {m:g}", alpha=0.5, markersize=np.sqrt(10 + 120 * m))
                for m in (0.25, 0.5, 1.0)]
    axes[0, -1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                       fontsize="small", title="Cell type / size", title_fontsize="small")
    if not controls:
        axes[0, 0].text(0.5, 0.5, "no gene matched a CERES column", ha="center", va="center")
    fig.tight_layout()
    return fig


# -- the figure contract: draw(tables, options) -> (source table, figure) ------------------------
# tables: the analysis tables of rule cellhealth_figure, named as CELLHEALTH_TABLES and
# CELLHEALTH_CERES in workflow/rules/cellhealth.smk (plate_well, activity_map, activity_ap,
# empty_map, channels, compartments, consistency_map, consistency_ap, ceres, sample_info); each
# draw function reads only the ones it names. options: "seed" of the display-only jitter
# (cellhealth.seed; default 0) and, on the synthetic plates, "standin".


def _seed(options: Mapping[str, Any]) -> int:
    return int(options.get("seed", 0))


def draw_fig3a(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 3A: plate and well-position effects (tables: plate_well)."""
    table = tables["plate_well"]
    return table, plot_plate_well(table)


def draw_fig3b(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 3B: phenotypic activity against cutting controls (tables: activity_map)."""
    table = tables["activity_map"]
    return table, plot_activity(table, "Phenotypic activity (MAD robustize)")


def draw_fig3c(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 3C: replicate-level AP of the guides of :func:`fig3c_guides` (tables: activity_map,
    activity_ap)."""
    guides = fig3c_guides(tables["activity_map"])
    ap = tables["activity_ap"]
    table = ap.loc[ap[PERT].isin(guides)].reset_index(drop=True)
    return table, plot_ap_facets(table, PERT, guides, seed=_seed(options))


def draw_fig3d(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 3D: each channel dropped vs used alone (tables: channels)."""
    table = tables["channels"]
    fig = plot_drop_exclusive(table, "channel", "cell_type", col_order=list(CHANNELS),
                              what="channel")
    return table, fig


def draw_fig3e(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 3E: phenotypic consistency of genes, jittered for display (tables: consistency_map).
    The table keeps the un-jittered values next to the jittered ones."""
    table = tables["consistency_map"].copy()
    rng = np.random.default_rng(_seed(options))
    # display-only jitter (±0.2 on -log10 p, ±0.05 on mAP); retrieved from un-jittered p
    table["-log10(mAP p-value) jittered"] = jitter(table["-log10(mAP p-value)"], 0.2, 0, 5, rng)
    table["mAP jittered"] = jitter(table["mAP"], 0.05, 0, 1, rng)
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    plot_map_scatter_kde(table, ax, x="mAP jittered", y="-log10(mAP p-value) jittered",
                         hue=CELL_TYPE, hue_order=list(CELL_LINES), palette=_cell_palette(),
                         markers_from="markers", title="Phenotypic consistency (genes)")
    return table, fig


def draw_fig3f(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 3F: guide-level AP of the consistent genes (tables: consistency_ap, consistency_map)."""
    table = consistent_gene_aps(tables["consistency_ap"], tables["consistency_map"])
    return table, plot_ap_facets(table, GENE, seed=_seed(options))


def draw_figS6a(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S6A: activity against cutting vs EMPTY-well controls (tables: activity_map,
    empty_map, activity_ap)."""
    stack = activity_with_controls(tables["activity_map"], tables["empty_map"],
                                   tables["activity_ap"])
    return stack, plot_control_comparison(stack)


def draw_figS6b(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S6B: activity against the CERES score of the guide's gene (tables: activity_map,
    empty_map, activity_ap, ceres, sample_info)."""
    stack = activity_with_controls(tables["activity_map"], tables["empty_map"],
                                   tables["activity_ap"])
    table = merge_ceres(stack, ceres_long(tables["ceres"], tables["sample_info"]))
    return table, plot_ceres(table)


def draw_figS6c(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S6C: each compartment x feature type dropped vs used alone (tables: compartments)."""
    table = tables["compartments"]
    fig = plot_drop_exclusive(table, "feature_type", "cell_line", row="compartment",
                              col_order=list(FEATURE_TYPES), row_order=list(COMPARTMENTS),
                              what="features")
    return table, fig



def draw_metrics_cellhealth(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """The other metrics beside mAP (docs/methods.md §15; tables: the metrics tables of rule
    cellhealth_metrics, named summary, energy, recall, retrieval, cell_count; options: ``threshold``
    of the activity calls)."""
    from mapreprod.plotting.metrics import draw_metrics_figure

    return draw_metrics_figure(
        tables, "Cell Health: energy distance, known-relationship recall and cell count beside mAP, per cell line",
        threshold=float(options.get("threshold", 0.05)),
    )

FIGURES = {
    "fig3a": draw_fig3a,
    "fig3b": draw_fig3b,
    "fig3c": draw_fig3c,
    "fig3d": draw_fig3d,
    "fig3e": draw_fig3e,
    "fig3f": draw_fig3f,
    "figS6a": draw_figS6a,
    "figS6b": draw_figS6b,
    "figS6c": draw_figS6c,
    "metrics_cellhealth": draw_metrics_cellhealth,
}
