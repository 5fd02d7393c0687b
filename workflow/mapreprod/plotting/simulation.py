"""The simulation recall grid of Fig 2 and Fig S2-S5 (docs/methods.md §2.5), and our figS_null.

A plot type: a table of recalls (one row per condition, one column per method) in, a figure
out; which methods a figure shows is decided by mapreprod.simulations.figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .style import PALETTES, set_style

GRID_COLUMNS = ("# replicates", "n_controls", "features_differ", "n_feats")

_TAB20C = sns.color_palette("tab20c")
_TAB10 = sns.color_palette("tab10")

#: Colours of each figure's series: tab10 [1, 0, 2, 4] for the four methods; Fig S5 adds
#: tab20c 4 and 6 for the Euclidean and correlation mAP (docs/methods.md §2.5).
SERIES_COLOURS: dict[str, str | tuple] = {
    **PALETTES["methods"],
    "mAP p-value (cosine)": PALETTES["methods"]["mAP p-value"],
    "mAP p-value (Euclidean)": _TAB20C[4],
    "mAP p-value (correlation)": _TAB20C[6],
    "mAP p-value (shared null)": PALETTES["methods"]["mAP p-value"],
    "mAP p-value (independent null)": _TAB10[3],
}

_LABELS = {
    "mAP p-value": "mAP",
    "mAP p-value (cosine)": "mAP, cosine",
    "mAP p-value (Euclidean)": "mAP, Euclidean",
    "mAP p-value (correlation)": "mAP, correlation",
    "mAP p-value (shared null)": "mAP, shared null (copairs)",
    "mAP p-value (independent null)": "mAP, independent null",
}


def _pct(value: float) -> str:
    return f"{value:g}"


def recall_long(table: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """Long form of a simulation table: one row per (condition, method) with ``recall``."""
    missing = [c for c in (*methods, *GRID_COLUMNS) if c not in table.columns]
    if missing:
        raise ValueError(f"simulation table lacks column(s) {missing}")
    long = table.melt(id_vars=list(GRID_COLUMNS), value_vars=list(methods), var_name="method",
                      value_name="recall")
    long["x"] = long["features_differ"].map(_pct)
    return long


def plot_recall_grid(
    table: pd.DataFrame,
    methods: Sequence[str],
    title: str | None = None,
    colours: Mapping[str, str | tuple] | None = None,
    reference_line: float | None = None,
) -> plt.Figure:
    """Recall grid: rows = n_feats, columns = number of controls, x = % perturbed features
    (categorical), y = recall, colour = method, line and marker style = number of replicates.

    ``reference_line`` draws a dotted horizontal line (e.g. the 5% level of figS_null).
    """
    set_style()
    colours = {**SERIES_COLOURS, **(colours or {})}
    long = recall_long(table, methods)
    n_feats = sorted(long["n_feats"].unique())
    n_controls = sorted(long["n_controls"].unique())
    reps = sorted(long["# replicates"].unique())
    xs = [_pct(v) for v in sorted(long["features_differ"].unique())]
    markers = ["o", "s", "^", "D", "v", "P"]
    dashes = ["-", "--", ":", "-."]
    fig, axes = plt.subplots(len(n_feats), len(n_controls), sharex=True, sharey=True,
                             figsize=(3.2 * len(n_controls) + 1.8, 2.1 * len(n_feats) + 0.8),
                             squeeze=False)
    pos = {x: i for i, x in enumerate(xs)}
    for r, nf in enumerate(n_feats):
        for c, nc in enumerate(n_controls):
            ax = axes[r, c]
            cell = long[(long["n_feats"] == nf) & (long["n_controls"] == nc)]
            for m in methods:
                for k, rep in enumerate(reps):
                    s = cell[(cell["method"] == m) & (cell["# replicates"] == rep)]
                    if s.empty:
                        continue
                    s = s.sort_values("features_differ")
                    ax.plot([pos[x] for x in s["x"]], s["recall"], color=colours.get(m),
                            linestyle=dashes[k % len(dashes)], marker=markers[k % len(markers)],
                            markersize=3.5, linewidth=1.2)
            if reference_line is not None:
                ax.axhline(reference_line, color="0.4", linestyle=":", linewidth=0.8)
            ax.set_ylim(-0.03, 1.03)
            ax.set_xticks(range(len(xs)), xs, fontsize=7, rotation=90 if len(xs) > 8 else 0)
            ax.grid(axis="y", color="0.92", linewidth=0.6)
            if r == 0:
                ax.set_title(f"n_controls = {nc}")
            if c == 0:
                ax.set_ylabel(f"n_feats = {nf}\nrecall")
            if r == len(n_feats) - 1:
                ax.set_xlabel("% features that differ from control")
    handles = [plt.Line2D([], [], color=colours.get(m), linewidth=2) for m in methods]
    labels = [_LABELS.get(m, m) for m in methods]
    handles += [plt.Line2D([], [], color="0.2", linestyle=dashes[k % len(dashes)],
                           marker=markers[k % len(markers)]) for k in range(len(reps))]
    labels += [f"{rep} replicates" for rep in reps]
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5),
               title="method / # replicates")
    if title:
        fig.suptitle(title, y=1.0)
    fig.tight_layout()
    return fig
