"""The authors' 0.5% sample of the control cells, drawn while streaming the control table."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.mitocheck.inputs import read_control_sample

p = snakemake.params  # noqa: F821
sample = read_control_sample(snakemake.input.controls, p.member, frac=p.fraction,  # noqa: F821
                             seed=p.seed, chunk_rows=p.chunk_rows)
print(f"{len(sample)} control cells sampled (frac={p.fraction}, random_state={p.seed})",
      file=sys.stderr)
sample.to_parquet(snakemake.output.sample)  # noqa: F821
