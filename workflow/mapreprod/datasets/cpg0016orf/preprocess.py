"""Annotation and well filters before the S7B activity test (docs/methods.md §5, the authors'
``1_phenotypic_activity_orf.py`` with ``orf_utils``).

The published profiles are already normalized, feature-selected, sphered and Harmony-corrected;
what remains is to label the wells and drop the ones the authors drop, in their order:

1. :func:`annotate`: inner join of the wells with the ORF annotation (Morphmap
   ``orf_metadata.tsv.gz``) stacked on the JUMP compound ids, labelled pert_type ``empty``
   (``JCP2022_999999``) or ``poscon`` (every other compound).
2. :func:`remove_empty_wells`: pert_type ``empty``, then missing ``Metadata_broad_sample``, then
   missing ``Metadata_Symbol``.
3. :func:`remove_poscon`: pert_type ``poscon`` (eGFP and any compound).
4. :func:`remove_bad_construct`: ``Metadata_broad_sample == "BAD CONSTRUCT"``.
5. :func:`nan_feature_columns`: feature columns with a NaN in any remaining well are dropped.
6. :func:`add_plate_map` + :func:`remove_low_infection_wells`: plate map name from the
   experiment metadata (barcode = ``Metadata_Plate``, left join), then an anti-join on
   (plate map name, well, broad sample) with the low-infection / outlier reagent list.

Comparisons follow pandas ``query`` semantics, as the authors wrote them: a missing pert_type is
not equal to ``"empty"``, so such wells are kept by step 2's first test. Joins keep pandas' row
order (inner/left: the order of the wells), so the output rows are in the authors' order.

Metadata is filtered on its own and the (large) feature matrix is gathered once at the end:
``_row`` carries each well's row in the input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .inputs import (
    BAD_CONSTRUCT,
    EMPTY_JCP,
    ORF_METADATA_REQUIRED,
    PROFILE_METADATA,
    REAGENT_KEYS,
    Profiles,
    check_columns,
)

#: Column carrying each well's row in the input profile table through joins and filters.
ROW = "_row"
#: Column added by :func:`add_plate_map`.
PLATE_MAP = "Metadata_plate_map_name"
JCP = "Metadata_JCP2022"
PERT_TYPE = "Metadata_pert_type"

__all__ = [
    "ROW",
    "add_plate_map",
    "annotate",
    "annotation_table",
    "filter_profiles",
    "nan_feature_columns",
    "remove_bad_construct",
    "remove_empty_wells",
    "remove_low_infection_wells",
    "remove_poscon",
]


def annotation_table(orf_metadata: pd.DataFrame, compounds: pd.DataFrame) -> pd.DataFrame:
    """The ORF annotation with the compound ids appended (the authors' ``add_annotations``).

    Compounds get only ``Metadata_JCP2022`` and ``Metadata_pert_type``: ``"empty"`` for
    ``JCP2022_999999``, ``"poscon"`` for every other compound. Stacked with an outer column join,
    so compound rows have NaN in the ORF columns.
    """
    check_columns(orf_metadata, ORF_METADATA_REQUIRED, "ORF metadata")
    check_columns(compounds, [JCP], "compound table")
    labelled = compounds[[JCP]].assign(
        **{PERT_TYPE: np.where(compounds[JCP] == EMPTY_JCP, "empty", "poscon")}
    )
    return pd.concat([orf_metadata, labelled], join="outer", ignore_index=True)


def annotate(meta: pd.DataFrame, annotations: pd.DataFrame) -> pd.DataFrame:
    """Inner join of the wells with the annotation on ``Metadata_JCP2022`` (wells' order).

    A JCP2022 id listed twice in the annotation duplicates its wells, as in the authors' merge.

    Raises
    ------
    ValueError
        If a profile metadata column other than the id is also an annotation column (the join
        would rename both with suffixes).
    """
    check_columns(meta, [JCP], "profiles")
    clash = sorted((set(meta.columns) & set(annotations.columns)) - {JCP})
    if clash:
        raise ValueError(
            f"profiles already have annotation column(s) {clash}: the harmonized profiles should "
            f"carry only {list(PROFILE_METADATA)} as metadata"
        )
    return meta.merge(annotations, on=JCP, how="inner")


def remove_empty_wells(meta: pd.DataFrame) -> pd.DataFrame:
    """Drop pert_type ``empty``, then missing broad sample, then missing symbol (``orf_utils``)."""
    check_columns(meta, [PERT_TYPE, "Metadata_broad_sample", "Metadata_Symbol"], "annotated wells")
    meta = meta[~(meta[PERT_TYPE] == "empty")].reset_index(drop=True)
    meta = meta.dropna(subset=["Metadata_broad_sample"]).reset_index(drop=True)
    return meta.dropna(subset=["Metadata_Symbol"]).reset_index(drop=True)


def remove_poscon(meta: pd.DataFrame) -> pd.DataFrame:
    """Drop pert_type ``poscon`` (missing pert_type is kept, as by ``query("...!='poscon'")``)."""
    return meta[~(meta[PERT_TYPE] == "poscon")].reset_index(drop=True)


def remove_bad_construct(meta: pd.DataFrame) -> pd.DataFrame:
    """Drop the wells of the ``BAD CONSTRUCT`` reagent."""
    return meta[~(meta["Metadata_broad_sample"] == BAD_CONSTRUCT)].reset_index(drop=True)


def nan_feature_columns(
    features: np.ndarray, rows: np.ndarray, names: Sequence[str], chunk: int = 8192
) -> list[str]:
    """Feature columns with a NaN in any of ``rows`` (the authors' ``remove_nan_features``)."""
    has_nan = np.zeros(features.shape[1], dtype=bool)
    for start in range(0, len(rows), chunk):
        has_nan |= np.isnan(features[rows[start : start + chunk]]).any(axis=0)
    return [n for n, bad in zip(names, has_nan) if bad]


def add_plate_map(meta: pd.DataFrame, experiment: pd.DataFrame) -> pd.DataFrame:
    """Left join of ``Plate_Map_Name`` (as ``Metadata_plate_map_name``) on the plate barcode."""
    check_columns(experiment, ["Plate_Map_Name", "Assay_Plate_Barcode"], "experiment metadata")
    plate_maps = experiment[["Plate_Map_Name", "Assay_Plate_Barcode"]].rename(
        columns={"Plate_Map_Name": PLATE_MAP, "Assay_Plate_Barcode": "Metadata_Plate"}
    )
    return meta.merge(plate_maps, on="Metadata_Plate", how="left")


def remove_low_infection_wells(meta: pd.DataFrame, reagents: pd.DataFrame) -> pd.DataFrame:
    """Anti-join on (plate map name, well, broad sample) with the low-infection reagent list."""
    keys = list(REAGENT_KEYS)
    check_columns(reagents, keys, "low-infection reagent list")
    check_columns(meta, keys, "annotated wells")
    merged = meta.merge(reagents[keys], on=keys, how="left", indicator=True)
    return merged[merged["_merge"] == "left_only"].drop(columns=["_merge"])


def _counts(step: str, meta: pd.DataFrame, n_features: int) -> dict:
    return {
        "step": step,
        "wells": len(meta),
        "perturbations": int(meta[JCP].nunique()),
        "features": n_features,
    }


def filter_profiles(
    profiles: Profiles,
    orf_metadata: pd.DataFrame,
    compounds: pd.DataFrame,
    experiment: pd.DataFrame,
    reagents: pd.DataFrame,
) -> tuple[Profiles, pd.DataFrame]:
    """Annotate and filter the wells for the activity test (steps 1-6 of this module).

    Returns
    -------
    profiles : the kept wells, in the authors' row order, with every annotation column, the
        plate map name and the features without NaN.
    steps : one row per step: ``step``, ``wells``, ``perturbations`` (distinct JCP2022 ids),
        ``features``; plus two rows ``orf_reagents`` / ``genes`` counting the distinct ORF ids
        and NCBI gene ids (controls included) among the annotated wells (``wells`` = that count).
    """
    n_feat = len(profiles.feature_names)
    meta = profiles.meta.assign(**{ROW: np.arange(len(profiles))})
    steps = [_counts("profiles", meta, n_feat)]
    meta = annotate(meta, annotation_table(orf_metadata, compounds))
    steps.append(_counts("annotated", meta, n_feat))
    orf_ids = set(orf_metadata[JCP].dropna())
    orf_wells = meta[meta[JCP].isin(orf_ids)]
    meta = remove_empty_wells(meta)
    steps.append(_counts("remove empty wells", meta, n_feat))
    meta = remove_poscon(meta)
    steps.append(_counts("remove poscon", meta, n_feat))
    meta = remove_bad_construct(meta)
    steps.append(_counts("remove BAD CONSTRUCT", meta, n_feat))
    rows = meta[ROW].to_numpy()
    dropped = set(nan_feature_columns(profiles.features, rows, profiles.feature_names))
    keep_cols = [j for j, n in enumerate(profiles.feature_names) if n not in dropped]
    if not keep_cols:
        raise ValueError("profiles: every feature column has a NaN in the remaining wells")
    steps.append(_counts("remove NaN features", meta, len(keep_cols)))
    meta = remove_low_infection_wells(add_plate_map(meta, experiment), reagents)
    steps.append(_counts("remove low-infection wells", meta, len(keep_cols)))
    if meta.empty:
        raise ValueError("profiles: no well is left after the annotation and filters")
    rows = meta.pop(ROW).to_numpy()
    features = profiles.features[np.ix_(rows, np.asarray(keep_cols))]
    names = [profiles.feature_names[j] for j in keep_cols]
    table = pd.DataFrame(steps)
    extra = pd.DataFrame(
        [
            {"step": "orf_reagents", "wells": int(orf_wells[JCP].nunique())},
            {"step": "genes", "wells": int(orf_wells["Metadata_NCBI_Gene_ID"].nunique())},
        ]
    )
    return Profiles(meta.reset_index(drop=True), features, names), pd.concat(
        [table, extra], ignore_index=True
    )
