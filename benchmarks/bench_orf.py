"""Speed and memory of the whole cpg0016[orf] pipeline (Fig S7B + S7D) at the real data's size.

1. Generates the stand-in at full scale on the real JUMP metadata (all 45 ORF plate maps on
   their 237 real plates, 384 wells each: about 91,000 wells x 722 float32 features, 13,500
   ORFs, 800 CORUM-like complexes) and writes it in the real files' formats. Not timed.
2. In a fresh process (so peak memory is the pipeline's own), runs what the workflow's
   cpg0016orf_activity and cpg0016orf_consistency jobs run, with the authors' settings (null
   20,000, seed 12527, FDR 0.1 / 0.05), timing each step: load (parquet + annotation tables),
   filter (annotation join and the S7B well filters), activity AP, activity mAP, consensus
   (reload, active wells, median per gene), consistency AP + mAP.

    python benchmarks/bench_orf.py                        # real JUMP metadata from ../shared
    python benchmarks/bench_orf.py --threads 2 --features 722 --out /tmp/orf_bench.json

Peak memory is the process's maximum resident set (``resource.getrusage``), which includes the
Python interpreter and libraries (about 200 MB). CPU seconds (all threads) are reported next to
wall seconds: on a shared machine the wall time depends on the load, the CPU time barely.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAPEVAL_SHARED", REPO.parent / "shared")) / "data" / "cpg0016orf"


def full_scale_design(n_features: int):
    from mapreprod.datasets.cpg0016orf.standin import SyntheticDesign

    return SyntheticDesign(
        plate_maps=45, replicates=5, orfs_per_plate_map=300, negcon_wells_per_type=4,
        poscon_wells=8, empty_wells=56, bad_construct_wells=1, unannotated_wells=3,
        n_features=n_features, consistent_complexes=60, inconsistent_complexes=740,
        genes_per_complex=4, shared_genes=300, two_orf_genes=200, active_fraction=0.5,
        effect=0.45, effect_spread=0.6, shared_weight=0.5, plate_effect=0.2,
        low_infection_fraction=0.03, nan_feature_wells=0,
    )


def generate(folder: Path, n_features: int, seed: int) -> dict:
    from mapreprod.datasets.cpg0016orf import standin

    design = full_scale_design(n_features)
    if (SHARED / "orf.csv.gz").is_file():
        meta = standin.load_jump_metadata(
            SHARED / "orf.csv.gz", SHARED / "plate.csv.gz",
            SHARED / "experiment-metadata_production.tsv", SHARED / "perturbation_control.csv",
        )
    else:
        meta = standin.generated_jump_metadata(design, seed)
    t0 = time.perf_counter()
    data = standin.generate(design, meta, seed)
    standin.write_standin(data, {k: folder / name for k, name in standin.FILES.items()})
    return {
        "wells": len(data.profiles),
        "features": n_features,
        "plates": int(data.profiles["Metadata_Plate"].nunique()),
        "orfs": len(data.truth),
        "real_metadata": meta.real,
        "generate_s": round(time.perf_counter() - t0, 1),
        "parquet_mb": round((folder / standin.FILES["profiles"]).stat().st_size / 1e6, 1),
    }


def run_pipeline(folder: Path, threads: int) -> dict:
    """The two workflow jobs' work, step by step (this runs in its own process)."""
    from mapreprod.datasets.cpg0016orf import (
        activity,
        consistency,
        inputs,
        preprocess,
        standin,
    )

    f = {k: folder / name for k, name in standin.FILES.items()}
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    counts: dict[str, float] = {}

    def step(name):
        times[name] = round(time.perf_counter() - step.t, 2)
        cpu[name] = round(time.process_time() - step.c, 2)
        step.t, step.c = time.perf_counter(), time.process_time()

    step.t, step.c = time.perf_counter(), time.process_time()
    t_all, c_all = step.t, step.c
    profiles = inputs.read_profiles(f["profiles"])
    orf_metadata = inputs.read_orf_metadata(f["orf_metadata"])
    tables = (inputs.read_compounds(f["compounds"]), inputs.read_experiment_metadata(f["experiment"]),
              inputs.read_low_infection_reagents(f["reagents"]))
    step("load")
    wells, _ = preprocess.filter_profiles(profiles, orf_metadata, *tables)
    del profiles
    step("filter")
    # the authors' settings (null 20,000, seed 12527; BH at 0.1, then 0.05 for consistency)
    settings = activity.AUTHORS_SETTINGS.replace(threads=threads)
    ap = settings.average_precision(
        activity.add_negcon(wells.meta), wells.features, **activity.ACTIVITY_PAIRS
    )
    step("activity AP")
    ap = ap[~(ap["Metadata_pert_type"] == "negcon")].reset_index(drop=True)
    scores = settings.mean_average_precision(ap, ["Metadata_JCP2022"])
    step("activity mAP")
    counts["wells_after_filters"] = len(wells)
    counts["orfs_scored"] = len(scores)
    counts["retrieved_q0.1"] = round(float(scores["below_corrected_p"].mean()), 3)
    del wells, ap
    profiles = inputs.read_profiles(f["profiles"])  # the consistency job reads the table again
    sel = consistency.select_active_wells(
        profiles, consistency.active_perturbations(scores),
        consistency.complex_annotations(orf_metadata),
    )
    del profiles
    cons = consistency.consensus(sel)
    step("consensus")
    _, cmap = consistency.phenotypic_consistency(
        cons, consistency.AUTHORS_SETTINGS.replace(threads=threads)
    )
    step("consistency AP + mAP")
    counts["consensus_profiles"] = len(cons)
    counts["complexes_scored"] = len(cmap)
    counts["consistent_q0.05"] = round(float(cmap["below_corrected_p"].mean()), 3)
    times["total"] = round(time.perf_counter() - t_all, 2)
    cpu["total"] = round(time.process_time() - c_all, 2)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall_s": times, "cpu_s": cpu, "counts": counts, "peak_rss_mb": round(peak_mb)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", type=int, default=722)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=12527)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--run", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run is not None:  # child process: the pipeline only
        print(json.dumps(run_pipeline(args.run, args.threads)))
        return
    with tempfile.TemporaryDirectory(prefix="bench_orf_") as tmp:
        folder = Path(tmp)
        data = generate(folder, args.features, args.seed)
        print(f"generated: {data}", file=sys.stderr)
        load = os.getloadavg()
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
                   OPENBLAS_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
        t0 = time.perf_counter()
        child = subprocess.run(
            [sys.executable, __file__, "--run", str(folder), "--threads", str(args.threads)],
            capture_output=True, text=True, env=env, check=False,
        )
        if child.returncode != 0:
            sys.exit(f"the pipeline failed:\n{child.stderr[-5000:]}")
        wall = time.perf_counter() - t0
        result = json.loads(child.stdout.strip().splitlines()[-1])
        result.update({"data": data, "wall_s_with_startup": round(wall, 1),
                       "load_before": [round(x, 2) for x in load],
                       "load_after": [round(x, 2) for x in os.getloadavg()],
                       "threads": args.threads, "cpus": os.cpu_count()})
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
