"""Time and peak memory of the other metrics (mapeval.metrics) at realistic sizes.

Cases (seeded random profiles, 500 features unless said otherwise):

* ``energy_groups``: :func:`mapeval.energy_distance_per_group`, 10,000 perturbations x 4
  replicates against 1,000 control profiles (a genome-wide screen's plate-corrected replicates);
* ``energy_one``: :func:`mapeval.energy_distance` of one perturbation (4 replicates) against the
  1,000 controls, the call a permutation test repeats (median of 20 calls);
* ``recall_rxrx3core``: :func:`mapeval.known_relationship_recall` at RxRx3-core's size, 736 genes
  (guide profiles aggregated per gene), 4 sources of 1,000 pairs each: all similarities kept;
* ``recall_genome``: the same for 15,000 genes x 2 guides (112 million gene pairs: the exact
  percentiles by histogram passes over recomputed blocks);
* ``retrieval``: :func:`mapeval.retrieval_metrics` + :func:`mapeval.summarize_retrieval` for
  5,000 treatments with 300 MoAs (20% of the treatments with two).

Each case runs in a fresh process so that its peak memory (ru_maxrss) is its own; the table
gives the time of the call (data generation excluded), the peak resident memory of the process
and the memory of the input data alone. Usage::

    python benchmarks/bench_metrics.py --threads 2 [--cases energy_groups retrieval] [--out docs/bench_metrics.csv]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CASES = ["energy_groups", "energy_one", "recall_rxrx3core", "recall_genome", "retrieval"]

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
import mapeval

case, threads = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
F = 500
info = {}
if case.startswith("energy"):
    feats = rng.normal(size=(40_000, F)) + rng.normal(scale=0.3, size=(10_000, F)).repeat(4, axis=0)
    groups = np.repeat(np.arange(10_000), 4)
    controls = rng.normal(size=(1_000, F))
elif case.startswith("recall"):
    n_genes, guides = (736, 4) if case == "recall_rxrx3core" else (15_000, 2)
    genes = np.repeat([f"G{i}" for i in range(n_genes)], guides)
    feats = rng.normal(size=(n_genes * guides, F))
    names = np.array([f"G{i}" for i in range(n_genes)])
    rel = pd.DataFrame({"entity1": rng.choice(names, 4_000), "entity2": rng.choice(names, 4_000),
                        "source": np.repeat(["CORUM", "huMAP", "Reactome", "StringDB"], 1_000)})
else:
    n = 5_000
    moa = rng.integers(0, 300, size=n)
    second = rng.integers(0, 300, size=n)
    labels = [[f"m{a}", f"m{b}"] if rng.uniform() < 0.2 and a != b else f"m{a}" for a, b in zip(moa, second)]
    feats = rng.normal(size=(n, F)) + 0.06 * rng.normal(size=(300, F))[moa]  # weak MoA signal
rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
c0 = cpu()
t0 = time.perf_counter()
if case == "energy_groups":
    out = mapeval.energy_distance_per_group(feats, groups, controls, threads=threads)
    info["median_energy"] = float(out["energy_distance"].median())
elif case == "energy_one":
    times = []
    for i in range(20):
        s = time.perf_counter()
        mapeval.energy_distance(feats[4 * i : 4 * i + 4], controls)
        times.append(time.perf_counter() - s)
    t0 = time.perf_counter() - float(np.median(times))
    c0 = cpu() - (cpu() - c0) / 20
elif case.startswith("recall"):
    out = mapeval.known_relationship_recall(feats, genes, rel, threads=threads)
    info["recall"] = out["recall"].round(4).tolist()
    info["expected_recall"] = float(out["expected_recall"].iloc[0])
else:
    per = mapeval.retrieval_metrics(feats, labels, threads=threads)
    summary = mapeval.summarize_retrieval(per)
    info.update({k: float(summary[k]) for k in ("recall_at_1", "recall_at_10", "map_interpolated", "folds_of_enrichment")})
seconds = time.perf_counter() - t0
print(json.dumps({"case": case, "seconds": seconds, "cpu_s": cpu() - c0, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "data_mb": rss_data, **info}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    parser.add_argument("--out", help="optional CSV of the results")
    args = parser.parse_args()
    rows = []
    print(f"load average before: {os.getloadavg()}", flush=True)
    for case in args.cases:
        start = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", CHILD, case, str(args.threads)], capture_output=True, text=True, check=False)
        if res.returncode:
            sys.exit(f"{case} failed:\n{res.stderr[-3000:]}")
        row = json.loads(res.stdout.strip().splitlines()[-1])
        row["process_s"] = round(time.perf_counter() - start, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"load average after: {os.getloadavg()}")
    print("\n| case | wall s | CPU s | peak MB | data MB | result |\n|---|---|---|---|---|---|")
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in ("case", "seconds", "cpu_s", "peak_mb", "data_mb", "process_s")}
        print(f"| {r['case']} | {r['seconds']:.3g} | {r['cpu_s']:.3g} | {r['peak_mb']:,.0f} | {r['data_mb']:,.0f} | {extra} |")
    if args.out:
        import pandas as pd

        pd.DataFrame(rows).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
