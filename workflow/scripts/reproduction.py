import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (injected by Snakemake)

import os

import pandas as pd

from mapreprod.reproduction import combine, simulation_rows, to_markdown

sm = snakemake  # noqa: F821
tables = [simulation_rows(pd.read_csv(sm.input.fig2), note=sm.params.note)]
# each part wrote texts: read them back as written (no "1327" -> 1327.0, no "NA" -> NaN)
tables += [pd.read_csv(path, dtype=str, keep_default_na=False) for path in sm.input.parts]
table = combine(tables)
for path, text in ((sm.output.csv, table.to_csv(index=False)), (sm.output.md, to_markdown(table))):
    with open(path + ".tmp", "w") as fh:
        fh.write(text)
    os.replace(path + ".tmp", path)
