"""The other metrics beside mAP on one own dataset, every one its columns allow (rule
own_data_metrics; docs/methods.md §15): energy distance and its agreement with the activity
calls; retrieval metrics by annotation; known-relationship recall with a gene column; the
cell-count baseline with a cell-count column."""

import json
import sys

import pandas as pd
from mapreprod import annotations, metrics, settings
from mapreprod.common import write_table
from mapreprod.datasets.own_data import activity as own_activity
from mapreprod.datasets.own_data import inputs
from mapreprod.datasets.own_data import metrics as own_metrics
from mapreprod.job import start_job

snakemake = start_job()
params = snakemake.params
spec = inputs.OwnDataSpec.from_config(params.name, params.entry)
options = dict(params.options)
key = f"own_data.metrics.{spec.name}"
engine = settings.from_job(snakemake).replace(test=params.test)
with open(snakemake.input.info) as fh:
    features = json.load(fh)["features"]
prepared = pd.read_parquet(snakemake.input.profiles)
activity = pd.read_csv(snakemake.input.activity)
notes = {}

energy = own_metrics.energy_table(prepared, features, activity, spec, engine)

retrieval = None
if spec.annotation is None:
    notes["retrieval"] = f"no annotation column ({spec.key('annotation')} is not set)"
else:
    active = own_activity.retrieved_keys(activity, prepared, spec) if spec.activity_filter else None
    retrieval = own_metrics.retrieval_table(prepared, features, spec, engine, active)
    if retrieval is None:
        notes["retrieval"] = "no two perturbations share an annotation (after the activity filter)"

recall = None
if options["gene"] is None:
    notes["known-relationship recall"] = f"no gene column ({key}.gene is not set)"
else:
    sources = dict(params.relationship_sources)  # named input -> source
    relationships = pd.concat(
        [
            annotations.read_corum_complexes(snakemake.input[name], source)
            if source == "CORUM" and str(snakemake.input[name]).endswith(".tsv")
            else annotations.read_pair_list(snakemake.input[name], source)
            for name, source in sources.items()
        ],
        ignore_index=True,
    )
    recall = own_metrics.recall_table(prepared, features, spec, options["gene"], relationships, engine)

cell_count = None
if options["cell_count"] is None:
    notes["cell count"] = f"no cell-count column ({key}.cell_count is not set)"
else:
    cell_count, why = own_metrics.cell_count_table(
        prepared, activity, spec, options["cell_count"], engine, sphered=spec.spherize
    )
    if why:
        notes["cell count"] = why

for metric, why in notes.items():
    print(f"{metric}: not computed: {why}", file=sys.stderr)
tables = metrics.assemble(energy=energy, recall=recall, retrieval=retrieval, cell_count=cell_count, notes=notes)
print(tables["summary"].to_string(index=False), file=sys.stderr)
for name, table in tables.items():
    write_table(table, snakemake.output[name])
