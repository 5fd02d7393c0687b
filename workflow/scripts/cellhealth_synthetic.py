"""Write the synthetic Cell Health plates, CERES tables and planted truth (docs/methods.md §3; rule cellhealth_synthetic_data)."""

import sys
from pathlib import Path

from mapreprod.datasets.cellhealth.standin import make_cellhealth, write_cellhealth
from mapreprod.job import start_job

snakemake = start_job()
data = make_cellhealth(**snakemake.params.design)
write_cellhealth(data, Path(snakemake.output.ceres).parent)
print(f"wrote {len(data.plates)} plates, truth of {len(data.truth)} guide x cell line rows",
      file=sys.stderr)
