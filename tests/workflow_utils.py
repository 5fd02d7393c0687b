"""Run Snakemake on a temporary copy of the repository (shared by the workflow tests)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def repo_files() -> list[str]:
    """Tracked files plus untracked, non-ignored ones (so uncommitted work is tested too)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split("\n")
    return [f for f in out if f and (REPO / f).is_file()]


def copy_repo(dest: Path) -> Path:
    """Copy the repository's files (not resources/, results/, .snakemake/) into ``dest``."""
    for rel in repo_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    return dest


def snakemake(workdir: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ``python -m snakemake`` in ``workdir``; returns the completed process (no check)."""
    # The copy's own packages (workflow/mapeval, workflow/mapreprod) come first on the path, ahead
    # of the editable install of the checkout under test (the workflow refuses foreign copies).
    path = [str(Path(workdir) / "workflow"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=os.pathsep.join(p for p in path if p))
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env,
    )
