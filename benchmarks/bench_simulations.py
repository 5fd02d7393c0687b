"""Speed of the simulation benchmark (Fig 2, S2-S5, figS_null, metrics_simulations).

Two measurements:

* ``condition``: the cost of each method on one condition, the largest of the paper's grid
  (5,000 features, 4 replicates, 36 controls, 64% perturbed, 100 perturbations, 1,000
  permutations); with ``--authors`` also the authors' per-perturbation functions (PCA +
  EmpiricalCovariance / pdist loops, scikit-learn KMeans) on a few perturbations, extrapolated to
  100.
* ``full``: every figure at the configured scale (config/config.yaml: 100 perturbations per
  condition, ``ours_n_perts`` for figS_null and metrics_simulations; ``--n-perts`` and
  ``--ours-n-perts`` override them), one task per (figure, n_feats) like the workflow's jobs, on
  ``--workers`` processes.

Usage::

    python benchmarks/bench_simulations.py condition --authors
    python benchmarks/bench_simulations.py full --workers 2 [--n-perts 100] [--ours-n-perts 100]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import yaml
from threadpoolctl import threadpool_limits

from mapreprod import settings as map_settings
from mapreprod.simulations import baselines, simulate

CONFIG = os.path.join(os.path.dirname(__file__), "..", "config", "config.yaml")


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bench_condition(n_feats=5000, plates=4, cpp=9, percent=64, n_perts=100, n_perm=1000,
                    authors=False, n_authors=3):
    meta, feats = simulate.generate_profiles(n_feats, plates, cpp, percent, n_perts)
    t_gen, _ = _timed(lambda: simulate.generate_profiles(n_feats, plates, cpp, percent, n_perts))
    _, stacks, _ = simulate.perturbation_groups(meta)

    def grams():
        c = feats - feats.mean(0)
        g = c @ c.T
        return baselines.center_grams(g[stacks[:, :, None], stacks[:, None, :]])

    t_gram, gc = _timed(grams)
    baselines.clear_permutation_cache()
    settings = map_settings.MapSettings(null_size=1000, seed=42, null_sampler="copairs")
    cond = simulate.Condition(meta, feats, *simulate.perturbation_groups(meta)[:2], plates,
                              settings, simulate.SimulationOptions(n_permutations=n_perm))
    rows = {
        "generate profiles": t_gen,
        "Gram matrix (shared by mp-value, MMD, k-means)": t_gram,
        "mAP p-value (mapeval, cosine, copairs null 1000)": _timed(
            lambda: simulate.map_pvalues(meta, feats, settings))[0],
        "mAP p-value, exact null": _timed(
            lambda: simulate.map_pvalues(meta, feats, settings, ["exact"]))[0],
        f"mAP p-value, label permutation ({n_perm} relabelings)": _timed(
            lambda: simulate.map_pvalues(meta, feats, settings, ["permutation"], n_perm))[0],
        f"energy distance ({n_perm} relabelings)": _timed(
            lambda: simulate.BASELINE_TESTS["energy distance"](cond))[0],
        "mp-value (1000 permutations)": _timed(
            lambda: baselines.mp_value_from_gram(gc, plates, n_perm))[0],
        "MMD (1000 permutations)": _timed(lambda: baselines.mmd_from_gram(gc, plates, n_perm))[0],
        "k-means (10 restarts)": _timed(lambda: baselines.kmeans_from_gram(gc, plates, n_feats))[0],
    }
    print(f"\nOne condition: {n_feats} features, {plates} replicates, {plates * cpp} controls, "
          f"{percent}% perturbed, {n_perts} perturbations")
    print("| step | seconds |\n|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {v:.3f} |")
    print(f"| total | {sum(rows.values()):.3f} |")
    if authors:
        import sys

        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
        from test_baselines import ref_kmeans, ref_mmd, ref_mp_value

        x_rows, y_rows = stacks[:n_authors, :plates], stacks[0, plates:]
        ref = {}
        for name, fn in (("mp-value", ref_mp_value), ("MMD", ref_mmd), ("k-means", ref_kmeans)):
            t, _ = _timed(lambda fn=fn: [fn(feats[x], feats[y_rows]) for x in x_rows])
            ref[name] = t / n_authors * n_perts
        print(f"\nAuthors' per-perturbation functions, {n_authors} perturbations timed, "
              f"extrapolated to {n_perts}:")
        print("| method | seconds per condition |\n|---|---|")
        for k, v in ref.items():
            print(f"| {k} | {v:.1f} |")


def _job(args):
    figure, n_feats, config, overrides = args
    section = {**config["simulations"], **overrides}
    cond = simulate.figure_conditions(figure, section, n_feats)
    settings = map_settings.from_config(config, "simulations").replace(threads=1)
    options = simulate.figure_options(figure, section)
    cpu = time.process_time()
    t, _ = _timed(lambda: simulate.run_grid(figure, cond, settings, options))
    return figure, n_feats, len(cond), t, time.process_time() - cpu


def bench_full(workers=2, n_perts=None, ours_n_perts=None, figures=None):
    with open(CONFIG) as fh:
        config = yaml.safe_load(fh)
    figures = figures or list(simulate.FIGURE_SPECS)
    n_feats = sorted(config["simulations"]["n_feats"], reverse=True)
    overrides = {k: v for k, v in (("n_perts", n_perts), ("ours_n_perts", ours_n_perts))
                 if v is not None}
    jobs = [(f, nf, config, overrides) for f in figures for nf in n_feats]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    # one BLAS thread per worker process, as the workflow's one-thread jobs
    with ProcessPoolExecutor(workers, initializer=threadpool_limits, initargs=(1,)) as pool:
        results = list(pool.map(_job, jobs))
    wall = time.perf_counter() - start
    section = {**config["simulations"], **overrides}
    print(f"\nAll figures, {workers} workers (load average before: {load:.1f})")
    print("| figure | perturbations | conditions | job seconds (wall) | CPU seconds |\n"
          "|---|---|---|---|---|")
    for f in figures:
        rs = [r for r in results if r[0] == f]
        print(f"| {f} | {simulate.figure_options(f, section).n_perts} | "
              f"{sum(r[2] for r in rs)} | {sum(r[3] for r in rs):.0f} | "
              f"{sum(r[4] for r in rs):.0f} |")
    cpu = sum(r[4] for r in results)
    print(f"| all | | {sum(r[2] for r in results)} | {sum(r[3] for r in results):.0f} | {cpu:.0f} |")
    print(f"\nWall time {wall:.0f} s; CPU {cpu:.0f} s = {cpu / workers:.0f} s on {workers} idle "
          "cores")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("condition")
    c.add_argument("--n-feats", type=int, default=5000)
    c.add_argument("--authors", action="store_true")
    f = sub.add_parser("full")
    f.add_argument("--workers", type=int, default=2)
    f.add_argument("--n-perts", type=int, default=None, help="default: simulations.n_perts")
    f.add_argument("--ours-n-perts", type=int, default=None,
                   help="default: simulations.ours_n_perts (figS_null, metrics_simulations)")
    f.add_argument("--figures", nargs="*")
    a = ap.parse_args()
    threadpool_limits(1)  # one BLAS thread, as a workflow job with threads: 1
    if a.what == "condition":
        bench_condition(n_feats=a.n_feats, authors=a.authors)
    else:
        bench_full(a.workers, a.n_perts, a.ours_n_perts, a.figures)


if __name__ == "__main__":
    main()
