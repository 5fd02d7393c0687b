"""The 0.5% control sample: the rows pandas' DataFrame.sample(frac, random_state) draws, read in
chunks from a csv.gz or from inside the zip archive without loading the whole table."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

from mapreprod.datasets.mitocheck import inputs

MEMBER = inputs.CONTROL_MEMBER


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "Cell_UUID": [f"cell-{i}" for i in range(n)],
        "Metadata_Plate": rng.choice(["LT0010_27", "LT0013_38"], n),
        "Metadata_Well": rng.integers(1, 385, n),
        "Metadata_Gene": "negative control",
        # a quoted field with line breaks, like the upstream nucleus outlines
        "Metadata_Object_Outline": [f"[[{i} 1]\n [{i} 2]]" for i in range(n)],
        "CP__AreaShape_Area": rng.normal(size=n),
        "CP__Location_Center_Z": 0.0,
        "DP__efficientnet_0": rng.normal(size=n),
        "DP__efficientnet_1": rng.normal(size=n),
    })


def _write(df: pd.DataFrame, folder) -> tuple:
    plain = folder / "negative_control_data.csv.gz"
    df.to_csv(plain, index=False)
    archive = folder / "3.normalize_data__normalized_data.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(plain, MEMBER)
        z.writestr("normalized_data/positive_control_data.csv.gz", b"")
    return plain, archive


@pytest.mark.parametrize("n", [1, 99, 100, 101, 199, 300, 500, 700, 2345, 10_000])
@pytest.mark.parametrize("frac", [0.005, 0.05, 0.3, 1.0])
def test_positions_are_pandas_sample_rows(n, frac):
    df = pd.DataFrame({"x": np.arange(n)})
    expected = df.sample(frac=frac, random_state=0).index.to_numpy()
    np.testing.assert_array_equal(inputs.sample_positions(n, frac, seed=0), expected)


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_positions_follow_the_seed_like_pandas(seed):
    df = pd.DataFrame({"x": np.arange(3000)})
    expected = df.sample(frac=0.005, random_state=seed).index.to_numpy()
    np.testing.assert_array_equal(inputs.sample_positions(3000, 0.005, seed), expected)


@pytest.mark.parametrize(
    "n,size",
    # frac * n on a half rounds to even (Python round), as in pandas: 0.5 -> 0, 1.5 -> 2,
    # 2.5 -> 2, 3.5 -> 4; the authors' 780,000-cell table gives their 3,900 cells
    [(100, 0), (300, 2), (500, 2), (700, 4), (199, 1), (201, 1), (780_000, 3900)],
)
def test_sample_size_rounds_half_to_even_like_pandas(n, size):
    assert inputs.sample_size(n, 0.005) == size
    if n <= 1000:
        assert len(pd.DataFrame({"x": np.arange(n)}).sample(frac=0.005, random_state=0)) == size


@pytest.mark.parametrize("chunk_rows", [13, 333, 100_000])
@pytest.mark.parametrize("where", ["csv.gz", "zip member"])
def test_streamed_sample_equals_pandas_on_a_table_that_fits(tmp_path, chunk_rows, where):
    df = _table(1234)
    plain, archive = _write(df, tmp_path)
    source, member = (plain, None) if where == "csv.gz" else (archive, MEMBER)
    got = inputs.read_control_sample(source, member, frac=0.05, seed=0, chunk_rows=chunk_rows)
    # the authors: read the whole table, drop the outline, sample
    expected = pd.read_csv(plain).drop(columns="Metadata_Object_Outline")
    expected = expected.sample(frac=0.05, random_state=0)
    pd.testing.assert_frame_equal(got, expected)
    assert len(got) == 62  # round(0.05 * 1234)


def test_sample_of_the_authors_fraction_on_several_sizes(tmp_path):
    for n in (199, 500, 1500, 2101):
        plain, _ = _write(_table(n, seed=n), tmp_path)
        got = inputs.read_control_sample(plain, None, frac=0.005, seed=0, chunk_rows=100)
        expected = pd.read_csv(plain).drop(columns="Metadata_Object_Outline")
        pd.testing.assert_frame_equal(got, expected.sample(frac=0.005, random_state=0))


def test_empty_sample_keeps_the_columns(tmp_path):
    plain, _ = _write(_table(50), tmp_path)
    got = inputs.read_control_sample(plain, None, frac=0.005, seed=0)  # round(0.25) = 0
    assert len(got) == 0
    assert "DP__efficientnet_1" in got.columns and "Metadata_Object_Outline" not in got.columns


def test_row_count_parses_quoted_line_breaks(tmp_path):
    plain, archive = _write(_table(321), tmp_path)
    assert inputs.count_rows(plain, None, chunk_rows=10) == 321
    assert inputs.count_rows(archive, MEMBER, chunk_rows=1000) == 321


def test_reading_is_chunked_never_the_whole_table(tmp_path, monkeypatch):
    plain, archive = _write(_table(500), tmp_path)
    calls = []
    real = pd.read_csv

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(inputs.pd, "read_csv", spy)
    inputs.read_control_sample(archive, MEMBER, frac=0.1, seed=0, chunk_rows=50)
    assert calls
    for kwargs in calls:  # every read is chunked, or reads the header only
        assert kwargs.get("chunksize") == 50 or kwargs.get("nrows") == 0, kwargs


def test_archive_without_the_member_names_it(tmp_path):
    _, archive = _write(_table(20), tmp_path)
    with pytest.raises(ValueError, match="negative_control_data_v2"):
        inputs.read_control_sample(archive, "normalized_data/negative_control_data_v2.csv.gz")
    with pytest.raises(ValueError, match="control_member"):
        inputs.read_control_sample(archive, None)


def test_wrong_row_count_is_detected(tmp_path):
    plain, _ = _write(_table(100), tmp_path)
    with pytest.raises(ValueError, match="counted 120"):
        inputs.read_control_sample(plain, None, frac=0.1, n_rows=120)


def test_bad_fraction_names_the_config_key():
    with pytest.raises(ValueError, match="control_fraction"):
        inputs.sample_size(100, 1.5)
