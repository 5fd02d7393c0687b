"""Downloads (mapreprod.download, rule download): verified, resumable, atomic, never lost."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import re
import socket
import warnings
from pathlib import Path

import pandas as pd
import pytest
from loopback import serve_folder

from mapreprod.download import (
    ChecksumMismatchError,
    DownloadError,
    ManifestEntry,
    check_request_path,
    download_entry,
    ensure_input,
    fetch,
    read_manifest,
    read_record,
    record_is_current,
    renew_check_request,
    source_url,
    verification_record_path,
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
    # Other inputs (appended by the dataset pipelines) may follow; each row validated above.
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


# ------------------------------------------------------------------ files already in place


def _place(resources: Path, data: bytes, dataset: str = SMALL[0], file: str = SMALL[1]) -> Path:
    path = resources / dataset / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_file_in_place_is_checked_and_recorded_not_fetched(tmp_path, small_file):
    data, sha = small_file
    resources = tmp_path / "resources"
    path = _place(resources, data)
    before = path.stat()
    entry = ManifestEntry(SMALL[0], SMALL[1], "http://original.invalid/x", len(data), sha)
    record = verification_record_path(resources, *SMALL)
    offline = f"http://127.0.0.1:{_closed_port()}"  # would fail if it were contacted
    ensure_input(entry, path, record=record, mirror=offline, retries=1, backoff=0)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    row = read_record(record)
    assert row["sha256"] == sha and row["bytes"] == str(len(data))
    assert row["source"] == "found in place" and row["file"] == "/".join(SMALL)


def test_a_corrupted_file_in_place_is_refused_and_kept(tmp_path, small_file):
    data, sha = small_file
    resources = tmp_path / "resources"
    corrupt = data[:100] + b"#" + data[101:]
    path = _place(resources, corrupt)
    entry = ManifestEntry(SMALL[0], SMALL[1], "http://original.invalid/x", len(data), sha)
    record = verification_record_path(resources, *SMALL)
    with pytest.raises(ChecksumMismatchError) as err:
        ensure_input(entry, path, record=record, manifest="config/manifest.tsv")
    message = str(err.value)
    assert str(path) in message and sha in message and _digest(corrupt) in message
    assert "delete" in message and "data.mirror" in message and "config/manifest.tsv" in message
    assert path.read_bytes() == corrupt
    assert not record.exists()


def test_a_missing_file_is_fetched_and_recorded_with_its_source(tmp_path, small_file):
    data, sha = small_file
    mirror = tmp_path / "mirror"
    _put(mirror, data)
    resources = tmp_path / "resources"
    entry = ManifestEntry(SMALL[0], SMALL[1], "http://original.invalid/x", len(data), sha)
    path = resources / SMALL[0] / SMALL[1]
    record = verification_record_path(resources, *SMALL)
    ensure_input(entry, path, record=record, mirror=str(mirror), backoff=0)
    assert path.read_bytes() == data
    row = read_record(record)
    assert row["sha256"] == sha
    assert row["source"] == (mirror / SMALL[0] / SMALL[1]).as_uri()


def test_unpublished_digest_of_a_file_in_place_is_recorded_then_compared(tmp_path):
    resources = tmp_path / "resources"
    path = _place(resources, b"first\n", "ds", "f.txt")
    entry = ManifestEntry("ds", "f.txt", "http://original.invalid/f.txt")
    record = verification_record_path(resources, "ds", "f.txt")
    ensure_input(entry, path, record=record)
    assert read_record(record)["sha256"] == _digest(b"first\n")
    sidecar = pd.read_csv(resources / "ds" / ".checksums.tsv", sep="\t", dtype=str)
    assert sidecar["sha256"].tolist() == [_digest(b"first\n")]
    path.write_bytes(b"second\n")
    with pytest.warns(UserWarning, match=_digest(b"first\n")):
        ensure_input(entry, path, record=record)


def _stamp(path: Path) -> tuple[str, int]:
    return path.read_text(), path.stat().st_mtime_ns


def test_check_is_requested_exactly_when_the_record_no_longer_vouches(tmp_path, small_file):
    """Snakemake reruns the download job when its input (the request) is rewritten."""
    data, sha = small_file
    resources = tmp_path / "resources"
    request = check_request_path(resources, *SMALL)
    record = verification_record_path(resources, *SMALL)

    assert not renew_check_request(resources, *SMALL, sha)  # missing: the job runs anyway
    assert not request.exists()

    path = _place(resources, data)  # put there by hand, never checked
    assert renew_check_request(resources, *SMALL, sha)
    assert "present without a verification record" in request.read_text()

    entry = ManifestEntry(SMALL[0], SMALL[1], "http://original.invalid/x", len(data), sha)
    ensure_input(entry, path, record=record)
    assert record_is_current(record, path, sha)
    first = _stamp(request)
    assert not renew_check_request(resources, *SMALL, sha)
    assert _stamp(request) == first  # vouched for: nothing to do

    assert not record_is_current(record, path, "0" * 64)  # the manifest publishes another digest
    assert renew_check_request(resources, *SMALL, "0" * 64)
    assert _stamp(request) != first and "manifest's digest" in request.read_text()

    second = _stamp(request)
    path.write_bytes(data)  # rewritten in place (same bytes, later time)
    later = record.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(later, later))
    assert not record_is_current(record, path, sha)
    assert renew_check_request(resources, *SMALL, sha)
    assert _stamp(request) != second and "changed since it was verified" in request.read_text()

    record.write_text("not a record\n")
    assert not record_is_current(record, path, sha)


# ------------------------------------------------------------------ progress, permissions


def test_progress_bar_is_written_to_the_log_line_by_line(http_mirror, small_file, tmp_path):
    base, folder = http_mirror
    data, sha = small_file
    _put(folder, data)
    log = io.StringIO()
    fetch("http://original.invalid/x", tmp_path / SMALL[1], sha256=sha, mirror=base,
          relpath="/".join(SMALL), backoff=0, progress=log)
    text = log.getvalue()
    assert "\r" not in text
    last = [line for line in text.splitlines() if line.strip()][-1]
    assert last.startswith(SMALL[1]) and "100%" in last


def test_downloaded_file_has_the_permissions_of_a_new_file(http_mirror, small_file, tmp_path):
    base, folder = http_mirror
    data, sha = small_file
    _put(folder, data)
    dest = fetch("http://original.invalid/x", tmp_path / SMALL[1], sha256=sha, mirror=base,
                 relpath="/".join(SMALL), backoff=0)
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert dest.stat().st_mode == plain.stat().st_mode


# ------------------------------------------------------------------ the rule's shape


def test_download_rule_keeps_transport_settings_out_of_params(repo_root):
    """Changed params make Snakemake rerun a job; the transport settings must not be params."""
    text = (repo_root / "workflow/rules/download.smk").read_text()
    rule = text[text.index("rule download:"):]
    assert "params:" not in rule
    for key in ("mirror", "retries", "timeout", "backoff"):
        assert key not in rule, key
    assert re.search(r'path=update\("resources/\{dataset\}/\{file\}"\)', rule)
    assert "localrule: True" in rule
    script = (repo_root / "workflow/scripts/download_fetch.py").read_text()
    assert 'snakemake.config["data"]' in script
