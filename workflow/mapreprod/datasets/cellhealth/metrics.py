"""The other metrics beside mAP on the Cell Health profiles (docs/methods.md §15).

Per cell line, on the MAD-robustized profiles of the activity step (guides with six replicate
wells and the cutting-control wells, :func:`~.preprocess.replicate_subset`):

* energy distance of each guide's replicate wells to the cutting-control wells (the Fig 3B
  pairing: controls on any plate of the cell line), its permutation p-value and the agreement
  with the mAP activity call;
* known-relationship recall of the gene-level profiles (the guides' median consensus profiles of
  the consistency step, averaged per gene; controls left out) against CORUM, hu.MAP, Reactome and
  StringDB (:mod:`mapreprod.annotations`);
* the cell-count baseline (``cellhealth.metrics.cell_count_feature`` of the raw augmented
  profiles, normalized to the cutting controls of each plate), run through the Fig 3B pairing.

No retrieval metrics: the consistency step's annotation is the guide's gene (guides of one gene
retrieving each other), not an annotation shared across genes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapreprod import metrics
from mapreprod.common import require_columns
from mapreprod.settings import MapSettings

from .consistency import consistency_profiles
from .inputs import (
    CELL,
    CONTROL_INDEX,
    CUTTING_CONTROL_GENES,
    EMPTY_GENE,
    GENE,
    IS_CONTROL,
    PERT,
    PLATE,
    cell_lines_present,
    split_cp_profiles,
)
from .preprocess import replicate_subset

__all__ = [
    "ACTIVITY_PAIRS",
    "cell_count_table",
    "energy_table",
    "map_calls",
    "planted_relationship_groups",
    "recall_table",
]

#: The Fig 3B pairing (:func:`~.activity.guide_map`).
ACTIVITY_PAIRS: dict[str, list[str]] = {
    "pos_sameby": [PERT, CONTROL_INDEX],
    "pos_diffby": [],
    "neg_sameby": [],
    "neg_diffby": [PERT, CONTROL_INDEX, IS_CONTROL],
}
_CONTROL_GENES = (*CUTTING_CONTROL_GENES, EMPTY_GENE)


def map_calls(activity: pd.DataFrame, cell_line: str) -> pd.DataFrame:
    """One cell line's rows of the activity table (cutting controls) as the mAP side of the
    agreement table (the call: the paper's ``p < 0.05``, BH-corrected p below the threshold)."""
    require_columns(activity, [PERT, "Cell type", "mAP", "p_value", "corrected_p_value", "p < 0.05"],
                    "Cell Health activity table")
    part = activity[activity["Cell type"] == cell_line]
    return pd.DataFrame({
        PERT: part[PERT].astype(str), "mAP": part["mAP"], "map_p_value": part["p_value"],
        "map_corrected_p_value": part["corrected_p_value"], "map_called": part["p < 0.05"].astype(bool),
    })


def energy_table(profiles: pd.DataFrame, activity: pd.DataFrame, settings: MapSettings) -> pd.DataFrame:
    """Energy distance of every guide to the cutting controls of its cell line, next to its
    activity call, for every cell line.

    Returns
    -------
    :func:`mapreprod.metrics.agreement_table` per cell line, stacked, with a first column
    ``scope`` (the cell line).
    """
    parts = []
    for cell in cell_lines_present(profiles):
        subset = replicate_subset(profiles, cell, "cutting")
        meta, feats = split_cp_profiles(subset)
        energy = metrics.energy_activity(meta, feats, ACTIVITY_PAIRS, PERT, settings)
        table = metrics.agreement_table(map_calls(activity, cell), energy, [PERT], settings.threshold)
        table.insert(0, "scope", cell)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


def recall_table(profiles: pd.DataFrame, relationships: pd.DataFrame, settings: MapSettings) -> pd.DataFrame:
    """Known-relationship recall per cell line of the gene-level profiles: the median consensus
    of each guide (:func:`~.consistency.consistency_profiles`) averaged over the gene's guides
    (:func:`mapreprod.metrics.relationship_recall`); control genes left out."""
    consensus = consistency_profiles(profiles)
    parts = []
    for cell in cell_lines_present(consensus):
        part = consensus[(consensus[CELL] == cell) & ~consensus[GENE].isin(_CONTROL_GENES)]
        _, feats = split_cp_profiles(part.reset_index(drop=True))
        parts.append(metrics.relationship_recall(
            feats, part[GENE].astype(str).to_numpy(), relationships, settings, scope=cell
        ))
    return pd.concat(parts, ignore_index=True)


def cell_count_table(
    raw: pd.DataFrame, activity: pd.DataFrame, settings: MapSettings, *, feature: str
) -> tuple[pd.DataFrame | None, str | None]:
    """The cell-count baseline per cell line (:func:`mapreprod.metrics.cell_count_baseline`).

    Parameters
    ----------
    raw : the raw augmented profiles of the nine plates (after :func:`~.inputs.tidy_metadata`):
        the count is normalized here, to the cutting controls of each plate.
    activity : the activity table (cutting controls).
    settings : the Cell Health engine settings.
    feature : the cell-count column (``cellhealth.metrics.cell_count_feature``).

    Returns
    -------
    (table, None): the baseline tables of the cell lines, stacked, first column ``scope``; or
    (None, why) when it cannot be computed (no such column; a count that is the same in every
    control well of a plate: :func:`mapreprod.metrics.cell_count_problem`).
    """
    if feature not in raw.columns:
        return None, f"the raw profiles have no column {feature!r} (cellhealth.metrics.cell_count_feature)"
    parts = []
    for cell in cell_lines_present(raw):
        subset = replicate_subset(raw, cell, "cutting")
        controls = subset[IS_CONTROL].to_numpy() == 1
        problem = metrics.cell_count_problem(subset[feature], subset[PLATE], controls, feature)
        if problem:
            return None, f"{cell}: {problem}"
        meta = subset[[PERT, PLATE, CONTROL_INDEX, IS_CONTROL]].astype({PERT: str})
        calls = map_calls(activity, cell).rename(columns={PERT: "perturbation"})
        table = metrics.cell_count_baseline(
            meta, subset[feature].to_numpy(dtype=np.float64), perturbation=PERT, plate=PLATE,
            controls=controls, pairs=ACTIVITY_PAIRS, settings=settings, map_calls=calls,
        )
        table.insert(0, "scope", cell)
        parts.append(table)
    return pd.concat(parts, ignore_index=True), None


def planted_relationship_groups(truth: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The stand-in's genes with planted shared signal: within a cell line, the genes whose
    guides change only the Mito features (category "mito") share that subspace; every other
    gene has its own random effect. Groups are "mito <cell line>".

    Returns
    -------
    (groups with columns ``gene``, ``group``; the sorted genes of the stand-in).
    """
    require_columns(truth, [GENE, "Cell type", "category"], "Cell Health planted truth")
    mito = truth[truth["category"] == "mito"].drop_duplicates([GENE, "Cell type"])
    groups = pd.DataFrame({"gene": mito[GENE].astype(str), "group": "mito " + mito["Cell type"].astype(str)})
    genes = sorted(set(truth[GENE].astype(str)) - set(_CONTROL_GENES))
    return groups.reset_index(drop=True), genes
