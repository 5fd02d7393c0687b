"""Phenotypic activity (Fig 4A/B): each compound's replicates retrieved against DMSO wells."""

from __future__ import annotations

import mapeval
import pandas as pd

from mapreprod.common import paper_columns
from mapreprod.common import require_columns as _require
from mapreprod.common import split_profiles as _split

from .inputs import CONTROL_INDEX, MISSING_PERT, NEGCON, PERT, RESULT_COLUMNS


def activity_map(
    df: pd.DataFrame,
    *,
    same_plate_controls: bool = False,
    null_size: int = 100_000,
    seed: int = 0,
    null_sampler: str = "fast",
    map_null: str = "shared",
    batch_size: int = 2048,
    threads: int | None = None,
) -> pd.DataFrame:
    """Phenotypic activity of each compound: its replicates retrieved against DMSO wells.

    Positive pairs: same compound (never two DMSO wells: each has its own control index).
    Negative pairs: compound well x DMSO well (both pairing columns differ). With
    ``same_plate_controls`` (the e9a5414 code) negatives are restricted to the same
    ``Metadata_Plate``. mAP per compound, BH over compounds, then the "NA" group is dropped.

    Returns
    -------
    DataFrame
        ``Metadata_broad_sample`` + :data:`RESULT_COLUMNS`, one row per compound.
    """
    _require(df, [PERT, "Metadata_control_type"], "activity_map")
    if same_plate_controls:
        _require(df, ["Metadata_Plate"], "activity_map(same_plate_controls)")
    df = mapeval.assign_reference_index(df, NEGCON, reference_col=CONTROL_INDEX)
    meta, feats = _split(df)
    ap = mapeval.average_precision(
        meta,
        feats,
        pos_sameby=[PERT, CONTROL_INDEX],
        pos_diffby=[],
        neg_sameby=["Metadata_Plate"] if same_plate_controls else [],
        neg_diffby=[PERT, CONTROL_INDEX],
        batch_size=batch_size,
        threads=threads,
    )
    m = mapeval.mean_average_precision(
        ap,
        PERT,
        null_size,
        threshold=0.05,
        seed=seed,
        null_sampler=null_sampler,
        map_null=map_null,
    )
    out = paper_columns(m)
    out = out[out[PERT] != MISSING_PERT].reset_index(drop=True)
    return out[[PERT, *RESULT_COLUMNS]]
