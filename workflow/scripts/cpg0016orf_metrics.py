"""The other metrics beside mAP on the cpg0016[orf] profiles (rule cpg0016orf_metrics;
docs/methods.md §15): energy distance and its agreement with the Fig S7B activity calls,
known-relationship recall of the ORF genes."""

import sys

import pandas as pd
from mapreprod import annotations, metrics, settings
from mapreprod.common import write_table
from mapreprod.datasets.cpg0016orf import metrics as orf_metrics
from mapreprod.datasets.cpg0016orf.inputs import (
    read_compounds,
    read_experiment_metadata,
    read_low_infection_reagents,
    read_orf_metadata,
    read_profiles,
)
from mapreprod.datasets.cpg0016orf.preprocess import filter_profiles
from mapreprod.job import start_job

snakemake = start_job()
inp, params = snakemake.input, snakemake.params
engine = settings.from_job(snakemake).replace(test=params.test)
filtered, _ = filter_profiles(
    read_profiles(inp.profiles),
    read_orf_metadata(inp.orf_metadata),
    read_compounds(inp.compounds),
    read_experiment_metadata(inp.experiment),
    read_low_infection_reagents(inp.reagents),
)
energy = orf_metrics.energy_table(filtered, pd.read_csv(inp.activity), engine)
relationships = annotations.read_relationships(
    {source: inp[name] for source, name in params.relationship_inputs.items()}
)
recall = orf_metrics.recall_table(filtered, relationships, engine)
notes = {"cell count": "the harmonized profiles have the cell count regressed out and carry no count"}
tables = metrics.assemble(energy=energy, recall=recall, notes=notes)
print(tables["summary"].to_string(index=False), file=sys.stderr)
for name, table in tables.items():
    if name in snakemake.output.keys():
        write_table(table, snakemake.output[name])
