"""Phenotypic consistency (Fig 4C/D): compound consensus profiles retrieved by shared target."""

from __future__ import annotations

from collections.abc import Sequence

import mapeval
import pandas as pd

from mapreprod import preprocess
from mapreprod.common import paper_columns
from mapreprod.common import require_columns as _require
from mapreprod.common import split_profiles as _split

from .inputs import MISSING_PERT, PERT, RESULT_COLUMNS, TARGET, TARGET_LIST


def consistency_profiles(
    df: pd.DataFrame, active: Sequence[str] | None = None
) -> pd.DataFrame:
    """Median consensus profile per (compound, target list), targets split on "|".

    Rows with NaN target list drop out (as in a pandas groupby) and so does "NA". With
    ``active`` only those compounds are kept (the paper's "phenotypically active" filter; the
    authors' code has none).

    Returns
    -------
    DataFrame
        ``Metadata_broad_sample``, ``Metadata_target_list``, ``Metadata_target`` (list of str),
        then the features.
    """
    _require(df, [PERT, TARGET_LIST], "consistency_profiles")
    features = preprocess.feature_columns(df)
    if active is not None:
        df = df[df[PERT].isin(set(active))]
    df = df[df[TARGET_LIST].notna() & (df[PERT] != MISSING_PERT)]
    if df.empty:
        raise ValueError("consistency_profiles: no compound with a target list is left")
    agg = preprocess.aggregate(df, [PERT, TARGET_LIST], features)
    agg.insert(2, TARGET, agg[TARGET_LIST].astype(str).str.split("|"))
    return agg.reset_index(drop=True)


def consistency_map(
    df: pd.DataFrame,
    *,
    active: Sequence[str] | None = None,
    null_size: int = 100_000,
    seed: int = 0,
    null_sampler: str = "fast",
    map_null: str = "shared",
    batch_size: int = 2048,
    threads: int | None = None,
) -> pd.DataFrame:
    """Phenotypic consistency of each target: compounds sharing it retrieve each other.

    Multilabel AP on :func:`consistency_profiles`: positives share a target and differ in
    compound; negatives share no target and differ in compound. mAP per target, BH over targets.

    Returns
    -------
    DataFrame
        ``Metadata_target`` + :data:`RESULT_COLUMNS`, one row per target with >= 2 compounds.
    """
    agg = consistency_profiles(df, active)
    meta, feats = _split(agg)
    ap = mapeval.multilabel.average_precision(
        meta,
        feats,
        pos_sameby=[TARGET],
        pos_diffby=[PERT],
        neg_sameby=[],
        neg_diffby=[TARGET, PERT],
        multilabel_col=TARGET,
        batch_size=batch_size,
        threads=threads,
    )
    m = mapeval.mean_average_precision(
        ap,
        TARGET,
        null_size,
        threshold=0.05,
        seed=seed,
        null_sampler=null_sampler,
        map_null=map_null,
    )
    out = paper_columns(m)
    return out[[TARGET, *RESULT_COLUMNS]]
