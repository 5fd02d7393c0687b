"""Phenotypic activity mAP per compound of one assay (rule nelisa_activity)."""

import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets import nelisa
from mapreprod.job import start_job

snakemake = start_job()
table = nelisa.activity_map(
    pd.read_parquet(snakemake.input.profiles),
    settings.from_job(snakemake),
    same_plate_controls=snakemake.params.same_plate_controls,
)
print(f"{len(table)} compounds, {table['p < 0.05'].mean():.0%} retrieved", file=sys.stderr)
write_table(table, snakemake.output.table)
