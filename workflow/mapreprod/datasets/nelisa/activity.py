"""Phenotypic activity (Fig 4A/B): each compound's replicates retrieved against DMSO wells."""

from __future__ import annotations

import mapeval
import pandas as pd

from mapreprod.common import paper_columns, require_columns, split_profiles
from mapreprod.settings import MapSettings, test_columns

from .inputs import CONTROL_INDEX, MISSING_PERT, NEGCON, PERT, RESULT_COLUMNS


def activity_map(
    df: pd.DataFrame, settings: MapSettings, *, same_plate_controls: bool = False
) -> pd.DataFrame:
    """Phenotypic activity of each compound: its replicates retrieved against DMSO wells.

    Positive pairs: same compound (never two DMSO wells: each has its own control index).
    Negative pairs: compound well x DMSO well (both pairing columns differ). With
    ``same_plate_controls`` (the e9a5414 code) negatives are restricted to the same
    ``Metadata_Plate``. mAP per compound, BH over compounds, then the "NA" group is dropped.

    ``settings``: the engine's (nelisa: null 100,000, seed 0, threshold 0.05, cosine; the test of
    ``map.test``: :meth:`~mapreprod.settings.MapSettings.group_map`).

    Returns
    -------
    DataFrame
        ``Metadata_broad_sample`` + :data:`RESULT_COLUMNS` + ``test`` (which test made the
        call; the exact and permutation tests add ``p_value_exact``, the permutation test
        ``n_permutations`` and ``n_relabelings``), one row per compound.
    """
    require_columns(df, [PERT, "Metadata_control_type"], "activity_map")
    if same_plate_controls:
        require_columns(df, ["Metadata_Plate"], "activity_map(same_plate_controls)")
    df = mapeval.assign_reference_index(df, NEGCON, reference_col=CONTROL_INDEX)
    meta, feats = split_profiles(df)
    m = settings.group_map(
        meta,
        feats,
        pos_sameby=[PERT, CONTROL_INDEX],
        pos_diffby=[],
        neg_sameby=["Metadata_Plate"] if same_plate_controls else [],
        neg_diffby=[PERT, CONTROL_INDEX],
        sameby=PERT,
        analysis="nELISA activity",
    )
    out = paper_columns(m)
    out = out[out[PERT] != MISSING_PERT].reset_index(drop=True)
    return out[[PERT, *RESULT_COLUMNS, *test_columns(out)]]
