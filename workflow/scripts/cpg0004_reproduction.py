"""The paper's cpg0004 numbers (S7A, S7C) next to this run's (rule cpg0004_reproduction)."""

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.cpg0004 import reproduction_table
from mapreprod.job import start_job

snakemake = start_job()
table = reproduction_table(
    pd.read_csv(snakemake.input.activity),
    pd.read_csv(snakemake.input.consistency),
    synthetic=snakemake.params.synthetic,
    activity_filter=snakemake.params.activity_filter,
)
write_table(table, snakemake.output.table)
