"""Stand-in Mitocheck inputs: the training table and the zipped control table (real layout)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.mitocheck import standin

design = standin.SyntheticDesign.from_config(snakemake.params.design)  # noqa: F821
training, controls, truth = standin.generate(design)
print(f"{len(training)} labelled cells, {len(controls)} control cells, "
      f"{design.n_dp_features} DP features", file=sys.stderr)
standin.write_training(training, snakemake.output.training)  # noqa: F821
standin.write_control_archive(controls, snakemake.output.controls,  # noqa: F821
                              snakemake.params.member)  # noqa: F821
truth.to_csv(snakemake.output.truth, index=False)  # noqa: F821
