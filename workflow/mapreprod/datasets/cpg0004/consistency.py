"""Phenotypic consistency (Fig S7C): consensus profiles of compounds sharing a target gene (multilabel)."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from mapreprod.common import require_columns, split_profiles
from mapreprod.settings import MapSettings

from .inputs import CONSISTENCY_PAIRS, DMSO, truncate_broad_id
from .preprocess import add_dose_recode


def label_consensus(
    consensus: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    dose: int = 6,
    active: Collection[str] | None = None,
) -> pd.DataFrame:
    """Consensus profiles of the annotated compounds at one dose, ready for the consistency AP.

    As the authors' ``label_profiles`` + ``ap_biological``: truncate ``Metadata_broad_sample`` to
    the compound id, set ``Metadata_target`` from ``labels`` (dropping compounds without one),
    keep the dose, drop DMSO, split the targets into lists.

    Parameters
    ----------
    consensus : per-compound, per-dose consensus profiles.
    labels : :func:`merge_labels` output (``broad_id``, ``target``).
    dose : dose level (6 = 10 uM).
    active : full ``Metadata_broad_sample`` ids that passed the activity test. If given, only their
        profiles are kept (the paper's text, L148); None keeps every compound (the authors' code).

    Returns
    -------
    DataFrame, index reset; ``Metadata_target`` holds a list of target genes per profile.
    """
    consensus = add_dose_recode(consensus)
    require_columns(consensus, ["Metadata_broad_sample"], "consensus profiles")
    require_columns(labels, ["broad_id", "target"], "labels")
    if labels["broad_id"].duplicated().any():
        raise ValueError("labels: broad_id is not unique (pass the merge_labels output)")
    out = consensus
    if active is not None:
        out = out.loc[out["Metadata_broad_sample"].isin(set(active))]
    out = out.assign(Metadata_broad_sample=truncate_broad_id(out["Metadata_broad_sample"]))
    targets = out["Metadata_broad_sample"].map(labels.set_index("broad_id")["target"])
    out = out.assign(Metadata_target=targets).dropna(subset=["Metadata_target"])
    out = out.loc[out["Metadata_dose_recode"].eq(dose) & out["Metadata_broad_sample"].ne(DMSO)]
    out = out.reset_index(drop=True)
    out["Metadata_target"] = out["Metadata_target"].str.split("|")
    return out


def phenotypic_consistency(
    consensus: pd.DataFrame,
    labels: pd.DataFrame,
    settings: MapSettings,
    *,
    dose: int = 6,
    active: Collection[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig S7C: do compounds annotated with the same target gene have similar profiles?

    Multilabel AP (docs/methods.md §1.6) over the :func:`label_consensus` profiles: for target t, positives
    are other compounds carrying t, negatives are compounds sharing no target. mAP per target, BH
    over targets. ``dose`` and ``active``: as :func:`label_consensus`; ``settings``: the
    engine's (the config's cpg0004 section).

    Returns
    -------
    ap : one row per (compound profile, target).
    map : one row per target, with ``test`` (multilabel: under ``map.test: permutation`` the
        shared null runs and ``test`` says so).
    """
    labeled = label_consensus(consensus, labels, dose=dose, active=active)
    if labeled.empty:
        raise ValueError("consensus profiles: no annotated compound at the selected dose")
    meta, feats = split_profiles(labeled)
    ap = settings.multilabel_average_precision(
        meta, feats, **CONSISTENCY_PAIRS, multilabel_col="Metadata_target"
    )
    scores = settings.multilabel_group_map(
        meta, feats, **CONSISTENCY_PAIRS, multilabel_col="Metadata_target",
        sameby=["Metadata_target"], ap=ap, analysis="cpg0004 consistency (S7C)",
    )
    return ap, scores

