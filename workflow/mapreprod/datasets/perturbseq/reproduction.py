"""Our values for the numbers reported on Perturb-seq (paper values: paper_values.tsv)."""

from __future__ import annotations

import pandas as pd

from mapreprod.reproduction import with_paper_values
from mapreprod.settings import test_rows

from .figures import ACTIVITY, correlations
from mapreprod.common import require_columns

from .inputs import GENE, NEGATIVE

__all__ = ["our_values", "reproduction_table"]

DESIGN = "Fig 4E"  # dataset-level facts, shown with the bulk figure
SEURAT = "Fig 4E"


def _step(summary: pd.DataFrame, name: str) -> pd.Series:
    rows = summary[summary["step"] == name]
    if rows.empty:
        raise ValueError(f"Seurat summary lacks the step {name!r}")
    return rows.iloc[0]


def our_values(
    summary: pd.DataFrame,
    bulk_profiles: pd.DataFrame,
    bulk: pd.DataFrame,
    cells: pd.DataFrame,
    n_scored_cells: int,
    note: str = "",
) -> pd.DataFrame:
    """Our value of each reported number (columns figure, quantity, ours, note).

    Parameters
    ----------
    summary : Seurat step counts (:func:`~.preprocess.seurat_export`).
    bulk_profiles : per-guide profiles (:func:`~.preprocess.bulk_profiles`).
    bulk : the Fig 4E table (:func:`~.activity.bulk_map`).
    cells : the Fig 5A table (:func:`~.activity.single_cell_ap`, plotted significance).
    n_scored_cells : good-coverage single-guide cells (:func:`~.activity.scored_cells`).
    note : appended to every row (e.g. "synthetic stand-in").
    """
    require_columns(bulk, ["gene", "mAP", "p < 0.05", ACTIVITY], "bulk mAP table")
    created = _step(summary, "CreateSeuratObject")
    filtered = _step(summary, "subset (nFeature_RNA, percent.mt)")
    exported = _step(summary, "export (scaled variable genes)")
    guides = bulk_profiles.drop_duplicates("Metadata_guide_identity")
    n_neg = int(guides[GENE].eq(NEGATIVE).sum())
    r_bulk = correlations(bulk[ACTIVITY], bulk["mAP"])
    r_cells = correlations(cells[ACTIVITY], cells["mAP"]) if ACTIVITY in cells else None
    sig = bulk["p < 0.05"].astype(bool)
    rows = [
        (DESIGN, "target genes", f"{bulk['gene'].nunique()}", ""),
        (DESIGN, "guides: targeting / non-targeting", f"{len(guides) - n_neg} / {n_neg}", ""),
        (SEURAT, "features x cells after CreateSeuratObject (min.cells 3, min.features 200)",
         f"{int(created['features']):,} x {int(created['cells']):,}", ""),
        (SEURAT, "cells after QC (2000 < nFeature_RNA < 7000, percent.mt < 15)",
         f"{int(filtered['cells']):,}", ""),
        (SEURAT, "variable genes exported (vst)", f"{int(exported['features']):,}", ""),
        ("Fig 4E", "guides scored", f"{len(bulk)}", ""),
        ("Fig 4E", "guides retrieved (BH q < 0.05)", f"{sig.mean():.1%}",
         f"{int(sig.sum())} of {len(bulk)}"),
        ("Fig 4E", "Pearson r, mAP vs relative activity (day 5)", f"{r_bulk['pearson']:.2f}", ""),
        ("Fig 4E", "Spearman rho, mAP vs relative activity (day 5)", f"{r_bulk['spearman']:.2f}", ""),
        ("Fig 5A", "scored cells (good coverage, one guide)", f"{n_scored_cells:,}", ""),
        ("Fig 5A", "target cells with an AP", f"{len(cells):,}", ""),
        ("Fig 5A", "cells retrieved (p < 0.05 as plotted)",
         f"{cells['p < 0.05'].astype(bool).mean():.1%}", ""),
    ]
    if r_cells is not None:
        rows.append(("Fig 5A", "Pearson r, single-cell AP vs relative activity (day 5)",
                     f"{r_cells['pearson']:.2f}", ""))
    table = pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])
    if note:
        table["note"] = [f"{n}; {note}" if n else note for n in table["note"]]
    return table


def reproduction_table(
    summary: pd.DataFrame,
    bulk_profiles: pd.DataFrame,
    bulk: pd.DataFrame,
    cells: pd.DataFrame,
    n_scored_cells: int,
    note: str = "",
) -> pd.DataFrame:
    """Paper vs our values (columns figure, quantity, paper, ours, note), then the rows naming
    the test behind the bulk calls (Fig 4E/F) and the single-cell p-values (Fig 5A/B; AP-level)
    from the tables' ``test`` column."""
    ours = our_values(summary, bulk_profiles, bulk, cells, n_scored_cells, note)
    tests = test_rows({"Fig 4E/F": [bulk], "Fig 5A/B": [cells]}, note)
    return pd.concat([with_paper_values("perturbseq", ours), tests], ignore_index=True)
