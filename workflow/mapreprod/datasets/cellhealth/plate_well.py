"""Plate and well-position effects (Fig 3A): retrieval within each pair of plates."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import mapeval
import numpy as np
import pandas as pd
from scipy.stats import combine_pvalues

from mapreprod.common import EPS
from mapreprod.settings import TEST_COLUMN, MapSettings

from .activity import guide_map
from .inputs import (
    CONTROL_INDEX,
    PERT,
    PLATE,
    PLATE_WELL_MODES,
    PREPROCESSINGS,
    cell_lines_present,
    significance_markers,
)
from .preprocess import replicate_subset


def plate_pairs(plates: Sequence[str]) -> list[tuple[str, str]]:
    """Every pair of plates, in order of first appearance (§3.4 step 1)."""
    return list(itertools.combinations(list(dict.fromkeys(plates)), 2))


def plate_well_position(
    profiles: pd.DataFrame,
    preprocessing: str,
    settings: MapSettings,
    bh: bool = False,
) -> pd.DataFrame:
    """Fig 3A for one preprocessed dataset: per cell line, plate pair and mode, guide mAP against
    the cutting controls of both plates; aggregated over the three plate pairs with the mean mAP
    and the Stouffer-combined uncorrected p-value (no BH, as the authors' code). With ``bh`` (the
    figure caption's wording) the combined p-values are BH-corrected within each (cell line,
    mode) before the threshold (``settings.threshold``; docs/methods.md §11.5).

    Returns one row per (guide, mode, cell line) with ``Metadata_pert_name, mode, Preprocessing,
    Cell type, mAP, p_value, p < 0.05, markers, -log10(mAP p-value), test``. The plate / well
    modes restrict the positive pairs, so the label-permutation test is undefined here: under
    ``map.test: permutation`` the shared null runs (``test`` says so); the other tests apply.
    """
    label = PREPROCESSINGS.get(preprocessing, preprocessing)
    rows = []
    for cell in cell_lines_present(profiles):
        subset = replicate_subset(profiles, cell, "cutting")
        for plates in plate_pairs(subset[PLATE]):
            pair = subset.loc[subset[PLATE].isin(plates)].reset_index(drop=True)
            for mode, (extra_same, diff) in PLATE_WELL_MODES.items():
                # negatives differ in guide and control index only (no is-control constraint)
                m, _ = guide_map(pair, settings, extra_pos_sameby=extra_same, pos_diffby=diff,
                                 neg_diffby=(CONTROL_INDEX,))
                m["mode"] = mode
                m["Cell type"] = cell
                rows.append(m)
    per_pair = pd.concat(rows, ignore_index=True)
    out = (
        per_pair.groupby([PERT, "mode", "Cell type"], sort=False)
        .agg(mAP=("mean_average_precision", "mean"),
             p_value=("p_value", lambda p: combine_pvalues(p, method="stouffer").pvalue),
             test=(TEST_COLUMN, lambda t: "; ".join(dict.fromkeys(t))))
        .reset_index()
    )
    out["Preprocessing"] = label
    if bh:
        out["p_value"] = out.groupby(["Cell type", "mode"], sort=False)["p_value"].transform(
            lambda p: mapeval.benjamini_hochberg(p.to_numpy())
        )
    out["p < 0.05"] = out["p_value"] < settings.threshold
    out["markers"] = significance_markers(out["p < 0.05"])
    out["-log10(mAP p-value)"] = -np.log10(np.maximum(out["p_value"], EPS))
    return out[[PERT, "mode", "Preprocessing", "Cell type", "mAP", "p_value", "p < 0.05",
                "markers", "-log10(mAP p-value)", TEST_COLUMN]]

