"""Cluster execution: the SLURM profiles, and a real run on SLURM equal to a local run.

The real run needs a SLURM with accounting that answers `sinfo` and `sacct` (the plugin follows
jobs with sacct) and snakemake-executor-plugin-slurm (`pip install -e ".[slurm]"`). On this kind
of machine (Debian, root) `.ci/slurm/start.sh` starts a one-node one (about a minute, installing
the packages on first use) and `.ci/slurm/stop.sh` stops it:

    bash .ci/slurm/start.sh && python -m pytest -m slurm tests/workflow/test_slurm.py -s
    bash .ci/slurm/stop.sh

Without them the real run is skipped, naming what is missing. The account and partition are taken
from $MAPREPROD_SLURM_ACCOUNT / $MAPREPROD_SLURM_PARTITION (default: those start.sh creates).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from workflow_utils import REPO, copy_repo, snakemake

PROFILES = REPO / "profiles"
ACCOUNT = os.environ.get("MAPREPROD_SLURM_ACCOUNT", "mapreprod")
PARTITION = os.environ.get("MAPREPROD_SLURM_PARTITION", "main")

# The DAG of the real run: the simulations on a tiny grid (every figure, 6 table+plot groups), and
# the own-data example with its AP step in shards (separate jobs, gathered).
TINY_SIMULATIONS = {
    "n_perts": 4,
    "n_permutations": 30,
    "map_null_size": 30,
    "seed": 7,
    "n_feats": [20],
    "plates_controls": [{"plates": 2, "controls_per_plate": [2]}],
    "percent_differ": {"bin_exp": [10, 50], "linear": [10, 100], "calibration": [0, 50]},
}
OWN_DATA_EXAMPLE = REPO / "config/examples/own_data.yaml"
OWN_DATA_SHARDS = 3


def _profile(name: str) -> dict:
    return yaml.safe_load((PROFILES / name / "config.yaml").read_text())


def _rule_names() -> set[str]:
    text = "\n".join(p.read_text() for p in (REPO / "workflow/rules").glob("*.smk"))
    return set(re.findall(r"^(?:rule|checkpoint) (\w+):", text, flags=re.M))


# ---------------------------------------------------------------------------------------------
# The profiles (no SLURM needed)


def test_slurm_profiles_differ_only_in_conda():
    plain, conda = _profile("slurm"), _profile("slurm-conda")
    assert "software-deployment-method" not in plain, "profiles/slurm must run without conda"
    assert conda.pop("software-deployment-method") == "conda"
    conda.pop("conda-prefix", None)
    assert plain == conda


def test_slurm_profile_settings():
    profile = _profile("slurm")
    assert profile["executor"] == "slurm"
    # an empty account makes plugin 2.8.0 guess one, which fails (sacct: invalid option -- '1')
    resources = profile.get("default-resources", {})
    assert resources.get("slurm_account", "unset") not in ("", None)
    assert {"mem_mb", "runtime"} <= set(resources)
    # the plugin's default first status check (40 s) dominated small workflows
    assert profile["slurm-init-seconds-before-status-checks"] <= 15
    # groups name existing rules, and only chains (no merged components: members run serially)
    assert "group-components" not in profile
    unknown = set(profile.get("groups", {})) - _rule_names()
    assert not unknown, f"profiles/slurm groups name rules that do not exist: {sorted(unknown)}"


def test_download_is_a_localrule():
    """Compute nodes often have no internet: downloads run on the submit host."""
    text = (REPO / "workflow/rules/download.smk").read_text()
    blocks = re.split(r"\n(?=rule )", text)
    downloads = [b for b in blocks if re.match(r"rule download\w*:", b)]
    assert downloads
    for block in downloads:
        assert re.search(r"\n\s+localrule:\s*True", block), block.splitlines()[0]


def _plugin_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("snakemake_executor_plugin_slurm") is not None


def test_plain_slurm_profile_plans_without_conda(tmp_path):
    """The issue's failure: the old profile required conda (`conda info` exit 127) even to plan."""
    if not _plugin_installed():
        pytest.skip('snakemake-executor-plugin-slurm not installed (pip install -e ".[slurm]")')
    if shutil.which("conda"):
        pytest.skip("conda is installed here: the check needs a machine without it")
    work = copy_repo(tmp_path / "repo")
    res = snakemake(work, "-n", "--workflow-profile", "profiles/slurm",
                    "--default-resources", "slurm_account=acct", "mem_mb=1000", "runtime=10")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert "conda info" not in res.stdout + res.stderr


# ---------------------------------------------------------------------------------------------
# The real run


def _slurm_missing() -> str | None:
    """Why the real run cannot happen here, or None."""
    if not _plugin_installed():
        return 'snakemake-executor-plugin-slurm is not installed (pip install -e ".[slurm]")'
    for tool in ("sbatch", "sinfo", "sacct"):
        if not shutil.which(tool):
            return f"no SLURM here ({tool} not found): start one with `bash .ci/slurm/start.sh`"
    for cmd in (["sinfo", "-h"], ["sacct", "-n", "-X", "-S", "now-1minutes"]):
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        except subprocess.TimeoutExpired:
            return f"`{' '.join(cmd)}` did not answer within 20 s"
        if res.returncode != 0:
            return (f"SLURM is not running or has no accounting (`{' '.join(cmd)}`: "
                    f"{res.stderr.strip()[:200]}): start one with `bash .ci/slurm/start.sh`")
    return None


def _config() -> dict:
    config: dict = {"simulations": TINY_SIMULATIONS, "datasets": []}
    if OWN_DATA_EXAMPLE.is_file():
        example = yaml.safe_load(OWN_DATA_EXAMPLE.read_text())
        config["datasets"] = example["datasets"]
        config["own_data"] = example["own_data"]
        for settings in config["own_data"]["datasets"].values():
            settings["shards"] = OWN_DATA_SHARDS
            settings["null_size"] = 2000
    return config


#: The run's own cost (wall, CPU, memory of every job): measured, so never equal between runs.
BENCHMARKS = "results/benchmarks.csv"


def _tables(root: Path) -> dict[str, bytes]:
    """Every result file but the rendered figures (PNG/PDF embed renderer metadata) and the
    run's measured cost (:data:`BENCHMARKS`)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / "results").rglob("*"))
        if p.is_file() and p.suffix not in {".png", ".pdf", ".svg"}
        and p.relative_to(root).as_posix() != BENCHMARKS
    }


@pytest.fixture(scope="module")
def slurm_and_local_runs(tmp_path_factory):
    missing = _slurm_missing()
    if missing:
        pytest.skip(missing)
    config = _config()
    datasets = json.dumps(config["datasets"])
    runs = {}
    for mode in ("local", "slurm"):
        work = copy_repo(tmp_path_factory.mktemp(f"{mode}repo"))
        (work / "small.yaml").write_text(yaml.safe_dump(config))
        args = ["--configfile", "small.yaml", "--config", f"datasets={datasets}"]
        if mode == "local":
            args = ["--cores", "2", *args]
        else:
            # the documented command-line form: the whole default-resources block
            args = ["--workflow-profile", "profiles/slurm", *args, "--default-resources",
                    f"slurm_account={ACCOUNT}", f"slurm_partition={PARTITION}", "mem_mb=1000",
                    "runtime=10"]
        start = time.monotonic()
        res = snakemake(work, *args, timeout=1800)
        seconds = time.monotonic() - start
        assert res.returncode == 0, f"{mode} run failed:\n" + (res.stdout + res.stderr)[-6000:]
        runs[mode] = {"work": work, "seconds": seconds, "log": res.stdout + res.stderr}
    print(f"\nwall time: local --cores 2 {runs['local']['seconds']:.0f} s, "
          f"SLURM (profiles/slurm) {runs['slurm']['seconds']:.0f} s, datasets {datasets}")
    return runs


@pytest.mark.slurm
def test_slurm_run_outputs_equal_the_local_run(slurm_and_local_runs):
    local = _tables(slurm_and_local_runs["local"]["work"])
    slurm = _tables(slurm_and_local_runs["slurm"]["work"])
    assert any(k.startswith("results/tables/") for k in local)
    assert sorted(local) == sorted(slurm), set(local) ^ set(slurm)
    different = [name for name in local if local[name] != slurm[name]]
    assert not different, f"differ between SLURM and local: {different}"
    # both runs measured the same jobs (their times differ)
    jobs = [pd.read_csv(slurm_and_local_runs[mode]["work"] / BENCHMARKS)[["rule", "wildcards"]]
            .fillna("").sort_values(["rule", "wildcards"]).reset_index(drop=True)
            for mode in ("local", "slurm")]
    assert len(jobs[0]) > 0
    pd.testing.assert_frame_equal(jobs[0], jobs[1])
    for name in ("fig2", "figS_null"):
        assert (slurm_and_local_runs["slurm"]["work"] / f"results/figures/{name}.png").stat().st_size > 1000


@pytest.mark.slurm
def test_slurm_run_used_the_cluster(slurm_and_local_runs):
    log = slurm_and_local_runs["slurm"]["log"]
    assert "sbatch" in log or "SLURM" in log
    # the table+plot chains ran as group jobs, the AP shards as separate jobs
    assert "group job" in log.lower() or "Group job" in log
    if OWN_DATA_EXAMPLE.is_file():
        assert log.count("rule own_data_ap_shard:") == OWN_DATA_SHARDS
        work = slurm_and_local_runs["slurm"]["work"]
        shards = sorted(work.glob("results/own_data/*/activity_ap/shard*.parquet"))
        assert len(shards) == OWN_DATA_SHARDS * len(_config()["own_data"]["datasets"]), shards
