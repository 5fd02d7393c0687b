"""Fig 4E-F, 5A-B and S8: the source tables and the plots (docs/methods.md §7, §9).

* Fig 4E: bulk mAP of each guide against its relative activity (day 5), coloured by BH-corrected
  significance, with a least-squares line and its 95% confidence band (``geom_smooth(method=
  "lm")``: t quantile times the standard error of the fitted mean).
* Fig 4F: the same per target gene (5 columns, no line, as the authors' facet plot).
* Fig 5A: the AP of every cell against its guide's relative activity, points and 2-D density
  contours per significance group (the HEAD plot calls a cell significant on its raw p-value).
* Fig 5B: the same per target gene.
* Fig S8: per target gene (one row each), the UMAP of its cells and the sampled neg cells, one
  panel per guide (ordered by activity, titled "<gene> <activity>") and one "Negative Ctrl";
  colour = the cell's AP (blue to red over [0, 1]), circle if p < 0.05, square otherwise.

The authors' colours (seaborn's first two): not significant blue, significant orange.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.lines import Line2D
from scipy import stats

from mapreprod.common import require_columns

from .activity import SIGNIFICANCE_COLUMNS, SIGNIFICANCE_LABELS, significance
from .embedding import EMBEDDED_GENE
from .inputs import CELL, GENE, GUIDE, NEGATIVE

__all__ = [
    "ACTIVITY",
    "ACTIVITY_LABEL",
    "FIGURES",
    "SIGNIFICANCE_COLOURS",
    "bulk_figure_table",
    "correlations",
    "draw_fig4e",
    "draw_fig4f",
    "draw_fig5a",
    "draw_fig5b",
    "draw_figS8",
    "gene_umap_table",
    "linear_fit_band",
    "plot_bulk_activity",
    "plot_bulk_by_gene",
    "plot_gene_umaps",
    "plot_single_cell_activity",
    "plot_single_cell_by_gene",
    "single_cell_figure_table",
]

#: x of Fig 4E-F and 5A-B.
ACTIVITY = "relative_activity_day5"
ACTIVITY_LABEL = "Mismatched guide RNA activity relative to perfect match"
SIGNIFICANT = "p < 0.05"
#: The authors' palette (seaborn's default first two colours).
SIGNIFICANCE_COLOURS = {False: "#1f77b4", True: "#ff7f0e"}
#: Fig S8 colour scale (ggplot ``scale_color_gradient(low="blue", high="red", limits=[0, 1])``).
AP_COLOURS = LinearSegmentedColormap.from_list("ap_blue_red", ["blue", "red"])
NEG_LABEL = "Negative Ctrl"


# --- statistics ---------------------------------------------------------------------------------


def linear_fit_band(
    x: Sequence[float], y: Sequence[float], grid: Sequence[float], level: float = 0.95
) -> pd.DataFrame:
    """Least-squares line of ``y`` on ``x`` and the confidence band of the fitted mean at
    ``grid`` (R's ``predict(lm, se.fit=TRUE)``, as ``geom_smooth(method="lm")`` draws it).

    Returns a DataFrame ``x``, ``fit``, ``lower``, ``upper``.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 3 or np.ptp(x) == 0:
        raise ValueError(f"a linear fit needs 3 points with distinct x, got {n}")
    grid = np.asarray(grid, dtype=float)
    xbar = x.mean()
    sxx = ((x - xbar) ** 2).sum()
    slope = ((x - xbar) * (y - y.mean())).sum() / sxx
    intercept = y.mean() - slope * xbar
    resid = y - (intercept + slope * x)
    s2 = (resid**2).sum() / (n - 2)
    se = np.sqrt(s2 * (1.0 / n + (grid - xbar) ** 2 / sxx))
    t = stats.t.ppf(0.5 + level / 2, n - 2)
    fit = intercept + slope * grid
    return pd.DataFrame({"x": grid, "fit": fit, "lower": fit - t * se, "upper": fit + t * se})


def correlations(x: Sequence[float], y: Sequence[float]) -> dict[str, float]:
    """Pearson r and Spearman rho of the finite pairs, and their number."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return {"pearson": float("nan"), "spearman": float("nan"), "n": int(ok.sum())}
    return {
        "pearson": float(stats.pearsonr(x[ok], y[ok])[0]),
        "spearman": float(stats.spearmanr(x[ok], y[ok])[0]),
        "n": int(ok.sum()),
    }


# --- source tables ------------------------------------------------------------------------------


def _gene_filter(table: pd.DataFrame, column: str, genes: Sequence[str] | None) -> pd.DataFrame:
    if not genes:
        return table
    missing = sorted(set(genes) - set(table[column]))
    if missing:
        raise ValueError(f"perturbseq.figure_genes: gene(s) {missing} have no guide in the results")
    return table[table[column].isin(list(genes))]


def bulk_figure_table(bulk: pd.DataFrame, genes: Sequence[str] | None = None) -> pd.DataFrame:
    """Source table of Fig 4E (all guides) or 4F (``genes``; None or empty = all): the bulk mAP
    table (:func:`~.activity.bulk_map`), sorted by gene and activity."""
    require_columns(bulk, ["perturbation", "gene", "mAP", SIGNIFICANT, ACTIVITY], "bulk mAP table")
    out = _gene_filter(bulk, "gene", genes)
    return out.sort_values(["gene", ACTIVITY], kind="stable").reset_index(drop=True)


def single_cell_figure_table(
    cells: pd.DataFrame, bulk: pd.DataFrame, genes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Source table of Fig 5A-B: every scored cell (:func:`~.activity.single_cell_ap` with the
    plotted ``p < 0.05``) with its guide's relative activity from the bulk table."""
    require_columns(cells, [CELL, GUIDE, GENE, "mAP", SIGNIFICANT], "single-cell AP table")
    activity = bulk[["perturbation", ACTIVITY]].rename(columns={"perturbation": GUIDE})
    out = cells.merge(activity, on=GUIDE, how="inner")
    return _gene_filter(out, GENE, genes).reset_index(drop=True)


def gene_umap_table(umap: pd.DataFrame, cells: pd.DataFrame, bulk: pd.DataFrame) -> pd.DataFrame:
    """Source table of Fig S8: the embeddings with each cell's AP, significance, its guide's
    activity and the panel label ("Negative Ctrl" or "<gene> <activity:.3f>")."""
    require_columns(umap, [EMBEDDED_GENE, CELL, GUIDE, GENE, "umap_0", "umap_1"], "UMAP table")
    scores = cells[[CELL, "mAP", SIGNIFICANT]]
    out = umap.merge(scores, on=CELL, how="left")
    activity = bulk[["perturbation", ACTIVITY]].rename(columns={"perturbation": GUIDE})
    out = out.merge(activity, on=GUIDE, how="left")
    labels = [
        NEG_LABEL if gene == NEGATIVE else f"{gene} {act:.3f}" if np.isfinite(act) else f"{gene} NA"
        for gene, act in zip(out[GENE], out[ACTIVITY].astype(float))
    ]
    out["panel"] = labels
    return out


# --- plots --------------------------------------------------------------------------------------


def _significance_legend(ax, table: pd.DataFrame, title: str) -> None:
    counts = table[SIGNIFICANT].astype(bool).value_counts()
    handles = [
        Line2D([], [], marker="o", linestyle="", color=SIGNIFICANCE_COLOURS[level],
               label=f"{level} (n={int(counts.get(level, 0))})")
        for level in (False, True)
    ]
    ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize="small", title_fontsize="small")


def _activity_axes(ax, xlim: tuple[float, float]) -> None:
    ax.set_xlim(*xlim)
    ax.set_ylim(-0.03, 1.03)


def _xlim(values: pd.Series) -> tuple[float, float]:
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    pad = 0.05 * max(hi - lo, 0.1)
    return min(lo, 0.0) - pad, max(hi, 1.0) + pad


def plot_bulk_activity(table: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Fig 4E: mAP of each guide against its relative activity, with the linear fit and its
    95% band, Pearson and Spearman correlations and the percent retrieved."""
    fig, ax = plt.subplots(figsize=(5.2, 3.8), layout="constrained")
    xlim = _xlim(table[ACTIVITY])
    grid = np.linspace(*xlim, 200)
    band = linear_fit_band(table[ACTIVITY], table["mAP"], grid)
    ax.fill_between(band["x"], band["lower"], band["upper"], color="grey", alpha=0.35, lw=0,
                    label="95% CI", zorder=1)
    ax.plot(band["x"], band["fit"], color="black", lw=1.2, zorder=2)
    for level in (False, True):
        part = table[table[SIGNIFICANT].astype(bool) == level]
        ax.scatter(part[ACTIVITY], part["mAP"], s=14, color=SIGNIFICANCE_COLOURS[level],
                   edgecolor="white", linewidth=0.3, zorder=3)
    r = correlations(table[ACTIVITY], table["mAP"])
    retrieved = table[SIGNIFICANT].astype(bool).mean()
    ax.text(0.02, 0.98,
            f"Pearson r = {r['pearson']:.2f}, Spearman \u03c1 = {r['spearman']:.2f}\n"
            f"Retrieved: {retrieved:.0%} of {len(table)} guides",
            transform=ax.transAxes, ha="left", va="top", fontsize="small")
    _activity_axes(ax, xlim)
    ax.set_xlabel(ACTIVITY_LABEL)
    ax.set_ylabel("mAP")
    _significance_legend(ax, table, "p < 0.05 (BH)")
    if title:
        ax.set_title(title)
    return fig


def _facet_grid(n: int, ncols: int, panel: tuple[float, float]):
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    # constrained layout: room for the legend beside the last column and for the title (and any
    # line added to it later), whatever is drawn afterwards
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes


def _label_grid(fig, axes, n: int, ncols: int, xlabel: str, ylabel: str) -> None:
    for i, ax in enumerate(axes.ravel()[:n]):
        ax.tick_params(labelsize="x-small")
        if i % ncols == 0:
            ax.set_ylabel(ylabel, fontsize="small")
    fig.supxlabel(xlabel, fontsize="small")


def plot_bulk_by_gene(table: pd.DataFrame, ncols: int = 5, title: str | None = None) -> plt.Figure:
    """Fig 4F: Fig 4E per target gene (one panel per gene, alphabetical)."""
    genes = sorted(table["gene"].unique())
    fig, axes = _facet_grid(len(genes), ncols, (2.2, 1.9))
    xlim = _xlim(table[ACTIVITY])
    for ax, gene in zip(axes.ravel(), genes):
        part = table[table["gene"] == gene]
        for level in (False, True):
            sel = part[part[SIGNIFICANT].astype(bool) == level]
            ax.scatter(sel[ACTIVITY], sel["mAP"], s=12, color=SIGNIFICANCE_COLOURS[level],
                       edgecolor="white", linewidth=0.3)
        ax.set_title(gene, fontsize="small")
        _activity_axes(ax, xlim)
    _label_grid(fig, axes, len(genes), min(ncols, len(genes)), ACTIVITY_LABEL, "mAP")
    _significance_legend(axes.ravel()[min(ncols, len(genes)) - 1], table, "p < 0.05 (BH)")
    if title:
        fig.suptitle(title)
    return fig


def _density_contours(ax, x: np.ndarray, y: np.ndarray, colour, xlim, levels: int = 6) -> None:
    """2-D Gaussian KDE contours of (x, y) (ggplot ``geom_density_2d``); nothing when the
    points cannot carry a density (fewer than 20, fewer than 3 distinct x, no spread in y)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    # a density needs enough points spread over several guides (x values) and APs
    if len(x) < 20 or len(np.unique(x)) < 3 or np.ptp(y) == 0:
        return
    try:
        kde = stats.gaussian_kde(np.vstack([x, y]))
    except np.linalg.LinAlgError:
        return
    gx, gy = np.meshgrid(np.linspace(*xlim, 80), np.linspace(-0.03, 1.03, 80))
    z = kde(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    # levels as fractions of the peak: no contour traced through the near-zero tails
    heights = z.max() * np.linspace(0.1, 0.85, levels)
    ax.contour(gx, gy, z, levels=heights, colors=[colour], linewidths=0.8, zorder=4)


def _single_cell_panel(ax, part: pd.DataFrame, xlim, size: float, alpha: float) -> None:
    for level in (False, True):
        sel = part[part[SIGNIFICANT].astype(bool) == level]
        ax.scatter(sel[ACTIVITY], sel["mAP"], s=size, color=SIGNIFICANCE_COLOURS[level],
                   alpha=alpha, linewidth=0, zorder=2)
    for level in (False, True):
        sel = part[part[SIGNIFICANT].astype(bool) == level]
        _density_contours(ax, sel[ACTIVITY].to_numpy(dtype=float), sel["mAP"].to_numpy(dtype=float),
                          SIGNIFICANCE_COLOURS[level], xlim)
    _activity_axes(ax, xlim)


def plot_single_cell_activity(table: pd.DataFrame, significance_label: str = "p < 0.05",
                              title: str | None = None) -> plt.Figure:
    """Fig 5A: AP of every cell against its guide's relative activity, points (alpha 0.3) and
    density contours per significance group."""
    fig, ax = plt.subplots(figsize=(5.2, 3.8), layout="constrained")
    xlim = _xlim(table[ACTIVITY])
    _single_cell_panel(ax, table, xlim, size=5, alpha=0.3)
    r = correlations(table[ACTIVITY], table["mAP"])
    ax.text(0.02, 0.98,
            f"Pearson r = {r['pearson']:.2f}, Spearman \u03c1 = {r['spearman']:.2f}\n"
            f"Retrieved: {table[SIGNIFICANT].astype(bool).mean():.0%} of {len(table)} cells",
            transform=ax.transAxes, ha="left", va="top", fontsize="small")
    ax.set_xlabel(ACTIVITY_LABEL)
    ax.set_ylabel("AP (single cell)")
    _significance_legend(ax, table, significance_label)
    if title:
        ax.set_title(title)
    return fig


def plot_single_cell_by_gene(table: pd.DataFrame, ncols: int = 5, significance_label: str = "p < 0.05",
                             title: str | None = None) -> plt.Figure:
    """Fig 5B: Fig 5A per target gene."""
    genes = sorted(table[GENE].unique())
    fig, axes = _facet_grid(len(genes), ncols, (2.2, 1.9))
    xlim = _xlim(table[ACTIVITY])
    for ax, gene in zip(axes.ravel(), genes):
        _single_cell_panel(ax, table[table[GENE] == gene], xlim, size=5, alpha=0.3)
        ax.set_title(gene, fontsize="small")
    _label_grid(fig, axes, len(genes), min(ncols, len(genes)), ACTIVITY_LABEL, "AP (single cell)")
    _significance_legend(axes.ravel()[min(ncols, len(genes)) - 1], table, significance_label)
    if title:
        fig.suptitle(title)
    return fig


def plot_gene_umaps(table: pd.DataFrame, significance_label: str = "p < 0.05",
                    title: str | None = None, genes_per_row: int = 2) -> plt.Figure:
    """Fig S8: one block per target gene (``genes_per_row`` blocks side by side): its
    "Negative Ctrl" panel, then one panel per guide in order of activity; points coloured by AP,
    circles p < 0.05, squares otherwise, neg cells grey. Panels of a gene share its axes."""
    require_columns(table, [EMBEDDED_GENE, "panel", "umap_0", "umap_1", "mAP", SIGNIFICANT],
                    "Fig S8 table")
    blocks = []
    for gene in sorted(table[EMBEDDED_GENE].unique()):
        part = table[table[EMBEDDED_GENE] == gene]
        guides = (part[part[GENE] != NEGATIVE].groupby("panel")[ACTIVITY].first()
                  .sort_values(kind="stable").index.tolist())
        blocks.append((gene, part, [NEG_LABEL, *guides]))
    ncols = max(len(panels) for _, _, panels in blocks)
    per_row = max(1, min(genes_per_row, len(blocks)))
    nrows = int(np.ceil(len(blocks) / per_row))
    fig = plt.figure(figsize=(1.45 * ncols * per_row, 1.75 * nrows + 0.9), layout="constrained")
    header, body = fig.subfigures(2, 1, height_ratios=[0.9, 1.75 * nrows])
    subfigs = np.atleast_2d(body.subfigures(nrows, per_row, wspace=0.02, hspace=0.02))
    for i, sub in enumerate(subfigs.ravel()):
        axes = sub.subplots(1, ncols, squeeze=False)[0]
        if i >= len(blocks):
            for ax in axes:
                ax.set_visible(False)
            continue
        gene, part, panels = blocks[i]
        pad_x = 0.05 * float(np.ptp(part["umap_0"])) or 1.0
        pad_y = 0.05 * float(np.ptp(part["umap_1"])) or 1.0
        xlim = (part["umap_0"].min() - pad_x, part["umap_0"].max() + pad_x)
        ylim = (part["umap_1"].min() - pad_y, part["umap_1"].max() + pad_y)
        for c, ax in enumerate(axes):
            if c >= len(panels):
                ax.set_visible(False)
                continue
            cells = part[part["panel"] == panels[c]]
            if panels[c] == NEG_LABEL:
                ax.scatter(cells["umap_0"], cells["umap_1"], s=4, color="lightgrey",
                           edgecolor="grey", linewidth=0.2)
            else:
                for is_sig, marker in ((True, "o"), (False, "s")):
                    sel = cells[cells[SIGNIFICANT].astype(bool) == is_sig]
                    ax.scatter(sel["umap_0"], sel["umap_1"], c=sel["mAP"], cmap=AP_COLOURS,
                               vmin=0, vmax=1, s=6, marker=marker, alpha=0.7, linewidth=0)
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(panels[c], fontsize=7)
            ax.set_xlabel("UMAP 0", fontsize=6)
            if c == 0:
                ax.set_ylabel("UMAP 1", fontsize=6)
        sub.suptitle(gene, fontsize=9, fontweight="bold", x=0.02, ha="left")
    cax = header.add_axes([0.02, 0.25, 0.25, 0.15])
    mappable = plt.cm.ScalarMappable(cmap=AP_COLOURS, norm=plt.Normalize(0, 1))
    bar = header.colorbar(mappable, cax=cax, orientation="horizontal")
    bar.set_label("single-cell AP", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    handles = [Line2D([], [], marker="o", linestyle="", color="dimgrey", label=f"{significance_label}: True"),
               Line2D([], [], marker="s", linestyle="", color="dimgrey", label=f"{significance_label}: False"),
               Line2D([], [], marker="o", linestyle="", color="lightgrey", markeredgecolor="grey",
                      label=f"{NEG_LABEL} (no AP)")]
    header.legend(handles=handles, loc="center right", ncol=3, fontsize=8, frameon=False)
    if title:
        header.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


# --- the figure contract: draw(tables, options) -> (source table, figure) ----------------------
# tables: bulk_map (the bulk mAP table, every figure), cell_map (the single-cell AP table, Fig 5A-B
# and S8), umap (the per-gene embeddings, Fig S8). options: genes (Fig 4F, 5B; empty = all),
# significance ("raw" or "corrected") and threshold (Fig 5A-B, S8).


def _scored_cells(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]) -> tuple[pd.DataFrame, str]:
    """The single-cell AP table with the configured "p < 0.05", and its legend label."""
    mode = options["significance"]
    if mode not in SIGNIFICANCE_COLUMNS:
        raise ValueError(
            f"perturbseq.single_cell_significance must be one of {list(SIGNIFICANCE_COLUMNS)}, got {mode!r}"
        )
    cells = significance(tables["cell_map"], SIGNIFICANCE_COLUMNS[mode], options["threshold"])
    return cells, SIGNIFICANCE_LABELS[mode]


def draw_fig4e(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 4E: bulk mAP per guide against its activity (tables: bulk_map)."""
    table = bulk_figure_table(tables["bulk_map"])
    return table, plot_bulk_activity(table, title="Perturb-seq: bulk mAP per guide")


def draw_fig4f(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 4F: Fig 4E per target gene (tables: bulk_map; option genes)."""
    table = bulk_figure_table(tables["bulk_map"], options.get("genes"))
    return table, plot_bulk_by_gene(table, title="Perturb-seq: bulk mAP per guide, by gene")


def draw_fig5a(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 5A: single-cell AP against the guide's activity (tables: bulk_map, cell_map; options
    significance, threshold)."""
    cells, label = _scored_cells(tables, options)
    table = single_cell_figure_table(cells, tables["bulk_map"])
    return table, plot_single_cell_activity(table, label, title="Perturb-seq: single-cell AP")


def draw_fig5b(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 5B: Fig 5A per target gene (tables: bulk_map, cell_map; options genes, significance,
    threshold)."""
    cells, label = _scored_cells(tables, options)
    table = single_cell_figure_table(cells, tables["bulk_map"], options.get("genes"))
    fig = plot_single_cell_by_gene(table, significance_label=label,
                                   title="Perturb-seq: single-cell AP, by gene")
    return table, fig


def draw_figS8(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig S8: one UMAP block per target gene coloured by single-cell AP (tables: bulk_map,
    cell_map, umap; options significance, threshold). Every gene is shown."""
    cells, label = _scored_cells(tables, options)
    table = gene_umap_table(tables["umap"], cells, tables["bulk_map"])
    fig = plot_gene_umaps(table, label, title="Perturb-seq: UMAP per target gene, colour = single-cell AP")
    return table, fig



def draw_metrics_perturbseq(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """The other metrics beside mAP (docs/methods.md §15; tables: the metrics tables of rule
    perturbseq_metrics, named summary, energy, recall, retrieval, cell_count; options: ``threshold``
    of the activity calls)."""
    from mapreprod.plotting.metrics import draw_metrics_figure

    return draw_metrics_figure(
        tables, "Perturb-seq (bulk): energy distance and known-relationship recall beside mAP",
        threshold=float(options.get("threshold", 0.05)),
    )

FIGURES = {
    "fig4e": draw_fig4e,
    "fig4f": draw_fig4f,
    "fig5a": draw_fig5a,
    "fig5b": draw_fig5b,
    "figS8": draw_figS8,
    "metrics_perturbseq": draw_metrics_perturbseq,
}
