"""Per-condition profiles and consensus profiles, as the notebooks build them.

``1.0.calculate-map-cp.ipynb`` concatenates the replicate plates of a condition (keeping the
columns all plates share), sets the NaN ``Metadata_broad_sample`` of the DMSO wells to "DMSO"
(compound plates), drops empty wells (NaN ``Metadata_broad_sample``), flags negative controls
(``Metadata_negcon`` = 1 where ``Metadata_control_type == "negcon"``) and, on genetic plates,
copies ``Metadata_gene`` to ``Metadata_matching_target``. Consensus profiles are the median of
each feature per group, with the metadata of the group's first row (``utils.consensus``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mapreprod.common import require_columns

from .inputs import (
    CONTROL_TYPE,
    DMSO,
    GENE,
    GENETIC_MODALITIES,
    MODALITIES,
    MODALITY,
    NEGCON,
    PERT,
    TARGET,
)


def feature_columns(df: pd.DataFrame) -> list[str]:
    """Feature columns: every column not starting with ``Metadata`` (the notebooks' rule)."""
    return [c for c in df.columns if not str(c).startswith("Metadata")]


def concat_plates(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack plates, keeping only the columns every plate has (``utils.concat_profiles``)."""
    if not frames:
        raise ValueError("no plate to concatenate")
    return pd.concat(list(frames), ignore_index=True, join="inner")


def condition_profiles(frames: Sequence[pd.DataFrame], modality: str) -> pd.DataFrame:
    """The profiles of one condition, ready for replicate retrieval.

    Parameters
    ----------
    frames : the condition's plates (each as read by
        :func:`~mapreprod.datasets.cpjump1.inputs.read_plate_profiles`).
    modality : "compound", "crispr" or "orf".

    Returns
    -------
    DataFrame: the wells with a perturbation (compound plates: DMSO wells named "DMSO"), plus
    ``Metadata_negcon`` (0/1), ``Metadata_modality`` and, for genetic modalities,
    ``Metadata_matching_target`` (= ``Metadata_gene``).
    """
    if modality not in MODALITIES:
        raise ValueError(f"unknown modality {modality!r}: use one of {MODALITIES}")
    df = concat_plates(frames)
    require_columns(df, [PERT, CONTROL_TYPE], f"{modality} profiles")
    if modality == "compound":
        df[PERT] = df[PERT].fillna(DMSO)
    df = df.dropna(subset=[PERT]).reset_index(drop=True)
    added = {NEGCON: np.where(df[CONTROL_TYPE] == "negcon", 1, 0), MODALITY: modality}
    if modality in GENETIC_MODALITIES:
        require_columns(df, [GENE], f"{modality} profiles")
        added[TARGET] = df[GENE]
    df = df.assign(**added).copy()  # one copy: a consolidated frame (no fragmentation warning)
    if df[NEGCON].sum() == 0:
        raise ValueError(f"{modality} profiles: no negative-control well (Metadata_control_type == 'negcon')")
    return df


def remove_negcon_and_empty(df: pd.DataFrame) -> pd.DataFrame:
    """Drop negative-control wells and wells without a perturbation (``utils``)."""
    out = df[df[CONTROL_TYPE].ne("negcon") | df[CONTROL_TYPE].isna()]
    return out.dropna(subset=[PERT]).reset_index(drop=True)


def consensus(df: pd.DataFrame, group_col: str) -> pd.DataFrame:
    """Median profile per ``group_col`` value, with the metadata of the group's first row.

    Rows with a missing ``group_col`` are dropped (pandas' groupby does the same in the
    notebooks). Returns one row per group, in order of first appearance.
    """
    require_columns(df, [group_col], "consensus")
    df = df.dropna(subset=[group_col])
    meta_cols = [c for c in df.columns if str(c).startswith("Metadata")]
    features = feature_columns(df)
    meta = df[meta_cols].drop_duplicates(subset=[group_col])
    medians = df[[group_col, *features]].groupby(group_col, sort=False).median().reset_index()
    out = meta.merge(medians, on=group_col, how="inner")
    return out.reset_index(drop=True)
