"""Single-cell phenotypic activity of Mitocheck cells (docs/methods.md §8, the authors' ``2_calculate_map.py``).

One AP per labelled cell, no aggregation. For a grouping G (``Metadata_Gene`` or
``Mitocheck_Phenotypic_Class``) the positives of a cell are the other labelled cells with the
same G, and its negatives are all sampled control cells:

- ``Metadata_control_index`` = the row index for control cells, -1 otherwise;
- pos_sameby = [G, control index], pos_diffby = [], neg_sameby = [], neg_diffby = [G, control index];
- cosine similarity, run separately on the CellProfiler (``CP__``) and DeepProfiler (``DP__``)
  features; control rows dropped from the result.

Each AP gets the permutation p-value (1 + #{null >= AP}) / (1 + null_size) of its (positives,
pairs) configuration (docs/methods.md §1.5, seed 0). The authors' ``p < 0.05`` and ``-log10(AP p-value)``
use this raw p-value, although the figure captions say Benjamini-Hochberg: config key
``mitocheck.p_value_correction`` (``none``, the code; ``bh``, the captions). The "mAP" the paper
quotes is the mean of the cells' APs, "retrieved" the share of cells with p < 0.05.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

import mapeval
from mapreprod.settings import TEST_COLUMN, MapSettings

from .inputs import CLASS, CONTROL_CLASS, FEATURE_LABELS, GENE, feature_columns, metadata_columns

CONTROL_INDEX = "Metadata_control_index"
#: The two groupings, by their short name (config, file names use the column names).
GROUPINGS: dict[str, str] = {"gene": GENE, "class": CLASS}
#: p-value corrections: ``none`` = the authors' code, ``bh`` = the figure captions.
CORRECTIONS = ("none", "bh")
#: Result columns after the metadata (the authors' ``{grouping}_ap_results.csv``), plus
#: ``corrected_p_value`` (BH over the cells of one feature set, kept whatever the correction)
#: and ``test`` (the null of the AP p-values: exact under ``map.test: exact``, else sampled; the
#: label-permutation test has no AP-level version, docs/methods.md §1.9).
RESULT_COLUMNS = [
    "n_pos_pairs",
    "n_total_pairs",
    "average_precision",
    "p_value",
    "corrected_p_value",
    "p < 0.05",
    "-log10(AP p-value)",
    "Features",
    TEST_COLUMN,
]

__all__ = [
    "CONTROL_INDEX",
    "CORRECTIONS",
    "GROUPINGS",
    "RESULT_COLUMNS",
    "assign_control_index",
    "grouping_ap",
    "single_cell_ap",
    "summarize",
]


def assign_control_index(df: pd.DataFrame) -> pd.DataFrame:
    """Copy (index reset) with ``Metadata_control_index`` = row position for control cells, -1
    for labelled cells: controls never pair as positives, and every (cell, control) pair is a
    negative."""
    return mapeval.assign_reference_index(df, (df[CLASS] == CONTROL_CLASS).to_numpy(), CONTROL_INDEX)


def _check_grouping(grouping: str) -> str:
    if grouping in GROUPINGS:
        return GROUPINGS[grouping]
    if grouping in GROUPINGS.values():
        return grouping
    raise ValueError(f"unknown grouping {grouping!r}; use one of {list(GROUPINGS)} "
                     f"or {list(GROUPINGS.values())}")


def single_cell_ap(
    df: pd.DataFrame,
    grouping: str,
    feature_set: str,
    settings: MapSettings,
    *,
    correction: str = "none",
) -> pd.DataFrame:
    """AP and p-value of every labelled cell for one grouping and one feature set.

    Parameters
    ----------
    df : the preprocessed table (:func:`~.preprocess.preprocess_cells`): labelled cells and controls.
    grouping : ``"gene"``/``"class"`` or the column ``Metadata_Gene``/``Mitocheck_Phenotypic_Class``.
    feature_set : ``"cp"`` or ``"dp"``.
    settings : the engine settings: similarity, batch size and threads of the APs; null size,
        seed, sampler and test of the per-AP nulls (:meth:`MapSettings.ap_p_values`); ``threshold``,
        the significance level of ``p < 0.05``.
    correction : ``"none"`` (raw p, the authors' code) or ``"bh"`` (Benjamini-Hochberg over the
        cells of this call) for ``p < 0.05`` and ``-log10(AP p-value)``.

    Returns
    -------
    DataFrame
        One row per labelled cell, in table order: every metadata column (including
        ``Metadata_control_index``) then :data:`RESULT_COLUMNS`. Cells without positives (a gene
        with one cell) have NaN AP and p-value, and ``p < 0.05`` False.
    """
    column = _check_grouping(grouping)
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown p-value correction {correction!r} (config key "
                         f"mitocheck.p_value_correction); use one of {list(CORRECTIONS)}")
    df = df if CONTROL_INDEX in df.columns else assign_control_index(df)
    df = df.reset_index(drop=True)
    if df[column].isna().any():
        raise ValueError(f"{int(df[column].isna().sum())} cell(s) without {column}")
    feats = feature_columns(df, feature_set)
    if not feats:
        raise ValueError(f"no {feature_set.upper()}__ features in the table")
    sameby = [column, CONTROL_INDEX]
    ap = settings.average_precision(
        df[[column, CONTROL_INDEX]],
        df[feats].to_numpy(dtype=np.float64),
        pos_sameby=sameby,
        pos_diffby=[],
        neg_sameby=[],
        neg_diffby=sameby,
    )
    labelled = (df[CLASS] != CONTROL_CLASS).to_numpy()
    out = df.loc[labelled, metadata_columns(df)].reset_index(drop=True)
    ap = ap.loc[labelled].reset_index(drop=True)
    out["n_pos_pairs"] = ap["n_pos_pairs"].to_numpy()
    out["n_total_pairs"] = ap["n_total_pairs"].to_numpy()
    out["average_precision"] = ap["average_precision"].to_numpy()
    p = settings.ap_p_values(ap)
    corrected = np.full(len(p), np.nan)
    scored = ~np.isnan(p)
    if scored.any():
        corrected[scored] = mapeval.benjamini_hochberg(p[scored])
    used = p if correction == "none" else corrected
    out["p_value"] = p
    out["corrected_p_value"] = corrected
    with np.errstate(invalid="ignore"):
        out["p < 0.05"] = np.nan_to_num(used, nan=1.0) < settings.threshold
        out["-log10(AP p-value)"] = -np.log10(used)
    out["Features"] = feature_set
    out[TEST_COLUMN] = settings.ap_test_label()
    return out


def grouping_ap(
    df: pd.DataFrame,
    grouping: str,
    settings: MapSettings,
    *,
    correction: str = "none",
    feature_sets: Sequence[str] = ("cp", "dp"),
) -> pd.DataFrame:
    """:func:`single_cell_ap` for each feature set, stacked (CellProfiler rows first), as the
    authors' ``{grouping}_ap_results.csv``."""
    df = assign_control_index(df)
    parts = [single_cell_ap(df, grouping, fs, settings, correction=correction) for fs in feature_sets]
    return pd.concat(parts, ignore_index=True)


def summarize(ap: pd.DataFrame) -> pd.DataFrame:
    """Per feature set: cells, the paper's "mAP" (mean of the cells' APs, NaN skipped) and the
    share retrieved (mean of ``p < 0.05`` over all cells)."""
    rows = []
    for key, part in ap.groupby("Features", sort=False):
        rows.append({
            "Features": key,
            "label": FEATURE_LABELS.get(key, key),
            "cells": len(part),
            "mAP": float(part["average_precision"].mean()),
            "retrieved": float(part["p < 0.05"].astype(bool).mean()),
        })
    return pd.DataFrame(rows)
