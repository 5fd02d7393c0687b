"""Training cells + control sample, QC-filtered, CellProfiler features selected (rule
mitocheck_preprocess; docs/methods.md)."""

import sys

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.mitocheck.inputs import read_training
from mapreprod.datasets.mitocheck.preprocess import preprocess_cells
from mapreprod.job import start_job

snakemake = start_job()
p = snakemake.params
merged = preprocess_cells(
    read_training(snakemake.input.training),
    pd.read_parquet(snakemake.input.sample),
    operations=p.operations,
    select_dp=p.select_dp,
)
print(f"merged table: {merged.shape}", file=sys.stderr)
write_table(merged, snakemake.output.merged)
