"""The simulation recall grid of Fig 2 and Fig S2-S5 (docs/methods.md §2.5), and the calibration
and recall figure of our figS_null and metrics_simulations.

Plot types: a table of recalls (one row per condition, one column per method, optionally each
method's interval) in, a figure out; which methods a figure shows is decided by
mapreprod.simulations.figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from mapeval.metrics import clopper_pearson
from matplotlib.patches import Patch
from scipy import stats

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
    "mAP p-value (exact null)": _TAB10[5],
    "mAP p-value (permutation)": "0.15",
    "energy distance": _TAB10[9],
}

#: Line styles of series that would hide another one (the exact null mostly equals the shared).
SERIES_LINESTYLES: dict[str, str] = {"mAP p-value (exact null)": "--"}

_LABELS = {
    "mAP p-value": "mAP",
    "mAP p-value (cosine)": "mAP, cosine",
    "mAP p-value (Euclidean)": "mAP, Euclidean",
    "mAP p-value (correlation)": "mAP, correlation",
    "mAP p-value (shared null)": "mAP, shared null (copairs)",
    "mAP p-value (independent null)": "mAP, independent null",
    "mAP p-value (exact null)": "mAP, exact null (enumerated shared null)",
    "mAP p-value (permutation)": "mAP, label permutation",
    "energy distance": "energy distance (label permutation)",
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


def _design_label(reps: int, n_controls: int) -> str:
    return f"{reps} rep. × {n_controls // reps} ctrl\n({n_controls} controls)"


def _calls(recall: pd.Series, n_perts: pd.Series) -> np.ndarray:
    """Number of perturbations called in each condition (recall x perturbations, an integer)."""
    return np.rint(recall.to_numpy(float) * n_perts.to_numpy(float))


def calibration_table(table: pd.DataFrame, methods: Sequence[str],
                      alpha: float = 0.05) -> pd.DataFrame:
    """False-positive rate at 0% perturbed features per design, every feature count pooled.

    One row per (``# replicates``, ``n_controls``, method): ``calls`` and ``n`` (perturbations),
    ``rate``, its Clopper-Pearson 95% interval (``low``, ``high``) and the central 95% interval of
    the share of n Binomial(n, ``alpha``) trials (``band_low``, ``band_high``: where a calibrated
    test's rate falls 95% of the time, if the perturbations' calls were independent).
    """
    zero = table[table["features_differ"].astype(float) == 0]
    rows = []
    for (reps, nc), d in zero.groupby(["# replicates", "n_controls"], sort=True):
        n = float(d["n_perts"].sum())
        for m in methods:
            rows.append({"# replicates": int(reps), "n_controls": int(nc), "method": m,
                         "calls": float(_calls(d[m], d["n_perts"]).sum()), "n": n})
    out = pd.DataFrame(rows, columns=["# replicates", "n_controls", "method", "calls", "n"])
    out["rate"] = out["calls"] / out["n"]
    out["low"], out["high"] = clopper_pearson(out["calls"].to_numpy(), out["n"].to_numpy())
    out["band_low"] = stats.binom.ppf(0.025, out["n"], alpha) / out["n"]
    out["band_high"] = stats.binom.ppf(0.975, out["n"], alpha) / out["n"]
    return out


def plot_calibration_recall(
    table: pd.DataFrame,
    methods: Sequence[str],
    intervals: Mapping[str, tuple[str, str]],
    title: str | None = None,
    alpha: float = 0.05,
    colours: Mapping[str, str | tuple] | None = None,
    labels: Mapping[str, str] | None = None,
) -> plt.Figure:
    """Calibration strip over a recall grid with binomial intervals.

    Top (when the table has 0% perturbed features): the false-positive rate of each method per
    design (replicates x controls), every feature count pooled, with its Clopper-Pearson 95%
    interval (error bars), over a grey band: the central 95% interval of a calibrated test's
    rate (:func:`calibration_table`). Below: recall against the percent of perturbed features
    (categorical axis), rows = n_feats, columns = designs, one line per method with its interval
    shaded; a dotted line at ``alpha``. ``intervals``: method -> (low column, high column);
    ``labels``: legend labels replacing the defaults.
    """
    set_style()
    colours = {**SERIES_COLOURS, **(colours or {})}
    missing = [c for m in methods for c in (m, *intervals[m])] + list(GRID_COLUMNS) + ["n_perts"]
    missing = [c for c in missing if c not in table.columns]
    if missing:
        raise ValueError(f"simulation table lacks column(s) {missing}")
    designs = sorted({(int(r), int(c)) for r, c in zip(table["# replicates"], table["n_controls"])})
    n_feats = sorted(table["n_feats"].unique())
    steps = sorted(table["features_differ"].astype(float).unique())
    calib = calibration_table(table, methods, alpha)
    n_rows, n_cols = len(n_feats), len(designs)
    top_h = 2.6 if len(calib) else 0.0
    fig = plt.figure(figsize=(1.75 * n_cols + 3.2, 1.45 * n_rows + top_h + 0.9), layout="constrained")
    if len(calib):
        top, bottom = fig.subfigures(2, 1, height_ratios=[top_h, 1.45 * n_rows + 0.6])
        _draw_calibration(top.subplots(), calib, designs, methods, colours, alpha)
    else:
        bottom = fig
    axes = bottom.subplots(n_rows, n_cols, sharex=True, sharey=True, squeeze=False)
    xs = np.arange(len(steps))
    for r, nf in enumerate(n_feats):
        for c, (reps, nc) in enumerate(designs):
            ax = axes[r, c]
            cell = table[(table["n_feats"] == nf) & (table["# replicates"] == reps)
                         & (table["n_controls"] == nc)].copy()
            cell["x"] = cell["features_differ"].astype(float).map({v: i for i, v in enumerate(steps)})
            cell = cell.sort_values("x")
            for m in methods:
                lo, hi = intervals[m]
                colour = colours.get(m)
                ax.fill_between(cell["x"], cell[lo], cell[hi], color=colour, alpha=0.13, linewidth=0)
                ax.plot(cell["x"], cell[m], color=colour, linestyle=SERIES_LINESTYLES.get(m, "-"),
                        marker="o", markersize=2.2, linewidth=1.1)
            ax.axhline(alpha, color="0.4", linestyle=":", linewidth=0.8)
            ax.set_ylim(-0.03, 1.03)
            ax.set_xticks(xs, [_pct(v) for v in steps], fontsize=6.5)
            ax.tick_params(axis="y", labelsize=7)
            ax.grid(axis="y", color="0.92", linewidth=0.6)
            if r == 0:
                ax.set_title(_design_label(reps, nc).replace("\n", " "), fontsize=8)
            if c == 0:
                ax.set_ylabel(f"n_feats = {nf}\nrecall", fontsize=8)
            if r == n_rows - 1:
                ax.set_xlabel("% perturbed features", fontsize=8)
    handles = [plt.Line2D([], [], color=colours.get(m), linestyle=SERIES_LINESTYLES.get(m, "-"),
                          marker="o", markersize=3, linewidth=1.5) for m in methods]
    names = {**_LABELS, **(labels or {})}
    labels = [names.get(m, m) for m in methods]
    handles += [Patch(color="0.5", alpha=0.25), Patch(color="0.8"),
                plt.Line2D([], [], color="0.4", linestyle=":")]
    labels += ["Clopper-Pearson 95% interval", f"calibrated test: binomial 95%\ninterval of {alpha:g}",
               f"p < {alpha:g} level"]
    fig.legend(handles, labels, loc="outside right center", fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def _draw_calibration(ax: plt.Axes, calib: pd.DataFrame, designs: Sequence[tuple[int, int]],
                      methods: Sequence[str], colours: Mapping[str, str | tuple], alpha: float) -> None:
    offsets = np.linspace(-0.3, 0.3, len(methods)) if len(methods) > 1 else np.zeros(1)
    for i, (reps, nc) in enumerate(designs):
        d = calib[(calib["# replicates"] == reps) & (calib["n_controls"] == nc)]
        if d.empty:
            continue
        ax.fill_between([i - 0.45, i + 0.45], d["band_low"].iloc[0], d["band_high"].iloc[0],
                        color="0.8", linewidth=0, zorder=0)
    for m, off in zip(methods, offsets):
        d = calib[calib["method"] == m]
        x = [designs.index((int(r), int(c))) + off for r, c in zip(d["# replicates"], d["n_controls"])]
        ax.errorbar(x, d["rate"], yerr=[d["rate"] - d["low"], d["high"] - d["rate"]], fmt="o",
                    color=colours.get(m), markersize=3.5, capsize=2, linewidth=1)
    ax.axhline(alpha, color="0.4", linestyle=":", linewidth=0.8)
    ax.set_xticks(range(len(designs)), [_design_label(r, c) for r, c in designs], fontsize=8)
    ax.set_xlim(-0.6, len(designs) - 0.4)
    ax.set_ylim(0, max(2.2 * alpha, float(calib["high"].max()) * 1.08))
    ax.set_ylabel(f"false-positive rate\n(p < {alpha:g})", fontsize=9)
    n = calib["n"].unique()
    per = f"{int(n[0])}" if len(n) == 1 else f"{int(n.min())}-{int(n.max())}"
    ax.set_title(f"false-positive rate at 0% perturbed features, all feature counts pooled ({per} "
                 "perturbations per design); grey: where a calibrated test falls if calls were "
                 "independent\n(they are not: the perturbations of one condition share its "
                 "controls, so rates scatter more)", fontsize=8.5)
    ax.grid(axis="y", color="0.92", linewidth=0.6)
