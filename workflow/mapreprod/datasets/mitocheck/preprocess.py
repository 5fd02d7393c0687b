"""Mitocheck preprocessing (docs/methods.md §8, the authors' ``1_preprocess_mitocheck.py`` at HEAD).

1. The control sample gets the class ``neg_control``.
2. Training cells and the control sample are stacked (training first); cells of wells that
   failed QC (``Metadata_Gene == "failed QC"``) and ``OutOfFocus`` cells are dropped.
3. Feature selection of the stacked table with pycytominer: by default the CellProfiler
   features only, with the authors' default operation (``variance_threshold`` in pycytominer
   1.2.2, the frequency filter; ``frequency_threshold`` in 1.7.1). The DeepProfiler features
   are kept whole. The paper says all operations were applied to both feature sets: config keys
   ``mitocheck.feature_select_operations`` and ``mitocheck.feature_select_dp``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mapreprod.preprocess import select_features as pycytominer_select

from .inputs import (
    CLASS,
    CONTROL_CLASS,
    FAILED_QC,
    FEATURE_PREFIXES,
    GENE,
    OUT_OF_FOCUS,
    feature_columns,
    validate_profiles,
)

#: The authors' feature selection (pycytominer default: one operation, 1.2.2 naming).
AUTHORS_OPERATIONS: tuple[str, ...] = ("variance_threshold",)
#: The paper's list (Methods): variance, correlation, missing values, outliers, blocklist.
PAPER_OPERATIONS: tuple[str, ...] = (
    "variance_threshold",
    "correlation_threshold",
    "drop_na_columns",
    "drop_outliers",
    "blocklist",
)

__all__ = [
    "AUTHORS_OPERATIONS",
    "PAPER_OPERATIONS",
    "label_controls",
    "merge_profiles",
    "preprocess_cells",
    "select_feature_set",
]


def label_controls(controls: pd.DataFrame) -> pd.DataFrame:
    """Copy of the control cells with ``Mitocheck_Phenotypic_Class = "neg_control"`` (appended
    as the last column, as the authors do)."""
    out = controls.copy()
    if CLASS in out.columns:
        out = out.drop(columns=CLASS)
    out[CLASS] = CONTROL_CLASS
    return out


def merge_profiles(training: pd.DataFrame, controls: pd.DataFrame) -> pd.DataFrame:
    """Training cells then labelled controls, without failed-QC and out-of-focus cells.

    Returns
    -------
    DataFrame
        Columns in the training table's order (then any column only the controls have), index
        reset to 0..n-1 after the filter (the row order is kept).
    """
    if CONTROL_CLASS in set(training[CLASS]):
        raise ValueError(f"training cells already carry the control class {CONTROL_CLASS!r}")
    merged = pd.concat([training, controls], axis=0, ignore_index=True)
    keep = (merged[GENE] != FAILED_QC) & (merged[CLASS] != OUT_OF_FOCUS)
    merged = merged.loc[keep.to_numpy()].reset_index(drop=True)
    if not (merged[CLASS] == CONTROL_CLASS).any():
        raise ValueError("no control cells left after the QC filter: the control sample is empty "
                         "(config keys mitocheck.control_fraction, mitocheck.control_seed)")
    return merged


def select_feature_set(
    df: pd.DataFrame, feature_set: str, operations: Sequence[str]
) -> pd.DataFrame:
    """Feature-select one feature set (``"cp"`` or ``"dp"``) of the stacked table.

    The other columns are kept in place and the selected features are appended after them (the
    authors' column order: metadata, DeepProfiler features, selected CellProfiler features).
    ``operations`` use pycytominer 1.2.2 names (:func:`mapreprod.preprocess.select_features`).
    """
    if not operations:
        return df
    cols = feature_columns(df, feature_set)
    selected = pycytominer_select(df[cols], cols, list(operations))
    kept = [c for c in selected.columns if c in set(cols)]
    if not kept:
        raise ValueError(f"feature selection {list(operations)} dropped every "
                         f"{FEATURE_PREFIXES[feature_set]}* feature")
    rest = df[[c for c in df.columns if c not in set(cols)]].reset_index(drop=True)
    return pd.concat([rest, df[kept].reset_index(drop=True)], axis=1)


def preprocess_cells(
    training: pd.DataFrame,
    controls: pd.DataFrame,
    operations: Sequence[str] = AUTHORS_OPERATIONS,
    select_dp: bool = False,
) -> pd.DataFrame:
    """The scored table: merged, QC-filtered, CellProfiler features selected
    (docs/methods.md §8, Preprocessing).

    Parameters
    ----------
    training : labelled cells (:func:`~.inputs.read_training`).
    controls : the control sample (:func:`~.inputs.read_control_sample`).
    operations : pycytominer operations (1.2.2 names) for the feature selection.
    select_dp : also select the DeepProfiler features (the paper's text); the authors do not.
    """
    validate_profiles(training, "training cells", require_class=True)
    validate_profiles(controls, "control cells", require_class=False)
    merged = merge_profiles(training, label_controls(controls))
    merged = select_feature_set(merged, "cp", operations)
    if select_dp:
        merged = select_feature_set(merged, "dp", operations)
    return merged
