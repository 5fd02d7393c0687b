"""Write the synthetic Cell Health plates, CERES tables and planted truth (docs/methods.md §3)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

from pathlib import Path  # noqa: E402

from mapreprod.datasets.cellhealth.standin import make_cellhealth, write_cellhealth  # noqa: E402

design = dict(snakemake.params.design)  # noqa: F821
design.pop("null_size", None)  # an analysis setting, not a property of the data
data = make_cellhealth(**design)
write_cellhealth(data, Path(snakemake.output.ceres).parent)  # noqa: F821
print(f"wrote {len(data.plates)} plates, truth of {len(data.truth)} guide x cell line rows",
      file=sys.stderr)
