"""Phenotypic activity (Fig 3B/3C, S6A, S6B): guide replicates against cutting or EMPTY controls."""

from __future__ import annotations

from collections.abc import Sequence

import mapeval
import numpy as np
import pandas as pd

from mapreprod.common import EPS, paper_columns

from .inputs import (
    CONTROL_INDEX,
    CONTROL_LABELS,
    GENE,
    IS_CONTROL,
    PERT,
    PLATE,
    WELL,
    _markers,
    _split,
    cell_lines_present,
)
from .preprocess import replicate_subset


def phenotypic_activity(
    subset: pd.DataFrame,
    null_size: int,
    seed: int = 0,
    features: Sequence[str] | None = None,
    extra_pos_sameby: Sequence[str] = (),
    pos_diffby: Sequence[str] = (),
    neg_diffby: Sequence[str] = (CONTROL_INDEX, IS_CONTROL),
    null_sampler: str = "fast",
    map_null: str = "shared",
    threshold: float = 0.05,
    threads: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """mAP of every guide against the controls of ``subset`` (Fig 3B pairing by default).

    Parameters
    ----------
    subset : output of :func:`replicate_subset` (one cell line, one control type).
    features : feature columns to use; default every CellProfiler column.
    extra_pos_sameby, pos_diffby : the plate/well constraint of Fig 3A.
    neg_diffby : besides ``Metadata_pert_name``; Fig 3B adds ``Metadata_is_control``, Fig 3A not.

    Returns
    -------
    map_table : one row per guide with the paper's columns (``mAP``, ``p_value``,
        ``corrected_p_value`` (BH over the guides of this call), ``below_p``, ``p < 0.05``,
        ``-log10(mAP p-value)``, ``markers`` from the uncorrected p).
    ap_table : one row per guide replicate with ``AP``, ``p_value`` (BH-corrected AP p-value over
        the replicates of this call), ``p < 0.05``, ``-log10(AP p-value)``, ``markers``.
    """
    meta, feats = _split(subset, features)
    ap = mapeval.average_precision(
        meta, feats,
        pos_sameby=[PERT, CONTROL_INDEX, *extra_pos_sameby],
        pos_diffby=list(pos_diffby),
        neg_sameby=[],
        neg_diffby=[PERT, *neg_diffby],
        threads=threads,
    )
    m = mapeval.mean_average_precision(
        ap, PERT, null_size=null_size, threshold=threshold, seed=seed,
        null_sampler=null_sampler, map_null=map_null,
    )
    map_table = paper_columns(m)
    map_table["markers"] = _markers(map_table["below_p"])
    ap = ap.loc[ap["average_precision"].notna()].reset_index(drop=True)
    raw_p = mapeval.ap_p_values(ap, null_size=null_size, seed=seed, null_sampler=null_sampler)
    ap_table = ap.rename(columns={"average_precision": "AP"})
    ap_table["p_value"] = mapeval.benjamini_hochberg(raw_p)
    ap_table["p < 0.05"] = ap_table["p_value"] < threshold
    ap_table["-log10(AP p-value)"] = -np.log10(np.maximum(ap_table["p_value"], EPS))
    ap_table["markers"] = _markers(ap_table["p < 0.05"])
    return map_table, ap_table


def activity_by_cell_line(
    profiles: pd.DataFrame,
    control: str,
    null_size: int,
    seed: int = 0,
    **kwargs,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 3B/3C (cutting controls) or the EMPTY half of S6A: :func:`phenotypic_activity` per
    cell line (BH within each), stacked with a ``Cell type`` column."""
    maps, aps = [], []
    for cell in cell_lines_present(profiles):
        subset = replicate_subset(profiles, cell, control)
        m, a = phenotypic_activity(subset, null_size, seed, **kwargs)
        m["Cell type"] = cell
        a["Cell type"] = cell
        maps.append(m)
        aps.append(a)
    map_cols = [PERT, "mAP", "p_value", "corrected_p_value", "below_p", "p < 0.05",
                "-log10(mAP p-value)", "Cell type", "markers"]
    ap_cols = [PERT, GENE, PLATE, WELL, "AP", "p_value", "p < 0.05", "-log10(AP p-value)",
               "Cell type", "markers"]
    return (pd.concat(maps, ignore_index=True)[map_cols],
            pd.concat(aps, ignore_index=True)[ap_cols])


def _map_only(subset, null_size, seed, extra_same, diff, threshold, null_sampler="fast",
              map_null="shared", features=None, neg_diffby=(CONTROL_INDEX,), threads=None):
    """Guide mAP against controls without the AP-level p-values (Fig 3A, 3D, S6C)."""
    meta, feats = _split(subset, features)
    ap = mapeval.average_precision(
        meta, feats, pos_sameby=[PERT, CONTROL_INDEX, *extra_same], pos_diffby=list(diff),
        neg_sameby=[], neg_diffby=[PERT, *neg_diffby], threads=threads,
    )
    m = mapeval.mean_average_precision(ap, PERT, null_size=null_size, threshold=threshold,
                                       seed=seed, null_sampler=null_sampler, map_null=map_null)
    return m, ap


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

