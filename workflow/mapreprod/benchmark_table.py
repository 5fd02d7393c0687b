"""The cost of every job of a run: Snakemake's per-job benchmark files gathered into one table.

Every rule of the workflow declares ``benchmark: "logs/benchmarks/<its log path>.tsv"``.
Snakemake writes one tab-separated file per job: a header (``s``, ``h:m:s``, ``max_rss``,
``max_vms``, ``max_uss``, ``max_pss``, ``io_in``, ``io_out``, ``mean_load``, ``cpu_time``, and
more columns with ``--benchmark-extended``) and one row per repeat. Snakemake samples the job's
process tree every 0.5 s during its first 15 seconds, then every 30 s, so ``max_rss`` and
``cpu_time`` of a long job can miss what happens between two samples (``benchmarks/rehearsal.py``
samples every second). :func:`collect` finds the files of the configured datasets under a root
folder, names each one's rule and wildcards by matching it against the rules' benchmark patterns
(:func:`match_rule`), and returns one row per job (rule ``benchmarks_table``,
``results/benchmarks.csv``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

#: Columns of the gathered table, in order.
COLUMNS: tuple[str, ...] = (
    "rule", "dataset", "wildcards", "wall_s", "cpu_s", "max_rss_mb", "mean_load", "file",
)
#: Snakemake's benchmark columns read (wall seconds, CPU seconds, peak resident set in MB).
SNAKEMAKE_COLUMNS: dict[str, str] = {
    "s": "wall_s", "cpu_time": "cpu_s", "max_rss": "max_rss_mb", "mean_load": "mean_load",
}


def split_pattern(pattern: str, what: str = "pattern") -> list[tuple[str, str, str | None]]:
    """A Snakemake file pattern as (literal text, wildcard name, constraint) triples, the last
    with an empty name when the pattern ends in literal text; the constraint is None where the
    wildcard has none. Braces inside a constraint (``\\d{3}``) are balanced; unbalanced braces
    raise ValueError naming ``what``."""
    parts: list[tuple[str, str, str | None]] = []
    i = 0
    while i < len(pattern):
        start = pattern.find("{", i)
        if start < 0:
            parts.append((pattern[i:], "", None))
            break
        depth, j = 0, start
        while j < len(pattern):
            depth += {"{": 1, "}": -1}.get(pattern[j], 0)
            if depth == 0:
                break
            j += 1
        if depth:
            raise ValueError(f"{what} {pattern!r}: unbalanced braces")
        name, comma, constraint = pattern[start + 1 : j].partition(",")
        parts.append((pattern[i:start], name.strip(), constraint if comma else None))
        i = j + 1
    return parts


def pattern_regex(pattern: str) -> re.Pattern:
    """A compiled regex that matches the paths of a Snakemake file pattern, one named group per
    wildcard.

    ``{name}`` matches ``.+`` (Snakemake's default), ``{name,constraint}`` the constraint;
    braces inside a constraint (``\\d{3}``) are balanced. A wildcard seen twice must match the
    same text.
    """
    parts: list[str] = []
    seen: set[str] = set()
    for literal, name, constraint in split_pattern(pattern, "benchmark pattern"):
        parts.append(re.escape(literal))
        if not name:
            continue
        if name in seen:
            parts.append(f"(?P={name})")
        else:
            parts.append(f"(?P<{name}>{constraint or '.+'})")
            seen.add(name)
    return re.compile("".join(parts))


def plain_pattern(pattern: str) -> str:
    """A file pattern without its wildcards' constraints: ``{name,regex}`` -> ``{name}``.

    Rules constrain wildcards for their outputs (the download rule with lookaheads anchored at
    the end of the output path), which the benchmark path need not satisfy; matching uses the
    plain patterns, most specific first (:func:`match_rule`)."""
    return "".join(literal + (f"{{{name}}}" if name else "")
                   for literal, name, _ in split_pattern(pattern))


def match_rule(
    path: str, rules: Mapping[str, Mapping[str, str]]
) -> tuple[str, dict[str, str]] | None:
    """The rule whose benchmark pattern matches ``path`` and its wildcards, or None.

    When several patterns match (``{file}.tsv`` also matches ``x.request.tsv``), the one with the
    most literal characters wins (``{file}.request.tsv``), then the one listed first."""
    ranked = sorted(
        rules.items(),
        key=lambda item: -len(re.sub(r"\{[^{}]*\}", "", plain_pattern(item[1]["pattern"]))),
    )
    for name, spec in ranked:
        hit = pattern_regex(spec["pattern"]).fullmatch(path)
        if hit is not None:
            return name, hit.groupdict()
    return None


def read_benchmark(path: str | os.PathLike) -> dict[str, float]:
    """Wall seconds, CPU seconds, peak RSS (MB) and mean load of one benchmark file.

    With several repeats (``benchmark: repeat(...)``) the first row is taken. Values Snakemake
    could not collect (``NA``: the job ended before the first sample) are NaN.
    """
    table = pd.read_csv(path, sep="\t", na_values=["NA", "-"])
    missing = [c for c in SNAKEMAKE_COLUMNS if c not in table.columns]
    if missing or table.empty:
        raise ValueError(
            f"{path}: not a Snakemake benchmark file (missing column(s) {missing} or no row)"
        )
    row = table.iloc[0]
    return {new: float(row[old]) for old, new in SNAKEMAKE_COLUMNS.items()}


def collect(
    root: str | os.PathLike,
    rules: Mapping[str, Mapping[str, str]],
    datasets: Iterable[str] | None = None,
    relative_to: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """One row per benchmark file under ``root`` (the jobs' costs).

    Parameters
    ----------
    root : folder the benchmark files are written to (``logs/benchmarks``).
    rules : rule name -> ``{"pattern": its benchmark pattern, "dataset": its part}``. The part
        is the rule file's name (``nelisa``, ``simulations``, ...); a rule with a ``dataset``
        wildcard (the downloads) is counted under the wildcard's value. Patterns are matched
        as given (pass :func:`plain_pattern` ones unless the constraints fit the paths).
    datasets : keep only jobs of these parts (the configured run); None keeps every file.
    relative_to : the ``file`` column is given relative to this folder (the working directory
        of the run); default: as found.

    Returns
    -------
    DataFrame with :data:`COLUMNS`: ``wildcards`` as ``name=value`` pairs joined by ``;``; a
    file no rule's pattern matches is left out; one matched by several goes to the most
    specific (:func:`match_rule`).
    """
    keep = None if datasets is None else set(datasets)
    rows = []
    root = Path(root)
    files = sorted(p for p in root.rglob("*.tsv") if p.is_file()) if root.is_dir() else []
    for path in files:
        shown = Path(os.path.relpath(path, relative_to)) if relative_to is not None else path
        found = match_rule(shown.as_posix(), rules)
        if found is None:
            continue
        name, wildcards = found
        dataset = wildcards.get("dataset", rules[name]["dataset"])
        if keep is None or dataset in keep:
            rows.append({
                "rule": name,
                "dataset": dataset,
                "wildcards": ";".join(f"{k}={v}" for k, v in wildcards.items()),
                **read_benchmark(path),
                "file": shown.as_posix(),
            })
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.sort_values(["dataset", "rule", "wildcards"], kind="stable").reset_index(drop=True)
