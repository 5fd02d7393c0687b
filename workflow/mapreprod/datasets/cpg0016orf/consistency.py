"""Fig S7D: phenotypic consistency of active ORFs by CORUM protein complex.

As the authors' ``2_phenotypic_consistency_corum_complex.py``:

1. :func:`active_perturbations`: the ORFs with ``below_corrected_p`` in the S7B table (q < 0.1
   with the authors' FDR).
2. :func:`complex_annotations`: ORF annotation rows with no missing value in
   [``Metadata_JCP2022``, ``Metadata_complexname``, ``Metadata_pert_type``,
   ``Metadata_NCBI_Gene_ID``]; ``Metadata_corum_complex_list`` = the complex names split on "|".
3. :func:`select_active_wells`: inner joins of the well profiles with the active ids, then with
   the annotation. The authors join the *whole* profile table here, not the wells that passed the
   S7B filters, so low-infection wells of active ORFs come back (``cpg0016orf.consistency_wells:
   filtered`` uses the filtered wells instead).
4. :func:`consensus`: median of every feature per ``Metadata_NCBI_Gene_ID`` (all ORFs of a gene
   pooled), metadata from the gene's first well; duplicate complexes removed from each list.
   ``cpg0016orf.consensus_by: perturbation`` takes the median per ORF (``Metadata_JCP2022``)
   instead, as the paper's text words it ("aggregated ... on a per-perturbation basis").
5. :func:`phenotypic_consistency`: multilabel AP, positives = consensus profiles sharing the
   complex, negatives = profiles sharing no complex with the query; mAP per complex, null 20,000,
   seed 12527, BH at 0.05.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from mapreprod.settings import MapSettings

from .inputs import ORF_METADATA_REQUIRED, PROFILE_METADATA, Profiles, check_columns
from .preprocess import ROW

JCP = "Metadata_JCP2022"
COMPLEX = "Metadata_complexname"
COMPLEX_LIST = "Metadata_corum_complex_list"
#: Consensus grouping column per ``cpg0016orf.consensus_by`` value.
CONSENSUS_BY: dict[str, str] = {"gene": "Metadata_NCBI_Gene_ID", "perturbation": JCP}
#: Pair definition of the consistency test (multilabel on the complex list).
CONSISTENCY_PAIRS: dict[str, list[str]] = {
    "pos_sameby": [COMPLEX_LIST],
    "pos_diffby": [],
    "neg_sameby": [],
    "neg_diffby": [COMPLEX_LIST],
}
#: The authors' engine settings of the consistency call: null 20,000, seed 12527, BH at 0.05.
AUTHORS_SETTINGS = MapSettings(null_size=20_000, seed=12527, threshold=0.05)

__all__ = [
    "AUTHORS_SETTINGS",
    "COMPLEX",
    "COMPLEX_LIST",
    "CONSENSUS_BY",
    "CONSISTENCY_PAIRS",
    "active_perturbations",
    "complex_annotations",
    "consensus",
    "phenotypic_consistency",
    "select_active_wells",
]


def active_perturbations(activity_map: pd.DataFrame) -> list[str]:
    """JCP2022 ids of the ORFs retrieved in the activity test (``below_corrected_p`` true)."""
    check_columns(activity_map, [JCP, "below_corrected_p"], "activity mAP table")
    hit = activity_map["below_corrected_p"].astype(bool)
    return activity_map.loc[hit, JCP].astype(str).tolist()


def complex_annotations(orf_metadata: pd.DataFrame) -> pd.DataFrame:
    """One row per annotated ORF: id, complex names, pert_type, gene id and the complex list."""
    check_columns(orf_metadata, ORF_METADATA_REQUIRED, "ORF metadata")
    cols = [JCP, COMPLEX, "Metadata_pert_type", "Metadata_NCBI_Gene_ID"]
    table = orf_metadata[cols].dropna()
    return table.assign(**{COMPLEX_LIST: list(table[COMPLEX].str.split("|"))})


def select_active_wells(
    profiles: Profiles,
    active: Collection[str],
    annotations: pd.DataFrame,
    *,
    key_columns_only: bool = False,
) -> Profiles:
    """Wells of the active ORFs, joined with their complex annotation (wells' order).

    Parameters
    ----------
    profiles : well profiles (the whole table, as the authors; or the filtered S7B wells).
    active : JCP2022 ids retrieved in the activity test.
    annotations : :func:`complex_annotations` output.
    key_columns_only : keep only :data:`.inputs.PROFILE_METADATA` of the wells' metadata before
        joining (needed for the filtered S7B wells, which already carry annotation columns).
    """
    meta = profiles.meta
    if key_columns_only:
        meta = meta[list(PROFILE_METADATA)]
    meta = meta.assign(**{ROW: np.arange(len(profiles))})
    ids = pd.DataFrame({JCP: pd.unique(pd.Series(list(active), dtype=object))})
    if len(ids):
        ids[JCP] = ids[JCP].astype(meta[JCP].dtype)
    meta = meta.merge(ids, on=JCP, how="inner").merge(annotations, on=JCP, how="inner")
    if meta.empty:
        raise ValueError(
            "consistency: no well of an active ORF has a CORUM complex annotation "
            f"({len(ids)} active ORFs)"
        )
    rows = meta.pop(ROW).to_numpy()
    return Profiles(meta, profiles.features[rows], profiles.feature_names)


def consensus(profiles: Profiles, by: str = CONSENSUS_BY["gene"]) -> Profiles:
    """Median consensus profile per ``by`` (the authors' ``orf_utils.consensus``).

    Metadata is the first well's of each group (in row order), features the median of the
    group's wells (pandas ``groupby(by).median()``, which skips NaN); rows follow the groups' first
    appearance. Duplicate complexes are removed from each ``Metadata_corum_complex_list``.
    """
    check_columns(profiles.meta, [by], "consensus wells")
    frame = profiles.to_frame()
    meta_cols = [c for c in profiles.meta.columns if c.startswith("Metadata_")]
    metadata = frame[meta_cols].drop_duplicates(subset=[by])
    medians = frame[[by, *profiles.feature_names]].groupby([by]).median().reset_index()
    merged = metadata.merge(medians, on=by)
    if COMPLEX_LIST in merged.columns:
        merged[COMPLEX_LIST] = [list(dict.fromkeys(x)) for x in merged[COMPLEX_LIST]]
    meta = merged[meta_cols].reset_index(drop=True)
    return Profiles(meta, merged[profiles.feature_names].to_numpy(), profiles.feature_names)


def phenotypic_consistency(
    consensus_profiles: Profiles, settings: MapSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Multilabel AP of each consensus profile per complex, and mAP per complex (Fig S7D).

    ``settings``: the engine's; its ``threshold`` is the BH level of a consistent complex
    (``cpg0016orf.consistency_fdr``, the authors' 0.05: :data:`AUTHORS_SETTINGS`).

    Returns
    -------
    ap : one row per (consensus profile, complex) with at least one positive pair.
    map : one row per complex (``Metadata_corum_complex_list`` holds the complex name), with
        ``test`` (multilabel: under ``map.test: permutation`` the shared null runs and ``test``
        says so).
    """
    check_columns(consensus_profiles.meta, [COMPLEX_LIST], "consensus profiles")
    ap = settings.multilabel_average_precision(
        consensus_profiles.meta,
        consensus_profiles.features,
        **CONSISTENCY_PAIRS,
        multilabel_col=COMPLEX_LIST,
    )
    scores = settings.multilabel_group_map(
        consensus_profiles.meta, consensus_profiles.features, **CONSISTENCY_PAIRS,
        multilabel_col=COMPLEX_LIST, sameby=[COMPLEX_LIST], ap=ap, analysis="ORF consistency (S7D)",
    )
    return ap, scores
