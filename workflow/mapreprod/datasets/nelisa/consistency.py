"""Phenotypic consistency (Fig 4C/D): compound consensus profiles retrieved by shared target."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mapreprod import preprocess
from mapreprod.common import paper_columns, require_columns, split_profiles
from mapreprod.settings import MapSettings, test_columns

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
    require_columns(df, [PERT, TARGET_LIST], "consistency_profiles")
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
    df: pd.DataFrame, settings: MapSettings, *, active: Sequence[str] | None = None
) -> pd.DataFrame:
    """Phenotypic consistency of each target: compounds sharing it retrieve each other.

    Multilabel AP on :func:`consistency_profiles`: positives share a target and differ in
    compound; negatives share no target and differ in compound. mAP per target, BH over targets.
    The test is ``map.test``'s; the label-permutation test is not defined for multilabel designs
    (``test`` then reads ``shared (permutation undefined: multilabel)``).

    Returns
    -------
    DataFrame
        ``Metadata_target`` + :data:`RESULT_COLUMNS` + ``test``, one row per target with >= 2
        compounds.
    """
    agg = consistency_profiles(df, active)
    meta, feats = split_profiles(agg)
    m = settings.multilabel_group_map(
        meta,
        feats,
        pos_sameby=[TARGET],
        pos_diffby=[PERT],
        neg_sameby=[],
        neg_diffby=[TARGET, PERT],
        multilabel_col=TARGET,
        sameby=TARGET,
        analysis="nELISA consistency",
    )
    out = paper_columns(m)
    return out[[TARGET, *RESULT_COLUMNS, *test_columns(out)]]
