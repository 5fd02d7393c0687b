"""Dose recoding and the replicate profiles of Fig S7A (one dose, plus the DMSO wells of its plates)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mapreprod.common import require_columns

from .inputs import DMSO, PRIMARY_DOSES


def recode_dose(
    mmoles_per_liter: pd.Series | np.ndarray, doses: Sequence[float] = PRIMARY_DOSES
) -> np.ndarray:
    """Dose level of each concentration: 1 + index of the nearest of ``doses`` (lincs-cell-painting
    ``recode_dose``). A missing concentration gets level 0; DMSO is set to 0 by the caller."""
    x = np.asarray(mmoles_per_liter, dtype=float)
    grid = np.asarray(doses, dtype=float)
    level = np.abs(x[:, None] - grid[None, :]).argmin(axis=1) + 1
    return np.where(np.isnan(x), 0, level)


def add_dose_recode(profiles: pd.DataFrame) -> pd.DataFrame:
    """Profiles with ``Metadata_dose_recode`` (from ``Metadata_mmoles_per_liter``; DMSO = 0).

    The published spherized and consensus tables carry the column already; per-plate level-4
    tables (like ``SQ00015054_normalized_feature_select``) do not. An existing column is kept.
    """
    if "Metadata_dose_recode" in profiles.columns:
        return profiles
    for col in ("Metadata_mmoles_per_liter", "Metadata_broad_sample"):
        if col not in profiles.columns:
            raise ValueError(f"profiles have neither Metadata_dose_recode nor {col}")
    level = recode_dose(profiles["Metadata_mmoles_per_liter"])
    level = np.where(profiles["Metadata_broad_sample"].eq(DMSO), 0, level)
    recoded = pd.Series(level.astype(np.int64), index=profiles.index, name="Metadata_dose_recode")
    return pd.concat([profiles, recoded], axis=1)


def select_activity_profiles(profiles: pd.DataFrame, dose: int = 6) -> pd.DataFrame:
    """Replicate profiles at one dose level, plus the DMSO wells of the plates holding that dose.

    Parameters
    ----------
    profiles : replicate-level profiles with ``Metadata_dose_recode`` (or concentrations, see
        :func:`add_dose_recode`), ``Metadata_broad_sample`` and ``Metadata_Plate``.
    dose : dose level (6 = 10 uM).

    Returns
    -------
    DataFrame, index reset, rows in their original order.
    """
    profiles = add_dose_recode(profiles)
    require_columns(profiles, ["Metadata_broad_sample", "Metadata_Plate"], "activity profiles")
    at_dose = profiles["Metadata_dose_recode"].eq(dose)
    if not at_dose.any():
        raise ValueError(f"activity profiles: no row has Metadata_dose_recode == {dose}")
    plates = profiles.loc[at_dose, "Metadata_Plate"].unique()
    keep = at_dose | (
        profiles["Metadata_broad_sample"].eq(DMSO) & profiles["Metadata_Plate"].isin(plates)
    )
    return profiles.loc[keep].reset_index(drop=True)


def select_dose_response_profiles(profiles: pd.DataFrame) -> pd.DataFrame:
    """Replicate profiles at every dose level (``Metadata_dose_recode`` >= 1), plus the DMSO
    wells of the plates holding them: the design of the hierarchical FDR option (§11.16)."""
    profiles = add_dose_recode(profiles)
    require_columns(profiles, ["Metadata_broad_sample", "Metadata_Plate"], "activity profiles")
    dosed = profiles["Metadata_dose_recode"].ge(1) & profiles["Metadata_broad_sample"].ne(DMSO)
    if not dosed.any():
        raise ValueError("activity profiles: no row has a dose level (Metadata_dose_recode >= 1)")
    plates = profiles.loc[dosed, "Metadata_Plate"].unique()
    keep = dosed | (
        profiles["Metadata_broad_sample"].eq(DMSO) & profiles["Metadata_Plate"].isin(plates)
    )
    return profiles.loc[keep].reset_index(drop=True)


def unique_controls(meta: pd.DataFrame) -> pd.DataFrame:
    """Give every DMSO well its own id (``DMSO_0``, ``DMSO_1``, ...) so controls form no positive
    pairs and get no AP (the authors' ``_unique_negcons``)."""
    meta = meta.copy()
    is_dmso = meta["Metadata_broad_sample"].eq(DMSO).to_numpy()
    meta.loc[is_dmso, "Metadata_broad_sample"] = [f"{DMSO}_{i}" for i in range(int(is_dmso.sum()))]
    return meta

