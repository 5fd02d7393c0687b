"""The generated Perturb-seq stand-in: 10X triple, cell identities, supplement (rule
perturbseq_synthetic_data)."""

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from mapreprod.datasets.perturbseq import StandinDesign, StandinFilters, write_standin  # noqa: E402

design = StandinDesign.from_config(snakemake.params.design)  # noqa: F821
filters = StandinFilters(**snakemake.params.filters)  # noqa: F821
counts = write_standin(Path(snakemake.output.matrix).parent, design, filters)  # noqa: F821
print(f"stand-in written; expected counts: {counts}", file=sys.stderr)
