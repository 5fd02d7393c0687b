"""The CPJUMP1 stand-in: plate table, compound annotations and every plate's profiles (rule
cpjump1_synthetic_data)."""

import sys

from mapreprod.datasets.cpjump1 import standin
from mapreprod.job import start_job

snakemake = start_job()
p = snakemake.params
design = standin.SyntheticDesign.from_config(p.design)
if p.layout_source == "real":
    layouts = standin.read_layouts({key: snakemake.input[key] for key in standin.LAYOUT_FILES})
    print("plate maps and metadata: the real JUMP-Target-1 files in resources/cpjump1/",
          file=sys.stderr)
else:
    layouts = standin.generated_layouts(p.seed)
    print(
        "plate maps and metadata: GENERATED (same shape as JUMP-Target-1, made-up names): the real "
        "files are neither in resources/cpjump1/ nor in a local data.mirror folder "
        "(config cpjump1.synthetic_metadata: auto); set synthetic_metadata: real to download them",
        file=sys.stderr,
    )
written = standin.write_standin(p.outdir, layouts, design, seed=p.seed)
print(f"{len(written) - 3} plates written to {p.outdir}; design {design.as_dict()}",
      file=sys.stderr)
