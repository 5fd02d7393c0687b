"""The engine installs and passes its own tests on its own: a fresh virtual environment with
`pip install ./workflow/mapeval[test]` gets neither Snakemake nor pycytominer (nor the paper's
package), and tests/engine passes there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv

import pytest

from workflow_utils import REPO


@pytest.mark.workflow
def test_engine_installs_and_passes_its_tests_without_the_workflow(tmp_path):
    # a copy, so that the build leaves nothing in the checkout (build/, *.egg-info)
    src = tmp_path / "mapeval"
    shutil.copytree(REPO / "workflow/mapeval", src, ignore=shutil.ignore_patterns("__pycache__"))
    tests = tmp_path / "tests"
    shutil.copytree(REPO / "tests/engine", tests / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    for helper in ("conftest.py", "loopback.py", "oracles.py"):
        shutil.copy2(REPO / "tests" / helper, tests / helper)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", f"{src}[test]"],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    listed = subprocess.run(
        [str(py), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, env=env
    ).stdout.lower()
    names = {line.split("==")[0] for line in listed.splitlines()}
    assert "snakemake" not in names and "pycytominer" not in names and "mapreprod" not in names
    assert {"numpy", "pandas", "scipy", "mapeval"} <= names
    run = subprocess.run(
        [str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests / "engine")],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=1800,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    assert sys.executable  # the outer interpreter is untouched
