"""The paper's cpg0016[orf] numbers (S7B, S7D, dataset size) next to this run's."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd
from mapreprod.datasets.cpg0016orf.reproduction import reproduction_table

inp = snakemake.input  # noqa: F821
table = reproduction_table(
    pd.read_csv(inp.activity),
    pd.read_csv(inp.consistency),
    pd.read_csv(inp.steps),
    consistency_fdr=snakemake.params.consistency_fdr,  # noqa: F821
    synthetic=snakemake.params.synthetic,  # noqa: F821
)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
