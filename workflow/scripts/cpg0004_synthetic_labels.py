"""Label tables of the synthetic cpg0004 run: the real Repurposing Hub tables when requested,
otherwise small stand-ins with the same columns (rule cpg0004_synthetic_labels)."""

import os
import shutil
import sys

from mapreprod.datasets.cpg0004 import write_repurposing_table
from mapreprod.datasets.cpg0004.standin import SyntheticDesign, fallback_repurposing_tables
from mapreprod.job import start_job

snakemake = start_job()
out = snakemake.output
if "drugs" in snakemake.input.keys():
    for key in ("drugs", "samples"):
        shutil.copyfile(snakemake.input[key], f"{out[key]}.tmp")
        os.replace(f"{out[key]}.tmp", out[key])
    print("copied the real Repurposing Hub tables", file=sys.stderr)
else:
    design = SyntheticDesign.from_config(snakemake.params.design)
    drugs, samples = fallback_repurposing_tables(design)
    write_repurposing_table(drugs, out.drugs, "drug information")
    write_repurposing_table(samples, out.samples, "sample information")
    print("real label tables absent: wrote synthetic stand-ins", file=sys.stderr)
