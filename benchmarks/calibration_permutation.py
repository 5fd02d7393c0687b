"""Calibration and power of the mAP nulls on the Fig 2 simulation design (issue 17 acceptance).

For every replicate/control design of Fig 2 (plates 2/3/4 x their three control counts) and every
feature count (100..5000), datasets of ``--n-perts`` perturbations are drawn with
``mapreprod.simulations.simulate.generate_profiles`` (seeds ``--seed0`` + i) and every
perturbation's replicates are tested against all controls (the reference-index design of
``simulate.map_pvalues``) by

* the shared null (copairs; fast sampler, null size ``--null-size``),
* the independent null (``map_null="independent"``, same null size),
* the exact null (``null_sampler="exact"``, shared),
* the label-permutation test (``mapeval.permutation_map``, B = ``--n-permutations`` or every
  relabeling when there are no more), with mAP ties counted as >= (``permutation``) and broken
  by the mean positive-pair similarity (``permutation_tb``, ``tie_break="similarity"``),
* the energy-distance permutation test (``mapeval.energy_distance_test``, same relabelings).

At 0% perturbed features every call is a false positive (``--seeds`` datasets per condition);
at 4% (``--recall-seeds``) and at the other Fig 2 steps (``--step-seeds``) the share called is
the recall. Writes one CSV row per (condition, dataset) with the counts, and prints the tables
of docs/benchmarks.md ("Exact null and label-permutation test").

    python benchmarks/calibration_permutation.py --workers 2 --out /tmp/calibration.csv
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MAPEVAL_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

import mapeval
from mapreprod.simulations.simulate import (
    CONTROL_LABEL,
    PAPER_N_FEATS,
    PAPER_PLATES_CONTROLS,
    PERCENT_STEPS,
    generate_profiles,
)

METHODS = ("shared", "independent", "exact", "permutation", "permutation_tb", "energy")
ALPHA = 0.05


def run_task(task: tuple) -> dict:
    n_feats, plates, cpp, percent, seed, n_perts, null_size, n_perm = task
    meta, feats = generate_profiles(n_feats, plates, cpp, percent, n_perts, seed=seed)
    meta["Metadata_Control_Index"] = np.where(meta["Metadata_Perturbation"] == CONTROL_LABEL,
                                              np.arange(len(meta)), -1)
    design = ["Metadata_Perturbation", "Metadata_Control_Index"]
    args = (design, [], [], design)
    pert = "Metadata_Perturbation"
    p = {}
    ap = mapeval.average_precision(meta, feats, *args, threads=1)
    for name, kw in (("shared", {}), ("independent", {"map_null": "independent"}),
                     ("exact", {"null_sampler": "exact"})):
        m = mapeval.mean_average_precision(ap, pert, null_size, seed=seed, **kw)
        p[name] = m["p_value"].to_numpy()
    perm = mapeval.permutation_map(meta, feats, *args, pert, n_permutations=n_perm, seed=seed, threads=1)
    p["permutation"] = perm["p_value"].to_numpy()
    tb = mapeval.permutation_map(meta, feats, *args, pert, n_permutations=n_perm, seed=seed, threads=1,
                                 tie_break="similarity")
    p["permutation_tb"] = tb["p_value"].to_numpy()
    energy = mapeval.energy_distance_test(meta, feats, *args, pert, n_permutations=n_perm, seed=seed, threads=1)
    p["energy"] = energy["p_value"].to_numpy()
    row = {"n_feats": n_feats, "plates": plates, "controls_per_plate": cpp, "controls": plates * cpp,
           "percent": percent, "seed": seed, "n": len(perm),
           "n_relabelings": float(perm["n_relabelings"].iloc[0]),
           "enumerated": bool(perm["p_value_exact"].iloc[0]), "n_permutations": n_perm}
    for name in METHODS:
        row[name] = int((p[name] < ALPHA).sum())
    # paired counts for the recall comparison: called by one test and not the other
    row["perm_only"] = int(((p["permutation"] < ALPHA) & (p["shared"] >= ALPHA)).sum())
    row["shared_only"] = int(((p["shared"] < ALPHA) & (p["permutation"] >= ALPHA)).sum())
    row["tb_only"] = int(((p["permutation_tb"] < ALPHA) & (p["shared"] >= ALPHA)).sum())
    row["shared_not_tb"] = int(((p["shared"] < ALPHA) & (p["permutation_tb"] >= ALPHA)).sum())
    return row


def tasks(args) -> list[tuple]:
    out = []
    designs = [(pl, c) for pl, cs in PAPER_PLATES_CONTROLS.items() for c in cs]
    steps = [(0, args.seeds), (4, args.recall_seeds)]
    steps += [(s, args.step_seeds) for s in PERCENT_STEPS["bin_exp"] if s != 4]
    for percent, n_seeds in steps:
        for nf in args.n_feats:
            for pl, c in designs:
                for i in range(n_seeds):
                    out.append((nf, pl, c, percent, args.seed0 + i, args.n_perts, args.null_size,
                                args.n_permutations))
    return out


def binomial_interval(n: int, p: float = ALPHA) -> tuple[float, float]:
    """Central 95% interval of the share of n Bernoulli(p) trials."""
    return stats.binom.ppf(0.025, n, p) / n, stats.binom.ppf(0.975, n, p) / n


def fpr_table(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    g = df[df["percent"] == 0].groupby(by)
    out = g[["n", *METHODS]].sum()
    for m in METHODS:
        out[m] = out[m] / out["n"]
    lo_hi = [binomial_interval(int(n)) for n in out["n"]]
    out["interval"] = [f"[{lo:.3f}, {hi:.3f}]" for lo, hi in lo_hi]
    out["hi"] = [hi for _, hi in lo_hi]
    out["lo"] = [lo for lo, _ in lo_hi]
    # the permutation test's own ceiling: floor(alpha * count) / count when enumerated
    rel = g["n_relabelings"].first()
    enum = g["enumerated"].first()
    out["relabelings"] = rel.astype(int)
    # the largest size of "p < 0.05" the test can have: (ceil(0.05 m) - 1) / m with m = the
    # number of relabelings when all are enumerated, B + 1 when B are sampled
    m = np.where(enum, rel, df["n_permutations"].iloc[0] + 1) if len(df) else rel
    out["attainable"] = (np.ceil(ALPHA * m) - 1) / m
    # dataset-clustered SE of the permutation test's rate (perturbations of a dataset share controls)
    per_ds = df[df["percent"] == 0].assign(rate=lambda d: d["permutation"] / d["n"])
    out["perm_cluster_se"] = per_ds.groupby(by)["rate"].agg(lambda r: r.std(ddof=1) / np.sqrt(len(r)))
    out = out.drop(columns=["hi", "lo"]).assign(hi=[h for h in out["hi"]], lo=[lo for lo in out["lo"]])
    return out


def recall_table(df: pd.DataFrame, percent: int, by: list[str]) -> pd.DataFrame:
    sub = df[df["percent"] == percent]
    g = sub.groupby(by)
    out = g[["n", *METHODS, "perm_only", "shared_only", "tb_only", "shared_not_tb"]].sum()
    for m in METHODS:
        out[m] = out[m] / out["n"]
    out["gain"] = out["permutation"] - out["shared"]
    # paired (McNemar) standard error of the difference of the two recalls
    out["gain_se"] = np.sqrt(out["perm_only"] + out["shared_only"]) / out["n"]
    out["gain_tb"] = out["permutation_tb"] - out["shared"]
    out["gain_tb_se"] = np.sqrt(out["tb_only"] + out["shared_not_tb"]) / out["n"]
    return out.drop(columns=["perm_only", "shared_only", "tb_only", "shared_not_tb"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=20, help="datasets per condition at 0%%")
    ap.add_argument("--recall-seeds", type=int, default=10, help="datasets per condition at 4%%")
    ap.add_argument("--step-seeds", type=int, default=2, help="datasets per condition at the other steps")
    ap.add_argument("--seed0", type=int, default=1000)
    ap.add_argument("--n-perts", type=int, default=100)
    ap.add_argument("--null-size", type=int, default=1000)
    ap.add_argument("--n-permutations", type=int, default=1000)
    ap.add_argument("--n-feats", type=int, nargs="+", default=PAPER_N_FEATS)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("calibration_permutation.csv"))
    ap.add_argument("--tables-only", action="store_true", help="summarise an existing --out file")
    args = ap.parse_args()
    if not args.tables_only:
        todo = tasks(args)
        t0 = time.time()
        rows = []
        with ProcessPoolExecutor(args.workers) as pool:
            for i, row in enumerate(pool.map(run_task, todo, chunksize=4)):
                rows.append(row)
                if i % 100 == 0:
                    print(f"{i}/{len(todo)} tasks, {time.time() - t0:.0f} s", flush=True)
        pd.DataFrame(rows).to_csv(args.out, index=False)
        print(f"{len(todo)} datasets in {time.time() - t0:.0f} s wall ({os.getloadavg()[0]:.1f} load at end)")
    df = pd.read_csv(args.out)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    design = ["plates", "controls"]
    print("\nFalse-positive rate at p < 0.05 (0% perturbed), per design (all feature counts):")
    t = fpr_table(df, design)
    print(t.round(4).to_string())
    print("\nper condition (design x features), permutation test outside its interval or above it:")
    c = fpr_table(df, [*design, "n_feats"])
    bad = c[(c["permutation"] > c["hi"]) | ((c["permutation"] < c["lo"]) & (c["attainable"] >= c["lo"]))]
    print(bad.round(4).to_string() if len(bad) else "none")
    print("\nall conditions:")
    print(c.round(4).to_string())
    for percent in sorted(set(df["percent"]) - {0}):
        print(f"\nRecall at {percent}% perturbed features (per design x features):")
        r = recall_table(df, percent, [*design, "n_feats"])
        print(r.round(3).to_string())
        for col in ("gain", "gain_tb"):
            worse = r[r[col] < -2 * r[col + "_se"]]
            print(f"{col}: permutation below shared by more than 2 paired SE:",
                  "none" if worse.empty else worse.index.tolist())


if __name__ == "__main__":
    main()
