"""The other metrics beside mAP on the nELISA and Cell Painting profiles (docs/methods.md §15).

Per assay, on the profiles the mAP steps score (``results/nelisa/<assay>_unified.parquet``):

* energy distance of each compound's replicates to the DMSO wells (the activity pairing:
  controls on any plate, or on the same plate with ``nelisa.activity_same_plate_controls``),
  its permutation p-value and the agreement with the mAP activity call;
* retrieval metrics (recall@k, interpolated MAP, folds of enrichment) of the compound consensus
  profiles the consistency step scores, by shared target (the only annotation of the file:
  ``Metadata_target_list``, "|"-separated);
* the cell-count baseline on the Cell Painting assay (``nelisa.metrics.cell_count_feature`` of
  the raw Cell Painting profiles); nELISA measures secreted proteins and has no cell count.
"""

from __future__ import annotations

from collections.abc import Sequence

import mapeval
import numpy as np
import pandas as pd

from mapreprod import metrics
from mapreprod.common import require_columns, split_profiles
from mapreprod.settings import MapSettings

from .consistency import consistency_profiles
from .inputs import ASSAYS, CONTROL_INDEX, MISSING_PERT, NEGCON, PERT, TARGET
from .preprocess import fill_missing_broad_sample

__all__ = [
    "activity_pairs",
    "cell_count_table",
    "energy_table",
    "map_calls",
    "retrieval_table",
]


def activity_pairs(same_plate_controls: bool) -> dict[str, list[str]]:
    """The activity pairing of :func:`~.activity.activity_map` (controls with a reference index)."""
    return {
        "pos_sameby": [PERT, CONTROL_INDEX],
        "pos_diffby": [],
        "neg_sameby": ["Metadata_Plate"] if same_plate_controls else [],
        "neg_diffby": [PERT, CONTROL_INDEX],
    }


def map_calls(activity: pd.DataFrame) -> pd.DataFrame:
    """The activity table (:func:`~.activity.activity_map`) as the mAP side of the agreement
    table: ``Metadata_broad_sample``, ``mAP``, ``map_p_value``, ``map_corrected_p_value``,
    ``map_called`` (the paper's ``p < 0.05``: BH-corrected p below the threshold)."""
    require_columns(activity, [PERT, "mAP", "p_value", "corrected_p_value", "p < 0.05"], "nELISA activity table")
    return pd.DataFrame({
        PERT: activity[PERT].astype(str), "mAP": activity["mAP"],
        "map_p_value": activity["p_value"], "map_corrected_p_value": activity["corrected_p_value"],
        "map_called": activity["p < 0.05"].astype(bool),
    })


def energy_table(
    profiles: pd.DataFrame,
    activity: pd.DataFrame,
    settings: MapSettings,
    *,
    assay: str,
    same_plate_controls: bool = False,
) -> pd.DataFrame:
    """Energy distance of every compound to the DMSO wells next to its mAP activity call.

    Parameters
    ----------
    profiles : one assay's unified profiles (the activity step's input).
    activity : that assay's activity table.
    settings : the nELISA engine settings (seed, threshold, ``n_permutations``: relabelings per
        compound, config ``map.n_permutations``; threads).
    assay : "cellpainting" or "nelisa" (the ``scope`` column holds its label).
    same_plate_controls : ``nelisa.activity_same_plate_controls`` (controls and relabelings
        per plate).

    Returns
    -------
    :func:`mapreprod.metrics.agreement_table` with a first column ``scope`` (the assay label).
    """
    require_columns(profiles, [PERT, "Metadata_control_type"], "energy_table")
    df = mapeval.assign_reference_index(profiles, NEGCON, reference_col=CONTROL_INDEX)
    meta, feats = split_profiles(df)
    energy = metrics.energy_activity(meta, feats, activity_pairs(same_plate_controls), PERT, settings)
    energy = energy[energy[PERT].astype(str) != MISSING_PERT]
    table = metrics.agreement_table(map_calls(activity), energy, [PERT], settings.threshold)
    table.insert(0, "scope", ASSAYS[assay].label)
    return table


def retrieval_table(
    profiles: pd.DataFrame,
    settings: MapSettings,
    *,
    assay: str,
    active: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Retrieval metrics of the compound consensus profiles by shared target (the treatments of
    the consistency step: :func:`~.consistency.consistency_profiles`, the same activity filter).

    Returns
    -------
    One row of :func:`mapreprod.metrics.retrieval_summary` (``scope`` = assay label,
    ``annotation`` = "target").
    """
    agg = consistency_profiles(profiles, active)
    _, feats = split_profiles(agg)
    row, _ = metrics.retrieval_summary(
        feats, agg[TARGET].tolist(), settings, scope=ASSAYS[assay].label, annotation="target"
    )
    return row


def cell_count_table(
    raw: pd.DataFrame,
    activity: pd.DataFrame,
    settings: MapSettings,
    *,
    feature: str,
    same_plate_controls: bool = False,
) -> tuple[pd.DataFrame | None, str | None]:
    """The cell-count baseline of the Cell Painting assay (:func:`mapreprod.metrics.cell_count_baseline`).

    Parameters
    ----------
    raw : the raw Cell Painting profiles (before normalization: the count is normalized to the
        DMSO wells of each ``Metadata_Plate`` here); only the compounds of ``activity`` and the
        DMSO wells are used.
    activity : the Cell Painting activity table.
    settings : the nELISA engine settings.
    feature : the cell-count column (``nelisa.metrics.cell_count_feature``).
    same_plate_controls : as the activity step.

    Returns
    -------
    (table, None): the baseline table with a first column ``scope`` ("Cell Painting"); or
    (None, why) when it cannot be computed on these profiles (no such column, a constant count
    in a plate's DMSO wells: :func:`mapreprod.metrics.cell_count_problem`).
    """
    require_columns(raw, [PERT, "Metadata_control_type", "Metadata_Plate"], "cell_count_table")
    if feature not in raw.columns:
        return None, f"the Cell Painting profiles have no column {feature!r} (nelisa.metrics.cell_count_feature)"
    df = fill_missing_broad_sample(raw)
    control = (df["Metadata_control_type"] == "negcon").to_numpy()
    keep = control | df[PERT].astype(str).isin(set(activity[PERT].astype(str))).to_numpy()
    df = df.loc[keep].reset_index(drop=True)
    control = control[keep]
    problem = metrics.cell_count_problem(df[feature], df["Metadata_Plate"], control, feature)
    if problem:
        return None, problem
    meta = mapeval.assign_reference_index(
        df[[PERT, "Metadata_Plate"]].astype({PERT: str}), control, reference_col=CONTROL_INDEX
    )
    calls = map_calls(activity).rename(columns={PERT: "perturbation"})
    table = metrics.cell_count_baseline(
        meta, df[feature].to_numpy(dtype=np.float64), perturbation=PERT, plate="Metadata_Plate",
        controls=control, pairs=activity_pairs(same_plate_controls), settings=settings,
        map_calls=calls,
    )
    table.insert(0, "scope", ASSAYS["cellpainting"].label)
    return table, None
