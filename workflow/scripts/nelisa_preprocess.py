"""Per-plate MAD robustize (+ Cell Painting feature selection) of one assay."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import nelisa as nelisa  # noqa: E402

raw = pd.read_parquet(snakemake.input.profiles)  # noqa: F821
out = nelisa.preprocess_profiles(
    raw,
    snakemake.params.assay,  # noqa: F821
    operations=snakemake.params.operations,  # noqa: F821
    na_cutoff=snakemake.params.na_cutoff,  # noqa: F821
)
print(f"{snakemake.params.assay}: {raw.shape} -> {out.shape}", file=sys.stderr)  # noqa: F821
out.to_parquet(snakemake.output.profiles)  # noqa: F821
