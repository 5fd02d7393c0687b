"""Argument checks shared by the public functions: each error names the argument and the fix."""

from __future__ import annotations

import math
from numbers import Integral, Real


def positive_int(value: object, name: str, hint: str = "") -> int:
    """``value`` as an int >= 1; TypeError for non-integers (bool and 2.5 too), ValueError below 1."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(
            f"{name} must be a positive integer, got {value!r} ({type(value).__name__})"
            + (f"; {hint}" if hint else "")
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value}" + (f"; {hint}" if hint else ""))
    return int(value)


def seed_value(value: object, name: str = "seed") -> int:
    """A seed for ``numpy.random.default_rng``: an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return int(value)


def probability(value: object, name: str = "threshold") -> float:
    """A significance level strictly between 0 and 1 (a real number, not a string or a bool)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"{name} must be a number in (0, 1), got {value!r} ({type(value).__name__}); "
            f"write e.g. {name}=0.05"
        )
    value = float(value)
    if math.isnan(value) or not 0 < value < 1:
        raise ValueError(f"{name} must be in (0, 1), got {value}")
    return value


def column_list(value: object, name: str) -> list[str]:
    """A column name or a list of column names, as a list (at least one)."""
    cols = [value] if isinstance(value, str) else value
    try:
        cols = list(cols)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be a column name or a list of column names, got {value!r}") from None
    if not cols:
        raise ValueError(f"{name} must name at least one column")
    for c in cols:
        if not isinstance(c, str):
            raise TypeError(f"{name} must hold column names (str), got {c!r}")
    return cols
