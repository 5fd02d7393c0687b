"""Fig 4B / 4D: Cell Painting vs nELISA -log10 p (rules nelisa_fig4b, nelisa_fig4d)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import nelisa as nelisa  # noqa: E402
from mapreprod.plotting import save_figure, set_style  # noqa: E402

tables = {a: pd.read_csv(snakemake.input[a]) for a in nelisa.ASSAYS}  # noqa: F821
wide = nelisa.pivot_assays(tables, snakemake.params.key)  # noqa: F821
wide.to_csv(snakemake.output.table, index=False)  # noqa: F821
set_style()
fig = nelisa.plot_assay_pivot(wide, title=snakemake.params.title)  # noqa: F821
save_figure(fig, snakemake.output.png, snakemake.output.pdf)  # noqa: F821
