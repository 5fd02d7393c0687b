"""results/cellhealth/reproduction.csv: the docs/methods.md §10 Cell Health numbers, paper vs ours (rule cellhealth_reproduction)."""

import pandas as pd

from mapreprod import metrics
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
# the other metrics beside mAP (docs/methods.md §15), with the cell-count warning where it applies
other = metrics.reproduction_rows(
    pd.read_csv(snakemake.input.metrics, dtype=str, keep_default_na=False),
    note="results/cellhealth/metrics.csv"
    + ("; SYNTHETIC data (cellhealth.synthetic): a generated stand-in" if snakemake.params.synthetic else ""),
)
write_table(pd.concat([table, other[table.columns]], ignore_index=True), snakemake.output.table)
