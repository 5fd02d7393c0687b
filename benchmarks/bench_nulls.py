"""What the copairs null sampler costs against the fast one, at the paper's null sizes.

``null_sampler="copairs"`` reproduces copairs 0.5.5's null samples bit for bit (same seeds, so
the authors' p-values item for item); each sample is a full shuffle of the N ranked pairs, so a
configuration (k, N) costs O(N) per sample. ``"fast"`` draws only the k positive ranks, O(k) per
sample, with the same distribution. The cost of either depends only on the configurations
(k, N) of the scored profiles and the null size, so each design below is the real layout's
configurations:

* ``cellhealth_activity``: Fig 3B/3C for one cell line (the Cell Health layout: 100 guides x 6
  wells against the 192 cutting-control wells of the cell line's 3 plates; k = 5, N = 197),
  null 1,000,000: ``mean_average_precision`` then ``ap_p_values`` (which draws the same nulls again);
* ``cellhealth_feature_groups``: the 138 mAP calls of Fig 3D and S6C (5 channels and 18
  compartment x feature-type prefixes, dropped or exclusive, 3 cell lines) in one process, as the
  workflow's feature-group rule makes them, on the activity design; the null of (5, 197) is drawn
  once and then read from mapeval's in-process null cache;
* ``cellhealth_plate_well``: one of the 54 Fig 3A calls (2 plates: 100 guides x 4 wells,
  128 controls; k = 1, N = 129), null 1,000,000;
* ``nelisa_activity``, ``nelisa_consistency``: the real nELISA file (``../shared/data`` or
  ``resources/nelisa``), preprocessed and paired as the workflow does, null 100,000;
* ``cpg0004_activity``: 1,327 compounds x 5 replicate wells against the 24 DMSO wells of the same
  plate (k = 4, N = 28), null 50,000;
* ``cpg0004_consistency``: multilabel consistency of 1,327 compounds drawn (seed 0) from the Drug
  Repurposing Hub's annotated compounds with their real target lists, null 50,000.

Each (design, sampler) runs in a fresh process (peak memory is its own); the time is the mAP
step only (the AP frame is built first and not timed). Usage::

    python benchmarks/bench_nulls.py --out docs/bench_nulls.csv
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAPEVAL_SHARED", REPO.parent / "shared")) / "data"
NULL_SIZE = {"cellhealth": 1_000_000, "nelisa": 100_000, "cpg0004": 50_000}
DESIGNS = [
    "cellhealth_activity",
    "cellhealth_feature_groups",
    "cellhealth_plate_well",
    "nelisa_activity",
    "nelisa_consistency",
    "cpg0004_activity",
    "cpg0004_consistency",
]


def _fixed_config_frame(n_groups: int, reps: int, k: int, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "group": np.repeat([f"g{i}" for i in range(n_groups)], reps),
            "average_precision": rng.uniform(size=n_groups * reps),
            "n_pos_pairs": k,
            "n_total_pairs": n,
        }
    )


def _nelisa_file() -> Path:
    for path in (SHARED / "nelisa" / "nelisa_profiles.parquet", REPO / "resources" / "nelisa" / "nelisa_profiles.parquet"):
        if path.is_file():
            return path
    raise FileNotFoundError("nelisa_profiles.parquet not found under ../shared/data/nelisa or resources/nelisa")


def _nelisa(design: str) -> tuple[pd.DataFrame, str]:
    import mapeval
    from scipy.stats import median_abs_deviation

    pert, target_list, target = "Metadata_broad_sample", "Metadata_target_list", "Metadata_target"
    raw = pd.read_parquet(_nelisa_file())
    features = [c for c in raw.columns if not c.startswith("Metadata_")]
    df = raw.copy()
    for rows in df.groupby("Metadata_nelisa_plate_id").groups.values():
        x = df.loc[rows, features]
        med = x.median()
        mad = pd.Series(median_abs_deviation(x, nan_policy="omit", scale=1 / 1.4826), index=med.index)
        df.loc[rows, features] = (x - med) / (mad + 1e-18)
    df[pert] = df[pert].astype(object).where(df[pert].notna(), "NA")
    if design == "nelisa_activity":
        df = mapeval.assign_reference_index(df, "Metadata_control_type == 'negcon'", reference_col="ref")
        args = ([pert, "ref"], [], [], [pert, "ref"])
        return mapeval.average_precision(df.drop(columns=features), df[features].to_numpy(), *args), pert
    df = df[df[target_list].notna() & (df[pert] != "NA")]
    agg = df.groupby([pert, target_list])[features].median().reset_index()
    agg[target] = agg[target_list].astype(str).str.split("|")
    args = ([target], [pert], [], [target, pert])
    meta = agg[[pert, target_list, target]]
    return mapeval.multilabel.average_precision(meta, agg[features].to_numpy(), *args, target), target


def _cpg0004_consistency(n_compounds: int = 1327, seed: int = 0) -> tuple[pd.DataFrame, str]:
    import mapeval

    drugs = pd.read_csv(SHARED / "cpg0004" / "repurposing_drugs_20200324.txt", sep="\t", skiprows=9)
    drugs = drugs[drugs["target"].notna()].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    pick = drugs.iloc[np.sort(rng.choice(len(drugs), size=n_compounds, replace=False))]
    meta = pd.DataFrame({"cmpd": pick["pert_iname"].to_numpy(), "target": pick["target"].str.split("|").to_numpy()})
    feats = rng.normal(size=(len(meta), 50))
    args = (["target"], ["cmpd"], [], ["target", "cmpd"])
    return mapeval.multilabel.average_precision(meta, feats, *args, "target"), "target"


def build(design: str) -> tuple[pd.DataFrame, str, int]:
    """The AP frame of a design, its mAP grouping column and null size."""
    if design in ("cellhealth_activity", "cellhealth_feature_groups"):
        return _fixed_config_frame(100, 6, 5, 197), "group", NULL_SIZE["cellhealth"]
    if design == "cellhealth_plate_well":
        return _fixed_config_frame(100, 4, 1, 129), "group", NULL_SIZE["cellhealth"]
    if design.startswith("nelisa"):
        ap, key = _nelisa(design)
        return ap, key, NULL_SIZE["nelisa"]
    if design == "cpg0004_activity":
        return _fixed_config_frame(1327, 5, 4, 28), "group", NULL_SIZE["cpg0004"]
    if design == "cpg0004_consistency":
        ap, key = _cpg0004_consistency()
        return ap, key, NULL_SIZE["cpg0004"]
    raise ValueError(f"unknown design {design!r}; choose from {DESIGNS}")


def run_one(design: str, sampler: str, null_scale: float = 1.0) -> dict:
    import mapeval

    warnings.simplefilter("ignore", mapeval.TiedRanksWarning)
    ap, key, null_size = build(design)
    null_size = max(1, int(null_size * null_scale))
    scored = ap[ap["average_precision"].notna() & (ap["n_pos_pairs"] > 0)]
    configs = np.unique(scored[["n_pos_pairs", "n_total_pairs"]].to_numpy(), axis=0)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    cpu = time.process_time()
    calls = 138 if design == "cellhealth_feature_groups" else 1
    for _ in range(calls):
        result = mapeval.mean_average_precision(ap, key, null_size, 0.05, 0, null_sampler=sampler)
    if design == "cellhealth_activity":  # Fig 3C: the per-AP p-values of the same call
        mapeval.ap_p_values(scored, null_size, seed=0, null_sampler=sampler)
    return {
        "design": design,
        "sampler": sampler,
        "null_size": null_size,
        "calls": calls,
        "groups": len(result),
        "profiles": len(scored),
        "configurations": len(configs),
        "sum_N": int(configs[:, 1].sum()),
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_mb_before_map": rss_before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--designs", nargs="+", default=DESIGNS, choices=DESIGNS)
    parser.add_argument("--samplers", nargs="+", default=["fast", "copairs"], choices=["fast", "copairs"])
    parser.add_argument("--out", type=Path, help="csv file for the table")
    parser.add_argument("--null-scale", type=float, default=1.0,
                        help="multiply the paper's null sizes (e.g. 0.01 for a quick check)")
    parser.add_argument("--one", nargs=2, metavar=("DESIGN", "SAMPLER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one, null_scale=args.null_scale)))
        return
    rows = []
    for design in args.designs:
        for sampler in args.samplers:
            proc = subprocess.run(
                [sys.executable, __file__, "--one", design, sampler, "--null-scale", str(args.null_scale)],
                capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                print(f"{design} {sampler}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                continue
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            print(json.dumps(row), flush=True)
            rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return
    wide = table.pivot(index="design", columns="sampler", values="seconds")
    print(table.to_string(index=False))
    if {"fast", "copairs"} <= set(wide.columns):
        print((wide["copairs"] / wide["fast"]).rename("copairs / fast").to_string())
    if args.out:
        table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
