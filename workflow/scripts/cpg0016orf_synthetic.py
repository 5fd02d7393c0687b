"""Generated cpg0016[orf] inputs (the real files' names and columns) with planted signal."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.cpg0016orf.standin import (
    FILES,
    SyntheticDesign,
    generate,
    generated_jump_metadata,
    load_jump_metadata,
    write_standin,
)

design = SyntheticDesign.from_config(snakemake.params.design)  # noqa: F821
seed = snakemake.params.seed  # noqa: F821
inputs = snakemake.input  # noqa: F821
if "orf" in inputs.keys():  # noqa: SIM118 (a Snakemake Namedlist: `in` tests values)
    metadata = load_jump_metadata(inputs.orf, inputs.plate, inputs.experiment, inputs.controls)
    print("laid out on the real JUMP metadata", file=sys.stderr)
else:
    metadata = generated_jump_metadata(design, seed)
    print("real JUMP metadata not requested: generated metadata with the same columns",
          file=sys.stderr)
standin = generate(design, metadata, seed)
truth = standin.truth
print(f"{len(standin.profiles)} wells x {design.n_features} features; "
      f"{int(truth['active'].sum())}/{len(truth)} active ORFs, "
      f"{int(truth['low_infection'].sum())} low-infection", file=sys.stderr)
write_standin(standin, {key: snakemake.output[key] for key in FILES})  # noqa: F821
