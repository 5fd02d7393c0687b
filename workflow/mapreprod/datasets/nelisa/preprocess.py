"""Per-plate MAD robustize, Cell Painting feature selection, and the compounds shared by both assays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from mapreprod import preprocess
from mapreprod.common import require_columns as _require

from .inputs import MISSING_PERT, PERT, TARGET_LIST, assay_spec


def robustize_per_plate(df: pd.DataFrame, plate_col: str) -> pd.DataFrame:
    """MAD-robustize every non-``Metadata_`` column within each plate, fitted on all wells.

    x -> (x - median) / (1.4826 MAD + 1e-18), per plate (pycytominer ``mad_robustize``).
    """
    _require(df, [plate_col], "robustize_per_plate")
    features = preprocess.feature_columns(df)
    return preprocess.normalize(df, features, method="mad_robustize", by=plate_col)


def select_cellpainting_features(
    df: pd.DataFrame, operations: Sequence[str], na_cutoff: float = 0.0
) -> pd.DataFrame:
    """Cell Painting feature selection (docs/methods.md §6: five operations, ``na_cutoff`` 0).

    Operation names mean what they meant in pycytominer 1.2.2 (``variance_threshold`` is the
    frequency filter); see :func:`mapreprod.preprocess.select_features`.
    """
    return preprocess.select_features(
        df, preprocess.feature_columns(df), list(operations), na_cutoff=na_cutoff
    )


def fill_missing_broad_sample(df: pd.DataFrame) -> pd.DataFrame:
    """Copy with NaN ``Metadata_broad_sample`` (the DMSO wells) set to ``"NA"``."""
    _require(df, [PERT], "fill_missing_broad_sample")
    out = df.copy()
    out[PERT] = out[PERT].astype(object).where(out[PERT].notna(), MISSING_PERT)
    return out


def preprocess_profiles(
    df: pd.DataFrame,
    assay: str,
    operations: Sequence[str] = (),
    na_cutoff: float = 0.0,
) -> pd.DataFrame:
    """Per-plate MAD robustize, feature selection where the assay has it, NaN pert -> "NA"."""
    spec = assay_spec(assay)
    _require(df, [PERT, TARGET_LIST, "Metadata_control_type", spec.plate_col], assay)
    out = robustize_per_plate(df, spec.plate_col)
    if spec.feature_select and operations:
        out = select_cellpainting_features(out, operations, na_cutoff)
    return fill_missing_broad_sample(out)


def values_beyond_bound(df: pd.DataFrame, assay: str) -> pd.DataFrame:
    """The preprocessed profiles' feature values beyond 1e6 in absolute value, per plate
    (:func:`mapreprod.preprocess.values_beyond`: plate, feature, max_abs, n_values), with a
    logged warning; the values are kept as the authors computed them."""
    spec = assay_spec(assay)
    return preprocess.values_beyond(
        df, preprocess.feature_columns(df), by=spec.plate_col, what=f"nelisa {assay}"
    )


def unify(profiles: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Keep the compounds present in every table with the same replicate count in each.

    The authors' rule (two tables) generalised: drop a ``Metadata_broad_sample`` missing from any
    table, then drop one whose row count differs between tables. One table is returned as is.
    Row order is kept; indexes are reset.
    """
    names = list(profiles)
    if not names:
        raise ValueError("unify: no profiles given")
    for name in names:
        _require(profiles[name], [PERT], f"unify({name})")
    counts = pd.concat(
        {n: profiles[n].groupby(PERT, dropna=False).size() for n in names}, axis=1
    )
    same = counts.notna().all(axis=1) & counts.nunique(axis=1, dropna=False).eq(1)
    keep = set(counts.index[same])
    return {
        n: profiles[n][profiles[n][PERT].isin(keep)].reset_index(drop=True)
        for n in names
    }
