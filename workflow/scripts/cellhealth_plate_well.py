"""Fig 3A table: plate and well-position effects under both preprocessings (§3.4)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import cellhealth as ch  # noqa: E402

settings = snakemake.params.settings  # noqa: F821
tables = [
    ch.plate_well_position(
        pd.read_parquet(snakemake.input[method]), method, **settings, threads=snakemake.threads  # noqa: F821
    )
    for method in ch.PREPROCESSINGS
]
pd.concat(tables, ignore_index=True).to_csv(snakemake.output.table, index=False)  # noqa: F821
