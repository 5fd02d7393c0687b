"""Training cells + control sample, QC-filtered, CellProfiler features selected (SPEC §8)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.mitocheck.inputs import read_training
from mapreprod.datasets.mitocheck.preprocess import preprocess_cells

p = snakemake.params  # noqa: F821
merged = preprocess_cells(read_training(snakemake.input.training),  # noqa: F821
                          pd.read_parquet(snakemake.input.sample),  # noqa: F821
                          operations=p.operations, select_dp=p.select_dp)
print(f"merged table: {merged.shape}", file=sys.stderr)
merged.to_parquet(snakemake.output.merged, index=False)  # noqa: F821
