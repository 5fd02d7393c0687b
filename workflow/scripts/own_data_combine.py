"""The summary rows of every own dataset in one table (rule own_data_combine)."""

import pandas as pd

from mapreprod.common import write_table
from mapreprod.job import start_job
from mapreprod.reproduction import combine

snakemake = start_job()
paths = list(snakemake.input.summaries)
if not paths:  # planning stops first (OwnDataWorkflow.combine_inputs); never an empty table
    raise ValueError("own_data_combine: no dataset summary to combine (own_data.datasets)")
tables = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in paths]
write_table(combine(tables), snakemake.output.table)
