"""The other metrics beside mAP on the cpg0004 (LINCS) profiles (docs/methods.md §15).

* Energy distance of each compound's replicates at the activity dose to the DMSO wells of their
  plates (the Fig S7A pairing: controls and relabelings per plate), its permutation p-value and
  the agreement with the mAP activity call.
* Retrieval metrics (recall@k, interpolated MAP, folds of enrichment) of the compound consensus
  profiles the consistency step scores (Fig S7C: the dose, the activity filter), by target (the
  Repurposing Hub labels) and by mechanism (the consensus file's ``Metadata_moa``, where present).

No cell-count baseline: the LINCS profiles are spherized (every feature mixes all of them), and
carry no cell count.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from mapreprod import metrics
from mapreprod.common import split_profiles
from mapreprod.settings import MapSettings

from .consistency import label_consensus
from .inputs import ACTIVITY_PAIRS
from .preprocess import select_activity_profiles, unique_controls

__all__ = ["MOA", "PERT", "energy_table", "retrieval_table"]

PERT = "Metadata_broad_sample"
#: The consensus profiles' mechanism column ("|"-separated).
MOA = "Metadata_moa"


def energy_table(
    profiles: pd.DataFrame, activity: pd.DataFrame, settings: MapSettings, *, dose: int = 6
) -> pd.DataFrame:
    """Energy distance of every compound at ``dose`` to its plates' DMSO wells, next to its mAP
    activity call (the S7A table, engine columns).

    Returns
    -------
    :func:`mapreprod.metrics.agreement_table` with a first column ``scope`` ("A549, dose <dose>").
    """
    selected = select_activity_profiles(profiles, dose)
    meta, feats = split_profiles(selected)
    meta = unique_controls(meta)
    energy = metrics.energy_activity(meta, feats, ACTIVITY_PAIRS, PERT, settings)
    table = metrics.agreement_table(
        metrics.engine_map_calls(activity, [PERT]), energy, [PERT], settings.threshold
    )
    table.insert(0, "scope", f"dose {dose}")
    return table


def retrieval_table(
    consensus: pd.DataFrame,
    labels: pd.DataFrame,
    settings: MapSettings,
    *,
    dose: int = 6,
    active: Collection[str] | None = None,
) -> pd.DataFrame:
    """Retrieval metrics of the consistency step's treatments (:func:`~.consistency.label_consensus`:
    one consensus profile per compound at ``dose`` with a target annotation, the activity filter
    ``active``) by target and, where the consensus file has ``Metadata_moa``, by mechanism.

    Returns
    -------
    One :func:`mapreprod.metrics.retrieval_summary` row per annotation ("target", "mechanism").
    """
    labeled = label_consensus(consensus, labels, dose=dose, active=active)
    if labeled.empty:
        raise ValueError("retrieval_table: no annotated compound at the selected dose")
    _, feats = split_profiles(labeled)
    rows = [metrics.retrieval_summary(feats, labeled["Metadata_target"].tolist(), settings,
                                      scope=f"dose {dose}", annotation="target")[0]]
    if MOA in labeled.columns:
        moa = [
            [m.strip() for m in str(v).split("|") if m.strip()] if isinstance(v, str) else []
            for v in labeled[MOA]
        ]
        rows.append(metrics.retrieval_summary(feats, moa, settings, scope=f"dose {dose}",
                                              annotation="mechanism")[0])
    return pd.concat(rows, ignore_index=True)
