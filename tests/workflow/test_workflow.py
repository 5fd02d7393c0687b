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
    res = snakemake(workdir, "-n", "--cores", "2")
    assert res.returncode == 0, res.stderr + res.stdout
    # every simulation figure registered by the rule file is requested by `rule all`
    text = (REPO / "workflow/rules/simulations.smk").read_text()
    ids = re.findall(r'SIMULATION_FIGURES\s*=\s*\[([^\]]*)\]', text)
    assert ids, "simulations.smk registers no figures"
    figure_ids = re.findall(r'"([^"]+)"', ids[0])
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
        (["map={'map_null': 'other'}"], "other"),
        (["datasets=['mitochek']"], "mitochek"),
        (["data={'retries': 0}"], "retries"),
    ],
)
def test_bad_config_is_rejected_with_the_key_named(workdir, override, message):
    res = snakemake(workdir, "-n", "--cores", "1", "--config", *override)
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "Error validating config" in text and message in text, text[-3000:]


def test_every_rule_has_log_conda_threads_resources():
    text = "\n".join(p.read_text() for p in (REPO / "workflow/rules").glob("*.smk"))
    rules = re.split(r"\n(?=rule |checkpoint )", text)
    for block in rules:
        name = re.match(r"(?:rule|checkpoint) (\w+):", block)
        if not name or name.group(1) == "all":
            continue
        for directive in ("log:", "conda:", "threads:", "resources:"):
            assert directive in block, f"rule {name.group(1)} lacks {directive}"


def test_config_defaults_validate():
    import jsonschema

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    for name in ("config.yaml", "paper.yaml"):
        path = REPO / "config" / name
        if path.exists():
            cfg = yaml.safe_load(path.read_text())
            if name == "paper.yaml":  # merged over the default, like --configfile
                base = yaml.safe_load((REPO / "config/config.yaml").read_text())
                base.update(cfg)
                cfg = base
            jsonschema.validate(cfg, schema)


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
