"""Fig 3B/3C (cutting controls) or S6A (EMPTY controls): guide activity per cell line (§3.5)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import cellhealth as ch  # noqa: E402

profiles = pd.read_parquet(snakemake.input.profiles)  # noqa: F821
map_table, ap_table = ch.activity_by_cell_line(
    profiles, snakemake.wildcards.ch_control, **snakemake.params.settings, threads=snakemake.threads  # noqa: F821
)
map_table.to_csv(snakemake.output.map, index=False)  # noqa: F821
ap_table.to_csv(snakemake.output.ap, index=False)  # noqa: F821
