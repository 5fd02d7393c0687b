"""results/cellhealth/reproduction.csv: the docs/methods.md §10 Cell Health numbers, paper vs ours."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets import cellhealth as ch  # noqa: E402

t = {name: pd.read_csv(path) for name, path in snakemake.input.items()}  # noqa: F821
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
    data_note="SYNTHETIC data (cellhealth.synthetic): not comparable to the paper"
    if snakemake.params.synthetic  # noqa: F821
    else "",
)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
