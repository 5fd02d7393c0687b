"""Target genes per compound id from the Drug Repurposing Hub tables (docs/methods.md §4, merge_labels)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.cpg0004 import merge_labels, read_repurposing_table

drugs = read_repurposing_table(snakemake.input.drugs, ["pert_iname", "target"])  # noqa: F821
samples = read_repurposing_table(  # noqa: F821
    snakemake.input.samples, ["broad_id", "pert_iname", "deprecated_broad_id"]  # noqa: F821
)
labels, mapper = merge_labels(drugs, samples)
print(f"{len(labels)} compound ids with targets", file=sys.stderr)
labels.to_csv(snakemake.output.labels, index=False)  # noqa: F821
mapper.to_csv(snakemake.output.mapper, index=False)  # noqa: F821
