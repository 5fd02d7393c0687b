"""results/cellhealth/reproduction.csv: the docs/methods.md §10 Cell Health numbers, paper vs ours (rule cellhealth_reproduction)."""

import pandas as pd

from mapreprod.common import write_table
from mapreprod.datasets import cellhealth as ch
from mapreprod.job import start_job

snakemake = start_job()
t = {name: pd.read_csv(path) for name, path in snakemake.input.items()}
stack = ch.activity_with_controls(t["activity_map"], t["empty_map"], t["activity_ap"])
ceres = ch.merge_ceres(stack, ch.ceres_long(t["ceres"], t["sample_info"]))
table = ch.reproduction_table(
    plate_well=t["plate_well"],
    activity=t["activity_map"],
    activity_empty=stack,
    channels=t["channels"],
    compartments=t["compartments"],
    consistency_map=t["consistency_map"],
    consistency_ap=t["consistency_ap"],
    activity_ap=t["activity_ap"],
    ceres=ceres,
    beyond={prep: t[f"beyond_{prep}"] for prep in ch.PREPROCESSINGS},
    data_note="SYNTHETIC data (cellhealth.synthetic): not comparable to the paper"
    if snakemake.params.synthetic
    else "",
)
write_table(table, snakemake.output.table)
