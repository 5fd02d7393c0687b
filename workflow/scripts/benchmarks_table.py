"""Every job's wall time, CPU time and peak memory from its Snakemake benchmark file, in one table
(rule benchmarks_table; mapreprod.benchmark_table)."""

import sys

from mapreprod.benchmark_table import collect
from mapreprod.common import write_table
from mapreprod.job import start_job

snakemake = start_job()
p = snakemake.params
table = collect(p.root, p.rules, p.datasets, relative_to=".")
print(f"{len(table)} benchmark files of {table['rule'].nunique()} rules gathered from {p.root}",
      file=sys.stderr)
write_table(table, snakemake.output.table)
