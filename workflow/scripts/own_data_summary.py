"""Counts and retrieved fractions of one dataset, as reproduction rows (rule own_data_summary)."""

import json

import pandas as pd

from mapreprod import settings
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
write_table(rows, snakemake.output.table)
