"""The paper's reported numbers next to ours (docs/methods.md §10), gathered from every part that ran."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

COLUMNS = ["figure", "quantity", "paper", "ours", "note"]

#: Fig 2: the paper says every method stays below 20% recall when few features are perturbed
#: (L104); the authors' result table gives these maxima at 1% perturbed features.
FIG2_AT_ONE_PERCENT = {"mAP p-value": 0.31, "MMD": 0.20, "mp-value": 0.17, "k-means": 0.01}


def simulation_rows(fig2: pd.DataFrame, note: str = "") -> pd.DataFrame:
    """Maximum recall of each method at 1% perturbed features, over the Fig 2 grid."""
    missing = {"features_differ", *FIG2_AT_ONE_PERCENT} - set(fig2.columns)
    if missing:
        raise ValueError(f"Fig 2 table lacks column(s) {sorted(missing)}")
    at_one = fig2[fig2["features_differ"].astype(float) == 1.0]
    rows = [
        {
            "figure": "Fig 2",
            "quantity": f"max recall at 1% perturbed features, {method}",
            "paper": f"< 0.20 (authors' table: {value:.2f})",
            "ours": f"{at_one[method].max():.2f}" if len(at_one) else None,
            "note": note,
        }
        for method, value in FIG2_AT_ONE_PERCENT.items()
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def combine(tables: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Stack the per-part tables, checking each has the columns figure, quantity, paper, ours, note."""
    frames = []
    for t in tables:
        missing = [c for c in COLUMNS if c not in t.columns]
        if missing:
            raise ValueError(f"reproduction table lacks column(s) {missing}")
        frames.append(t[COLUMNS])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def to_markdown(table: pd.DataFrame) -> str:
    """A readable Markdown table (no extra dependency)."""
    def cell(v) -> str:
        return "" if pd.isna(v) else str(v).replace("|", "\\|")

    lines = [
        "# Reported numbers: paper vs this run",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table[COLUMNS].itertuples(index=False)]
    return "\n".join(lines) + "\n"


#: The paper's reported numbers, one table for every dataset (columns below). Each dataset's
#: reproduction step computes ``ours`` for the same (figure, quantity) keys.
PAPER_VALUES_TSV = Path(__file__).with_name("paper_values.tsv")
PAPER_VALUE_COLUMNS = ["dataset", "figure", "quantity", "paper", "source"]


def paper_values(dataset: str) -> pd.DataFrame:
    """Rows of ``paper_values.tsv`` for one dataset: figure, quantity, paper, source."""
    table = pd.read_csv(PAPER_VALUES_TSV, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in PAPER_VALUE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{PAPER_VALUES_TSV}: missing column(s) {missing}")
    rows = table[table["dataset"] == dataset].drop(columns="dataset").reset_index(drop=True)
    dup = rows.duplicated(["figure", "quantity"])
    if dup.any():
        raise ValueError(
            f"{PAPER_VALUES_TSV}: ({dataset}) rows listed twice: "
            f"{rows.loc[dup, ['figure', 'quantity']].values.tolist()}"
        )
    return rows


def with_paper_values(dataset: str, ours: pd.DataFrame) -> pd.DataFrame:
    """Our values (columns figure, quantity, ours[, note]) next to the paper's, in the order of
    ``paper_values.tsv``; a paper row we did not compute gets ours = "NA", a row of ours with no
    paper value gets paper = "not reported". Returns the columns of :data:`COLUMNS`."""
    paper = paper_values(dataset)
    ours = ours.copy()
    if "note" not in ours.columns:
        ours["note"] = ""
    for col in ("figure", "quantity", "ours"):
        if col not in ours.columns:
            raise ValueError(f"{dataset}: our reproduction values lack column {col!r}")
    merged = paper.merge(ours, on=["figure", "quantity"], how="outer", sort=False, indicator=True)
    merged["paper"] = merged["paper"].fillna("not reported")
    merged["ours"] = merged["ours"].fillna("NA").astype(str)
    source = merged["source"].fillna("")
    note = merged["note"].fillna("")
    merged["note"] = [
        "; ".join(part for part in (n, f"paper: {s}" if s and s != "paper text" else "") if part)
        for n, s in zip(note, source)
    ]
    order = {key: i for i, key in enumerate(zip(paper["figure"], paper["quantity"]))}
    merged["_order"] = [
        order.get(key, len(order) + i)
        for i, key in enumerate(zip(merged["figure"], merged["quantity"]))
    ]
    return merged.sort_values("_order", kind="stable")[COLUMNS].reset_index(drop=True)
