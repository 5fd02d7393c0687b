"""The paper's numbers next to this run's, from every part that ran (rule reproduction)."""

import os

import pandas as pd

from mapreprod.job import start_job
from mapreprod.reproduction import combine, simulation_rows, to_markdown

snakemake = start_job()
tables = [simulation_rows(pd.read_csv(snakemake.input.fig2), note=snakemake.params.note)]
# each part wrote texts: read them back as written (no "1327" -> 1327.0, no "NA" -> NaN)
tables += [pd.read_csv(path, dtype=str, keep_default_na=False) for path in snakemake.input.parts]
table = combine(tables)
for path, text in ((snakemake.output.csv, table.to_csv(index=False)), (snakemake.output.md, to_markdown(table))):
    with open(path + ".tmp", "w") as fh:
        fh.write(text)
    os.replace(path + ".tmp", path)
