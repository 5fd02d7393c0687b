"""Fig S8: one UMAP per target gene on its cells and the sampled non-targeting cells (rule
perturbseq_umap)."""

import sys

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets.perturbseq import feature_columns, gene_embeddings, scored_cells
from mapreprod.job import start_job

snakemake = start_job()
cells = scored_cells(pd.read_parquet(snakemake.input.single_cell))
sample = pd.read_csv(snakemake.input.controls)["Metadata_cell_identity"]
controls = cells.set_index("Metadata_cell_identity", drop=False).loc[sample].reset_index(drop=True)
genes = sorted(g for g in cells["Metadata_gene_identity"].unique() if g != "neg")
umap = gene_embeddings(cells, controls, feature_columns(cells), genes, snakemake.params.umap)
print(f"{len(genes)} genes embedded, {len(umap)} rows", file=sys.stderr)
write_table(umap, snakemake.output.umap)
