"""Your profiles in: the settings of one ``own_data.datasets`` entry, the files, the column map.

Every error raised here names the config key (``own_data.datasets.<name>.<key>``) and the
column or file it is about, so a wrong mapping is fixed from the message alone.

The mapped table keeps every column of your files and gains two metadata columns:
``OwnData_control`` (the control query's verdict) and ``OwnData_perturbation`` (an integer per
perturbation, in the sorted order of the perturbation columns; -1 for controls), which is what
the mAP engine pairs on.
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
    "KEY_COL",
    "OwnDataSpec",
    "check_columns",
    "feature_columns",
    "has_pair_differing_in",
    "map_columns",
    "read_header",
    "read_profiles",
    "resolve_paths",
]

#: Added metadata columns (your files must not have columns starting with ``OwnData_``).
CONTROL_COL = "OwnData_control"
KEY_COL = "OwnData_perturbation"
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
    with :meth:`from_config` from the config entry.
    """

    name: str
    profiles: tuple[str, ...]
    perturbation: tuple[str, ...]
    controls: str
    plate: str | None = None
    annotation: str | None = None
    annotation_separator: str = "|"
    rows: str | None = None
    metadata_prefix: str = "Metadata_"
    feature_prefix: tuple[str, ...] = ()
    feature_regex: str | None = None
    normalize_method: str = "mad_robustize"
    normalize_fit_on: str = "controls"
    normalize_per_plate: bool = True
    feature_select_operations: tuple[str, ...] = ()
    na_cutoff: float = 0.05
    corr_threshold: float = 0.9
    freq_cut: float = 0.05
    unique_cut: float = 0.01
    outlier_cutoff: float = 500.0
    spherize: bool = False
    float32: bool = False
    similarity: str = "cosine"
    activity_controls: str = "same_plate"
    replicates_differ_in: tuple[str, ...] = ()
    activity_filter: bool = True
    positives_differ_in: tuple[str, ...] = ()
    aggregate: str = "median"
    null_size: int = 10_000
    seed: int = 0
    threshold: float = 0.05
    shards: int = 1

    #: config key (relative to the entry) -> field name; nested keys joined by ".".
    CONFIG_KEYS: ClassVar[dict[str, str]] = {
        "profiles": "profiles",
        "columns.perturbation": "perturbation",
        "columns.plate": "plate",
        "columns.annotation": "annotation",
        "columns.annotation_separator": "annotation_separator",
        "controls": "controls",
        "rows": "rows",
        "features.metadata_prefix": "metadata_prefix",
        "features.prefix": "feature_prefix",
        "features.regex": "feature_regex",
        "normalize.method": "normalize_method",
        "normalize.fit_on": "normalize_fit_on",
        "normalize.per_plate": "normalize_per_plate",
        "feature_select.operations": "feature_select_operations",
        "feature_select.na_cutoff": "na_cutoff",
        "feature_select.corr_threshold": "corr_threshold",
        "feature_select.freq_cut": "freq_cut",
        "feature_select.unique_cut": "unique_cut",
        "feature_select.outlier_cutoff": "outlier_cutoff",
        "spherize": "spherize",
        "float32": "float32",
        "similarity": "similarity",
        "activity.controls": "activity_controls",
        "activity.replicates_differ_in": "replicates_differ_in",
        "consistency.activity_filter": "activity_filter",
        "consistency.positives_differ_in": "positives_differ_in",
        "consistency.aggregate": "aggregate",
        "null_size": "null_size",
        "seed": "seed",
        "threshold": "threshold",
        "shards": "shards",
    }
    _TUPLES: ClassVar[tuple[str, ...]] = ("profiles", "perturbation", "feature_prefix", "feature_select_operations",
               "replicates_differ_in", "positives_differ_in")

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
        if self.shards < 1:
            raise ValueError(f"{self.key('shards')}: must be at least 1, got {self.shards}")

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
    ``root`` is the folder relative paths are read from.
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


def _read_one(path: str, key: str, nrows: int | None = None) -> pd.DataFrame:
    fmt = _format(path, key)
    if not Path(path).exists():
        raise ValueError(f"{key}: file {path!r} does not exist")
    if fmt == "parquet":
        if nrows == 0:
            import pyarrow.parquet as pq

            schema = pq.read_schema(path)
            return pd.DataFrame(columns=[c for c in schema.names if not c.startswith("__index")])
        return pd.read_parquet(path)
    return pd.read_csv(path, sep=fmt, nrows=nrows, low_memory=False)


def read_header(paths: Sequence[str], key: str) -> list[str]:
    """Column names of the first file (the files' headers only, for checks at planning time);
    every file must have the same set of columns."""
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


def read_profiles(paths: Sequence[str], key: str) -> pd.DataFrame:
    """Read and stack the profile files (same columns, in the first file's order)."""
    if not paths:
        raise ValueError(f"{key}: no profile file given")
    frames = []
    for path in paths:
        df = _read_one(path, key)
        if frames and set(df.columns) != set(frames[0].columns):
            raise ValueError(_column_mismatch(key, paths[0], path, frames[0].columns, df.columns))
        frames.append(df[list(frames[0].columns)] if frames else df)
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    if out.empty:
        raise ValueError(f"{key}: the profile file(s) have no rows: {list(paths)}")
    return out


# --------------------------------------------------------------------------------------------
# The column map
# --------------------------------------------------------------------------------------------


def _missing_column(spec: OwnDataSpec, field_name: str, col: str, columns: Sequence[str]) -> ValueError:
    close = difflib.get_close_matches(col, [str(c) for c in columns], n=3, cutoff=0.6)
    hint = f"; did you mean {close}?" if close else ""
    return ValueError(
        f"{spec.key(field_name)}: column {col!r} is not in the profiles "
        f"({len(columns)} columns, e.g. {list(columns)[:8]}){hint}"
    )


def feature_columns(spec: OwnDataSpec, columns: Sequence[str]) -> list[str]:
    """The feature columns among ``columns`` by the spec's rule (prefix, regex or not-metadata),
    minus the mapped columns; raises if none is left, naming the key."""
    columns = [str(c) for c in columns]
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


def check_columns(spec: OwnDataSpec, columns: Sequence[str]) -> list[str]:
    """Checks that need only the column names: reserved names, every mapped column present,
    at least one feature column. Returns the feature columns."""
    reserved = [c for c in columns if str(c).startswith(RESERVED_PREFIX)]
    if reserved:
        raise ValueError(
            f"{spec.key('profiles')}: column(s) {reserved} start with {RESERVED_PREFIX!r}, "
            "which this workflow adds itself; rename them"
        )
    for field_name, cols in spec.mapped_columns.items():
        for col in cols:
            if col not in columns:
                raise _missing_column(spec, field_name, col, columns)
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

    Keeps the wells of ``rows``, checks every mapped column, the features (numeric), the control
    query (matches at least one well, and a control on every plate where the design needs one),
    and adds ``OwnData_control`` and ``OwnData_perturbation``.

    Returns
    -------
    (DataFrame, list of str)
        The mapped table (index reset, row order kept) and its feature columns.
    """
    feats = check_columns(spec, list(df.columns))
    if spec.rows is not None:
        keep = evaluate_query(df, spec.rows, spec.key("rows"))
        if not keep.any():
            raise ValueError(
                f"{spec.key('rows')}: query {spec.rows!r} keeps no well of {len(df)}; "
                + _describe_values(df, _query_columns(spec.rows, df.columns))
            )
        df = df[keep]
    df = df.reset_index(drop=True)

    not_numeric = [c for c in feats if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])]
    if not_numeric:
        key = (spec.key("feature_prefix") if spec.feature_prefix else spec.key("feature_regex")
               if spec.feature_regex else spec.key("metadata_prefix"))
        raise ValueError(
            f"{key}: feature column(s) {not_numeric[:8]} are not numeric "
            f"(e.g. {df[not_numeric[0]].dropna().head(3).tolist()}); name them with the "
            f"metadata prefix {spec.metadata_prefix!r}, or choose the features with "
            "features.prefix or features.regex"
        )

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

    if spec.plate is not None and df[spec.plate].isna().any():
        rows = np.flatnonzero(df[spec.plate].isna().to_numpy())[:5].tolist()
        raise ValueError(f"{spec.key('plate')}: column {spec.plate!r} is empty in row(s) {rows}")
    treated = ~control
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
    if spec.annotation is not None:
        _check_annotation(df, spec)

    if spec.plate is not None and spec.activity_controls == "same_plate":
        per_plate = pd.Series(control).groupby(df[spec.plate].to_numpy()).sum()
        has_treated = pd.Series(treated).groupby(df[spec.plate].to_numpy()).any()
        lacking = per_plate.index[(per_plate == 0) & has_treated.reindex(per_plate.index)].tolist()
        if lacking:
            raise ValueError(
                f"{spec.key('activity_controls')}: same_plate, but plate(s) {lacking[:8]} "
                f"(column {spec.plate!r}) have no control well matching {spec.controls!r}; use "
                f"{spec.key('activity_controls')}: all, or drop those plates with {spec.key('rows')}"
            )

    out = df.copy()
    out[CONTROL_COL] = control
    key = np.full(len(out), -1, dtype=np.int64)
    if treated.any():
        codes = out.loc[treated].groupby(list(spec.perturbation), sort=True, dropna=False).ngroup()
        key[treated] = codes.to_numpy(dtype=np.int64)
    out[KEY_COL] = key
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
    return out, feats


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
