"""UMAP of each morphological class with the control cells, per feature set (Fig S10; rule
mitocheck_umap)."""

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.mitocheck.embedding import class_embeddings
from mapreprod.job import start_job

snakemake = start_job()
embeddings = class_embeddings(pd.read_parquet(snakemake.input.merged), **snakemake.params.umap)
write_table(embeddings, snakemake.output.embeddings)
