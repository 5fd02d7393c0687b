"""Paper vs our numbers for Fig 4A-D (rule nelisa_reproduction)."""

import pandas as pd

from mapreprod import metrics
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
    test_comparison=pd.read_csv(snakemake.input.test_comparison),
    note=f"null size {snakemake.params.null_size}"
    + (
        "; Cell Painting: generated stand-in on the real nELISA wells (synthetic): "
        "not comparable to the paper"
        if standin
        else ""
    ),
)
# the other metrics beside mAP (docs/methods.md §15): energy distance, retrieval, cell count
other = metrics.reproduction_rows(
    pd.read_csv(snakemake.input.metrics, dtype=str, keep_default_na=False),
    note="results/nelisa/metrics.csv"
    + ("; Cell Painting: generated stand-in (synthetic): not comparable to the paper" if standin else ""),
)
table = pd.concat([table, other[table.columns]], ignore_index=True)
write_table(table, snakemake.output.table)
