"""Perturb-seq numbers of the paper next to ours (rule perturbseq_reproduction)."""

import json
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import perturbseq as ps  # noqa: E402

inp, p = snakemake.input, snakemake.params  # noqa: F821
bulk = pd.read_csv(inp.bulk_map, sep="\t")
column = "p_value" if p.significance == "raw" else "corrected_p_value"
cells = ps.single_cell_figure_table(ps.significance(pd.read_csv(inp.cell_map, sep="\t"), column, p.threshold), bulk)
with open(inp.cell_summary) as handle:
    scored = json.load(handle)["scored_cells"]
note = "synthetic stand-in: not the paper's data" if p.synthetic else ""
table = ps.reproduction_table(
    pd.read_csv(inp.seurat_summary), pd.read_parquet(inp.bulk_profiles), bulk, cells, scored, note
)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
print(table.to_string(index=False), file=sys.stderr)
