"""The paper's cpg0004 numbers (S7A, S7C) next to this run's."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.cpg0004 import reproduction_table

table = reproduction_table(
    pd.read_csv(snakemake.input.activity),  # noqa: F821
    pd.read_csv(snakemake.input.consistency),  # noqa: F821
    synthetic=snakemake.params.synthetic,  # noqa: F821
    activity_filter=snakemake.params.activity_filter,  # noqa: F821
)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
