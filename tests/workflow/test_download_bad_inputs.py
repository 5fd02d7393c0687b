"""Every bad input of the download layer fails with its own error type and a clear message."""

from __future__ import annotations

import pytest
from download_cases import DATA, DOWNLOAD_BAD_INPUTS, _ensure_present_corrupt


@pytest.mark.parametrize("case", DOWNLOAD_BAD_INPUTS, ids=[c.id for c in DOWNLOAD_BAD_INPUTS])
def test_bad_download_input_is_refused_with_a_clear_message(case, tmp_path):
    with pytest.raises(case.error) as err:
        case.call(tmp_path)
    assert case.message in str(err.value), str(err.value)


def test_case_ids_are_unique():
    ids = [c.id for c in DOWNLOAD_BAD_INPUTS]
    assert len(ids) == len(set(ids))


def test_a_corrupt_file_in_place_is_left_there_untouched(tmp_path):
    """The check refuses the file and names the ways out, but neither deletes nor replaces it."""
    with pytest.raises(Exception) as err:
        _ensure_present_corrupt(tmp_path)
    path = tmp_path / "resources" / "ds" / "x.tsv"
    assert path.read_bytes() == DATA.replace(b"DMSO", b"DMSX")
    message = str(err.value)
    for fragment in (str(path), "data.mirror", "manifest", "delete"):
        assert fragment in message
    assert not (tmp_path / "resources" / "ds" / ".verified" / "x.tsv.tsv").exists()
