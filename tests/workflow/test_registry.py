"""The figure registry (workflow/mapreprod/figures.tsv) is the one list of figures: every id has a
rule, a dataset the config knows, a caption, README rows, and its paper values match its labels."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from mapreprod import registry
from mapreprod.reproduction import PAPER_VALUES_TSV
from workflow_utils import REPO

FIGURES = registry.figures()
RULE_TEXT = "\n".join(p.read_text() for p in sorted((REPO / "workflow/rules").glob("*.smk")))
RULES = set(re.findall(r"^rule (\w+):", RULE_TEXT, flags=re.M))


def _datasets_enum() -> set[str]:
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    return set(schema["properties"]["datasets"]["items"]["enum"])


@pytest.mark.parametrize("figure_id", FIGURES["id"].tolist())
def test_every_registered_figure_has_a_rule_a_dataset_and_a_caption(figure_id):
    row = registry.entry(figure_id)
    assert row["rule"] in RULES, f"{figure_id}: rule {row['rule']!r} is in no workflow/rules/*.smk"
    assert row["dataset"] in _datasets_enum() | {"simulations"}
    assert re.fullmatch(r"[A-Za-z0-9_]+", figure_id)
    text = registry.caption(figure_id)
    assert len(text) > 40 and (row["paper_figure"] in text or row["paper"] == "ours")


def test_registry_refuses_duplicate_ids_and_unknown_papers(tmp_path):
    bad = FIGURES.iloc[[0, 0]]
    path = tmp_path / "dup.tsv"
    bad.to_csv(path, sep="\t", index=False)
    with pytest.raises(ValueError, match="listed twice"):
        registry.figures.__wrapped__(str(path))
    other = FIGURES.iloc[[0]].assign(paper="nature")
    other.to_csv(path, sep="\t", index=False)
    with pytest.raises(ValueError, match="unknown paper"):
        registry.figures.__wrapped__(str(path))


def test_readme_figure_list_is_the_registry():
    readme = (REPO / "README.md").read_text()
    assert registry.readme_table() in readme, (
        "README's figure list is stale: run `python -m mapreprod.registry README.md`"
    )


def test_paper_values_belong_to_registered_figures():
    values = pd.read_csv(PAPER_VALUES_TSV, sep="\t", dtype=str, keep_default_na=False)
    labels = {
        (row.dataset, label)
        for row in FIGURES.itertuples(index=False)
        for label in [row.paper_figure]
    }
    for row in values.itertuples(index=False):
        if not row.figure.startswith("Fig"):
            continue  # a fact about the dataset (e.g. its size), not about one figure
        figures = registry._figure_labels(row.figure)
        assert any((row.dataset, f) in labels for f in figures), (
            f"paper_values.tsv: {row.dataset} {row.figure!r} names no registered figure"
        )


def test_figure_label_expansion():
    assert registry._figure_labels("Fig 4A/B") == {"Fig 4A", "Fig 4B"}
    assert registry._figure_labels("Fig S7B") == {"Fig S7B"}
    assert registry._figure_labels("Fig 4C/D") == {"Fig 4C", "Fig 4D"}


@pytest.mark.parametrize("figure_id", FIGURES["id"].tolist())
def test_registry_function_is_the_entry_of_its_modules_FIGURES(figure_id):
    """The registry's ``function`` (module:callable) imports, and is the drawing function that
    module's FIGURES dict holds for this id (the figure contract, docs/methods.md §14)."""
    import importlib
    import inspect

    module_name, _, name = registry.entry(figure_id)["function"].partition(":")
    module = importlib.import_module(module_name)
    assert module.FIGURES[figure_id] is getattr(module, name)
    assert registry.draw_function(figure_id) is module.FIGURES[figure_id]
    assert list(inspect.signature(module.FIGURES[figure_id]).parameters) == ["tables", "options"]


def test_every_figures_module_registers_exactly_its_ids():
    """No id list is written twice: each FIGURES dict holds exactly the registry's ids of it."""
    import importlib

    by_module: dict[str, set[str]] = {}
    for row in FIGURES.itertuples(index=False):
        by_module.setdefault(row.function.partition(":")[0], set()).add(row.id)
    for module_name, ids in by_module.items():
        assert set(importlib.import_module(module_name).FIGURES) == ids, module_name


def _schema_node(path: str) -> dict:
    """The schema of a dotted config key (sections live in workflow/schemas/<section>.schema.yaml)."""
    head, *rest = path.split(".")
    top = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    node = top["properties"][head]
    if "$ref" in node:
        node = yaml.safe_load((REPO / "workflow/schemas" / node["$ref"]).read_text())
    for part in rest:
        node = node["properties"][part]
    return node


@pytest.mark.parametrize("figure_id", FIGURES["id"].tolist())
def test_registry_names_real_config_keys_and_test_files(figure_id):
    """From a figure id, its registry row leads to its config keys and tests: both must exist."""
    row = registry.entry(figure_id)
    for key in row["config"].split():
        try:
            _schema_node(key)
        except KeyError:
            pytest.fail(f"{figure_id}: config key {key!r} is not in the schema")
    for path in row["tests"].split():
        assert (REPO / path).is_file(), f"{figure_id}: test file {path} does not exist"
