"""Keep the compounds shared by every assay with equal replicate counts (rule nelisa_unify)."""

import sys

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets import nelisa
from mapreprod.job import start_job

snakemake = start_job()
assays = snakemake.params.assays
profiles = {a: pd.read_parquet(snakemake.input[a]) for a in assays}
unified = nelisa.unify(profiles)
for assay, path in zip(assays, snakemake.output, strict=True):
    print(f"{assay}: {profiles[assay].shape} -> {unified[assay].shape}", file=sys.stderr)
    write_table(unified[assay], path)
