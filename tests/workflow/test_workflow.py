"""The workflow as a whole: dry run, lint, formatting, config validation, a real default run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from workflow_utils import REPO, copy_repo, snakemake


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return copy_repo(tmp_path_factory.mktemp("repo"))


def test_dry_run_plans_every_default_figure(workdir):
    from mapreprod import registry

    res = snakemake(workdir, "-n", "--cores", "2")
    assert res.returncode == 0, res.stderr + res.stdout
    # every simulation figure of the registry is requested by `rule all`
    figure_ids = registry.figure_ids("simulations")
    assert "fig2" in figure_ids
    for fid in figure_ids:
        assert f"results/figures/{fid}.png" in res.stdout, f"{fid} is not planned"


def test_lint_passes(workdir):
    res = snakemake(workdir, "--lint", "--cores", "1")
    assert res.returncode == 0, res.stdout + res.stderr


def test_snakefmt_clean():
    snakefmt = shutil.which("snakefmt") or str(Path(sys.executable).with_name("snakefmt"))
    if not Path(snakefmt).exists():
        pytest.skip("snakefmt not installed (test extra)")
    files = ["Snakefile", *map(str, sorted((REPO / "workflow/rules").glob("*.smk")))]
    res = subprocess.run([snakefmt, "--check", *files], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + res.stdout


@pytest.mark.parametrize(
    "override,message",
    [
        (["typo_key=1"], "typo_key"),
        (["map={'null_sampler': 'slow'}"], "slow"),
        (["map={'test': 'other'}"], "other"),
        (["map={'map_null': 'shared'}"], "was renamed: use map.test"),
        (["datasets=['mitochek']"], "mitochek"),
        (["data={'retries': 0}"], "retries"),
    ],
)
def test_bad_config_is_rejected_with_the_key_named(workdir, override, message):
    res = snakemake(workdir, "-n", "--cores", "1", "--config", *override)
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "invalid config" in text and message in text, text[-3000:]


def test_every_rule_has_log_conda_threads_resources():
    text = "\n".join(p.read_text() for p in (REPO / "workflow/rules").glob("*.smk"))
    rules = re.split(r"\n(?=rule |checkpoint )", text)
    for block in rules:
        name = re.match(r"(?:rule|checkpoint) (\w+):", block)
        if not name or name.group(1) == "all":
            continue
        for directive in ("log:", "conda:", "threads:", "resources:"):
            assert directive in block, f"rule {name.group(1)} lacks {directive}"


@pytest.mark.parametrize(
    "configfile",
    ["paper.yaml", "synthetic.yaml", "examples/own_data.yaml", "examples/nelisa_as_own_data.yaml"],
)
def test_shipped_configs_validate(configfile):
    from mapreprod.config import check_config_files

    config = check_config_files(
        [REPO / "config" / configfile],
        REPO / "config/config.yaml",
        REPO / "workflow/schemas/config.schema.yaml",
    )
    assert "simulations" in config and config["map"]["threads"] >= 1


def test_default_config_equals_the_schema_defaults_where_it_sets_nothing():
    from mapreprod.config import validate_config

    default = yaml.safe_load((REPO / "config/config.yaml").read_text())
    filled = validate_config(yaml.safe_load((REPO / "config/config.yaml").read_text()),
                             REPO / "workflow/schemas/config.schema.yaml")
    # every top-level section exists after validation, with its defaults filled in
    assert set(default) <= set(filled)
    assert filled["nelisa"]["null_size"] == default["nelisa"]["null_size"]


@pytest.mark.workflow
def test_default_run_renders_figures(workdir):
    """README command 1 in a temporary copy: the default config runs offline to the figures."""
    res = snakemake(workdir, "--cores", "2", timeout=1500)
    assert res.returncode == 0, (res.stdout + res.stderr)[-5000:]
    figures = sorted((workdir / "results/figures").glob("*.png"))
    tables = sorted((workdir / "results/tables").glob("*.csv"))
    assert figures and tables
    for png in figures:
        assert png.stat().st_size > 10_000, f"{png.name} looks empty"
        assert png.with_suffix(".pdf").exists()
        assert (workdir / "results/tables" / f"{png.stem}.csv").exists()


def test_a_foreign_install_of_the_packages_stops_planning_naming_both_paths(tmp_path):
    # A second checkout whose own packages are not on the path: Python imports the installed ones
    # (this checkout's editable install), and the workflow must refuse them.
    import os

    other = copy_repo(tmp_path / "other")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1"],
        cwd=other, capture_output=True, text=True, env=env, timeout=300,
    )
    installed = Path(__import__("mapeval").__file__).resolve().parent
    if installed.parent == (other / "workflow").resolve():
        pytest.skip("the packages are imported from the copy itself")
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "is imported from" in text and str(installed) in text
    assert str((other / "workflow" / "mapeval").resolve()) in text
