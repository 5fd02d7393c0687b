"""Paper vs our numbers for Fig 4A-D (rule nelisa_reproduction)."""

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets import nelisa
from mapreprod.job import start_job

snakemake = start_job()
assays = snakemake.params.assays
standin = snakemake.params.synthetic_cellpainting and "cellpainting" in assays
table = nelisa.reproduction_table(
    {a: pd.read_csv(snakemake.input[f"activity_{a}"]) for a in assays},
    {a: pd.read_csv(snakemake.input[f"consistency_{a}"]) for a in assays},
    beyond={a: pd.read_csv(snakemake.input[f"beyond_{a}"]) for a in assays},
    note=f"null size {snakemake.params.null_size}"
    + (
        "; Cell Painting: generated stand-in on the real nELISA wells (synthetic): "
        "not comparable to the paper"
        if standin
        else ""
    ),
)
write_table(table, snakemake.output.table)
