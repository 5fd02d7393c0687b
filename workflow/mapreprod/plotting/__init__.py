"""Figures of the paper, one plotting function per figure type (see docs/methods.md §9)."""

from .style import PALETTES, mark_standin, save_figure, set_style

__all__ = ["PALETTES", "mark_standin", "save_figure", "set_style"]
