"""The Mitocheck single-cell step at the paper's shape: what its per-AP nulls cost.

Rule ``mitocheck_ap`` scores every labelled cell against all sampled control cells, for two
groupings (phenotypic class, gene) and two feature sets (CellProfiler, DeepProfiler), and gives
each AP the p-value of its (k positives, N pairs) configuration with null size 500,000 (the
authors' HEAD, ``config/paper.yaml``). Class grouping has 15 classes of 32-420 cells, so
k = 31-419 positives among N = k + 3,900 pairs: mostly "dense" configurations (k * k >= N).

Data: the stand-in generator (:mod:`mapreprod.datasets.mitocheck.standin`) at the paper's shape,
2,456 labelled cells in the 15 classes (the authors' sizes where published), 59 genes, 3,900
control cells (the 0.5% sample of ~780,000), 165 CellProfiler and 1,280 DeepProfiler features,
preprocessed as the rule does (QC filter, variance threshold on the CellProfiler features).
Each (grouping, sampler) runs the rule's engine calls (``average_precision`` then
``ap_p_values`` for both feature sets, as ``mapreprod.datasets.mitocheck.activity.grouping_ap``)
in a fresh process; their time is reported in CPU seconds (all threads) and wall seconds, with
the configurations they needed.

Usage::

    python benchmarks/bench_mitocheck_nulls.py --null-size 500000 --threads 2
    python benchmarks/bench_mitocheck_nulls.py --groupings class --samplers fast --null-size 50000

To time another engine (e.g. a copy of an older ``mapeval``), put it first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd


def make_cells(seed: int = 0):
    """The scored table (labelled cells then controls), as rule mitocheck_ap reads it."""
    from mapreprod.datasets.mitocheck import preprocess, standin

    design = standin.SyntheticDesign(seed=seed, n_cells=2456, n_genes=59, n_control_rows=3900)
    training, controls, _ = standin.generate(design)
    return preprocess.preprocess_cells(training, controls)


def grouping_ap(df, grouping: str, sampler: str, null_size: int, threads: int):
    """The rule's engine calls for one grouping, both feature sets (what
    ``mapreprod.datasets.mitocheck.activity.grouping_ap`` does, called here on the engine
    directly so that an older engine on PYTHONPATH runs the same code): AP of every cell against
    all control cells (control-index trick, cosine), then the per-AP p-values (seed 0)."""
    import mapeval
    from mapreprod.datasets.mitocheck import inputs

    column = {"class": inputs.CLASS, "gene": inputs.GENE}[grouping]
    df = mapeval.assign_reference_index(df, (df[inputs.CLASS] == inputs.CONTROL_CLASS).to_numpy(), "ctrl_index")
    labelled = (df[inputs.CLASS] != inputs.CONTROL_CLASS).to_numpy()
    sameby = [column, "ctrl_index"]
    parts = []
    for feature_set in ("cp", "dp"):
        feats = df[inputs.feature_columns(df, feature_set)].to_numpy(dtype=np.float64)
        ap = mapeval.average_precision(df[sameby], feats, sameby, [], [], sameby, threads=threads)
        # the null rows are drawn in threads since 2026-12-06 (older engines: no such keyword)
        extra = {"threads": threads} if "threads" in inspect.signature(mapeval.ap_p_values).parameters else {}
        p = mapeval.ap_p_values(ap, null_size=null_size, seed=0, null_sampler=sampler, **extra)
        out = ap.loc[labelled, ["n_pos_pairs", "n_total_pairs", "average_precision"]].reset_index(drop=True)
        out["p_value"], out["Features"] = p[labelled], feature_set
        parts.append(out)
    return pd.concat(parts, ignore_index=True)


def run_one(grouping: str, sampler: str, null_size: int, threads: int) -> dict:
    import mapeval

    warnings.filterwarnings("ignore", category=mapeval.TiedRanksWarning)
    df = make_cells()
    t0, c0 = time.perf_counter(), time.process_time()
    out = grouping_ap(df, grouping, sampler, null_size, threads)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    scored = out["n_pos_pairs"] > 0
    configs = np.unique(out.loc[scored, ["n_pos_pairs", "n_total_pairs"]].to_numpy(), axis=0)
    k, n = configs[:, 0], configs[:, 1]
    cp = out["Features"] == "cp"
    return {
        "grouping": grouping, "sampler": sampler, "null_size": null_size, "threads": threads,
        "engine": os.path.dirname(mapeval.__file__),
        "cells": int(cp.sum()), "configurations": len(configs),
        "dense_configurations": int((k * k >= n).sum()), "k_range": [int(k.min()), int(k.max())],
        "n_range": [int(n.min()), int(n.max())],
        "cpu_seconds": round(cpu, 1), "wall_seconds": round(wall, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "mean_ap_cp": round(float(out.loc[cp, "average_precision"].mean()), 4),
        "retrieved_cp": round(float((out.loc[cp, "p_value"] < 0.05).mean()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groupings", nargs="+", default=["class", "gene"], choices=["class", "gene"])
    parser.add_argument("--samplers", nargs="+", default=["fast", "copairs"])
    parser.add_argument("--null-size", type=int, default=500_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--one", nargs=2, metavar=("GROUPING", "SAMPLER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one, args.null_size, args.threads)))
        return
    for grouping in args.groupings:
        for sampler in args.samplers:
            cmd = [sys.executable, __file__, "--one", grouping, sampler,
                   "--null-size", str(args.null_size), "--threads", str(args.threads)]
            load = os.getloadavg()[0]
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if res.returncode != 0:
                print(f"{grouping} {sampler} failed:\n{res.stderr[-2000:]}", file=sys.stderr)
                continue
            row = json.loads(res.stdout.strip().splitlines()[-1])
            row["load_before"], row["load_after"] = round(load, 1), round(os.getloadavg()[0], 1)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
