"""Stand-in Mitocheck inputs: the training table and the zipped control table (real layout; rule
mitocheck_synthetic_data)."""

import sys

from mapreprod.common import write_table
from mapreprod.datasets.mitocheck import standin
from mapreprod.job import start_job

snakemake = start_job()
design = standin.SyntheticDesign.from_config(snakemake.params.design)
training, controls, truth = standin.generate(design)
print(f"{len(training)} labelled cells, {design.n_control_rows} control cells, "
      f"{design.n_dp_features} DP features", file=sys.stderr)
standin.write_training(training, snakemake.output.training)
if controls is None:  # control_block_rows: generated and streamed block by block
    standin.write_control_blocks(design, snakemake.output.controls, snakemake.params.member)
else:
    standin.write_control_archive(controls, snakemake.output.controls, snakemake.params.member)
write_table(truth, snakemake.output.truth)
