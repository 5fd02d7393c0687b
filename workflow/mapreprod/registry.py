"""The figure registry: one table (figures.tsv) with every figure the workflow draws.

Columns: ``id`` (file stem under results/figures and results/tables), ``dataset`` (the
``datasets:`` name that turns it on; ``simulations`` always runs), ``paper`` (kalinin2025,
chandrasekaran2024 or ours), ``paper_figure`` (as printed in that paper, e.g. "Fig 3E"),
``rule`` (the Snakemake rule that draws it) and ``caption`` (what it shows). It feeds
``rule all``, the report captions, the tests and the README's list.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

FIGURES_TSV = Path(__file__).with_name("figures.tsv")
COLUMNS = ["id", "dataset", "paper", "paper_figure", "rule", "caption"]
PAPERS = {
    "kalinin2025": "Kalinin et al. 2025 (Nat Commun 16:5181)",
    "chandrasekaran2024": "Chandrasekaran et al. 2024 (CPJUMP1, Nat Methods)",
    "ours": "this workflow (not in the paper)",
}


@cache
def figures(path: str | None = None) -> pd.DataFrame:
    """The registry as a DataFrame (checked: columns, unique ids, known papers)."""
    source = Path(path) if path else FIGURES_TSV
    table = pd.read_csv(source, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}")
    dup = table["id"][table["id"].duplicated()].tolist()
    if dup:
        raise ValueError(f"{source}: figure id(s) listed twice: {dup}")
    unknown = sorted(set(table["paper"]) - set(PAPERS))
    if unknown:
        raise ValueError(f"{source}: unknown paper(s) {unknown}; known: {sorted(PAPERS)}")
    empty = table.loc[(table[COLUMNS] == "").any(axis=1), "id"].tolist()
    if empty:
        raise ValueError(f"{source}: empty field(s) in row(s) {empty}")
    return table[COLUMNS]


def figure_ids(dataset: str) -> list[str]:
    """Ids of the figures of one dataset, in registry order."""
    table = figures()
    return table.loc[table["dataset"] == dataset, "id"].tolist()


def entry(figure_id: str) -> dict[str, str]:
    """The registry row of one figure id (KeyError naming the id if it is not registered)."""
    table = figures()
    rows = table[table["id"] == figure_id]
    if rows.empty:
        raise KeyError(f"figure id {figure_id!r} is not in {FIGURES_TSV}")
    return rows.iloc[0].to_dict()


def caption(figure_id: str) -> str:
    """The caption with its source: '<caption> Reproduces <paper figure> of <paper>.'"""
    row = entry(figure_id)
    source = PAPERS[row["paper"]]
    if row["paper"] == "ours":
        return f"{row['caption']} ({source}.)"
    return f"{row['caption']} Reproduces {row['paper_figure']} of {source}."
