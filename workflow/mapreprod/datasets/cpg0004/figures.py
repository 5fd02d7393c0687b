"""Source tables of Fig S7A and S7C."""

from __future__ import annotations

import pandas as pd

from mapreprod.common import paper_columns
from mapreprod.common import require_columns as _require


def figure_table(map_scores: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The table Fig S7A/S7C are drawn from: one row per ``unit`` with the authors' plot columns
    (``mAP``, ``p_value``, ``corrected_p_value``, ``p < 0.05``, ``-log10(mAP p-value)``)."""
    _require(map_scores, [unit, "mean_average_precision", "corrected_p_value", "below_corrected_p"],
             "mAP table")
    table = paper_columns(map_scores)
    columns = [unit, "mAP", "p_value", "corrected_p_value", "p < 0.05", "-log10(mAP p-value)"]
    return table[columns].sort_values(unit).reset_index(drop=True)

