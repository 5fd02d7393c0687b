"""Fig 5C, 5D, S9A-D from the gene and class AP tables."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.datasets.mitocheck.figures import draw_ap_figure
from mapreprod.plotting import save_figure, set_style

set_style()
table, fig = draw_ap_figure(
    snakemake.wildcards.figure,  # noqa: F821
    pd.read_csv(snakemake.input.gene, low_memory=False),  # noqa: F821
    pd.read_csv(snakemake.input.morphoclass, low_memory=False),  # noqa: F821
    synthetic=snakemake.params.synthetic,  # noqa: F821
)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
save_figure(fig, snakemake.output.png, snakemake.output.pdf)  # noqa: F821
