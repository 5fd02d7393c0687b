"""One simulation figure's table from its per-n_feats parts (rule simulations_table)."""

import pandas as pd

from mapreprod.common import write_table
from mapreprod.job import start_job
from mapreprod.simulations import simulate

snakemake = start_job()
table = simulate.gather_tables([pd.read_csv(path) for path in snakemake.input.parts])
write_table(table, snakemake.output.table)
