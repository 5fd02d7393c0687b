"""Figures of the paper, one plotting function per figure type (see docs/methods.md §9)."""

from .style import PALETTES, save_figure, set_style

__all__ = ["PALETTES", "save_figure", "set_style"]
