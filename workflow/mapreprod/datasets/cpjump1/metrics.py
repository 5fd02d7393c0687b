"""The other metrics beside mAP on the CPJUMP1 profiles (docs/methods.md §15).

Per condition (modality x cell type x time point), on the profiles of the detection task:

* energy distance of each perturbation's replicate wells to the negative-control wells of their
  plates (the Fig 4a pairing: controls and relabelings per plate), its permutation p-value and
  the agreement with the detection call (class q-value below the threshold);
* known-relationship recall of the CRISPR and ORF gene-level profiles (every non-control well of
  a gene averaged) against CORUM, hu.MAP, Reactome and StringDB (:mod:`mapreprod.annotations`);
* retrieval metrics of the compounds by target: the consensus profiles of sister-compound
  matching (Fig 4b: median per compound, the compounds retrieved in detection, their target
  lists), ranked by cosine (the engine's retrieval metrics; Fig 4b's mAP uses |cosine|).

No cell-count baseline: the profiles are feature-selected and carry no cell count.
"""

from __future__ import annotations

import mapeval
import numpy as np
import pandas as pd

from mapreprod import metrics
from mapreprod.common import require_columns
from mapreprod.settings import MapSettings

from .consistency import compound_targets, replicable_consensus
from .inputs import CONTROL_INDEX, CONTROL_TYPE, GENE, NEGCON, PERT, PLATE, TARGET
from .preprocess import feature_columns

__all__ = [
    "ENERGY_PAIRS",
    "class_calls",
    "energy_table",
    "planted_relationship_groups",
    "recall_table",
    "retrieval_table",
]

#: The detection pairing (``activity.replicate_retrieval``, variant "all").
ENERGY_PAIRS: dict[str, list[str]] = {
    "pos_sameby": [PERT, CONTROL_INDEX],
    "pos_diffby": [],
    "neg_sameby": [PLATE],
    "neg_diffby": [NEGCON],
}


def class_calls(classes: pd.DataFrame) -> pd.DataFrame:
    """A detection class table as the mAP side of the agreement table: ``mAP``, the class
    p-value (geometric mean of the members' AP p-values), its q-value and the call
    (``above_q_threshold``)."""
    require_columns(classes, [PERT, "mAP", "p_value", "q_value", "above_q_threshold"], "detection classes")
    return pd.DataFrame({
        PERT: classes[PERT].astype(str), "mAP": classes["mAP"], "map_p_value": classes["p_value"],
        "map_corrected_p_value": classes["q_value"],
        "map_called": classes["above_q_threshold"].astype(bool),
    })


def energy_table(
    profiles: pd.DataFrame, classes: pd.DataFrame, settings: MapSettings, *, condition: str
) -> pd.DataFrame:
    """Energy distance of every perturbation of one condition to the negative controls of its
    plates, next to its detection call.

    Returns
    -------
    :func:`mapreprod.metrics.agreement_table` with a first column ``scope`` (the condition).
    """
    require_columns(profiles, [PERT, PLATE, NEGCON], "energy_table")
    df = mapeval.assign_reference_index(
        profiles, profiles[NEGCON].to_numpy() == 1, reference_col=CONTROL_INDEX
    )
    meta = df[[PERT, PLATE, NEGCON, CONTROL_INDEX]].astype({PERT: str, PLATE: str})
    feats = df[feature_columns(df)].to_numpy(dtype=np.float64)
    energy = metrics.energy_activity(meta, feats, ENERGY_PAIRS, PERT, settings)
    table = metrics.agreement_table(class_calls(classes), energy, [PERT], settings.threshold)
    table.insert(0, "scope", condition)
    return table


def recall_table(
    profiles: pd.DataFrame, relationships: pd.DataFrame, settings: MapSettings, *, condition: str
) -> pd.DataFrame:
    """Known-relationship recall of one genetic condition's gene-level profiles (every well with
    a gene that is not a negative control; :func:`mapreprod.metrics.relationship_recall`)."""
    require_columns(profiles, [GENE, CONTROL_TYPE], "recall_table")
    keep = profiles[GENE].notna() & profiles[CONTROL_TYPE].ne("negcon")
    part = profiles[keep]
    feats = part[feature_columns(part)].to_numpy(dtype=np.float64)
    return metrics.relationship_recall(
        feats, part[GENE].astype(str).to_numpy(), relationships, settings, scope=condition
    )


def retrieval_table(
    profiles: pd.DataFrame,
    classes: pd.DataFrame,
    annotations: pd.DataFrame,
    settings: MapSettings,
    *,
    condition: str,
) -> pd.DataFrame | None:
    """Retrieval metrics by target of one compound condition's sister-matching profiles
    (consensus of the detected compounds with a target list); None when fewer than two such
    compounds share a target (nothing to retrieve)."""
    cons = compound_targets(replicable_consensus(profiles, classes), annotations)
    labels = cons[TARGET].tolist()
    counts = pd.Series([t for ts in labels for t in set(ts)]).value_counts()
    if cons.empty or not (counts >= 2).any():
        return None
    feats = cons[feature_columns(cons)].to_numpy(dtype=np.float64)
    row, _ = metrics.retrieval_summary(feats, labels, settings, scope=condition, annotation="target")
    return row


def planted_relationship_groups(truth: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The stand-in plants no shared signal between genes (every gene has its own direction:
    ``standin._reagent_truth``), so there are no planted groups; the genes are those of the
    CRISPR and ORF reagents. The stand-in relationships are then random pairs, whose recall is
    the random expectation (a calibration check, not a demonstration of recovery).

    Returns
    -------
    (an empty ``gene``/``group`` table; the sorted genes).
    """
    require_columns(truth, ["modality", "gene"], "cpjump1 planted truth")
    genetic = truth[truth["modality"].isin(["crispr", "orf"]) & truth["gene"].notna()]
    genetic = genetic[~genetic["gene"].astype(str).str.startswith("CONTROL")]
    return pd.DataFrame(columns=["gene", "group"]), sorted(set(genetic["gene"].astype(str)))
