"""Helpers shared by every dataset subpackage (one copy, imported everywhere)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

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


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """A table by its extension: ``.csv`` / ``.csv.gz``, ``.tsv`` / ``.tsv.gz`` or ``.parquet``."""
    name = str(path)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_table expects one file path, got {type(path).__name__} {path!r}")
    if name.endswith(".parquet"):
        return pd.read_parquet(name)
    if name.endswith((".tsv", ".tsv.gz")):
        return pd.read_csv(name, sep="\t", low_memory=False)
    if name.endswith((".csv", ".csv.gz")):
        return pd.read_csv(name, low_memory=False)
    raise ValueError(f"{name}: unknown table format (expected .csv, .csv.gz, .tsv, .tsv.gz or .parquet)")


def write_table(table: pd.DataFrame, path: str | os.PathLike, *, index: bool = False) -> None:
    """Write a table atomically (a failed write leaves no partial file at ``path``), in the
    format its name says: ``.parquet``, ``.tsv`` / ``.tsv.gz`` (tab-separated) or ``.csv`` /
    ``.csv.gz``. ``index``: keep the DataFrame's index (e.g. row positions) as well."""
    path = Path(path)
    name = path.name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{name}.tmp")
    if name.endswith(".parquet"):
        table.to_parquet(tmp, index=index)
    else:
        sep = "\t" if name.endswith((".tsv", ".tsv.gz")) else ","
        compression = "gzip" if name.endswith(".gz") else None
        table.to_csv(tmp, sep=sep, index=index, compression=compression)
    os.replace(tmp, path)
