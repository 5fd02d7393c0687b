"""The input files listed in the manifest: fetched once, verified before first use, never lost.

This is the package's I/O module for inputs. `pooch <https://www.fatiando.org/pooch>`_ carries the
download pipeline: each file is fetched by :func:`pooch.retrieve` into a temporary file next to
its destination, checked against the sha256 published in the manifest, and only then moved into
place, so ``resources/<dataset>/<file>`` either does not exist or is complete and verified. What
pooch cannot do is kept here, in :class:`ResumableDownloader` (a pooch downloader): the bytes are
streamed into a persistent ``<dest>.part`` that a later attempt resumes with an HTTP Range
request (the 490 MB LINCS profiles need not start again after a dropped connection), local
mirrors are copied, the size published in the manifest is checked, and a tqdm progress bar is
written to the log. Retries with a doubling back-off are also ours (:func:`fetch`): pooch retries
a "not found" like a timeout and waits a fixed time, which is not what ``data.retries`` and
``data.backoff`` promise.

A file that is already present (put there by hand, or left by an earlier run) is never fetched
again and never deleted: :func:`ensure_input` checks it against the manifest instead and writes a
verification record (``resources/<dataset>/.verified/<file>.tsv``). While the record still
vouches for the file (same size, not modified since, same published digest:
:func:`record_is_current`) nothing is checked again; otherwise :func:`renew_check_request`,
called when the workflow is parsed, asks for a new check.

Where the manifest publishes no checksum, the digest seen the first time is recorded in
``resources/<dataset>/.checksums.tsv`` and a warning is issued if a later copy differs.

Sources: the manifest URL, or ``mirror`` + ``<dataset>/<file>`` where ``mirror`` is an
``http(s)://`` base URL, a ``file://`` URL or a plain local folder.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import io
import logging
import os
import re
import shutil
import sys
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pooch
import requests
import urllib3
from tqdm import tqdm

__all__ = [
    "CHECKSUM_SIDECAR",
    "MANIFEST_COLUMNS",
    "ChecksumMismatchError",
    "DownloadError",
    "ManifestEntry",
    "ResumableDownloader",
    "check_request_path",
    "download_entry",
    "ensure_input",
    "fetch",
    "manifest_entry",
    "read_manifest",
    "read_record",
    "record_is_current",
    "renew_check_request",
    "resolve_manifest",
    "sha256sum",
    "source_url",
    "verification_record_path",
    "verify_file",
]

log = logging.getLogger(__name__)

#: Columns of ``config/manifest.tsv``, in order.
MANIFEST_COLUMNS: tuple[str, ...] = ("dataset", "file", "url", "bytes", "sha256")
#: Name of the per-dataset table of digests seen where none is published.
CHECKSUM_SIDECAR = ".checksums.tsv"
#: Folder (inside ``resources/<dataset>/``) of the per-file verification records.
VERIFIED_DIR = ".verified"
#: Columns of a verification record.
RECORD_COLUMNS: tuple[str, ...] = (
    "file", "bytes", "sha256", "checked_against", "source", "verified"
)
_CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DATASET = re.compile(r"^[A-Za-z0-9_.-]+$")
#: Snakemake touches a job's outputs one after the other once it finishes; a file modified more
#: than this many seconds after its record was written has changed since it was verified.
_MTIME_SLACK_NS = 1_000_000_000


class DownloadError(RuntimeError):
    """A file could not be fetched (offline, unreachable, not found, wrong size)."""


class ChecksumMismatchError(DownloadError, ValueError):
    """The bytes do not have the published size or sha256 (message: file, digests, ways out)."""


class _Transient(Exception):
    """An attempt failed in a way another attempt may fix (short read, odd partial content)."""


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


def resolve_manifest(path: str | os.PathLike, workflow_root: str | os.PathLike) -> Path:
    """Where the manifest ``path`` (config key ``data.manifest``) is.

    A relative path is looked up in the working directory first, then in ``workflow_root`` (the
    folder of the Snakefile), so that ``snakemake -d elsewhere`` still finds the bundled
    ``config/manifest.tsv``. Returns ``path`` unchanged when neither exists (the reader then
    names it).
    """
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    bundled = Path(workflow_root) / path
    return bundled if bundled.exists() else path


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
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise ValueError(f"manifest {path} {what} (config key data.manifest)")
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"manifest {path} is empty: it needs the header {list(MANIFEST_COLUMNS)} "
            "(config key data.manifest)"
        ) from None
    except (UnicodeDecodeError, pd.errors.ParserError) as err:
        raise ValueError(
            f"manifest {path} is not a tab-separated text table (config key data.manifest): {err}"
        ) from None
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
        size, digest = _check_manifest_row(row, where)
        sizes.append(size)
        digests.append(digest)
        key = f"{row.dataset}/{row.file}"
        if key in seen:
            raise ValueError(f"{where}: {key} is listed twice (also line {seen[key]})")
        seen[key] = i + 2
    out = df.copy()
    out["bytes"] = pd.array(sizes, dtype="Int64")
    out["sha256"] = pd.Series(digests, dtype=object)
    return out


def _check_manifest_row(row: Any, where: str) -> tuple[int | None, str | None]:
    """The size and sha256 of one manifest row (None where unpublished); ValueError naming
    ``where`` and the column of the first bad value."""
    for col in ("dataset", "file", "url"):
        if not getattr(row, col).strip():
            raise ValueError(f"{where}: column {col!r} is empty")
    if not _DATASET.match(row.dataset):
        raise ValueError(f"{where}: column 'dataset' {row.dataset!r} is not a plain folder name")
    parts = Path(row.file).parts
    if (
        Path(row.file).is_absolute()
        or ".." in parts
        or row.file.startswith(row.dataset + "/")
        or VERIFIED_DIR in parts
        or row.file == CHECKSUM_SIDECAR
    ):
        raise ValueError(
            f"{where}: column 'file' {row.file!r} must be a relative path inside "
            f"resources/{row.dataset}/ (without the dataset folder, not in "
            f"{VERIFIED_DIR}/ or named {CHECKSUM_SIDECAR})"
        )
    size = row.bytes.strip()
    if size in ("", "NA"):
        size_value = None
    elif size.isdigit():
        size_value = int(size)
    else:
        raise ValueError(f"{where}: column 'bytes' {row.bytes!r} is not a whole number")
    digest = row.sha256.strip().lower()
    if digest in ("", "na", "unknown"):
        return size_value, None
    if not _SHA256.match(digest):
        raise ValueError(f"{where}: column 'sha256' {row.sha256!r} is not 64 hex digits")
    return size_value, digest


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
# Sources and the resumable pooch downloader
# --------------------------------------------------------------------------------------------


def sha256sum(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes (:func:`pooch.file_hash`)."""
    return pooch.file_hash(str(path), alg="sha256")


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


class _LineStream(io.TextIOBase):
    """Writes a progress bar's redraws as separate lines (a log file is not a terminal)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(text.replace("\r", "\n"))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


def _progress_stream(progress: bool | IO[str] | None) -> IO[str] | None:
    if progress is None or progress is False:
        return None
    stream = sys.stderr if progress is True else progress
    isatty = getattr(stream, "isatty", lambda: False)
    return stream if isatty() else _LineStream(stream)


class ResumableDownloader:
    """A pooch downloader that resumes: ``url`` is streamed into a persistent ``part`` file.

    Called by :func:`pooch.retrieve` as ``downloader(url, output_file, pooch)``. A ``part`` left
    by an interrupted attempt is extended with an HTTP ``Range: bytes=<n>-`` request (and started
    again if the server answers with the whole file); ``file://`` URLs are copied. Once the
    transfer is complete (and has the published ``size``) ``part`` is moved onto pooch's
    ``output_file``; pooch then checks the sha256 and moves it into place.

    Parameters
    ----------
    part : path-like
        Where the bytes accumulate (``<dest>.part``); kept when an attempt fails part-way.
    size : int, optional
        Published size in bytes; a longer or shorter complete transfer raises
        :class:`ChecksumMismatchError` (and deletes ``part``).
    timeout : float
        Seconds to wait for the server (connecting, and between two reads).
    progress : bool or text stream, optional
        Where to draw a tqdm progress bar (True: stderr; None/False: no bar).

    Attributes
    ----------
    resumed : bool
        Whether the last call extended an existing partial file.
    """

    def __init__(
        self,
        part: str | os.PathLike,
        *,
        size: int | None = None,
        timeout: float = 60,
        progress: bool | IO[str] | None = None,
    ) -> None:
        self.part = Path(part)
        self.size = size
        self.timeout = timeout
        self.progress = progress
        self.resumed = False

    def __call__(
        self,
        url: str,
        output_file: str | IO[bytes],
        pooch_obj: Any = None,
        check_only: bool = False,
    ) -> bool | None:
        parsed = urllib.parse.urlparse(url)
        local = None
        if parsed.scheme == "file":
            local = Path(urllib.request.url2pathname(parsed.path))
        if check_only:
            if local is not None:
                return local.is_file()
            with requests.head(url, timeout=self.timeout, allow_redirects=True) as response:
                return response.status_code == 200
        self.resumed = False
        self.part.parent.mkdir(parents=True, exist_ok=True)
        if local is not None:
            self._copy(local)
        else:
            self._stream(url)
        got = self.part.stat().st_size
        if self.size is not None and got != self.size:
            self.part.unlink()
            raise ChecksumMismatchError(
                f"size {got} bytes, expected {self.size}; the partial file was deleted."
            )
        if isinstance(output_file, (str, os.PathLike)):
            os.replace(self.part, output_file)  # same folder: pooch's temporary file
        else:  # a file object (pooch's protocol allows it)
            with open(self.part, "rb") as fh:
                shutil.copyfileobj(fh, output_file, _CHUNK)
            self.part.unlink()
        return None

    def _bar(self, total: int | None, initial: int) -> tqdm:
        stream = _progress_stream(self.progress)
        return tqdm(
            total=total,
            initial=initial,
            desc=self.part.name.removesuffix(".part"),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            ascii=True,
            mininterval=10 if isinstance(stream, _LineStream) else 0.5,
            file=stream,
            disable=stream is None,
        )

    def _copy(self, local: Path) -> None:
        if not local.is_file():
            raise FileNotFoundError(str(local))
        with (
            open(local, "rb") as src,
            open(self.part, "wb") as out,
            self._bar(local.stat().st_size, 0) as bar,
        ):
            for chunk in iter(lambda: src.read(_CHUNK), b""):
                out.write(chunk)
                bar.update(len(chunk))

    def _stream(self, url: str) -> None:
        offset = self.part.stat().st_size if self.part.is_file() else 0
        if self.size is not None and offset >= self.size:
            offset = 0  # a complete (or overlong) leftover: verify by downloading afresh
        headers = {"User-Agent": "mapreprod-download/2", "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
            if response.status_code == 416 and offset:
                # The partial file is not a prefix we can extend: start again.
                self.part.unlink()
                return self._stream(url)
            response.raise_for_status()
            resumed, total = False, None
            if response.status_code == 206:
                match = re.match(
                    r"bytes (\d+)-\d+/(\d+|\*)", response.headers.get("Content-Range", "")
                )
                if not (offset and match and int(match.group(1)) == offset):
                    # A range we did not ask for: start again without one.
                    if not offset:
                        raise _Transient(f"unexpected partial content from {url}")
                    self.part.unlink()
                    response.close()
                    return self._stream(url)
                resumed = True
                total = None if match.group(2) == "*" else int(match.group(2))
                log.info("resuming %s at byte %d", url, offset)
            else:
                length = response.headers.get("Content-Length", "")
                total = int(length) if length.isdigit() else None
            start = offset if resumed else 0
            with (
                open(self.part, "ab" if resumed else "wb") as out,
                self._bar(total, start) as bar,
            ):
                for chunk in response.raw.stream(_CHUNK, decode_content=False):
                    out.write(chunk)
                    bar.update(len(chunk))
        got = self.part.stat().st_size
        if total is not None and got < total:
            raise _Transient(f"connection closed after {got} of {total} bytes")
        self.resumed = resumed
        return None


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def _pooch_quiet_about_hashes() -> Iterator[None]:
    """pooch advises passing the digest it logs to ``pooch.retrieve``; ours go to the manifest
    (or the sidecar table), so only its warnings are let through while we fetch."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


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
                f"earlier (no checksum is published for it; source {url}). "
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


def _sidecar_name(dest: Path, sidecar: Path) -> str:
    try:
        return dest.resolve().relative_to(sidecar.parent.resolve()).as_posix()
    except ValueError:
        return dest.name


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _http_status(err: requests.HTTPError) -> tuple[int, str]:
    response = err.response
    if response is None:
        return 0, str(err)
    return response.status_code, response.reason or ""


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
    progress: bool | IO[str] | None = None,
) -> Path:
    """Download ``url`` to ``dest``, verified and atomically (:func:`pooch.retrieve`).

    Parameters
    ----------
    url : str
        The original location (http(s)://, file:// or a local path).
    dest : path-like
        Final path. pooch writes to a temporary file beside it and moves it into place once the
        sha256 matches; the bytes accumulate in ``<dest>.part``, which a later attempt resumes
        (HTTP Range) or, if the server ignores ranges, restarts. A present ``dest`` that already
        matches ``sha256`` is kept as it is.
    sha256, size : optional
        Published sha256 (hex) and size in bytes. A size or checksum mismatch deletes the partial
        file and raises :class:`ChecksumMismatchError`.
    retries : int
        Attempts in all (>= 1) for transient failures: timeouts, refused or reset connections,
        HTTP 5xx/408/429, short reads. "Not found" (HTTP 404/410, missing local file) is not
        retried.
    timeout : float
        Seconds to wait for the server (connecting, and between two reads).
    mirror : optional
        Base URL or folder to fetch ``relpath`` from instead of ``url``.
    relpath : str, optional
        ``<dataset>/<file>``; required with ``mirror``.
    backoff : float
        Seconds before the second attempt, doubled after each further failure.
    checksum_log : path-like, optional
        Sidecar table where the digest is recorded when ``sha256`` is None (warns if it differs
        from a recorded one).
    progress : bool or text stream, optional
        Draw a tqdm progress bar there (True: stderr). Redraws go on separate lines when the
        stream is not a terminal (a log file).

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
    ValueError
        ``retries`` < 1, ``timeout`` <= 0, ``backoff`` < 0, an unusable ``mirror``, or
        ``mirror`` without ``relpath`` (each naming its config key).
    """
    dest = Path(dest)
    check_transport(retries, timeout, backoff)
    if mirror not in (None, "") and relpath is None:
        raise ValueError("fetch: relpath (<dataset>/<file>) is required with a mirror")
    src = source_url(url, relpath or "", mirror) if mirror not in (None, "") else url
    if "://" not in src:  # a plain local path
        src = Path(src).resolve().as_uri()
    expected = sha256.lower() if sha256 else None
    downloader = ResumableDownloader(
        dest.with_name(dest.name + ".part"), size=size, timeout=timeout, progress=progress
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    log.info("fetching %s from %s", dest, src)

    last_error: BaseException | None = None
    for attempt in range(1, retries + 1):
        if attempt > 1:
            time.sleep(backoff * 2 ** (attempt - 2))
        try:
            _retrieve(src, dest, expected, downloader, may_restart=attempt < retries)
        except _Retry as retry:
            last_error = retry.cause
            if retry.cause is None:
                log.warning("%s failed verification after resuming; restarting", src)
            else:
                log.warning("attempt %d/%d for %s: %s", attempt, retries, src, retry.cause)
            continue
        if expected is None and checksum_log is not None:
            sidecar = Path(checksum_log)
            name = _sidecar_name(dest, sidecar)
            _record_checksum(sidecar, name, sha256sum(dest), dest.stat().st_size, src)
        return dest
    raise DownloadError(_failure_message(dest, src, retries, last_error))


def check_transport(retries: object, timeout: object, backoff: object) -> None:
    """ValueError naming the config key (data.retries, data.timeout, data.backoff) of a bad
    transport setting."""
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
        raise ValueError(
            f"retries must be a whole number >= 1 (config key data.retries), got {retries!r}"
        )
    if not _number(timeout) or not timeout > 0:
        raise ValueError(f"timeout must be a number > 0 (config key data.timeout): {timeout!r}")
    if not _number(backoff) or not backoff >= 0:
        raise ValueError(f"backoff must be a number >= 0 (config key data.backoff): {backoff!r}")


class _Retry(Exception):
    """One attempt failed in a way worth another (``cause``; None: restart after resuming)."""

    def __init__(self, cause: BaseException | None) -> None:
        super().__init__(str(cause))
        self.cause = cause


#: Failures of one attempt that another attempt may not meet.
_TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError,
    TimeoutError,
    ConnectionError,
    _Transient,
)


def _retrieve(
    src: str, dest: Path, expected: str | None, downloader: ResumableDownloader, may_restart: bool
) -> None:
    """One attempt of :func:`fetch`: the file in place and verified, or an error sorted into
    _Retry (try again), DownloadError (the source cannot give it) or ChecksumMismatchError."""
    try:
        with _pooch_quiet_about_hashes():
            pooch.retrieve(
                src,
                known_hash=f"sha256:{expected}" if expected else None,
                fname=dest.name,
                path=dest.parent,
                downloader=downloader,
            )
    except FileNotFoundError:
        raise DownloadError(
            f"cannot download {dest.name}: {src} does not exist. {_ways_out(dest)}"
        ) from None
    except requests.HTTPError as err:
        code, reason = _http_status(err)
        if code in (408, 429) or code >= 500:
            raise _Retry(_Transient(f"HTTP {code} {reason}")) from None
        raise DownloadError(
            f"cannot download {dest.name}: {src} answered HTTP {code} {reason}. "
            f"{_ways_out(dest)}"
        ) from None
    except _TRANSIENT_ERRORS as err:
        raise _Retry(err) from None
    except ValueError as err:  # our size check, or pooch's sha256 check (bytes deleted)
        if downloader.resumed and may_restart:
            # The kept prefix may have been the corrupt part: try once more from byte 0.
            raise _Retry(None) from None
        raise ChecksumMismatchError(
            f"checksum mismatch for {dest.name} from {src}: {err} The source may be "
            "corrupt, or the manifest (config key data.manifest) out of date."
        ) from None


def _failure_message(dest: Path, src: str, retries: int, last_error: BaseException | None) -> str:
    if isinstance(last_error, _Transient):
        reason = str(last_error)
    elif last_error is not None:
        reason = f"{type(last_error).__name__}: {last_error}"
    else:
        reason = "verification failed"
    return (
        f"cannot download {dest.name} from {src} after {retries} attempt(s) ({reason}); "
        f"offline, or the host is unreachable or failing. {_ways_out(dest)}"
    )


def download_entry(
    entry: ManifestEntry,
    resources: str | os.PathLike = "resources",
    *,
    mirror: str | os.PathLike | None = None,
    retries: int = 3,
    timeout: float = 60,
    backoff: float = 2.0,
    progress: bool | IO[str] | None = None,
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
        progress=progress,
    )


# --------------------------------------------------------------------------------------------
# Files already present: verified, never fetched over or deleted
# --------------------------------------------------------------------------------------------


def verification_record_path(resources: str | os.PathLike, dataset: str, file: str) -> Path:
    """``<resources>/<dataset>/.verified/<file>.tsv``: the record that ``<file>`` was checked."""
    return Path(resources) / dataset / VERIFIED_DIR / f"{file}.tsv"


def check_request_path(resources: str | os.PathLike, dataset: str, file: str) -> Path:
    """``<resources>/<dataset>/.verified/<file>.to-check``: see :func:`renew_check_request`."""
    return Path(resources) / dataset / VERIFIED_DIR / f"{file}.to-check"


def read_record(record: str | os.PathLike) -> dict[str, str] | None:
    """The verification record as a dict (:data:`RECORD_COLUMNS`), or None if absent/unreadable."""
    try:
        table = pd.read_csv(record, sep="\t", dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError):
        return None
    if tuple(table.columns) != RECORD_COLUMNS or len(table) != 1:
        return None
    return table.iloc[0].to_dict()


def record_is_current(
    record: str | os.PathLike, path: str | os.PathLike, sha256: str | None = None
) -> bool:
    """Whether ``record`` still vouches for ``path`` (no hashing; cheap enough for planning).

    True when both exist, the record names the file's present size, the file was not modified
    after the record was written (within a second: Snakemake touches a job's outputs in turn),
    and, where the manifest publishes ``sha256``, the record holds that digest.
    """
    record, path = Path(record), Path(path)
    if not (record.is_file() and path.is_file()):
        return False
    row = read_record(record)
    if row is None:
        return False
    stat = path.stat()
    return (
        row["bytes"] == str(stat.st_size)
        and stat.st_mtime_ns <= record.stat().st_mtime_ns + _MTIME_SLACK_NS
        and (sha256 is None or row["sha256"] == sha256.lower())
    )


def renew_check_request(
    resources: str | os.PathLike, dataset: str, file: str, sha256: str | None = None
) -> bool:
    """Renew the check request of a present file that no record vouches for.

    Called while the workflow is parsed, before Snakemake looks at any file (no hashing, no
    network). The download rule's only input is the check request (:func:`check_request_path`).
    When ``<resources>/<dataset>/<file>`` is present but its verification record no longer
    vouches for it (:func:`record_is_current`: none yet, e.g. a file put there by hand; the
    file modified since; another digest in the manifest), the request is rewritten, with new
    content and a new time stamp: Snakemake sees an updated input and runs the download job,
    which checks the file before any rule reads it. (Snakemake ignores a newer input whose
    checksum it has recorded, hence the new content.)

    Returns
    -------
    bool
        Whether a check was requested.
    """
    path = Path(resources) / dataset / file
    record = verification_record_path(resources, dataset, file)
    if not path.exists() or record_is_current(record, path, sha256):
        return False
    reason = (
        "present without a verification record"
        if not record.exists()
        else "changed since it was verified, or the manifest's digest changed"
    )
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")
    request = check_request_path(resources, dataset, file)
    request.parent.mkdir(parents=True, exist_ok=True)
    request.write_text(f"{dataset}/{file}: {reason}; check requested at {now}\n")
    return True


def _write_record(
    record: Path, name: str, size: int, digest: str, against: str, source: str
) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    table = pd.DataFrame([[name, str(size), digest, against, source, now]], columns=RECORD_COLUMNS)
    tmp = record.with_name(record.name + ".tmp")
    table.to_csv(tmp, sep="\t", index=False)
    os.replace(tmp, record)


def verify_file(
    path: str | os.PathLike,
    *,
    sha256: str | None = None,
    size: int | None = None,
    manifest: str | os.PathLike = "config/manifest.tsv",
    checksum_log: str | os.PathLike | None = None,
) -> str:
    """Check a present file against its published size and sha256; returns its sha256.

    Parameters
    ----------
    path : path-like
        The file, e.g. ``resources/nelisa/nelisa_profiles.parquet``.
    sha256, size : optional
        Published sha256 (hex) and size in bytes (None: not published).
    manifest : path-like
        Named in the error message (where the published digest comes from).
    checksum_log : path-like, optional
        Where no digest is published: sidecar table in which the digest seen first is recorded
        (a later, different one warns).

    Raises
    ------
    ChecksumMismatchError
        Naming the file, the expected and the seen digest (and sizes), and the ways out: delete
        it to have it downloaded again (with data.mirror if the host is unreachable), put the
        right file there, or correct the manifest.
    """
    path = Path(path)
    seen = sha256sum(path)
    got = path.stat().st_size
    expected = sha256.lower() if sha256 else None
    if expected is None:
        if checksum_log is not None:
            sidecar = Path(checksum_log)
            _record_checksum(sidecar, _sidecar_name(path, sidecar), seen, got, "found in place")
        return seen
    if seen != expected or (size is not None and got != size):
        sizes = f"{got} bytes" + (f", expected {size}" if size is not None else "")
        raise ChecksumMismatchError(
            f"{path} does not match the manifest {manifest}: expected sha256 {expected}, seen "
            f"{seen} ({sizes}). It was already in place (put there by hand, or left by an "
            "earlier run), so it was checked before any rule of this run reads it. "
            f"Ways out: delete {path} to have it downloaded again (set data.mirror to a base URL "
            "or a local folder laid out <dataset>/<file> if the original host is unreachable); "
            f"or put the right file there; or, if the manifest is out of date, correct the "
            f"sha256 (and bytes) of this file in {manifest} (config key data.manifest)."
        )
    return seen


def ensure_input(
    entry: ManifestEntry,
    dest: str | os.PathLike,
    *,
    record: str | os.PathLike,
    mirror: str | os.PathLike | None = None,
    retries: int = 3,
    timeout: float = 60,
    backoff: float = 2.0,
    progress: bool | IO[str] | None = None,
    manifest: str | os.PathLike = "config/manifest.tsv",
) -> Path:
    """Make ``dest`` present and verified: check it if it is there, fetch it if not.

    A present file is never fetched over or deleted: it is checked against the manifest
    (:func:`verify_file`). A missing one is fetched (:func:`fetch`). Either way the verification
    record is written.

    Parameters
    ----------
    entry : ManifestEntry
        The manifest row of the file.
    dest : path-like
        ``resources/<dataset>/<file>``.
    record : path-like
        The verification record to write (:func:`verification_record_path`).
    mirror, retries, timeout, backoff, progress
        Transport settings, as in :func:`fetch` (used only when the file is missing).
    manifest : path-like
        The manifest's path, named in error messages.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    ChecksumMismatchError
        A present file differs from the manifest (the file is left in place), or a downloaded
        one does (nothing is left).
    DownloadError
        A missing file cannot be had (message: file, URL, ways out).
    """
    dest, record = Path(dest), Path(record)
    root = dest.parents[len(Path(entry.file).parts) - 1]
    sidecar = root / CHECKSUM_SIDECAR
    if dest.is_file():
        log.info("%s is present: checking it against the manifest instead of fetching", dest)
        digest = verify_file(
            dest,
            sha256=entry.sha256,
            size=entry.bytes,
            manifest=manifest,
            checksum_log=sidecar,
        )
        source = "found in place"
    else:
        fetch(
            entry.url,
            dest,
            sha256=entry.sha256,
            size=entry.bytes,
            retries=retries,
            timeout=timeout,
            mirror=mirror,
            relpath=entry.relpath,
            backoff=backoff,
            checksum_log=sidecar,
            progress=progress,
        )
        digest = entry.sha256 or sha256sum(dest)
        source = source_url(entry.url, entry.relpath, mirror)
    against = (
        "manifest" if entry.sha256 else f"none published (first digest in {CHECKSUM_SIDECAR})"
    )
    _write_record(record, entry.relpath, dest.stat().st_size, digest, against, source)
    log.info("%s verified: sha256 %s (checked against: %s)", dest, digest, against)
    return dest
