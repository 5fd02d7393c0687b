"""The generated Perturb-seq stand-in: 10X triple, cell identities, supplement (rule
perturbseq_synthetic_data)."""

import sys
from pathlib import Path

from mapreprod.datasets.perturbseq import StandinDesign, StandinFilters, write_standin
from mapreprod.job import start_job

snakemake = start_job()
design = StandinDesign.from_config(snakemake.params.design)
filters = StandinFilters(**snakemake.params.filters)
counts = write_standin(Path(snakemake.output.matrix).parent, design, filters)
print(f"stand-in written; expected counts: {counts}", file=sys.stderr)
