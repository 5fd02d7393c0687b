"""Preprocessing of your profiles: per-plate normalization, feature selection, sphering.

All three are pycytominer 1.7.1 (through :mod:`mapreprod.preprocess`), in the usual order of a
profiling recipe: normalize each plate (fitted on its control wells or on all its wells), select
features, then optionally sphere (ZCA-cor, fitted on the same kind of rows over all plates).

Two checks guard the normalization (docs/methods.md §13):

- **Zero dispersion** (before scaling). A feature whose fitting wells on a plate share one
  value (a count that is 0 in every DMSO well) has a MAD of 0 there, and mad_robustize divides
  by 0 + 1e-18: its values reach 1e16-1e18 and that one feature decides every cosine similarity.
  (standardize and robustize instead leave it unscaled, at its raw units.) Such a feature is
  found per plate, for the configured method and fitting wells (:func:`zero_dispersion`), and
  dropped from the whole screen (``normalize.zero_dispersion: drop``, the default; listed in the
  log and counted in the summary) or refused (``error``).
- **Values beyond 1e6** (after every step): any left (an extreme outlier well) are reported
  in the log and the summary (:func:`mapreprod.preprocess.values_beyond`), never passed silently.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import median_abs_deviation

from mapreprod import preprocess as pcm_wrappers

from .inputs import CONTROL_COL, KEY_COL, OwnDataSpec, describe_rows

__all__ = ["CONTROL_QUERY", "ZERO_DISPERSION_RATIO", "prepare_profiles", "zero_dispersion"]

log = logging.getLogger(__name__)

#: pycytominer ``samples`` query selecting the control wells of the mapped table.
CONTROL_QUERY = f"{CONTROL_COL} == True"
#: A feature's dispersion in the fitting wells of a plate counts as zero when it is below this
#: share of the feature's SD over all the wells of the plate: the scaled values would then
#: exceed ~1e6 (the bound :data:`mapreprod.preprocess.VALUE_BOUND` reports).
ZERO_DISPERSION_RATIO = 1e-6
#: The dispersion each normalization divides by (pycytominer 1.7.1 / scikit-learn).
DISPERSION = {"mad_robustize": "MAD", "robustize": "IQR", "standardize": "SD"}


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


def _missing_advice(spec: OwnDataSpec) -> str:
    return (
        f"add drop_na_columns to {spec.key('feature_select_operations')} with "
        f"{spec.key('na_cutoff')}: 0 (drops every feature with a missing value; infinite values "
        "count as missing), or fix the values in your files"
    )


def _inputs_finite(df: pd.DataFrame, features: list[str], spec: OwnDataSpec) -> pd.DataFrame:
    """Missing (NaN) and infinite input values: with drop_na_columns among the operations,
    infinite values become missing ones (so that drop_na_columns handles both, as its advice
    says); without it, an error naming the features, the file and line, and the key to set."""
    values = df[features].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if not bad.any():
        return df
    cols = [features[c] for c in np.flatnonzero(bad.any(axis=0))]
    infinite = np.isinf(values)
    if "drop_na_columns" in spec.feature_select_operations:
        if infinite.any():
            inf_cols = [features[c] for c in np.flatnonzero(infinite.any(axis=0))]
            log.warning("%d infinite value(s) in feature(s) %s are read as missing values "
                        "(drop_na_columns)", int(infinite.sum()), inf_cols[:8])
            df = df.copy()
            df[features] = df[features].replace([np.inf, -np.inf], np.nan)
        return df
    rows = np.flatnonzero(bad.any(axis=1))
    first_col = features[int(np.flatnonzero(bad[rows[0]])[0])]
    kinds = " and ".join(k for k, m in (("missing (NaN)", np.isnan(values)), ("infinite", infinite)) if m.any())
    raise ValueError(
        f"{spec.key('feature_select_operations')}: feature column(s) {cols[:8]}"
        f"{' ...' if len(cols) > 8 else ''} have {kinds} values in {len(rows)} well(s): "
        f"{describe_rows(df, rows)} (first: {first_col} = {df[first_col].iloc[rows[0]]}); "
        f"{_missing_advice(spec)}"
    )


def _check_finite(df: pd.DataFrame, features: list[str], spec: OwnDataSpec, step: str) -> None:
    values = df[features].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        cols = [features[c] for c in np.flatnonzero(bad.any(axis=0))]
        rows = np.flatnonzero(bad.any(axis=1))
        if "drop_na_columns" in spec.feature_select_operations:
            advice = (
                f"drop_na_columns keeps a feature with up to {spec.na_cutoff:.0%} of its wells "
                f"missing ({spec.key('na_cutoff')}: {spec.na_cutoff:g}); set it to 0 to drop "
                "them, or fix the values in your files"
            )
        else:
            advice = _missing_advice(spec)
        raise ValueError(
            f"{spec.key('feature_select_operations')}: after {step}, feature column(s) "
            f"{cols[:8]}{' ...' if len(cols) > 8 else ''} have missing or infinite values in "
            f"{len(rows)} well(s) ({describe_rows(df, rows)}); {advice}"
        )


def _groups(df: pd.DataFrame, spec: OwnDataSpec) -> list[tuple[Any, pd.DataFrame]]:
    """The normalization groups: each plate (per-plate normalization) or the whole table."""
    if spec.plate is not None and spec.normalize_per_plate:
        return list(df.groupby(spec.plate, sort=True, dropna=False))
    return [("all wells", df)]


def zero_dispersion(df: pd.DataFrame, features: list[str], spec: OwnDataSpec) -> pd.DataFrame:
    """Features whose dispersion in the fitting wells of a plate is zero or negligible.

    For each normalization group (plate, or the whole table without per-plate normalization)
    and feature: ``dispersion`` is what the configured method divides by, over the wells it is
    fitted on (MAD for mad_robustize, IQR for robustize, SD for standardize; over the control
    wells with ``fit_on: controls``); ``spread`` is the feature's SD over all the group's wells.
    A feature is flagged where ``dispersion < ZERO_DISPERSION_RATIO * spread``: its scaled values
    would be 1e6 times its spread or more. (The SD, not the MAD, measures the spread: a count
    that is 0 in more than half the wells has a MAD of 0 over all wells, yet varies.) A group
    where the feature has one value in every well (spread 0) is not flagged: its scaled values
    are all 0 there. Missing values are ignored.

    Returns
    -------
    DataFrame
        Columns plate, feature, dispersion, spread; one row per flagged (group, feature), in
        feature then plate order; empty for ``normalize.method: none``.
    """
    columns = ["plate", "feature", "dispersion", "spread"]
    method = spec.normalize_method
    if method == "none":
        return pd.DataFrame(columns=columns)
    rows = []
    for plate, part in _groups(df, spec):
        x = part[features].to_numpy(dtype=np.float64)
        fit = x[part[CONTROL_COL].to_numpy(dtype=bool)] if spec.normalize_fit_on == "controls" else x
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns: NaN, not flagged
            if method == "mad_robustize":
                dispersion = median_abs_deviation(fit, axis=0, nan_policy="omit")
            elif method == "robustize":
                q75, q25 = np.nanpercentile(fit, [75, 25], axis=0)
                dispersion = q75 - q25
            else:
                dispersion = np.nanstd(fit, axis=0)
            spread = np.nanstd(x, axis=0)
            flagged = np.asarray(dispersion) < ZERO_DISPERSION_RATIO * spread
        for j in np.flatnonzero(flagged):
            rows.append((plate, features[j], float(dispersion[j]), float(spread[j])))
    out = pd.DataFrame(rows, columns=columns)
    order = {f: i for i, f in enumerate(features)}
    return out.sort_values("feature", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def _zero_dispersion_text(flagged: pd.DataFrame, limit: int = 8) -> str:
    per_feature = flagged.groupby("feature", sort=False)["plate"].apply(list)
    parts = [f"{f!r} on plate(s) {plates[:6]}{' ...' if len(plates) > 6 else ''}"
             for f, plates in list(per_feature.items())[:limit]]
    more = f"; ... {len(per_feature) - limit} more" if len(per_feature) > limit else ""
    return "; ".join(parts) + more


def _handle_zero_dispersion(
    df: pd.DataFrame, features: list[str], spec: OwnDataSpec
) -> tuple[pd.DataFrame, list[str], dict[str, list[str]]]:
    flagged = zero_dispersion(df, features, spec)
    if flagged.empty:
        return df, features, {}
    stat = DISPERSION[spec.normalize_method]
    wells = "control wells" if spec.normalize_fit_on == "controls" else "wells"
    what = (
        f"{len(set(flagged['feature']))} feature(s) have (almost) no spread in the {wells} "
        f"{spec.normalize_method} is fitted on ({stat} < {pcm_wrappers.short_number(ZERO_DISPERSION_RATIO)} x the "
        f"feature's SD over the plate's wells): {_zero_dispersion_text(flagged)}"
    )
    if spec.zero_dispersion == "error":
        raise ValueError(
            f"{spec.key('zero_dispersion')}: error, and {what}. Scaling would divide by (almost) "
            f"zero and those features would decide every similarity: drop them "
            f"({spec.key('zero_dispersion')}: drop) or leave them out of the features "
            "(features.prefix / features.regex)"
        )
    log.warning("dropped (%s: drop): %s", spec.key("zero_dispersion"), what)
    dropped = list(dict.fromkeys(flagged["feature"]))
    plates = {f: [str(p) for p in flagged.loc[flagged["feature"] == f, "plate"]] for f in dropped}
    kept = [f for f in features if f not in set(dropped)]
    if not kept:
        raise ValueError(
            f"{spec.key('zero_dispersion')}: every feature has (almost) no spread in the {wells} "
            f"it is normalized on: {_zero_dispersion_text(flagged)}"
        )
    return df.drop(columns=dropped), kept, plates


def prepare_profiles(
    df: pd.DataFrame, features: list[str], spec: OwnDataSpec
) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
    """Normalize, select and sphere the mapped profiles (output of ``inputs.map_columns``).

    Returns
    -------
    (DataFrame, list of str, dict)
        The prepared table (same rows and metadata, features transformed; float64, or float32
        with ``float32: true``; features of zero dispersion removed), the feature columns kept,
        and counts for the summary: wells, controls, plates, perturbations, features_in,
        features_kept, zero_dispersion (dropped feature -> its plates) and beyond (the
        :func:`mapreprod.preprocess.values_beyond` rows of the result: plate, feature, max_abs,
        n_values).
    """
    out = _inputs_finite(df, features, spec)
    kept = list(features)
    dropped: dict[str, list[str]] = {}
    if spec.normalize_method != "none":
        _check_fit_rows(out, spec)
        out, kept, dropped = _handle_zero_dispersion(out, kept, spec)
        by = spec.plate if (spec.plate is not None and spec.normalize_per_plate) else None
        out = pcm_wrappers.normalize(
            out, kept, method=spec.normalize_method, samples=_fit_rows(spec), by=by
        )
    if spec.feature_select_operations:
        before = list(kept)
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
        kept = [c for c in before if c in out.columns]
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
    beyond = pcm_wrappers.values_beyond(out, kept, by=spec.plate, what=f"own_data {spec.name}")
    info = {
        "wells": len(out),
        "controls": int(out[CONTROL_COL].sum()),
        "plates": int(out[spec.plate].nunique()) if spec.plate is not None else 1,
        "perturbations": int(out.loc[~out[CONTROL_COL], KEY_COL].nunique()),
        "features_in": len(features),
        "features_kept": len(kept),
        "zero_dispersion": dropped,
        "beyond": beyond.to_dict(orient="records"),
    }
    return out, kept, info
