"""The other metrics beside mAP on the cpg0004 (LINCS) profiles (rule cpg0004_metrics;
docs/methods.md §15): energy distance and its agreement with the Fig S7A activity calls,
retrieval metrics of the Fig S7C consensus profiles by target and mechanism."""

import sys

import pandas as pd
from mapreprod import metrics, settings
from mapreprod.common import write_table
from mapreprod.datasets.cpg0004 import active_compounds
from mapreprod.datasets.cpg0004 import metrics as cpg0004_metrics
from mapreprod.job import start_job

snakemake = start_job()
inp, params = snakemake.input, snakemake.params
engine = settings.from_job(snakemake).replace(test=params.test)
activity = pd.read_csv(inp.activity)
energy = cpg0004_metrics.energy_table(
    pd.read_csv(inp.profiles, low_memory=False), activity, engine, dose=params.dose
)
active = active_compounds(activity) if params.activity_filter else None
retrieval = cpg0004_metrics.retrieval_table(
    pd.read_csv(inp.consensus, low_memory=False), pd.read_csv(inp.labels), engine,
    dose=params.dose, active=active,
)
notes = {"cell count": "the LINCS profiles are spherized and carry no cell count"}
tables = metrics.assemble(energy=energy, retrieval=retrieval, notes=notes)
print(tables["summary"].to_string(index=False), file=sys.stderr)
for name, table in tables.items():
    if name in snakemake.output.keys():
        write_table(table, snakemake.output[name])
