"""Phenotypic activity (Fig 3B/3C, S6A, S6B): guide replicates against cutting or EMPTY controls."""

from __future__ import annotations

from collections.abc import Sequence

import mapeval
import numpy as np
import pandas as pd

from mapreprod.common import EPS, paper_columns
from mapreprod.settings import TEST_COLUMN, MapSettings, test_columns

from .inputs import (
    CONTROL_INDEX,
    CONTROL_LABELS,
    GENE,
    IS_CONTROL,
    PERT,
    PLATE,
    WELL,
    cell_lines_present,
    significance_markers,
    split_cp_profiles,
)
from .preprocess import replicate_subset

#: Why the label-permutation test does not apply to Fig 3A's plate / well modes (the ``test``
#: column of their calls; docs/methods.md §1.9).
RESTRICTED_POSITIVES = "positives restricted by plate or well"


def guide_map(
    subset: pd.DataFrame,
    settings: MapSettings,
    features: Sequence[str] | None = None,
    extra_pos_sameby: Sequence[str] = (),
    pos_diffby: Sequence[str] = (),
    neg_diffby: Sequence[str] = (CONTROL_INDEX, IS_CONTROL),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every guide's replicates retrieved against the controls of ``subset``: the step all Cell
    Health activity analyses share (Fig 3A, 3B, 3D, S6A, S6C).

    The pairing is the reference-index design of the authors' code: positives share the guide
    and ``Metadata_control_index`` (so controls never pair with each other) plus
    ``extra_pos_sameby`` and differ in ``pos_diffby``; negatives differ in the guide and in
    ``neg_diffby`` (Fig 3B adds ``Metadata_is_control``; Fig 3A pairs without it).

    Parameters
    ----------
    subset : output of :func:`replicate_subset` (one cell line, one control type), or a part of
        it (Fig 3A: one pair of plates).
    settings : the engine settings (similarity, null size, threshold, seed, sampler, null).
    features : feature columns to use; default every CellProfiler column.

    Returns
    -------
    map_scores : the engine's mAP table, one row per guide (``mean_average_precision``,
        ``p_value``, ``corrected_p_value`` (BH over the guides of this call), ``below_p``, ...,
        ``test``: the test of ``map.test`` that made the call,
        :meth:`~mapreprod.settings.MapSettings.group_map`; with ``extra_pos_sameby`` or
        ``pos_diffby`` the permutation test is undefined and the shared null runs).
    ap : the engine's AP table, one row per profile (controls have no AP).
    """
    meta, feats = split_cp_profiles(subset, features)
    pairs = {
        "pos_sameby": [PERT, CONTROL_INDEX, *extra_pos_sameby],
        "pos_diffby": list(pos_diffby),
        "neg_sameby": [],
        "neg_diffby": [PERT, *neg_diffby],
    }
    ap = settings.average_precision(meta, feats, **pairs)
    # Fig 3A keeps only the positives in the same (or another) plate or well: a relabelling of
    # the guide's pool would not keep that restriction, so the permutation test is undefined
    restricted = RESTRICTED_POSITIVES if (extra_pos_sameby or pos_diffby) else None
    m = settings.group_map(meta, feats, **pairs, sameby=PERT, ap=ap,
                           permutation_undefined=restricted, analysis="Cell Health guide activity")
    return m, ap


def replicate_ap_table(ap: pd.DataFrame, settings: MapSettings) -> pd.DataFrame:
    """Replicate-level AP with the authors' columns (Fig 3C, 3F): the profiles that have an AP,
    ``AP``, ``p_value`` (the AP p-value, BH-corrected over the rows of ``ap``), ``p < 0.05``
    (below ``settings.threshold``), ``-log10(AP p-value)``, ``markers`` and ``test`` (AP-level
    p-values: the exact null under ``map.test: exact``, else the sampled one; the permutation test
    has no AP-level version)."""
    ap = ap.loc[ap["average_precision"].notna()].reset_index(drop=True)
    raw_p = settings.ap_p_values(ap)
    table = ap.rename(columns={"average_precision": "AP"})
    table["p_value"] = mapeval.benjamini_hochberg(raw_p)
    table["p < 0.05"] = table["p_value"] < settings.threshold
    table["-log10(AP p-value)"] = -np.log10(np.maximum(table["p_value"], EPS))
    table["markers"] = significance_markers(table["p < 0.05"])
    table[TEST_COLUMN] = settings.ap_test_label()
    return table


def phenotypic_activity(
    subset: pd.DataFrame,
    settings: MapSettings,
    features: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """mAP of every guide against the controls of ``subset`` (Fig 3B pairing, :func:`guide_map`).

    Parameters
    ----------
    subset : output of :func:`replicate_subset` (one cell line, one control type).
    settings : the engine settings.
    features : feature columns to use; default every CellProfiler column.

    Returns
    -------
    map_table : one row per guide with the paper's columns (``mAP``, ``p_value``,
        ``corrected_p_value`` (BH over the guides of this call), ``below_p``, ``p < 0.05``,
        ``-log10(mAP p-value)``, ``markers`` from the uncorrected p, ``test``).
    ap_table : one row per guide replicate (:func:`replicate_ap_table`: BH-corrected AP p-value
        over the replicates of this call).
    """
    m, ap = guide_map(subset, settings, features)
    map_table = paper_columns(m)
    map_table["markers"] = significance_markers(map_table["below_p"])
    return map_table, replicate_ap_table(ap, settings)


def activity_by_cell_line(
    profiles: pd.DataFrame,
    control: str,
    settings: MapSettings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 3B/3C (cutting controls) or the EMPTY half of S6A: :func:`phenotypic_activity` per
    cell line (BH within each), stacked with a ``Cell type`` column."""
    maps, aps = [], []
    for cell in cell_lines_present(profiles):
        subset = replicate_subset(profiles, cell, control)
        m, a = phenotypic_activity(subset, settings)
        m["Cell type"] = cell
        a["Cell type"] = cell
        maps.append(m)
        aps.append(a)
    map_table = pd.concat(maps, ignore_index=True)
    map_cols = [PERT, "mAP", "p_value", "corrected_p_value", "below_p", "p < 0.05",
                "-log10(mAP p-value)", "Cell type", "markers", *test_columns(map_table)]
    ap_cols = [PERT, GENE, PLATE, WELL, "AP", "p_value", "p < 0.05", "-log10(AP p-value)",
               "Cell type", "markers", TEST_COLUMN]
    return map_table[map_cols], pd.concat(aps, ignore_index=True)[ap_cols]


def activity_with_controls(cutting_map: pd.DataFrame, empty_map: pd.DataFrame,
                           guide_genes: pd.DataFrame) -> pd.DataFrame:
    """``phenotypic_activity_empty.csv`` (S6A): both control types stacked, with
    ``control_barcodes``, ``const`` and the guide's ``Metadata_gene_name``."""
    parts = []
    for control, table in (("cutting", cutting_map), ("empty", empty_map)):
        t = table.copy()
        t["const"] = 1
        t["control_barcodes"] = CONTROL_LABELS[control]
        parts.append(t)
    genes = guide_genes[[PERT, GENE]].drop_duplicates(PERT)
    return pd.concat(parts, ignore_index=True).merge(genes, on=PERT, how="left")


def merge_ceres(activity: pd.DataFrame, ceres: pd.DataFrame) -> pd.DataFrame:
    """Join guide activity (S6A table) to CERES by gene and cell line.

    Gene names are matched to CERES symbols case-insensitively (mygene's symbol scope is
    case-insensitive, e.g. Cell Health's ``HIF1a`` is ``HIF1A``); the Entrez id then comes
    from the CERES column name. Genes without a CERES column are dropped.
    """
    lookup = ceres.assign(_key=ceres["symbol"].str.upper())
    act = activity.assign(_key=activity[GENE].astype(str).str.upper())
    merged = act.merge(lookup.drop(columns=["symbol"]), on=["_key", "Cell type"], how="inner")
    return merged.drop(columns=["_key"]).rename(columns={"entrez": "_id"})

