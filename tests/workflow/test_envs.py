"""Conda environments, checked offline: they parse, every rule's env exists, pins match pip's."""

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
