"""Generated stand-in for the Mitocheck inputs (config ``mitocheck.synthetic: true``).

The real files are not reachable offline. This module writes files with their layout
(:mod:`.inputs`) and planted signal, seeded from the config:

- ``training_data__no_ic.csv.gz``: a pandas index column, ``Mitocheck_Phenotypic_Class``,
  ``Cell_UUID``, ``Location_Center_X/Y``, ``Metadata_Plate`` ... ``Metadata_Gene_Replicate``,
  ``Metadata_Object_Outline`` (a multi-line quoted string, as upstream), the 165 real CellProfiler
  feature names (``CP__AreaShape_Area`` ... ``CP__Texture_Variance_DNA_3_03_256``, from the
  WayScience model coefficients) and ``DP__efficientnet_0`` ... (1,280 upstream).
- ``3.normalize_data__normalized_data.zip`` with the member
  ``normalized_data/negative_control_data.csv.gz``: control cells with the same columns but no
  class, outline or index column, and ``Metadata_Gene == "negative control"``.

At the real size (``config/rehearsal.yaml``: 2,456 labelled cells, ~780,000 control rows) the
control table does not fit in memory as a DataFrame (4.5 GB of float32 alone), and formatting
and compressing 12 GB of CSV text would take a quarter of an hour: with ``control_block_rows``
:func:`write_control_blocks` writes it straight into the zip member as gzip members of that
many rows each, of which only ``control_distinct_blocks`` are generated (from their own random
stream) and compressed; the others repeat them. The file has the real number of rows and
bytes to read; its rows repeat with that period (with 4 x 20,000 distinct rows, the 0.5%
sample of 3,900 controls holds about 95 pairs of identical rows).

Labelled cells carry the 15 scored classes plus ``OutOfFocus`` cells, and cells of wells that
failed QC (``Metadata_Gene == "failed QC"``): both are dropped by the preprocessing. Features are
z-scores: controls are N(0, 1) noise; a labelled cell adds its class centroid (strength per class
and feature set, so CellProfiler and DeepProfiler features each favour some classes) and its
gene's offset. Constant and almost constant CellProfiler columns (``Location_Center_Z``, ...)
give the feature selection something to drop. Gene labels: 18 are labels seen in the authors'
result table; the rest are well-known mitosis genes used as filler.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import uuid
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .inputs import (
    CELL_ID,
    CLASS,
    CONTROL_GENE,
    CONTROL_MEMBER,
    FAILED_QC,
    GENE,
    OUT_OF_FOCUS,
)

# --- the real layout ---------------------------------------------------------------------------

_ZERNIKE = [f"Zernike_{n}_{m}" for n in range(10) for m in range(n % 2, n + 1, 2)]
#: The 165 CellProfiler features of the Mitocheck profiles (nuclei, one DNA channel), as listed
#: in WayScience/phenotypic_profiling ``4.interpret_model/coefficients/final__CP__coefficients.tsv``.
CP_FEATURES: tuple[str, ...] = tuple(
    "CP__" + name
    for name in [
        *[f"AreaShape_{s}" for s in (
            "Area", "BoundingBoxArea", "BoundingBoxMaximum_X", "BoundingBoxMaximum_Y",
            "BoundingBoxMinimum_X", "BoundingBoxMinimum_Y", "Center_X", "Center_Y",
            "Compactness", "ConvexArea", "Eccentricity", "EquivalentDiameter", "EulerNumber",
            "Extent", "FormFactor", "MajorAxisLength", "MaxFeretDiameter", "MaximumRadius",
            "MeanRadius", "MedianRadius", "MinFeretDiameter", "MinorAxisLength", "Orientation",
            "Perimeter", "Solidity", *_ZERNIKE)],
        *[f"Granularity_{i}_DNA" for i in range(1, 17)],
        *[f"Intensity_{s}_DNA" for s in (
            "IntegratedIntensityEdge", "IntegratedIntensity", "LowerQuartileIntensity",
            "MADIntensity", "MassDisplacement", "MaxIntensityEdge", "MaxIntensity",
            "MeanIntensityEdge", "MeanIntensity", "MedianIntensity", "MinIntensityEdge",
            "MinIntensity", "StdIntensityEdge", "StdIntensity", "UpperQuartileIntensity")],
        "Location_CenterMassIntensity_X_DNA", "Location_CenterMassIntensity_Y_DNA",
        "Location_CenterMassIntensity_Z_DNA", "Location_Center_Z", "Location_MaxIntensity_X_DNA",
        "Location_MaxIntensity_Y_DNA", "Location_MaxIntensity_Z_DNA",
        *[f"Neighbors_{s}_Adjacent" for s in (
            "AngleBetweenNeighbors", "FirstClosestDistance", "FirstClosestObjectNumber",
            "NumberOfNeighbors", "PercentTouching", "SecondClosestDistance",
            "SecondClosestObjectNumber")],
        "Number_Object_Number",
        *[f"RadialDistribution_{m}_DNA_{i}of4" for m in ("FracAtD", "MeanFrac", "RadialCV")
          for i in range(1, 5)],
        *[f"Texture_{s}_DNA_3_{a:02d}_256" for s in (
            "AngularSecondMoment", "Contrast", "Correlation", "DifferenceEntropy",
            "DifferenceVariance", "Entropy", "InfoMeas1", "InfoMeas2", "InverseDifferenceMoment",
            "SumAverage", "SumEntropy", "SumVariance", "Variance") for a in range(4)],
    ]
)
#: CellProfiler columns that are constant (z-coordinates of 2-D images) or almost constant.
CONSTANT_CP: tuple[str, ...] = (
    "CP__Location_CenterMassIntensity_Z_DNA", "CP__Location_Center_Z",
    "CP__Location_MaxIntensity_Z_DNA",
)
SPARSE_CP: tuple[str, ...] = ("CP__Granularity_15_DNA", "CP__Granularity_16_DNA",
                              "CP__AreaShape_EulerNumber")
#: DeepProfiler (EfficientNet) features upstream.
N_DP_FEATURES = 1280
#: Metadata columns in file order (training file: index column, class, then these).
METADATA: tuple[str, ...] = (
    CELL_ID, "Location_Center_X", "Location_Center_Y", "Metadata_Plate", "Metadata_Well",
    "Metadata_Frame", "Metadata_Site", "Metadata_Plate_Map_Name", "Metadata_DNA", GENE,
    "Metadata_Gene_Replicate",
)
OUTLINE = "Metadata_Object_Outline"
#: The 15 scored classes with the stand-in's relative sizes (Large 77 and Prometaphase 342 are
#: the authors' table's counts; the others are made up to total 2,456), in file order.
CLASS_SIZES: dict[str, int] = {
    "Large": 77, "Prometaphase": 342, "Interphase": 420, "Metaphase": 250, "Apoptosis": 210,
    "Polylobed": 200, "SmallIrregular": 170, "Binuclear": 150, "ADCCM": 140,
    "MetaphaseAlignment": 120, "Anaphase": 110, "Grape": 100, "Elongated": 90, "Hole": 45,
    "Folded": 32,
}
#: Gene labels seen in the authors' result table, then filler (well-known mitosis genes).
REAL_GENE_LABELS: tuple[str, ...] = (
    "RAB21", "KIF14", "KIF20A", "DDOST", "CDK4", "BUB1B", "POLG", "CGI-63", "OGG1", "TOP1",
    "CDCA8", "ENSG00000173227", "ENSG00000148826", "ENSG00000139974", "Eg5", "ENSG00000180225",
    "ENSG00000175216", "TUBB2",
)
FILLER_GENES: tuple[str, ...] = (
    "PLK1", "AURKB", "INCENP", "NUF2", "NDC80", "CENPE", "PRC1", "ECT2", "RACGAP1", "ANLN",
    "CKAP5", "TPX2", "BIRC5", "SMC2", "SMC4", "NCAPD2", "NCAPH", "KIF23", "KIF2C", "ZWINT",
    "SPC25", "CDC20", "CDCA5", "ESPL1", "MAD2L1", "TTK", "KIF18A", "HAUS6", "NUMA1", "CEP55",
    "PSMA1", "PSMD1", "RPL11", "SNRPD1", "COPB1", "KIF4A", "CHEK1", "WEE1", "CCNB1", "CDK1",
    "AURKA", "KPNB1",
)
#: Classes whose nuclei look like interphase controls: weak planted signal.
WEAK_CLASSES = ("Interphase",)

__all__ = [
    "CLASS_SIZES",
    "CP_FEATURES",
    "N_DP_FEATURES",
    "SyntheticDesign",
    "generate",
    "write_control_archive",
    "write_control_blocks",
    "write_training",
]


@dataclasses.dataclass(frozen=True)
class SyntheticDesign:
    """Size and signal of the stand-in (config ``mitocheck.synthetic_design``)."""

    seed: int = 0
    n_cells: int = 1200  # labelled cells kept after QC (real: 2,456)
    n_classes: int = 15
    n_genes: int = 60
    n_failed_qc: int = 40
    n_out_of_focus: int = 60
    n_control_rows: int = 20_000  # rows of the control table (real: ~780,000)
    n_dp_features: int = N_DP_FEATURES
    class_effect: float = 0.35  # per-feature SD of the class centroids (noise SD 1)
    gene_effect: float = 0.25
    weak_class_factor: float = 0.3
    # 0: the control table is drawn in memory with the labelled cells' stream (the demo); > 0:
    # written in blocks of this many rows, control_distinct_blocks of them generated from their
    # own stream and the others repeating them (write_control_blocks)
    control_block_rows: int = 0
    control_distinct_blocks: int = 4

    @classmethod
    def from_config(cls, config: Mapping | None) -> SyntheticDesign:
        """Design from the config mapping; an unknown key is an error naming it."""
        config = dict(config or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"unknown key(s) {unknown} in mitocheck.synthetic_design; "
                             f"known: {sorted(known)}")
        design = cls(**config)
        design.check()
        return design

    def check(self) -> None:
        """Raise ValueError naming the key of an impossible value."""
        limits = {
            "n_cells": (self.n_classes * 2, None), "n_classes": (2, len(CLASS_SIZES)),
            "n_genes": (2, len(REAL_GENE_LABELS) + len(FILLER_GENES)), "n_failed_qc": (0, None),
            "n_out_of_focus": (0, None), "n_control_rows": (10, None), "n_dp_features": (2, None),
            "control_block_rows": (0, None), "control_distinct_blocks": (1, None),
        }
        for key, (lo, hi) in limits.items():
            value = getattr(self, key)
            if value < lo or (hi is not None and value > hi):
                bound = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
                raise ValueError(f"mitocheck.synthetic_design.{key} must be {bound}, got {value}")
        for key in ("class_effect", "gene_effect", "weak_class_factor"):
            if getattr(self, key) < 0:
                raise ValueError(f"mitocheck.synthetic_design.{key} must be >= 0")


def _class_counts(design: SyntheticDesign) -> dict[str, int]:
    classes = list(CLASS_SIZES)[: design.n_classes]
    weights = np.array([CLASS_SIZES[c] for c in classes], dtype=float)
    counts = np.maximum(2, np.floor(design.n_cells * weights / weights.sum()).astype(int))
    counts[int(np.argmax(counts))] += design.n_cells - counts.sum()
    return dict(zip(classes, counts.tolist()))


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    return [str(uuid.UUID(bytes=bytes(r), version=4)) for r in raw]


def _outline(x: int, y: int) -> str:
    # the upstream numpy-printed polygon: "[[x y]\n [x y]\n ...]"
    pts = [(x - 3, y - 3), (x + 3, y - 3), (x + 3, y + 3), (x - 3, y + 3)]
    return "[" + "\n ".join(f"[{a} {b}]" for a, b in pts) + "]"


def _wells(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Plate names like the upstream ones (``LT0010_27``), well numbers, gene replicate 1 or 2."""
    plates = [f"LT{p:04d}_{r:02d}" for p, r in zip(rng.integers(10, 160, n), rng.integers(1, 50, n))]
    wells = rng.integers(1, 385, n)
    return pd.DataFrame({"plate": plates, "well": wells, "replicate": 1 + np.arange(n) % 2})


def _metadata(rng: np.random.Generator, genes: np.ndarray, well_of: Mapping[str, tuple]) -> pd.DataFrame:
    n = len(genes)
    frames = rng.integers(1, 94, n)
    plate = [well_of[g][0] for g in genes]
    well = [well_of[g][1] for g in genes]
    meta = pd.DataFrame({
        CELL_ID: _uuids(rng, n),
        "Location_Center_X": rng.integers(5, 1340, n),
        "Location_Center_Y": rng.integers(5, 1020, n),
        "Metadata_Plate": plate,
        "Metadata_Well": well,
        "Metadata_Frame": frames,
        "Metadata_Site": 1,
        "Metadata_Plate_Map_Name": [f"{p}_{w}" for p, w in zip(plate, well)],
        "Metadata_DNA": [f"{p}/{p}_{w}_{f}.tif" for p, w, f in zip(plate, well, frames)],
        GENE: genes,
        "Metadata_Gene_Replicate": [well_of[g][2] for g in genes],
    })
    return meta


def _features(
    rng: np.random.Generator,
    n: int,
    n_dp: int,
    centroid: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    cp = rng.standard_normal((n, len(CP_FEATURES))).astype(np.float32)
    dp = rng.standard_normal((n, n_dp)).astype(np.float32)
    if centroid is not None:
        cp += centroid["cp"].astype(np.float32)
        dp += centroid["dp"].astype(np.float32)
    out = pd.DataFrame(cp, columns=list(CP_FEATURES))
    for col in CONSTANT_CP:
        out[col] = np.float32(0.0)
    for col in SPARSE_CP:
        values = np.zeros(n, dtype=np.float32)
        hit = rng.random(n) < 0.01
        values[hit] = np.float32(1.0)
        out[col] = values
    dp_cols = [f"DP__efficientnet_{i}" for i in range(n_dp)]
    return pd.concat([out, pd.DataFrame(dp, columns=dp_cols)], axis=1)


def generate(design: SyntheticDesign) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The stand-in tables.

    Returns
    -------
    training : labelled cells in the training file's layout (without the index column).
    controls : control cells in the control file's layout; None with ``control_block_rows``
        (then :func:`write_control_blocks` writes them).
    truth : planted signal, one row per (class, feature set): ``class``, ``features``,
        ``strength`` (SD of the centroid per feature), ``cells``.
    """
    design.check()
    rng = np.random.default_rng(design.seed)
    counts = _class_counts(design)
    classes = list(counts)
    genes = list((REAL_GENE_LABELS + FILLER_GENES)[: design.n_genes])
    # each gene has a dominant class (round-robin) and its own well
    dominant = {g: classes[i % len(classes)] for i, g in enumerate(genes)}
    well_table = _wells(rng, len(genes) + 2)
    well_of = {g: (well_table.plate[i], int(well_table.well[i]), int(well_table.replicate[i]))
               for i, g in enumerate(genes)}
    well_of[FAILED_QC] = (well_table.plate[len(genes)], int(well_table.well[len(genes)]), 1)
    n_feat = {"cp": len(CP_FEATURES), "dp": design.n_dp_features}
    strength = {}
    centroids = {}
    # cosine separation grows like effect^2 * sqrt(n features): scale the per-feature effect by
    # (165 / n)^(1/4) so that the two feature sets are about equally informative
    scale = {fs: (len(CP_FEATURES) / n_feat[fs]) ** 0.25 for fs in ("cp", "dp")}
    for c in classes:
        base = design.class_effect * (design.weak_class_factor if c in WEAK_CLASSES else 1.0)
        for fs in ("cp", "dp"):
            strength[c, fs] = base * scale[fs] * rng.uniform(0.6, 1.4)
            centroids[c, fs] = rng.standard_normal(n_feat[fs]) * strength[c, fs]
    gene_offsets = {(g, fs): rng.standard_normal(n_feat[fs]) * design.gene_effect * scale[fs]
                    for g in genes for fs in ("cp", "dp")}

    # labelled cells: class counts fixed; gene mostly one whose dominant class it is
    cell_class = np.repeat(classes, [counts[c] for c in classes])
    gene_weights = 1.0 / np.arange(1, len(genes) + 1) ** 0.8  # some genes with very few cells
    cell_gene = []
    for c in cell_class:
        own = [g for g in genes if dominant[g] == c]
        pool = own if own and rng.random() < 0.8 else genes
        w = np.array([gene_weights[genes.index(g)] for g in pool])
        cell_gene.append(pool[rng.choice(len(pool), p=w / w.sum())])
    cell_gene = np.array(cell_gene, dtype=object)
    extra_class = np.array(
        [classes[i % len(classes)] for i in range(design.n_failed_qc)] + [OUT_OF_FOCUS] * design.n_out_of_focus,
        dtype=object,
    )
    extra_gene = np.array(
        [FAILED_QC] * design.n_failed_qc
        + [genes[i % len(genes)] for i in range(design.n_out_of_focus)], dtype=object,
    )
    all_class = np.concatenate([cell_class, extra_class])
    all_gene = np.concatenate([cell_gene, extra_gene])
    n = len(all_class)
    centre = {fs: np.zeros((n, n_feat[fs])) for fs in ("cp", "dp")}
    for i, (c, g) in enumerate(zip(all_class, all_gene)):
        for fs in ("cp", "dp"):
            if c in counts:
                centre[fs][i] += centroids[c, fs]
            if g in dominant:
                centre[fs][i] += gene_offsets[g, fs]
    meta = _metadata(rng, all_gene, well_of)
    training = pd.concat(
        [pd.DataFrame({CLASS: all_class}), meta,
         pd.DataFrame({OUTLINE: [_outline(x, y) for x, y in
                                 zip(meta["Location_Center_X"], meta["Location_Center_Y"])]}),
         _features(rng, n, design.n_dp_features, centre)],
        axis=1,
    )
    # shuffle within the file like upstream batches, keeping class blocks (the authors' table
    # lists cells class by class)
    order = np.argsort(pd.Categorical(training[CLASS], categories=[*classes, OUT_OF_FOCUS]).codes
                       + rng.random(n) * 0.5, kind="stable")
    training = training.iloc[order].reset_index(drop=True)

    truth = pd.DataFrame(
        [(c, fs, strength[c, fs], counts[c]) for c in classes for fs in ("cp", "dp")],
        columns=["class", "features", "strength", "cells"],
    )
    if design.control_block_rows:
        return training, None, truth
    # control cells
    control_wells = _wells(rng, 40)
    pick = rng.integers(0, len(control_wells), design.n_control_rows)
    ctl_well_of = {i: (control_wells.plate[i], int(control_wells.well[i]), 1)
                   for i in range(len(control_wells))}
    ctl_meta = _metadata(rng, pick, ctl_well_of)
    ctl_meta[GENE] = CONTROL_GENE
    controls = pd.concat(
        [ctl_meta, _features(rng, design.n_control_rows, design.n_dp_features)], axis=1
    )
    return training, controls, truth


def _control_block_csv(rng: np.random.Generator, n: int, design: SyntheticDesign,
                       well_of: Mapping[int, tuple], header: bool) -> bytes:
    """CSV text of ``n`` control cells (N(0, 1) features of the control wells ``well_of``, the
    layout of :func:`generate`'s controls), with the header line or without."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    meta = _metadata(rng, rng.integers(0, len(well_of), n), well_of)
    meta[GENE] = CONTROL_GENE
    block = pd.concat([meta, _features(rng, n, design.n_dp_features)], axis=1)
    out = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pandas(block, preserve_index=False), out,
                    pacsv.WriteOptions(include_header=header, quoting_style="needed"))
    return out.getvalue()


def _write_csv(df: pd.DataFrame, path: Path, index: bool) -> None:
    """CSV (gzip level 1) written with pyarrow (fast for wide float tables); pandas' index
    column, when written, has an empty name (read back as ``Unnamed: 0``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table_df = df.reset_index(drop=True)
    if index:
        table_df.insert(0, "", np.arange(len(table_df)))
    table = pa.Table.from_pandas(table_df, preserve_index=False)
    tmp = path.with_name(f".{path.name}.tmp")
    with gzip.open(tmp, "wb", compresslevel=1) as handle:
        pacsv.write_csv(table, handle, pacsv.WriteOptions(quoting_style="needed"))
    os.replace(tmp, path)


def write_control_blocks(
    design: SyntheticDesign, path: str | os.PathLike, member: str = CONTROL_MEMBER
) -> int:
    """Write the control table of ``design`` (``control_block_rows`` > 0) as the gzipped CSV
    ``member`` of the zip archive ``path`` (the layout of :func:`write_control_archive`),
    streamed into the archive: a gzip member holding the header, then one gzip member per block
    of ``control_block_rows`` rows (a multi-member gzip file, which gzip readers and pandas read
    as one stream). Only the first ``control_distinct_blocks`` blocks are generated (from a
    stream seeded by ``[seed, 1]``) and compressed; later blocks repeat their compressed bytes
    (a shorter last block is generated on its own). Returns the rows written."""
    design.check()
    size = design.control_block_rows
    if size < 1:
        raise ValueError("mitocheck.synthetic_design.control_block_rows must be >= 1 to write blocks")
    rng = np.random.default_rng([design.seed, 1])
    control_wells = _wells(rng, 40)
    well_of = {i: (control_wells.plate[i], int(control_wells.well[i]), 1)
               for i in range(len(control_wells))}
    header = _control_block_csv(rng, 1, design, well_of, header=True).split(b"\n", 1)[0] + b"\n"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    distinct: list[bytes] = []
    rows = 0
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open(member, "w", force_zip64=True) as raw:
            raw.write(gzip.compress(header, compresslevel=1, mtime=0))
            while rows < design.n_control_rows:
                n = min(size, design.n_control_rows - rows)
                if n < size or len(distinct) < design.control_distinct_blocks:
                    text = _control_block_csv(rng, n, design, well_of, header=False)
                    data = gzip.compress(text, compresslevel=1, mtime=0)
                    if n == size:
                        distinct.append(data)
                else:
                    data = distinct[(rows // size) % len(distinct)]
                raw.write(data)
                rows += n
    os.replace(tmp, path)
    return rows


def write_training(training: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the labelled cells as ``training_data__no_ic.csv.gz`` (with the index column)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_csv(training, path, index=True)


def write_control_archive(
    controls: pd.DataFrame, path: str | os.PathLike, member: str = CONTROL_MEMBER
) -> None:
    """Write the control cells as ``member`` (csv.gz) inside the zip archive ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    inner = path.with_name(f".{path.name}.member.csv.gz")
    _write_csv(controls, inner, index=False)
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.write(inner, member)
    inner.unlink()
    os.replace(tmp, path)
