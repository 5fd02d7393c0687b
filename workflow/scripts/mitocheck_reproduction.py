"""The paper's Mitocheck numbers (Fig 5C, S9A, S9B) next to this run's."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.mitocheck.inputs import CLASS, CONTROL_CLASS
from mapreprod.datasets.mitocheck.reproduction import reproduction_table

classes = pd.read_parquet(snakemake.input.merged, columns=[CLASS])[CLASS]  # noqa: F821
table = reproduction_table(
    pd.read_csv(snakemake.input.gene, low_memory=False),  # noqa: F821
    pd.read_csv(snakemake.input.morphoclass, low_memory=False),  # noqa: F821
    n_controls=int((classes == CONTROL_CLASS).sum()),
    note=snakemake.params.note,  # noqa: F821
)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
