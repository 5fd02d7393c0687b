"""A small Cell Health-shaped dataset with planted signal, for offline runs and tests (docs/methods.md §3).

The real plates (``{plate}_augmented.csv.gz`` from broadinstitute/cell-health) cannot be fetched
here. :func:`make_cellhealth` builds nine 384-well plates with the real schema instead:

* the metadata columns of the real augmented files (``Image_Metadata_Plate``,
  ``Image_Metadata_Well``, ``Metadata_WellRow``, ``Metadata_WellCol``, ``Metadata_gene_name``,
  ``Metadata_pert_name``, ``Metadata_broad_sample``, ``Metadata_cell_line``);
* real CellProfiler feature names (sampled from plate SQ00014613's 1,781 features) covering every
  compartment x feature type x channel, so the channel and compartment analyses have features;
* per cell line one plate map shared by its three plates (as DEPENDENCIES1_<line>): each guide in
  2 wells, cutting controls (Chr2, Luc, LacZ guides), positive-control guides with 4 wells a plate
  (excluded by the "exactly 6 replicates" rule), the remaining wells EMPTY;
* features that exercise every feature-selection step (a constant, one with a NaN, blocklisted,
  Costes, a near-duplicate) and, at the real size (1,783 features), ``redundant_features`` noisy
  copies of others (Pearson r about 0.98, as CellProfiler's features are redundant), so that the
  correlation filter keeps about as many features as on the real plates (506 after MAD);
* planted biology per cell line, recorded in ``truth``: genes whose two guides share an effect
  ("consistent"), genes whose guides have unrelated effects ("inconsistent"), genes with a shared
  effect on Mito features only ("mito"), and inactive genes; plus plate, well-position and
  cell-line offsets, and raw feature scales as different as CellProfiler's;
* a CERES table ("SYMBOL (ENTREZ)" columns) and DepMap sample info in which active genes are
  more essential.

:func:`write_cellhealth` writes it in the layout the workflow reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mapreprod.datasets.cellhealth import CELL_LINES, PLATE_CELL_LINE
from mapreprod.standin import (
    DUPLICATED_FEATURE,
    SPECIAL_FEATURES,
    feature_names,
)

#: Genes of the Cell Health plate maps (guides <gene>-1, <gene>-2); more are named GENE<i>.
GENES: tuple[str, ...] = (
    "AKT1", "ATF4", "ARID1B", "ATP50", "AURKB", "BCL2", "BCL2L2", "BRAF", "BRCA1", "BRD4",
    "CCND1", "CCNE1", "CDK2", "CDK4", "CHEK2", "COX5B", "CSNK1A1", "CTNNB1", "DOT1L", "EGFR",
    "EGLN1", "ERBB2", "ERBB3", "EZH2", "GLS", "GPX4", "HIF1a", "ITGAV", "JAK3", "KIF11", "KRAS",
    "MAPK1", "MCL1", "MTOR", "MYC", "PIK3CA", "PRDX1", "PTK2", "RAC1", "RAF1", "RHOA", "SDHB",
    "SLC2A1", "SMARCB1", "STAT3", "SUZ12", "TXN", "XBP", "YAP1",
)
#: Cutting controls (guide, wells per plate) and positive controls with 4 wells per plate.
CUTTING_CONTROLS: tuple[tuple[str, str, int], ...] = (
    *((f"Chr2-{i}", "Chr2", 4) for i in range(1, 7)),
    # never 2 wells a plate: a control guide with 6 wells would count as a guide (docs/methods.md §3.3)
    ("Luc-1", "Luc", 3), ("Luc-2", "Luc", 3), ("LacZ-2", "LacZ", 4), ("LacZ-3", "LacZ", 4),
)
POSITIVE_CONTROLS: tuple[tuple[str, str, int], ...] = (
    ("PSMA1-1", "PSMA1", 4), ("PSMA1-2", "PSMA1", 4), ("POLR2D-1", "POLR2D", 4),
    ("POLR2D-2", "POLR2D", 4),
)
ROWS = "ABCDEFGHIJKLMNOP"
N_COLS = 24
#: Share of genes per planted category (the rest are inactive).
CATEGORY_SHARES: dict[str, float] = {"consistent": 0.5, "inconsistent": 0.15, "mito": 0.1}
DEPMAP_IDS: dict[str, str] = {"A549": "ACH-000681", "ES2": "ACH-000269", "HCC44": "ACH-000392",
                              "HELA": "ACH-001086", "MCF7": "ACH-000019"}


@dataclass
class SyntheticCellHealth:
    """The synthetic dataset: ``plates`` (plate -> augmented table), ``ceres``,
    ``sample_info`` and ``truth`` (one row per guide x cell line: category, active, consistent,
    mito_only)."""

    plates: dict[str, pd.DataFrame]
    ceres: pd.DataFrame
    sample_info: pd.DataFrame
    truth: pd.DataFrame


def _plate_map(cell_line: str, guides: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One 384-well plate map: each guide in 2 random wells, then controls, the rest EMPTY."""
    wells = [(r, c) for r in ROWS for c in range(1, N_COLS + 1)]
    order = rng.permutation(len(wells))
    entries: list[tuple[str, str]] = []
    for pert, gene in zip(guides["Metadata_pert_name"], guides["Metadata_gene_name"]):
        entries += [(pert, gene)] * 2
    for pert, gene, n in (*CUTTING_CONTROLS, *POSITIVE_CONTROLS):
        entries += [(pert, gene)] * n
    if len(entries) > len(wells) - 16:
        raise ValueError(f"cellhealth.synthetic_data.n_guides too large: {len(entries)} "
                         "perturbation wells leave fewer than 16 EMPTY wells on a 384-well plate")
    entries += [("EMPTY", "EMPTY")] * (len(wells) - len(entries))
    rows = []
    for (pert, gene), k in zip(entries, order):
        r, c = wells[k]
        rows.append((r, c, f"{r}{c:02d}", gene, pert))
    pm = pd.DataFrame(rows, columns=["Metadata_WellRow", "Metadata_WellCol", "Image_Metadata_Well",
                                     "Metadata_gene_name", "Metadata_pert_name"])
    codes = {p: f"BRDN{1000000 + i:010d}" for i, p in enumerate(sorted(pm["Metadata_pert_name"].unique()))}
    # about half the guides carry a Broad sample id, the others NaN (as in the real maps)
    pm["Metadata_broad_sample"] = [
        codes[p] if (p != "EMPTY" and int(codes[p][-1]) % 2 == 0) else np.nan
        for p in pm["Metadata_pert_name"]
    ]
    pm["Metadata_cell_line"] = cell_line
    return pm.sort_values(["Metadata_WellRow", "Metadata_WellCol"]).reset_index(drop=True)


def _categories(n_genes: int, rng: np.random.Generator) -> np.ndarray:
    counts = {k: int(round(share * n_genes)) for k, share in CATEGORY_SHARES.items()}
    labels = [k for k, n in counts.items() for _ in range(n)]
    labels += ["inactive"] * (n_genes - len(labels))
    return rng.permutation(np.array(labels, dtype=object))


def make_cellhealth(
    seed: int = 0,
    n_guides: int = 60,
    n_features: int = 120,
    effect_size: float = 0.8,
    mito_effect_size: float = 1.5,
    noise: float = 1.0,
    plate_effect: float = 0.5,
    well_effect: float = 0.4,
    cell_line_effect: float = 1.0,
    redundant_features: int = 0,
) -> SyntheticCellHealth:
    """Nine Cell Health-shaped plates with planted activity, consistency and a Mito-only signal.

    Parameters
    ----------
    seed : seed of every random draw.
    n_guides : guides with 6 replicates per cell line (even: two guides per gene).
    n_features : CellProfiler features (40 to 1,850), including the special ones (the real
        plates: 1,783; above 155 the real names are extended by CellProfiler's grammar).
    effect_size : per-feature SD of a guide's effect, in units of the well noise SD.
    mito_effect_size : the same for the Mito-only genes (only the features naming Mito).
    noise, plate_effect, well_effect, cell_line_effect : SDs of the well noise, the per-plate
        offset, the per-well-position offset (shared by the plates of a cell line) and the
        per-cell-line offset, in the same units.
    redundant_features : regular features replaced by a noisy copy of another one (drawn from a
        separate random stream, so 0 leaves every other value as it was).

    Returns
    -------
    SyntheticCellHealth
    """
    if n_guides < 4 or n_guides % 2:
        raise ValueError(f"cellhealth.synthetic_data.n_guides must be even and >= 4, got {n_guides}")
    rng = np.random.default_rng(seed)
    names = feature_names(n_features)
    regular = [f for f in names if f not in SPECIAL_FEATURES]
    n_reg = len(regular)
    copies, bases, copy_rng = _redundancy(regular, redundant_features, seed)
    mito = np.array(["Mito" in f for f in regular])
    n_genes = n_guides // 2
    genes = list(GENES[:n_genes]) + [f"GENE{i}" for i in range(n_genes - len(GENES))]
    guides = pd.DataFrame(
        [(f"{g}-{k}", g) for g in genes for k in (1, 2)],
        columns=["Metadata_pert_name", "Metadata_gene_name"],
    )
    # raw CellProfiler scales: locations and spreads spanning orders of magnitude
    loc = rng.uniform(0.0, 200.0, n_reg)
    scale = np.exp(rng.uniform(np.log(0.01), np.log(50.0), n_reg))

    plates: dict[str, pd.DataFrame] = {}
    truth_rows = []
    positive_effects = {p: rng.normal(0, effect_size, n_reg) for p, _, _ in POSITIVE_CONTROLS}
    for cell in CELL_LINES:
        cats = dict(zip(genes, _categories(n_genes, rng)))
        effects: dict[str, np.ndarray] = dict(positive_effects)
        for gene in genes:
            shared = rng.normal(0, effect_size, n_reg)
            mito_shared = np.where(mito, rng.normal(0, mito_effect_size, n_reg), 0.0)
            for k in (1, 2):
                pert = f"{gene}-{k}"
                cat = cats[gene]
                if cat == "consistent":
                    eff = shared + rng.normal(0, 0.2 * effect_size, n_reg)
                elif cat == "inconsistent":
                    eff = rng.normal(0, effect_size, n_reg)
                elif cat == "mito":
                    eff = mito_shared
                else:
                    eff = np.zeros(n_reg)
                effects[pert] = eff
                truth_rows.append((pert, gene, cell, cat, cat != "inactive",
                                   cat in ("consistent", "mito"), cat == "mito"))
        cell_offset = rng.normal(0, cell_line_effect, n_reg)
        plate_map = _plate_map(cell, guides, rng)
        well_offset = rng.normal(0, well_effect, (len(plate_map), n_reg))
        for plate in [p for p, c in PLATE_CELL_LINE.items() if c == cell]:
            offset = rng.normal(0, plate_effect, n_reg)
            z = rng.normal(0, noise, (len(plate_map), n_reg)) + cell_offset + offset + well_offset
            z += np.stack([effects.get(p, np.zeros(n_reg)) for p in plate_map["Metadata_pert_name"]])
            if len(copies):
                z[:, copies] = z[:, bases] + copy_rng.normal(0, 0.2, (len(z), len(copies)))
            feats = pd.DataFrame(loc + scale * z, columns=regular)
            for name, role in SPECIAL_FEATURES.items():
                if role == "constant":
                    feats[name] = 1.0
                elif role == "missing":
                    col = rng.normal(100.0, 10.0, len(plate_map))
                    if plate == "SQ00014610":
                        col[0] = np.nan
                    feats[name] = col
                elif role == "duplicate":
                    if DUPLICATED_FEATURE in feats:
                        base = feats[DUPLICATED_FEATURE].to_numpy()
                        feats[name] = base + rng.normal(0, 1e-3 * base.std(), len(base))
                    else:
                        feats[name] = rng.normal(0, 1, len(plate_map))
                else:
                    feats[name] = rng.normal(0.5, 0.1, len(plate_map))
            meta = plate_map.copy()
            meta.insert(0, "Image_Metadata_Plate", plate)
            table = pd.concat([meta, feats[names]], axis=1)
            first = ["Metadata_WellRow", "Metadata_WellCol", "Metadata_gene_name",
                     "Metadata_pert_name", "Metadata_broad_sample", "Metadata_cell_line",
                     "Image_Metadata_Plate", "Image_Metadata_Well"]
            plates[plate] = table[first + names]
    truth = pd.DataFrame(truth_rows, columns=["Metadata_pert_name", "Metadata_gene_name",
                                              "Cell type", "category", "active", "consistent",
                                              "mito_only"])
    ceres, sample_info = _ceres(truth, genes, rng)
    return SyntheticCellHealth(plates=plates, ceres=ceres, sample_info=sample_info, truth=truth)


def _redundancy(regular: list[str], n_copies: int, seed: int):
    """Columns (indices into ``regular``) replaced by a copy of a base column, the base of each,
    and the random stream of the copies' noise (seeded apart from the main stream)."""
    if n_copies == 0:
        return np.array([], dtype=int), np.array([], dtype=int), None
    candidates = np.array([i for i, f in enumerate(regular) if f != DUPLICATED_FEATURE])
    if not 0 < n_copies < len(candidates):
        raise ValueError(f"cellhealth.synthetic_data.redundant_features must be in [0, "
                         f"{len(candidates) - 1}] for {len(regular)} regular features, "
                         f"got {n_copies}")
    copy_rng = np.random.default_rng([seed, 1783])
    copies = np.sort(copy_rng.choice(candidates, size=n_copies, replace=False))
    bases = copy_rng.choice(np.setdiff1d(candidates, copies), size=n_copies, replace=True)
    return copies, bases, copy_rng


def _ceres(truth: pd.DataFrame, genes: list[str], rng: np.random.Generator):
    """DepMap-like CERES table ("SYMBOL (ENTREZ)" columns, one row per cell line) in which genes
    active in a cell line are more essential there, and the matching sample info."""
    symbols = [g.upper() for g in genes] + [f"OTHER{i}" for i in range(10)]
    columns = [f"{s} ({10000 + i})" for i, s in enumerate(symbols)]
    active = truth.groupby(["Cell type", "Metadata_gene_name"])["active"].any()
    rows = []
    for line, depmap_id in DEPMAP_IDS.items():
        values = rng.normal(-0.1, 0.15, len(symbols))
        if line in CELL_LINES:
            for i, g in enumerate(genes):
                if active.get((line, g), False):
                    values[i] -= 0.8
        rows.append([depmap_id, *values])
    ceres = pd.DataFrame(rows, columns=["DepMap_ID", *columns])
    info = pd.DataFrame({
        "DepMap_ID": list(DEPMAP_IDS.values()),
        "cell_line_name": list(DEPMAP_IDS),
        "stripped_cell_line_name": list(DEPMAP_IDS),
        "lineage": ["lung", "ovary", "lung", "cervix", "breast"],
    })
    return ceres, info


def write_cellhealth(data: SyntheticCellHealth, folder: str | os.PathLike) -> dict[str, Path]:
    """Write ``{plate}_augmented.csv.gz`` (9), ``ceres.csv``, ``depmap_sample_info.csv`` and
    ``truth.csv`` into ``folder``; returns the written paths by name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for plate, table in data.plates.items():
        paths[plate] = folder / f"{plate}_augmented.csv.gz"
        # gzip level 1: at the real size (1,783 features) level 9 doubles the writing time
        table.to_csv(paths[plate], index=False,
                     compression={"method": "gzip", "compresslevel": 1})
    for name, table in (("ceres", data.ceres), ("depmap_sample_info", data.sample_info),
                        ("truth", data.truth)):
        paths[name] = folder / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    return paths
