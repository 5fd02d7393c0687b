"""Your profiles in: the settings of one ``own_data.datasets`` entry, the files, the column map.

Every error raised here names the config key (``own_data.datasets.<name>.<key>``) and the
column or file it is about, so a wrong mapping is fixed from the message alone.

The mapped table keeps every column of your files and gains two metadata columns:
``OwnData_control`` (the control query's verdict) and ``OwnData_perturbation`` (an integer per
perturbation, in the sorted order of the perturbation columns; -1 for controls), which is what
the mAP engine pairs on. Read with ``origin=True`` (the workflow does), each row also carries
the file it came from (``OwnData_file``) and its row in that file (``OwnData_file_row``), so
that an error about a cell or a well names the file and the line.

Files are recognised by their content, not only their name (a gzip or Parquet file named
``.csv``, an Excel workbook, an empty file: each is named for what it is, with what to do).
"""

from __future__ import annotations

import dataclasses
import difflib
import glob
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = [
    "CONTROL_COL",
    "FILE_COL",
    "FILE_ROW_COL",
    "KEY_COL",
    "OwnDataSpec",
    "check_columns",
    "check_duplicate_wells",
    "control_wells",
    "describe_rows",
    "feature_columns",
    "file_content",
    "has_pair_differing_in",
    "map_columns",
    "perturbation_keys",
    "read_header",
    "read_profiles",
    "resolve_paths",
    "select_rows",
]

#: Added metadata columns (your files must not have columns starting with ``OwnData_``).
CONTROL_COL = "OwnData_control"
KEY_COL = "OwnData_perturbation"
#: Where each row was read (``read_profiles(..., origin=True)``): the file, and the row in it
#: (0-based, header excluded).
FILE_COL = "OwnData_file"
FILE_ROW_COL = "OwnData_file_row"
RESERVED_PREFIX = "OwnData_"
#: Profile file suffixes and how they are read.
SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": ",", ".csv.gz": ",",
            ".tsv": "\t", ".tsv.gz": "\t", ".txt": "\t", ".txt.gz": "\t"}
_GLOB_CHARS = re.compile(r"[*?\[]")


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class OwnDataSpec:
    """The settings of one dataset (one entry of ``own_data.datasets``), flattened.

    Field defaults equal the schema's (workflow/schemas/own_data.schema.yaml; tested). Build it
    with :meth:`from_config` from the config entry. The entry's engine keys
    (:data:`ENGINE_KEYS`: similarity, null size, seed, threshold) are not fields here: they make
    the dataset's :class:`mapreprod.settings.MapSettings`
    (``settings.from_config(config, "own_data", section=entry)``), which travels to the rules
    that use them as their own param. Nor is ``shards`` (:data:`WORKFLOW_KEYS`): it only decides
    how many AP jobs the workflow plans (``paths.OwnDataWorkflow``), and each job gets its shard
    and shard count from its file name, so no rule's param carries it.
    """

    name: str
    profiles: tuple[str, ...]
    perturbation: tuple[str, ...]
    controls: str
    plate: str | None = None
    well: str | None = None
    annotation: str | None = None
    annotation_separator: str = "|"
    rows: str | None = None
    na_values: tuple[str, ...] = ()
    metadata_prefix: str = "Metadata_"
    feature_prefix: tuple[str, ...] = ()
    feature_regex: str | None = None
    normalize_method: str = "mad_robustize"
    normalize_fit_on: str = "controls"
    normalize_per_plate: bool = True
    zero_dispersion: str = "drop"
    feature_select_operations: tuple[str, ...] = ()
    na_cutoff: float = 0.05
    corr_threshold: float = 0.9
    freq_cut: float = 0.05
    unique_cut: float = 0.01
    outlier_cutoff: float = 500.0
    spherize: bool = False
    float32: bool = False
    activity_controls: str = "same_plate"
    replicates_differ_in: tuple[str, ...] = ()
    activity_filter: bool = True
    positives_differ_in: tuple[str, ...] = ()
    aggregate: str = "median"

    #: config key (relative to the entry) -> field name; nested keys joined by ".".
    CONFIG_KEYS: ClassVar[dict[str, str]] = {
        "profiles": "profiles",
        "columns.perturbation": "perturbation",
        "columns.plate": "plate",
        "columns.well": "well",
        "columns.annotation": "annotation",
        "columns.annotation_separator": "annotation_separator",
        "controls": "controls",
        "rows": "rows",
        "na_values": "na_values",
        "features.metadata_prefix": "metadata_prefix",
        "features.prefix": "feature_prefix",
        "features.regex": "feature_regex",
        "normalize.method": "normalize_method",
        "normalize.fit_on": "normalize_fit_on",
        "normalize.per_plate": "normalize_per_plate",
        "normalize.zero_dispersion": "zero_dispersion",
        "feature_select.operations": "feature_select_operations",
        "feature_select.na_cutoff": "na_cutoff",
        "feature_select.corr_threshold": "corr_threshold",
        "feature_select.freq_cut": "freq_cut",
        "feature_select.unique_cut": "unique_cut",
        "feature_select.outlier_cutoff": "outlier_cutoff",
        "spherize": "spherize",
        "float32": "float32",
        "activity.controls": "activity_controls",
        "activity.replicates_differ_in": "replicates_differ_in",
        "consistency.activity_filter": "activity_filter",
        "consistency.positives_differ_in": "positives_differ_in",
        "consistency.aggregate": "aggregate",
    }
    #: Keys of the entry that set the engine (mapreprod.settings.from_config reads them).
    ENGINE_KEYS: ClassVar[tuple[str, ...]] = ("similarity", "null_size", "seed", "threshold")
    #: Keys of the entry that only the planning reads (the number of AP jobs).
    WORKFLOW_KEYS: ClassVar[tuple[str, ...]] = ("shards",)
    _TUPLES: ClassVar[tuple[str, ...]] = ("profiles", "perturbation", "feature_prefix", "feature_select_operations",
               "replicates_differ_in", "positives_differ_in", "na_values")

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any]) -> OwnDataSpec:
        """The spec of config entry ``own_data.datasets.<name>`` (missing keys: defaults).

        Raises
        ------
        ValueError
            Naming the key, for an unknown key, a missing required key (profiles,
            columns.perturbation, controls) or settings that contradict each other.
        """
        flat: dict[str, Any] = {}

        def walk(d: Mapping[str, Any], prefix: str) -> None:
            for k, v in d.items():
                key = f"{prefix}{k}"
                if key in cls.CONFIG_KEYS:
                    flat[cls.CONFIG_KEYS[key]] = v
                elif key in cls.ENGINE_KEYS or key in cls.WORKFLOW_KEYS:
                    continue
                elif isinstance(v, Mapping) and any(c.startswith(f"{key}.") for c in cls.CONFIG_KEYS):
                    walk(v, f"{key}.")
                else:
                    raise ValueError(f"own_data.datasets.{name}.{key}: unknown key")

        walk(entry, "")
        for required in ("profiles", "perturbation", "controls"):
            if flat.get(required) in (None, "", [], ()):
                key = next(k for k, f in cls.CONFIG_KEYS.items() if f == required)
                raise ValueError(f"own_data.datasets.{name}.{key}: required")
        for f in cls._TUPLES:
            if f in flat:
                flat[f] = _as_tuple(flat[f])
        spec = cls(name=name, **flat)
        spec.check()
        return spec

    def key(self, field_name: str) -> str:
        """Full config key of a field, e.g. ``own_data.datasets.screen1.columns.plate``."""
        rel = next((k for k, f in self.CONFIG_KEYS.items() if f == field_name), field_name)
        return f"own_data.datasets.{self.name}.{rel}"

    def check(self) -> None:
        """Settings that contradict each other (no data needed)."""
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", self.name):
            raise ValueError(
                f"own_data.datasets.{self.name}: dataset names are letters, digits and "
                "underscores, starting with a letter"
            )
        if self.activity_controls == "same_plate" and self.plate is None:
            raise ValueError(
                f"{self.key('activity_controls')}: same_plate needs a plate column "
                f"({self.key('plate')} is not set); set {self.key('plate')} or "
                f"{self.key('activity_controls')}: all"
            )
        if self.feature_prefix and self.feature_regex:
            raise ValueError(
                f"{self.key('feature_prefix')} and {self.key('feature_regex')}: give one of them"
            )
        if self.feature_regex is not None:
            try:
                re.compile(self.feature_regex)
            except re.error as err:
                raise ValueError(f"{self.key('feature_regex')}: invalid regex: {err}") from err
        if self.zero_dispersion not in ("drop", "error"):
            raise ValueError(
                f"{self.key('zero_dispersion')}: must be drop or error, got {self.zero_dispersion!r}"
            )

    def with_(self, **changes: Any) -> OwnDataSpec:
        """A copy with some fields changed (checked again)."""
        spec = dataclasses.replace(self, **changes)
        spec.check()
        return spec

    @property
    def mapped_columns(self) -> dict[str, tuple[str, ...]]:
        """Field -> the columns of your table it names (for existence checks)."""
        return {
            "perturbation": self.perturbation,
            "plate": _as_tuple(self.plate),
            "well": _as_tuple(self.well),
            "annotation": _as_tuple(self.annotation),
            "replicates_differ_in": self.replicates_differ_in,
            "positives_differ_in": self.positives_differ_in,
        }


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _format(path: str, key: str) -> str:
    name = str(path).lower()
    for suffix, fmt in sorted(SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return fmt
    raise ValueError(f"{key}: {path!r} is not a profile file I can read (use {sorted(SUFFIXES)})")


def resolve_paths(patterns: Sequence[str], key: str, root: str | Path = ".") -> list[str]:
    """Paths of the profile files: each glob expanded (sorted), plain paths kept as given.

    A glob must match at least one file now (a plain path may be made later by a rule).
    ``root`` is the folder relative paths are read from. Only names are looked at: no file is
    opened (planning reads no data file).
    """
    out: list[str] = []
    for pattern in patterns:
        if _GLOB_CHARS.search(pattern):
            found = sorted(glob.glob(str(Path(root) / pattern)))
            if not found:
                raise ValueError(f"{key}: {pattern!r} matches no file (relative to {Path(root).resolve()})")
            rel = [str(Path(p).relative_to(root)) if not Path(pattern).is_absolute() else p for p in found]
            for p in rel:
                _format(p, key)
            out += rel
        else:
            _format(pattern, key)
            out.append(pattern)
    dup = sorted({p for p in out if out.count(p) > 1})
    if dup:
        raise ValueError(f"{key}: file(s) listed twice: {dup}")
    return out


#: The first bytes of file types a profile file is sometimes confused with.
_MAGIC: list[tuple[bytes, str]] = [
    (b"\x1f\x8b", "gzip"),
    (b"PAR1", "parquet"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
    (b"\x89HDF\r\n\x1a\n", "hdf5"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]
#: What each content is, in words, and what to do with it when it is not what the name says.
_CONTENT_WORDS = {
    "gzip": "gzip-compressed",
    "parquet": "a Parquet file",
    "zip": "a zip archive (an Excel .xlsx workbook is one)",
    "xls": "an Excel .xls workbook",
    "hdf5": "an HDF5 file",
    "sqlite": "an SQLite database",
    "bzip2": "bzip2-compressed",
    "xz": "xz-compressed",
    "zstd": "zstd-compressed",
    "utf-16": "UTF-16 text",
    "binary": "binary (it holds NUL bytes), not text",
    "not-utf-8": "text that is not UTF-8 (Latin-1 or Windows-1252, as Excel saves a plain CSV?)",
    "text": "text",
}


def file_content(path: str | Path, sniff: int = 65536) -> str:
    """What a file holds, from its first bytes: "empty" (0 bytes), one of the names of
    :data:`_MAGIC` ("gzip", "parquet", "zip", "xls", ...), "binary" (NUL bytes), "not-utf-8",
    or "text"."""
    with open(path, "rb") as fh:
        head = fh.read(sniff)
    if not head:
        return "empty"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if b"\x00" in head:
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not just a character cut at the end of the sniffed bytes
            return "not-utf-8"
    return "text"


def _check_content(path: str, fmt: str, key: str) -> None:
    """The file holds what its name says (a profile table of that format), or a clear error
    saying what it holds and what to do."""
    content = file_content(path)
    name = Path(path).name
    if content == "empty":
        raise ValueError(
            f"{key}: file {path!r} is empty (0 bytes), an interrupted export or copy? Export it "
            f"again, or leave it out of {key}"
        )
    gz = str(path).lower().endswith(".gz")
    if fmt == "parquet":
        if content == "parquet":
            return
        hint = ("rename it to end in .csv (or .tsv), or save it as Parquet" if content == "text"
                else "rename it to what it is, or save it as Parquet")
    elif gz:
        if content == "gzip":
            return
        base = name[: -len(".gz")]
        hint = (f"rename it to {base!r} (it is not compressed)" if content == "text"
                else "rename it to end in .parquet" if content == "parquet"
                else "save it again as .csv.gz, .tsv.gz or .parquet")
    else:
        if content == "text":
            return
        if content == "gzip":
            hint = f"rename it to {name + '.gz'!r}, which is read as compressed text (or gunzip it)"
        elif content == "parquet":
            stem = name.rsplit(".", 1)[0]
            hint = f"rename it to {stem + '.parquet'!r}"
        elif content in ("zip", "xls"):
            hint = "export the sheet as CSV (Excel: Save As > CSV UTF-8), or save it as Parquet"
        elif content in ("utf-16", "not-utf-8"):
            hint = "save it as UTF-8 text (Excel: Save As > CSV UTF-8)"
        else:
            hint = "export your profiles as .csv, .tsv or .parquet"
    expected = "a Parquet file" if fmt == "parquet" else "gzip-compressed text" if gz else "text"
    says = "" if expected == "text" and content in ("utf-16", "not-utf-8", "binary") else f", but its name says {expected}"
    raise ValueError(f"{key}: file {path!r} is {_CONTENT_WORDS.get(content, content)}{says}: {hint}")


def _read_one(path: str, key: str, nrows: int | None = None, na_values: Sequence[str] = ()) -> pd.DataFrame:
    fmt = _format(path, key)
    if not Path(path).exists():
        raise ValueError(f"{key}: file {path!r} does not exist")
    if Path(path).is_dir():
        raise ValueError(f"{key}: {path!r} is a folder, not a profile file (a glob, e.g. {path + '/*.parquet'!r}, reads its files)")
    _check_content(path, fmt, key)
    try:
        if fmt == "parquet":
            if nrows == 0:
                import pyarrow.parquet as pq

                schema = pq.read_schema(path)
                return pd.DataFrame(columns=[c for c in schema.names if not c.startswith("__index")])
            df = pd.read_parquet(path)
            return _parquet_na_values(df, na_values)
        return pd.read_csv(path, sep=fmt, nrows=nrows, low_memory=False, na_values=list(na_values) or None)
    except pd.errors.EmptyDataError as err:
        raise ValueError(f"{key}: file {path!r} holds no table: it has no header line (it is blank)") from err
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise ValueError(f"{key}: cannot read {path!r} as {'Parquet' if fmt == 'parquet' else 'a table'}: {err}") from err


def _parquet_na_values(df: pd.DataFrame, na_values: Sequence[str]) -> pd.DataFrame:
    """The ``na_values`` texts of a Parquet file's text columns as missing; a text column that
    held some of them and is numbers otherwise becomes numeric (as pandas reads a CSV)."""
    if not na_values:
        return df
    tokens = set(na_values)
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            hit = df[col].isin(tokens)
            if hit.any():
                cleaned = df[col].mask(hit)
                numbers = pd.to_numeric(cleaned, errors="coerce")
                same = numbers.notna() == cleaned.notna()
                df[col] = numbers if bool(same.all()) else cleaned
    return df


def read_header(paths: Sequence[str], key: str) -> list[str]:
    """Column names of the first file (the files' headers only); every file must have the same
    set of columns."""
    cols = None
    for path in paths:
        these = list(_read_one(path, key, nrows=0).columns)
        if cols is None:
            cols = these
        elif set(these) != set(cols):
            raise ValueError(_column_mismatch(key, paths[0], path, cols, these))
    return cols or []


def _column_mismatch(key: str, first: str, path: str, cols: Sequence[str], these: Sequence[str]) -> str:
    missing = [c for c in cols if c not in set(these)][:10]
    extra = [c for c in these if c not in set(cols)][:10]
    return (
        f"{key}: {path!r} does not have the columns of {first!r} "
        f"(missing {missing}, extra {extra})"
    )


def read_profiles(
    paths: Sequence[str], key: str, na_values: Sequence[str] = (), origin: bool = False
) -> pd.DataFrame:
    """Read and stack the profile files (same columns, in the first file's order).

    Parameters
    ----------
    paths : the files (``resolve_paths``), read in this order.
    key : the config key they come from (``own_data.datasets.<name>.profiles``), for errors.
    na_values : texts read as missing values (besides pandas' NA, NaN, #N/A, ... and empty).
    origin : add :data:`FILE_COL` (the path) and :data:`FILE_ROW_COL` (the 0-based row in that
        file) to every row, so that later errors name the file and line.
    """
    if not paths:
        raise ValueError(f"{key}: no profile file given")
    frames = []
    for path in paths:
        df = _read_one(path, key, na_values=na_values)
        reserved = [c for c in df.columns if str(c).startswith(RESERVED_PREFIX)]
        if origin and reserved:
            raise ValueError(
                f"{key}: {path!r} has column(s) {reserved} starting with {RESERVED_PREFIX!r}, "
                "which this workflow adds itself; rename them"
            )
        if frames and set(df.columns) != set(frames[0].columns) - {FILE_COL, FILE_ROW_COL}:
            raise ValueError(_column_mismatch(key, paths[0], path, [c for c in frames[0].columns
                                                                    if c not in (FILE_COL, FILE_ROW_COL)], df.columns))
        if frames:
            df = df[[c for c in frames[0].columns if c not in (FILE_COL, FILE_ROW_COL)]]
        if origin:
            df = df.assign(**{FILE_COL: str(path), FILE_ROW_COL: np.arange(len(df), dtype=np.int64)})
        frames.append(df)
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    if out.empty:
        raise ValueError(f"{key}: the profile file(s) have no rows: {list(paths)}")
    return out


def describe_rows(df: pd.DataFrame, rows: Sequence[int] | np.ndarray, limit: int = 3) -> str:
    """Where some rows of the stacked table come from, for error messages: "'a.csv' line 9,
    'b.parquet' row 3" when the table carries its origin (``read_profiles(origin=True)``; a text
    file's line counts its header as line 1, a Parquet row is 0-based), else "row(s) [3, 17]"."""
    rows = [int(r) for r in np.asarray(rows).ravel()]
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    if FILE_COL not in df.columns:
        return f"row(s) {rows[:limit]}{more}"
    parts = []
    for r in rows[:limit]:
        path, i = str(df[FILE_COL].iloc[r]), int(df[FILE_ROW_COL].iloc[r])
        parts.append(f"{path!r} row {i}" if _format(path, "") == "parquet" else f"{path!r} line {i + 2}")
    return ", ".join(parts) + more


# --------------------------------------------------------------------------------------------
# The column map
# --------------------------------------------------------------------------------------------


def _missing_column(
    spec: OwnDataSpec, field_name: str, col: str, columns: Sequence[str], files: Sequence[str] = ()
) -> ValueError:
    columns = [c for c in map(str, columns) if c not in (FILE_COL, FILE_ROW_COL)]
    close = difflib.get_close_matches(col, columns, n=3, cutoff=0.6)
    hint = f"; did you mean {close}?" if close else ""
    seps = [name for sep, name in ((";", "semicolons"), ("\t", "tabs"), (",", "commas"))
            if columns and sep in columns[0]]
    if len(columns) <= 2 and seps:
        hint = (f"; the header was read as {len(columns)} column(s): the file is separated by "
                f"{seps[0]}, not what its name says (.csv: commas, .tsv/.txt: tabs); save it with "
                "commas as .csv, or with tabs as .tsv")
    where = f"the profiles {_files_text(files)}" if files else "the profiles"
    return ValueError(
        f"{spec.key(field_name)}: column {col!r} is not in {where} "
        f"({len(columns)} columns, e.g. {columns[:8]}){hint}"
    )


def _files_text(files: Sequence[str], limit: int = 3) -> str:
    files = list(dict.fromkeys(map(str, files)))
    more = f" and {len(files) - limit} more" if len(files) > limit else ""
    return "(" + ", ".join(repr(f) for f in files[:limit]) + more + ")"


def _files_of(df: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(df[FILE_COL].astype(str))) if FILE_COL in df.columns else []


def feature_columns(spec: OwnDataSpec, columns: Sequence[str]) -> list[str]:
    """The feature columns among ``columns`` by the spec's rule (prefix, regex or not-metadata),
    minus the mapped columns; raises if none is left, naming the key."""
    columns = [str(c) for c in columns if not str(c).startswith(RESERVED_PREFIX)]
    mapped = {c for cols in spec.mapped_columns.values() for c in cols}
    if spec.feature_prefix:
        feats = [c for c in columns if c.startswith(spec.feature_prefix)]
        rule, key = f"prefix {list(spec.feature_prefix)}", spec.key("feature_prefix")
    elif spec.feature_regex is not None:
        rx = re.compile(spec.feature_regex)
        feats = [c for c in columns if rx.search(c)]
        rule, key = f"regex {spec.feature_regex!r}", spec.key("feature_regex")
    else:
        feats = [c for c in columns if not c.startswith(spec.metadata_prefix)]
        feats = [c for c in feats if c not in mapped and not c.startswith(RESERVED_PREFIX)]
        rule = f"(every column not starting with {spec.metadata_prefix!r}, minus the mapped ones)"
        key = spec.key("metadata_prefix")
    clash = [c for c in feats if c in mapped]
    if clash:
        raise ValueError(
            f"{key}: column(s) {clash} are mapped in columns.* but also match the feature "
            f"{rule}; narrow the feature rule"
        )
    if not feats:
        raise ValueError(
            f"{key}: no feature columns: none matches the rule {rule} "
            f"({len(columns)} columns, e.g. {columns[:8]})"
        )
    return feats


def check_columns(spec: OwnDataSpec, columns: Sequence[str], files: Sequence[str] = ()) -> list[str]:
    """Checks that need only the column names: reserved names, every mapped column present,
    at least one feature column (errors name the ``files`` if given). Returns the feature
    columns."""
    reserved = [c for c in columns if str(c).startswith(RESERVED_PREFIX) and c not in (FILE_COL, FILE_ROW_COL)]
    if reserved:
        raise ValueError(
            f"{spec.key('profiles')}: column(s) {reserved} start with {RESERVED_PREFIX!r}, "
            "which this workflow adds itself; rename them"
        )
    for field_name, cols in spec.mapped_columns.items():
        for col in cols:
            if col not in columns:
                raise _missing_column(spec, field_name, col, columns, files)
    return feature_columns(spec, columns)


def _query_columns(query: str, columns: Sequence[str]) -> list[str]:
    """Columns a pandas query mentions (bare or `backticked`), for error messages."""
    found = []
    for c in map(str, columns):
        if f"`{c}`" in query or re.search(rf"(?<![\w`]){re.escape(c)}(?![\w`])", query):
            found.append(c)
    return found


def evaluate_query(df: pd.DataFrame, query: str, key: str) -> np.ndarray:
    """Boolean mask of a pandas query over ``df``; errors name the key and the columns."""
    try:
        mask = df.eval(query)
    except Exception as err:  # pandas raises many types here
        close = difflib.get_close_matches(str(err).split("'")[1] if "'" in str(err) else "",
                                          [str(c) for c in df.columns], n=3)
        hint = f"; did you mean {close}?" if close else ""
        raise ValueError(f"{key}: cannot evaluate query {query!r}: {err}{hint}") from err
    mask = np.asarray(mask)
    if mask.shape != (len(df),) or mask.dtype != bool:
        raise ValueError(f"{key}: query {query!r} does not give one true/false value per well")
    return mask


def _describe_values(df: pd.DataFrame, cols: Sequence[str]) -> str:
    parts = []
    for c in cols:
        values = pd.Series(df[c].dropna().unique())
        shown = values.head(6).tolist()
        parts.append(f"column {c!r} has values {shown}{' ...' if len(values) > 6 else ''}")
    return "; ".join(parts)


def _check_annotation(df: pd.DataFrame, spec: OwnDataSpec) -> None:
    col = spec.annotation
    s = df[col]
    key = spec.key("annotation")
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_string_dtype(s):
        values = s.dropna()
        odd = values[~values.map(lambda v: isinstance(v, (str, int, np.integer, list, tuple, np.ndarray)))]
        if odd.empty:
            return
        raise ValueError(
            f"{key}: column {col!r} must hold text (annotations separated by "
            f"{spec.annotation_separator!r}) or lists; it has {type(odd.iloc[0]).__name__} "
            f"values such as {odd.iloc[0]!r}"
        )
    if s.dtype == object:
        values = s.dropna()
        ok = values.map(lambda v: isinstance(v, (str, list, tuple, np.ndarray)))
        if ok.all():
            return
        bad = values[~ok].iloc[0]
        raise ValueError(
            f"{key}: column {col!r} must hold text or lists of annotations; it has "
            f"{type(bad).__name__} values such as {bad!r}"
        )
    raise ValueError(
        f"{key}: column {col!r} has type {s.dtype}, not text: annotations are names (text with "
        f"several separated by {spec.annotation_separator!r}, or a list column); convert it"
    )


def map_columns(df: pd.DataFrame, spec: OwnDataSpec) -> tuple[pd.DataFrame, list[str]]:
    """Apply the column map to the stacked profiles.

    Keeps the wells of ``rows``, checks every mapped column, the features (numeric), that no
    well was read twice (:func:`check_duplicate_wells`), the control query (matches at least one
    well, and a control on every plate where the design needs one), and adds ``OwnData_control``
    and ``OwnData_perturbation``. Errors name the file and line where the table carries its
    origin (``read_profiles(..., origin=True)``).

    Returns
    -------
    (DataFrame, list of str)
        The mapped table (index reset, row order kept) and its feature columns.
    """
    feats = check_columns(spec, list(df.columns), _files_of(df))
    df = select_rows(df, spec)
    _check_numeric_features(df, feats, spec)
    control = control_wells(df, spec)
    _check_filled(df, ~control, spec)
    check_duplicate_wells(df, spec, feats)
    if spec.annotation is not None:
        _check_annotation(df, spec)
    _check_controls_per_plate(df, control, spec)

    out = df.copy()
    out[CONTROL_COL] = control
    out[KEY_COL] = perturbation_keys(out, control, spec)
    _check_replicates(out, ~control, spec)
    return out, feats


def select_rows(df: pd.DataFrame, spec: OwnDataSpec) -> pd.DataFrame:
    """The wells of the ``rows`` query (all wells without one), index reset."""
    if spec.rows is not None:
        keep = evaluate_query(df, spec.rows, spec.key("rows"))
        if not keep.any():
            raise ValueError(
                f"{spec.key('rows')}: query {spec.rows!r} keeps no well of {len(df)}; "
                + _describe_values(df, _query_columns(spec.rows, df.columns))
            )
        df = df[keep]
    return df.reset_index(drop=True)


def _feature_key(spec: OwnDataSpec) -> str:
    """The config key of the feature rule in use."""
    return (spec.key("feature_prefix") if spec.feature_prefix else spec.key("feature_regex")
            if spec.feature_regex else spec.key("metadata_prefix"))


def _check_numeric_features(df: pd.DataFrame, feats: Sequence[str], spec: OwnDataSpec) -> None:
    """Every feature column is numeric. A column of numbers with a few cells of text (a
    spreadsheet's ``#DIV/0!``) is named with those cells, their file and line; a column of text
    (a well name, a date) is a metadata column taken for a feature."""
    not_numeric = [c for c in feats if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])]
    if not not_numeric:
        return
    text_columns, cells = [], []
    for c in not_numeric:
        values = df[c]
        if pd.api.types.is_bool_dtype(values):
            text_columns.append(c)
            continue
        numbers = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce")
        bad = values.notna().to_numpy() & numbers.isna().to_numpy()
        if bad.sum() * 2 > values.notna().sum():
            text_columns.append(c)  # mostly text: not a feature
        else:
            cells.append((c, np.flatnonzero(bad)))
    if cells:
        col, rows = cells[0]
        texts = list(dict.fromkeys(str(v) for v in df[col].iloc[rows]))
        others = f" (and {len(cells) - 1} more column(s): {[c for c, _ in cells[1:8]]})" if len(cells) > 1 else ""
        raise ValueError(
            f"{spec.key('profiles')}: feature column {col!r} holds numbers but {len(rows)} cell(s) "
            f"are text, not numbers: {texts[:5]} at {describe_rows(df, rows)}{others}. "
            f"Fix those cells in the file, or read that text as a missing value with "
            f"{spec.key('na_values')}: {texts[:5]} (missing values then need drop_na_columns in "
            f"{spec.key('feature_select_operations')})"
        )
    col = text_columns[0]
    shown = df[col].dropna().head(3).tolist()
    comma = df[col].dropna().astype(str).str.fullmatch(r"\s*[-+]?\d*,\d+\s*")
    if len(comma) and comma.mean() > 0.5:
        raise ValueError(
            f"{spec.key('profiles')}: feature column(s) {text_columns[:8]} hold numbers written "
            f"with a decimal comma (e.g. {col!r} holds {shown}): export the profiles with a "
            "decimal point (e.g. 1.5), as a .csv separated by commas or a .tsv"
        )
    raise ValueError(
        f"{_feature_key(spec)}: feature column(s) {text_columns[:8]} are not numeric "
        f"(e.g. {col!r} holds {shown}): metadata taken for features. Name them with the "
        f"metadata prefix {spec.metadata_prefix!r}, or choose the features with "
        "features.prefix or features.regex"
    )


def _plain(row: pd.Series) -> dict[str, Any]:
    """A row as a dict of plain Python values (for messages: 'P1', not np.str_('P1'))."""
    return {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}


def check_duplicate_wells(df: pd.DataFrame, spec: OwnDataSpec, feats: Sequence[str]) -> None:
    """No well is in the table twice: two copies of a well would count as two replicates.

    With ``columns.well`` mapped, every (plate, well) (or well, without a plate column) is one
    row. Otherwise no profile (the values of every feature; wells whose features are all missing
    aside) is in two files (where the table carries its origin): a glob matching screen.csv and
    screen.parquet, or a plate file saved under two names; and no row repeats another in every
    column (a plate pasted twice into one file).

    Raises
    ------
    ValueError
        Naming both files (or the file), the count and an example, and what to do.
    """
    if spec.well is not None:
        keys = [c for c in (spec.plate, spec.well) if c is not None]
        dup = df.duplicated(keys, keep=False).to_numpy()
        if not dup.any():
            return
        first = df.loc[dup, keys].iloc[0]
        same = np.flatnonzero(dup & (df[keys] == first.to_numpy()).all(axis=1).to_numpy())
        n_keys = int(df.loc[dup].groupby(keys, dropna=False).ngroups)
        what = "(plate, well)" if spec.plate is not None else "well"
        raise ValueError(
            f"{spec.key('well')}: {n_keys} {what} value(s) occur in more than one row "
            f"({int(dup.sum())} rows), e.g. {_plain(first)} at {describe_rows(df, same)}"
            + f": a well read twice would count as an extra replicate. List each file once in "
            f"{spec.key('profiles')} (a glob may match screen.csv and screen.parquet), or drop "
            f"the extra rows with {spec.key('rows')}"
        )
    x = df[list(feats)].to_numpy(dtype=np.float64)
    rows = np.flatnonzero(~np.isnan(x).all(axis=1))  # wells with every feature missing aside
    if len(rows) < 2:
        return
    hashes = pd.util.hash_pandas_object(pd.DataFrame(x[rows]), index=False).to_numpy()
    order = np.argsort(hashes, kind="stable")
    same_as_prev = hashes[order][1:] == hashes[order][:-1]
    if not same_as_prev.any():
        return
    files = df[FILE_COL].astype(str).to_numpy() if FILE_COL in df.columns else np.full(len(df), "")
    first_seen = list(dict.fromkeys(files))
    user_cols = [c for c in df.columns if c not in (FILE_COL, FILE_ROW_COL)]
    across: dict[tuple[str, str], list[tuple[int, int]]] = {}
    within: dict[str, list[tuple[int, int]]] = {}
    for i in np.flatnonzero(same_as_prev):
        a, b = sorted((int(rows[order[i]]), int(rows[order[i + 1]])))
        if not np.array_equal(x[a], x[b], equal_nan=True):
            continue  # a hash collision
        if files[a] != files[b]:
            pair = tuple(sorted((files[a], files[b]), key=first_seen.index))
            across.setdefault(pair, []).append((a, b))
        elif _same_values(df.iloc[a][user_cols], df.iloc[b][user_cols]):
            within.setdefault(files[a], []).append((a, b))
    if across:
        (file_a, file_b), hits = max(across.items(), key=lambda kv: len(kv[1]))
        raise ValueError(
            f"{spec.key('profiles')}: {len(hits)} row(s) of {file_b!r} are identical to rows of "
            f"{file_a!r} (every one of the {len(feats)} features), e.g. "
            f"{describe_rows(df, list(min(hits)))}: the same wells read twice (a glob matching "
            "screen.csv and screen.parquet, or one plate file saved under two names) would count "
            "as extra replicates. List each file once; if these really are different wells, map "
            f"their well column ({spec.key('well')}, with {spec.key('plate')}) so that wells are "
            "told apart by plate and well"
        )
    if within:
        file, hits = max(within.items(), key=lambda kv: len(kv[1]))
        where = f" of {file!r}" if file else ""
        raise ValueError(
            f"{spec.key('profiles')}: {len(hits)} row(s){where} repeat another row in every "
            f"column, e.g. {describe_rows(df, list(min(hits)))}: a well listed twice would count "
            f"as an extra replicate. Remove the repeated rows (or leave them out with "
            f"{spec.key('rows')})"
        )


def _same_values(a: pd.Series, b: pd.Series) -> bool:
    """Two rows hold the same value in every column (missing equals missing)."""
    for va, vb in zip(a.to_numpy(), b.to_numpy()):
        if pd.api.types.is_scalar(va) and pd.api.types.is_scalar(vb):
            if not ((pd.isna(va) and pd.isna(vb)) or va == vb):
                return False
        elif not np.array_equal(np.asarray(va, dtype=object), np.asarray(vb, dtype=object)):
            return False
    return True


def control_wells(df: pd.DataFrame, spec: OwnDataSpec) -> np.ndarray:
    """Boolean mask of the control wells (the ``controls`` query), which must match some wells
    but not all."""
    control = evaluate_query(df, spec.controls, spec.key("controls"))
    if not control.any():
        raise ValueError(
            f"{spec.key('controls')}: query {spec.controls!r} matches no well (of {len(df)}); "
            + _describe_values(df, _query_columns(spec.controls, df.columns))
        )
    if control.all():
        raise ValueError(
            f"{spec.key('controls')}: query {spec.controls!r} matches every well: no perturbation is left"
        )
    return control


def _check_filled(df: pd.DataFrame, treated: np.ndarray, spec: OwnDataSpec) -> None:
    """The plate of every well, and the perturbation and pairing columns of every non-control
    well, are filled in."""
    for field_name in ("plate", "well"):
        col = getattr(spec, field_name)
        if col is not None and df[col].isna().any():
            rows = np.flatnonzero(df[col].isna().to_numpy())
            raise ValueError(
                f"{spec.key(field_name)}: column {col!r} is empty in {len(rows)} row(s): "
                f"{describe_rows(df, rows)}"
            )
    for col in spec.perturbation:
        empty = df[col].isna().to_numpy() & treated
        if empty.any():
            raise ValueError(
                f"{spec.key('perturbation')}: column {col!r} is empty in {int(empty.sum())} "
                f"non-control well(s) (first: row {int(np.flatnonzero(empty)[0])}); give them an "
                f"id, drop them with {spec.key('rows')}, or widen {spec.key('controls')}"
            )
    for field_name in ("replicates_differ_in", "positives_differ_in"):
        for col in getattr(spec, field_name):
            if df.loc[treated, col].isna().any():
                raise ValueError(f"{spec.key(field_name)}: column {col!r} has empty values in non-control wells")


def _check_controls_per_plate(df: pd.DataFrame, control: np.ndarray, spec: OwnDataSpec) -> None:
    """With same-plate controls, every plate with perturbation wells has a control well."""
    if spec.plate is None or spec.activity_controls != "same_plate":
        return
    per_plate = pd.Series(control).groupby(df[spec.plate].to_numpy()).sum()
    has_treated = pd.Series(~control).groupby(df[spec.plate].to_numpy()).any()
    lacking = per_plate.index[(per_plate == 0) & has_treated.reindex(per_plate.index)].tolist()
    if lacking:
        raise ValueError(
            f"{spec.key('activity_controls')}: same_plate, but plate(s) {lacking[:8]} "
            f"(column {spec.plate!r}) have no control well matching {spec.controls!r}; use "
            f"{spec.key('activity_controls')}: all, or drop those plates with {spec.key('rows')}"
        )


def perturbation_keys(df: pd.DataFrame, control: np.ndarray, spec: OwnDataSpec) -> np.ndarray:
    """``OwnData_perturbation`` of every well: an integer per perturbation, in the sorted order
    of the perturbation columns; -1 for controls."""
    treated = ~control
    key = np.full(len(df), -1, dtype=np.int64)
    if treated.any():
        codes = df.loc[treated].groupby(list(spec.perturbation), sort=True, dropna=False).ngroup()
        key[treated] = codes.to_numpy(dtype=np.int64)
    return key


def _check_replicates(out: pd.DataFrame, treated: np.ndarray, spec: OwnDataSpec) -> None:
    """Some perturbation has two wells (that differ in ``replicates_differ_in``)."""
    key = out[KEY_COL].to_numpy()
    if np.bincount(key[treated]).max() < 2:
        raise ValueError(
            f"{spec.key('perturbation')}: no perturbation has two or more wells (replicates) by "
            f"column(s) {list(spec.perturbation)}: is it the right column?"
        )
    if spec.replicates_differ_in and not has_pair_differing_in(
        out.loc[treated], KEY_COL, list(spec.replicates_differ_in)
    ):
        raise ValueError(
            f"{spec.key('replicates_differ_in')}: no perturbation has two wells that differ in "
            f"column(s) {list(spec.replicates_differ_in)}, so no replicate pair is left"
        )


def has_pair_differing_in(df: pd.DataFrame, group: str, columns: list[str]) -> bool:
    """Whether some group of ``df`` (by ``group``) has two rows that differ in every one of
    ``columns`` (the engine's ``pos_diffby`` rule)."""
    if not columns:
        return bool((df.groupby(group).size() >= 2).any())
    if len(columns) == 1:
        return bool((df.groupby(group)[columns[0]].nunique() >= 2).any())
    for _, part in df.groupby(group, sort=False):
        values = part[columns].to_numpy()
        for a in range(len(values) - 1):
            if (values[a + 1 :] != values[a]).all(axis=1).any():
                return True
    return False
