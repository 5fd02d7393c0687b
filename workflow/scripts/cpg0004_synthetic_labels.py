"""Label tables of the synthetic cpg0004 run: the real Repurposing Hub tables when present,
otherwise small stand-ins with the same columns."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import shutil

from mapreprod.datasets.cpg0004 import write_repurposing_table
from mapreprod.datasets.cpg0004.standin import SyntheticDesign, fallback_repurposing_tables

out = snakemake.output  # noqa: F821
if "drugs" in snakemake.input.keys():  # noqa: F821
    for key in ("drugs", "samples"):
        shutil.copyfile(snakemake.input[key], f"{out[key]}.tmp")  # noqa: F821
        shutil.move(f"{out[key]}.tmp", out[key])
    print("copied the real Repurposing Hub tables", file=sys.stderr)
else:
    design = SyntheticDesign.from_config(snakemake.params.design)  # noqa: F821
    drugs, samples = fallback_repurposing_tables(design)
    write_repurposing_table(drugs, out.drugs, "drug information")
    write_repurposing_table(samples, out.samples, "sample information")
    print("real label tables absent: wrote synthetic stand-ins", file=sys.stderr)
