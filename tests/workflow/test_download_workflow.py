"""The download rule in Snakemake runs: verified inputs are never lost, bad ones never used.

Each test runs Snakemake on a temporary copy of the repository, offline except for a loopback
mirror, on the real nELISA profiles (2.9 MB, ../shared/data) and, for the corrupted file, the
first analysis rule that reads them (nelisa_preprocess).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from pathlib import Path

import pandas as pd
import pytest
from workflow_utils import copy_repo, snakemake

pytestmark = pytest.mark.workflow

FILE = "resources/nelisa/nelisa_profiles.parquet"
RECORD = "resources/nelisa/.verified/nelisa_profiles.parquet.tsv"
TARGET = "results/nelisa/nelisa_normalized.parquet"
LOG = "logs/download/nelisa/nelisa_profiles.parquet.log"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _published(shared_data: Path) -> str:
    rows = pd.read_csv(shared_data / "MANIFEST.tsv", sep="\t", dtype=str)
    return rows.loc[rows["file"] == "nelisa/nelisa_profiles.parquet", "sha256"].iloc[0]


def _unreachable() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _run(work: Path, configfile: str, target: str = TARGET) -> tuple[int, str]:
    res = snakemake(work, target, "--cores", "1", "--configfile", configfile, timeout=300)
    return res.returncode, res.stdout + res.stderr


def _corrupt(data: bytes) -> bytes:
    return data[:4000] + bytes(b ^ 0xFF for b in data[4000:4016]) + data[4016:]


def test_changing_transport_settings_offline_keeps_the_verified_file(
    shared_data, http_mirror, tmp_path
):
    base, folder = http_mirror
    (folder / "nelisa").mkdir()
    shutil.copy2(shared_data / "nelisa/nelisa_profiles.parquet", folder / "nelisa")
    work = copy_repo(tmp_path / "repo")
    (work / "mirror.yaml").write_text(f"data:\n  mirror: {base}\n  backoff: 0\n")
    code, out = _run(work, "mirror.yaml", FILE)
    assert code == 0, out[-4000:]
    data = (work / FILE).read_bytes()
    assert _sha(data) == _published(shared_data)
    assert "fetching" in (work / LOG).read_text()
    before = (work / FILE).stat()

    # Every data.* setting changed, and the mirror is now unreachable: nothing reruns.
    (work / "offline.yaml").write_text(
        f"data:\n  mirror: {_unreachable()}\n  retries: 1\n  timeout: 1\n  backoff: 7\n"
    )
    code, out = _run(work, "offline.yaml", FILE)
    assert code == 0, out[-4000:]
    assert "Nothing to be done" in out
    after = (work / FILE).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    # A reason Snakemake does rerun the job for (a newer script) re-checks the file in place,
    # offline, instead of deleting and fetching it.
    script = work / "workflow/scripts/download_fetch.py"
    os.utime(script, ns=(after.st_mtime_ns + 10**9, after.st_mtime_ns + 10**9))
    code, out = _run(work, "offline.yaml", FILE)
    assert code == 0, out[-4000:]
    assert "localrule download:" in out
    assert "checking it against the manifest instead of fetching" in (work / LOG).read_text()
    assert (work / FILE).read_bytes() == data


def test_corrupted_file_in_place_stops_the_run_before_any_analysis(shared_data, tmp_path):
    real = shared_data / "nelisa/nelisa_profiles.parquet"
    expected = _published(shared_data)
    corrupt = _corrupt(real.read_bytes())
    work = copy_repo(tmp_path / "repo")
    (work / "offline.yaml").write_text(f"data:\n  mirror: {_unreachable()}\n  retries: 1\n")
    (work / FILE).parent.mkdir(parents=True)
    (work / FILE).write_bytes(corrupt)

    code, out = _run(work, "offline.yaml")
    assert code != 0
    for fragment in (FILE, expected, _sha(corrupt), f"delete {FILE}", "data.mirror",
                     "config/manifest.tsv"):
        assert fragment in out, fragment
    assert "rule nelisa_preprocess:" not in out.split("Select jobs to execute")[-1]
    assert not (work / "results").exists() or not any((work / "results").rglob("*.*"))
    assert (work / FILE).read_bytes() == corrupt  # the user's file is left where it was
    assert not (work / RECORD).exists()

    # The right file, copied with its old time stamp (cp -p): checked once, then used.
    shutil.copy2(real, work / FILE)
    code, out = _run(work, "offline.yaml")
    assert code == 0, out[-4000:]
    assert (work / TARGET).is_file()
    assert pd.read_csv(work / RECORD, sep="\t")["sha256"].tolist() == [expected]
    result = (work / TARGET).stat().st_mtime_ns

    # Replaced by a corrupted copy after it was verified: checked again, refused, not used.
    (work / FILE).write_bytes(corrupt)
    code, out = _run(work, "offline.yaml")
    assert code != 0
    assert _sha(corrupt) in out and expected in out
    assert (work / TARGET).stat().st_mtime_ns == result
