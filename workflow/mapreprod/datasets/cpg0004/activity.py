"""Phenotypic activity (Fig S7A): compound replicates at 10 uM against same-plate DMSO wells."""

from __future__ import annotations

import pandas as pd

from mapreprod.common import require_columns, split_profiles
from mapreprod.settings import MapSettings

from .inputs import ACTIVITY_COLUMNS, ACTIVITY_PAIRS
from .preprocess import select_activity_profiles, select_dose_response_profiles, unique_controls


def phenotypic_activity(
    profiles: pd.DataFrame,
    settings: MapSettings,
    *,
    dose: int = 6,
    fdr: str = "bh",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig S7A: can each compound's replicates be retrieved against same-plate DMSO wells?

    ``fdr="bh"`` (the authors' code): the replicates at ``dose`` only, BH over compounds.
    ``fdr="hierarchical"`` (docs/methods.md §11.16): every dose is scored (positives: same
    compound and dose), and the two-stage correction of copairs'
    ``mean_average_precision_hierarchical`` runs over compounds, then over each passing
    compound's doses; the rows at ``dose`` are returned.

    Selects the dose (:func:`select_activity_profiles`), makes DMSO ids unique, scores every
    replicate with AP (positives: same ``Metadata_broad_sample``; negatives: DMSO wells on the
    same plate) and groups by compound (BH over compounds).

    ``settings``: the engine's (the config's cpg0004 section: null size, seed, threshold,
    similarity).

    The p-values come from the test of ``map.test``
    (:meth:`~mapreprod.settings.MapSettings.group_map`; the permutation test relabels within
    plates, as the controls are per plate).

    Returns
    -------
    ap : one row per profile (DMSO rows have AP NaN).
    map : one row per compound, :func:`mapeval.mean_average_precision` columns and ``test``.
    """
    require_columns(profiles, ACTIVITY_COLUMNS, "activity profiles")
    if fdr == "hierarchical":
        return _dose_response_activity(profiles, settings, dose)
    if fdr != "bh":
        raise ValueError(f"cpg0004.fdr must be 'bh' or 'hierarchical', got {fdr!r}")
    selected = select_activity_profiles(profiles, dose)
    meta, feats = split_profiles(selected)
    meta = unique_controls(meta)
    ap = settings.average_precision(meta, feats, **ACTIVITY_PAIRS)
    scores = settings.group_map(meta, feats, **ACTIVITY_PAIRS, sameby=["Metadata_broad_sample"],
                                ap=ap, analysis="cpg0004 activity (S7A)")
    return ap, scores


def _dose_response_activity(
    profiles: pd.DataFrame, settings: MapSettings, dose: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    selected = select_dose_response_profiles(profiles)
    meta, feats = split_profiles(selected)
    meta = unique_controls(meta)
    pairs = {**ACTIVITY_PAIRS, "pos_sameby": [*ACTIVITY_PAIRS["pos_sameby"], "Metadata_dose_recode"]}
    ap = settings.average_precision(meta, feats, **pairs)
    scores = settings.group_map(
        meta, feats, **pairs, sameby=["Metadata_broad_sample", "Metadata_dose_recode"], ap=ap,
        hierarchical_by=["Metadata_broad_sample"], analysis="cpg0004 activity (S7A, every dose)",
    )
    at_dose = scores["Metadata_dose_recode"] == dose
    if not at_dose.any():
        raise ValueError(f"activity profiles: no compound was scored at Metadata_dose_recode {dose}")
    return ap, scores.loc[at_dose].reset_index(drop=True)


def active_compounds(activity_map: pd.DataFrame) -> list[str]:
    """Compounds (full ``Metadata_broad_sample``) whose activity passes BH-corrected p < threshold."""
    require_columns(activity_map, ["Metadata_broad_sample", "below_corrected_p"], "activity mAP table")
    hit = activity_map["below_corrected_p"].astype(bool)
    return sorted(activity_map.loc[hit, "Metadata_broad_sample"].astype(str))

