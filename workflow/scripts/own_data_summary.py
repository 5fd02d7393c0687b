"""Counts and retrieved fractions of one dataset, as reproduction rows (rule own_data_summary)."""

import json

import pandas as pd

from mapreprod import metrics, settings
from mapreprod.common import write_table
from mapreprod.datasets.own_data import inputs, reproduction
from mapreprod.job import start_job

snakemake = start_job()
spec = inputs.OwnDataSpec.from_config(snakemake.params.name, snakemake.params.entry)
with open(snakemake.input.info) as fh:
    info = json.load(fh)
consistency, pool = None, None
if "consistency" in snakemake.input.keys():
    consistency = pd.read_csv(snakemake.input.consistency)
    with open(snakemake.input.consistency_info) as fh:
        pool = json.load(fh)["perturbations"]
rows = reproduction.summary_rows(
    spec, settings.from_job(snakemake), info, pd.read_csv(snakemake.input.activity), consistency, pool
)
# the other metrics beside mAP (docs/methods.md §15), with the cell-count warning where it applies
other = metrics.reproduction_rows(
    pd.read_csv(snakemake.input.metrics, dtype=str, keep_default_na=False), figure=f"metrics_own_{spec.name}"
).assign(paper=reproduction.OWN_PAPER)
write_table(pd.concat([rows, other[rows.columns]], ignore_index=True), snakemake.output.table)
