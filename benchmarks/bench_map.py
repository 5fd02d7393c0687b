"""Speed and peak memory of mapeval vs copairs on the same seeded data.

Each (tool, design, N) runs in a fresh subprocess so that peak memory (ru_maxrss) is its own.
Designs (500 features, plates of 384 wells with 32 control wells, 4 replicates per perturbation):

* ``global``: replicates vs every control well (reference-index trick, no neg_sameby);
* ``same_plate``: replicates vs the control wells of the same plate (neg_sameby plate);
* ``consistency``: consensus profiles (one per perturbation), positives share a target
  (5 perturbations per target), negatives are every other target.

Usage::

    python benchmarks/bench_map.py --sizes 2000 10000 40000 --repeat 3 --out docs/bench_map.csv

``--repeat R`` calls each tool R times in its process and reports the median time (and the
first call's time, which pays the one-time warm-up, in ``ap_first_seconds``).

Threads: mapeval uses MAPEVAL_NUM_THREADS, else OMP_NUM_THREADS, else the available CPUs (at
most 8); copairs uses its own thread pool.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_data(n: int, design: str, n_feats: int = 500, seed: int = 0):
    rng = np.random.default_rng(seed)
    wells, ctrl = 384, 32
    n_plates = int(np.ceil(n / wells))
    treat_per_plate = wells - ctrl
    n_perts = max(1, n_plates * treat_per_plate // 4)
    plates = np.repeat(np.arange(n_plates), wells)[:n]
    slot = np.tile(np.arange(wells), n_plates)[:n]
    is_ctrl = slot < ctrl
    # each plate of 4 carries the same plate map: perturbation = (plate // 4, slot)
    pert = (plates // 4) * treat_per_plate + (slot - ctrl)
    meta = pd.DataFrame(
        {
            "Metadata_Plate": plates,
            "Metadata_pert": np.where(is_ctrl, "DMSO", "p" + pert.astype(str)),
        }
    )
    meta["Metadata_ref"] = np.where(is_ctrl, np.arange(n), -1)
    effect = rng.normal(size=(n_perts + 1, n_feats)) * 0.3
    feats = rng.normal(size=(n, n_feats))
    for s in range(0, n, 4096):  # in place, chunk by chunk: keep the harness's own memory small
        rows = np.arange(s, min(s + 4096, n))
        rows = rows[~is_ctrl[rows]]
        feats[rows] += effect[np.minimum(pert[rows], n_perts)]
    if design == "consistency":
        keep = ~is_ctrl
        cons = pd.DataFrame(feats[keep]).groupby(meta.loc[keep, "Metadata_pert"].to_numpy()).median()
        meta = pd.DataFrame({"Metadata_pert": cons.index})
        meta["Metadata_target"] = "t" + (np.arange(len(meta)) // 5).astype(str)
        feats = cons.to_numpy()
    return meta, feats


ARGS = {
    "global": (["Metadata_pert", "Metadata_ref"], [], [], ["Metadata_pert", "Metadata_ref"]),
    "same_plate": (
        ["Metadata_pert", "Metadata_ref"], [], ["Metadata_Plate"], ["Metadata_pert", "Metadata_ref"]
    ),
    "consistency": (["Metadata_target"], [], [], ["Metadata_target"]),
}
GROUP = {"global": "Metadata_pert", "same_plate": "Metadata_pert", "consistency": "Metadata_target"}


def run_one(tool: str, design: str, n: int, null_size: int, repeat: int = 1) -> dict:
    import warnings

    warnings.filterwarnings("ignore")
    meta, feats = make_data(n, design)
    rss_data_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if tool == "mapeval":
        import mapeval

        def ap_fn():
            return mapeval.average_precision(meta, feats, *ARGS[design])

        def map_fn(ap):
            mapeval.mean_average_precision(ap, [GROUP[design]], null_size, 0.05, seed=0)
    else:
        import tempfile

        from copairs.map import average_precision, mean_average_precision

        def ap_fn():
            return average_precision(meta, feats, *ARGS[design], progress_bar=False)

        def map_fn(ap):  # an empty null cache every time
            mean_average_precision(ap, [GROUP[design]], null_size, 0.05, 0, progress_bar=False,
                                   cache_dir=tempfile.mkdtemp())

    ap_times, map_times, ap_cpu = [], [], []
    for _ in range(repeat):  # the same calls, in the same process: the first one pays warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        ap = ap_fn()
        t1, c1 = time.perf_counter(), time.process_time()
        map_fn(ap)
        t2 = time.perf_counter()
        ap_times.append(t1 - t0)
        ap_cpu.append(c1 - c0)
        map_times.append(t2 - t1)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "tool": tool, "design": design, "n_profiles": len(meta), "n_queries": int(ap["average_precision"].notna().sum()),
        "ap_seconds": round(float(np.median(ap_times)), 3), "map_seconds": round(float(np.median(map_times)), 3),
        "ap_first_seconds": round(ap_times[0], 3), "ap_cpu_seconds": round(float(np.median(ap_cpu)), 3),
        "repeats": repeat, "peak_rss_mb": round(rss_mb),
        "rss_after_data_mb": round(rss_data_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000, 40000])
    parser.add_argument("--designs", nargs="+", default=list(ARGS))
    parser.add_argument("--tools", nargs="+", default=["mapeval", "copairs"])
    parser.add_argument("--null-size", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1,
                        help="calls per run (same process); the table gives the median time")
    parser.add_argument("--skip", nargs="*", default=[], metavar="TOOL:DESIGN:N",
                        help="runs to leave out, e.g. copairs:global:40000 (33 min, 10 GB)")
    parser.add_argument("--one", nargs=3, metavar=("TOOL", "DESIGN", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        tool, design, n = args.one
        print(json.dumps(run_one(tool, design, int(n), args.null_size, args.repeat)))
        return
    rows = []
    for n in args.sizes:
        for design in args.designs:
            for tool in args.tools:
                if f"{tool}:{design}:{n}" in args.skip:
                    continue
                cmd = [sys.executable, __file__, "--one", tool, design, str(n), "--null-size", str(args.null_size),
                       "--repeat", str(args.repeat)]
                res = subprocess.run(cmd, capture_output=True, text=True)
                if res.returncode != 0:
                    print(f"{tool} {design} {n} failed:\n{res.stderr[-2000:]}", file=sys.stderr)
                    continue
                rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    if args.out:
        table.to_csv(args.out, index=False)
    print(table.to_markdown(index=False) if hasattr(table, "to_markdown") else table)


if __name__ == "__main__":
    main()
