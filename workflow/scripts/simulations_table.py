import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import os

import pandas as pd

from mapreprod.simulations import simulate

table = simulate.gather_tables([pd.read_csv(p) for p in snakemake.input.parts])  # noqa: F821
out = snakemake.output.table  # noqa: F821
tmp = f"{out}.tmp"
table.to_csv(tmp, index=False)
os.replace(tmp, out)
