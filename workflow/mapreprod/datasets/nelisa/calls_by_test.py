"""Retrieved compounds (activity) and targets (consistency) under each test of ``map.test``
(docs/methods.md §6 and §1.9; issue 17).

The workflow's activity and consistency tables are made with the configured test only (the
default, copairs' shared null, gives the published numbers). This part scores the same profiles
with every test (:data:`mapreprod.settings.TESTS`: shared, independent, exact, permutation), all
other settings the dataset's, and tabulates how many compounds and targets each retrieves. Where
a test is not defined for an analysis (the label-permutation test on the multilabel consistency
design) the row says what ran instead (column ``made_by``, the tables' ``test`` column).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mapreprod.common import require_columns
from mapreprod.settings import TEST_COLUMN, TESTS, MapSettings

from .activity import activity_map
from .consistency import consistency_map
from .inputs import ASSAYS, PERT, TARGET

__all__ = ["CALL_COLUMNS", "SUMMARY_COLUMNS", "calls_by_test", "summarize_calls"]

#: Columns of the per-unit table (one row per assay, analysis, test and compound or target;
#: ``p_value_exact`` empty where the test does not report it).
CALL_COLUMNS = [
    "assay", "analysis", "id", "test", "made_by", "mAP", "p_value", "corrected_p_value",
    "retrieved", "p_value_exact",
]
#: Columns of the summary (one row per assay, analysis and test); ``exact_p_values`` is the share
#: of exact p-values (exact and permutation tests; empty for the sampled nulls).
SUMMARY_COLUMNS = [
    "assay", "analysis", "unit", "test", "made_by", "scored", "retrieved", "percent_retrieved",
    "retrieved_text", "exact_p_values",
]
#: The unit each analysis scores, and its id column in the result tables.
_UNITS = {"activity": ("compounds", PERT), "consistency": ("targets", TARGET)}


def _long(table: pd.DataFrame, assay: str, analysis: str, test: str) -> pd.DataFrame:
    """One result table as :data:`CALL_COLUMNS` rows."""
    exact = (table["p_value_exact"].astype(object) if "p_value_exact" in table.columns
             else pd.Series(None, index=table.index, dtype=object))
    return pd.DataFrame({
        "assay": assay,
        "analysis": analysis,
        "id": table[_UNITS[analysis][1]].astype(str).to_numpy(),
        "test": test,
        "made_by": table[TEST_COLUMN].astype(str).to_numpy(),
        "mAP": table["mAP"].to_numpy(dtype=np.float64),
        "p_value": table["p_value"].to_numpy(dtype=np.float64),
        "corrected_p_value": table["corrected_p_value"].to_numpy(dtype=np.float64),
        "retrieved": table["p < 0.05"].astype(bool).to_numpy(),
        "p_value_exact": exact.to_numpy(),
    })


def calls_by_test(
    profiles: pd.DataFrame,
    assay: str,
    settings: MapSettings,
    *,
    same_plate_controls: bool = False,
    consistency_activity_filter: bool = False,
    tests: Sequence[str] = TESTS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Activity and consistency of one assay's unified profiles under each test.

    Parameters
    ----------
    profiles : the assay's unified profiles (the input of :func:`activity_map`).
    assay : "nelisa" or "cellpainting" (a column of the tables).
    settings : the dataset's engine settings; each test runs with ``settings.replace(test=t)``
        (same null size, seed, sampler, relabelings, exact limit, threshold and similarity).
    same_plate_controls, consistency_activity_filter : as the workflow's activity and
        consistency rules (config ``nelisa.*``); with the filter, the consistency of each test
        uses the compounds that test retrieved.
    tests : the tests to run (default: all four).

    Returns
    -------
    (summary, calls) : :data:`SUMMARY_COLUMNS` (one row per analysis and test, see
    :func:`summarize_calls`) and :data:`CALL_COLUMNS` (one row per analysis, test and compound or
    target). The rows of the config's ``map.test`` equal the workflow's own tables.
    """
    if assay not in ASSAYS:
        raise ValueError(f"unknown assay {assay!r}: use one of {list(ASSAYS)}")
    unknown = [t for t in tests if t not in TESTS]
    if unknown:
        raise ValueError(f"unknown test(s) {unknown}: use {list(TESTS)}")
    require_columns(profiles, [PERT], "calls_by_test")
    parts = []
    for test in tests:
        run = settings.replace(test=test)
        activity = activity_map(profiles, run, same_plate_controls=same_plate_controls)
        active = (
            activity.loc[activity["p < 0.05"].astype(bool), PERT].tolist()
            if consistency_activity_filter else None
        )
        consistency = consistency_map(profiles, run, active=active)
        parts += [_long(activity, assay, "activity", test),
                  _long(consistency, assay, "consistency", test)]
    calls = pd.concat(parts, ignore_index=True)[CALL_COLUMNS]
    return summarize_calls(calls), calls


def summarize_calls(calls: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares retrieved per (assay, analysis, test) of a :data:`CALL_COLUMNS` table
    (``made_by``: what ran, where it differs from the test asked for; ``percent_retrieved`` in
    percent, ``retrieved_text`` as the figures print it; ``exact_p_values``: share of exact
    p-values, empty where the test does not report it)."""
    require_columns(calls, CALL_COLUMNS, "summarize_calls")
    rows = []
    for (assay, analysis, test), part in calls.groupby(["assay", "analysis", "test"], sort=False):
        n, hits = len(part), int(part["retrieved"].astype(bool).sum())
        made_by = "; ".join(dict.fromkeys(part["made_by"].astype(str)))
        exact = part["p_value_exact"].dropna()
        share = float(exact.astype(bool).mean()) if len(exact) else np.nan
        rows.append((assay, analysis, _UNITS[analysis][0], test, made_by, n, hits,
                     100.0 * hits / n if n else np.nan, f"{hits / n:.0%}" if n else "NA", share))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
