"""Recall of every method of one simulation figure at one number of features (rule simulations_recall)."""

import sys
import time

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.job import start_job
from mapreprod.simulations import simulate

snakemake = start_job()
design = snakemake.params.design
figure = snakemake.wildcards.figure
n_feats = int(snakemake.wildcards.n_feats)
options = simulate.figure_options(figure, design)

start = time.perf_counter()
conditions = simulate.figure_conditions(figure, design, n_feats)
table = simulate.run_grid(figure, conditions, settings.from_job(snakemake), options)
write_table(table, snakemake.output.table)
print(f"{figure} n_feats={n_feats}: {len(conditions)} conditions x {options.n_perts} "
      f"perturbations in {time.perf_counter() - start:.1f} s", file=sys.stderr)
