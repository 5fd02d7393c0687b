"""Conda environments, checked offline: they parse, every rule's env exists, pins match pip's.

That each environment is sufficient for its rules is proved in test_env_proofs.py.
"""

from __future__ import annotations

import re
import tomllib

import yaml

from workflow_utils import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PINS = {
    re.split(r"==", d)[0].lower().replace("_", "-"): d.split("==")[1]
    for d in PYPROJECT["project"]["dependencies"]
    if "==" in d
}


def _env_pins(path):
    env = yaml.safe_load(path.read_text())
    pins = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            m = re.match(r"([A-Za-z0-9_.\-]+)\s*(==|=)\s*([^\s]+)", item)
            if m:
                pins[m.group(1).lower().replace("_", "-")] = m.group(3)
    return env, pins


def test_envs_parse_and_pin_pyproject_versions():
    envs = sorted((REPO / "envs").glob("*.yaml"))
    assert envs
    for path in envs:
        env, pins = _env_pins(path)
        assert env.get("channels"), f"{path.name} has no channels"
        for name, version in pins.items():
            if name == "python":
                assert version.startswith("3.11")
                continue
            assert name in PINS, f"{path.name}: {name} is not pinned in pyproject.toml"
            assert PINS[name] == version, f"{path.name}: {name}={version}, pyproject {PINS[name]}"


def test_every_conda_directive_points_to_an_env_file():
    for smk in (REPO / "workflow/rules").glob("*.smk"):
        for rel in re.findall(r'conda:\s*\n?\s*"([^"]+)"', smk.read_text()):
            assert (smk.parent / rel).resolve().is_file(), f"{smk.name}: {rel} missing"


def test_env_python_matches_requires_python():
    floor = re.search(r">=\s*(\d+\.\d+)", PYPROJECT["project"]["requires-python"]).group(1)
    for path in sorted((REPO / "envs").glob("*.yaml")):
        _, pins = _env_pins(path)
        assert pins.get("python", "").startswith(floor), f"{path.name}: python must be {floor}"


def test_envs_do_not_install_the_workflow_packages_by_path():
    """A pip entry `-e ../` would be resolved against the copy Snakemake makes of the env file in
    its conda prefix (.snakemake/conda/<hash>.yaml), not against envs/: the workflow's packages
    reach conda jobs through Snakemake's script path instead (README, "On a cluster")."""
    for path in sorted((REPO / "envs").glob("*.yaml")):
        env = yaml.safe_load(path.read_text())
        for dep in env["dependencies"]:
            if isinstance(dep, dict):
                for item in dep.get("pip", []):
                    assert not item.startswith(("-e", ".", "/", "file:")), f"{path.name}: {item}"
