"""The whole paper at its real scale, measured job by job (issue 19): run and summarise.

Runs ``snakemake --cores 2 --configfile config/paper.yaml config/rehearsal.yaml
--config 'data={mirror: <mirror>}'`` in a scratch copy of this checkout (every dataset's
stand-in at the real inputs' shape, the paper's null sizes and sampler), then writes the
summary that docs/benchmarks.md records: the date, the machine load before, during and after,
the total wall time, the ten most expensive jobs and the peak memory of each, and per rule the
largest wall time, CPU time and peak memory over its jobs (what the rules' ``resources`` are set
from).

Snakemake samples a job's processes every 0.5 s during its first 15 s, then every 30 s, so the
peak memory of a long job can be missed; this script runs Snakemake with a sampling interval of
``--interval`` seconds (default 1) instead, by setting the default of
``snakemake.benchmark.benchmarked`` in the process that runs Snakemake. Nothing else changes.

    python benchmarks/rehearsal.py --mirror ../shared/data            # copy, run, summarise
    python benchmarks/rehearsal.py --workdir /tmp/rehearsal --summary-only   # summarise again
    python benchmarks/rehearsal.py --mirror ../shared/data -- --until cellhealth_activity

Arguments after ``--`` go to Snakemake (targets, ``--until``, ``--keep-going``, ...). The copy
is made with the files ``git ls-files`` lists (tracked and untracked, not ignored), like the
workflow tests; an existing ``--workdir`` is reused (its finished jobs are not rerun) unless
``--fresh``. Outputs in the work folder: ``rehearsal_summary.md`` and ``rehearsal_summary.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
CONFIGS = ("config/paper.yaml", "config/rehearsal.yaml")
#: Headroom of the suggested resources: memory x 1.5 (rounded up to 100 MB, at least 500 MB),
#: runtime x 2 of the measured wall time (rounded up to whole minutes, at least 5).
MEM_FACTOR, MEM_MIN, TIME_FACTOR, TIME_MIN = 1.5, 500, 2.0, 5

# The child process that runs Snakemake: the benchmark sampling interval is the default of the
# function Snakemake's job runners call (``benchmarked(pid, record)``), so setting it there is
# enough.
CHILD = """
import sys
import snakemake.benchmark as benchmark
defaults = list(benchmark.benchmarked.__wrapped__.__defaults__)
defaults[-1] = float(sys.argv[1])
benchmark.benchmarked.__wrapped__.__defaults__ = tuple(defaults)
from snakemake.cli import main
sys.argv = ["snakemake", *sys.argv[2:]]
main()
"""


def copy_checkout(dest: Path) -> None:
    """Copy the checkout's files (``git ls-files``: tracked and untracked, not ignored)."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split("\n")
    for rel in filter(None, files):
        source = REPO / rel
        if source.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


class LoadSampler(threading.Thread):
    """The 1-minute load average every ``every`` seconds while the run lasts."""

    def __init__(self, every: float = 15.0):
        super().__init__(daemon=True)
        self.every, self.samples, self.stop = every, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self.stop.wait(self.every)


def run(workdir: Path, mirror: str, cores: int, interval: float, extra: list[str]) -> dict:
    """Run Snakemake in ``workdir``; returns the run's facts (command, times, loads, exit code)."""
    args = ["--cores", str(cores), "--configfile", *CONFIGS,
            "--config", f"data={{mirror: {mirror}}}", *extra]
    env = dict(os.environ, PYTHONWARNINGS="ignore",
               PYTHONPATH=os.pathsep.join(filter(None, [str(workdir / "workflow"),
                                                        os.environ.get("PYTHONPATH", "")])))
    facts = {"command": "snakemake " + " ".join(args), "benchmark_interval_s": interval,
             "cores": cores, "cpus": os.cpu_count(), "load_before": os.getloadavg(),
             "start": dt.datetime.now().isoformat(timespec="seconds")}
    sampler = LoadSampler()
    sampler.start()
    t0 = time.perf_counter()
    with open(workdir / "rehearsal_snakemake.log", "w") as log:
        code = subprocess.run([sys.executable, "-c", CHILD, str(interval), *args], cwd=workdir,
                              env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    facts["wall_s"] = round(time.perf_counter() - t0, 1)
    sampler.stop.set()
    facts.update(end=dt.datetime.now().isoformat(timespec="seconds"), exit_code=code,
                 load_after=os.getloadavg(), load_during=sampler.samples)
    return facts


def job_table(workdir: Path) -> pd.DataFrame:
    """Every job's costs: results/benchmarks.csv when the run got that far, else the benchmark
    files themselves (job named by their path)."""
    table = workdir / "results/benchmarks.csv"
    if table.exists():
        return pd.read_csv(table)
    sys.path.insert(0, str(workdir / "workflow"))
    from mapreprod.benchmark_table import read_benchmark

    rows = []
    for path in sorted((workdir / "logs/benchmarks").rglob("*.tsv")):
        rel = path.relative_to(workdir / "logs/benchmarks").with_suffix("")
        rows.append({"rule": rel.as_posix(), "dataset": rel.parts[0] if len(rel.parts) > 1 else "",
                     "wildcards": "", **read_benchmark(path), "file": str(path)})
    return pd.DataFrame(rows)


def suggested_resources(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per rule: the largest wall time, CPU time and peak memory over its jobs, and the resources
    they suggest (memory x 1.5, runtime x 2, with minimums)."""
    per_rule = jobs.groupby("rule").agg(
        jobs=("wall_s", "size"), wall_s=("wall_s", "max"), cpu_s=("cpu_s", "max"),
        max_rss_mb=("max_rss_mb", "max"),
    ).reset_index()
    per_rule["mem_mb"] = [
        max(MEM_MIN, 100 * math.ceil(MEM_FACTOR * (0 if pd.isna(m) else m) / 100))
        for m in per_rule["max_rss_mb"]
    ]
    per_rule["runtime"] = [
        max(TIME_MIN, math.ceil(TIME_FACTOR * (0 if pd.isna(w) else w) / 60))
        for w in per_rule["wall_s"]
    ]
    return per_rule.sort_values("wall_s", ascending=False).reset_index(drop=True)


def markdown(facts: dict, jobs: pd.DataFrame, per_rule: pd.DataFrame, top: int = 10) -> str:
    """The summary for docs/benchmarks.md."""
    load = facts.get("load_during") or [float("nan")]
    lines = [
        f"Run {facts.get('start', '?')} to {facts.get('end', '?')}, exit code "
        f"{facts.get('exit_code', '?')}: `{facts.get('command', '?')}` "
        f"(benchmark sampling every {facts.get('benchmark_interval_s', '?')} s).",
        f"Machine: {facts.get('cpus', '?')} CPUs, --cores {facts.get('cores', '?')}; load average "
        f"before {facts['load_before'][0]:.1f}, during {min(load):.1f}-{max(load):.1f} "
        f"(median {statistics.median(load):.1f}), after {facts['load_after'][0]:.1f}."
        if "load_before" in facts else "Machine load: not recorded.",
        "",
        f"**Total wall time {facts.get('wall_s', float('nan')) / 60:.1f} min** for "
        f"{len(jobs)} jobs; their CPU time adds up to {jobs['cpu_s'].sum() / 60:.1f} min, their "
        f"wall times to {jobs['wall_s'].sum() / 60:.1f} min; the largest peak memory of a job is "
        f"{jobs['max_rss_mb'].max():,.0f} MB ({jobs.loc[jobs['max_rss_mb'].idxmax(), 'rule']}).",
        "",
        f"The {top} most expensive jobs (wall time):",
        "",
        "| rule | wildcards | wall s | CPU s | peak MB |",
        "|---|---|---:|---:|---:|",
    ]
    for row in jobs.sort_values("wall_s", ascending=False).head(top).itertuples():
        wildcards = row.wildcards if isinstance(row.wildcards, str) else ""
        lines.append(f"| {row.rule} | {wildcards} | {row.wall_s:,.0f} | {row.cpu_s:,.0f} | "
                     f"{row.max_rss_mb:,.0f} |")
    lines += ["", "Per rule (largest over its jobs) and the resources it suggests "
                  f"(memory x {MEM_FACTOR}, runtime x {TIME_FACTOR:g}):", "",
              "| rule | jobs | wall s | CPU s | peak MB | mem_mb | runtime (min) |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for row in per_rule.itertuples():
        lines.append(f"| {row.rule} | {row.jobs} | {row.wall_s:,.0f} | {row.cpu_s:,.0f} | "
                     f"{row.max_rss_mb:,.0f} | {row.mem_mb} | {row.runtime} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/rehearsal"))
    parser.add_argument("--mirror", default=str(REPO.parent / "shared" / "data"),
                        help="local folder laid out like config/manifest.tsv (data.mirror)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--interval", type=float, default=1.0,
                        help="benchmark sampling interval in seconds (Snakemake's own: 30)")
    parser.add_argument("--fresh", action="store_true", help="delete --workdir first")
    parser.add_argument("--summary-only", action="store_true",
                        help="summarise the run already in --workdir")
    parser.add_argument("snakemake_args", nargs="*", help="after --: passed to Snakemake")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    facts_file = workdir / "rehearsal_summary.json"
    if args.summary_only:
        facts = json.loads(facts_file.read_text())["run"]
    else:
        if args.fresh and workdir.exists():
            shutil.rmtree(workdir)
        if not (workdir / "Snakefile").exists():
            copy_checkout(workdir)
        mirror = Path(args.mirror).resolve()
        if not mirror.is_dir():
            sys.exit(f"--mirror {mirror}: no such folder (a local copy laid out like "
                     "config/manifest.tsv, e.g. ../shared/data)")
        facts = run(workdir, str(mirror), args.cores, args.interval, args.snakemake_args)
        print(f"snakemake exited with {facts['exit_code']} after {facts['wall_s']} s "
              f"(log: {workdir / 'rehearsal_snakemake.log'})", file=sys.stderr)
    jobs = job_table(workdir)
    if jobs.empty:
        sys.exit(f"no benchmark file under {workdir / 'logs/benchmarks'}")
    per_rule = suggested_resources(jobs)
    text = markdown(facts, jobs, per_rule)
    (workdir / "rehearsal_summary.md").write_text(text)
    facts_file.write_text(json.dumps(
        {"run": facts, "per_rule": per_rule.to_dict(orient="records")}, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
