"""The short summary of one dataset, as rows of results/reproduction.csv.

Columns figure, quantity, paper, ours, note (:data:`mapreprod.reproduction.COLUMNS`); ``paper``
is "(own data)" since the paper has no number for your screen; ``figure`` is the dataset's
figure file stem (own_<name>_activity / own_<name>_consistency).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mapreprod.common import percent
from mapreprod.preprocess import BEYOND_COLUMNS, BEYOND_QUANTITY, describe_beyond
from mapreprod.reproduction import COLUMNS
from mapreprod.settings import TEST_QUANTITY, MapSettings, tests_used

from .inputs import OwnDataSpec

__all__ = ["OWN_PAPER", "summary_rows"]

OWN_PAPER = "(own data)"


def _percent_text(flags: pd.Series) -> str:
    """Percent of true flags as the figures print it ("56%"); "NA" when there are none."""
    return f"{percent(flags):.0f}%" if len(flags) else "NA"


def _zero_dispersion_note(spec: OwnDataSpec, dropped: dict[str, list[str]], limit: int = 8) -> str:
    if spec.normalize_method == "none":
        return "no normalization"
    wells = "control wells" if spec.normalize_fit_on == "controls" else "wells"
    rule = (f"no spread in the {wells} normalized against (dispersion < 1e-6 x the feature's SD "
            f"over the plate's wells); {spec.key('zero_dispersion')}: {spec.zero_dispersion}")
    if not dropped:
        return rule
    listed = "; ".join(f"{f} ({', '.join(plates[:6])}{' ...' if len(plates) > 6 else ''})"
                       for f, plates in list(dropped.items())[:limit])
    more = f"; ... {len(dropped) - limit} more" if len(dropped) > limit else ""
    return f"{listed}{more}; {rule}"


def _beyond_cells(records: list[dict[str, Any]]) -> tuple[str, str]:
    table = pd.DataFrame(records, columns=BEYOND_COLUMNS)
    if table.empty:
        return "none", "every prepared value within |x| <= 1e6"
    ours = (f"{table['feature'].nunique()} feature(s) on {table['plate'].nunique()} plate(s), "
            f"max |x| = {table['max_abs'].max():.3g}")
    return ours, describe_beyond(table) + "; kept (an outlier well?): check these features"


def summary_rows(
    spec: OwnDataSpec,
    settings: MapSettings,
    info: dict[str, Any],
    activity: pd.DataFrame,
    consistency: pd.DataFrame | None = None,
    consistency_pool: int | None = None,
) -> pd.DataFrame:
    """Counts and retrieved fractions of one dataset.

    Parameters
    ----------
    spec, settings : the dataset's mapping and engine settings (threshold, similarity, null size
        are quoted in the notes).
    info : counts of the prepare step (wells, controls, plates, perturbations, features_in,
        features_kept, zero_dispersion: dropped feature -> plates, beyond: the rows of
        ``mapreprod.preprocess.values_beyond``).
    activity, consistency : the result tables (consistency None when there is no annotation).
    consistency_pool : perturbations with an annotation that entered the consistency test.
    """
    fig_a, fig_c = f"own_{spec.name}_activity", f"own_{spec.name}_consistency"
    q = f"BH-corrected p < {settings.threshold:g}"
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
        (fig_a, "features dropped: zero dispersion", str(len(info["zero_dispersion"])),
         _zero_dispersion_note(spec, info["zero_dispersion"])),
        (fig_a, BEYOND_QUANTITY, *_beyond_cells(info["beyond"])),
        (fig_a, "perturbations scored", str(len(activity)),
         f"of {info['perturbations']} (a perturbation needs two wells)"),
        (fig_a, "perturbations retrieved (activity)", _percent_text(activity["retrieved"]),
         (f"{int(activity['retrieved'].sum())} of {len(activity)} at {q}; controls: "
          f"{spec.activity_controls.replace('_', '-')}; {settings.similarity}; null {settings.null_size}")),
        (fig_a, "mean mAP (activity)", f"{activity['mAP'].mean():.3f}" if len(activity) else "NA", ""),
        (fig_a, TEST_QUANTITY, tests_used([activity]), "the activity table's test column"),
    ]
    if consistency is not None:
        pool = "" if consistency_pool is None else f" among {consistency_pool} annotated perturbations"
        rows += [
            (fig_c, "annotations scored", str(len(consistency)),
             (f"annotations of two or more perturbations{pool}; activity filter "
              f"{'on' if spec.activity_filter else 'off'}")),
            (fig_c, "annotations retrieved (consistency)", _percent_text(consistency["retrieved"]),
             f"{int(consistency['retrieved'].astype(bool).sum())} of {len(consistency)} at {q}"),
            (fig_c, TEST_QUANTITY, tests_used([consistency]), "the consistency table's test column"),
        ]
    out = pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])
    out.insert(2, "paper", OWN_PAPER)
    return out[COLUMNS]
