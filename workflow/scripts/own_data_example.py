"""The generated example screen (rule own_data_example; settings: config own_data.example)."""

import sys

from mapreprod.common import write_table
from mapreprod.datasets.own_data.standin import example_screen
from mapreprod.job import start_job

snakemake = start_job()
profiles, truth = example_screen(**snakemake.params.example)
write_table(profiles, snakemake.output.profiles)
write_table(truth, snakemake.output.truth)
print(f"{len(profiles)} wells, {int(truth['active'].sum())} active compounds", file=sys.stderr)
