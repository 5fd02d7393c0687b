"""Cost of the exact null and of the label-permutation tests (docs/benchmarks.md, issue 17).

Part ``exact``: time to enumerate the exact AP null of (k, N) configurations
(``mapeval.ap_null_distribution``) against drawing null rows with the fast and the copairs
samplers, and the exact mAP p-values of a replicate-vs-control screen.

Part ``screen``: ``mapeval.permutation_map`` and ``mapeval.energy_distance_test`` on a
replicate-vs-control screen of ``--plates`` plates of 384 wells (32 control wells; 4 replicate
plates share each plate map; ``--features`` features), B = ``--n-permutations``, with all
controls as negatives (``neg_sameby=[]``) and with per-plate controls (``neg_sameby=[plate]``,
one profile per plate relabelled), each in a fresh process (peak memory is its own), next to
``average_precision`` + ``mean_average_precision`` on the same screen.

    python benchmarks/bench_exact_permutation.py exact
    python benchmarks/bench_exact_permutation.py screen --plates 260 --threads 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ["MAPEVAL_NULL_CACHE_MB"] = "0"  # measure draws, not the in-process null cache

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

import mapeval
from mapeval.nulls import null_distributions

CONFIGS = [(1, 13), (1, 1000), (2, 13), (2, 40), (2, 1000), (3, 39), (3, 100), (3, 200), (4, 40),
           (4, 100), (5, 40), (5, 60), (8, 24), (10, 25), (2, 2000)]


def _clock(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def part_exact(args) -> None:
    rows = []
    for k, n in CONFIGS:
        total = math.comb(n, k)
        if total > args.limit:
            continue
        dist, _, cpu = _clock(lambda k=k, n=n: mapeval.ap_null_distribution(k, n, exact_limit=args.limit))
        row = {"k": k, "N": n, "comb(N, k)": total, "distinct APs": len(dist.values),
               "exact CPU s": round(cpu, 4)}
        for sampler in ("fast", "copairs"):
            for size in (10_000, 1_000_000):
                _, _, c = _clock(lambda k=k, n=n, size=size, sampler=sampler: null_distributions(
                    np.array([[k, n]]), size, seed=1, sampler=sampler))
                row[f"{sampler} {size:,} CPU s"] = round(c, 4)
        rows.append(row)
    print(pd.DataFrame(rows).to_markdown(index=False))


def screen(n_plates: int, n_features: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    plate = np.repeat(np.arange(n_plates), 384)
    well = np.tile(np.arange(384), n_plates)
    ctrl = well < 32
    pert = np.where(ctrl, -1, (plate // 4) * 352 + (well - 32))
    meta = pd.DataFrame({"plate": plate, "pert": pert})
    meta["ref"] = np.where(ctrl, np.arange(len(meta)), -1)
    feats = rng.normal(size=(len(meta), n_features))
    active = rng.random(pert.max() + 1) < 0.3  # 30% of perturbations act
    hit = ~ctrl & active[np.maximum(pert, 0)]
    feats[hit, :10] += 0.5
    return meta, feats


def run_one(args) -> None:
    """One measurement in this process (called by ``part_screen`` in a fresh process)."""
    meta, feats = screen(args.plates, args.features)
    design = ["pert", "ref"]
    neg = [] if args.negatives == "all" else ["plate"]
    fn = {
        "permutation_map": lambda: mapeval.permutation_map(meta, feats, design, [], neg, design, "pert",
                                                           args.n_permutations, threads=args.threads),
        "energy_distance_test": lambda: mapeval.energy_distance_test(meta, feats, design, [], neg, design, "pert",
                                                                     args.n_permutations, threads=args.threads),
        "average_precision+mAP": lambda: mapeval.mean_average_precision(
            mapeval.average_precision(meta, feats, design, [], neg, design, threads=args.threads), "pert", 10_000),
    }[args.what]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out, wall, cpu = _clock(fn)
    print(json.dumps({"what": args.what, "negatives": args.negatives, "profiles": len(meta),
                      "groups": len(out), "wall s": round(wall, 1), "CPU s": round(cpu, 1),
                      "peak MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "data MB": round(rss0), "share p<0.05": round(float((out["p_value"] < 0.05).mean()), 3),
                      "load": round(os.getloadavg()[0], 1)}))


def part_screen(args) -> None:
    rows = []
    for negatives in ("all", "plate"):
        for what in ("average_precision+mAP", "permutation_map", "energy_distance_test"):
            cmd = [sys.executable, __file__, "one", "--what", what, "--negatives", negatives,
                   "--plates", str(args.plates), "--features", str(args.features),
                   "--n-permutations", str(args.n_permutations), "--threads", str(args.threads)]
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_markdown(index=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("part", choices=["exact", "screen", "one"])
    ap.add_argument("--limit", type=int, default=mapeval.exact.EXACT_LIMIT)
    ap.add_argument("--plates", type=int, default=260, help="plates of 384 wells (260: 99,840 profiles)")
    ap.add_argument("--features", type=int, default=500)
    ap.add_argument("--n-permutations", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--what", default="permutation_map")
    ap.add_argument("--negatives", choices=["all", "plate"], default="all")
    args = ap.parse_args()
    {"exact": part_exact, "screen": part_screen, "one": run_one}[args.part](args)


if __name__ == "__main__":
    main()
