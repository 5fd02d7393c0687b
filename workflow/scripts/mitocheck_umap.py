"""UMAP of each morphological class with the control cells, per feature set (Fig S10)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.mitocheck.embedding import class_embeddings

merged = pd.read_parquet(snakemake.input.merged)  # noqa: F821
embeddings = class_embeddings(merged, **snakemake.params.umap)  # noqa: F821
embeddings.to_parquet(snakemake.output.embeddings, index=False)  # noqa: F821
