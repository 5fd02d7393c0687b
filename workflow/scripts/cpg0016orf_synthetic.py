"""Generated cpg0016[orf] inputs (the real files' names and columns) with planted signal (rule
cpg0016orf_synthetic_data)."""

import sys

from mapreprod.datasets.cpg0016orf.standin import (
    FILES,
    SyntheticDesign,
    generate,
    generated_jump_metadata,
    load_jump_metadata,
    write_standin,
)
from mapreprod.job import start_job

snakemake = start_job()
design = SyntheticDesign.from_config(snakemake.params.design)
seed = snakemake.params.seed
inputs = snakemake.input
if "orf" in inputs.keys():  # a Snakemake Namedlist: `in` alone would test the values
    metadata = load_jump_metadata(inputs.orf, inputs.plate, inputs.experiment, inputs.controls)
    print("laid out on the real JUMP metadata", file=sys.stderr)
else:
    metadata = generated_jump_metadata(design, seed)
    print(
        "real JUMP metadata not requested: generated metadata with the same columns",
        file=sys.stderr,
    )
standin = generate(design, metadata, seed)
truth = standin.truth
print(
    f"{len(standin.profiles)} wells x {design.n_features} features; "
    f"{int(truth['active'].sum())}/{len(truth)} active ORFs, "
    f"{int(truth['low_infection'].sum())} low-infection",
    file=sys.stderr,
)
write_standin(standin, {key: snakemake.output[key] for key in FILES})
