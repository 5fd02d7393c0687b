"""Draw one Cell Health figure (Fig 3A-F, S6A-C) and write the table it is drawn from."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.plotting import save_figure  # noqa: E402
from mapreprod.plotting.cellhealth import build_figure  # noqa: E402

out = snakemake.output  # noqa: F821
figure = snakemake.wildcards.figure  # noqa: F821
tables = {name: pd.read_csv(path) for name, path in snakemake.input.items()}  # noqa: F821
fig, table = build_figure(figure, tables, seed=snakemake.params.seed)  # noqa: F821
table.to_csv(out.table, index=False)
save_figure(fig, out.png, out.pdf)
print(f"{figure}: {len(table)} rows", file=sys.stderr)
