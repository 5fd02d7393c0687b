"""Helpers shared by every dataset subpackage (one copy, imported everywhere)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Machine epsilon of float64: the floor of p-values before -log10 (the authors' wrapper).
EPS = float(np.finfo(np.float64).eps)


def require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a ValueError naming ``what`` and every column of ``columns`` missing from ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: column(s) {missing} missing from the profiles (missing column)")


def split_profiles(
    df: pd.DataFrame, features: Sequence[str] | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Metadata (``Metadata_*`` columns, index reset) and a float64 feature matrix.

    ``features`` defaults to every column not starting with ``Metadata_``."""
    meta_cols = [c for c in df.columns if str(c).startswith("Metadata_")]
    if features is None:
        features = [c for c in df.columns if c not in set(meta_cols)]
    features = list(features)
    if not features:
        raise ValueError("profiles have no feature columns (every column starts with Metadata_)")
    bad = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise ValueError(
            f"non-numeric feature column(s) {bad[:5]}: metadata must start with Metadata_"
        )
    meta = df[meta_cols].reset_index(drop=True).copy()
    return meta, df[features].to_numpy(dtype=np.float64)


def paper_columns(map_scores: pd.DataFrame) -> pd.DataFrame:
    """The authors' ``calculate_map`` wrapper columns: ``mAP``, ``p < 0.05`` (from the corrected
    p-value) and ``-log10(mAP p-value)`` = -log10(max(corrected p, machine epsilon))."""
    # copairs' ``indices`` (the member rows of each group, a list) is not in the authors' tables
    out = map_scores.drop(columns=["indices"], errors="ignore").rename(
        columns={"mean_average_precision": "mAP", "below_corrected_p": "p < 0.05"}
    )
    out["-log10(mAP p-value)"] = -np.log10(np.maximum(out["corrected_p_value"], EPS))
    return out


def percent(values: Sequence[bool] | pd.Series | np.ndarray) -> float:
    """Percent (0-100) of true values; NaN for an empty selection."""
    arr = np.asarray(values, dtype=bool)
    return float(100.0 * arr.mean()) if arr.size else float("nan")
