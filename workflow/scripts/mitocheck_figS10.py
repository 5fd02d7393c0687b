"""Fig S10: UMAP of every morphological class with the controls, coloured by retrieval."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.mitocheck.figures import plot_umap_grid, umap_table
from mapreprod.plotting import save_figure, set_style

set_style()
table = umap_table(pd.read_parquet(snakemake.input.embeddings),  # noqa: F821
                   pd.read_csv(snakemake.input.morphoclass, low_memory=False))  # noqa: F821
title = "Mitocheck: UMAP of each morphological class with the control cells"
fig = plot_umap_grid(table, title=title + (" [synthetic data]" if snakemake.params.synthetic else ""))  # noqa: F821
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
save_figure(fig, snakemake.output.png, snakemake.output.pdf)  # noqa: F821
