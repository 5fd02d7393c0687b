"""The short summary of one dataset, as rows of results/reproduction.csv.

Columns figure, quantity, paper, ours, note (:data:`mapreprod.reproduction.COLUMNS`); ``paper``
is "(own data)" since the paper has no number for your screen; ``figure`` is the dataset's
figure file stem (own_<name>_activity / own_<name>_consistency).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mapreprod.reproduction import COLUMNS

from .inputs import OwnDataSpec

__all__ = ["OWN_PAPER", "summary_rows"]

OWN_PAPER = "(own data)"


def _pct(flags: pd.Series) -> str:
    return f"{flags.astype(bool).mean():.0%}" if len(flags) else "NA"


def summary_rows(
    spec: OwnDataSpec,
    info: dict[str, Any],
    activity: pd.DataFrame,
    consistency: pd.DataFrame | None = None,
    consistency_pool: int | None = None,
) -> pd.DataFrame:
    """Counts and retrieved fractions of one dataset.

    Parameters
    ----------
    info : counts of the prepare step (wells, controls, plates, perturbations, features_in,
        features_kept).
    activity, consistency : the result tables (consistency None when there is no annotation).
    consistency_pool : perturbations with an annotation that entered the consistency test.
    """
    fig_a, fig_c = f"own_{spec.name}_activity", f"own_{spec.name}_consistency"
    q = f"BH-corrected p < {spec.threshold:g}"
    design = (
        f"{spec.normalize_method} per plate vs {spec.normalize_fit_on}"
        if spec.normalize_method != "none" else "no normalization"
    )
    rows = [
        (fig_a, "wells", str(info["wells"]),
         f"{info['controls']} control wells on {info['plates']} plate(s)"),
        (fig_a, "features kept", str(info["features_kept"]),
         f"of {info['features_in']}; {design}"
         + (f"; feature selection {list(spec.feature_select_operations)}" if spec.feature_select_operations else "")
         + ("; sphered" if spec.spherize else "")),
        (fig_a, "perturbations scored", str(len(activity)),
         f"of {info['perturbations']} (a perturbation needs two wells)"),
        (fig_a, "perturbations retrieved (activity)", _pct(activity["retrieved"]),
         (f"{int(activity['retrieved'].sum())} of {len(activity)} at {q}; controls: "
          f"{spec.activity_controls.replace('_', '-')}; {spec.similarity}; null {spec.null_size}")),
        (fig_a, "mean mAP (activity)", f"{activity['mAP'].mean():.3f}" if len(activity) else "NA", ""),
    ]
    if consistency is not None:
        pool = "" if consistency_pool is None else f" among {consistency_pool} annotated perturbations"
        rows += [
            (fig_c, "annotations scored", str(len(consistency)),
             (f"annotations of two or more perturbations{pool}; activity filter "
              f"{'on' if spec.activity_filter else 'off'}")),
            (fig_c, "annotations retrieved (consistency)", _pct(consistency["retrieved"]),
             f"{int(consistency['retrieved'].astype(bool).sum())} of {len(consistency)} at {q}"),
        ]
    out = pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])
    out.insert(2, "paper", OWN_PAPER)
    return out[COLUMNS]
