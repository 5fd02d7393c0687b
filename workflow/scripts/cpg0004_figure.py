"""Fig S7A / S7C: -log10(mAP p-value) against mAP with a KDE of mAP on top."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.cpg0004 import figure_table
from mapreprod.plotting import save_figure, set_style
from mapreprod.plotting.scatter_kde import plot_map_scatter_kde

params = snakemake.params  # noqa: F821
table = figure_table(pd.read_csv(snakemake.input.map), params.unit)  # noqa: F821
set_style()
ax = plot_map_scatter_kde(
    table, title=params.title + (" [synthetic data]" if params.synthetic else "")
)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
save_figure(ax.figure, snakemake.output.png, snakemake.output.pdf)  # noqa: F821
