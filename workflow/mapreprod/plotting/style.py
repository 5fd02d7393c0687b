"""Shared figure conventions: colours as in the paper, fonts, and saving PNG + PDF."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

#: Colours used by the paper's figures (docs/methods.md §2.5, §3.4).
PALETTES: dict[str, dict[str, str]] = {
    # Simulations: tab10 indices [1, 0, 2, 4].
    "methods": {
        "mAP p-value": "#ff7f0e",
        "mp-value": "#1f77b4",
        "MMD": "#2ca02c",
        "k-means": "#9467bd",
    },
    # Cell Health cell lines.
    "cell_line": {"A549": "#1b9e77", "HCC44": "#d95f02", "ES2": "#7570b3"},
    # Significance (scatter + KDE without hue).
    "significance": {True: "#d62728", False: "#7f7f7f"},
}


def set_style() -> None:
    """Paper-like defaults: white background, readable font sizes, no top/right spines."""
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "pdf.fonttype": 42,
        }
    )


def save_figure(
    fig: plt.Figure, png: str | os.PathLike, pdf: str | os.PathLike | None = None, dpi: float | None = None
) -> None:
    """Save ``fig`` as PNG (and PDF), atomically: a failed save leaves no partial file. ``dpi``:
    the PNG's resolution (default the style's 200; large multi-panel figures use less)."""
    for path in (png, pdf):
        if path is None:
            continue
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
        fig.savefig(tmp, bbox_inches="tight", **({"dpi": dpi} if dpi is not None else {}))
        os.replace(tmp, path)
    plt.close(fig)


def mark_standin(fig: plt.Figure, what: str) -> None:
    """Say on the figure that it was drawn from a generated stand-in, not the paper's data
    (``what``: e.g. "cpjump1.synthetic")."""
    note = f"[generated stand-in data ({what}): not the paper's numbers]"
    current = fig._suptitle  # matplotlib keeps the suptitle Text here (no public getter)
    if current is None or not current.get_text():
        # above everything drawn (bbox_inches="tight" keeps it): never over a panel's title
        fig.suptitle(note, y=1.0, va="bottom")
    else:  # keep its position, size and alignment
        current.set_text(f"{current.get_text()}\n{note}")
