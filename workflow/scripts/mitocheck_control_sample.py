"""The authors' 0.5% sample of the control cells, drawn while streaming the control table (rule
mitocheck_control_sample)."""

import sys

from mapreprod.common import write_table
from mapreprod.datasets.mitocheck.inputs import read_control_sample
from mapreprod.job import start_job

snakemake = start_job()
p = snakemake.params
sample = read_control_sample(
    snakemake.input.controls, p.member, frac=p.fraction, seed=p.seed, chunk_rows=p.chunk_rows
)
print(f"{len(sample)} control cells sampled (frac={p.fraction}, random_state={p.seed})",
      file=sys.stderr)
# keep the index: the sampled rows' positions in the control table
write_table(sample, snakemake.output.sample, index=True)
