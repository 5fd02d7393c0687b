"""The "reference index" trick for replicates-vs-controls designs (SPEC §1.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def assign_reference_index(
    df: pd.DataFrame,
    condition: str | pd.Series | np.ndarray,
    reference_col: str = "Metadata_Reference_Index",
    default_value: int = -1,
) -> pd.DataFrame:
    """Copy of ``df`` with ``reference_col`` = row position for reference (control) rows, else -1.

    Put ``reference_col`` in ``pos_sameby`` so controls never form positive pairs, and in
    ``neg_diffby`` (with the perturbation column) so negatives are exactly (perturbation, control).

    Parameters
    ----------
    condition : a pandas query string, or a boolean mask aligned with ``df``, selecting controls.
    reference_col : name of the new column; it must not exist yet (an existing column is never
        overwritten: pick another name or drop it first).
    default_value : value of the non-reference rows (-1).

    Raises
    ------
    ValueError
        If ``reference_col`` is already a column, the condition cannot be evaluated, is not a mask
        of the right length, or selects no rows.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if not isinstance(reference_col, str):
        raise TypeError(f"reference_col must be a column name (str), got {reference_col!r}")
    if reference_col in df.columns:
        raise ValueError(
            f"reference_col {reference_col!r} is already a column of df; assign_reference_index "
            "never overwrites one: pass another reference_col or drop the column first"
        )
    out = df.reset_index(drop=True).copy()
    if isinstance(condition, str):
        try:
            result = out.eval(condition)
        except Exception as err:
            raise ValueError(f"cannot evaluate reference condition {condition!r}: {err}") from err
        if not isinstance(result, pd.Series) or not pd.api.types.is_bool_dtype(result):
            raise ValueError(
                f"reference condition {condition!r} must be a comparison that is True for control "
                "rows (e.g. \"Metadata_pert_type == 'control'\"), not a column or a value"
            )
        mask = result.to_numpy(dtype=bool)
    else:
        mask = np.asarray(condition)
        if mask.dtype != bool:
            raise ValueError(
                f"reference condition must be a query string or a boolean mask, got dtype {mask.dtype}"
            )
        if mask.shape != (len(out),):
            raise ValueError(
                f"reference condition must be a boolean mask of length {len(out)}, got shape {mask.shape}"
            )
    if not mask.any():
        raise ValueError(f"reference condition {condition if isinstance(condition, str) else 'mask'} "
                         "selects no rows: there are no controls")
    out[reference_col] = np.where(mask, np.arange(len(out)), default_value).astype(np.int64)
    return out
