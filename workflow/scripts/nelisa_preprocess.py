"""Per-plate MAD robustize (+ Cell Painting feature selection) of one assay (rule nelisa_preprocess).

Also writes the profiles' values beyond 1e6 in absolute value (a table, usually empty; read by the
reproduction step)."""

import sys

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets import nelisa
from mapreprod.job import start_job

snakemake = start_job()
raw = pd.read_parquet(snakemake.input.profiles)
out = nelisa.preprocess_profiles(
    raw,
    snakemake.params.assay,
    operations=snakemake.params.operations,
    na_cutoff=snakemake.params.na_cutoff,
)
print(f"{snakemake.params.assay}: {raw.shape} -> {out.shape}", file=sys.stderr)
write_table(out, snakemake.output.profiles)
write_table(nelisa.values_beyond_bound(out, snakemake.params.assay), snakemake.output.beyond)
