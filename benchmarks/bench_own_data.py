"""A lab-scale screen on one machine: 1,000,000 profiles x 500 features through the mAP engine.

The own-data activity design with same-plate controls, called on the engine directly
(``mapeval.average_precision`` then ``mapeval.mean_average_precision``), each part in a fresh
subprocess so that its peak memory (ru_maxrss) is its own:

* ``main``: the full screen, features handed to the engine as float64 (or ``--dtype float32``);
  time of each step and the process's peak resident memory.
* ``exactness``: on the first ``--exact-n`` wells, AP from float32-rounded features against AP
  from the float64 features (how many APs differ, by how much, and whether any retrieved call
  changes).
* ``shards``: the same screen cut into ``--shards`` query shards (each: its perturbations plus
  every control well, as the workflow's own_data_ap_shard jobs do); the gathered APs must
  equal the unsharded ones bit for bit.

Screen: plates of 384 wells with 32 DMSO wells; 4 replicate plates share each plate map, so a
perturbation is one well position on 4 plates (n / 384 * 352 / 4 perturbations); 30% of the
perturbations shift the profile. Null size 10,000, seed 0, BH over perturbations.

Usage::

    python benchmarks/bench_own_data.py --n 1000000 --threads 2 --out docs/bench_own_data.json
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

import numpy as np
import pandas as pd

WELLS, CONTROLS, REPLICATES = 384, 32, 4
CHUNK = WELLS * REPLICATES * 40  # whole replicate groups per chunk


def make_screen(n: int, n_feats: int = 500, seed: int = 0, dtype=np.float64):
    """Metadata (plate, perturbation, control flag, reference index) and features (n, n_feats),
    generated chunk by chunk in place so the harness holds one copy of the matrix."""
    rng = np.random.default_rng(seed)
    plate = np.arange(n) // WELLS
    slot = np.arange(n) % WELLS
    control = slot < CONTROLS
    pert = np.where(control, -1, (plate // REPLICATES) * (WELLS - CONTROLS) + slot - CONTROLS)
    meta = pd.DataFrame(
        {
            "Metadata_Plate": plate.astype(np.int64),
            "Metadata_pert": pert.astype(np.int64),
            "Metadata_ref": np.where(control, np.arange(n), -1).astype(np.int64),
        }
    )
    feats = np.empty((n, n_feats), dtype=dtype)
    for s in range(0, n, CHUNK):
        e = min(s + CHUNK, n)
        block = rng.standard_normal((e - s, n_feats))
        p = pert[s:e]
        treated = p >= 0
        ids, inverse = np.unique(p[treated], return_inverse=True)
        effect = rng.standard_normal((len(ids), n_feats)) * 0.35
        effect[rng.random(len(ids)) >= 0.3] = 0.0  # 30% of perturbations act
        block[treated] += effect[inverse]
        feats[s:e] = block
    return meta, feats


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ap(meta, feats, threads):
    import mapeval

    return mapeval.average_precision(
        meta, feats,
        pos_sameby=["Metadata_pert", "Metadata_ref"], pos_diffby=[],
        neg_sameby=["Metadata_Plate"], neg_diffby=["Metadata_pert", "Metadata_ref"],
        threads=threads,
    )


def run_main(args) -> dict:
    import mapeval

    t0 = time.perf_counter()
    meta, feats = make_screen(args.n, args.features, dtype=np.dtype(args.dtype))
    t_data = time.perf_counter() - t0
    data_mb = _peak_mb()
    # --burners N: N busy-loop processes during the AP step only (a machine loaded by other jobs)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.burners)]
    try:
        if burners:
            time.sleep(5)
        load_ap = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        ap = _ap(meta, feats, args.threads)
        t_ap, c_ap = time.perf_counter() - t0, time.process_time() - c0
    finally:
        for proc in burners:
            proc.kill()
            proc.wait()
    ap_mb = _peak_mb()
    t0 = time.perf_counter()
    scores = mapeval.mean_average_precision(ap, "Metadata_pert", args.null_size, seed=0)
    t_map = time.perf_counter() - t0
    return {
        "part": "main", "n": args.n, "features": args.features, "dtype": args.dtype,
        "threads": args.threads, "queries": int(ap["average_precision"].notna().sum()),
        "perturbations": len(scores), "retrieved": float(scores["below_corrected_p"].mean()),
        "seconds_data": round(t_data, 2), "seconds_average_precision": round(t_ap, 2),
        "cpu_seconds_average_precision": round(c_ap, 2), "burners": args.burners,
        "load_average_at_ap": round(load_ap, 1),
        "seconds_mean_average_precision": round(t_map, 2),
        "seconds_engine": round(t_ap + t_map, 2),
        "peak_mb_data_alone": round(data_mb), "peak_mb_after_ap": round(ap_mb),
        "peak_mb": round(_peak_mb()), "feature_matrix_mb": round(feats.nbytes / 2**20),
    }


def run_exactness(args) -> dict:
    import mapeval

    meta, feats = make_screen(args.exact_n, args.features)
    ap64 = _ap(meta, feats, args.threads)
    ap32 = _ap(meta, feats.astype(np.float32), args.threads)
    a, b = ap64["average_precision"].to_numpy(), ap32["average_precision"].to_numpy()
    scored = ~np.isnan(a)
    diff = np.abs(a[scored] - b[scored])
    m64 = mapeval.mean_average_precision(ap64, "Metadata_pert", args.null_size, seed=0)
    m32 = mapeval.mean_average_precision(ap32, "Metadata_pert", args.null_size, seed=0)
    return {
        "part": "exactness", "n": args.exact_n, "queries": int(scored.sum()),
        "ap_differ": int((diff > 0).sum()), "ap_max_abs_diff": float(diff.max()),
        "map_max_abs_diff": float(np.abs(m64["mean_average_precision"] - m32["mean_average_precision"]).max()),
        "retrieved_calls_changed": int((m64["below_corrected_p"] != m32["below_corrected_p"]).sum()),
        "perturbations": len(m64),
    }


def run_shards(args) -> dict:
    meta, feats = make_screen(args.n, args.features)
    t0 = time.perf_counter()
    whole = _ap(meta, feats, args.threads)["average_precision"].to_numpy()
    t_whole = time.perf_counter() - t0
    pert = meta["Metadata_pert"].to_numpy()
    # the workflow's rule: perturbations in contiguous shares of about equal well counts
    from mapreprod.datasets.own_data.activity import shard_of_rows

    where = shard_of_rows(np.where(pert >= 0, pert, -1), args.shards)
    gathered = np.full(len(meta), np.nan)
    seconds = []
    for s in range(args.shards):
        rows = np.flatnonzero((where == s) | (where == -1))
        t0 = time.perf_counter()
        part = _ap(meta.iloc[rows].reset_index(drop=True), feats[rows], args.threads)
        seconds.append(round(time.perf_counter() - t0, 2))
        gathered[rows[where[rows] == s]] = part["average_precision"].to_numpy()[where[rows] == s]
    same = np.array_equal(np.nan_to_num(whole, nan=-1), np.nan_to_num(gathered, nan=-1))
    return {
        "part": "shards", "n": args.n, "shards": args.shards, "identical": bool(same),
        "differing_aps": int((np.nan_to_num(whole, nan=-1) != np.nan_to_num(gathered, nan=-1)).sum()),
        "seconds_unsharded": round(t_whole, 2), "seconds_per_shard": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=500)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--null-size", type=int, default=10_000)
    parser.add_argument("--exact-n", type=int, default=100_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--parts", nargs="+", default=["main", "exactness", "shards"])
    parser.add_argument("--burners", type=int, default=0,
                        help="busy-loop processes run during the AP step of part main (load)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the parts this many times, alternating (before/after comparisons)")
    parser.add_argument("--part", help=argparse.SUPPRESS)  # run one part in this process
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.part:
        result = {"main": run_main, "exactness": run_exactness, "shards": run_shards}[args.part](args)
        print(json.dumps(result))
        return
    env = dict(os.environ, MAPEVAL_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    results = []
    for part in [p for _ in range(args.repeat) for p in args.parts]:
        cmd = [sys.executable, __file__, "--part", part, *sys.argv[1:]]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["seconds_process"] = round(time.perf_counter() - t0, 1)
        result["load_average"] = round(os.getloadavg()[0], 1)
        print(json.dumps(result), flush=True)
        results.append(result)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
