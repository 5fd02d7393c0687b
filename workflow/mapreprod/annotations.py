"""Known gene-gene relationships for the known-relationship recall (docs/methods.md §15.2).

RxRx3-core (Kraus et al. 2024, Table 6) scores a gene map by how many annotated gene pairs of
four sources it recovers: CORUM (protein complexes), hu.MAP (complexes from co-fractionation
and pull-downs), Reactome protein-protein interactions and StringDB. The workflow reads them in
the forms that are already pairs of gene symbols, so that no choice the paper does not state
(a STRING score cutoff, an identifier mapping) has to be made here:

* **CORUM**: Morphmap's ``CORUM_proteincomplex_annotations.tsv`` (``Symbol``, ``ComplexName``
  with several complexes "|"-joined; an input of the cpg0016[orf] pipeline already): two genes
  are related when they share a complex (:func:`read_corum_complexes`).
* **hu.MAP, Reactome, StringDB**: the pair lists of the RxRx3-core benchmark code
  (recursionpharma/EFAAR_benchmarking, ``efaar_benchmarking/benchmark_annotations/``
  ``HuMAP.txt``, ``Reactome.txt``, ``StringDB.txt``): CSV with the header ``entity1,entity2``,
  one gene symbol pair per line, many pairs in both orders (:func:`read_pair_list`).

Pairs are unordered: (a, b) and (b, a) count once; self pairs are dropped (EFAAR's
``filter_relationships``). The files cannot be downloaded offline; :func:`standin_relationships`
writes stand-ins with the same schemas for a generated dataset: the pairs of genes whose
profiles share planted signal (per dataset, from its planted truth), a share of them per source,
plus random pairs (the noise of real annotations).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "CORUM_COLUMNS",
    "INPUT_NAMES",
    "PAIR_COLUMNS",
    "PUBLISHED_PATHS",
    "SOURCES",
    "STANDIN_DESIGN",
    "complex_pairs",
    "group_pairs",
    "read_corum_complexes",
    "read_pair_list",
    "read_relationships",
    "relationship_inputs",
    "standin_relationships",
    "write_relationships",
]

#: Source name -> file name (the published files' names; stand-ins use the same).
SOURCES: dict[str, str] = {
    "CORUM": "CORUM_proteincomplex_annotations.tsv",
    "hu.MAP": "HuMAP.txt",
    "Reactome": "Reactome.txt",
    "StringDB": "StringDB.txt",
}
#: Where the workflow finds the published files: CORUM is the cpg0016[orf] pipeline's input,
#: the others are the manifest's dataset "annotations" (config/manifest.tsv).
PUBLISHED_PATHS: dict[str, str] = {
    source: (f"resources/cpg0016orf/{name}" if source == "CORUM" else f"resources/annotations/{name}")
    for source, name in SOURCES.items()
}
#: The named input of each source in the metrics rules.
INPUT_NAMES: dict[str, str] = {
    "CORUM": "relationships_corum",
    "hu.MAP": "relationships_humap",
    "Reactome": "relationships_reactome",
    "StringDB": "relationships_stringdb",
}
#: Columns of the EFAAR pair lists (and of every pair table here, with ``source``).
PAIR_COLUMNS: tuple[str, str] = ("entity1", "entity2")
#: Columns of Morphmap's CORUM table.
CORUM_COLUMNS: tuple[str, str] = ("Symbol", "ComplexName")
#: Stand-in design per source: (share of the planted pairs kept, random pairs per kept pair).
#: Different per source so that the recalls differ as the real sources' do.
STANDIN_DESIGN: dict[str, tuple[float, float]] = {
    "CORUM": (0.8, 0.25),
    "hu.MAP": (0.6, 0.5),
    "Reactome": (0.4, 1.0),
    "StringDB": (0.9, 1.5),
}
#: Without planted groups a stand-in source is this share of all gene pairs, drawn at random
#: (at least RANDOM_PAIRS_MIN, at most RANDOM_PAIRS_MAX pairs).
RANDOM_PAIRS_SHARE = 0.05
RANDOM_PAIRS_MIN = 20
RANDOM_PAIRS_MAX = 2000


def _unordered(a: pd.Series, b: pd.Series, source: str) -> pd.DataFrame:
    a, b = a.astype(str).str.strip(), b.astype(str).str.strip()
    out = pd.DataFrame({"entity1": np.where(a <= b, a, b), "entity2": np.where(a <= b, b, a)})
    out = out[(out["entity1"] != out["entity2"]) & (out["entity1"] != "") & (out["entity2"] != "")]
    out = out.drop_duplicates().sort_values(["entity1", "entity2"]).reset_index(drop=True)
    out["source"] = source
    return out


def relationship_inputs(dataset: str, synthetic: bool) -> dict[str, str]:
    """Named inputs of a gene-level dataset's metrics rule (:data:`INPUT_NAMES` -> path): a
    generated dataset reads its stand-ins (``resources/<dataset>_synthetic/annotations/<file>``;
    cpg0016[orf]'s CORUM is its own pipeline's stand-in complex table), a real one the published
    files (:data:`PUBLISHED_PATHS`)."""
    out = {}
    for source, name in SOURCES.items():
        if not synthetic:
            path = PUBLISHED_PATHS[source]
        elif dataset == "cpg0016orf" and source == "CORUM":
            path = f"resources/cpg0016orf_synthetic/{name}"
        else:
            path = f"resources/{dataset}_synthetic/annotations/{name}"
        out[INPUT_NAMES[source]] = path
    return out


def read_pair_list(path: str | os.PathLike, source: str) -> pd.DataFrame:
    """An EFAAR benchmark pair list (CSV, header ``entity1,entity2``) as unordered pairs.

    Returns
    -------
    DataFrame ``entity1`` <= ``entity2`` (symbols), ``source``; one row per distinct unordered
    pair, self pairs and rows with a missing symbol dropped, sorted.

    Raises
    ------
    ValueError
        The file lacks the header columns (naming the file and the columns it has).
    """
    table = pd.read_csv(path, dtype=str)
    missing = [c for c in PAIR_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path}: not a gene pair list (EFAAR format, header 'entity1,entity2'): missing "
            f"column(s) {missing}; columns are {list(table.columns)[:10]}"
        )
    table = table.dropna(subset=list(PAIR_COLUMNS))
    return _unordered(table["entity1"], table["entity2"], source)


def complex_pairs(members: Mapping[str, Iterable[str]], source: str = "CORUM") -> pd.DataFrame:
    """Every pair of genes sharing a group (complex name -> member symbols), unordered."""
    rows = [
        (a, b)
        for genes in members.values()
        for a, b in combinations(sorted(set(genes)), 2)
    ]
    frame = pd.DataFrame(rows, columns=list(PAIR_COLUMNS), dtype=object)
    return _unordered(frame["entity1"], frame["entity2"], source)


def read_corum_complexes(path: str | os.PathLike, source: str = "CORUM") -> pd.DataFrame:
    """Morphmap's CORUM table (``Symbol``, "|"-joined ``ComplexName``) as the pairs of genes that
    share at least one complex (see :func:`read_pair_list` for the columns)."""
    table = pd.read_csv(path, sep="\t", dtype=str)
    missing = [c for c in CORUM_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path}: not Morphmap's CORUM table (tab-separated, columns Symbol, ComplexName): "
            f"missing column(s) {missing}; columns are {list(table.columns)[:10]}"
        )
    table = table.dropna(subset=list(CORUM_COLUMNS))
    long = table.assign(complex=table["ComplexName"].str.split("|")).explode("complex")
    long["complex"] = long["complex"].str.strip()
    long = long[long["complex"] != ""]
    members = long.groupby("complex")["Symbol"].apply(list).to_dict()
    return complex_pairs(members, source)


def read_relationships(paths: Mapping[str, str | os.PathLike]) -> pd.DataFrame:
    """The pairs of every source (source name of :data:`SOURCES` -> its file) in one table
    (``entity1``, ``entity2``, ``source``); CORUM is read as Morphmap's complex table, the
    others as EFAAR pair lists."""
    unknown = sorted(set(paths) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown relationship source(s) {unknown}; known: {list(SOURCES)}")
    parts = [
        read_corum_complexes(path, source) if source == "CORUM" else read_pair_list(path, source)
        for source, path in paths.items()
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*PAIR_COLUMNS, "source"])


def group_pairs(groups: pd.DataFrame) -> pd.DataFrame:
    """Unordered pairs of genes that share a planted group (columns ``gene``, ``group``)."""
    members = groups.groupby("group")["gene"].apply(list).to_dict()
    return complex_pairs(members, "planted")[list(PAIR_COLUMNS)]


def _random_pairs(genes: Sequence[str], n: int, exclude: set[tuple[str, str]],
                  rng: np.random.Generator) -> list[tuple[str, str]]:
    genes = sorted(set(genes))
    total = len(genes) * (len(genes) - 1) // 2
    n = min(n, total - len(exclude))
    out: set[tuple[str, str]] = set()
    while len(out) < n:
        i, j = rng.choice(len(genes), size=2, replace=False)
        pair = tuple(sorted((genes[i], genes[j])))
        if pair not in exclude:
            out.add(pair)  # type: ignore[arg-type]
    return sorted(out)


def standin_relationships(
    groups: pd.DataFrame, genes: Sequence[str], seed: int
) -> dict[str, pd.DataFrame]:
    """Stand-in pair tables of the four sources for a generated dataset.

    Parameters
    ----------
    groups : planted groups of genes whose profiles share signal (columns ``gene``, ``group``;
        e.g. the members of a consistent complex); may be empty (then every source is a random
        :data:`RANDOM_PAIRS_SHARE` of the pairs and the recall is the random expectation, about
        0.10).
    genes : every gene of the dataset (the random pairs are drawn among them).
    seed : seed of the draws.

    Returns
    -------
    Source -> unordered pairs (``entity1``, ``entity2``): for each source (:data:`STANDIN_DESIGN`)
    a share of the planted pairs and random pairs among ``genes`` (never planted ones).
    """
    rng = np.random.default_rng(seed)
    planted = group_pairs(groups) if len(groups) else pd.DataFrame(columns=list(PAIR_COLUMNS))
    planted_set = set(map(tuple, planted[list(PAIR_COLUMNS)].to_numpy().tolist()))
    out = {}
    for source, (keep, noise) in STANDIN_DESIGN.items():
        n_keep = round(keep * len(planted))
        kept = planted.iloc[np.sort(rng.choice(len(planted), size=n_keep, replace=False))] if n_keep else planted.iloc[:0]
        if n_keep:
            n_random = round(noise * n_keep)
        else:  # nothing planted: a random sample of the pairs (the recall is then ~0.10)
            total = len(set(genes)) * (len(set(genes)) - 1) // 2
            n_random = min(RANDOM_PAIRS_MAX, max(RANDOM_PAIRS_MIN, round(RANDOM_PAIRS_SHARE * total)))
        extra = _random_pairs(genes, n_random, planted_set, rng)
        frame = pd.concat(
            [kept[list(PAIR_COLUMNS)], pd.DataFrame(extra, columns=list(PAIR_COLUMNS), dtype=object)],
            ignore_index=True,
        )
        out[source] = frame.sort_values(list(PAIR_COLUMNS)).reset_index(drop=True)
    return out


def write_relationships(tables: Mapping[str, pd.DataFrame], folder: str | os.PathLike) -> dict[str, Path]:
    """Write stand-in pair tables in the published files' formats (:data:`SOURCES` names):
    CORUM as Morphmap's complex table (every pair a two-gene complex ``"A-B complex"``), the
    others as EFAAR pair lists with both orders of every pair, as the published lists mostly
    have them. Returns source -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for source, pairs in tables.items():
        path = folder / SOURCES[source]
        if source == "CORUM":
            names = [f"{a}-{b} complex" for a, b in zip(pairs["entity1"], pairs["entity2"])]
            long = pd.DataFrame({
                "Symbol": [*pairs["entity1"], *pairs["entity2"]], "ComplexName": names + names,
            })
            table = long.groupby("Symbol", sort=True)["ComplexName"].apply(
                lambda s: "|".join(sorted(set(s)))
            ).reset_index()
            table.to_csv(path, sep="\t", index=False)
        else:
            both = pd.concat(
                [pairs[["entity1", "entity2"]],
                 pairs.rename(columns={"entity1": "entity2", "entity2": "entity1"})[["entity1", "entity2"]]],
                ignore_index=True,
            )
            both.to_csv(path, index=False)
        paths[source] = path
    return paths
