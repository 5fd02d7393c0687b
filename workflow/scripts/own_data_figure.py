"""The scatter + density figure of one dataset's activity or consistency (rule own_data_figure)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.own_data import figures  # noqa: E402
from mapreprod.plotting.style import save_figure  # noqa: E402

p = snakemake.params  # noqa: F821
table = figures.figure_table(pd.read_csv(snakemake.input.table))  # noqa: F821
fig = figures.plot_own_figure(table, p.name, p.analysis, p.threshold)
save_figure(fig, snakemake.output.png, snakemake.output.pdf)  # noqa: F821
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
