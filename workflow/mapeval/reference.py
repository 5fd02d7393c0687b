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
    """
    out = df.reset_index(drop=True).copy()
    if isinstance(condition, str):
        try:
            mask = out.eval(condition).to_numpy(dtype=bool)
        except Exception as err:
            raise ValueError(f"cannot evaluate reference condition {condition!r}: {err}") from err
    else:
        mask = np.asarray(condition, dtype=bool)
        if mask.shape != (len(out),):
            raise ValueError(
                f"reference condition must be a boolean mask of length {len(out)}, got shape {mask.shape}"
            )
    if not mask.any():
        raise ValueError(f"reference condition {condition if isinstance(condition, str) else 'mask'} "
                         "selects no rows: there are no controls")
    out[reference_col] = np.where(mask, np.arange(len(out)), default_value).astype(np.int64)
    return out
