"""Source tables and drawings of CPJUMP1 Fig 4a-c, Extended Data Fig 1 and Fig 5.

Fig 4 and Extended Data Fig 1 are box plots of the per-class mAP of each task, one panel per
cell type (columns) and time point (rows), with the fraction retrieved printed above each box
(as in the paper). Fig 5 shows the cosine similarities of same-target pairs with the 5th and
95th percentiles of the different-target null and the share of pairs beyond them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .activity import fraction_retrieved
from .inputs import (
    CELL_TYPES,
    MODALITY_LABELS,
    TIME_LABELS,
    parse_activity_table_name,
    parse_condition,
    parse_cross_pair,
)

#: Box colours: replicates mostly in the same well (blue) or mostly in different wells (red),
#: as Fig 4a; the genetic modalities as Fig 5 (CRISPR orange, ORF green); cell types as Fig 5a.
COLOURS = {
    "same_well": "#1f77b4",
    "different_well": "#d62728",
    "all": "#7f7f7f",
    "Compound": "#1f77b4",
    "CRISPR": "#d55e00",
    "ORF": "#009e73",
    "A549": "#cc79a7",
    "U2OS": "#56b4e9",
}
#: Which colour each modality's replicate-retrieval box gets in Fig 4a.
WELL_LAYOUT = {"compound": "same_well", "crispr": "same_well", "orf": "different_well"}
VARIANT_LABELS = {"same_well": "same well", "all": "all replicates", "different_well": "different well"}
TIME_TITLES = {"short": "short time point", "long": "long time point"}


# --------------------------------------------------------------------------- tables


def condition_columns(condition: str) -> dict[str, str]:
    """Description, Modality, Cell and time of a condition name."""
    modality, cell, time = parse_condition(condition)
    return {"Description": condition, "Modality": modality, "Cell": cell, "time": time}


def detection_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Class tables of replicate retrieval, keyed by ``"<condition>__<variant>"``
    (:func:`~.inputs.activity_table_name`), stacked with columns Description, Modality, Cell,
    time, variant before the class columns."""
    parts = []
    for name, t in tables.items():
        cond, variant = parse_activity_table_name(name)
        parts.append(t.assign(**condition_columns(cond), variant=variant))
    return _front(pd.concat(parts, ignore_index=True), ["Description", "Modality", "Cell", "time", "variant"])


def matching_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Class tables of within-modality matching, keyed by condition, stacked (Fig 4b)."""
    parts = [t.assign(**condition_columns(cond)) for cond, t in tables.items()]
    return _front(pd.concat(parts, ignore_index=True), ["Description", "Modality", "Cell", "time"])


def cross_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Class tables of compound-gene matching, keyed by the notebooks' ``"<compound>-<genetic>"``
    (:func:`~.inputs.cross_pair_name`), stacked with Description (that name), Cell,
    compound_time, Genetic_Perturbation and genetic_time (Fig 4c)."""
    parts = []
    for name, t in tables.items():
        comp, gen = parse_cross_pair(name)
        _, cell, ctime = parse_condition(comp)
        gmod, gcell, gtime = parse_condition(gen)
        if gcell != cell:
            raise ValueError(f"compound-gene matching across cell types: {comp} vs {gen}")
        parts.append(
            t.assign(
                Description=f"{comp}-{gen}",
                Cell=cell,
                compound_time=ctime,
                Genetic_Perturbation=MODALITY_LABELS[gmod],
                genetic_time=gtime,
            )
        )
    cols = ["Description", "Cell", "compound_time", "Genetic_Perturbation", "genetic_time"]
    return _front(pd.concat(parts, ignore_index=True), cols)


def fig5_table(signal: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Source table of Fig 5: the same-target pairs (:func:`~.directionality.directionality_tables`'
    signal) with their panel's thresholds, tail shares and Fisher test (its summary)."""
    return signal.merge(
        summary.rename(columns={"cell": "Cell", "genetic_perturbation": "Genetic_Perturbation"}),
        on=["panel", "Cell", "Genetic_Perturbation"],
        how="left",
    )


def _front(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    return df[[*cols, *[c for c in df.columns if c not in cols]]]


def fractions(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Classes, retrieved classes and fraction retrieved per group of ``by`` columns."""
    rows = []
    for key, part in table.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            {**dict(zip(by, key, strict=True)), "n_classes": len(part),
             "n_retrieved": int(part["above_q_threshold"].astype(bool).sum()),
             "fraction_retrieved": fraction_retrieved(part)}
        )
    return pd.DataFrame(rows, columns=[*by, "n_classes", "n_retrieved", "fraction_retrieved"])


# --------------------------------------------------------------------------- drawing


#: Second line of the Fig 4 / Extended Data Fig 1 titles.
FRACTION_NOTE = "number above each box: fraction retrieved (share of classes with q < 0.05)"


def _fraction_text(values: pd.Series) -> str:
    if len(values) == 0:
        return "no class"
    return f"{values.astype(bool).mean():.2f}"


def _box_panel(ax, groups: list[tuple[str, pd.Series, str]], ylabel: str | None) -> None:
    """Boxes of mAP per group (label, mAP values with above_q_threshold, colour), the fraction
    retrieved above each box."""
    positions = np.arange(len(groups))
    for pos, (label, part, colour) in zip(positions, groups, strict=True):
        values = part["mAP"].to_numpy(dtype=float)
        if len(values):
            box = ax.boxplot(
                values, positions=[pos], widths=0.6, whis=1.5, patch_artist=True,
                showfliers=True, flierprops={"markersize": 2, "alpha": 0.5},
                medianprops={"color": "black"},
            )
            for patch in box["boxes"]:
                patch.set_facecolor(colour)
                patch.set_alpha(0.75)
        ax.text(pos, 1.04, _fraction_text(part["above_q_threshold"]), ha="center", va="bottom", fontsize=8)
    labels = [g[0] for g in groups]
    if max(len(label) for label in labels) > 9:
        ax.set_xticks(positions, labels, rotation=30, ha="right")
    else:
        ax.set_xticks(positions, labels)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_ylim(-0.03, 1.15)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    if ylabel:
        ax.set_ylabel(ylabel)


def _grid(n_rows: int = 2, n_cols: int = 2, width: float = 3.2, height: float = 3.0):
    import matplotlib.pyplot as plt

    return plt.subplots(
        n_rows, n_cols, figsize=(width * n_cols, height * n_rows), squeeze=False,
        layout="constrained", sharey=True,
    )


def _cell_time_figure(table, title, groups_of, ylabel="mAP", legend=None):
    """2 x 2 panels: rows = time point, columns = cell type; ``groups_of(cell, time)`` gives the
    boxes of a panel."""
    fig, axes = _grid()
    for r, time in enumerate(TIME_LABELS):
        for c, cell in enumerate(CELL_TYPES):
            ax = axes[r][c]
            _box_panel(ax, groups_of(cell, time), ylabel if c == 0 else None)
            ax.set_title(f"{cell}, {TIME_TITLES[time]}")
    if legend:
        from matplotlib.patches import Patch

        handles = [Patch(facecolor=COLOURS[k], alpha=0.75, label=v) for k, v in legend.items()]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    fig.suptitle(f"{title}\n{FRACTION_NOTE}")
    return fig


def plot_fig4a(table: pd.DataFrame):
    """Fig 4a: perturbation detection mAP per modality (numbers: fraction retrieved)."""
    t = table[table["variant"] == "all"]

    def groups(cell, time):
        out = []
        for m in ("compound", "crispr", "orf"):
            part = t[(t["Modality"] == m) & (t["Cell"] == cell) & (t["time"] == time)]
            out.append((MODALITY_LABELS[m], part, COLOURS[WELL_LAYOUT[m]]))
        return out

    return _cell_time_figure(
        t, "Perturbation detection: replicates vs same-plate negative controls", groups,
        legend={"same_well": "replicates mostly in the same well",
                "different_well": "replicates mostly in different wells"},
    )


def plot_edfig1(table: pd.DataFrame):
    """Extended Data Fig 1: ORF replicate retrieval restricted to the same / other wells."""
    t = table[table["Modality"] == "orf"]

    def groups(cell, time):
        out = []
        for v in ("same_well", "all", "different_well"):
            part = t[(t["variant"] == v) & (t["Cell"] == cell) & (t["time"] == time)]
            out.append((VARIANT_LABELS[v], part, COLOURS[v]))
        return out

    return _cell_time_figure(t, "ORF replicate retrieval by well position of the replicates", groups)


def plot_fig4b(table: pd.DataFrame):
    """Fig 4b: sister compounds (|cosine|) and sister CRISPR guides (cosine), mAP per target."""

    def groups(cell, time):
        out = []
        for m in ("compound", "crispr"):
            part = table[(table["Modality"] == m) & (table["Cell"] == cell) & (table["time"] == time)]
            out.append((MODALITY_LABELS[m], part, COLOURS[MODALITY_LABELS[m]]))
        return out

    return _cell_time_figure(table, "Perturbation matching within a modality (sister perturbations)", groups)


def plot_fig4c(table: pd.DataFrame):
    """Fig 4c: compound-gene matching (|cosine|), mAP per target gene; rows = compound time
    point, columns = cell type, boxes = genetic modality and time point."""
    fig, axes = _grid(width=3.6)
    for r, ctime in enumerate(TIME_LABELS):
        for c, cell in enumerate(CELL_TYPES):
            groups = []
            for gp in ("CRISPR", "ORF"):
                for gtime in TIME_LABELS:
                    part = table[
                        (table["Cell"] == cell) & (table["compound_time"] == ctime)
                        & (table["Genetic_Perturbation"] == gp) & (table["genetic_time"] == gtime)
                    ]
                    groups.append((f"{gp} {gtime}", part, COLOURS[gp]))
            ax = axes[r][c]
            _box_panel(ax, groups, "mAP" if c == 0 else None)
            ax.set_title(f"{cell}, compound {TIME_TITLES[ctime]}")
    fig.suptitle(f"Perturbation matching across modalities: compound-gene pairs\n{FRACTION_NOTE}")
    return fig


def plot_fig5(signal: pd.DataFrame, summary: pd.DataFrame, fig5a_tails: str = "notebook"):
    """Fig 5: cosine similarity of same-target pairs, (a) ORF-CRISPR per cell type and
    (b) compound-CRISPR / compound-ORF per cell type, with the null's 5th and 95th percentiles,
    the share of pairs beyond them and Fisher's exact test of the two tails (odds ratio > 1:
    more pairs in the positive tail). ``fig5a_tails`` only labels panel (a): with "notebook"
    its lines, shares and test come from the compound-genetic pairs (cpjump1.fig5a_tails)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, 3, figsize=(11.5, 4.2), layout="constrained", sharey=True,
        gridspec_kw={"width_ratios": [2, 2, 2]},
    )
    title_a = "(a) ORF-CRISPR, same gene"
    if fig5a_tails == "notebook":
        title_a += "\nlines, %, OR: compound-genetic pairs (notebook)"
    values = signal["cosine_sim"].abs().to_numpy()
    lim = max(0.5, 1.25 * float(values.max())) if len(values) else 1.0
    panels = [("a", None, ["A549", "U2OS"], "Cell", title_a)]
    panels += [("b", cell, ["CRISPR", "ORF"], "Genetic_Perturbation", f"(b) compound-genetic, {cell}")
               for cell in CELL_TYPES]
    for ax, (panel, cell, levels, key, title) in zip(axes, panels, strict=True):
        sig = signal[signal["panel"] == panel]
        summ = summary[summary["panel"] == panel]
        if cell is not None:
            sig = sig[sig["Cell"] == cell]
            summ = summ[summ["cell"] == cell]
        for pos, level in enumerate(levels):
            values = sig.loc[sig[key] == level, "cosine_sim"].to_numpy(dtype=float)
            if key == "Cell":
                row = summ[summ["cell"] == level]
            else:
                row = summ[summ["genetic_perturbation"] == level]
            if len(values) > 1:
                parts = ax.violinplot(values, positions=[pos], widths=0.8, showextrema=False)
                for body in parts["bodies"]:
                    body.set_facecolor(COLOURS[level])
                    body.set_alpha(0.6)
                ax.boxplot(values, positions=[pos], widths=0.15, showfliers=False,
                           medianprops={"color": "black"})
            if len(row):
                row = row.iloc[0]
                for q, pct, va in (("fifth_percentile", "percent_fifth_percentile", "top"),
                                   ("ninetyfifth_percentile", "percent_ninetyfifth_percentile", "bottom")):
                    ax.hlines(row[q], pos - 0.42, pos + 0.42, colors="black", linestyles="dashed", linewidth=1)
                    ax.text(pos + 0.44, row[q], f"{row[pct]:.0%}", va=va, ha="left", fontsize=8)
                ax.text(pos, -0.98 * lim,
                        f"OR {row['fishers_exact_statistic']:.2f}\np={row['fishers_exact_pvalue']:.1e}",
                        ha="center", va="bottom", fontsize=7)
        ax.axhline(0, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xticks(range(len(levels)), levels)
        ax.set_xlim(-0.6, len(levels) - 0.2)
        ax.set_ylim(-lim, lim)
        ax.set_title(title)
    axes[0].set_ylabel("cosine similarity")
    fig.suptitle(
        "Directionality of same-target pairs: dashed = 5th/95th percentile of different-target pairs,\n"
        "% = share of same-target pairs beyond each line, OR = Fisher's odds ratio (positive vs negative tail)"
    )
    return fig


# --------------------------------------------------------------------------- the figure contract
# draw(tables, options) -> (source table, figure); tables: the rule's named inputs (one class
# table per condition / task, named as the rule names them); options: fig5a_tails (Fig 5).


def draw_cpjump1_fig4a(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 4a: tables = the replicate-retrieval class tables ``"<condition>__all"``."""
    table = detection_table(tables)
    return table, plot_fig4a(table)


def draw_cpjump1_edfig1(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Extended Data Fig 1: tables = the ORF class tables ``"orf_<cell>_<time>__<variant>"``."""
    table = detection_table(tables)
    return table, plot_edfig1(table)


def draw_cpjump1_fig4b(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 4b: tables = the within-modality matching class tables, named by condition."""
    table = matching_table(tables)
    return table, plot_fig4b(table)


def draw_cpjump1_fig4c(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 4c: tables = the compound-gene matching class tables ``"<compound>-<genetic>"``."""
    table = cross_table(tables)
    return table, plot_fig4c(table)


def draw_cpjump1_fig5(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """Fig 5: tables ``signal`` and ``summary`` (:func:`~.directionality.directionality_tables`);
    option ``fig5a_tails`` (config cpjump1.fig5a_tails, labels panel a)."""
    fig = plot_fig5(tables["signal"], tables["summary"], options["fig5a_tails"])
    return fig5_table(tables["signal"], tables["summary"]), fig



def draw_metrics_cpjump1(tables: Mapping[str, pd.DataFrame], options: Mapping[str, Any]):
    """The other metrics beside mAP (docs/methods.md §15; tables: the metrics tables of rule
    cpjump1_metrics, named summary, energy, recall, retrieval, cell_count; options: ``threshold``
    of the activity calls)."""
    from mapreprod.plotting.metrics import draw_metrics_figure

    return draw_metrics_figure(
        tables, "CPJUMP1: energy distance, known-relationship recall (CRISPR, ORF) and retrieval by target (compounds) beside mAP",
        threshold=float(options.get("threshold", 0.05)),
    )

FIGURES = {
    "cpjump1_fig4a": draw_cpjump1_fig4a,
    "cpjump1_fig4b": draw_cpjump1_fig4b,
    "cpjump1_fig4c": draw_cpjump1_fig4c,
    "cpjump1_edfig1": draw_cpjump1_edfig1,
    "cpjump1_fig5": draw_cpjump1_fig5,
    "metrics_cpjump1": draw_metrics_cpjump1,
}
