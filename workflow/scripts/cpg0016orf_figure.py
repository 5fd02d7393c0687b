"""Fig S7B / S7D: -log10(mAP p-value) against mAP with a KDE of mAP on top."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd
from mapreprod.datasets.cpg0016orf.figures import draw_figure, figure_table
from mapreprod.plotting import save_figure, set_style

params = snakemake.params  # noqa: F821
out = snakemake.output  # noqa: F821
table = figure_table(pd.read_csv(snakemake.input.map), params.unit, params.threshold)  # noqa: F821
set_style()
title = f"{params.title}\nretrieved: BH q < {params.threshold:g}"
ax = draw_figure(table, title + ("  [synthetic data]" if params.synthetic else ""))
table.to_csv(out.table, index=False)
save_figure(ax.figure, out.png, out.pdf)
