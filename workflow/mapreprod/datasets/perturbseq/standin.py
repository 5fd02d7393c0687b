"""A generated stand-in for the Perturb-seq inputs (the 10X triple, cell identities, Table S16).

The files have the real names and formats (:data:`~.inputs.FILES`): a column-major MatrixMarket
``coordinate integer general`` count matrix (genes x barcodes), a two-column genes file (id,
symbol), barcodes ``<16 nt>-<gem group>``, the identity table with the GEO columns and a
supplement zip holding ``Table_S16_perturb-seq_screen_phenotypes.txt``. What is planted:

* 25 target genes (the real ones) with 5-6 guides each, named like the real guides
  (``ALDOA_ALDOA_+_30077139.23-P1P2_00``; the positions are made up), titrating knockdown: guide
  ``_00`` has relative activity 1, the others are spread over [-0.05, 1.05]; 10 non-targeting
  guides (``neg_ctrl_non-targeting_<5 digits>``).
* Expression: every cell detects an exact number of genes, drawn by weighted sampling without
  replacement (Gumbel top-k) from the expressed genes, with counts 1 + Poisson. A guide with
  activity ``a`` multiplies its target gene by (1 - 0.9 a) and shifts a gene-specific program of
  ``program_size`` genes by ``effect x strength x a`` in log scale (strength differs by gene, so
  some genes are hard to retrieve); a shared program varies from cell to cell regardless of the
  guide (noise the variable-gene selection also picks up). Multiplets mix two guides.
* Something for every filter: empty droplets (< ``min_features`` genes), genes detected in fewer
  than ``min_cells`` kept cells (some only because one of their cells is an empty droplet, which
  Seurat's cells-first order drops), low- and high-gene-count cells (one exactly at each
  bound), cells with a high mitochondrial share (13 ``MT-`` genes), multiplets (guide "*"),
  poor-coverage cells and barcodes missing from the identity table; a duplicated gene symbol
  and one with an underscore (Seurat renames both).

The design fixes how many cells and genes each step keeps (:func:`expected_counts`); at
:data:`REAL_SHAPE` they are the counts of docs/methods.md §7 (20,275 genes x 23,633 cells after
``CreateSeuratObject``, 23,537 cells after the QC filters, 22,261 scored cells, 19,901 target
cells), with about 113 million non-zero counts like the real matrix.
"""

from __future__ import annotations

import gzip
import json
import os
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse as sp

from .inputs import FILES, IDENTITY_COLUMNS, MULTIPLET, PHENOTYPE_TABLE

__all__ = [
    "MT_GENES",
    "REAL_SHAPE",
    "TARGET_GENES",
    "StandinDesign",
    "StandinFilters",
    "expected_counts",
    "write_standin",
]

#: The 25 genes targeted in GSE132080 (Jost et al. 2020).
TARGET_GENES: tuple[str, ...] = (
    "ALDOA", "ATP5E", "BCR", "CAD", "CDC23", "COX11", "DBR1", "DUT", "EIF2S1", "GATA1",
    "GINS1", "GNB2L1", "HSPA5", "HSPA9", "HSPE1", "MTOR", "POLR1D", "POLR2H", "RAN", "RPL9",
    "RPS14", "RPS15", "RPS18", "SEC61A1", "TUBB",
)
#: The 13 protein-coding mitochondrial genes (matched by ``^MT-``).
MT_GENES: tuple[str, ...] = (
    "MT-ND1", "MT-ND2", "MT-CO1", "MT-CO2", "MT-ATP8", "MT-ATP6", "MT-CO3", "MT-ND3",
    "MT-ND4L", "MT-ND4", "MT-ND5", "MT-ND6", "MT-CYB",
)


@dataclass(frozen=True)
class StandinFilters:
    """The Seurat filters the stand-in is laid out around (config keys of the same names)."""

    min_cells: int = 3
    min_features: int = 200
    min_nfeature: int = 2000
    max_nfeature: int = 7000
    max_percent_mt: float = 15.0


@dataclass(frozen=True)
class StandinDesign:
    """Size and planted signal of the stand-in (config ``perturbseq.synthetic_design``).

    Cell counts are per category and exact: ``target_cells`` and ``nontargeting_cells`` pass
    every filter with good coverage and one guide; the other categories exist for one filter
    each.
    """

    seed: int = 0
    n_genes: int = 9000
    n_expressed_genes: int = 7600
    features_per_cell: tuple[int, int] = (2300, 3800)
    n_target_genes: int = 25
    n_guides: int = 128
    n_nontargeting_guides: int = 10
    target_cells: int = 1536
    nontargeting_cells: int = 400
    multiplet_cells: int = 60
    poor_coverage_cells: int = 60
    unassigned_cells: int = 30
    low_feature_cells: int = 25
    high_feature_cells: int = 15
    high_mt_cells: int = 20
    empty_droplets: int = 40
    rare_genes_detected: int = 200
    program_size: int = 60
    effect: float = 3.0
    shared_program_size: int = 300
    gzip_level: int = 1

    @classmethod
    def from_config(cls, section: dict | None) -> StandinDesign:
        """The design from ``perturbseq.synthetic_design`` (unknown keys: ValueError naming them)."""
        section = dict(section or {})
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - names)
        if unknown:
            raise ValueError(f"perturbseq.synthetic_design: unknown key(s) {unknown}")
        if "features_per_cell" in section:
            section["features_per_cell"] = tuple(section["features_per_cell"])
        return cls(**section)

    def check(self, filters: StandinFilters) -> StandinDesign:
        """Raise a ValueError naming the key when the design cannot be laid out."""
        lo, hi = self.features_per_cell
        key = "perturbseq.synthetic_design"
        if not filters.min_nfeature < lo <= hi < filters.max_nfeature:
            raise ValueError(
                f"{key}.features_per_cell {list(self.features_per_cell)} must lie strictly between "
                f"perturbseq.min_nfeature ({filters.min_nfeature}) and max_nfeature "
                f"({filters.max_nfeature})"
            )
        if self.high_feature_cells and self.n_expressed_genes <= filters.max_nfeature:
            raise ValueError(
                f"{key}.n_expressed_genes ({self.n_expressed_genes}) must exceed "
                f"perturbseq.max_nfeature ({filters.max_nfeature}) to plant high_feature_cells"
            )
        if self.n_expressed_genes < hi + 1:
            raise ValueError(f"{key}.n_expressed_genes must exceed features_per_cell[1] ({hi})")
        extra = len(MT_GENES) + self.n_target_genes
        if (self.n_expressed_genes - extra) // 2 < self.program_size + self.shared_program_size:
            raise ValueError(f"{key}.n_expressed_genes is too small for the programs")
        if self.n_genes < self.n_expressed_genes + 2:
            raise ValueError(f"{key}.n_genes must exceed n_expressed_genes by at least 2")
        if not 1 <= self.n_target_genes <= len(TARGET_GENES):
            raise ValueError(f"{key}.n_target_genes must be in 1..{len(TARGET_GENES)}")
        if self.n_guides < 2 * self.n_target_genes:
            raise ValueError(f"{key}.n_guides must give every target gene two guides")
        if self.n_nontargeting_guides < 1 or self.nontargeting_cells < 2 * self.n_nontargeting_guides:
            raise ValueError(f"{key}: every non-targeting guide needs two cells")
        if self.target_cells < 2 * self.n_guides:
            raise ValueError(f"{key}.target_cells must give every guide two cells")
        if filters.min_features < 3 or filters.min_nfeature < filters.min_features:
            raise ValueError("perturbseq.min_features must be >= 3 and <= min_nfeature")
        return self


#: The real dataset's shape (docs/methods.md §7; raw barcode count and gene count estimated, see
#: docs/benchmarks.md): 33,694 genes x 23,700 barcodes, ~113 million non-zero counts.
REAL_SHAPE = StandinDesign(
    n_genes=33_694,
    n_expressed_genes=20_275,
    features_per_cell=(2600, 6900),
    n_guides=128,
    target_cells=19_901,
    nontargeting_cells=2_360,
    multiplet_cells=800,
    poor_coverage_cells=400,
    unassigned_cells=76,
    low_feature_cells=40,
    high_feature_cells=26,
    high_mt_cells=30,
    empty_droplets=67,
    rare_genes_detected=3_000,
)


def expected_counts(design: StandinDesign) -> dict[str, int]:
    """Cells and genes each step keeps, by construction of the design."""
    d = design
    passing = (
        d.target_cells + d.nontargeting_cells + d.multiplet_cells + d.poor_coverage_cells
        + d.unassigned_cells
    )
    kept = passing + d.low_feature_cells + d.high_feature_cells + d.high_mt_cells
    return {
        "barcodes": kept + d.empty_droplets,
        "genes": d.n_genes,
        "seurat_cells": kept,
        "seurat_features": d.n_expressed_genes,
        "qc_cells": passing,
        "identity_rows": kept + d.empty_droplets - d.unassigned_cells,
        "scored_cells": d.target_cells + d.nontargeting_cells,
        "target_cells": d.target_cells,
        "guides": d.n_guides,
        "nontargeting_guides": d.n_nontargeting_guides,
        "target_genes": d.n_target_genes,
    }


# --- names ---------------------------------------------------------------------------------------


def _split(total: int, parts: int) -> np.ndarray:
    """``total`` split into ``parts`` near-equal integers (first ones larger)."""
    base = np.full(parts, total // parts)
    base[: total % parts] += 1
    return base


def _random_sequence(rng: np.random.Generator, n: int) -> str:
    return "G" + "".join("ACGT"[i] for i in rng.integers(0, 4, size=n - 1))


def _guides(design: StandinDesign, rng: np.random.Generator) -> pd.DataFrame:
    """One row per guide: guide identity, gene, id, sequence, activities, gammas, strength."""
    genes = list(TARGET_GENES[: design.n_target_genes])
    per_gene = _split(design.n_guides, len(genes))
    strength = dict(zip(genes, rng.uniform(0.25, 1.5, size=len(genes))))
    essential = dict(zip(genes, rng.uniform(0.2, 1.2, size=len(genes))))
    rows = []
    for gene, m in zip(genes, per_gene):
        strand = "+" if rng.random() < 0.5 else "-"
        position = int(rng.integers(1_000_000, 240_000_000))
        library = "P1P2" if rng.random() < 0.85 else "P1"
        perfect = _random_sequence(rng, 20)
        variants = [0, *sorted(rng.choice(np.arange(1, 17), size=m - 1, replace=False).tolist())]
        # graded titration: the perfect match, then one guide in each activity stratum
        strata = [(1.05 - 1.1 * (i + 1) / (m - 1), 1.05 - 1.1 * i / (m - 1)) for i in range(m - 1)]
        activities = [1.0] + [float(rng.uniform(lo, hi)) for lo, hi in strata]
        for variant, activity in zip(variants, activities):
            seq = list(perfect)
            if variant:
                pos = 8 + variant % 12
                seq[pos] = "ACGT"[("ACGT".index(seq[pos]) + 1 + variant % 3) % 4]
            guide_id = f"{gene}_{strand}_{position}.23-{library}_{variant:02d}"
            gamma5 = -essential[gene] * activity + rng.normal(0, 0.02)
            rows.append({
                "guide": f"{gene}_{guide_id}",
                "gene": gene,
                "id": guide_id,
                "sequence": "".join(seq),
                "gamma_day5": gamma5,
                "gamma_day10": 0.8 * gamma5 + rng.normal(0, 0.02),
                "relative_activity_day5": activity,
                "relative_activity_day10": activity + rng.normal(0, 0.05),
                "strength": strength[gene],
            })
    numbers = rng.choice(np.arange(1, 100_000), size=design.n_nontargeting_guides, replace=False)
    for num in sorted(numbers.tolist()):
        rows.append({"guide": f"neg_ctrl_non-targeting_{num:05d}", "gene": "neg",
                     "id": f"non-targeting_{num:05d}", "sequence": _random_sequence(rng, 20),
                     "gamma_day5": 0.0, "gamma_day10": 0.0, "relative_activity_day5": np.nan,
                     "relative_activity_day10": np.nan, "strength": 0.0})
    return pd.DataFrame(rows)


def _gene_names(design: StandinDesign, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Synthetic gene ids and symbols, one per file row (named genes are set later)."""
    n = design.n_genes
    symbols = [f"SYNG{i:05d}" for i in range(n)]
    ids = [f"ENSGSYN{i:08d}" for i in range(n)]
    return ids, symbols


def _barcodes(n: int, rng: np.random.Generator) -> list[str]:
    seen: set[str] = set()
    codes = []
    while len(codes) < n:
        for row in rng.integers(0, 4, size=(n - len(codes), 16)):
            code = "".join("ACGT"[i] for i in row)
            if code not in seen:
                seen.add(code)
                codes.append(code)
    per_group = _split(n, 3)
    out, start = [], 0
    for group, size in enumerate(per_group, start=1):
        out += [f"{c}-{group}" for c in sorted(codes[start : start + size])]
        start += size
    return out


# --- the cells ----------------------------------------------------------------------------------


def _cell_plan(design: StandinDesign, filters: StandinFilters, guides: pd.DataFrame,
               rng: np.random.Generator) -> pd.DataFrame:
    """One row per barcode (matrix column): category, guide(s), detected genes, mt share."""
    d, f = design, filters
    targeting = guides[guides["gene"] != "neg"].reset_index(drop=True)
    negatives = guides[guides["gene"] == "neg"].reset_index(drop=True)

    def spread(total: int, table: pd.DataFrame) -> list[str]:
        weights = rng.lognormal(0, 0.35, size=len(table))
        counts = 2 + rng.multinomial(total - 2 * len(table), weights / weights.sum())
        return np.repeat(table["guide"].to_numpy(), counts).tolist()

    any_guide = guides["guide"].to_numpy()
    lo, hi = d.features_per_cell
    rows = []

    def add(category, guide, n, features, mt_share, second=None, good=True, identity=True):
        for i in range(n):
            rows.append({
                "category": category,
                "guide": guide[i] if isinstance(guide, list) else guide,
                "second_guide": second[i] if isinstance(second, list) else second,
                "features": int(features[i]),
                "mt_share": float(mt_share[i]),
                "good_coverage": good,
                "in_identities": identity,
            })

    def normal_mt(n: int) -> np.ndarray:
        """Mitochondrial share of n cells that pass the QC filter."""
        return rng.uniform(0.15, 0.65, size=n) * f.max_percent_mt / 100

    def normal_features(n: int) -> np.ndarray:
        """Detected genes of n cells inside the QC bounds."""
        return rng.integers(lo, hi + 1, size=n)

    add("target", spread(d.target_cells, targeting), d.target_cells,
        normal_features(d.target_cells), normal_mt(d.target_cells))
    add("nontargeting", spread(d.nontargeting_cells, negatives), d.nontargeting_cells,
        normal_features(d.nontargeting_cells), normal_mt(d.nontargeting_cells))
    n = d.multiplet_cells
    add("multiplet", rng.choice(any_guide, n).tolist(), n, normal_features(n), normal_mt(n),
        second=rng.choice(any_guide, n).tolist())
    n = d.poor_coverage_cells
    add("poor_coverage", rng.choice(any_guide, n).tolist(), n, normal_features(n), normal_mt(n),
        good=False)
    n = d.unassigned_cells
    add("unassigned", rng.choice(any_guide, n).tolist(), n, normal_features(n), normal_mt(n),
        identity=False)
    n = d.low_feature_cells
    low = rng.integers(f.min_features, f.min_nfeature + 1, size=n)
    if n:
        low[0] = f.min_nfeature  # exactly at the strict bound: removed
    if n > 1:
        low[1] = f.min_features  # kept by CreateSeuratObject (>=), removed by the QC filter
    add("low_features", rng.choice(any_guide, n).tolist(), n, low, normal_mt(n))
    n = d.high_feature_cells
    top = min(d.n_expressed_genes, f.max_nfeature + max(50, f.max_nfeature // 10))
    high = rng.integers(f.max_nfeature, top + 1, size=n)
    if n:
        high[0] = f.max_nfeature
    add("high_features", rng.choice(any_guide, n).tolist(), n, high, normal_mt(n))
    n = d.high_mt_cells
    mt_high = np.minimum(rng.uniform(1.3, 2.5, size=n) * f.max_percent_mt / 100, 0.9)
    add("high_mt", rng.choice(any_guide, n).tolist(), n, normal_features(n), mt_high)
    n = d.empty_droplets
    empty = rng.integers(len(MT_GENES) + 2, max(len(MT_GENES) + 3, f.min_features - 2), size=n)
    if n:
        empty[0] = f.min_features - 1  # one short of min.features
    add("empty", rng.choice(any_guide, n).tolist(), n, empty, normal_mt(n))

    plan = pd.DataFrame(rows)
    plan = plan.sample(frac=1.0, random_state=np.random.RandomState(d.seed)).reset_index(drop=True)
    return plan


def _programs(design: StandinDesign, log_weight: np.ndarray, targets: dict[str, int],
              mt_rows: np.ndarray, rng: np.random.Generator):
    """Gene-specific programs (rows into the expressed genes, drawn among the more highly
    expressed half, where a shift changes the median cell) with signs, and the shared one."""
    reserved = set(targets.values()) | set(mt_rows.tolist())
    high = log_weight >= np.median(log_weight)
    pool = np.array([g for g in range(len(log_weight)) if g not in reserved and high[g]])
    programs = {}
    for gene in targets:
        rows = rng.choice(pool, size=design.program_size, replace=False)
        programs[gene] = (rows, rng.choice([-1.0, 1.0], size=design.program_size))
    shared = rng.choice(pool, size=design.shared_program_size, replace=False)
    return programs, shared, rng.normal(0, 1, size=design.shared_program_size)


def write_standin(
    outdir: str | os.PathLike,
    design: StandinDesign = StandinDesign(),
    filters: StandinFilters = StandinFilters(),
) -> dict[str, int]:
    """Write the stand-in input files into ``outdir`` (atomically, file by file).

    Writes :data:`~.inputs.FILES` plus ``planted_guides.csv`` (guide, gene, activity, strength)
    and ``planted_counts.json`` (:func:`expected_counts`). Returns the expected counts.
    """
    design.check(filters)
    # one generator, drawn from in this order: guides, cells, genes, programs, detections, counts,
    # barcodes, identities
    rng = np.random.default_rng(design.seed)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    guides = _guides(design, rng)
    plan = _cell_plan(design, filters, guides, rng)
    genes = _gene_layout(design, rng)
    log_weight = rng.normal(0, 1.2, size=len(genes.expressed))
    log_weight[genes.mt_rows] = 3.0
    programs, shared_rows, shared_loads = _programs(design, log_weight, genes.targets, genes.mt_rows, rng)
    base_rate = 0.4 * np.exp(0.6 * log_weight)
    base_rate[genes.mt_rows] = 5.0
    effects = _guide_effects(design, guides, programs, genes.targets)
    forced, rare_entries = _planned_detections(design, filters, plan, genes, rng)
    matrix = _count_matrix(
        design, plan, genes, log_weight, base_rate, (shared_rows, shared_loads), effects,
        forced, rare_entries, rng,
    )

    barcodes = _barcodes(len(plan), rng)
    _write_gzip_text(out / FILES["barcodes"], "".join(f"{b}\n" for b in barcodes), design.gzip_level)
    _write_gzip_text(out / FILES["genes"],
                     "".join(f"{i}\t{s}\n" for i, s in zip(genes.ids, genes.symbols)),
                     design.gzip_level)
    tmp = out / f".{FILES['matrix']}.tmp"
    with gzip.open(tmp, "wb", compresslevel=design.gzip_level) as handle:
        scipy.io.mmwrite(handle, matrix, field="integer")
    os.replace(tmp, out / FILES["matrix"])

    _write_identities(out / FILES["identities"], plan, barcodes, rng)
    _write_supplement(out / FILES["supplement"], guides)
    guides.drop(columns=["id", "sequence"]).to_csv(out / "planted_guides.csv", index=False)
    counts = expected_counts(design)
    (out / "planted_counts.json").write_text(json.dumps(counts, indent=1) + "\n")
    return counts


@dataclass(frozen=True)
class _GeneLayout:
    """Where the genes sit in the 10X gene file.

    ids, symbols : the gene file's two columns (n_genes).
    expressed : file rows of the expressed genes (sorted); the matrix rows cells draw from.
    rare : file rows of the other genes (detected in too few cells, or never).
    mt_rows : positions in ``expressed`` of the mitochondrial genes.
    targets : target gene symbol -> its position in ``expressed``.
    """

    ids: list[str]
    symbols: list[str]
    expressed: np.ndarray
    rare: np.ndarray
    mt_rows: np.ndarray
    targets: dict[str, int]


def _gene_layout(design: StandinDesign, rng: np.random.Generator) -> _GeneLayout:
    """Gene names, a random file position for every expressed gene, the mitochondrial and target
    genes among them, a duplicated symbol and one with an underscore (Seurat: make.unique,
    "_" -> "-")."""
    ids, symbols = _gene_names(design, rng)
    file_order = rng.permutation(design.n_genes)
    expressed = np.sort(file_order[: design.n_expressed_genes])  # file rows of expressed genes
    rare = np.setdiff1d(np.arange(design.n_genes), expressed)
    named = list(MT_GENES) + list(TARGET_GENES[: design.n_target_genes])
    named_rows = rng.choice(len(expressed), size=len(named), replace=False)
    for name, r in zip(named, named_rows):
        symbols[expressed[r]] = name
    mt_rows = named_rows[: len(MT_GENES)]
    targets = {name: int(r) for name, r in zip(named[len(MT_GENES):], named_rows[len(MT_GENES):])}
    named_set = set(named_rows.tolist())
    free = [r for r in range(len(expressed)) if r not in named_set]
    symbols[expressed[free[0]]] = symbols[expressed[free[1]]]
    symbols[expressed[free[2]]] = "SYN_UNDERSCORE"
    return _GeneLayout(ids, symbols, expressed, rare, mt_rows, targets)


def _guide_effects(
    design: StandinDesign, guides: pd.DataFrame, programs: dict, targets: dict[str, int]
) -> dict[str, tuple[np.ndarray, np.ndarray, int, float]]:
    """Per targeting guide: (program rows, log shifts, target row, log knockdown) of a cell
    carrying only that guide, scaled by the guide's activity and strength."""
    effects = {}
    for row in guides.itertuples(index=False):
        if row.gene == "neg":
            continue
        a = float(np.clip(row.relative_activity_day5, 0, 1))
        rows, signs = programs[row.gene]
        effects[row.guide] = (rows, design.effect * row.strength * a * signs, targets[row.gene],
                              float(np.log1p(-0.9 * a)))
    return effects


def _planned_detections(
    design: StandinDesign,
    filters: StandinFilters,
    plan: pd.DataFrame,
    genes: _GeneLayout,
    rng: np.random.Generator,
) -> tuple[dict[int, list[int]], list[tuple[int, int]]]:
    """Detections that make the gene filter's counts exact.

    Returns (forced, rare_entries): forced = cell -> positions in ``expressed`` detected there
    (every expressed gene in min_cells cells that surely keep it); rare_entries = (file row,
    cell) pairs of the rare genes, each detected in fewer than min_cells kept cells, some also
    in an empty droplet (which alone would bring it to min_cells).
    """
    category = plan["category"].to_numpy()
    normal = np.flatnonzero(np.isin(category, ["target", "nontargeting", "multiplet",
                                               "poor_coverage", "unassigned", "high_mt"]))
    mt_set = set(genes.mt_rows.tolist())
    forced: dict[int, list[int]] = {}
    for g in range(len(genes.expressed)):
        if g in mt_set:
            continue
        for c in rng.choice(normal, size=filters.min_cells, replace=False).tolist():
            forced.setdefault(c, []).append(g)
    features = plan["features"].to_numpy()
    empties = [c for c in np.flatnonzero(category == "empty").tolist()
               if features[c] <= filters.min_features - 2]
    rare_entries: list[tuple[int, int]] = []
    detected_rare = rng.choice(genes.rare, size=min(design.rare_genes_detected, len(genes.rare)),
                               replace=False)
    for i, gene_row in enumerate(detected_rare.tolist()):
        k = int(rng.integers(1, filters.min_cells))  # 1 .. min_cells - 1 kept cells
        for c in rng.choice(normal, size=k, replace=False).tolist():
            rare_entries.append((gene_row, c))
        if i < len(empties) and k == filters.min_cells - 1:
            rare_entries.append((gene_row, empties[i]))  # only an empty droplet makes it min_cells
    return forced, rare_entries


def _count_matrix(
    design: StandinDesign,
    plan: pd.DataFrame,
    genes: _GeneLayout,
    log_weight: np.ndarray,
    base_rate: np.ndarray,
    shared: tuple[np.ndarray, np.ndarray],
    effects: dict[str, tuple[np.ndarray, np.ndarray, int, float]],
    forced: dict[int, list[int]],
    rare_entries: list[tuple[int, int]],
    rng: np.random.Generator,
) -> sp.csc_matrix:
    """The genes x cells count matrix: per cell, its planned number of detected genes (the
    mitochondrial and forced ones, then the heaviest keys of weight + guide effects + Gumbel
    noise), Poisson counts around the base rates shifted by the effects, the planned
    mitochondrial share; then the rare genes' detections."""
    expressed, mt_rows = genes.expressed, genes.mt_rows
    shared_rows, shared_loads = shared
    first = plan["guide"].to_numpy()
    second = plan["second_guide"].to_numpy()
    mt_share = plan["mt_share"].to_numpy()
    features = plan["features"].to_numpy()
    n_mt = len(mt_rows)
    col_rows: list[np.ndarray] = []
    col_vals: list[np.ndarray] = []
    for c in range(len(plan)):
        logm = np.zeros(len(expressed))
        pair = [g for g in (first[c], second[c]) if isinstance(g, str)]
        for g in pair:
            if g in effects:
                rows, shift, target_row, knockdown = effects[g]
                logm[rows] += shift / len(pair)
                logm[target_row] += knockdown / len(pair)
        logm[shared_rows] += 0.6 * rng.normal() * shared_loads
        keys = log_weight + logm + rng.gumbel(size=len(expressed))
        keys[mt_rows] = np.inf
        must = forced.get(c, [])
        if must:
            keys[must] = np.inf
        d = int(features[c])
        if d < len(must) + n_mt:
            raise ValueError("perturbseq.synthetic_design: too few detected genes per cell")
        chosen = np.argpartition(-keys, d - 1)[:d] if d < len(keys) else np.arange(len(keys))
        lam = base_rate[chosen] * np.exp(logm[chosen]) * rng.lognormal(0, 0.3)
        counts = 1 + rng.poisson(lam)
        is_mt = np.isin(chosen, mt_rows)
        # mitochondrial share of the cell's counts as planned
        share = mt_share[c]
        mt_total = max(n_mt, int(round(share / (1 - share) * counts[~is_mt].sum())))
        counts[is_mt] = 1 + rng.multinomial(mt_total - n_mt, np.full(n_mt, 1 / n_mt))
        col_rows.append(expressed[chosen].astype(np.int32))
        col_vals.append(counts.astype(np.int32))
    for gene_row, c in rare_entries:
        col_rows[c] = np.append(col_rows[c], np.int32(gene_row))
        col_vals[c] = np.append(col_vals[c], np.int32(1 + rng.poisson(0.5)))

    lengths = np.array([len(r) for r in col_rows])
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    matrix = sp.csc_matrix(
        (np.concatenate(col_vals), np.concatenate(col_rows), indptr),
        shape=(design.n_genes, len(plan)),
    )
    matrix.sort_indices()
    return matrix


def _write_gzip_text(path: Path, text: str, level: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with gzip.open(tmp, "wt", compresslevel=level) as handle:
        handle.write(text)
    os.replace(tmp, path)


def _write_identities(path: Path, plan: pd.DataFrame, barcodes: list[str],
                      rng: np.random.Generator) -> None:
    """The identity table (GEO columns), one row per barcode except the unassigned ones."""
    rows = plan.assign(cell_barcode=barcodes)[plan["in_identities"].to_numpy()]
    multiplet = rows["category"].eq("multiplet").to_numpy()
    umi = np.where(rows["good_coverage"].to_numpy(), rng.integers(8, 400, size=len(rows)),
                   rng.integers(1, 4, size=len(rows)))
    coverage = rng.uniform(10, 30, size=len(rows))
    table = pd.DataFrame({
        "cell_barcode": rows["cell_barcode"].to_numpy(),
        "guide_identity": np.where(multiplet, MULTIPLET, rows["guide"].to_numpy()),
        "read_count": np.round(umi * coverage).astype(np.int64),
        "UMI_count": umi,
        "coverage": np.round(umi * coverage) / umi,
        "gemgroup": [int(b.rsplit("-", 1)[1]) for b in rows["cell_barcode"]],
        "good_coverage": rows["good_coverage"].to_numpy(dtype=bool),
        "number_of_cells": np.where(multiplet, rng.integers(2, 4, size=len(rows)), 1),
    })[list(IDENTITY_COLUMNS)]
    table = table.sample(frac=1.0, random_state=np.random.RandomState(int(rng.integers(2**31))))
    tmp = path.with_name(f".{path.name}.tmp")
    table.to_csv(tmp, index=False, compression="gzip")
    os.replace(tmp, path)


def _write_supplement(path: Path, guides: pd.DataFrame) -> None:
    """The supplement zip with Table S16 (unnamed id column, then the named columns)."""
    targeting = guides[guides["gene"] != "neg"]
    s16 = targeting.set_index("id")[["sequence", "gene", "gamma_day5", "gamma_day10",
                                      "relative_activity_day5", "relative_activity_day10"]]
    s16.index.name = None
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PHENOTYPE_TABLE, s16.to_csv(sep="\t"))
        archive.writestr("README.txt", "Generated stand-in for the Jost et al. 2020 supplement "
                         "(only Table S16 is reproduced).\n")
    os.replace(tmp, path)
