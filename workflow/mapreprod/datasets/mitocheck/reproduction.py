"""Our values for the numbers the paper reports on Mitocheck (Fig 5C, S9A, S9B; L175-177).

The paper values are in ``workflow/mapreprod/paper_values.tsv`` (dataset ``mitocheck``). The
paper's "mAP" here is the mean of the single-cell APs; "retrieved" the share of cells with
p < 0.05 (raw p in the authors' code).
"""

from __future__ import annotations

import pandas as pd

from mapreprod.reproduction import with_paper_values
from mapreprod.settings import test_rows

from .activity import summarize
from .inputs import CLASS, GENE

#: (figure, quantity) of paper_values.tsv -> (grouping, feature set, statistic).
OUR_VALUES = {
    ("Fig 5C/S9A", "class mAP, CellProfiler"): ("class", "cp", "mAP"),
    ("Fig 5C/S9A", "class mAP, DeepProfiler"): ("class", "dp", "mAP"),
    ("Fig 5C/S9A", "class retrieved, CellProfiler"): ("class", "cp", "retrieved"),
    ("Fig 5C/S9A", "class retrieved, DeepProfiler"): ("class", "dp", "retrieved"),
    ("Fig S9B", "gene mAP, CellProfiler"): ("gene", "cp", "mAP"),
    ("Fig S9B", "gene retrieved, CellProfiler"): ("gene", "cp", "retrieved"),
    ("Fig S9B", "gene mAP, DeepProfiler"): ("gene", "dp", "mAP"),
    ("Fig S9B", "gene retrieved, DeepProfiler"): ("gene", "dp", "retrieved"),
}

__all__ = ["OUR_VALUES", "our_values", "reproduction_table"]


def our_values(
    gene_ap: pd.DataFrame, class_ap: pd.DataFrame, n_controls: int, note: str = ""
) -> pd.DataFrame:
    """Our value of each reported number (columns figure, quantity, ours, note).

    mAP with two decimals and retrieved as a percentage (``:.0%``), as the paper prints them;
    dataset counts (cells after QC, classes, genes, sampled controls) as integers.
    """
    summaries = {"gene": summarize(gene_ap).set_index("Features"),
                 "class": summarize(class_ap).set_index("Features")}
    rows = []
    for (figure, quantity), (grouping, fs, stat) in OUR_VALUES.items():
        value = summaries[grouping].loc[fs, stat]
        ours = f"{value:.2f}" if stat == "mAP" else f"{value:.0%}"
        detail = f"{stat} = {value:.4f} over {int(summaries[grouping].loc[fs, 'cells'])} cells"
        rows.append((figure, quantity, ours, detail))
    cells = class_ap[class_ap["Features"] == class_ap["Features"].iloc[0]]
    rows += [
        ("Fig 5C", "cells after QC", str(len(cells)), ""),
        ("Fig 5C", "morphological classes", str(cells[CLASS].nunique()), ""),
        ("Fig S9B", "genes", str(cells[GENE].nunique()), "distinct Metadata_Gene labels"),
        ("Fig 5C", "sampled control cells", str(int(n_controls)), "control cells in the scored table"),
    ]
    out = pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])
    if note:
        out["note"] = [f"{n}; {note}" if n else note for n in out["note"]]
    return out


def reproduction_table(
    gene_ap: pd.DataFrame, class_ap: pd.DataFrame, n_controls: int, note: str = ""
) -> pd.DataFrame:
    """Paper vs our values for Mitocheck (columns figure, quantity, paper, ours, note), then the
    rows naming the null behind the per-cell AP p-values (the tables' ``test`` column)."""
    table = with_paper_values("mitocheck", our_values(gene_ap, class_ap, n_controls, note))
    tests = test_rows({"Fig 5C/S9A": [class_ap], "Fig S9B": [gene_ap]}, note)
    return pd.concat([table, tests], ignore_index=True)
