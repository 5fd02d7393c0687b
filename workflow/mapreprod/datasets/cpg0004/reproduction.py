"""Our values for the numbers the paper reports on Fig S7A/S7C (paper values: paper_values.tsv)."""

from __future__ import annotations

import mapeval
import pandas as pd

from mapreprod.common import require_columns
from mapreprod.reproduction import with_paper_values
from mapreprod.settings import test_rows


def reproduction_table(
    activity_map: pd.DataFrame,
    consistency_map: pd.DataFrame,
    *,
    synthetic: bool,
    activity_filter: bool,
) -> pd.DataFrame:
    """The paper's cpg0004 numbers (paper_values.tsv) next to ours (columns figure, quantity,
    paper, ours, note)."""
    require_columns(consistency_map, ["Metadata_target", "below_corrected_p"], "consistency mAP table")
    n_compounds = int(activity_map["Metadata_broad_sample"].nunique())
    act = mapeval.percent_retrieved(activity_map["below_corrected_p"])
    con = mapeval.percent_retrieved(consistency_map["below_corrected_p"])
    source = (
        "SYNTHETIC profiles with planted signal (schema of the LINCS tables; real profiles not "
        "reachable offline): not comparable to the paper"
        if synthetic
        else "real LINCS profiles"
    )
    filt = (
        "consistency on activity-filtered compounds (paper text)"
        if activity_filter
        else "no activity filter before consistency (authors' code)"
    )
    rows = [
        ("Fig S7A", "compounds retrieved (phenotypic activity)", f"{100 * act:.1f}%",
         f"{source}; dose 6 (10 uM), same-plate DMSO negatives"),
        ("Fig S7C", "target genes consistent (phenotypic consistency)", f"{100 * con:.1f}%",
         f"{source}; {filt}; {len(consistency_map)} targets scored"),
        # texts, as the other parts' tables: a count stays a count next to percentages in the CSV
        ("Fig S7A", "compounds scored", str(n_compounds),
         f"{source}; distinct Metadata_broad_sample at dose 6"),
    ]
    ours = pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])
    # which test of map.test made the calls (the tables' test column)
    tests = test_rows({"Fig S7A": [activity_map], "Fig S7C": [consistency_map]}, source)
    return pd.concat([with_paper_values("cpg0004", ours), tests], ignore_index=True)
