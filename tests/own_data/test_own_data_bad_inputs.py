"""Every mapping error names the config key and the column (issue 12): one row per case.

Each case: an id, a callable that must raise, the exception type, and fragments that must all
appear in the message (the key and the column or file it is about).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mapreprod.datasets.own_data import consistency, inputs, preprocess
from own_data_cases import tiny_screen, tiny_spec

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
