import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd

from mapreprod.simulations import simulate
from mapreprod.plotting import save_figure
from mapreprod.plotting.simulation import plot_recall_grid

figure = snakemake.wildcards.figure  # noqa: F821
table = pd.read_csv(snakemake.input.table)  # noqa: F821
spec = simulate.FIGURES[figure]
methods = [column for column, _, _ in spec.maps]
if spec.baselines:
    methods += list(simulate.BASELINE_COLUMNS)
fig = plot_recall_grid(
    table,
    methods,
    title=f"{simulate.FIGURE_TITLES[figure]} ({int(table['n_perts'].iloc[0])} perturbations "
    "per condition)",
    reference_line=0.05 if figure == "figS_null" else None,
)
save_figure(fig, snakemake.output.png, snakemake.output.pdf)  # noqa: F821
