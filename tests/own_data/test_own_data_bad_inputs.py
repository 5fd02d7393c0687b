"""Every mapping error names the config key and the column (issues 12, 16): one row per case.

Three tables, all also rows of tests/test_bad_inputs.py:

- ``CASES``: an id, a callable that must raise, the exception type, and fragments that must all
  appear in the message (the key and the column or file it is about);
- ``FILE_CASES``: the same for inputs that are files (the callable takes a temporary folder);
- ``ANSWERS``: inputs that must give the right answer, each checked against an independent
  oracle (the same screen cleaned by hand, or the original table): an id, a callable taking a
  temporary folder, and a check of its result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.own_data import consistency, inputs, preprocess
from mapreprod.datasets.own_data.paths import OwnDataWorkflow
from own_data_cases import (
    SCREEN42_ENTRY,
    run_pipeline,
    screen42,
    tiny_entry,
    tiny_screen,
    tiny_spec,
)

KEY = "own_data.datasets.tiny"


def _map(df: pd.DataFrame, **entry):
    return inputs.map_columns(df, tiny_spec(**entry))


def _screen(**changes) -> pd.DataFrame:
    df = tiny_screen()
    for col, value in changes.items():
        df[col] = value
    return df


def _prepare(df: pd.DataFrame, **entry):
    spec = tiny_spec(**entry)
    mapped, feats = inputs.map_columns(df, spec)
    return preprocess.prepare_profiles(mapped, feats, spec)


def _consensus(df: pd.DataFrame, **entry):
    spec = tiny_spec(**entry)
    mapped, feats = inputs.map_columns(df, spec)
    return consistency.consensus_profiles(mapped, feats, spec)


def _count_zero_in_controls(plates=("P0",)) -> pd.DataFrame:
    """:func:`screen42` with its cell count 0 in every DMSO well of ``plates`` (issue 16)."""
    df = screen42()
    df.loc[df["Metadata_Plate"].isin(plates) & (df["Metadata_Compound"] == "DMSO"), "Count"] = 0.0
    return df


def _prepare42(df: pd.DataFrame, **entry):
    spec = inputs.OwnDataSpec.from_config("s", {**SCREEN42_ENTRY, **entry})
    mapped, feats = inputs.map_columns(df, spec)
    return preprocess.prepare_profiles(mapped, feats, spec)


def _planned(section: dict, enabled: bool) -> OwnDataWorkflow:
    return OwnDataWorkflow({"datasets": section}, enabled)


def _drop_controls_of_plate(plate: str) -> pd.DataFrame:
    df = tiny_screen()
    return df[~((df["Metadata_Plate"] == plate) & (df["Metadata_Compound"] == "DMSO"))]


CASES = [
    # the control query
    ("control query matches nothing",
     lambda: _map(tiny_screen(), controls="Metadata_Compound == 'DMS0'"),
     ValueError, [f"{KEY}.controls", "matches no well", "'Metadata_Compound'", "DMSO"]),
    ("control query names a missing column",
     lambda: _map(tiny_screen(), controls="Metadata_Treatment == 'DMSO'"),
     ValueError, [f"{KEY}.controls", "Metadata_Treatment"]),
    ("control query matches every well",
     lambda: _map(tiny_screen(), controls="Metadata_Dose >= 0"),
     ValueError, [f"{KEY}.controls", "matches every well"]),
    ("a plate without controls under same_plate",
     lambda: _map(_drop_controls_of_plate("P1")),
     ValueError, [f"{KEY}.activity.controls", "'P1'", "'Metadata_Plate'"]),
    ("a plate with too few controls to normalize against",
     lambda: _prepare(_drop_controls_of_plate("P2"), activity={"controls": "all"}),
     ValueError, [f"{KEY}.normalize.fit_on", "'P2'", "'Metadata_Plate'"]),
    # missing columns
    ("perturbation column missing",
     lambda: _map(tiny_screen(), columns={"perturbation": "Metadata_compound"}),
     ValueError, [f"{KEY}.columns.perturbation", "'Metadata_compound'", "Metadata_Compound"]),
    ("plate column missing",
     lambda: _map(tiny_screen(), columns={"plate": "Metadata_Barcode"}),
     ValueError, [f"{KEY}.columns.plate", "'Metadata_Barcode'"]),
    ("annotation column missing",
     lambda: _map(tiny_screen(), columns={"annotation": "Metadata_MoA"}),
     ValueError, [f"{KEY}.columns.annotation", "'Metadata_MoA'"]),
    ("replicates_differ_in column missing",
     lambda: _map(tiny_screen(), activity={"replicates_differ_in": ["Metadata_Row"]}),
     ValueError, [f"{KEY}.activity.replicates_differ_in", "'Metadata_Row'"]),
    ("positives_differ_in column missing",
     lambda: _map(tiny_screen(), consistency={"positives_differ_in": ["Metadata_Cmpd"]}),
     ValueError, [f"{KEY}.consistency.positives_differ_in", "'Metadata_Cmpd'"]),
    ("replicates never differ in the required column",
     lambda: _map(tiny_screen(), activity={"replicates_differ_in": ["Metadata_Well"]}),
     ValueError, [f"{KEY}.activity.replicates_differ_in", "'Metadata_Well'"]),
    ("same_plate without a plate column",
     lambda: tiny_spec(columns={"plate": None}),
     ValueError, [f"{KEY}.activity.controls", f"{KEY}.columns.plate"]),
    # the annotation column's type
    ("annotation column of numbers",
     lambda: _map(tiny_screen(), columns={"annotation": "Metadata_Dose"}),
     ValueError, [f"{KEY}.columns.annotation", "'Metadata_Dose'", "float64"]),
    ("annotation column of booleans",
     lambda: _map(_screen(Metadata_Flag=True), columns={"annotation": "Metadata_Flag"}),
     ValueError, [f"{KEY}.columns.annotation", "'Metadata_Flag'", "bool"]),
    ("annotation column of mixed objects",
     lambda: _map(_screen(Metadata_Target=pd.Series([{"a": 1}] * 30, dtype=object))),
     ValueError, [f"{KEY}.columns.annotation", "'Metadata_Target'", "dict"]),
    ("annotation differing between wells of one perturbation",
     lambda: _consensus(_screen(Metadata_Target=[f"T{i}" for i in range(30)])),
     ValueError, [f"{KEY}.columns.annotation", "'Metadata_Target'", "more than one value"]),
    # features
    ("no feature columns (everything is metadata)",
     lambda: _map(tiny_screen(), features={"metadata_prefix": ""}),
     ValueError, [f"{KEY}.features.metadata_prefix", "no feature columns"]),
    ("no feature columns match the prefix",
     lambda: _map(tiny_screen(), features={"prefix": "Nuclei_"}),
     ValueError, [f"{KEY}.features.prefix", "no feature columns", "Nuclei_"]),
    ("no feature columns match the regex",
     lambda: _map(tiny_screen(), features={"regex": "^Image_"}),
     ValueError, [f"{KEY}.features.regex", "no feature columns", "^Image_"]),
    ("a text column taken for a feature",
     lambda: _map(_screen(Well="A01")),
     ValueError, [f"{KEY}.features.metadata_prefix", "'Well'", "not numeric"]),
    ("a mapped column matched by the feature regex",
     lambda: _map(tiny_screen(), features={"regex": "Metadata_Dose|^f"}),
     ValueError, [f"{KEY}.features.regex", "Metadata_Dose"]),
    ("prefix and regex both given",
     lambda: tiny_spec(features={"prefix": "f", "regex": "^f"}),
     ValueError, [f"{KEY}.features.prefix", f"{KEY}.features.regex"]),
    ("missing feature values",
     lambda: _prepare(_screen(f0=[np.nan] + [1.0] * 29)),
     ValueError, [f"{KEY}.feature_select.operations", "'f0'", "drop_na_columns"]),
    # empty ids, rows query, files, unknown keys
    ("empty perturbation id in a treated well",
     lambda: _map(_screen(Metadata_Compound=tiny_screen()["Metadata_Compound"].mask(
         tiny_screen().index == 4)), controls="Metadata_Well.str.startswith('A')"),
     ValueError, [f"{KEY}.columns.perturbation", "'Metadata_Compound'", "empty"]),
    ("perturbation column with no replicates",
     lambda: _map(tiny_screen(), columns={"perturbation": "f0"}, features={"prefix": "Cells_"}),
     ValueError, [f"{KEY}.columns.perturbation", "two or more wells"]),
    ("rows query keeps nothing",
     lambda: _map(tiny_screen(), rows="Metadata_Plate == 'P9'"),
     ValueError, [f"{KEY}.rows", "keeps no well", "'Metadata_Plate'"]),
    ("reserved column name",
     lambda: _map(_screen(OwnData_control=1)),
     ValueError, [f"{KEY}.profiles", "OwnData_control"]),
    ("profile glob matching nothing",
     lambda: inputs.resolve_paths(["no/such/*.parquet"], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "no/such/*.parquet", "matches no file"]),
    ("profile file of an unknown format",
     lambda: inputs.resolve_paths(["plates.xlsx"], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "plates.xlsx"]),
    ("unknown config key",
     lambda: tiny_spec(normalise={"method": "standardize"}),
     ValueError, [f"{KEY}.normalise", "unknown key"]),
    ("required key missing",
     lambda: inputs.OwnDataSpec.from_config("tiny", {"profiles": "x.csv", "columns": {"perturbation": "a"}}),
     ValueError, [f"{KEY}.controls", "required"]),
    # issue 16: zero control dispersion, wells read twice, nothing configured to run
    ("zero control dispersion refused (zero_dispersion: error)",
     lambda: _prepare42(_count_zero_in_controls(("P0", "P2")), normalize={"zero_dispersion": "error"}),
     ValueError, ["own_data.datasets.s.normalize.zero_dispersion", "'Count'", "['P0', 'P2']", "MAD"]),
    ("zero control dispersion under standardize refused",
     lambda: _prepare42(_count_zero_in_controls(), normalize={"method": "standardize", "zero_dispersion": "error"}),
     ValueError, ["own_data.datasets.s.normalize.zero_dispersion", "'Count'", "['P0']", "SD"]),
    ("zero dispersion setting unknown",
     lambda: tiny_spec(normalize={"zero_dispersion": "keep"}),
     ValueError, [f"{KEY}.normalize.zero_dispersion", "'keep'"]),
    ("a (plate, well) listed twice",
     lambda: _map(pd.concat([tiny_screen(), tiny_screen().iloc[[4, 5]]], ignore_index=True),
                  columns={"well": "Metadata_Well"}),
     ValueError, [f"{KEY}.columns.well", "2 (plate, well)", "'Metadata_Well': 'B00'", "[4, 30]", "read twice"]),
    ("well column missing",
     lambda: _map(tiny_screen(), columns={"well": "Metadata_Wells"}),
     ValueError, [f"{KEY}.columns.well", "'Metadata_Wells'", "Metadata_Well"]),
    ("well column empty",
     lambda: _map(_screen(Metadata_Well=[None] + ["A01"] * 29), columns={"well": "Metadata_Well"}),
     ValueError, [f"{KEY}.columns.well", "'Metadata_Well'", "empty in 1 row"]),
    ("own_data.datasets set but own_data not in datasets",
     lambda: _planned({"tiny": tiny_entry()}, enabled=False).combine_inputs(),
     ValueError, ["own_data.datasets has ['tiny']", "'own_data' is not in the top-level `datasets:`",
                  "datasets: [own_data]"]),
    ("own_data in datasets but own_data.datasets empty",
     lambda: _planned({}, enabled=True).reproduction_inputs(),
     ValueError, ["own_data.datasets is empty"]),
]


@pytest.mark.parametrize("case_id,call,error,fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_key_and_the_column(case_id, call, error, fragments):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{case_id}: {missing} not in: {message}"


def test_files_with_different_columns_name_the_file(tmp_path):
    df = tiny_screen()
    df.to_csv(tmp_path / "a.csv", index=False)
    df.drop(columns=["f1"]).to_csv(tmp_path / "b.csv", index=False)
    paths = [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    for reader in (inputs.read_profiles, inputs.read_header):
        with pytest.raises(ValueError, match=r"b\.csv.*missing \['f1'\]"):
            reader(paths, f"{KEY}.profiles")


# --------------------------------------------------------------------------------------------
# Files (issue 16): what a file really is, wells read twice, cells that are not numbers, inf
# --------------------------------------------------------------------------------------------


def _write(folder, name: str, content) -> str:
    """Write one file into ``folder``: bytes as they are, a DataFrame by the format its name
    says (or ``content = (df, "parquet")`` to force a format); returns its path."""
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, tuple):
        df, fmt = content
        if fmt == "parquet":
            df.to_parquet(path, index=False)
        elif fmt == "gzip":
            df.to_csv(path, index=False, compression="gzip")
        else:
            df.to_csv(path, index=False, encoding=fmt)
    elif name.endswith(".parquet"):
        content.to_parquet(path, index=False)
    else:
        content.to_csv(path, index=False)
    return str(path)


def _from_files(paths: list[str], **entry):
    """The prepare job on files: read (with their origin), map, prepare."""
    spec = tiny_spec(profiles=paths, **entry)
    raw = inputs.read_profiles(paths, spec.key("profiles"), na_values=spec.na_values, origin=True)
    mapped, feats = inputs.map_columns(raw, spec)
    return preprocess.prepare_profiles(mapped, feats, spec)


def _pipeline_files(paths: list[str], **entry) -> pd.DataFrame:
    """The activity table of files, through every step of the workflow."""
    from mapreprod.datasets.own_data import activity
    from own_data_cases import tiny_settings

    spec = tiny_spec(profiles=paths, **entry)
    prepared, kept, _ = _from_files(paths, **entry)
    st = tiny_settings(**entry)
    return activity.gather_activity([activity.shard_average_precision(prepared, kept, spec, st)],
                                    prepared, spec, st)[1]


def _screen_with(col: str, row: int, value) -> pd.DataFrame:
    df = tiny_screen()
    df[col] = df[col].astype(object)
    df.loc[row, col] = value
    return df


def _split_by_plate(folder, names=("a.csv", "b.csv"), copy_row: bool = False) -> list[str]:
    """Plate P0 into the first file, P1 and P2 into the second; with ``copy_row`` one well of
    the second file gets the features of a well of the first (a different well)."""
    df = tiny_screen()
    first, second = df[df["Metadata_Plate"] == "P0"], df[df["Metadata_Plate"] != "P0"].copy()
    if copy_row:
        feats = [c for c in df.columns if not c.startswith("Metadata_")]
        second.loc[second.index[0], feats] = first[feats].iloc[0].to_numpy()
    return [_write(folder, names[0], first), _write(folder, names[1], second)]


FILE_CASES = [
    ("gzip file named .csv",
     lambda d: inputs.read_profiles([_write(d, "x.csv", (tiny_screen(), "gzip"))], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "x.csv' is gzip-compressed", "rename it to 'x.csv.gz'"]),
    ("Parquet file named .csv",
     lambda d: inputs.read_profiles([_write(d, "x.csv", (tiny_screen(), "parquet"))], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "x.csv' is a Parquet file", "rename it to 'x.parquet'"]),
    ("empty (0-byte) CSV file",
     lambda d: inputs.read_profiles([_write(d, "x.csv", b"")], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "x.csv' is empty (0 bytes)", "Export it again"]),
    ("empty (0-byte) Parquet file",
     lambda d: inputs.read_profiles([_write(d, "x.parquet", b"")], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "x.parquet' is empty (0 bytes)"]),
    ("blank text file (no header line)",
     lambda d: inputs.read_profiles([_write(d, "x.csv", b"\n\n")], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "x.csv' holds no table", "no header line"]),
    ("Excel workbook named .csv",
     lambda d: inputs.read_profiles([_write(d, "x.csv", b"PK\x03\x04" + bytes(200))], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "zip archive (an Excel .xlsx workbook", "CSV UTF-8"]),
    ("Latin-1 text named .csv",
     lambda d: inputs.read_profiles([_write(d, "x.csv", (_screen_with("Metadata_Target", 5, "caf\xe9"), "latin-1"))],
                                    f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "x.csv' is text that is not UTF-8", "save it as UTF-8"]),
    ("UTF-16 text named .csv",
     lambda d: inputs.read_profiles([_write(d, "x.csv", (tiny_screen(), "utf-16"))], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "x.csv' is UTF-16 text", "save it as UTF-8"]),
    ("plain text named .csv.gz",
     lambda d: inputs.read_profiles([_write(d, "x.csv.gz", tiny_screen().to_csv(index=False).encode())],
                                    f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "x.csv.gz' is text", "rename it to 'x.csv'"]),
    ("CSV text named .parquet",
     lambda d: inputs.read_profiles([_write(d, "x.parquet", (tiny_screen(), "utf-8"))], f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "x.parquet' is text", "rename it to end in .csv"]),
    ("a folder given as a profile file",
     lambda d: inputs.read_profiles([str(d) + "/plates.csv"] if (d / "plates.csv").mkdir() is None else [],
                                    f"{KEY}.profiles"),
     ValueError, [f"{KEY}.profiles", "plates.csv' is a folder"]),
    ("a wrong column in a file names the file (prepare step)",
     lambda d: _from_files([_write(d, "x.parquet", tiny_screen())], columns={"plate": "Metadata_Barcode"}),
     ValueError, [f"{KEY}.columns.plate", "'Metadata_Barcode'", "x.parquet'", "did you mean"]),
    ("a CSV separated by semicolons",
     lambda d: _from_files([_write(d, "x.csv", tiny_screen().to_csv(index=False, sep=";").encode())]),
     ValueError, [f"{KEY}.columns.perturbation", "read as 1 column(s)", "separated by semicolons"]),
    ("numbers with decimal commas (a TSV)",
     lambda d: _from_files([_write(d, "x.tsv", tiny_screen().to_csv(index=False, sep="\t", decimal=",").encode())]),
     ValueError, [f"{KEY}.profiles", "feature column(s) ['f0'", "decimal comma", "decimal point"]),
    # wells read twice
    ("a glob matching screen.csv and screen.parquet",
     lambda d: _from_files(inputs.resolve_paths([str(d / "screen.*")], f"{KEY}.profiles")
                           if [_write(d, n, tiny_screen()) for n in ("screen.csv", "screen.parquet")] else []),
     ValueError, [f"{KEY}.profiles", "30 row(s) of", "screen.parquet' are identical to rows of",
                  "screen.csv' line 2", "screen.parquet' row 0", f"{KEY}.columns.well"]),
    ("one plate file saved under two names",
     lambda d: _from_files([*_split_by_plate(d), _write(d, "a_copy.csv", tiny_screen().iloc[:10])]),
     ValueError, [f"{KEY}.profiles", "10 row(s) of", "a_copy.csv' are identical to rows of", "a.csv'"]),
    ("a (plate, well) in two files",
     lambda d: _from_files([*_split_by_plate(d), _write(d, "a_copy.csv", tiny_screen().iloc[:10])],
                           columns={"well": "Metadata_Well"}),
     ValueError, [f"{KEY}.columns.well", "10 (plate, well) value(s)", "a.csv' line 2", "a_copy.csv' line 2"]),
    ("a plate pasted twice into one file",
     lambda d: _from_files([_write(d, "x.csv", pd.concat([tiny_screen(), tiny_screen().iloc[:10]]))]),
     ValueError, [f"{KEY}.profiles", "10 row(s) of", "x.csv' repeat another row in every column",
                  "x.csv' line 2", "x.csv' line 32"]),
    ("distinct wells with one profile in two files, well column not mapped",
     lambda d: _from_files(_split_by_plate(d, copy_row=True)),
     ValueError, [f"{KEY}.profiles", "1 row(s) of", "b.csv' are identical", f"{KEY}.columns.well"]),
    # cells that are not numbers, infinite values
    ("a #DIV/0! cell in a CSV feature column",
     lambda d: _from_files([_write(d, "x.csv", _screen_with("f1", 7, "#DIV/0!"))]),
     ValueError, [f"{KEY}.profiles", "feature column 'f1'", "1 cell(s)", "['#DIV/0!']", "x.csv' line 9",
                  "Fix those cells", f"{KEY}.na_values: ['#DIV/0!']"]),
    ("a #DIV/0! cell in a Parquet text column",
     lambda d: _from_files([_write(d, "x.parquet", _screen_with("f1", 7, "#DIV/0!").astype({"f1": str}))]),
     ValueError, [f"{KEY}.profiles", "'f1'", "['#DIV/0!']", "x.parquet' row 7", f"{KEY}.na_values"]),
    ("an infinite value (inf) in a feature",
     lambda d: _from_files([_write(d, "x.csv", _screen_with("f0", 3, np.inf))]),
     ValueError, [f"{KEY}.feature_select.operations", "['f0']", "infinite", "x.csv' line 5",
                  "add drop_na_columns", f"{KEY}.feature_select.na_cutoff: 0", "infinite values count as missing"]),
    ("an infinite value under the cutoff of drop_na_columns",
     lambda d: _from_files([_write(d, "x.csv", _screen_with("f0", 3, -np.inf))],
                           feature_select={"operations": ["drop_na_columns"]}),
     ValueError, [f"{KEY}.feature_select.operations", "after feature selection", "['f0']", "x.csv' line 5",
                  f"{KEY}.feature_select.na_cutoff: 0.05", "set it to 0"]),
]


def _same_table(oracle):
    """A check: the result's activity table equals ``oracle()``'s, value for value."""
    def check(result) -> None:
        table = result[3] if isinstance(result, tuple) else result
        pd.testing.assert_frame_equal(table, oracle())
    return check


def _dropped(expected: dict, oracle):
    """A check: the prepare step dropped ``expected`` (feature -> plates), and the activity table
    equals ``oracle()``'s (the screen with the feature removed by hand)."""
    def check(result) -> None:
        prepared, kept, info, table = result
        assert info["zero_dispersion"] == expected
        assert not set(expected) & set(kept) and not set(expected) & set(prepared.columns)
        assert info["beyond"] == []
        pd.testing.assert_frame_equal(table, oracle())
    return check


def _equal_frames(expected):
    def check(result) -> None:
        pd.testing.assert_frame_equal(result, expected(), check_dtype=False)
    return check


def _renamed_read(d, name: str, content, new_name: str):
    """Write a file under a wrong name, follow the error's advice (rename), read it."""
    _write(d, name, content)
    (d / name).rename(d / new_name)
    return inputs.read_profiles([str(d / new_name)], f"{KEY}.profiles")


def _constant_on_plate(df: pd.DataFrame, plate: str, value: float) -> pd.DataFrame:
    df = df.copy()
    df.loc[df["Metadata_Plate"] == plate, "Count"] = value
    return df


def _count_zero_in_most(df: pd.DataFrame) -> pd.DataFrame:
    """Count 0 in 8 of the 14 wells of plate P1 (its MAD over all wells is 0), varying elsewhere."""
    df = df.copy()
    p1 = np.flatnonzero((df["Metadata_Plate"] == "P1").to_numpy())
    df.loc[p1[:8], "Count"] = 0.0
    df.loc[p1[8:], "Count"] = [1.0, 2.0, 4.0, 7.0, 3.0, 5.0]
    return df


def _check_constant_plate_kept(result) -> None:
    prepared, kept, info, _ = result
    assert info["zero_dispersion"] == {} and "Count" in kept
    on_p1 = prepared.loc[prepared["Metadata_Plate"] == "P1", "Count"]
    assert (on_p1 == 0.0).all()  # (5 - median 5) / (0 + 1e-18): exactly 0, no blow-up
    assert prepared["Count"].abs().max() < 100


def _without_count() -> pd.DataFrame:
    """The oracle of the count rows: the activity table of the screen without the count."""
    return run_pipeline(screen42().drop(columns="Count"), SCREEN42_ENTRY)[3]


_NA_OPS = {"feature_select": {"operations": ["drop_na_columns"], "na_cutoff": 0}}

ANSWERS = [
    # issue 16, item 1: a count that is 0 in every DMSO well (one plate, then every plate)
    ("count zero in the controls of one plate: dropped, calls of the screen without it",
     lambda d: run_pipeline(_count_zero_in_controls(("P0",)), SCREEN42_ENTRY),
     _dropped({"Count": ["P0"]}, _without_count)),
    ("count zero in the controls of every plate: dropped, calls of the screen without it",
     lambda d: run_pipeline(_count_zero_in_controls(("P0", "P1", "P2")), SCREEN42_ENTRY),
     _dropped({"Count": ["P0", "P1", "P2"]}, _without_count)),
    ("count zero in the controls under standardize: dropped (not left unscaled)",
     lambda d: run_pipeline(_count_zero_in_controls(("P1",)), {**SCREEN42_ENTRY, "normalize": {"method": "standardize"}}),
     _dropped({"Count": ["P1"]}, lambda: run_pipeline(screen42().drop(columns="Count"),
                                                      {**SCREEN42_ENTRY, "normalize": {"method": "standardize"}})[3])),
    ("count zero in the controls under robustize: dropped",
     lambda d: run_pipeline(_count_zero_in_controls(("P2",)), {**SCREEN42_ENTRY, "normalize": {"method": "robustize"}}),
     _dropped({"Count": ["P2"]}, lambda: run_pipeline(screen42().drop(columns="Count"),
                                                      {**SCREEN42_ENTRY, "normalize": {"method": "robustize"}})[3])),
    ("count zero in most wells of a plate, fitted on all wells: dropped (MAD 0, SD not)",
     lambda d: run_pipeline(_count_zero_in_most(screen42()), {**SCREEN42_ENTRY, "normalize": {"fit_on": "all"}}),
     _dropped({"Count": ["P1"]}, lambda: run_pipeline(screen42().drop(columns="Count"),
                                                      {**SCREEN42_ENTRY, "normalize": {"fit_on": "all"}})[3])),
    ("count constant in every well of one plate: kept, scaled to 0 there",
     lambda d: run_pipeline(_constant_on_plate(screen42(), "P1", 5.0), SCREEN42_ENTRY),
     _check_constant_plate_kept),
    # unclear errors: the advice, followed, gives the table of the screen cleaned by hand
    ("inf: drop_na_columns with na_cutoff 0 as advised gives the screen without the feature",
     lambda d: _pipeline_files([_write(d, "x.csv", _screen_with("f0", 3, np.inf))], **_NA_OPS),
     _same_table(lambda: run_pipeline(tiny_screen().drop(columns="f0"), tiny_entry(**_NA_OPS), "tiny")[3])),
    ("#DIV/0!: na_values and drop_na_columns as advised give the screen without the feature",
     lambda d: _pipeline_files([_write(d, "x.csv", _screen_with("f1", 7, "#DIV/0!"))],
                               na_values=["#DIV/0!"], **_NA_OPS),
     _same_table(lambda: run_pipeline(tiny_screen().drop(columns="f1"), tiny_entry(**_NA_OPS), "tiny")[3])),
    ("#DIV/0! in Parquet: na_values as advised give the screen without the feature",
     lambda d: _pipeline_files([_write(d, "x.parquet", _screen_with("f1", 7, "#DIV/0!").astype({"f1": str}))],
                               na_values=["#DIV/0!"], **_NA_OPS),
     _same_table(lambda: run_pipeline(tiny_screen().drop(columns="f1"), tiny_entry(**_NA_OPS), "tiny")[3])),
    ("gzip named .csv, renamed to .csv.gz as advised, reads the table",
     lambda d: _renamed_read(d, "x.csv", (tiny_screen(), "gzip"), "x.csv.gz"),
     _equal_frames(tiny_screen)),
    ("Parquet named .csv, renamed to .parquet as advised, reads the table",
     lambda d: _renamed_read(d, "x.csv", (tiny_screen(), "parquet"), "x.parquet"),
     _equal_frames(tiny_screen)),
    # wells read twice: distinct wells with one profile are accepted once told apart by well
    ("two wells of one file with one profile but different wells: scored",
     lambda d: _pipeline_files([_write(d, "x.csv", _copied_row_screen())]),
     _same_table(lambda: run_pipeline(_copied_row_screen(), tiny_entry(), "tiny")[3])),
    ("distinct wells with one profile in two files, well column mapped: scored as one table",
     lambda d: _pipeline_files(_split_by_plate(d, copy_row=True), columns={"well": "Metadata_Well"}),
     _same_table(lambda: run_pipeline(_copied_row_screen(), tiny_entry(columns={"well": "Metadata_Well"}), "tiny")[3])),
]


def _copied_row_screen() -> pd.DataFrame:
    """:func:`_split_by_plate` (copy_row) as one table."""
    df = tiny_screen()
    feats = [c for c in df.columns if not c.startswith("Metadata_")]
    df.loc[10, feats] = df.loc[0, feats].to_numpy()
    return df


@pytest.mark.parametrize("case_id,call,error,fragments", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_file_names_the_file_and_what_to_do(case_id, call, error, fragments, tmp_path):
    with pytest.raises(error) as info:
        call(tmp_path)
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{case_id}: {missing} not in: {message}"


@pytest.mark.parametrize("case_id,call,check", ANSWERS, ids=[c[0] for c in ANSWERS])
def test_input_gives_the_right_answer(case_id, call, check, tmp_path):
    check(call(tmp_path))
