"""Generated Cell Painting half of Fig 4, on the real nELISA file's wells (rule nelisa_synthetic_cellpainting)."""

import sys

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.nelisa.standin import make_cellpainting
from mapreprod.job import start_job

snakemake = start_job()
profiles = make_cellpainting(
    pd.read_parquet(snakemake.input.nelisa), seed=snakemake.params.seed, **snakemake.params.design
)
print(f"stand-in Cell Painting profiles: {profiles.shape}", file=sys.stderr)
write_table(profiles, snakemake.output.profiles)
