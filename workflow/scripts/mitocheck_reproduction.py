"""The paper's Mitocheck numbers (Fig 5C, S9A, S9B) next to this run's (rule
mitocheck_reproduction)."""

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.mitocheck.inputs import CLASS, CONTROL_CLASS
from mapreprod.datasets.mitocheck.reproduction import reproduction_table
from mapreprod.job import start_job

snakemake = start_job()
classes = pd.read_parquet(snakemake.input.merged, columns=[CLASS])[CLASS]
table = reproduction_table(
    pd.read_csv(snakemake.input.gene, low_memory=False),
    pd.read_csv(snakemake.input.morphoclass, low_memory=False),
    n_controls=int((classes == CONTROL_CLASS).sum()),
    note=snakemake.params.note,
)
write_table(table, snakemake.output.table)
