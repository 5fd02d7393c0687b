"""Wall and CPU seconds of the nELISA activity and consistency steps under each test of map.test
(docs/benchmarks.md, "The four tests on the real nELISA file"; docs/methods.md §1.9, §6).

    python benchmarks/bench_nelisa_tests.py [--profiles ../shared/data/nelisa/nelisa_profiles.parquet]
        [--null-size 100000] [--n-permutations 10000] [--threads 2]

The nELISA half alone (304 compounds, 418 targets), the dataset's settings (seed 0), each test in
turn in this process; prints one row per analysis and test: seconds and calls.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import pandas as pd

import mapeval
from mapreprod.datasets import nelisa
from mapreprod.settings import TESTS, MapSettings

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", default=str(ROOT.parent / "shared/data/nelisa/nelisa_profiles.parquet"))
    parser.add_argument("--null-size", type=int, default=100_000)
    parser.add_argument("--n-permutations", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    raw = pd.read_parquet(args.profiles)
    unified = nelisa.unify({"nelisa": nelisa.preprocess_profiles(raw, "nelisa", operations=[], na_cutoff=0)})
    profiles = unified["nelisa"]
    base = MapSettings(null_size=args.null_size, seed=0, n_permutations=args.n_permutations,
                       threads=args.threads)
    rows = []
    for test in TESTS:
        settings = base.replace(test=test)
        for analysis, run in (("activity", nelisa.activity_map), ("consistency", nelisa.consistency_map)):
            wall, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", mapeval.ExactNullWarning)
                table = run(profiles, settings)
            rows.append({
                "analysis": analysis, "test": test, "made_by": table["test"].iloc[0],
                "wall_s": round(time.perf_counter() - wall, 1), "cpu_s": round(time.process_time() - cpu, 1),
                "retrieved": int(table["p < 0.05"].sum()), "scored": len(table),
            })
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
