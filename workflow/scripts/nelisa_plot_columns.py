"""Fig 4A / 4C: scatter + KDE, one column per assay (rules nelisa_fig4a, nelisa_fig4c)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import nelisa as nelisa  # noqa: E402
from mapreprod.plotting import save_figure, set_style  # noqa: E402

tables = {
    a: pd.read_csv(snakemake.input[a]) for a in nelisa.ASSAYS if a in snakemake.input.keys()
}  # noqa: F821
nelisa.stack_assays(tables).to_csv(snakemake.output.table, index=False)  # noqa: F821
set_style()
fig = nelisa.plot_assay_columns(tables, title=snakemake.params.title)  # noqa: F821
save_figure(fig, snakemake.output.png, snakemake.output.pdf)  # noqa: F821
