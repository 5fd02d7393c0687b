"""The paper's cpg0016[orf] numbers (S7B, S7D, dataset size) next to this run's (rule
cpg0016orf_reproduction)."""

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.cpg0016orf.reproduction import reproduction_table
from mapreprod.job import start_job

snakemake = start_job()
inp = snakemake.input
table = reproduction_table(
    pd.read_csv(inp.activity),
    pd.read_csv(inp.consistency),
    pd.read_csv(inp.steps),
    consistency_fdr=snakemake.params.consistency_fdr,
    synthetic=snakemake.params.synthetic,
)
write_table(table, snakemake.output.table)
