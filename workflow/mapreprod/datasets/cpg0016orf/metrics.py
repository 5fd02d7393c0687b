"""The other metrics beside mAP on the cpg0016[orf] profiles (docs/methods.md §15).

On the wells the Fig S7B activity step scores (:func:`~.preprocess.filter_profiles`):

* energy distance of each ORF's replicate wells to the negative-control ORF wells of their
  plates (the S7B pairing: controls and relabelings per plate), its permutation p-value and the
  agreement with the mAP activity call (q < ``cpg0016orf.activity_fdr``);
* known-relationship recall of the gene-level profiles (the mean of every ORF well of a gene,
  by approved symbol) against CORUM, hu.MAP, Reactome and StringDB
  (:mod:`mapreprod.annotations`).

No retrieval metrics: the consistency step's annotation is the CORUM complex, a gene-gene
relationship that the recall measures. No cell-count baseline: the harmonized profiles have the
cell count regressed out (the ``cc`` of ``wellpos_cc_var_mad_outlier_featselect_sphering_harmony``)
and carry no count.
"""

from __future__ import annotations

import mapeval
import pandas as pd

from mapreprod import metrics
from mapreprod.settings import MapSettings

from .activity import NEGCON, add_negcon
from .inputs import Profiles, check_columns

__all__ = [
    "ENERGY_PAIRS",
    "GENE",
    "JCP",
    "energy_table",
    "gene_symbols",
    "planted_relationship_groups",
    "recall_table",
]

JCP = "Metadata_JCP2022"
#: The gene of an ORF well: its approved symbol (Morphmap joins CORUM on it), else its symbol.
GENE = "Metadata_Approved_Symbol"
_REFERENCE = "Metadata_negcon_index"
#: The S7B pairing (:data:`~.activity.ACTIVITY_PAIRS`) with the negcon wells given a reference
#: index, so that they form no positive pair and are no group of the energy test (the activity
#: step drops their APs instead); the ORF wells' pairs are unchanged.
ENERGY_PAIRS: dict[str, list[str]] = {
    "pos_sameby": [JCP, _REFERENCE],
    "pos_diffby": [],
    "neg_sameby": ["Metadata_Plate"],
    "neg_diffby": [NEGCON],
}


def energy_table(profiles: Profiles, activity: pd.DataFrame, settings: MapSettings) -> pd.DataFrame:
    """Energy distance of every ORF's wells to the negcon wells of their plates, next to its
    S7B activity call.

    Parameters
    ----------
    profiles : the filtered wells of the activity step.
    activity : the S7B mAP table (engine columns; calls at q < the settings' threshold).
    settings : the activity step's settings (threshold = ``cpg0016orf.activity_fdr``).

    Returns
    -------
    :func:`mapreprod.metrics.agreement_table` with a first column ``scope`` ("ORF").
    """
    check_columns(profiles.meta, [JCP, "Metadata_Plate"], "energy wells")
    meta = add_negcon(profiles.meta)
    meta = mapeval.assign_reference_index(
        meta, meta[NEGCON].to_numpy() == 1, reference_col=_REFERENCE
    )
    energy = metrics.energy_activity(meta, profiles.features, ENERGY_PAIRS, JCP, settings)
    table = metrics.agreement_table(
        metrics.engine_map_calls(activity, [JCP]), energy, [JCP], settings.threshold
    )
    table.insert(0, "scope", "ORF")
    return table


def gene_symbols(meta: pd.DataFrame) -> pd.Series:
    """The gene of every well: ``Metadata_Approved_Symbol``, else ``Metadata_Symbol``; NaN for
    wells without either (controls)."""
    check_columns(meta, ["Metadata_Symbol"], "ORF wells")
    symbol = meta["Metadata_Symbol"]
    if GENE in meta.columns:
        symbol = meta[GENE].where(meta[GENE].notna(), symbol)
    return symbol


def recall_table(profiles: Profiles, relationships: pd.DataFrame, settings: MapSettings) -> pd.DataFrame:
    """Known-relationship recall of the ORF gene-level profiles (every non-control well of a gene
    averaged; :func:`mapreprod.metrics.relationship_recall`), one row per source."""
    meta = profiles.meta
    genes = gene_symbols(meta)
    keep = (meta["Metadata_pert_type"] == "trt").to_numpy() & genes.notna().to_numpy()
    return metrics.relationship_recall(
        profiles.features[keep], genes[keep].astype(str).to_numpy(), relationships, settings,
        scope="ORF",
    )


def planted_relationship_groups(truth: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The stand-in's genes with planted shared signal: the members of each consistent complex
    (``consistent_complexes`` of planted_truth.csv), and every gene of the stand-in.

    Returns
    -------
    (groups with columns ``gene``, ``group``; the sorted gene symbols).
    """
    check_columns(truth, ["Metadata_Symbol", "consistent_complexes"], "cpg0016orf planted truth")
    long = truth.assign(group=truth["consistent_complexes"].fillna("").astype(str).str.split("|"))
    long = long.explode("group")
    long = long[long["group"].str.strip() != ""]
    groups = pd.DataFrame({"gene": long["Metadata_Symbol"].astype(str), "group": long["group"]})
    genes = sorted(set(truth["Metadata_Symbol"].dropna().astype(str)))
    return groups.drop_duplicates().reset_index(drop=True), genes
