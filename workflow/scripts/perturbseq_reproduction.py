"""Perturb-seq numbers of the paper next to ours (rule perturbseq_reproduction)."""

import json
import sys

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets import perturbseq as ps
from mapreprod.job import start_job

snakemake = start_job()
inp, p = snakemake.input, snakemake.params
bulk = pd.read_csv(inp.bulk_map, sep="\t")
cells = ps.significance(
    pd.read_csv(inp.cell_map, sep="\t"), ps.SIGNIFICANCE_COLUMNS[p.significance], p.threshold
)
with open(inp.cell_summary) as handle:
    scored = json.load(handle)["scored_cells"]
note = "synthetic stand-in: not the paper's data" if p.synthetic else ""
table = ps.reproduction_table(
    pd.read_csv(inp.seurat_summary),
    pd.read_parquet(inp.bulk_profiles),
    bulk,
    ps.single_cell_figure_table(cells, bulk),
    scored,
    note,
)
write_table(table, snakemake.output.table)
print(table.to_string(index=False), file=sys.stderr)
