"""The CPJUMP1 stand-in: plate table, compound annotations and every plate's profiles."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.cpjump1 import standin  # noqa: E402

sm = snakemake  # noqa: F821
design = standin.SyntheticDesign.from_config(sm.params.design)
if sm.params.layout_source == "real":
    layouts = standin.read_layouts({key: sm.input[key] for key in standin.LAYOUT_FILES})
    print("plate maps and metadata: the real JUMP-Target-1 files in resources/cpjump1/", file=sys.stderr)
else:
    layouts = standin.generated_layouts(sm.params.seed)
    print(
        "plate maps and metadata: GENERATED (same shape as JUMP-Target-1, made-up names): the real "
        "files are neither in resources/cpjump1/ nor in a local data.mirror folder "
        "(config cpjump1.synthetic_metadata: auto); set synthetic_metadata: real to download them",
        file=sys.stderr,
    )
written = standin.write_standin(sm.params.outdir, layouts, design, seed=sm.params.seed)
print(f"{len(written) - 3} plates written to {sm.params.outdir}; design {design.as_dict()}", file=sys.stderr)
