"""Keep the compounds shared by every assay with equal replicate counts (rule nelisa_unify)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import nelisa as nelisa  # noqa: E402

assays = snakemake.params.assays  # noqa: F821
profiles = {a: pd.read_parquet(snakemake.input[a]) for a in assays}  # noqa: F821
unified = nelisa.unify(profiles)
for assay, path in zip(assays, snakemake.output, strict=True):  # noqa: F821
    print(f"{assay}: {profiles[assay].shape} -> {unified[assay].shape}", file=sys.stderr)
    unified[assay].to_parquet(path)
