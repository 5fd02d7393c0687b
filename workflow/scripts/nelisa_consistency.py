"""Phenotypic consistency mAP per target of one assay (rule nelisa_consistency)."""

import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets import nelisa
from mapreprod.job import start_job

snakemake = start_job()
active = None
if "activity" in snakemake.input.keys():
    activity = pd.read_csv(snakemake.input.activity)
    active = activity.loc[activity["p < 0.05"], nelisa.PERT].tolist()
table = nelisa.consistency_map(
    pd.read_parquet(snakemake.input.profiles), settings.from_job(snakemake), active=active
)
print(f"{len(table)} targets, {table['p < 0.05'].mean():.0%} retrieved", file=sys.stderr)
write_table(table, snakemake.output.table)
