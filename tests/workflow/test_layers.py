"""The layering of the code (docs/methods.md §14), as a rule: the engine imports nothing of the
paper's package; the shared parts of the paper's package import no dataset; no dataset imports
another; no module imports a private (underscore) name from another module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workflow_utils import REPO

WORKFLOW = REPO / "workflow"
PACKAGES = [WORKFLOW / "mapeval", WORKFLOW / "mapreprod"]


def _module_name(path: Path) -> str:
    if WORKFLOW not in path.parents:  # benchmarks: top-level scripts
        return path.stem
    parts = list(path.relative_to(WORKFLOW).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(absolute module, imported names) of every import in a file (relative imports resolved)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.append((base, [alias.name for alias in node.names]))
    return out


def _files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.py"))


def _dataset_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["mapreprod", "datasets"] else None


@pytest.mark.parametrize("path", _files(WORKFLOW / "mapeval"), ids=lambda p: p.name)
def test_engine_imports_nothing_of_the_papers_package(path):
    for module, _ in _imports(path):
        assert not module.startswith("mapreprod"), f"{path}: imports {module}"


SHARED = [p for p in _files(WORKFLOW / "mapreprod") if "datasets" not in p.parts]


@pytest.mark.parametrize("path", SHARED, ids=lambda p: str(p.relative_to(WORKFLOW)))
def test_shared_parts_import_no_dataset(path):
    for module, names in _imports(path):
        assert _dataset_of(module) is None, f"{path}: imports {module}"
        if module == "mapreprod.datasets":
            assert not names, f"{path}: imports {names} from mapreprod.datasets"


@pytest.mark.parametrize(
    "path", _files(WORKFLOW / "mapreprod" / "datasets"), ids=lambda p: str(p.relative_to(WORKFLOW))
)
def test_no_dataset_imports_another(path):
    own = _dataset_of(_module_name(path))
    for module, names in _imports(path):
        other = _dataset_of(module)
        if module == "mapreprod.datasets":
            other = names[0] if names else None
        assert other in (None, own), f"{path}: dataset {own} imports {module}"


@pytest.mark.parametrize(
    "path",
    _files(*PACKAGES, WORKFLOW / "scripts", REPO / "benchmarks"),
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_no_private_name_is_imported_from_another_module(path):
    for module, names in _imports(path):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{path}: imports private {private} from {module}"
