"""The figure registry: one table (figures.tsv) with every figure the workflow draws.

Columns: ``id`` (file stem under results/figures and results/tables), ``dataset`` (the
``datasets:`` name that turns it on; ``simulations`` always runs), ``paper`` (kalinin2025,
chandrasekaran2024 or ours), ``paper_figure`` (as printed in that paper, e.g. "Fig 3E"),
``rule`` (the Snakemake rule that draws it), ``function`` (``module:callable``, the drawing
function: the entry of that module's ``FIGURES`` dict, see :func:`draw_function`), ``config``
(the config keys that shape it, space-separated dotted paths: its own keys first, then the
sections), ``tests`` (the test files that cover it) and ``caption`` (what it shows). It feeds ``rule all``, the figure rules, the report captions, the tests and the
README's list. From a figure id, one search finds its row here, its rule, its function and tests.

The figure contract: every ``datasets/<name>/figures.py`` (and ``simulations/figures.py``)
exports ``FIGURES = {figure_id: draw}``, where ``draw(tables, options) -> (table, figure)``
takes the rule's named inputs read as DataFrames and the rule's ``params.options`` (a dict), and
returns the figure's source table (written to results/tables/<id>.csv) and the matplotlib figure.
One script, workflow/scripts/figure.py, runs every figure rule.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd

FIGURES_TSV = Path(__file__).with_name("figures.tsv")
COLUMNS = ["id", "dataset", "paper", "paper_figure", "rule", "function", "config", "tests", "caption"]
#: The drawing function of a figure: (named input tables, rule options) -> (source table, figure).
DrawFunction = Callable[[Mapping[str, pd.DataFrame], Mapping[str, Any]], tuple[pd.DataFrame, Any]]
PAPERS = {
    "kalinin2025": "Kalinin et al. 2025 (Nat Commun 16:5181)",
    "chandrasekaran2024": "Chandrasekaran et al. 2024 (CPJUMP1, Nat Methods)",
    "ours": "this workflow (not in the paper)",
}


@cache
def figures(path: str | None = None) -> pd.DataFrame:
    """The registry as a DataFrame (checked: columns, unique ids, known papers)."""
    source = Path(path) if path else FIGURES_TSV
    table = pd.read_csv(source, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}")
    dup = table["id"][table["id"].duplicated()].tolist()
    if dup:
        raise ValueError(f"{source}: figure id(s) listed twice: {dup}")
    unknown = sorted(set(table["paper"]) - set(PAPERS))
    if unknown:
        raise ValueError(f"{source}: unknown paper(s) {unknown}; known: {sorted(PAPERS)}")
    empty = table.loc[(table[COLUMNS] == "").any(axis=1), "id"].tolist()
    if empty:
        raise ValueError(f"{source}: empty field(s) in row(s) {empty}")
    return table[COLUMNS]


def figure_ids(dataset: str, rule: str | None = None) -> list[str]:
    """Ids of the figures of one dataset (drawn by ``rule``, if given), in registry order."""
    table = figures()
    keep = table["dataset"] == dataset
    if rule is not None:
        keep &= table["rule"] == rule
    return table.loc[keep, "id"].tolist()


def entry(figure_id: str) -> dict[str, str]:
    """The registry row of one figure id (KeyError naming the id if it is not registered)."""
    table = figures()
    rows = table[table["id"] == figure_id]
    if rows.empty:
        raise KeyError(f"figure id {figure_id!r} is not in {FIGURES_TSV}")
    return rows.iloc[0].to_dict()


def draw_function(figure_id: str) -> DrawFunction:
    """The drawing function of a figure: the registry's ``function`` (``module:callable``),
    checked to be the entry of that module's ``FIGURES`` for this id."""
    target = entry(figure_id)["function"]
    module_name, _, name = target.partition(":")
    module = importlib.import_module(module_name)
    figures_dict = getattr(module, "FIGURES", None)
    if not isinstance(figures_dict, dict) or figure_id not in figures_dict:
        raise KeyError(f"{FIGURES_TSV}: {figure_id!r} -> {target}, but {module_name}.FIGURES has no {figure_id!r}")
    draw = getattr(module, name, None)
    if draw is None or figures_dict[figure_id] is not draw:
        raise KeyError(
            f"{FIGURES_TSV}: {figure_id!r} -> {target}, but {module_name}.FIGURES[{figure_id!r}] is "
            f"{getattr(figures_dict[figure_id], '__name__', figures_dict[figure_id])!r}"
        )
    return draw


def caption(figure_id: str) -> str:
    """The caption with its source: '<caption> Reproduces <paper figure> of <paper>.'"""
    row = entry(figure_id)
    source = PAPERS[row["paper"]]
    if row["paper"] == "ours":
        return f"{row['caption']} ({source}.)"
    return f"{row['caption']} Reproduces {row['paper_figure']} of {source}."


#: Report categories (one per dataset), in the order of the paper.
DATASET_TITLES = {
    "simulations": "1 Simulations (Fig 2, S2-S5)",
    "cellhealth": "2 Cell Health (Fig 3, S6)",
    "cpg0004": "3 cpg0004 / LINCS (Fig S7A, S7C)",
    "cpg0016orf": "4 cpg0016 ORF (Fig S7B, S7D)",
    "nelisa": "5 nELISA vs Cell Painting (Fig 4A-D)",
    "perturbseq": "6 Perturb-seq (Fig 4E-F, 5A-B, S8)",
    "mitocheck": "7 Mitocheck (Fig 5C-D, S9, S10)",
    "cpjump1": "8 CPJUMP1 (Chandrasekaran et al. 2024)",
    "own_data": "9 Your own profiles",
}


def report_category(figure_id: str) -> str:
    """The report category of a figure: its dataset's title."""
    dataset = entry(figure_id)["dataset"]
    return DATASET_TITLES.get(dataset, dataset)


def _figure_labels(label: str) -> set[str]:
    """'Fig 4A/B' -> {'Fig 4A', 'Fig 4B'}; 'Fig S7B' -> {'Fig S7B'}."""
    label = label.strip()
    head, _, rest = label.partition(" ")
    if "/" not in rest:
        return {label}
    parts = rest.split("/")
    first = parts[0]
    stem = first.rstrip("ABCDEFGHIJKLMNOPabcdefghijklmnop")
    return {f"{head} {first}"} | {f"{head} {stem}{p}" if len(p) <= 2 else f"{head} {p}" for p in parts[1:]}


def report_captions(reproduction_csv: str | Path | None = None) -> dict[str, str]:
    """reStructuredText caption of every registered figure: what it shows, which figure of which
    paper, and, where ``reproduction_csv`` exists, this run's numbers next to the paper's."""
    table = figures()
    numbers = None
    if reproduction_csv is not None and Path(reproduction_csv).is_file():
        numbers = pd.read_csv(reproduction_csv, dtype=str, keep_default_na=False)
    out = {}
    for row in table.itertuples(index=False):
        text = caption(row.id)
        lines = [text, ""]
        if numbers is not None and {"figure", "quantity", "paper", "ours"} <= set(numbers.columns):
            mine = numbers[[row.paper_figure in _figure_labels(f) for f in numbers["figure"]]]
            if len(mine):
                if "note" in mine.columns and mine["note"].str.contains(
                    "SYNTHETIC|synthetic|stand-in", regex=True
                ).any():
                    lines.append(
                        "This run used a generated stand-in with the real files' schema: its "
                        "numbers show that the pipeline works, not the paper's result."
                    )
                    lines.append("")
                lines.append("Numbers of this run (paper / ours):")
                lines.append("")
                for r in mine.itertuples(index=False):
                    lines.append(f"- {r.quantity}: {r.paper} / **{r.ours}**")
                lines.append("")
        lines.append(
            f"Source table: ``results/tables/{row.id}.csv``; rule ``{row.rule}``; drawn by "
            f"``{row.function}``."
        )
        out[row.id] = "\n".join(lines)
    return out


class ReportCaptions(Mapping[str, str]):
    """:func:`report_captions`, computed the first time a caption is asked for.

    The report's caption template looks captions up in the config at report time; holding this
    object instead of the captions themselves keeps planning from reading any data file
    (results/reproduction.csv is read only when the report is built). ``aliases`` maps extra
    figure stems (own-data figures, own_<name>_<analysis>) to their registered id.
    """

    def __init__(self, reproduction_csv: str | Path, aliases: Mapping[str, str] | None = None):
        self.reproduction_csv = str(reproduction_csv)
        self.aliases = dict(aliases or {})
        self._captions: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._captions is None:
            captions = report_captions(self.reproduction_csv)
            captions.update({stem: captions[fid] for stem, fid in self.aliases.items()})
            self._captions = captions
        return self._captions

    def __getitem__(self, key: str) -> str:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:  # planning never triggers a read (config dumps call repr)
        return f"ReportCaptions({self.reproduction_csv!r})"


README_START = "<!-- figure list: generated from workflow/mapreprod/figures.tsv -->"
README_END = "<!-- end of figure list -->"


def readme_table() -> str:
    """The README's figure list (Markdown), generated from the registry; tests check the README
    holds exactly this text between :data:`README_START` and :data:`README_END`.
    Regenerate with ``python -m mapreprod.registry README.md``."""
    table = figures()
    lines = [
        README_START,
        "",
        "| id | dataset (`datasets:`) | figure | what it shows |",
        "|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        source = {"kalinin2025": "", "chandrasekaran2024": " (CPJUMP1 paper)", "ours": ""}[row.paper]
        first = row.caption.split(". ")[0].rstrip(".")
        lines.append(f"| `{row.id}` | {row.dataset} | {row.paper_figure}{source} | {first} |")
    lines += ["", README_END]
    return "\n".join(lines)


def update_readme(path: str | Path) -> bool:
    """Rewrite the figure list of the README at ``path``; True if it changed."""
    path = Path(path)
    text = path.read_text()
    if README_START not in text or README_END not in text:
        raise ValueError(f"{path}: no figure-list markers ({README_START!r} ... {README_END!r})")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = head + readme_table() + tail
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":  # python -m mapreprod.registry README.md
    import sys

    for target in sys.argv[1:]:
        print(f"{target}: {'updated' if update_readme(target) else 'up to date'}")
