"""Our values for the CPJUMP1 numbers in paper_values.tsv (the notebooks' printed fractions and
Fisher tests, and the paper's statements; docs/methods.md §12.2-12.5)."""

from __future__ import annotations

import pandas as pd

from mapreprod.reproduction import with_paper_values
from mapreprod.settings import test_rows

from .figures import fractions
from .inputs import CELL_TYPES, MODALITIES, TIME_LABELS


def _fr(value: float) -> str:
    return "NA" if pd.isna(value) else f"{value:.3f}"


def detection_rows(detection: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """Fig 4a and Extended Data Fig 1 rows from the stacked detection classes."""
    fr = fractions(detection, ["Modality", "Cell", "time", "variant"])
    get = {
        (r.Modality, r.Cell, r.time, r.variant): r for r in fr.itertuples(index=False)
    }
    rows = []
    for m in MODALITIES:
        for cell in CELL_TYPES:
            for time in TIME_LABELS:
                r = get.get((m, cell, time, "all"))
                ours = _fr(r.fraction_retrieved) if r else "NA"
                note = f"{r.n_retrieved} of {r.n_classes}" if r else "not run"
                rows.append(("Fig 4a", f"fraction retrieved, {m} {cell} {time}", ours, note))
    ordered = 0
    for cell in CELL_TYPES:
        for time in TIME_LABELS:
            vals = [get.get((m, cell, time, "all")) for m in MODALITIES]
            if all(vals) and vals[0].fraction_retrieved > vals[1].fraction_retrieved > vals[2].fraction_retrieved:
                ordered += 1
    rows.append(("Fig 4a", "compound > CRISPR > ORF (cell type x time point)", f"{ordered} of 4", ""))
    for variant, label in (("same_well", "same well"), ("different_well", "different well")):
        for cell in CELL_TYPES:
            for time in TIME_LABELS:
                r = get.get(("orf", cell, time, variant))
                ours = _fr(r.fraction_retrieved) if r else "NA"
                note = f"{r.n_retrieved} of {r.n_classes}" if r else "not run (cpjump1.well_variant_modalities)"
                rows.append(("Extended Data Fig 1", f"ORF fraction retrieved, {label}, {cell} {time}", ours, note))
    raised = sum(
        1
        for cell in CELL_TYPES
        for time in TIME_LABELS
        if get.get(("orf", cell, time, "same_well")) and get.get(("orf", cell, time, "all"))
        and get[("orf", cell, time, "same_well")].fraction_retrieved > get[("orf", cell, time, "all")].fraction_retrieved
    )
    rows.append(("Extended Data Fig 1", "same-well ORF replicates retrieved more often than all", f"{raised} of 4", ""))
    return rows


def matching_rows(matching: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """Fig 4b rows: fraction retrieved per condition and the range per modality."""
    fr = fractions(matching, ["Modality", "Cell", "time"]) if len(matching) else pd.DataFrame(
        columns=["Modality", "Cell", "time", "n_classes", "n_retrieved", "fraction_retrieved"])
    get = {(r.Modality, r.Cell, r.time): r for r in fr.itertuples(index=False)}
    rows = []
    for m in ("compound", "crispr"):
        for cell in CELL_TYPES:
            for time in TIME_LABELS:
                r = get.get((m, cell, time))
                ours = _fr(r.fraction_retrieved) if r else "NA"
                note = f"{r.n_retrieved} of {r.n_classes} targets" if r else "no class"
                rows.append(("Fig 4b", f"fraction retrieved, sister {m} {cell} {time}", ours, note))
    for m, label in (("compound", "sister compounds"), ("crispr", "sister CRISPR guides")):
        values = fr.loc[fr["Modality"] == m, "fraction_retrieved"].dropna()
        ours = f"{values.min():.0%}-{values.max():.0%}" if len(values) else "NA"
        rows.append(("Fig 4b", f"fraction retrieved range, {label}", ours, ""))
    return rows


def cross_rows(cross: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """Fig 4c rows: fraction retrieved of the 16 compound-gene tasks, and CRISPR vs ORF."""
    rows = []
    by = ["Cell", "compound_time", "Genetic_Perturbation", "genetic_time"]
    fr = fractions(cross, by) if len(cross) else pd.DataFrame(columns=[*by, "n_classes", "n_retrieved", "fraction_retrieved"])
    get = {tuple(getattr(r, c) for c in by): r for r in fr.itertuples(index=False)}
    means = cross.groupby(by)["mAP"].mean().to_dict() if len(cross) else {}
    better = total = 0
    for cell in CELL_TYPES:
        for ctime in TIME_LABELS:
            for gp in ("CRISPR", "ORF"):
                for gtime in TIME_LABELS:
                    r = get.get((cell, ctime, gp, gtime))
                    ours = _fr(r.fraction_retrieved) if r else "0.000"
                    note = f"{r.n_retrieved} of {r.n_classes} genes" if r else "no gene scored"
                    rows.append(("Fig 4c", f"fraction retrieved, compound {cell} {ctime} - {gp} {gtime}", ours, note))
            for gtime in TIME_LABELS:
                c, o = means.get((cell, ctime, "CRISPR", gtime)), means.get((cell, ctime, "ORF", gtime))
                if c is not None and o is not None:
                    total += 1
                    better += int(c > o)
    rows.append(("Fig 4c", "compound-CRISPR mean mAP above compound-ORF (cell x time points)",
                 f"{better} of {total}", "mean of the per-gene mAP"))
    return rows


def directionality_rows(summary: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """Fig 5 rows: Fisher odds ratios and the numbers of same-target pairs."""
    rows = []
    for r in summary.itertuples(index=False):
        what = "ORF-CRISPR" if r.panel == "a" else f"compound-{r.genetic_perturbation}"
        rows.append(("Fig 5", f"Fisher odds ratio (positive vs negative tail), {what} {r.cell}",
                     f"{r.fishers_exact_statistic:.3f}", f"p = {r.fishers_exact_pvalue:.2g}, n = {r.n}"))
    for panel, label in (("a", "same-target pairs per cell type, Fig 5a"),
                         ("b", "same-target pairs per cell type and genetic modality, Fig 5b")):
        part = summary[summary["panel"] == panel]
        ours = ", ".join(f"{r.cell}{'' if panel == 'a' else ' ' + r.genetic_perturbation} {r.n}"
                         for r in part.itertuples(index=False))
        rows.append(("Fig 5", label, ours or "NA", ""))
    positive = int(((summary["fishers_exact_statistic"] > 1) & (summary["fishers_exact_pvalue"] < 0.05)).sum())
    rows.append(("Fig 5", "tails significantly more positive than negative (Fisher, p < 0.05)",
                 f"{positive} of {len(summary)}", ""))
    return rows


def our_values(
    detection: pd.DataFrame,
    matching: pd.DataFrame,
    cross: pd.DataFrame,
    directionality_summary: pd.DataFrame,
    note: str = "",
) -> pd.DataFrame:
    """Columns figure, quantity, ours, note for every CPJUMP1 row of paper_values.tsv."""
    rows = (
        detection_rows(detection)
        + matching_rows(matching)
        + cross_rows(cross)
        + directionality_rows(directionality_summary)
    )
    table = pd.DataFrame(rows, columns=["figure", "quantity", "ours", "note"])
    if note:
        table["note"] = [f"{n}; {note}" if n else note for n in table["note"]]
    return table


def reproduction_table(
    detection: pd.DataFrame,
    matching: pd.DataFrame,
    cross: pd.DataFrame,
    directionality_summary: pd.DataFrame,
    note: str = "",
) -> pd.DataFrame:
    """Paper (and notebook) values next to ours: columns figure, quantity, paper, ours, note.

    The rows "test of the calls (map.test)" name the null behind the class q-values of Fig 4a,
    Extended Data Fig 1, Fig 4b and 4c (the class tables' ``test`` column: AP-level p-values,
    so the permutation test does not apply; docs/methods.md §1.9)."""
    table = with_paper_values("cpjump1", our_values(detection, matching, cross, directionality_summary, note))
    all_wells = detection["variant"] == "all"
    tests = test_rows(
        {
            "Fig 4a": [detection[all_wells]],
            "Extended Data Fig 1": [detection[~all_wells]],
            "Fig 4b": [matching],
            "Fig 4c": [cross],
        },
        note,
    )
    return pd.concat([table, tests], ignore_index=True)
