"""Fetching the input files listed in the manifest: resumable, verified, atomic.

This is the package's I/O module for downloads. A file is streamed to ``<dest>.part`` (resuming
with an HTTP Range request where a partial file exists and the server allows it), checked
against the size and sha256 published in the manifest, and only then moved to ``dest`` with
``os.replace``: ``dest`` either does not exist or is complete and verified.

Where the manifest publishes no checksum, the digest seen at the first download is recorded in a
sidecar table (``resources/<dataset>/.checksums.tsv``) and a warning is issued if a later download
of the same file yields a different one.

Sources: the manifest URL, or ``mirror`` + ``<dataset>/<file>`` where ``mirror`` is an
``http(s)://`` base URL, a ``file://`` URL or a plain local folder.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import logging
import os
import re
import shutil
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = [
    "MANIFEST_COLUMNS",
    "ChecksumMismatchError",
    "DownloadError",
    "ManifestEntry",
    "download_entry",
    "fetch",
    "manifest_entry",
    "read_manifest",
    "sha256sum",
    "source_url",
]

log = logging.getLogger(__name__)

#: Columns of ``config/manifest.tsv``, in order.
MANIFEST_COLUMNS: tuple[str, ...] = ("dataset", "file", "url", "bytes", "sha256")
#: Name of the per-dataset table of digests seen where none is published.
CHECKSUM_SIDECAR = ".checksums.tsv"
_CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DATASET = re.compile(r"^[A-Za-z0-9_.-]+$")


class DownloadError(RuntimeError):
    """A file could not be fetched (offline, unreachable, not found, wrong size)."""


class ChecksumMismatchError(DownloadError, ValueError):
    """The downloaded bytes do not have the expected sha256; the partial file was deleted."""


@dataclass(frozen=True)
class ManifestEntry:
    """One input file: ``resources/<dataset>/<file>``, its URL and (if known) size and sha256."""

    dataset: str
    file: str
    url: str
    bytes: int | None = None
    sha256: str | None = None

    @property
    def relpath(self) -> str:
        """``<dataset>/<file>``: the path under ``resources/`` and under a mirror."""
        return f"{self.dataset}/{self.file}"


# --------------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------------


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    """Read and validate the manifest (tab-separated, columns :data:`MANIFEST_COLUMNS`).

    Parameters
    ----------
    path : path-like
        The manifest file, e.g. ``config/manifest.tsv``.

    Returns
    -------
    DataFrame
        Columns ``dataset, file, url`` (str), ``bytes`` (nullable Int64) and ``sha256`` (str or
        None, lower case), one row per file, in file order.

    Raises
    ------
    ValueError
        Naming the file, and the row (line number) and column of the first bad value: a missing
        or extra column, an empty dataset/file/url, a file path that is absolute or leaves its
        folder, a non-integer size, a malformed sha256, or a duplicated ``<dataset>/<file>``.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ValueError(f"manifest {path} does not exist (config key data.manifest)") from None
    if tuple(df.columns) != MANIFEST_COLUMNS:
        raise ValueError(
            f"manifest {path}: columns must be {list(MANIFEST_COLUMNS)} (tab-separated), "
            f"got {list(df.columns)}"
        )
    sizes: list[int | None] = []
    digests: list[str | None] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(df.itertuples(index=False)):
        where = f"manifest {path}, line {i + 2}"
        for col in ("dataset", "file", "url"):
            if not getattr(row, col).strip():
                raise ValueError(f"{where}: column {col!r} is empty")
        if not _DATASET.match(row.dataset):
            raise ValueError(
                f"{where}: column 'dataset' {row.dataset!r} is not a plain folder name"
            )
        parts = Path(row.file).parts
        if Path(row.file).is_absolute() or ".." in parts or row.file.startswith(row.dataset + "/"):
            raise ValueError(
                f"{where}: column 'file' {row.file!r} must be a relative path inside "
                f"resources/{row.dataset}/ (without the dataset folder)"
            )
        size = row.bytes.strip()
        if size in ("", "NA"):
            sizes.append(None)
        elif size.isdigit():
            sizes.append(int(size))
        else:
            raise ValueError(f"{where}: column 'bytes' {row.bytes!r} is not a whole number")
        digest = row.sha256.strip().lower()
        if digest in ("", "na", "unknown"):
            digests.append(None)
        elif _SHA256.match(digest):
            digests.append(digest)
        else:
            raise ValueError(f"{where}: column 'sha256' {row.sha256!r} is not 64 hex digits")
        key = f"{row.dataset}/{row.file}"
        if key in seen:
            raise ValueError(f"{where}: {key} is listed twice (also line {seen[key]})")
        seen[key] = i + 2
    out = df.copy()
    out["bytes"] = pd.array(sizes, dtype="Int64")
    out["sha256"] = pd.Series(digests, dtype=object)
    return out


def manifest_entry(manifest: pd.DataFrame, dataset: str, file: str) -> ManifestEntry:
    """The manifest row of ``resources/<dataset>/<file>``; ValueError naming it if absent."""
    hit = manifest[(manifest["dataset"] == dataset) & (manifest["file"] == file)]
    if hit.empty:
        raise ValueError(f"{dataset}/{file} is not listed in the manifest")
    row = hit.iloc[0]
    size = row["bytes"]
    return ManifestEntry(
        dataset=dataset,
        file=file,
        url=row["url"],
        bytes=None if pd.isna(size) else int(size),
        sha256=row["sha256"] if isinstance(row["sha256"], str) else None,
    )


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------


def sha256sum(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def source_url(url: str, relpath: str, mirror: str | os.PathLike | None) -> str:
    """Where to fetch from: ``url`` itself, or ``mirror`` joined with ``relpath``.

    ``mirror`` may be an ``http(s)://`` or ``file://`` base URL or a local folder path; the
    result for a folder is a ``file://`` URL.
    """
    if mirror is None or str(mirror) == "":
        return url
    mirror = str(mirror)
    scheme = urllib.parse.urlparse(mirror).scheme.lower()
    if scheme in ("http", "https", "file"):
        return mirror.rstrip("/") + "/" + urllib.parse.quote(relpath)
    if len(scheme) > 1:  # a single letter is a Windows drive
        raise ValueError(
            f"data.mirror {mirror!r}: use an http(s):// or file:// URL or a local folder path"
        )
    return Path(mirror).resolve().joinpath(relpath).as_uri()


def _ways_out(dest: Path) -> str:
    return (
        f"Either put the file at {dest} yourself, or set the config key data.mirror to a base "
        "URL (http(s):// or file://) or a local folder laid out like the manifest "
        "(<dataset>/<file>), e.g. --config data='{mirror: /path/to/folder}'."
    )


class _Transient(Exception):
    """An attempt failed in a way another attempt may fix (timeouts, resets, 5xx, short read)."""


def _open(url: str, offset: int, timeout: float):
    """Open ``url`` from byte ``offset``; returns (stream, resumed, total or None)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        local = Path(urllib.request.url2pathname(parsed.path))
        if not local.is_file():
            raise FileNotFoundError(str(local))
        fh = open(local, "rb")  # noqa: SIM115 (closed by the caller)
        total = local.stat().st_size
        if 0 < offset <= total:
            fh.seek(offset)
            return fh, True, total
        return fh, False, total
    request = urllib.request.Request(url, headers={"User-Agent": "mapeval-download/1"})
    if offset > 0:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http/https only)
    except urllib.error.HTTPError as err:
        if err.code == 416:  # the partial file is not a prefix we can extend: start again
            err.close()
            return _open(url, 0, timeout)
        raise
    length = response.headers.get("Content-Length")
    if response.status == 206:
        match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", response.headers.get("Content-Range", ""))
        if match and int(match.group(1)) == offset:
            total = None if match.group(2) == "*" else int(match.group(2))
            return response, True, total
        # A range we did not ask for: start again without one.
        response.close()
        if offset == 0:
            raise _Transient(f"unexpected partial content from {url}")
        return _open(url, 0, timeout)
    return response, False, (int(length) if length and length.isdigit() else None)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _record_checksum(sidecar: Path, name: str, digest: str, size: int, url: str) -> None:
    """Remember the digest of a file without a published checksum; warn if it changed."""
    columns = ["file", "sha256", "bytes", "url", "first_seen"]
    with _locked(sidecar):
        table = (
            pd.read_csv(sidecar, sep="\t", dtype=str, keep_default_na=False)
            if sidecar.is_file()
            else pd.DataFrame(columns=columns)
        )
        previous = table.loc[table["file"] == name, "sha256"]
        if not previous.empty and previous.iloc[0] != digest:
            message = (
                f"{name}: sha256 {digest} differs from {previous.iloc[0]} recorded in {sidecar} "
                f"at an earlier download (no checksum is published for it; source {url}). "
                "The upstream file may have changed."
            )
            warnings.warn(message, stacklevel=3)
            log.warning(message)
        elif not previous.empty:
            return
        table = table[table["file"] != name]
        now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        table = pd.concat(
            [table, pd.DataFrame([[name, digest, str(size), url, now]], columns=columns)],
            ignore_index=True,
        )
        tmp = sidecar.with_name(sidecar.name + ".tmp")
        table.to_csv(tmp, sep="\t", index=False)
        os.replace(tmp, sidecar)


def _attempt(url: str, part: Path, size: int | None, timeout: float) -> bool:
    """Stream ``url`` into ``part`` (resuming if possible). Returns True if it resumed."""
    offset = part.stat().st_size if part.is_file() else 0
    if size is not None and offset >= size:
        offset = 0  # a complete (or overlong) leftover: verify by downloading afresh
    stream, resumed, total = _open(url, offset, timeout)
    with stream, open(part, "ab" if resumed else "wb") as out:
        if resumed:
            log.info("resuming %s at byte %d", url, offset)
        shutil.copyfileobj(stream, out, _CHUNK)
    got = part.stat().st_size
    if total is not None and got < total:
        raise _Transient(f"connection closed after {got} of {total} bytes")
    return resumed


def fetch(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    size: int | None = None,
    retries: int = 3,
    timeout: float = 60,
    mirror: str | os.PathLike | None = None,
    relpath: str | None = None,
    backoff: float = 2.0,
    checksum_log: str | os.PathLike | None = None,
) -> Path:
    """Download ``url`` to ``dest``, verified and atomically.

    Parameters
    ----------
    url : str
        The original location (http(s)://, file:// or a local path).
    dest : path-like
        Final path; bytes are written to ``<dest>.part`` and moved into place once verified.
        An existing ``.part`` is resumed (HTTP Range) or, if the server ignores ranges, restarted.
    sha256, size : optional
        Published sha256 (hex) and size in bytes. A size or checksum mismatch deletes the partial
        file and raises :class:`ChecksumMismatchError`.
    retries : int
        Attempts in all (>= 1) for transient failures: timeouts, refused or reset connections,
        HTTP 5xx/429, short reads. "Not found" (HTTP 404/410, missing local file) is not retried.
    timeout : float
        Seconds to wait for the server per attempt.
    mirror : optional
        Base URL or folder to fetch ``relpath`` from instead of ``url``.
    relpath : str, optional
        ``<dataset>/<file>``; required with ``mirror``.
    backoff : float
        Seconds before the second attempt, doubled after each further failure.
    checksum_log : path-like, optional
        Sidecar table where the digest is recorded when ``sha256`` is None (warns if it differs
        from a recorded one).

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    ChecksumMismatchError
        The bytes differ from the published size/sha256 (message: URL, expected and seen).
    DownloadError
        The file cannot be had from the source (message: file, URL and the two ways out).
    """
    dest = Path(dest)
    if retries < 1:
        raise ValueError(f"retries must be >= 1 (config key data.retries), got {retries}")
    if mirror not in (None, "") and relpath is None:
        raise ValueError("fetch: relpath (<dataset>/<file>) is required with a mirror")
    src = source_url(url, relpath or "", mirror) if mirror not in (None, "") else url
    if "://" not in src:  # a plain local path
        src = Path(src).resolve().as_uri()
    expected = sha256.lower() if sha256 else None
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)

    last_error: BaseException | None = None
    for attempt in range(1, retries + 1):
        if attempt > 1:
            time.sleep(backoff * 2 ** (attempt - 2))
        try:
            resumed = _attempt(src, part, size, timeout)
        except FileNotFoundError:
            raise DownloadError(
                f"cannot download {dest.name}: {src} does not exist. {_ways_out(dest)}"
            ) from None
        except urllib.error.HTTPError as err:
            if err.code in (408, 429) or err.code >= 500:
                last_error = err
                log.warning("attempt %d/%d for %s: %s", attempt, retries, src, err)
                continue
            raise DownloadError(
                f"cannot download {dest.name}: {src} answered HTTP {err.code} {err.reason}. "
                f"{_ways_out(dest)}"
            ) from None
        except (
            urllib.error.URLError,
            TimeoutError,
            socket.timeout,
            ConnectionError,
            _Transient,
        ) as err:
            last_error = err
            log.warning("attempt %d/%d for %s: %s", attempt, retries, src, err)
            continue

        got_size = part.stat().st_size
        seen = sha256sum(part)
        size_bad = size is not None and got_size != size
        sum_bad = expected is not None and seen != expected
        if size_bad or sum_bad:
            part.unlink()
            if resumed and attempt < retries:
                # The kept prefix may have been the corrupt part: try once more from byte 0.
                log.warning("%s failed verification after resuming; restarting", src)
                last_error = None
                continue
            detail = f"size {got_size} bytes, expected {size}" if size_bad else "wrong content"
            raise ChecksumMismatchError(
                f"checksum mismatch for {dest.name} from {src} ({detail}): expected sha256 "
                f"{expected or '(not published)'}, seen {seen}. The partial file was deleted."
            )
        if expected is None and checksum_log is not None:
            sidecar = Path(checksum_log)
            try:
                name = dest.resolve().relative_to(sidecar.parent.resolve()).as_posix()
            except ValueError:
                name = dest.name
            _record_checksum(sidecar, name, seen, got_size, src)
        os.replace(part, dest)
        return dest

    reason = f"{type(last_error).__name__}: {last_error}" if last_error else "verification failed"
    raise DownloadError(
        f"cannot download {dest.name} from {src} after {retries} attempt(s) ({reason}); "
        f"offline or the host is unreachable. {_ways_out(dest)}"
    )


def download_entry(
    entry: ManifestEntry,
    resources: str | os.PathLike = "resources",
    *,
    mirror: str | os.PathLike | None = None,
    retries: int = 3,
    timeout: float = 60,
    backoff: float = 2.0,
) -> Path:
    """Fetch one manifest entry to ``<resources>/<dataset>/<file>`` (see :func:`fetch`).

    Digests of files without a published checksum go to
    ``<resources>/<dataset>/.checksums.tsv``.
    """
    root = Path(resources) / entry.dataset
    return fetch(
        entry.url,
        root / entry.file,
        sha256=entry.sha256,
        size=entry.bytes,
        retries=retries,
        timeout=timeout,
        mirror=mirror,
        relpath=entry.relpath,
        backoff=backoff,
        checksum_log=root / CHECKSUM_SIDECAR,
    )
