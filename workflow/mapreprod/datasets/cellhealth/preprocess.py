"""Preprocessing (standardize or MAD robustize, feature selection) and the replicate subset of each cell line."""

from __future__ import annotations

from collections.abc import Sequence

import mapeval
import pandas as pd

from mapreprod import preprocess as pp

from .inputs import (
    CELL,
    CONTROL_INDEX,
    FEATURE_SELECT_OPERATIONS,
    GENE,
    IS_CONTROL,
    N_REPLICATES,
    PERT,
    PLATE,
    PREPROCESSINGS,
    WELL,
    control_genes,
    cp_features,
)


def preprocess_profiles(
    profiles: pd.DataFrame,
    method: str,
    operations: Sequence[str] = FEATURE_SELECT_OPERATIONS,
    na_cutoff: float = 0.0,
) -> pd.DataFrame:
    """Normalise, select features and drop Costes features (§3.2).

    Parameters
    ----------
    profiles : the nine plates concatenated, after :func:`tidy_metadata`.
    method : "mad_robustize" (per plate, over all wells of the plate) or "standardize" (z-score
        over the whole dataset).
    operations : feature selection operations, named as in pycytominer 1.2.2.
    na_cutoff : fraction of NaN above which a column is dropped (the authors used 0).
    """
    if method not in PREPROCESSINGS:
        raise ValueError(f"cellhealth preprocessing must be one of {list(PREPROCESSINGS)}, got {method!r}")
    features = cp_features(profiles)
    by = PLATE if method == "mad_robustize" else None
    normalized = pp.normalize(profiles, features, method=method, samples="all", by=by)
    selected = pp.select_features(normalized, features, operations, na_cutoff=na_cutoff)
    return pp.drop_features_containing(selected, "costes").reset_index(drop=True)


def values_beyond_bound(profiles: pd.DataFrame, method: str) -> pd.DataFrame:
    """The preprocessed profiles' feature values beyond 1e6 in absolute value, per plate
    (:func:`mapreprod.preprocess.values_beyond`: plate, feature, max_abs, n_values), with a
    logged warning; the values are kept as the authors computed them."""
    return pp.values_beyond(profiles, cp_features(profiles), by=PLATE, what=f"cellhealth {method}")


def replicate_subset(profiles: pd.DataFrame, cell_line: str, control: str = "cutting") -> pd.DataFrame:
    """The guides with exactly six wells in ``cell_line`` plus every control well (§3.3).

    Adds ``Metadata_control_index`` (row position for controls, -1 else) and
    ``Metadata_is_control`` (1/0); the index is reset.
    """
    for col in (CELL, PERT, GENE, PLATE, WELL):
        if col not in profiles.columns:
            raise ValueError(f"profiles lack column {col!r}")
    cells = profiles.loc[profiles[CELL] == cell_line]
    if cells.empty:
        raise ValueError(f"no wells of cell line {cell_line!r} in {CELL}")
    counts = cells[PERT].value_counts()
    guides = counts.index[counts == N_REPLICATES]
    is_control = cells[GENE].isin(control_genes(control))
    keep = cells[PERT].isin(guides) | is_control
    subset = cells.loc[keep].reset_index(drop=True)
    mask = subset[GENE].isin(control_genes(control)).to_numpy()
    if not mask.any():
        raise ValueError(f"cell line {cell_line!r} has no {control} control wells")
    subset = mapeval.assign_reference_index(subset, mask, reference_col=CONTROL_INDEX)
    subset[IS_CONTROL] = mask.astype(int)
    return subset

