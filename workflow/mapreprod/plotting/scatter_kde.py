"""The paper's generic mAP figures: scatter + KDE inset, and pivot scatter of two assays.

``plot_map_scatter_kde`` draws x = mAP (or AP) against y = -log10(p) with an inset KDE of x on
top (docs/methods.md §9 "Generic scatter+KDE"); ``plot_pivot_scatter`` compares two -log10 p columns per
unit (Fig 4B/4D, the drop-vs-exclusive facets of Fig 3D/S6C).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MultipleLocator
from scipy.stats import gaussian_kde

from .style import PALETTES

__all__ = [
    "legend_marker",
    "percent_retrieved",
    "plot_map_scatter_kde",
    "plot_pivot_scatter",
    "significance_keys",
]

#: x range of every mAP axis (docs/methods.md §9).
MAP_LIMITS: tuple[float, float] = (-0.05, 1.05)
#: Marker per significance: circle for p < 0.05, square otherwise (docs/methods.md §3.4).
SIGNIFICANCE_MARKERS: dict[bool, str] = {True: "o", False: "s"}
_FALLBACK_COLOURS = plt.get_cmap("tab10").colors
# Texts stay readable where they sit over points.
_TEXT_BOX = {"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1.0}


def percent_retrieved(values: Any) -> str:
    """The share of true values as the paper prints it: Python ``f"{mean:.0%}"``.

    Parameters
    ----------
    values : array-like of bool
        One entry per scored unit, True where it is retrieved (p < 0.05). NaN entries are ignored.

    Returns
    -------
    str
        For example ``"67%"`` for two of three; ``"nan%"`` for no values.
    """
    arr = pd.Series(values, dtype="float64").dropna().to_numpy()
    mean = float(arr.mean()) if arr.size else float("nan")
    return f"{mean:.0%}"


def _as_significant(values: pd.Series, column: str) -> np.ndarray:
    """Booleans from a bool/0-1 column or from the paper's ``"p<0.05"``/``"p>=0.05"`` labels."""
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        text = values.astype(str).str.replace(" ", "", regex=False)
        known = text.isin(["p<0.05", "p>=0.05", "True", "False"])
        if not known.all():
            bad = values[~known].iloc[0]
            raise ValueError(
                f"column {column!r}: expected booleans or 'p<0.05'/'p>=0.05', got {bad!r}"
            )
        return text.isin(["p<0.05", "True"]).to_numpy()
    return values.fillna(False).astype(bool).to_numpy()


def _kde_curve(
    values: np.ndarray,
    *,
    cut: float = 1.0,
    clip: tuple[float, float] = MAP_LIMITS,
    gridsize: int = 200,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Gaussian KDE (Scott bandwidth, like seaborn) on a grid extended ``cut`` bandwidths beyond the
    data and clipped to ``clip``; None where it cannot be estimated (< 2 points or no spread)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 2 or np.ptp(values) == 0:
        return None
    try:
        kde = gaussian_kde(values, bw_method="scott")
    except (np.linalg.LinAlgError, ValueError):
        return None
    bw = float(np.sqrt(kde.covariance[0, 0]))
    lo = max(values.min() - cut * bw, clip[0])
    hi = min(values.max() + cut * bw, clip[1])
    grid = np.linspace(lo, hi, gridsize)
    return grid, kde(grid)


def _palette_for(levels: Sequence[Any], palette: dict | Sequence | str | None) -> dict[Any, Any]:
    if isinstance(palette, dict):
        missing = [lvl for lvl in levels if lvl not in palette]
        if missing:
            raise ValueError(f"palette has no colour for hue level(s) {missing!r}")
        return dict(palette)
    if isinstance(palette, str):
        colours = plt.get_cmap(palette).colors
    elif palette is None:
        colours = _FALLBACK_COLOURS
    else:
        colours = list(palette)
    return {lvl: colours[i % len(colours)] for i, lvl in enumerate(levels)}


def _check_columns(data: pd.DataFrame, columns: Sequence[str | None]) -> None:
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise ValueError(f"data has no column(s) {missing!r}; columns are {list(data.columns)!r}")


def _coloured_texts(ax: Axes, x: float, y: float, parts: Sequence[tuple[str, Any]]) -> None:
    """Write text pieces on one line, each in its own colour, the line ending at (x, y) in axes
    coordinates. Each piece is anchored to the one after it, so the layout survives resizing."""
    text, colour = parts[-1]
    anchor = ax.text(
        x, y, text, color=colour, transform=ax.transAxes, ha="right", va="bottom", bbox=_TEXT_BOX
    )
    for text, colour in reversed(parts[:-1]):
        anchor = ax.annotate(
            text,
            xy=(0, 0),
            xycoords=anchor,
            xytext=(-3, 0),
            textcoords="offset points",
            color=colour,
            ha="right",
            va="bottom",
            bbox=_TEXT_BOX,
        )


def _dots(ax: Axes, xs: np.ndarray, ys: np.ndarray, colour: Any, marker: str = "o") -> None:
    """Scatter points with the white edge of the paper's figures (nothing when empty)."""
    if xs.size:
        ax.scatter(xs, ys, s=28, color=colour, marker=marker, edgecolor="white", linewidth=0.4,
                   zorder=3)


def legend_marker(colour: Any, label: str, marker: str = "o", **style: Any) -> Line2D:
    """A legend entry: one marker, no line (``style``: more Line2D keywords)."""
    return Line2D([], [], marker=marker, linestyle="", color=colour, label=label, **style)


def significance_keys() -> list[Line2D]:
    """The two grey legend entries of the significance markers (circle p<0.05, square not)."""
    return [
        legend_marker("dimgrey", "p<0.05", SIGNIFICANCE_MARKERS[True]),
        legend_marker("dimgrey", "p>=0.05", SIGNIFICANCE_MARKERS[False]),
    ]


def plot_map_scatter_kde(
    data: pd.DataFrame,
    ax: Axes | None = None,
    *,
    x: str = "mAP",
    y: str = "-log10(mAP p-value)",
    significant: str = "p < 0.05",
    hue: str | None = None,
    hue_order: Sequence[Any] | None = None,
    palette: dict | Sequence | str | None = None,
    markers_from: str | None = None,
    title: str | None = None,
    xlabel: str = "mAP",
    ylabel: str = "-log10(mAP p-value)",
    show_threshold: bool = True,
) -> Axes:
    """Scatter of mAP against -log10 p with a KDE of mAP on top (the paper's generic figure).

    Parameters
    ----------
    data : DataFrame
        One row per scored unit (group or profile) with columns ``x``, ``y`` and ``significant``.
    ax : Axes, optional
        Where to draw the scatter; a new 4 x 4 inch figure if None. The KDE sits in an inset
        axes just above it (``ax.child_axes``).
    x, y : str
        Columns with the mAP in [0, 1] and the -log10 (corrected) p-value.
    significant : str
        Boolean column: unit retrieved (p < 0.05). Its mean is the printed percent retrieved.
    hue : str, optional
        Without hue the points are coloured by significance, and the texts are
        ``Retrieved: NN%`` and ``Mean mAP: x.xx``. With hue they are coloured per hue level,
        the marker is a circle for p < 0.05 and a square otherwise, and ``Retrieved:`` lists
        each level's percent followed by the pooled percent in parentheses.
    hue_order, palette : optional
        Order of the hue levels (default: sorted) and their colours (dict level -> colour, a
        list, or a colormap name).
    markers_from : str, optional
        Column deciding the marker in hue mode (booleans or ``"p<0.05"``/``"p>=0.05"``, e.g. the
        uncorrected significance); default ``significant``.
    title, xlabel, ylabel : str, optional
        Axis texts.
    show_threshold : bool
        Draw the dashed line at -log10(0.05) (hue mode only, as in the paper).

    Returns
    -------
    Axes
        The scatter axes.
    """
    _check_columns(data, [x, y, significant, hue, markers_from])
    df = data.reset_index(drop=True)
    sig = _as_significant(df[significant], significant)
    xs = df[x].to_numpy(dtype=float)
    ys = df[y].to_numpy(dtype=float)

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    # The inset KDE: same x axis, a strip 18% of the scatter's height just above it.
    ax_kde = ax.inset_axes([0.0, 1.02, 1.0, 0.18], sharex=ax)
    if hue is None:
        curves, handles = _scatter_by_significance(ax, ax_kde, xs, ys, sig, xlabel)
        legend_title = significant
    else:
        levels = list(hue_order) if hue_order is not None else sorted(df[hue].dropna().unique())
        marker_sig = sig if markers_from is None else _as_significant(df[markers_from], markers_from)
        curves, handles = _scatter_by_hue(
            ax, xs, ys, sig, marker_sig, df[hue], levels, _palette_for(levels, palette)
        )
        legend_title = hue
        if show_threshold:
            ax.axhline(-np.log10(0.05), color="grey", linestyle="--", linewidth=1, zorder=1)
    _draw_kdes(ax_kde, curves)
    _frame_map_axes(ax, ys, xlabel, ylabel)
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
        title_fontsize="small",
    )
    if title is not None:
        ax_kde.set_title(title)
    return ax


_Curves = list[tuple[np.ndarray, Any, str]]


def _scatter_by_significance(
    ax: Axes, ax_kde: Axes, xs: np.ndarray, ys: np.ndarray, sig: np.ndarray, xlabel: str
) -> tuple[_Curves, list[Line2D]]:
    """Points coloured by significance; 'Retrieved: NN%' and the mean mAP on the KDE strip."""
    colours = PALETTES["significance"]
    curves: _Curves = []
    handles: list[Line2D] = []
    for level in (False, True):
        mask = sig == level
        _dots(ax, xs[mask], ys[mask], colours[level])
        curves.append((xs[mask], colours[level], str(level)))
        handles.append(legend_marker(colours[level], f"{level} (n={int(mask.sum())})"))
    _coloured_texts(ax, 0.97, 0.04, [(f"Retrieved: {percent_retrieved(sig)}", "black")])
    mean_map = float(np.nanmean(xs)) if xs.size else float("nan")
    ax_kde.axvline(mean_map, color="grey", linestyle="--", linewidth=1)
    ax_kde.text(
        mean_map + 0.03 if mean_map < 0.55 else mean_map - 0.03,
        0.55,
        f"Mean {xlabel}: {mean_map:.2f}",
        transform=ax_kde.get_xaxis_transform(),
        ha="left" if mean_map < 0.55 else "right",
        va="center",
        fontsize="small",
    )
    return curves, handles


def _scatter_by_hue(
    ax: Axes,
    xs: np.ndarray,
    ys: np.ndarray,
    sig: np.ndarray,
    marker_sig: np.ndarray,
    hue_values: pd.Series,
    levels: Sequence[Any],
    colours: dict[Any, Any],
) -> tuple[_Curves, list[Line2D]]:
    """Points coloured by hue level, circle where significant and square otherwise; the
    percent retrieved of each level, then pooled in parentheses."""
    curves: _Curves = []
    handles: list[Line2D] = []
    for level in levels:
        in_level = (hue_values == level).to_numpy()
        for is_sig in (True, False):
            mask = in_level & (marker_sig == is_sig)
            _dots(ax, xs[mask], ys[mask], colours[level], SIGNIFICANCE_MARKERS[is_sig])
        curves.append((xs[in_level], colours[level], str(level)))
        handles.append(legend_marker(colours[level], str(level)))
    handles += significance_keys()
    parts: list[tuple[str, Any]] = [("Retrieved:", "black")]
    parts += [(percent_retrieved(sig[(hue_values == lvl).to_numpy()]), colours[lvl]) for lvl in levels]
    parts.append((f"({percent_retrieved(sig)})", "black"))
    _coloured_texts(ax, 0.97, 0.04, parts)
    return curves, handles


def _draw_kdes(ax_kde: Axes, curves: _Curves) -> None:
    """The density of each group's mAP on the strip above the scatter."""
    for values, colour, label in curves:
        curve = _kde_curve(values)
        if curve is None:
            # Too few or identical values for a density: mark where they are instead.
            for v in np.unique(values[np.isfinite(values)]):
                ax_kde.axvline(v, color=colour, linewidth=1, alpha=0.6, linestyle=":")
            continue
        ax_kde.plot(*curve, color=colour, linewidth=1.2, label=label)
    ax_kde.set_ylim(bottom=0)
    ax_kde.axis("off")


def _frame_map_axes(ax: Axes, ys: np.ndarray, xlabel: str, ylabel: str) -> None:
    """mAP axis 0-1 in quarters; p axis from 0 to above both the points and -log10(0.05)."""
    ax.set_xlim(*MAP_LIMITS)
    ax.xaxis.set_major_locator(MultipleLocator(0.25))
    finite = ys[np.isfinite(ys)]
    top = max(float(finite.max()) if finite.size else 1.0, -np.log10(0.05)) + 0.25
    ax.set_ylim(-0.1, top)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def plot_pivot_scatter(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    hue: str | None = None,
    palette: dict | Sequence | str | None = None,
    threshold: float = float(-np.log10(0.05)),
    ax: Axes | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    top_left_label: str = "Retrieved",
    bottom_right_label: str = "Retrieved",
) -> Axes:
    """Scatter of one -log10 p against another per unit (Fig 4B/4D, drop-vs-exclusive facets).

    Grey lines mark ``threshold`` on both axes and a red dashed line marks y = x. The top-left
    text gives the percent of points with ``y > threshold``, the bottom-right text the percent
    with ``x > threshold`` (Python ``:.0%``).

    Parameters
    ----------
    data : DataFrame
        One row per unit with numeric columns ``x`` and ``y`` (rows with NaN in either are dropped).
    x, y : str
        Columns on each axis, e.g. ``"Cell Painting"`` and ``"nELISA"`` -log10 p-values.
    hue, palette : optional
        Colour the points by a column (levels sorted) with these colours.
    threshold : float
        Significance line on both axes; default -log10(0.05).
    ax : Axes, optional
        Where to draw; a new 4 x 4 inch figure if None.
    xlabel, ylabel, title : str, optional
        Axis texts (default: the column names).
    top_left_label, bottom_right_label : str
        Words before the percentages.

    Returns
    -------
    Axes
    """
    _check_columns(data, [x, y, hue])
    df = data.dropna(subset=[x, y]).reset_index(drop=True)
    xs = df[x].to_numpy(dtype=float)
    ys = df[y].to_numpy(dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    if hue is None:
        ax.scatter(xs, ys, s=22, color="#1f77b4", edgecolor="white", linewidth=0.4, zorder=3)
    else:
        levels = sorted(df[hue].dropna().unique())
        colours = _palette_for(levels, palette)
        for level in levels:
            mask = (df[hue] == level).to_numpy()
            ax.scatter(
                xs[mask],
                ys[mask],
                s=22,
                color=colours[level],
                edgecolor="white",
                linewidth=0.4,
                zorder=3,
                label=str(level),
            )
        ax.legend(
            title=hue,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            title_fontsize="small",
        )
    ax.axvline(threshold, color="grey", linewidth=1, zorder=1)
    ax.axhline(threshold, color="grey", linewidth=1, zorder=1)
    finite = np.concatenate([xs[np.isfinite(xs)], ys[np.isfinite(ys)], [threshold]])
    hi = float(finite.max()) * 1.05 + 0.1
    lo = min(float(finite.min()), 0.0) - 0.1
    ax.plot([lo, hi], [lo, hi], color="red", linestyle="--", linewidth=1, zorder=2)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="box")
    ax.text(
        0.03,
        0.97,
        f"{top_left_label}: {percent_retrieved(ys > threshold)}",
        transform=ax.transAxes,
        ha="left",
        va="top",
        bbox=_TEXT_BOX,
    )
    ax.text(
        0.97,
        0.03,
        f"{bottom_right_label}: {percent_retrieved(xs > threshold)}",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        bbox=_TEXT_BOX,
    )
    ax.set_xlabel(xlabel if xlabel is not None else x)
    ax.set_ylabel(ylabel if ylabel is not None else y)
    if title is not None:
        ax.set_title(title)
    return ax
