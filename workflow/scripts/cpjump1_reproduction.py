"""CPJUMP1: the notebooks' and the paper's numbers next to ours (rule cpjump1_reproduction)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mapreprod.datasets.cpjump1 import figures, reproduction  # noqa: E402

sm = snakemake  # noqa: F821
activity_keys = [k for k in sm.input.keys() if "__" in k]
detection = figures.detection_table({tuple(k.split("__")): pd.read_csv(sm.input[k]) for k in activity_keys})
matching = figures.matching_table(
    {Path(p).name.removesuffix(".csv"): pd.read_csv(p) for p in sm.input.matching}
)
cross = figures.cross_table(
    {tuple(Path(p).name.removesuffix(".csv").split("-")): pd.read_csv(p) for p in sm.input.cross}
)
summary = pd.read_csv(sm.input.summary)
note = (f"null size {sm.params.null_size}, class q {sm.params.class_q}, "
        f"Fig 5a tails {sm.params.fig5a_tails}")
if sm.params.synthetic:
    note = f"generated stand-in data; {note}"
table = reproduction.reproduction_table(detection, matching, cross, summary, note=note)
table.to_csv(sm.output.table, index=False)
print(table.to_string(), file=sys.stderr)
