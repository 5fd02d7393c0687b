"""Target genes per compound id from the Drug Repurposing Hub tables (docs/methods.md §4,
merge_labels; rule cpg0004_labels)."""

import sys

from mapreprod.common import write_table
from mapreprod.datasets.cpg0004 import merge_labels, read_repurposing_table
from mapreprod.job import start_job

snakemake = start_job()
drugs = read_repurposing_table(snakemake.input.drugs, ["pert_iname", "target"])
samples = read_repurposing_table(
    snakemake.input.samples, ["broad_id", "pert_iname", "deprecated_broad_id"]
)
labels, mapper = merge_labels(drugs, samples)
print(f"{len(labels)} compound ids with targets", file=sys.stderr)
write_table(labels, snakemake.output.labels)
write_table(mapper, snakemake.output.mapper)
