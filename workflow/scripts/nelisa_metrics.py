"""The other metrics beside mAP on the nELISA and Cell Painting profiles (rule nelisa_metrics;
docs/methods.md §15): energy distance and its agreement with the activity calls, retrieval by
target, the cell-count baseline of Cell Painting."""

import sys

import pandas as pd
from mapreprod import metrics, settings
from mapreprod.common import write_table
from mapreprod.datasets.nelisa import PERT
from mapreprod.datasets.nelisa import metrics as nelisa_metrics
from mapreprod.job import start_job

snakemake = start_job()
inp, params = snakemake.input, snakemake.params
engine = settings.from_job(snakemake).replace(test=params.test)
energy, retrieval, notes = [], [], {}
for assay in params.assays:
    profiles = pd.read_parquet(inp[f"profiles_{assay}"])
    activity = pd.read_csv(inp[f"activity_{assay}"])
    energy.append(nelisa_metrics.energy_table(
        profiles, activity, engine, assay=assay, same_plate_controls=params.same_plate_controls
    ))
    active = activity.loc[activity["p < 0.05"], PERT].tolist() if params.activity_filter else None
    retrieval.append(nelisa_metrics.retrieval_table(profiles, engine, assay=assay, active=active))
cell_count = None
if "raw_cellpainting" in inp.keys():
    cell_count, why = nelisa_metrics.cell_count_table(
        pd.read_parquet(inp.raw_cellpainting), pd.read_csv(inp.activity_cellpainting), engine,
        feature=params.cell_count_feature, same_plate_controls=params.same_plate_controls,
    )
    if why:
        notes["cell count"] = why
elif "cellpainting" not in params.assays:
    notes["cell count"] = ("nELISA measures secreted proteins, no cell count; the Cell Painting "
                           "assay is not in nelisa.assays")
else:
    notes["cell count"] = "nelisa.metrics.cell_count_feature is null"
for metric, why in notes.items():
    print(f"{metric}: not computed: {why}", file=sys.stderr)
tables = metrics.assemble(energy=energy, retrieval=retrieval, cell_count=cell_count, notes=notes)
print(tables["summary"].to_string(index=False), file=sys.stderr)
for name, table in tables.items():
    if name in snakemake.output.keys():
        write_table(table, snakemake.output[name])
