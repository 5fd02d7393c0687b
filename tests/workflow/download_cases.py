"""Bad inputs of the download layer (manifest, mirrors, transfers, files put in place by hand).

Each case is ``(id, call, error, message)``: ``call(tmp_path)`` must raise ``error`` whose message
contains ``message``. The cases build their own files and loopback servers (no network), so
they can be merged into a repository-wide table (tests/test_bad_inputs.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from loopback import serve_folder

from mapreprod.download import (
    ChecksumMismatchError,
    DownloadError,
    ManifestEntry,
    ensure_input,
    fetch,
    manifest_entry,
    read_manifest,
    source_url,
    verify_file,
)

HEADER = "dataset\tfile\turl\tbytes\tsha256\n"
DATA = b"plate\twell\tcompound\nP1\tA01\tDMSO\n"
SHA = hashlib.sha256(DATA).hexdigest()


class BadInput(NamedTuple):
    """One bad input: ``call(tmp_path)`` raises ``error`` with ``message`` in its text."""

    id: str
    call: Callable[[Path], Any]
    error: type[BaseException]
    message: str


# ------------------------------------------------------------------ helpers


def _manifest(tmp: Path, text: str) -> Path:
    path = tmp / "manifest.tsv"
    path.write_text(text)
    return path


def _read(text: str) -> Callable[[Path], Any]:
    return lambda tmp: read_manifest(_manifest(tmp, text))


def _row(file: str = "x.tsv", url: str = "http://h/x", size: str = "", sha: str = "",
         dataset: str = "ds") -> str:
    return f"{dataset}\t{file}\t{url}\t{size}\t{sha}\n"


def _mirror(tmp: Path, data: bytes = DATA, relpath: str = "ds/x.tsv") -> Path:
    root = tmp / "mirror"
    (root / relpath).parent.mkdir(parents=True, exist_ok=True)
    (root / relpath).write_bytes(data)
    return root


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _silent_server() -> Iterator[str]:
    """Accepts connections (kernel backlog) and never answers: every read times out."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


class _Status500(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_error(500, "Internal Server Error")


class _ShortRead(http.server.SimpleHTTPRequestHandler):
    """Promises 1000 bytes and sends 10."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.close_connection = True


def _with_handler(handler: type, tmp: Path, **kwargs: Any) -> Any:
    root = tmp / "srv"
    root.mkdir(exist_ok=True)
    with serve_folder(root, handler) as base:
        return fetch(f"{base}/ds/x.tsv", tmp / "out" / "x.tsv", backoff=0, **kwargs)


def _http_404(tmp: Path) -> Any:
    root = tmp / "srv"
    root.mkdir()
    with serve_folder(root) as base:
        return fetch("http://orig.invalid/x", tmp / "res" / "x.tsv", mirror=base,
                     relpath="ds/x.tsv", backoff=0)


def _silent(tmp: Path) -> Any:
    with _silent_server() as base:
        return fetch(f"{base}/ds/x.tsv", tmp / "x.tsv", retries=1, timeout=0.3, backoff=0)


def _present(tmp: Path, data: bytes) -> Path:
    path = tmp / "resources" / "ds" / "x.tsv"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


def _ensure_present_corrupt(tmp: Path) -> Any:
    path = _present(tmp, DATA.replace(b"DMSO", b"DMSX"))
    entry = ManifestEntry("ds", "x.tsv", "http://orig.invalid/x", len(DATA), SHA)
    record = tmp / "resources" / "ds" / ".verified" / "x.tsv.tsv"
    # No network: an unreachable mirror would fail differently, and is never contacted.
    return ensure_input(entry, path, record=record, mirror=f"http://127.0.0.1:{_closed_port()}")


# ------------------------------------------------------------------ the table

DOWNLOAD_BAD_INPUTS: list[BadInput] = [
    # The manifest (config key data.manifest)
    BadInput("manifest_missing", lambda tmp: read_manifest(tmp / "nope.tsv"),
             ValueError, "does not exist (config key data.manifest)"),
    BadInput("manifest_is_a_folder", lambda tmp: read_manifest(tmp),
             ValueError, "is a folder"),
    BadInput("manifest_empty_file", _read(""), ValueError, "is empty"),
    BadInput("manifest_not_text", lambda tmp: read_manifest(
        (tmp / "m.tsv", (tmp / "m.tsv").write_bytes(b"\xff\xfe\x00bad\n"))[0]),
        ValueError, "not a tab-separated text table"),
    BadInput("manifest_unknown_column", _read(HEADER.rstrip("\n") + "\tmd5\n"),
             ValueError, "columns must be"),
    BadInput("manifest_missing_column", _read("dataset\tfile\turl\tbytes\n"),
             ValueError, "columns must be"),
    BadInput("manifest_columns_reordered", _read("dataset\tfile\turl\tsha256\tbytes\n"),
             ValueError, "columns must be"),
    BadInput("manifest_comma_separated", _read("dataset,file,url,bytes,sha256\n"),
             ValueError, "tab-separated"),
    BadInput("manifest_sha256_too_short", _read(HEADER + _row(sha="abc123")),
             ValueError, "line 2: column 'sha256' 'abc123' is not 64 hex digits"),
    BadInput("manifest_sha256_not_hex", _read(HEADER + _row(sha="g" * 64)),
             ValueError, "is not 64 hex digits"),
    BadInput("manifest_sha256_with_prefix", _read(HEADER + _row(sha=f"sha256:{SHA}")),
             ValueError, "column 'sha256'"),
    BadInput("manifest_bytes_not_a_number", _read(HEADER + _row(size="ten")),
             ValueError, "column 'bytes' 'ten' is not a whole number"),
    BadInput("manifest_bytes_negative", _read(HEADER + _row(size="-1")),
             ValueError, "column 'bytes' '-1'"),
    BadInput("manifest_empty_url", _read(HEADER + _row(url=" ")),
             ValueError, "column 'url' is empty"),
    BadInput("manifest_file_leaves_folder", _read(HEADER + _row(file="../x.tsv")),
             ValueError, "column 'file' '../x.tsv' must be a relative path"),
    BadInput("manifest_file_absolute", _read(HEADER + _row(file="/etc/x.tsv")),
             ValueError, "column 'file'"),
    BadInput("manifest_file_in_verified_folder", _read(HEADER + _row(file=".verified/x")),
             ValueError, "column 'file'"),
    BadInput("manifest_dataset_not_a_folder_name", _read(HEADER + _row(dataset="a b")),
             ValueError, "is not a plain folder name"),
    BadInput("manifest_duplicate_row", _read(HEADER + _row() + _row()),
             ValueError, "ds/x.tsv is listed twice (also line 2)"),
    BadInput("manifest_file_not_listed",
             lambda tmp: manifest_entry(read_manifest(_manifest(tmp, HEADER + _row())),
                                        "ds", "y.tsv"),
             ValueError, "ds/y.tsv is not listed in the manifest"),
    # Transport settings (config keys data.*)
    BadInput("mirror_unsupported_scheme",
             lambda tmp: source_url("http://h/x", "ds/x.tsv", "ftp://mirror/x"),
             ValueError, "data.mirror"),
    BadInput("retries_zero", lambda tmp: fetch("http://h/x", tmp / "x", retries=0),
             ValueError, "config key data.retries"),
    BadInput("retries_not_whole", lambda tmp: fetch("http://h/x", tmp / "x", retries=2.5),
             ValueError, "config key data.retries"),
    BadInput("timeout_zero", lambda tmp: fetch("http://h/x", tmp / "x", timeout=0),
             ValueError, "config key data.timeout"),
    BadInput("backoff_negative", lambda tmp: fetch("http://h/x", tmp / "x", backoff=-1),
             ValueError, "config key data.backoff"),
    BadInput("mirror_without_relpath",
             lambda tmp: fetch("http://h/x", tmp / "x", mirror=str(tmp)),
             ValueError, "relpath"),
    # Sources that do not have the file
    BadInput("mirror_folder_missing_the_file",
             lambda tmp: fetch("http://orig.invalid/x", tmp / "res" / "x.tsv",
                               mirror=str(_mirror(tmp, relpath="ds/other.tsv")),
                               relpath="ds/x.tsv", backoff=0),
             DownloadError, "does not exist. Either put the file at"),
    BadInput("mirror_folder_absent",
             lambda tmp: fetch("http://orig.invalid/x", tmp / "res" / "x.tsv",
                               mirror=str(tmp / "no-such-folder"), relpath="ds/x.tsv",
                               backoff=0),
             DownloadError, "data.mirror"),
    BadInput("http_mirror_404", _http_404, DownloadError, "answered HTTP 404"),
    BadInput("http_500_every_attempt", lambda tmp: _with_handler(_Status500, tmp, retries=2),
             DownloadError, "after 2 attempt(s) (HTTP 500 Internal Server Error)"),
    BadInput("unreachable_host",
             lambda tmp: fetch(f"http://127.0.0.1:{_closed_port()}/ds/x.tsv", tmp / "x.tsv",
                               retries=2, timeout=2, backoff=0),
             DownloadError, "offline, or the host is unreachable"),
    BadInput("server_never_answers", _silent, DownloadError, "after 1 attempt(s)"),
    BadInput("connection_closed_early", lambda tmp: _with_handler(_ShortRead, tmp, retries=1),
             DownloadError, "after 1 attempt(s) (ProtocolError: ('Connection broken"),
    # Bytes that are not the published ones
    BadInput("download_sha256_mismatch",
             lambda tmp: fetch("http://orig.invalid/x", tmp / "res" / "x.tsv", sha256=SHA,
                               mirror=str(_mirror(tmp, DATA + b"extra\n")),
                               relpath="ds/x.tsv", backoff=0),
             ChecksumMismatchError, f"expected sha256:{SHA}"),
    BadInput("download_size_mismatch",
             lambda tmp: fetch("http://orig.invalid/x", tmp / "res" / "x.tsv",
                               size=len(DATA) + 1, mirror=str(_mirror(tmp)),
                               relpath="ds/x.tsv", backoff=0),
             ChecksumMismatchError, f"size {len(DATA)} bytes, expected {len(DATA) + 1}"),
    BadInput("present_file_sha256_mismatch",
             lambda tmp: verify_file(_present(tmp, DATA + b"x"), sha256=SHA),
             ChecksumMismatchError, f"expected sha256 {SHA}, seen"),
    BadInput("present_file_size_mismatch",
             lambda tmp: verify_file(_present(tmp, DATA), sha256=SHA, size=len(DATA) - 1),
             ChecksumMismatchError, f"{len(DATA)} bytes, expected {len(DATA) - 1}"),
    BadInput("present_file_corrupt_is_checked_not_fetched", _ensure_present_corrupt,
             ChecksumMismatchError, "delete"),
]
