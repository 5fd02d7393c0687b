"""The other metrics beside mAP on the CPJUMP1 profiles, per condition (rule cpjump1_metrics;
docs/methods.md §15): energy distance and its agreement with the detection calls,
known-relationship recall of the CRISPR and ORF genes, retrieval of the compounds by target."""

import sys
from pathlib import Path

import pandas as pd
from mapreprod import annotations, metrics, settings
from mapreprod.common import write_table
from mapreprod.datasets.cpjump1 import inputs
from mapreprod.datasets.cpjump1 import metrics as cpjump1_metrics
from mapreprod.job import start_job

snakemake = start_job()
inp, params = snakemake.input, snakemake.params
engine = settings.from_job(snakemake).replace(test=params.test)
profiles = {Path(p).name.removesuffix(".parquet"): p for p in inp.profiles}
classes = {Path(p).name.removesuffix("_all.csv"): p for p in inp.classes}
annotation_table = inputs.read_compound_annotations(inp.annotations)
relationships = annotations.read_relationships(
    {source: inp[name] for source, name in params.relationship_inputs.items()}
)
energy, recall, retrieval, notes = [], [], [], {}
for condition in params.conditions:
    df = pd.read_parquet(profiles[condition])
    found = pd.read_csv(classes[condition])
    energy.append(cpjump1_metrics.energy_table(df, found, engine, condition=condition))
    modality = inputs.parse_condition(condition)[0]
    if modality == "compound":
        row = cpjump1_metrics.retrieval_table(df, found, annotation_table, engine, condition=condition)
        if row is None:
            print(f"{condition}: no two detected compounds share a target: no retrieval", file=sys.stderr)
        retrieval.append(row)
    else:
        recall.append(cpjump1_metrics.recall_table(df, relationships, engine, condition=condition))
if not any(r is not None for r in retrieval):
    notes["retrieval"] = "no two detected compounds share a target in any compound condition"
notes["cell count"] = "the feature-selected profiles carry no cell count"
tables = metrics.assemble(energy=energy, recall=recall, retrieval=retrieval, notes=notes)
print(tables["summary"].to_string(index=False), file=sys.stderr)
for name, table in tables.items():
    if name in snakemake.output.keys():
        write_table(table, snakemake.output[name])
