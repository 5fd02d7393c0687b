"""Retrieved compounds and targets of each assay under every test of map.test (rule
nelisa_calls_by_test; docs/methods.md §6)."""

import sys

import pandas as pd

from mapreprod import settings
from mapreprod.common import write_table
from mapreprod.datasets.nelisa.calls_by_test import calls_by_test
from mapreprod.job import start_job

snakemake = start_job()
engine = settings.from_job(snakemake)
summaries, calls = [], []
for assay in snakemake.params.assays:
    summary, per_unit = calls_by_test(
        pd.read_parquet(snakemake.input[assay]),
        assay,
        engine,
        same_plate_controls=snakemake.params.same_plate_controls,
        consistency_activity_filter=snakemake.params.consistency_activity_filter,
    )
    for row in summary.itertuples(index=False):
        print(f"{assay} {row.analysis} {row.test} ({row.made_by}): {row.retrieved} of "
              f"{row.scored} {row.unit} retrieved", file=sys.stderr)
    summaries.append(summary)
    calls.append(per_unit)
write_table(pd.concat(summaries, ignore_index=True), snakemake.output.summary)
write_table(pd.concat(calls, ignore_index=True), snakemake.output.calls)
