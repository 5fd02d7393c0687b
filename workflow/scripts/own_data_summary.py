"""Counts and retrieved fractions of one dataset, as reproduction rows (rule own_data_summary)."""

import json
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import pandas as pd  # noqa: E402

from mapreprod.datasets.own_data import inputs, reproduction  # noqa: E402

p = snakemake.params  # noqa: F821
spec = inputs.OwnDataSpec.from_config(p.name, p.entry)
with open(snakemake.input.info) as fh:  # noqa: F821
    info = json.load(fh)
consistency, pool = None, None
if "consistency" in snakemake.input.keys():  # noqa: F821
    consistency = pd.read_csv(snakemake.input.consistency)  # noqa: F821
    with open(snakemake.input.consistency_info) as fh:  # noqa: F821
        pool = json.load(fh)["perturbations"]
rows = reproduction.summary_rows(spec, info, pd.read_csv(snakemake.input.activity), consistency, pool)  # noqa: F821
rows.to_csv(snakemake.output.table, index=False)  # noqa: F821
