"""Our values for the numbers the paper reports on Fig 4A-D (paper values: paper_values.tsv)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from mapreprod.common import require_columns
from mapreprod.preprocess import BEYOND_QUANTITY, beyond_summary
from mapreprod.reproduction import with_paper_values
from mapreprod.settings import test_rows

from .inputs import ASSAYS

#: (figure, quantity) of paper_values.tsv -> (table kind, assay, how ours is computed).
OUR_VALUES = {
    ("Fig 4A/B", "activity retrieved, Cell Painting"): ("activity", "cellpainting", "pct"),
    ("Fig 4A/B", "activity retrieved, nELISA"): ("activity", "nelisa", "pct"),
    ("Fig 4A", "compounds scored, Cell Painting"): ("activity", "cellpainting", "n"),
    ("Fig 4A", "compounds scored, nELISA"): ("activity", "nelisa", "n"),
    ("Fig 4C/D", "consistency retrieved, Cell Painting"): ("consistency", "cellpainting", "pct"),
    ("Fig 4C/D", "consistency retrieved, nELISA"): ("consistency", "nelisa", "pct"),
    ("Fig 4C", "targets scored, Cell Painting"): ("consistency", "cellpainting", "n"),
    ("Fig 4C", "targets scored, nELISA"): ("consistency", "nelisa", "n"),
}


def our_values(
    activity: Mapping[str, pd.DataFrame],
    consistency: Mapping[str, pd.DataFrame],
    note: str = "",
) -> pd.DataFrame:
    """Our value of each reported number (columns figure, quantity, ours, note); "NA" where an
    assay did not run. Percentages as the paper prints them (``:.0%``), counts as integers."""
    sources = {"activity": activity, "consistency": consistency}
    if len(activity) < len(ASSAYS):
        # Without the other assay no compound is dropped by unify(): counts exceed the paper's.
        alone = "one assay only: compounds not unified across assays"
        note = f"{note}; {alone}" if note else alone
    rows = []
    for (figure, quantity), (kind, assay, how) in OUR_VALUES.items():
        table = sources[kind].get(assay)
        if table is None:
            ours, row_note = "NA", f"{ASSAYS[assay].label} not run (config nelisa.assays)"
        elif how == "pct":
            ours = f"{table['p < 0.05'].mean():.0%}"
            row_note = f"{int(table['p < 0.05'].sum())} of {len(table)}"
        else:
            ours, row_note = str(len(table)), ""
        if note:
            row_note = f"{row_note}; {note}" if row_note else note
        rows.append((figure, quantity, ours, row_note))
    return pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])


def test_comparison_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Rows "<analysis> retrieved, <assay>, by test" from the :func:`.calls_by_test.calls_by_test`
    summary: the share retrieved under each test, in the summary's order (columns figure,
    quantity, ours, note)."""
    require_columns(summary, ["assay", "analysis", "test", "made_by", "scored", "retrieved",
                              "retrieved_text"], "test comparison")
    figures = {"activity": "Fig 4A/B", "consistency": "Fig 4C/D"}
    rows = []
    for (assay, analysis), part in summary.groupby(["assay", "analysis"], sort=False):
        tests = " / ".join(part["test"].astype(str))
        ours = " / ".join(part["retrieved_text"].astype(str))
        note = "; ".join(
            f"{r.test}: {r.retrieved} of {r.scored}" + (f" ({r.made_by})" if r.made_by != r.test else "")
            for r in part.itertuples(index=False)
        )
        quantity = f"{analysis} retrieved, {ASSAYS[assay].label}, by test ({tests})"
        rows.append((figures[analysis], quantity, ours, note + "; results/nelisa/test_comparison.csv"))
    return pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])


def reproduction_table(
    activity: Mapping[str, pd.DataFrame],
    consistency: Mapping[str, pd.DataFrame],
    note: str = "",
    beyond: Mapping[str, pd.DataFrame] | None = None,
    test_comparison: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Paper vs our values for Fig 4A-D (columns figure, quantity, paper, ours, note).

    ``beyond`` (assay -> the ``values_beyond_bound`` table of its normalized profiles; the
    workflow always gives it) adds the row "normalized values beyond 1e6". The rows
    "test of the calls (map.test)" name the test behind Fig 4A/B and 4C/D (the tables' ``test``
    column); ``test_comparison`` (the summary of :func:`.calls_by_test.calls_by_test`) adds the
    share retrieved under each test."""
    ours = our_values(activity, consistency, note)
    if beyond is not None:
        value, row_note = beyond_summary({ASSAYS[a].label: t for a, t in beyond.items()})
        row_note = f"{row_note}; {note}" if note else row_note
        ours = pd.concat(
            [ours, pd.DataFrame([("Fig 4A-D", BEYOND_QUANTITY, value, row_note)], columns=ours.columns)],
            ignore_index=True,
        )
    if test_comparison is not None:
        ours = pd.concat([ours, test_comparison_rows(test_comparison)], ignore_index=True)
    table = with_paper_values("nelisa", ours)
    tests = test_rows({"Fig 4A/B": activity.values(), "Fig 4C/D": consistency.values()})
    return pd.concat([table, tests], ignore_index=True)
