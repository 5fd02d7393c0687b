"""The other metrics next to mAP: one multi-panel figure per dataset (docs/methods.md §15).

Panels, each drawn when its table is given (the tables of ``mapreprod.metrics``):

* **activity calls** (``energy``): -log10 of the BH-corrected p-values of the two tests,
  coloured by agreement (both / only mAP / only energy / neither), with the threshold lines that
  make the calls, so the four quadrants are the four counts;
* **statistics** (``energy``): mAP against the energy distance (log scale), with Spearman's rho
  per scope;
* **agreement per scope** (``energy``): the four counts per scope as stacked bars;
* **known-relationship recall** (``recall``): recall per source and scope with its 95%
  Clopper-Pearson interval and the recall of a map without information (dashed);
* **retrieval** (``retrieval``): recall@k per annotation and scope, with the recall@k of a
  random ranking (dotted), MAP (interpolated) and folds of enrichment in the legend;
* **cell count** (``cell_count``): each perturbation's cell-count score against the mAP of its
  full profile, coloured by which of the two retrieves it, with the share of the mAP-retrieved
  perturbations that cell count alone retrieves.

A metric that does not apply, or could not be computed on these data, is a panel saying why
(``summary`` rows "not computed").
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mapreprod.metrics import AGREEMENT, CELL_COUNT_WARN_SHARE, spearman

__all__ = ["AGREEMENT_COLOURS", "draw_metrics_figure"]

#: Colours of the four agreement classes.
AGREEMENT_COLOURS: dict[str, str] = dict(zip(AGREEMENT, ("#7b3294", "#d95f02", "#1b9e77", "#bdbdbd"), strict=True))
_AGREEMENT = tuple(AGREEMENT_COLOURS)
_EPS = float(np.finfo(float).eps)


def _nlog10(p: pd.Series) -> np.ndarray:
    return -np.log10(np.maximum(p.to_numpy(dtype=np.float64), _EPS))


def _message(ax: Axes, title: str, text: str) -> None:
    ax.set_title(title)
    wrapped = "\n".join(textwrap.fill(line, 48) for line in text.splitlines())
    ax.text(0.5, 0.5, wrapped, ha="center", va="center", fontsize=9, transform=ax.transAxes)
    ax.set_axis_off()


def _calls_panel(ax: Axes, energy: pd.DataFrame, threshold: float) -> None:
    x = _nlog10(energy["map_corrected_p_value"])
    y = _nlog10(energy["energy_corrected_p_value"])
    for cls in _AGREEMENT:
        sel = (energy["agreement"] == cls).to_numpy()
        ax.scatter(x[sel], y[sel], s=12, alpha=0.75, color=AGREEMENT_COLOURS[cls],
                   label=f"{cls}: {int(sel.sum())}", linewidths=0)
    cut = -np.log10(threshold)
    ax.axvline(cut, color="k", lw=0.7, ls="--")
    ax.axhline(cut, color="k", lw=0.7, ls="--")
    rho = spearman(_nlog10(energy["map_p_value"]), _nlog10(energy["energy_p_value"]))
    ax.set_xlabel("-log10 corrected p, mAP")
    ax.set_ylabel("-log10 corrected p, energy distance")
    ax.set_title(f"Activity calls (q < {threshold:g})\nSpearman of -log10 p: {rho:.2f}")
    ax.legend(fontsize=8, loc="lower right", markerscale=1.5)


def _statistics_panel(ax: Axes, energy: pd.DataFrame, scope: str) -> None:
    scopes = list(dict.fromkeys(energy[scope]))
    cmap = plt.get_cmap("tab10" if len(scopes) <= 10 else "tab20")
    lines = []
    for i, name in enumerate(scopes):
        part = energy[energy[scope] == name]
        colour = cmap(i % cmap.N) if len(scopes) > 1 else "#555555"
        ax.scatter(part["mAP"], part["energy_distance"], s=10, alpha=0.6, color=colour,
                   linewidths=0, label=str(name) if len(scopes) > 1 else None)
        lines.append((name, spearman(part["mAP"].to_numpy(), part["energy_distance"].to_numpy())))
    e = energy["energy_distance"].to_numpy(dtype=float)
    if (e > 0).all() and e.max() / max(e.min(), 1e-300) > 20:
        from matplotlib.ticker import LogFormatter

        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
        ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    ax.set_xlabel("mAP")
    ax.set_ylabel("energy distance to controls")
    if len(lines) == 1:
        ax.set_title(f"Statistics\nSpearman rho {lines[0][1]:.2f}")
    else:
        rhos = np.array([r for _, r in lines], dtype=float)
        ax.set_title(f"Statistics, {len(lines)} scopes\nSpearman rho median {np.nanmedian(rhos):.2f} "
                     f"({np.nanmin(rhos):.2f} to {np.nanmax(rhos):.2f})")
        if len(scopes) <= 6:
            ax.legend(fontsize=7, markerscale=1.5)


def _agreement_bars(ax: Axes, energy: pd.DataFrame, scope: str) -> None:
    counts = energy.groupby([scope, "agreement"], sort=False).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(_AGREEMENT), fill_value=0)
    counts = counts.loc[list(dict.fromkeys(energy[scope]))]
    left = np.zeros(len(counts))
    pos = np.arange(len(counts))
    for cls in _AGREEMENT:
        values = counts[cls].to_numpy()
        ax.barh(pos, values, left=left, color=AGREEMENT_COLOURS[cls], label=cls)
        if len(counts) <= 6:
            for y, (x0, v) in enumerate(zip(left, values)):
                if v:
                    ax.text(x0 + v / 2, y, str(int(v)), ha="center", va="center", fontsize=7)
        left += values
    ax.set_yticks(pos, [str(s) for s in counts.index], fontsize=7 if len(counts) > 6 else 9)
    ax.invert_yaxis()
    ax.set_xlabel("perturbations")
    ax.set_title("Agreement of the two calls")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4)


def _recall_panel(ax: Axes, recall: pd.DataFrame) -> None:
    sources = list(dict.fromkeys(recall["source"]))
    scopes = list(dict.fromkeys(recall["scope"]))
    width = 0.8 / max(len(scopes), 1)
    cmap = plt.get_cmap("tab10")
    for j, name in enumerate(scopes):
        part = recall[recall["scope"] == name].set_index("source").reindex(sources)
        x = np.arange(len(sources)) + (j - (len(scopes) - 1) / 2) * width
        r = part["recall"].to_numpy(dtype=float)
        lo = np.clip(r - part["ci_low"].to_numpy(dtype=float), 0, None)
        hi = np.clip(part["ci_high"].to_numpy(dtype=float) - r, 0, None)
        ax.bar(x, np.nan_to_num(r), width=width, color=cmap(j % 10), label=str(name),
               yerr=np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)]), capsize=2, error_kw={"lw": 0.8})
        exp = part["expected_recall"].to_numpy(dtype=float)
        for xi, e in zip(x, exp):
            if np.isfinite(e):
                ax.hlines(e, xi - width / 2, xi + width / 2, color="k", ls="--", lw=0.9)
    # annotated pairs with both genes profiled, per source (a range over the scopes)
    n = recall.groupby("source")["n_pairs"].agg(["min", "max"]).reindex(sources)
    ticks = [f"{src}\nn={lo}" if lo == hi else f"{src}\nn={lo}-{hi}"
             for src, lo, hi in zip(sources, n["min"], n["max"])]
    ax.set_xticks(np.arange(len(sources)), ticks)
    ax.set_ylim(0, 1)
    ax.set_ylabel("recall of annotated pairs")
    ax.set_title("Known-relationship recall\n(dashed: map without information)")
    if len(scopes) > 1:
        ax.legend(fontsize=7, ncol=2 if len(scopes) > 3 else 1)


def _retrieval_panel(ax: Axes, retrieval: pd.DataFrame) -> None:
    ks = sorted(int(c.rsplit("_", 1)[1]) for c in retrieval.columns if c.startswith("recall_at_"))
    cmap = plt.get_cmap("tab10")
    for i, row in enumerate(retrieval.to_dict("records")):
        colour = cmap(i % 10)
        label = f"{row['scope']}, {row['annotation']}" if retrieval["scope"].nunique() > 1 else str(row["annotation"])
        label += f": MAP {row['map_interpolated']:.2f}, FoE {row['folds_of_enrichment']:.1f}"
        ax.plot(ks, [row[f"recall_at_{k}"] for k in ks], marker="o", color=colour, label=label)
        ax.plot(ks, [row[f"random_recall_at_{k}"] for k in ks], ls=":", color=colour)
    ax.set_xticks(ks)
    ax.set_ylim(0, 1)
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k (share of queries)")
    ax.set_title("Retrieval of shared annotations\n(dotted: random ranking)")
    ax.legend(fontsize=7, loc="best")


def _cell_count_panel(ax: Axes, cell: pd.DataFrame) -> None:
    groups = {
        "both": cell["map_called"] & cell["cell_count_called"],
        "only mAP": cell["map_called"] & ~cell["cell_count_called"],
        "only cell count": ~cell["map_called"] & cell["cell_count_called"],
        "neither": ~cell["map_called"] & ~cell["cell_count_called"],
    }
    colours = dict(zip(groups, AGREEMENT_COLOURS.values()))
    for name, sel in groups.items():
        sel = sel.to_numpy(dtype=bool)
        ax.scatter(cell["cell_count_score"].to_numpy()[sel], cell["mAP"].to_numpy()[sel], s=12,
                   alpha=0.75, color=colours[name], label=f"{name}: {int(sel.sum())}", linewidths=0)
    n_map = int(cell["map_called"].sum())
    explained = int((cell["map_called"] & cell["cell_count_called"]).sum())
    share = explained / n_map if n_map else float("nan")
    warn = n_map and share > CELL_COUNT_WARN_SHARE
    ax.axvline(0, color="k", lw=0.6)
    ax.set_xlabel("cell count, normalized to controls (median over plates)")
    ax.set_ylabel("mAP, full profile")
    ax.set_title(f"Cell-count baseline\n{explained} of {n_map} retrieved explained by cell count "
                 f"({share:.0%})" + (" - WARNING" if warn else ""), color="#b2182b" if warn else "k")
    ax.legend(fontsize=7, loc="lower right")


def draw_metrics_figure(
    tables: Mapping[str, pd.DataFrame],
    title: str,
    *,
    threshold: float = 0.05,
    scope: str = "scope",
) -> tuple[pd.DataFrame, Figure]:
    """The metrics figure of one dataset.

    Parameters
    ----------
    tables : ``summary`` (required: the dataset's metrics.csv, also the figure's source table)
        and any of ``energy`` (agreement table), ``recall``, ``retrieval``, ``cell_count``.
    title : the figure's title (the dataset).
    threshold : level of the activity calls (the threshold lines of the calls panel).
    scope : the scope column of the tables.

    Returns
    -------
    (summary table, figure).
    """
    summary = tables["summary"]
    skipped = {}
    if {"metric", "quantity", "note"} <= set(summary.columns):
        rows = summary[summary["quantity"] == "not computed"]
        skipped = dict(zip(rows["metric"], rows["note"]))
    panels: list = []
    energy = tables.get("energy")
    if energy is not None and len(energy):
        panels += [
            lambda ax: _calls_panel(ax, energy, threshold),
            lambda ax: _statistics_panel(ax, energy, scope),
            lambda ax: _agreement_bars(ax, energy, scope),
        ]
    recall = tables.get("recall")
    if recall is not None and len(recall):
        panels.append(lambda ax: _recall_panel(ax, recall))
    retrieval = tables.get("retrieval")
    if retrieval is not None and len(retrieval):
        panels.append(lambda ax: _retrieval_panel(ax, retrieval))
    cell = tables.get("cell_count")
    if cell is not None and len(cell):
        panels.append(lambda ax: _cell_count_panel(ax, cell))
    titles = {"energy distance": "Energy distance", "known-relationship recall": "Known-relationship recall",
              "retrieval": "Retrieval", "cell count": "Cell-count baseline"}
    for metric, why in skipped.items():
        panels.append(lambda ax, m=metric, w=why: _message(ax, titles.get(m, m), f"not computed:\n{w}"))
    if not panels:
        panels.append(lambda ax: _message(ax, "Other metrics", "no metric applies to these data"))
    ncols = min(3, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.7 * ncols, 4.2 * nrows), squeeze=False,
                             layout="constrained")
    for ax, draw in zip(axes.ravel(), panels):
        draw(ax)
    for ax in axes.ravel()[len(panels):]:
        ax.set_axis_off()
    fig.suptitle(title)
    return summary, fig
