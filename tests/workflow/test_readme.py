"""The README's two commands are what CI and newcomers run."""

from __future__ import annotations

import re

from workflow_utils import REPO


def _commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    quick = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [c.strip() for c in re.findall(r"```bash\n(.+?)\n\s*```", quick, flags=re.S)]


def test_readme_has_two_commands():
    cmds = _commands()
    assert len(cmds) == 2
    assert "snakemake --cores 2" in cmds[0] and "pip install -e ." in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (REPO / ".ci/run").read_text()
    assert _commands()[1].strip() in ci.splitlines()
