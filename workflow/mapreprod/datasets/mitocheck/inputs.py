"""Mitocheck inputs: the labelled training cells and the 0.5% sample of the control cells.

Two files (docs/methods.md §8):

- ``training_data__no_ic.csv.gz`` (WayScience/mitocheck_data, ``3.normalize_data``): one row per
  labelled cell, a pandas index column (read back as ``Unnamed: 0``), ``Mitocheck_Phenotypic_Class``,
  ``Cell_UUID``, ``Location_Center_X/Y``, ``Metadata_*`` (plate, well, frame, site, plate map,
  image, gene, gene replicate, the nucleus outline) and the features ``CP__*`` (CellProfiler)
  and ``DP__*`` (DeepProfiler), z-scored to the negative controls upstream.
- ``negative_control_data.csv.gz`` inside the Zenodo archive
  ``3.normalize_data__normalized_data.zip`` (member ``normalized_data/negative_control_data.csv.gz``):
  the same columns without the class, hundreds of thousands of cells.

The authors read the whole control table and keep ``DataFrame.sample(frac=0.005,
random_state=0)``. :func:`read_control_sample` draws exactly those rows while streaming the
file in chunks (pandas draws ``numpy.random.RandomState(seed).choice(n, round(frac * n),
replace=False)``, i.e. the first ``round(frac * n)`` entries of ``RandomState(seed).permutation(n)``),
so the table is never held in memory.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

#: File names of the two inputs (as in config/manifest.tsv) and the control member of the archive.
TRAINING_FILE = "training_data__no_ic.csv.gz"
CONTROL_ARCHIVE = "3.normalize_data__normalized_data.zip"
CONTROL_MEMBER = "normalized_data/negative_control_data.csv.gz"

CLASS = "Mitocheck_Phenotypic_Class"
GENE = "Metadata_Gene"
CELL_ID = "Cell_UUID"
#: The class given to every control cell (the authors' label).
CONTROL_CLASS = "neg_control"
#: Gene label of the cells of wells that failed QC, and the class of out-of-focus cells: both
#: are dropped before scoring.
FAILED_QC = "failed QC"
OUT_OF_FOCUS = "OutOfFocus"
#: Gene label of the control wells in the upstream data (IDR annotation without a target gene).
CONTROL_GENE = "negative control"

#: Feature sets by key (config and the ``Features`` column of the AP tables) -> column prefix.
FEATURE_PREFIXES: dict[str, str] = {"cp": "CP__", "dp": "DP__"}
#: Feature sets as the figures name them.
FEATURE_LABELS: dict[str, str] = {"cp": "CellProfiler features", "dp": "DeepProfiler features"}
#: Columns the authors drop on reading (the outline string and the written pandas index).
#: ``DP__Object_Outline`` is the outline's name before the upstream rename: a string column with
#: a feature prefix, dropped too should a file carry it.
DROPPED_COLUMNS: tuple[str, ...] = ("Metadata_Object_Outline", "Unnamed: 0", "DP__Object_Outline")
#: Metadata every file must have (the class only in the training file).
REQUIRED_METADATA: tuple[str, ...] = (CELL_ID, GENE)

__all__ = [
    "CELL_ID",
    "CLASS",
    "CONTROL_ARCHIVE",
    "CONTROL_CLASS",
    "CONTROL_GENE",
    "CONTROL_MEMBER",
    "DROPPED_COLUMNS",
    "FAILED_QC",
    "FEATURE_LABELS",
    "FEATURE_PREFIXES",
    "GENE",
    "OUT_OF_FOCUS",
    "TRAINING_FILE",
    "count_rows",
    "feature_columns",
    "metadata_columns",
    "open_table",
    "read_control_sample",
    "read_training",
    "sample_positions",
    "sample_size",
    "validate_profiles",
]


def feature_columns(df: pd.DataFrame, feature_set: str) -> list[str]:
    """Columns of one feature set (``"cp"``: ``CP__*``, ``"dp"``: ``DP__*``), in table order."""
    if feature_set not in FEATURE_PREFIXES:
        raise ValueError(f"unknown feature set {feature_set!r}; use one of {list(FEATURE_PREFIXES)}")
    prefix = FEATURE_PREFIXES[feature_set]
    return [c for c in df.columns if str(c).startswith(prefix)]


def metadata_columns(df: pd.DataFrame) -> list[str]:
    """Every column that is not a ``CP__``/``DP__`` feature (the authors' ``meta_features``)."""
    return [c for c in df.columns if not str(c).startswith(tuple(FEATURE_PREFIXES.values()))]


def validate_profiles(df: pd.DataFrame, what: str, require_class: bool) -> None:
    """Check the Mitocheck layout: metadata present, both feature sets present and numeric.

    Raises
    ------
    ValueError
        Naming ``what`` (the file) and the missing or non-numeric column.
    """
    required = [*REQUIRED_METADATA, *([CLASS] if require_class else [])]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing} (Mitocheck layout)")
    for key, prefix in FEATURE_PREFIXES.items():
        cols = feature_columns(df, key)
        if not cols:
            raise ValueError(f"{what}: no {prefix}* feature columns ({FEATURE_LABELS[key]})")
        bad = [c for c in cols if not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise ValueError(f"{what}: non-numeric feature column(s) {bad[:5]}")
    if require_class and df[CLASS].isna().any():
        raise ValueError(f"{what}: {int(df[CLASS].isna().sum())} cell(s) without {CLASS}")


def _drop_unused(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in DROPPED_COLUMNS if c in df.columns])


def read_training(path: str | os.PathLike) -> pd.DataFrame:
    """The labelled training cells, with the outline and index columns dropped (as the authors do).

    Parameters
    ----------
    path : path of ``training_data__no_ic.csv.gz`` (or any table with its layout).
    """
    df = pd.read_csv(path, low_memory=False)
    df = _drop_unused(df)
    validate_profiles(df, str(path), require_class=True)
    return df


@contextlib.contextmanager
def open_table(path: str | os.PathLike, member: str | None = None) -> Iterator[IO[bytes] | str]:
    """What pandas reads the control table from: the archive member ``member`` of a zip file,
    decompressed while streaming (gzip when the member ends in ``.gz``), or the file ``path``.

    Raises
    ------
    ValueError
        If ``path`` is a zip archive without ``member`` (naming both and the members it has).
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        yield str(path)
        return
    if not member:
        raise ValueError(f"{path} is a zip archive: name the control table inside it "
                         "(config key mitocheck.control_member)")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if member not in names:
            raise ValueError(f"{path} has no member {member!r} (config key "
                             f"mitocheck.control_member); members: {names[:10]}")
        with archive.open(member) as raw:
            if member.endswith(".gz"):
                with gzip.GzipFile(fileobj=raw) as stream:
                    yield io.BufferedReader(stream, buffer_size=1 << 20)
            else:
                yield raw


def count_rows(path: str | os.PathLike, member: str | None = None, chunk_rows: int = 50_000) -> int:
    """Number of data rows pandas reads from the table (one column parsed, in chunks).

    Parsing (rather than counting line breaks) gives pandas' own count: quoted fields with line
    breaks and blank lines are handled exactly as by ``read_csv``.
    """
    n = 0
    with open_table(path, member) as source:
        for chunk in pd.read_csv(source, usecols=[0], chunksize=chunk_rows):
            n += len(chunk)
    return n


def sample_size(n_rows: int, frac: float) -> int:
    """Rows kept by ``DataFrame.sample(frac=frac)`` of ``n_rows`` rows: ``round(frac * n_rows)``
    (Python's round, half to even: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2)."""
    if not 0 <= frac <= 1:
        raise ValueError(f"sample fraction must be in [0, 1], got {frac} "
                         "(config key mitocheck.control_fraction)")
    return round(frac * n_rows)


def sample_positions(n_rows: int, frac: float, seed: int) -> np.ndarray:
    """Row positions drawn by ``DataFrame.sample(frac=frac, random_state=seed)``, in its order.

    pandas draws ``RandomState(seed).choice(n_rows, size, replace=False)``, which for uniform
    weights is the first ``size`` entries of ``RandomState(seed).permutation(n_rows)``.
    """
    size = sample_size(n_rows, frac)
    if size == 0:
        return np.empty(0, dtype=np.intp)
    return np.random.RandomState(seed).permutation(n_rows)[:size].astype(np.intp)


def _header(path: str | os.PathLike, member: str | None) -> list[str]:
    with open_table(path, member) as source:
        return list(pd.read_csv(source, nrows=0).columns)


def read_control_sample(
    path: str | os.PathLike,
    member: str | None = CONTROL_MEMBER,
    frac: float = 0.005,
    seed: int = 0,
    chunk_rows: int = 5_000,
    n_rows: int | None = None,
) -> pd.DataFrame:
    """The rows of ``pd.read_csv(table).sample(frac=frac, random_state=seed)``, read in chunks.

    Two passes over the file: the row count (skipped when ``n_rows`` is given), then the rows
    at :func:`sample_positions`, kept chunk by chunk. Peak memory is one chunk plus the sample.
    Feature columns (``CP__``/``DP__``) are read as float64 in every chunk, so the dtypes do not
    depend on where the chunks fall.

    Parameters
    ----------
    path, member : the zip archive and its control member (or a csv/csv.gz file and None).
    frac, seed : the authors' ``frac=0.005, random_state=0``.
    chunk_rows : rows parsed at a time.
    n_rows : the table's row count, if known.

    Returns
    -------
    DataFrame
        The sampled rows in pandas' order, index = their row positions in the table (as
        ``sample`` returns them), without the dropped columns (:data:`DROPPED_COLUMNS`).
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows} "
                         "(config key mitocheck.control_chunk_rows)")
    total = count_rows(path, member, chunk_rows) if n_rows is None else int(n_rows)
    positions = sample_positions(total, frac, seed)
    wanted = np.sort(positions)
    header = _header(path, member)
    dtypes = {c: np.float64 for c in header if str(c).startswith(tuple(FEATURE_PREFIXES.values()))}
    kept: list[pd.DataFrame] = []
    start = 0
    with open_table(path, member) as source:
        for chunk in pd.read_csv(source, chunksize=chunk_rows, dtype=dtypes, low_memory=False):
            stop = start + len(chunk)
            lo, hi = np.searchsorted(wanted, [start, stop])
            if hi > lo:
                part = chunk.iloc[wanted[lo:hi] - start]
                part.index = wanted[lo:hi]
                kept.append(part)
            start = stop
    if start != total:
        raise ValueError(f"{path}: read {start} rows but counted {total}; the table changed "
                         "between the two passes or n_rows is wrong")
    if kept:
        sample = pd.concat(kept)
    else:
        sample = pd.read_csv(io.StringIO(",".join(header) + "\n"), dtype=dtypes)
    sample = sample.loc[positions] if len(positions) else sample
    sample = _drop_unused(sample)
    validate_profiles(sample, f"{path}:{member}" if member else str(path), require_class=False)
    return sample

