"""The paper's cpg0016[orf] numbers (L148, L312) next to ours.

- S7B, "56% of ORFs retrieved": the authors' script calls an ORF retrieved at BH q < 0.1 and the
  figure labels that "p < 0.05" (docs/methods.md §5, §11.6); both readings are reported, whatever
  ``cpg0016orf.activity_fdr`` is, from the corrected p-values of the S7B table.
- S7D, "4% of assessed protein complexes": consistent complexes at ``consistency_fdr``.
- L148/L312, "15,136 overexpression reagents ... 12,602 unique genes, including controls": the
  distinct ORF ids and NCBI gene ids among the annotated wells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapreprod.common import percent
from mapreprod.reproduction import with_paper_values
from mapreprod.settings import test_rows

from .inputs import check_columns

DATASET = "cpg0016orf"
#: (figure, quantity) keys shared with paper_values.tsv.
Q_ACTIVITY_CODE = "ORFs retrieved, q < 0.1 (the authors' FDR)"
Q_ACTIVITY_LABEL = "ORFs retrieved, q < 0.05 (the figure's p < 0.05 label)"
Q_CONSISTENCY = "CORUM complexes consistent"
Q_REAGENTS = "ORF reagents, incl. controls"
Q_GENES = "genes, incl. controls"
Q_ORFS_SCORED = "ORFs scored (activity)"
Q_COMPLEXES_SCORED = "complexes scored (consistency)"

__all__ = ["DATASET", "our_values", "reproduction_table"]


def _percent_text(values: np.ndarray | pd.Series) -> str:
    """Percent of true values as printed in the table ("56.0%"); "NA" when there are none."""
    return f"{percent(values):.1f}%" if len(values) else "NA"


def our_values(
    activity_map: pd.DataFrame,
    consistency_map: pd.DataFrame,
    steps: pd.DataFrame,
    *,
    consistency_fdr: float,
    note: str = "",
) -> pd.DataFrame:
    """Our value of each reported quantity: columns figure, quantity, ours, note."""
    check_columns(activity_map, ["Metadata_JCP2022", "corrected_p_value"], "activity mAP table")
    check_columns(consistency_map, ["below_corrected_p"], "consistency mAP table")
    check_columns(steps, ["step", "wells"], "filter steps table")
    q = activity_map["corrected_p_value"].to_numpy(dtype=float)
    counts = steps.set_index("step")["wells"]
    sep = "; " if note else ""
    rows = [
        ("Fig S7B", Q_ACTIVITY_CODE, _percent_text(q < 0.1), f"{note}{sep}BH q < 0.1 over {len(q)} ORFs"),
        ("Fig S7B", Q_ACTIVITY_LABEL, _percent_text(q < 0.05), f"{note}{sep}BH q < 0.05 over {len(q)} ORFs"),
        ("Fig S7D", Q_CONSISTENCY, _percent_text(consistency_map["below_corrected_p"].astype(bool)),
         f"{note}{sep}BH q < {consistency_fdr:g} over {len(consistency_map)} complexes"),
        ("Fig S7B", Q_REAGENTS, str(int(counts.get("orf_reagents", 0))),
         f"{note}{sep}distinct ORF JCP2022 ids among the annotated wells"),
        ("Fig S7B", Q_GENES, str(int(counts.get("genes", 0))),
         f"{note}{sep}distinct Metadata_NCBI_Gene_ID among the annotated wells"),
        ("Fig S7B", Q_ORFS_SCORED, str(len(q)), f"{note}{sep}ORFs with an mAP after the filters"),
        ("Fig S7D", Q_COMPLEXES_SCORED, str(len(consistency_map)),
         f"{note}{sep}complexes with at least two active consensus profiles"),
    ]
    return pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])


def reproduction_table(
    activity_map: pd.DataFrame,
    consistency_map: pd.DataFrame,
    steps: pd.DataFrame,
    *,
    consistency_fdr: float,
    synthetic: bool,
) -> pd.DataFrame:
    """figure, quantity, paper, ours, note: ours joined with ``paper_values.tsv``."""
    note = (
        "SYNTHETIC stand-in with planted signal (schema of the real files): not comparable"
        if synthetic
        else "real cpg0016[orf] profiles"
    )
    ours = our_values(
        activity_map, consistency_map, steps, consistency_fdr=consistency_fdr, note=note
    )
    # which test of map.test made the calls (the tables' test column)
    tests = test_rows({"Fig S7B": [activity_map], "Fig S7D": [consistency_map]}, note)
    return pd.concat([with_paper_values(DATASET, ours), tests], ignore_index=True)
