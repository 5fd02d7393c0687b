"""The summary rows of every own dataset in one table (rule own_data_reproduction)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.reproduction import combine  # noqa: E402

tables = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in snakemake.input.summaries]  # noqa: F821
combine(tables).to_csv(snakemake.output.table, index=False)  # noqa: F821
