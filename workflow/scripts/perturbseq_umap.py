"""Fig S8: one UMAP per target gene on its cells and the sampled non-targeting cells (rule
perturbseq_umap)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.perturbseq import feature_columns, gene_embeddings, scored_cells  # noqa: E402

cells = scored_cells(pd.read_parquet(snakemake.input.single_cell))  # noqa: F821
sample = pd.read_csv(snakemake.input.controls)["Metadata_cell_identity"]  # noqa: F821
controls = cells.set_index("Metadata_cell_identity", drop=False).loc[sample].reset_index(drop=True)
genes = sorted(g for g in cells["Metadata_gene_identity"].unique() if g != "neg")
umap = gene_embeddings(cells, controls, feature_columns(cells), genes, snakemake.params.umap)  # noqa: F821
print(f"{len(genes)} genes embedded, {len(umap)} rows", file=sys.stderr)
umap.to_parquet(snakemake.output.umap, index=False)  # noqa: F821
