"""Paper vs our numbers for Fig 4A-D (rule nelisa_reproduction)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import nelisa as nelisa  # noqa: E402

assays = snakemake.params.assays  # noqa: F821
table = nelisa.reproduction_table(
    {a: pd.read_csv(snakemake.input[f"activity_{a}"]) for a in assays},  # noqa: F821
    {a: pd.read_csv(snakemake.input[f"consistency_{a}"]) for a in assays},  # noqa: F821
    note=f"null size {snakemake.params.null_size}"  # noqa: F821
    + (
        "; Cell Painting: generated stand-in on the real nELISA wells (synthetic): "
        "not comparable to the paper"
        if snakemake.params.synthetic_cellpainting  # noqa: F821
        and "cellpainting" in assays
        else ""
    ),
)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
