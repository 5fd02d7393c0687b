"""Fig 4E, 4F, 5A, 5B and S8 (rules perturbseq_bulk_figure, perturbseq_single_cell_figure,
perturbseq_figS8): the source table and the plot of one figure id."""

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from mapreprod.datasets import perturbseq as ps  # noqa: E402
from mapreprod.plotting import save_figure, set_style  # noqa: E402

out, inp, p = snakemake.output, snakemake.input, snakemake.params  # noqa: F821
figure = Path(out.png).stem
note = " (synthetic stand-in)" if p.synthetic else ""
bulk = pd.read_csv(inp.bulk_map, sep="\t")
set_style()
if figure in ("fig4e", "fig4f"):
    table = ps.bulk_figure_table(bulk, p.genes if figure == "fig4f" else None)
    if figure == "fig4e":
        fig = ps.plot_bulk_activity(table, title=f"Perturb-seq: bulk mAP per guide{note}")
    else:
        fig = ps.plot_bulk_by_gene(table, title=f"Perturb-seq: bulk mAP per guide, by gene{note}")
else:
    column = "p_value" if p.significance == "raw" else "corrected_p_value"
    label = "p < 0.05" if p.significance == "raw" else "p < 0.05 (BH)"
    cells = ps.significance(pd.read_csv(inp.cell_map, sep="\t"), column, p.threshold)
    if figure == "figS8":
        table = ps.gene_umap_table(pd.read_parquet(inp.umap), cells, bulk)
        fig = ps.plot_gene_umaps(table, label, title=f"Perturb-seq: UMAP per target gene, colour = single-cell AP{note}")
    else:
        table = ps.single_cell_figure_table(cells, bulk, p.genes if figure == "fig5b" else None)
        if figure == "fig5a":
            fig = ps.plot_single_cell_activity(table, label, title=f"Perturb-seq: single-cell AP{note}")
        else:
            fig = ps.plot_single_cell_by_gene(table, significance_label=label,
                                              title=f"Perturb-seq: single-cell AP, by gene{note}")
table.to_csv(out.table, index=False)
# Fig S8 has 25 genes x up to 7 panels: 100 dpi keeps its PNG about 2,000 px on a side.
with plt.rc_context({"savefig.dpi": 100} if figure == "figS8" else {}):
    save_figure(fig, out.png, out.pdf)
print(f"{figure}: {len(table)} rows", file=sys.stderr)
