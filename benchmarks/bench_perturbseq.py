"""Time and peak memory of the Perturb-seq preprocessing at the real data's shape.

Generates the stand-in at :data:`mapreprod.datasets.perturbseq.REAL_SHAPE` (33,694 genes x 23,700
barcodes, about 113 million non-zero counts, laid out so that the Seurat steps keep docs/methods.md §7's
20,275 genes x 23,633 cells, then 23,537 cells), then runs, in a fresh process so that its peak
memory is its own, what rule ``perturbseq_seurat`` runs: read the gzipped 10X triple, the Seurat
steps with scanpy, and write the scaled 1,000-gene export (parquet). Checks the step counts
against the planted ones.

Usage::

    python benchmarks/bench_perturbseq.py --workdir /tmp/perturbseq_bench --threads 2

The generated files are kept in ``--workdir`` and reused by later runs (``--regenerate`` to
write them again).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import gzip, json, os, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
from mapreprod.datasets.perturbseq import FILES, SeuratSettings, seurat_export_10x
workdir = sys.argv[1]
paths = [os.path.join(workdir, FILES[k]) for k in ("matrix", "genes", "barcodes")]
with gzip.open(paths[0], "rt") as handle:
    header = [next(handle) for _ in range(3)]
t_import = time.perf_counter() - t0
table, variable, summary = seurat_export_10x(*paths, SeuratSettings())  # rule perturbseq_seurat
t_seurat = time.perf_counter() - t0
table.to_parquet(os.path.join(workdir, "scaled_matrix.parquet"), index=False)
t_total = time.perf_counter() - t0
print(json.dumps({
    "import_s": t_import, "read_and_seurat_s": t_seurat - t_import, "write_s": t_total - t_seurat,
    "total_s": t_total, "cpu_main_thread_s": time.process_time() - c0,
    "nnz": int(header[2].split()[2]), "steps": summary.to_dict(orient="records"),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/perturbseq_bench")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()

    from mapreprod.datasets.perturbseq import REAL_SHAPE, expected_counts, write_standin

    workdir = Path(args.workdir)
    planted = workdir / "planted_counts.json"
    report: dict = {"load_before": os.getloadavg()}
    if args.regenerate or not planted.exists():
        t = time.perf_counter()
        write_standin(workdir, REAL_SHAPE)
        report["generate_s"] = time.perf_counter() - t
    counts = json.loads(planted.read_text())
    assert counts == expected_counts(REAL_SHAPE), "stale stand-in: run with --regenerate"
    report["matrix_MB"] = (workdir / "GSE132080_10X_matrix.mtx.gz").stat().st_size / 1e6

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               NUMBA_NUM_THREADS=str(args.threads), MAPEVAL_NUM_THREADS=str(args.threads),
               PYTHONWARNINGS="ignore")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(workdir)], env=env, check=True,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = json.loads(out.stdout.strip().splitlines()[-1])
    report.update(child)
    report["wall_s"] = wall
    report["child_cpu_user_s"] = after.ru_utime - before.ru_utime
    report["child_cpu_sys_s"] = after.ru_stime - before.ru_stime
    report["peak_rss_MB"] = after.ru_maxrss / 1024  # Linux: kilobytes
    report["load_after"] = os.getloadavg()

    steps = {row["step"]: row for row in child["steps"]}
    created, kept = steps["CreateSeuratObject"], steps["subset (nFeature_RNA, percent.mt)"]
    report["counts_match_spec"] = (
        (created["features"], created["cells"], kept["cells"])
        == (counts["seurat_features"], counts["seurat_cells"], counts["qc_cells"])
    )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
