"""Shared test fixtures: paths, the read-only ../shared data, a loopback HTTP mirror."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import serve_folder

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAPEVAL_SHARED", REPO.parent / "shared"))

# pycytominer emits a pandas warning about copy_on_write at every import.
warnings.filterwarnings("ignore", message=".*copy_on_write.*")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout under test."""
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` (real files); skips the test where it is absent (CI always has it)."""
    data = SHARED / "data"
    if not (data / "MANIFEST.tsv").is_file():
        pytest.skip(f"real data not available: {data} (set MAPEVAL_SHARED to the shared folder)")
    return data


@pytest.fixture()
def http_mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server over a fresh folder; yields (base_url, folder).

    Put files into the folder (laid out like the manifest, <dataset>/<file>) before fetching.
    """
    root = tmp_path / "mirror"
    root.mkdir()
    with serve_folder(root) as base:
        yield base, root
