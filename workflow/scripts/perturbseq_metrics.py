"""The other metrics beside mAP on the Perturb-seq bulk profiles (rule perturbseq_metrics;
docs/methods.md §15): energy distance of each gene's guides to the non-targeting guides and its
agreement with the gene-level mAP call, known-relationship recall of the 25 target genes."""

import sys

import pandas as pd
from mapreprod import annotations, metrics, settings
from mapreprod.common import write_table
from mapreprod.datasets.perturbseq import metrics as perturbseq_metrics
from mapreprod.job import start_job

snakemake = start_job()
inp, params = snakemake.input, snakemake.params
engine = settings.from_job(snakemake).replace(test=params.test)
bulk = pd.read_parquet(inp.bulk)
energy = perturbseq_metrics.energy_table(
    bulk, engine, unit=params.unit, variance_threshold=params.variance_threshold
)
relationships = annotations.read_relationships(
    {source: inp[name] for source, name in params.relationship_inputs.items()}
)
recall = perturbseq_metrics.recall_table(
    bulk, relationships, engine, variance_threshold=params.variance_threshold
)
notes = {"cell count": "transcriptomic profiles: no cell count"}
tables = metrics.assemble(energy=energy, recall=recall, notes=notes)
print(tables["summary"].to_string(index=False), file=sys.stderr)
for name, table in tables.items():
    if name in snakemake.output.keys():
        write_table(table, snakemake.output[name])
