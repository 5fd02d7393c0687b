"""The authors' Seurat steps with scanpy: scaled data of the variable genes (rule
perturbseq_seurat)."""

import sys

from mapreprod.common import write_table
from mapreprod.datasets.perturbseq import SeuratSettings, seurat_export_10x
from mapreprod.job import start_job

snakemake = start_job()
inp = snakemake.input
seurat = SeuratSettings.from_config(snakemake.params.seurat)
scaled, variable, summary = seurat_export_10x(inp.matrix, inp.genes, inp.barcodes, seurat)
print(summary.to_string(index=False), file=sys.stderr)
write_table(scaled, snakemake.output.scaled)
# the gene names are the index: write them as the first column, named gene
write_table(variable.rename_axis("gene").reset_index(), snakemake.output.variable)
write_table(summary, snakemake.output.summary)
