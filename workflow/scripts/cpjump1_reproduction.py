"""CPJUMP1: the notebooks' and the paper's numbers next to ours (rule cpjump1_reproduction)."""

import sys
from pathlib import Path

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.cpjump1 import figures, reproduction
from mapreprod.job import start_job

snakemake = start_job()
p = snakemake.params


def tables_by_stem(paths: list[str]) -> dict[str, pd.DataFrame]:
    """Class tables keyed by their file stem (the condition, or the task "<compound>-<genetic>")."""
    return {Path(path).name.removesuffix(".csv"): pd.read_csv(path) for path in paths}


detection = figures.detection_table(
    {name: pd.read_csv(snakemake.input[name]) for name in p.activity_tables}
)
matching = figures.matching_table(tables_by_stem(snakemake.input.matching))
cross = figures.cross_table(tables_by_stem(snakemake.input.cross))
summary = pd.read_csv(snakemake.input.summary)
note = (f"null size {p.null_size}, class q {p.class_q}, Fig 4c negatives "
        f"{p.multilabel_negatives}, Fig 5a tails {p.fig5a_tails}")
if p.synthetic:
    note = f"generated stand-in data; {note}"
table = reproduction.reproduction_table(detection, matching, cross, summary, note=note)
write_table(table, snakemake.output.table)
print(table.to_string(), file=sys.stderr)
