"""Draw the Cell Health figures (Fig 3A-F, S6A-C) and write the table each is drawn from."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.plotting import save_figure  # noqa: E402
from mapreprod.plotting.cellhealth import build_figure  # noqa: E402

out = snakemake.output  # noqa: F821
tables = {name: pd.read_csv(path) for name, path in snakemake.input.items()}  # noqa: F821
for fid, png, pdf, csv in zip(snakemake.params.figures, out.png, out.pdf, out.table):  # noqa: F821
    fig, table = build_figure(fid, tables, seed=snakemake.params.seed)  # noqa: F821
    table.to_csv(csv, index=False)
    save_figure(fig, png, pdf)
    print(f"{fid}: {len(table)} rows", file=sys.stderr)
