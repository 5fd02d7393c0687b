"""The other metrics beside mAP on the Cell Health profiles, per cell line (rule
cellhealth_metrics; docs/methods.md §15): energy distance and its agreement with the activity
calls, known-relationship recall of the genes, the cell-count baseline."""

import sys

import pandas as pd
from mapreprod import annotations, metrics, settings
from mapreprod.common import write_table
from mapreprod.datasets import cellhealth as ch
from mapreprod.datasets.cellhealth import metrics as cellhealth_metrics
from mapreprod.job import start_job

snakemake = start_job()
inp, params = snakemake.input, snakemake.params
engine = settings.from_job(snakemake).replace(test=params.test)
profiles = pd.read_parquet(inp.profiles)
activity = pd.read_csv(inp.activity)
notes = {}
energy = cellhealth_metrics.energy_table(profiles, activity, engine)
relationships = annotations.read_relationships(
    {source: inp[name] for source, name in params.relationship_inputs.items()}
)
recall = cellhealth_metrics.recall_table(profiles, relationships, engine)
cell_count = None
if params.cell_count_feature is None:
    notes["cell count"] = "cellhealth.metrics.cell_count_feature is null"
else:
    raw = pd.concat([ch.tidy_metadata(pd.read_csv(p), p) for p in inp.plates], ignore_index=True)
    cell_count, why = cellhealth_metrics.cell_count_table(
        raw, activity, engine, feature=params.cell_count_feature
    )
    if why:
        notes["cell count"] = why
for metric, why in notes.items():
    print(f"{metric}: not computed: {why}", file=sys.stderr)
tables = metrics.assemble(energy=energy, recall=recall, cell_count=cell_count, notes=notes)
print(tables["summary"].to_string(index=False), file=sys.stderr)
for name, table in tables.items():
    if name in snakemake.output.keys():
        write_table(table, snakemake.output[name])
