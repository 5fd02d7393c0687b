"""The other metrics beside mAP on the Perturb-seq bulk profiles (docs/methods.md §15).

On the bulk (pseudo-bulk median) profiles of Fig 4E, their variable genes and the 10
non-targeting guide profiles as controls:

* energy distance of each target gene's guide profiles to the non-targeting guide profiles
  (with ``perturbseq.bulk_unit: gemgroup``, of each guide's per-gem-group profiles), its
  permutation p-value, and the agreement with an mAP activity call at the same level: the
  published bulk calls are per guide (one profile, its positives the gene's other guides), which
  has no replicates of its own to take an energy distance of; so the mAP side is the gene-level
  mAP of the same pairing (guides of a gene retrieving each other against the non-targeting
  guides), with the bulk settings and ``map.test``;
* known-relationship recall of the 25 target genes' profiles (mean of their guides' profiles)
  against CORUM, hu.MAP, Reactome and StringDB.

No retrieval metrics (no annotation shared across genes) and no cell-count baseline
(transcriptomic profiles).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapreprod import metrics
from mapreprod.common import require_columns
from mapreprod.settings import MapSettings

from .activity import bulk_pairs, variable_features, with_reference_index
from .inputs import GENE, GUIDE, MULTIPLET, NEGATIVE

__all__ = ["bulk_design", "energy_table", "planted_relationship_groups", "recall_table"]


def bulk_design(
    bulk: pd.DataFrame, *, unit: str = "guide", variance_threshold: float = 0.001
) -> tuple[pd.DataFrame, np.ndarray, dict[str, list[str]], str]:
    """The bulk profiles as the Fig 4E step scores them: (metadata with the reference index,
    features of the variable genes, the pairing, the group column: the gene for per-guide
    profiles, the guide for per-gem-group profiles)."""
    require_columns(bulk, [GUIDE, GENE], "bulk profiles")
    profiles = with_reference_index(bulk[bulk[GENE] != MULTIPLET])
    genes = variable_features(profiles, variance_threshold)
    meta = profiles[[c for c in profiles.columns if str(c).startswith("Metadata_")]]
    return meta, profiles[genes].to_numpy(dtype=np.float64), bulk_pairs(unit), GENE if unit == "guide" else GUIDE


def energy_table(
    bulk: pd.DataFrame, settings: MapSettings, *, unit: str = "guide", variance_threshold: float = 0.001
) -> pd.DataFrame:
    """Energy distance of every gene's (guide's) profiles to the non-targeting guide profiles,
    next to the mAP call of the same groups (:meth:`MapSettings.group_map`, BH over groups).

    Returns
    -------
    :func:`mapreprod.metrics.agreement_table` with a first column ``scope`` ("bulk, per gene" or
    "bulk, per guide").
    """
    meta, feats, pairs, group = bulk_design(bulk, unit=unit, variance_threshold=variance_threshold)
    scores = settings.group_map(meta, feats, **pairs, sameby=group, analysis="Perturb-seq bulk mAP per gene")
    scores = scores[scores[group] != NEGATIVE]
    energy = metrics.energy_activity(meta, feats, pairs, group, settings)
    table = metrics.agreement_table(
        metrics.engine_map_calls(scores, [group]), energy, [group], settings.threshold
    )
    table.insert(0, "scope", "bulk, per gene" if unit == "guide" else "bulk, per guide")
    return table


def recall_table(
    bulk: pd.DataFrame, relationships: pd.DataFrame, settings: MapSettings, *, variance_threshold: float = 0.001
) -> pd.DataFrame:
    """Known-relationship recall of the target genes (mean of their bulk profiles over the
    variable genes; :func:`mapreprod.metrics.relationship_recall`)."""
    meta, feats, _, _ = bulk_design(bulk, variance_threshold=variance_threshold)
    keep = (meta[GENE] != NEGATIVE).to_numpy()
    return metrics.relationship_recall(
        feats[keep], meta.loc[keep, GENE].astype(str).to_numpy(), relationships, settings, scope="bulk"
    )


def planted_relationship_groups(guides: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The stand-in plants no shared signal between target genes (each shifts its own program of
    genes), so there are no planted groups; the genes are the 25 targets of planted_guides.csv.
    The stand-in relationships are then random pairs (recall = the random expectation).

    Returns
    -------
    (an empty ``gene``/``group`` table; the sorted target genes).
    """
    require_columns(guides, ["gene"], "Perturb-seq planted guides")
    genes = sorted(set(guides["gene"].dropna().astype(str)) - {NEGATIVE})
    return pd.DataFrame(columns=["gene", "group"]), genes
