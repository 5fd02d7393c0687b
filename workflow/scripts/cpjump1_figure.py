"""One CPJUMP1 figure and its source table (rule cpjump1_figure)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import os  # noqa: E402

import pandas as pd  # noqa: E402

from mapreprod.datasets.cpjump1 import figures  # noqa: E402
from mapreprod.plotting import save_figure, set_style  # noqa: E402

sm = snakemake  # noqa: F821
fid = sm.wildcards.figure
set_style()
if fid in ("cpjump1_fig4a", "cpjump1_edfig1"):
    tables = {tuple(k.split("__")): pd.read_csv(sm.input[k]) for k in sm.input.keys()}
    table = figures.detection_table(tables)
    fig = (figures.plot_fig4a if fid == "cpjump1_fig4a" else figures.plot_edfig1)(table)
elif fid == "cpjump1_fig4b":
    table = figures.matching_table({k: pd.read_csv(sm.input[k]) for k in sm.input.keys()})
    fig = figures.plot_fig4b(table)
elif fid == "cpjump1_fig4c":
    table = figures.cross_table({tuple(k.split("-")): pd.read_csv(sm.input[k]) for k in sm.input.keys()})
    fig = figures.plot_fig4c(table)
else:
    table = pd.read_csv(sm.input.signal)
    summary = pd.read_csv(sm.input.summary)
    fig = figures.plot_fig5(table, summary, sm.params.fig5a_tails)
    table = table.merge(
        summary.rename(columns={"cell": "Cell", "genetic_perturbation": "Genetic_Perturbation"}),
        on=["panel", "Cell", "Genetic_Perturbation"],
        how="left",
    )
if sm.params.synthetic:
    fig.suptitle(f"{fig.get_suptitle()}\n[generated stand-in data (cpjump1.synthetic): not the paper's numbers]")
print(f"{fid}: {len(table)} rows", file=sys.stderr)
table.to_csv(sm.output.table + ".tmp", index=False)
save_figure(fig, sm.output.png, sm.output.pdf)
os.replace(sm.output.table + ".tmp", sm.output.table)
