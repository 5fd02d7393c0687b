"""Downloads (mapreprod.download, rule download): verified, resumable, atomic, clear when offline."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import socket
import warnings
from pathlib import Path

import pandas as pd
import pytest
from loopback import serve_folder
from workflow_utils import copy_repo, snakemake

from mapreprod.download import (
    ChecksumMismatchError,
    DownloadError,
    ManifestEntry,
    download_entry,
    fetch,
    read_manifest,
    source_url,
)

SMALL = ("cpjump1", "JUMP-Target-1_crispr_platemap.tsv")  # 7,267 bytes, real


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _shared_rows(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "MANIFEST.tsv", sep="\t", dtype=str, keep_default_na=False)


@pytest.fixture()
def small_file(shared_data: Path) -> tuple[bytes, str]:
    """Bytes and published sha256 of a small real file (from the shared MANIFEST)."""
    rows = _shared_rows(shared_data)
    row = rows[rows["file"] == f"{SMALL[0]}/{SMALL[1]}"].iloc[0]
    data = (shared_data / SMALL[0] / SMALL[1]).read_bytes()
    return data, row["sha256"]


def _put(folder: Path, data: bytes, dataset: str = SMALL[0], file: str = SMALL[1]) -> None:
    target = folder / dataset / file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ manifest


def test_manifest_lists_every_input_of_the_shared_manifest(repo_root, shared_data):
    ours = read_manifest(repo_root / "config" / "manifest.tsv")
    ours_keys = {(d, f) for d, f in zip(ours["dataset"], ours["file"], strict=True)}
    shared = _shared_rows(shared_data)
    not_inputs = {"cellhealth/SQ00014613_two_cells_all_features.parquet", "CPJUMP1_profiles"}
    for row in shared.itertuples(index=False):
        if row.file in not_inputs:
            continue
        file = row.file.removeprefix(f"{row.dataset}/")
        assert (row.dataset, file) in ours_keys, f"{row.dataset}/{file} missing"
        mine = ours[(ours["dataset"] == row.dataset) & (ours["file"] == file)].iloc[0]
        if row.sha256 not in ("unknown", ""):
            assert mine["sha256"] == row.sha256
            assert int(mine["bytes"]) == int(row.bytes)
    assert len(ours) == len(shared) - len(not_inputs)
    for dataset in [
        "cellhealth",
        "cpg0004",
        "cpg0016orf",
        "nelisa",
        "perturbseq",
        "mitocheck",
        "cpjump1",
    ]:
        assert dataset in set(ours["dataset"])


def test_manifest_bad_row_is_named(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text(
        "dataset\tfile\turl\tbytes\tsha256\n"
        "a\tx.csv\thttp://h/x\t10\t\n"
        "a\ty.csv\thttp://h/y\tten\t\n"
    )
    with pytest.raises(ValueError, match=r"line 3.*'bytes'"):
        read_manifest(path)
    path.write_text("dataset\tfile\turl\n")
    with pytest.raises(ValueError, match="columns must be"):
        read_manifest(path)
    path.write_text("dataset\tfile\turl\tbytes\tsha256\na\tx\thttp://h/x\t1\tabc\n")
    with pytest.raises(ValueError, match=r"line 2.*'sha256'"):
        read_manifest(path)
    path.write_text("dataset\tfile\turl\tbytes\tsha256\na\t../x\thttp://h/x\t\t\n")
    with pytest.raises(ValueError, match=r"line 2.*'file'"):
        read_manifest(path)


def test_source_url_for_each_mirror_kind(tmp_path):
    assert source_url("http://orig/x", "d/f.tsv", None) == "http://orig/x"
    assert source_url("http://orig/x", "d/f.tsv", "http://m:8/base/") == "http://m:8/base/d/f.tsv"
    assert source_url("u", "d/f", "file:///srv/m") == "file:///srv/m/d/f"
    assert source_url("u", "d/f", str(tmp_path)) == (tmp_path / "d" / "f").as_uri()
    with pytest.raises(ValueError, match="data.mirror"):
        source_url("u", "d/f", "ftp://host/x")


# ------------------------------------------------------------------ fetch over HTTP


def test_fetch_from_http_mirror_verifies_checksum(http_mirror, small_file, tmp_path):
    base, folder = http_mirror
    data, sha = small_file
    _put(folder, data)
    dest = tmp_path / "res" / SMALL[0] / SMALL[1]
    out = fetch(
        "http://original.invalid/x",
        dest,
        sha256=sha,
        size=len(data),
        mirror=base,
        relpath="/".join(SMALL),
        backoff=0,
    )
    assert out == dest and dest.read_bytes() == data
    assert not dest.with_name(dest.name + ".part").exists()


def test_checksum_mismatch_removes_partial_and_names_both_digests(
    http_mirror, small_file, tmp_path
):
    base, folder = http_mirror
    data, sha = small_file
    corrupt = data[:-10] + b"X" * 10
    _put(folder, corrupt)
    dest = tmp_path / SMALL[1]
    with pytest.raises(ChecksumMismatchError) as err:
        fetch(
            "http://original.invalid/x",
            dest,
            sha256=sha,
            mirror=base,
            relpath="/".join(SMALL),
            backoff=0,
        )
    message = str(err.value)
    assert f"{base}/{SMALL[0]}/{SMALL[1]}" in message
    assert sha in message and _digest(corrupt) in message
    assert not dest.exists() and not dest.with_name(dest.name + ".part").exists()


def test_missing_file_names_file_url_and_ways_out(http_mirror, tmp_path):
    base, _ = http_mirror
    dest = tmp_path / "resources" / "nelisa" / "cellpainting_profiles.parquet"
    with pytest.raises(DownloadError) as err:
        fetch(
            "http://original.invalid/x",
            dest,
            mirror=base,
            relpath="nelisa/cellpainting_profiles.parquet",
            backoff=0,
        )
    message = str(err.value)
    assert "cellpainting_profiles.parquet" in message
    assert f"{base}/nelisa/cellpainting_profiles.parquet" in message
    assert "404" in message
    assert str(dest) in message and "data.mirror" in message
    assert not dest.exists()


def test_unreachable_host_fails_after_retries_with_clear_message(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/nelisa/nelisa_profiles.parquet"
    dest = tmp_path / "nelisa_profiles.parquet"
    with pytest.raises(DownloadError) as err:
        fetch(url, dest, retries=2, timeout=2, backoff=0)
    message = str(err.value)
    assert url in message and "2 attempt(s)" in message
    assert str(dest) in message and "data.mirror" in message


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves byte ranges (``Range: bytes=N-``) and records the ranges asked for."""

    ranges: list[str] = []

    def log_message(self, *args):  # noqa: D401
        pass

    def do_GET(self):  # noqa: N802
        path = Path(self.translate_path(self.path))
        data = path.read_bytes()
        asked = self.headers.get("Range")
        type(self).ranges.append(asked or "")
        if asked:
            start = int(asked.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            body = data[start:]
        else:
            self.send_response(200)
            body = data
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_partial_download_is_resumed_with_range(tmp_path, small_file):
    data, sha = small_file
    root = tmp_path / "srv"
    _put(root, data)
    handler = type("H", (_RangeHandler,), {"ranges": []})
    with serve_folder(root, handler) as base:
        dest = tmp_path / "out" / SMALL[1]
        dest.parent.mkdir()
        dest.with_name(dest.name + ".part").write_bytes(data[:3000])
        fetch(f"{base}/{SMALL[0]}/{SMALL[1]}", dest, sha256=sha, size=len(data), backoff=0)
    assert dest.read_bytes() == data
    assert handler.ranges == ["bytes=3000-"]


def test_partial_download_restarts_when_server_ignores_range(http_mirror, small_file, tmp_path):
    base, folder = http_mirror  # SimpleHTTPRequestHandler answers 200 to Range requests
    data, sha = small_file
    _put(folder, data)
    dest = tmp_path / SMALL[1]
    dest.with_name(dest.name + ".part").write_bytes(b"garbage" * 100)
    fetch(
        "http://original.invalid/x",
        dest,
        sha256=sha,
        mirror=base,
        relpath="/".join(SMALL),
        backoff=0,
    )
    assert dest.read_bytes() == data


def test_corrupt_partial_prefix_is_retried_from_scratch(tmp_path, small_file):
    data, sha = small_file
    root = tmp_path / "srv"
    _put(root, data)
    handler = type("H", (_RangeHandler,), {"ranges": []})
    with serve_folder(root, handler) as base:
        dest = tmp_path / SMALL[1]
        dest.with_name(dest.name + ".part").write_bytes(b"\0" * 3000)  # wrong prefix
        fetch(f"{base}/{SMALL[0]}/{SMALL[1]}", dest, sha256=sha, retries=2, backoff=0)
    assert dest.read_bytes() == data
    assert handler.ranges == ["bytes=3000-", ""]


# ------------------------------------------------------------------ local mirrors, sidecar


@pytest.mark.parametrize("as_uri", [False, True])
def test_local_folder_mirror(tmp_path, small_file, as_uri):
    data, sha = small_file
    mirror = tmp_path / "mirror"
    _put(mirror, data)
    entry = ManifestEntry(SMALL[0], SMALL[1], "http://original.invalid/x", len(data), sha)
    out = download_entry(
        entry, tmp_path / "resources", mirror=mirror.as_uri() if as_uri else str(mirror), backoff=0
    )
    assert out == tmp_path / "resources" / SMALL[0] / SMALL[1]
    assert out.read_bytes() == data


def test_local_mirror_missing_file_gives_ways_out(tmp_path):
    entry = ManifestEntry("nelisa", "cellpainting_profiles.parquet", "http://original.invalid/x")
    with pytest.raises(DownloadError, match="put the file at .*data.mirror"):
        download_entry(entry, tmp_path / "resources", mirror=str(tmp_path / "empty"), backoff=0)


def test_unpublished_checksum_is_recorded_and_a_change_warns(tmp_path):
    mirror = tmp_path / "mirror"
    _put(mirror, b"first version\n", "ds", "f.txt")
    entry = ManifestEntry("ds", "f.txt", "http://original.invalid/f.txt")
    resources = tmp_path / "resources"
    download_entry(entry, resources, mirror=str(mirror), backoff=0)
    sidecar = pd.read_csv(resources / "ds" / ".checksums.tsv", sep="\t", dtype=str)
    assert sidecar["file"].tolist() == ["f.txt"]
    assert sidecar["sha256"].tolist() == [_digest(b"first version\n")]

    (resources / "ds" / "f.txt").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        download_entry(entry, resources, mirror=str(mirror), backoff=0)  # same bytes: silent

    (resources / "ds" / "f.txt").unlink()
    _put(mirror, b"second version\n", "ds", "f.txt")
    with pytest.warns(UserWarning, match=_digest(b"first version\n")):
        download_entry(entry, resources, mirror=str(mirror), backoff=0)


# ------------------------------------------------------------------ the Snakemake rule


@pytest.mark.workflow
def test_download_rule_fetches_real_nelisa_file_from_mirror(shared_data, http_mirror, tmp_path):
    base, folder = http_mirror
    (folder / "nelisa").mkdir()
    shutil.copy2(shared_data / "nelisa" / "nelisa_profiles.parquet", folder / "nelisa")
    work = copy_repo(tmp_path / "repo")
    (work / "mirror.yaml").write_text(f"data:\n  mirror: {base}\n  backoff: 0\n")
    target = "resources/nelisa/nelisa_profiles.parquet"
    result = snakemake(work, target, "--cores", "1", "--configfile", "mirror.yaml", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = _shared_rows(shared_data)
    expected = rows.loc[rows["file"] == "nelisa/nelisa_profiles.parquet", "sha256"].iloc[0]
    assert _digest((work / target).read_bytes()) == expected
    assert (work / "logs/download/nelisa/nelisa_profiles.parquet.log").is_file()
