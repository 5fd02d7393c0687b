"""Preprocessing choices against pycytominer called directly (and a numpy formula)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.own_data import inputs, preprocess
from own_data_cases import tiny_screen, tiny_spec

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*copy_on_write.*")
    import pycytominer

FEATURES = ["f0", "f1", "f2", "f3", "f4", "Cells_AreaShape_Area"]
META = ["Metadata_Plate", "Metadata_Well", "Metadata_Compound", "Metadata_Dose", "Metadata_Target"]
DMSO = "Metadata_Compound == 'DMSO'"


def _ours(df: pd.DataFrame, **entry) -> tuple[pd.DataFrame, list[str]]:
    spec = tiny_spec(**entry)
    mapped, feats = inputs.map_columns(df, spec)
    out, kept, _ = preprocess.prepare_profiles(mapped, feats, spec)
    return out, kept


def _per_plate(df: pd.DataFrame, **kwargs) -> pd.DataFrame:
    parts = [
        pycytominer.normalize(part, features=FEATURES, meta_features=META, **kwargs)
        for _, part in df.groupby("Metadata_Plate", sort=False)
    ]
    return pd.concat(parts).loc[df.index]


@pytest.mark.parametrize("method", ["mad_robustize", "robustize", "standardize"])
@pytest.mark.parametrize("fit_on", ["controls", "all"])
def test_per_plate_normalization_equals_pycytominer(method, fit_on):
    df = tiny_screen(seed=3, plates=4)
    ours, _ = _ours(df, normalize={"method": method, "fit_on": fit_on})
    theirs = _per_plate(df, samples=DMSO if fit_on == "controls" else "all", method=method)
    np.testing.assert_allclose(ours[FEATURES].to_numpy(), theirs[FEATURES].to_numpy(), rtol=0, atol=1e-12)


def test_mad_robustize_against_controls_is_the_formula():
    df = tiny_screen(seed=4)
    ours, _ = _ours(df)  # the defaults: mad_robustize, per plate, fitted on the controls
    for plate, part in df.groupby("Metadata_Plate"):
        x = part[FEATURES].to_numpy()
        ctrl = x[(part["Metadata_Compound"] == "DMSO").to_numpy()]
        med = np.median(ctrl, axis=0)
        mad = 1.4826 * np.median(np.abs(ctrl - med), axis=0)
        expected = (x - med) / (mad + 1e-18)
        np.testing.assert_allclose(ours.loc[part.index, FEATURES].to_numpy(), expected, rtol=1e-12)


def test_whole_table_normalization_without_per_plate():
    df = tiny_screen(seed=5)
    ours, _ = _ours(df, normalize={"method": "standardize", "fit_on": "all", "per_plate": False})
    theirs = pycytominer.normalize(df, features=FEATURES, meta_features=META, samples="all",
                                   method="standardize")
    np.testing.assert_allclose(ours[FEATURES].to_numpy(), theirs[FEATURES].to_numpy(), atol=1e-12)


def test_feature_selection_equals_pycytominer():
    df = tiny_screen(seed=6, n_features=12)
    feats = [f"f{i}" for i in range(11)] + ["Cells_AreaShape_Area"]
    df["f3"] = df["f2"] * 2 + 1e-3 * df["f4"]  # correlated: one of f2/f3 goes
    df["f7"] = 1.0  # constant: dropped by the variance filter
    ops = ["variance_threshold", "correlation_threshold", "drop_na_columns"]
    ours, kept = _ours(df, normalize={"method": "none"},
                       feature_select={"operations": ops, "corr_threshold": 0.9})
    theirs = pycytominer.feature_select(df, features=feats, operation=ops, corr_threshold=0.9)
    expected = [c for c in feats if c in theirs.columns]
    assert kept == expected and "f7" not in kept and not {"f2", "f3"} <= set(kept)
    np.testing.assert_array_equal(ours[kept].to_numpy(), theirs[expected].to_numpy())


def test_sphering_equals_pycytominer_zca_cor_fitted_on_controls():
    df = tiny_screen(seed=7, plates=6)
    ours, kept = _ours(df, spherize=True)
    normalized = _per_plate(df, samples=DMSO, method="mad_robustize")
    theirs = pycytominer.normalize(normalized, features=FEATURES, meta_features=META, samples=DMSO,
                                   method="spherize", spherize_method="ZCA-cor")
    np.testing.assert_allclose(ours[kept].to_numpy(), theirs[FEATURES].to_numpy(), atol=1e-9)
    # sphered controls are white: identity correlation
    ctrl = ours.loc[ours["Metadata_Compound"] == "DMSO", kept].to_numpy()
    np.testing.assert_allclose(np.corrcoef(ctrl.T), np.eye(len(kept)), atol=1e-4)


def test_sphering_refuses_constant_features():
    df = tiny_screen(seed=8).assign(f1=2.0)
    with pytest.raises(ValueError, match=r"spherize.*\['f1'\].*variance_threshold"):
        _ours(df, spherize=True, normalize={"method": "none"})


def test_prepare_counts_what_it_kept():
    df = tiny_screen()
    spec = tiny_spec()
    mapped, feats = inputs.map_columns(df, spec)
    _, kept, info = preprocess.prepare_profiles(mapped, feats, spec)
    assert info == {"wells": 30, "controls": 12, "plates": 3, "perturbations": 6,
                    "features_in": 6, "features_kept": len(kept), "zero_dispersion": {}, "beyond": []}
