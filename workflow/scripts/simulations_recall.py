import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected)

import os
import time

# one BLAS thread per core the job was given (before numpy is imported)
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(snakemake.threads))  # noqa: F821

from mapreprod.simulations import simulate  # noqa: E402

sim = snakemake.params.settings  # noqa: F821
engine = snakemake.params.engine  # noqa: F821
figure = snakemake.wildcards.figure  # noqa: F821
n_feats = int(snakemake.wildcards.n_feats)  # noqa: F821

start = time.perf_counter()
conditions = simulate.figure_conditions(figure, sim, n_feats)
table = simulate.run_grid(
    figure,
    conditions,
    n_perts=sim["n_perts"],
    n_perm=sim["n_permutations"],
    null_size=sim["map_null_size"],
    seed=sim["seed"],
    mmd_bandwidth=sim["mmd_bandwidth"],
    kmeans_n_init=sim["kmeans_n_init"],
    null_sampler=engine["null_sampler"],
    batch_size=engine["batch_size"],
)
out = snakemake.output.table  # noqa: F821
tmp = f"{out}.tmp"
table.to_csv(tmp, index=False)
os.replace(tmp, out)
print(f"{figure} n_feats={n_feats}: {len(conditions)} conditions x {sim['n_perts']} "
      f"perturbations in {time.perf_counter() - start:.1f} s", file=sys.stderr)
