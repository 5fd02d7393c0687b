"""The authors' Seurat steps with scanpy: scaled data of the variable genes (rule
perturbseq_seurat)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.perturbseq import SeuratSettings, seurat_export_10x  # noqa: E402

settings = SeuratSettings.from_config(snakemake.params.settings)  # noqa: F821
inp = snakemake.input  # noqa: F821
scaled, variable, summary = seurat_export_10x(inp.matrix, inp.genes, inp.barcodes, settings)
print(summary.to_string(index=False), file=sys.stderr)
scaled.to_parquet(snakemake.output.scaled, index=False)  # noqa: F821
variable.rename_axis("gene").to_csv(snakemake.output.variable)  # noqa: F821
summary.to_csv(snakemake.output.summary, index=False)  # noqa: F821
