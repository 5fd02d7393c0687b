"""Preprocessing of your profiles: per-plate normalization, feature selection, sphering.

All three are pycytominer 1.7.1 (through :mod:`mapreprod.preprocess`), in the usual order of a
profiling recipe: normalize each plate (fitted on its control wells or on all its wells), select
features, then optionally sphere (ZCA-cor, fitted on the same kind of rows over all plates).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mapreprod import preprocess as pcm_wrappers

from .inputs import CONTROL_COL, KEY_COL, OwnDataSpec

__all__ = ["CONTROL_QUERY", "prepare_profiles"]

#: pycytominer ``samples`` query selecting the control wells of the mapped table.
CONTROL_QUERY = f"{CONTROL_COL} == True"


def _fit_rows(spec: OwnDataSpec) -> str:
    return CONTROL_QUERY if spec.normalize_fit_on == "controls" else "all"


def _check_fit_rows(df: pd.DataFrame, spec: OwnDataSpec) -> None:
    """Normalizing against controls needs at least two control wells in every plate."""
    if spec.normalize_method == "none" or spec.normalize_fit_on != "controls":
        return
    if spec.plate is not None and spec.normalize_per_plate:
        counts = df.groupby(spec.plate, sort=True)[CONTROL_COL].sum()
        few = counts[counts < 2]
        if not few.empty:
            raise ValueError(
                f"{spec.key('normalize_fit_on')}: controls, but plate(s) {few.index.tolist()[:8]} "
                f"(column {spec.plate!r}) have fewer than two control wells matching "
                f"{spec.controls!r} ({few.tolist()[:8]}); use {spec.key('normalize_fit_on')}: all"
            )
    elif df[CONTROL_COL].sum() < 2:
        raise ValueError(
            f"{spec.key('normalize_fit_on')}: controls, but fewer than two wells match "
            f"{spec.controls!r}"
        )


def _check_finite(df: pd.DataFrame, features: list[str], spec: OwnDataSpec, step: str) -> None:
    values = df[features].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        cols = [features[c] for c in np.flatnonzero(bad.any(axis=0))]
        raise ValueError(
            f"{spec.key('feature_select_operations')}: after {step}, feature column(s) "
            f"{cols[:8]}{' ...' if len(cols) > 8 else ''} have missing or infinite values in "
            f"{int(bad.any(axis=1).sum())} well(s); add drop_na_columns to the operations "
            "(with na_cutoff 0), or fill them in your files"
        )


def prepare_profiles(
    df: pd.DataFrame, features: list[str], spec: OwnDataSpec
) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
    """Normalize, select and sphere the mapped profiles (output of ``inputs.map_columns``).

    Returns
    -------
    (DataFrame, list of str, dict)
        The prepared table (same rows and metadata, features transformed; float64, or float32
        with ``float32: true``), the feature
        columns kept, and counts for the summary: wells, controls, plates, perturbations,
        features_in, features_kept.
    """
    out = df
    if spec.normalize_method != "none":
        _check_fit_rows(out, spec)
        by = spec.plate if (spec.plate is not None and spec.normalize_per_plate) else None
        out = pcm_wrappers.normalize(
            out, features, method=spec.normalize_method, samples=_fit_rows(spec), by=by
        )
    kept = list(features)
    if spec.feature_select_operations:
        out = pcm_wrappers.select_features(
            out,
            kept,
            list(spec.feature_select_operations),
            na_cutoff=spec.na_cutoff,
            corr_threshold=spec.corr_threshold,
            freq_cut=spec.freq_cut,
            unique_cut=spec.unique_cut,
            outlier_cutoff=spec.outlier_cutoff,
            authors_operation_names=False,
        )
        kept = [c for c in features if c in out.columns]
        if not kept:
            raise ValueError(
                f"{spec.key('feature_select_operations')}: {list(spec.feature_select_operations)} "
                "dropped every feature"
            )
    if spec.spherize:
        fit = out if spec.normalize_fit_on == "all" else out[out[CONTROL_COL]]
        constant = [c for c in kept if fit[c].nunique(dropna=True) <= 1]
        if constant:
            raise ValueError(
                f"{spec.key('spherize')}: ZCA-cor sphering needs varying features, but "
                f"{constant[:8]} are constant in the fitting wells; add variance_threshold to "
                f"{spec.key('feature_select_operations')}"
            )
        if len(fit) < 2:
            raise ValueError(f"{spec.key('spherize')}: fewer than two wells to fit the sphering on")
        out = pcm_wrappers.normalize(out, kept, method="spherize", samples=_fit_rows(spec))
    _check_finite(out, kept, spec, "normalization" if not spec.feature_select_operations else "feature selection")
    out = out.reset_index(drop=True)
    # float32 halves the prepared file and the memory of the AP jobs; similarities are rounded
    # to float32 before ranking anyway (docs/benchmarks.md measures what it changes)
    out[kept] = out[kept].astype(np.float32 if spec.float32 else np.float64)
    info = {
        "wells": len(out),
        "controls": int(out[CONTROL_COL].sum()),
        "plates": int(out[spec.plate].nunique()) if spec.plate is not None else 1,
        "perturbations": int(out.loc[~out[CONTROL_COL], KEY_COL].nunique()),
        "features_in": len(features),
        "features_kept": len(kept),
    }
    return out, kept, info
