"""A generated stand-in for the cpg0016[orf] inputs, on real JUMP metadata, with planted signal.

The harmonized ORF profiles (hundreds of MB on the Cell Painting Gallery) and the Morphmap
annotation tables cannot be fetched offline, so the S7B/S7D pipeline can also run on generated
files with the *exact* schema of the real ones (:mod:`.inputs`):

- the profile parquet: ``Metadata_Source``, ``Metadata_Plate``, ``Metadata_Well``,
  ``Metadata_JCP2022`` (strings) and float32 features ``X_1 .. X_n``, one row per well of every
  plate, sorted by plate and well;
- ``orf_metadata.tsv.gz`` (every JUMP ORF, the ``BAD CONSTRUCT`` reagent included, with the
  Morphmap columns; ``Metadata_complexname`` from the generated CORUM table, joined by symbol as Morphmap
  does), ``compound.csv.gz``, ``experiment-metadata.tsv`` (the production table plus
  ``Batch_name``), ``orf-reagents-low-infection-efficiency-and-outliers.csv.gz`` and
  ``CORUM_proteincomplex_annotations.tsv``.

Built on the real JUMP metadata where it is given (:func:`load_jump_metadata`: ``orf.csv.gz``,
``plate.csv.gz``, ``experiment-metadata.tsv`` of the production repository,
``perturbation_control.csv``): real plate barcodes, batches and plate maps (each map on its real
replicate plates), real ORF ids, broad samples, symbols and gene ids, real control ORFs.
Without them (:func:`generated_jump_metadata`) the same tables are generated with the same
columns, so the demo runs offline from a fresh clone.

Layout per plate map (identical on its replicate plates, as in JUMP): one well per treatment ORF,
``negcon_wells_per_type`` wells of each of the 4 negcon ORFs (BFP, HcRed, LUCIFERASE, LacZ),
eGFP poscon wells, empty wells (``JCP2022_999999``), ``BAD CONSTRUCT`` wells and wells of ORFs
without a symbol; the rest of the 384 wells is left out.

Planted truth (:attr:`StandIn.truth`): every well is plate offset + ORF effect + N(0, 1) noise.
Active ORFs shift by ``effect`` per-feature RMS (times a uniform draw in
[1 - effect_spread, 1 + effect_spread]) along their own direction; inactive ORFs and controls do
not shift. Members of a *consistent* complex are active and share part of their direction's
variance with the complex (up to ``shared_weight``, drawn per complex; a gene in two complexes
shares both); members of an *inconsistent* complex have unrelated directions. Genes with two ORF
reagents share one direction. Low-infection reagents (listed in the reagent file) shift strongly, so that they
would be retrieved if the filter failed; one feature gets a NaN in ``nan_feature_wells`` wells of
inactive ORFs outside complexes (so the activity step drops that feature).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .inputs import (
    BAD_CONSTRUCT,
    COMPOUND_COLUMNS,
    CORUM_COLUMNS,
    EMPTY_JCP,
    EXPERIMENT_COLUMNS,
    FEATURE_PREFIX,
    JUMP_ORF_COLUMNS,
    JUMP_PLATE_COLUMNS,
    ORF_METADATA_COLUMNS,
    PERTURBATION_CONTROL_COLUMNS,
    PRODUCTION_EXPERIMENT_COLUMNS,
    PROFILE_METADATA,
    REAGENT_COLUMNS,
    read_jump_orfs,
    read_jump_plates,
    read_perturbation_control,
    read_production_experiment,
)

#: Rows A-P, columns 1-24 of a 384-well plate, as JUMP names wells (``A01``).
WELLS_384: tuple[str, ...] = tuple(
    f"{r}{c:02d}" for r in "ABCDEFGHIJKLMNOP" for c in range(1, 25)
)
#: The ``BAD CONSTRUCT`` row of Morphmap's ORF table (its other annotation is missing).
BAD_CONSTRUCT_JCP = "JCP2022_900001"
SOURCE = "source_4"
#: Output file names (the real files' names), keyed as in the rules.
FILES: dict[str, str] = {
    "profiles": "profiles_wellpos_cc_var_mad_outlier_featselect_sphering_harmony.parquet",
    "orf_metadata": "orf_metadata.tsv.gz",
    "compounds": "compound.csv.gz",
    "experiment": "experiment-metadata.tsv",
    "reagents": "orf-reagents-low-infection-efficiency-and-outliers.csv.gz",
    "corum": "CORUM_proteincomplex_annotations.tsv",
    "truth": "planted_truth.csv",
}
#: JUMP's control perturbations (``perturbation_control.csv`` of jump-cellpainting/datasets):
#: used only when the real table is not given.
CONTROLS: tuple[tuple[str, str, str, str], ...] = (
    ("JCP2022_999999", "empty", "Empty", "any"),
    ("JCP2022_033924", "negcon", "DMSO", "compound"),
    ("JCP2022_037716", "poscon", "AMG900", "compound"),
    ("JCP2022_025848", "poscon", "dexamethasone", "compound"),
    ("JCP2022_046054", "poscon", "FK-866", "compound"),
    ("JCP2022_035095", "poscon", "LY2109761", "compound"),
    ("JCP2022_064022", "poscon", "NVS-PAK1-1", "compound"),
    ("JCP2022_050797", "poscon", "quinidine", "compound"),
    ("JCP2022_012818", "poscon", "TC-S-7004", "compound"),
    ("JCP2022_085227", "poscon", "aloxistatin", "compound"),
    ("JCP2022_800001", "negcon", "no-guide", "crispr"),
    ("JCP2022_800002", "negcon", "non-targeting", "crispr"),
    ("JCP2022_805264", "poscon", "PLK1", "crispr"),
    ("JCP2022_915128", "negcon", "BFP", "orf"),
    ("JCP2022_915129", "negcon", "HcRed", "orf"),
    ("JCP2022_915130", "negcon", "LUCIFERASE", "orf"),
    ("JCP2022_915131", "negcon", "LacZ", "orf"),
    ("JCP2022_915132", "poscon", "eGFP", "orf"),
)
#: The control ORFs' rows of JUMP ``orf.csv.gz`` (id, broad sample, name, transcript, symbol).
CONTROL_ORFS: tuple[tuple[str, str, str, str, str], ...] = (
    ("JCP2022_915128", "ccsbBroad304_99985", "ORFC00001.1_TRC304.1", "BFP.1", "BFP"),
    ("JCP2022_915129", "ccsbBroad304_99988", "ORFC00002.1_TRC304.1", "HcRed.1", "HcRed"),
    ("JCP2022_915130", "ccsbBroad304_99991", "ORFC00003.1_TRC304.1", "promegaLuc.1", "LUCIFERASE"),
    ("JCP2022_915131", "ccsbBroad304_99994", "ORFC00004.1_TRC304.1", "LacZ.1", "LacZ"),
    ("JCP2022_915132", "ccsbBroad304_99997", "ORFC00005.1_TRC304.1", "eGFP.1", "eGFP"),
)

__all__ = [
    "FILES",
    "JumpMetadata",
    "StandIn",
    "SyntheticDesign",
    "generate",
    "generated_jump_metadata",
    "load_jump_metadata",
    "write_standin",
]


@dataclass(frozen=True)
class SyntheticDesign:
    """Size and planted signal of the stand-in (config ``cpg0016orf.synthetic_design``).

    Attributes
    ----------
    plate_maps : plate maps used; each keeps its real replicate plates (generated metadata:
        ``replicates`` plates each).
    replicates : replicate plates per map when the metadata is generated.
    orfs_per_plate_map : treatment ORFs per plate map (one well each on every replicate plate).
    negcon_wells_per_type : wells of each of the 4 negcon ORFs per plate.
    poscon_wells, empty_wells, bad_construct_wells, unannotated_wells : eGFP, ``JCP2022_999999``,
        ``BAD CONSTRUCT`` and no-symbol ORF wells per plate (all removed by the filters).
    n_features : Harmony features ``X_1 .. X_n``.
    consistent_complexes, inconsistent_complexes, genes_per_complex : CORUM-like complexes.
    shared_genes : genes added to a second complex (multilabel rows).
    two_orf_genes : complex genes represented by two ORF reagents (pooled by the gene consensus).
    active_fraction : probability that an ORF outside the consistent complexes is active.
    effect, effect_spread : per-feature RMS shift of an active ORF (noise SD 1), times a uniform
        draw in [1 - effect_spread, 1 + effect_spread].
    shared_weight : largest share of a consistent complex member's direction (variance) that is
        common to the complex; each complex draws its share uniformly in [0.3, 1] x shared_weight.
    plate_effect : per-feature SD of a plate's offset, added to every well of the plate.
    low_infection_fraction : share of treatment ORFs listed as low-infection reagents.
    nan_feature_wells : wells (of inactive ORFs outside complexes) given a NaN in feature X_1.
    """

    plate_maps: int = 4
    replicates: int = 5
    orfs_per_plate_map: int = 40
    negcon_wells_per_type: int = 4
    poscon_wells: int = 4
    empty_wells: int = 8
    bad_construct_wells: int = 1
    unannotated_wells: int = 2
    n_features: int = 120
    consistent_complexes: int = 8
    inconsistent_complexes: int = 8
    genes_per_complex: int = 4
    shared_genes: int = 2
    two_orf_genes: int = 3
    active_fraction: float = 0.5
    effect: float = 0.6
    effect_spread: float = 0.5
    shared_weight: float = 0.7
    plate_effect: float = 0.2
    low_infection_fraction: float = 0.05
    nan_feature_wells: int = 1

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value < 0:
                raise ValueError(f"synthetic_design.{f.name} must be >= 0, got {value}")
        for name in ("plate_maps", "orfs_per_plate_map", "negcon_wells_per_type", "n_features"):
            if getattr(self, name) < 1:
                raise ValueError(f"synthetic_design.{name} must be >= 1")
        if self.replicates < 2:
            raise ValueError("synthetic_design.replicates must be >= 2 (replicates form positives)")
        if self.genes_per_complex < 2:
            raise ValueError("synthetic_design.genes_per_complex must be >= 2")
        for name in ("active_fraction", "shared_weight", "low_infection_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"synthetic_design.{name} must be in [0, 1]")
        if self.effect_spread > 1:
            raise ValueError("synthetic_design.effect_spread must be in [0, 1]")
        if self.wells_per_plate > len(WELLS_384):
            raise ValueError(
                f"synthetic_design: {self.wells_per_plate} wells per plate do not fit a 384-well "
                "plate (lower orfs_per_plate_map or the control wells)"
            )
        n_complex_genes = self.n_complexes * self.genes_per_complex
        if n_complex_genes + self.two_orf_genes > self.plate_maps * self.orfs_per_plate_map:
            raise ValueError(
                f"synthetic_design: {n_complex_genes} complex genes ({self.two_orf_genes} with two "
                f"reagents) do not fit {self.plate_maps} x {self.orfs_per_plate_map} ORF wells"
            )
        if self.shared_genes > self.n_complexes:
            raise ValueError("synthetic_design.shared_genes must be <= the number of complexes")
        if self.two_orf_genes > n_complex_genes:
            raise ValueError("synthetic_design.two_orf_genes must be <= the complex genes")

    @property
    def n_complexes(self) -> int:
        return self.consistent_complexes + self.inconsistent_complexes

    @property
    def wells_per_plate(self) -> int:
        return (
            self.orfs_per_plate_map
            + 4 * self.negcon_wells_per_type
            + self.poscon_wells
            + self.empty_wells
            + self.bad_construct_wells
            + self.unannotated_wells
        )

    @classmethod
    def from_config(cls, config: dict | None) -> SyntheticDesign:
        """From the config mapping (unknown keys are an error naming the key)."""
        config = dict(config or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"cpg0016orf.synthetic_design: unknown key(s) {unknown}")
        return cls(**config)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class JumpMetadata:
    """The JUMP tables the stand-in is laid out on (real or generated, same columns)."""

    orfs: pd.DataFrame
    plates: pd.DataFrame
    experiment: pd.DataFrame
    controls: pd.DataFrame
    real: bool


@dataclass
class StandIn:
    """The generated input files (DataFrames) and the planted truth."""

    profiles: pd.DataFrame
    orf_metadata: pd.DataFrame
    compounds: pd.DataFrame
    experiment: pd.DataFrame
    reagents: pd.DataFrame
    corum: pd.DataFrame
    truth: pd.DataFrame


# ---------------------------------------------------------------------------------------------
# JUMP metadata: real or generated


def load_jump_metadata(orf: os.PathLike | str, plate: os.PathLike | str,
                       experiment: os.PathLike | str, controls: os.PathLike | str) -> JumpMetadata:
    """Read the real JUMP metadata tables (columns checked by :mod:`.inputs`)."""
    return JumpMetadata(
        orfs=read_jump_orfs(orf),
        plates=read_jump_plates(plate),
        experiment=read_production_experiment(experiment),
        controls=read_perturbation_control(controls),
        real=True,
    )


def generated_jump_metadata(design: SyntheticDesign, seed: int) -> JumpMetadata:
    """JUMP-like metadata with the real columns, for a run without the real tables.

    ORFs ``JCP2022_9xxxxx`` with symbols ``SYNnnnnn`` (some genes with two reagents, a few without
    a symbol), the five real control ORFs, plate maps ``OSYnn.A`` on ``replicates`` plates each
    (barcodes ``BR9nnnnnn``) in 13 batches, and the real control perturbation table.
    """
    rng = np.random.default_rng(seed)
    n_orfs = design.plate_maps * design.orfs_per_plate_map + design.two_orf_genes + max(
        design.unannotated_wells, 1
    ) + 8
    n_two = design.two_orf_genes + 4
    gene_of = np.arange(n_orfs)
    gene_of[1 : 2 * n_two : 2] = gene_of[0 : 2 * n_two : 2]  # pairs of reagents of one gene
    rows = []
    for i in range(n_orfs):
        gene = int(gene_of[i])
        rows.append({
            "Metadata_JCP2022": f"JCP2022_{900002 + i}",
            "Metadata_broad_sample": f"ccsbBroad304_{i + 1:05d}",
            "Metadata_Name": f"ORF{i + 1:06d}.1_TRC304.1",
            "Metadata_Vector": "pLX_304",
            "Metadata_Transcript": f"NM_{100000 + i}.1",
            "Metadata_Symbol": f"SYN{gene:05d}",
            "Metadata_NCBI_Gene_ID": str(700000 + gene),
            "Metadata_Taxon_ID": "9606",
            "Metadata_Gene_Description": f"synthetic gene {gene}",
            "Metadata_Prot_Match": "100.0",
            "Metadata_Insert_Length": str(int(rng.integers(300, 3000))),
            "Metadata_pert_type": "trt",
        })
    orfs = pd.DataFrame(rows, columns=list(JUMP_ORF_COLUMNS))
    no_symbol = orfs.index[-max(design.unannotated_wells, 1):]
    orfs.loc[no_symbol, ["Metadata_Transcript", "Metadata_Symbol", "Metadata_NCBI_Gene_ID",
                         "Metadata_Taxon_ID", "Metadata_Gene_Description",
                         "Metadata_Prot_Match"]] = np.nan
    controls_orf = pd.DataFrame(
        [
            {
                "Metadata_JCP2022": jcp, "Metadata_broad_sample": broad, "Metadata_Name": name,
                "Metadata_Vector": "pLX_304", "Metadata_Transcript": tx,
                "Metadata_Symbol": sym, "Metadata_NCBI_Gene_ID": sym,
                "Metadata_Taxon_ID": "CONTROL", "Metadata_Gene_Description": np.nan,
                "Metadata_Prot_Match": np.nan, "Metadata_Insert_Length": "717",
                "Metadata_pert_type": "poscon" if sym == "eGFP" else "negcon",
            }
            for jcp, broad, name, tx, sym in CONTROL_ORFS
        ]
    )
    orfs = pd.concat([orfs, _bad_construct_row(), controls_orf], ignore_index=True)

    n_batches = min(13, design.plate_maps)
    plates, experiment = [], []
    barcode = 900_000_000
    for m in range(design.plate_maps):
        batch = m % n_batches + 1
        batch_name = f"2021_{4 + batch // 4:02d}_{1 + 7 * (batch % 4):02d}_Batch{batch}"
        for _ in range(design.replicates):
            barcode += 1
            plates.append(("source_4", batch_name, f"BR{barcode}", "ORF"))
            experiment.append((f"Batch{batch}", f"OSY{m + 1:02d}.A", f"BR{barcode}", "ORF", "none",
                               "100", "Present"))
    return JumpMetadata(
        orfs=orfs,
        plates=pd.DataFrame(plates, columns=list(JUMP_PLATE_COLUMNS)),
        experiment=pd.DataFrame(experiment, columns=list(PRODUCTION_EXPERIMENT_COLUMNS)),
        controls=pd.DataFrame(list(CONTROLS), columns=list(PERTURBATION_CONTROL_COLUMNS)),
        real=False,
    )


# ---------------------------------------------------------------------------------------------
# Layout and truth


def _orf_plate_maps(meta: JumpMetadata, n_maps: int, rng: np.random.Generator) -> pd.DataFrame:
    """Plate map, barcode and batch of the ORF plates of ``n_maps`` plate maps (seeded choice)."""
    orf_plates = meta.plates[meta.plates["Metadata_PlateType"] == "ORF"]
    exp = meta.experiment[meta.experiment["Type"] == "ORF"]
    exp = exp.merge(
        orf_plates[["Metadata_Plate", "Metadata_Batch"]],
        left_on="Assay_Plate_Barcode", right_on="Metadata_Plate", how="inner",
    )
    maps = sorted(exp["Plate_Map_Name"].unique())
    if n_maps > len(maps):
        raise ValueError(
            f"synthetic_design.plate_maps = {n_maps}, but the metadata has {len(maps)} ORF plate "
            "maps with plates"
        )
    chosen = sorted(rng.choice(maps, size=n_maps, replace=False)) if n_maps < len(maps) else maps
    exp = exp[exp["Plate_Map_Name"].isin(chosen)]
    counts = exp.groupby("Plate_Map_Name").size()
    if (counts < 2).any():
        raise ValueError(f"plate map(s) {list(counts[counts < 2].index)} have a single plate")
    return exp[["Plate_Map_Name", "Metadata_Plate", "Metadata_Batch"]].sort_values(
        ["Plate_Map_Name", "Metadata_Plate"]
    ).reset_index(drop=True)


def _choose_orfs(meta: JumpMetadata, design: SyntheticDesign, rng: np.random.Generator):
    """Treatment ORFs: complex genes (some with two reagents), then any other reagents; plus the
    no-symbol ORFs and the control ORF ids.

    Returns (chosen ORF rows with columns of orf.csv.gz plus ``gene``, complexes: list of lists of
    genes (NCBI ids), consistent flags, no-symbol ORF rows, control ORF ids by symbol).
    """
    orfs = meta.orfs
    trt = orfs[(orfs["Metadata_pert_type"] == "trt") & orfs["Metadata_Symbol"].notna()]
    trt = trt[trt["Metadata_broad_sample"] != BAD_CONSTRUCT]
    per_gene = trt.groupby("Metadata_NCBI_Gene_ID", sort=True)["Metadata_JCP2022"].apply(list)
    multi = [g for g, ids in per_gene.items() if len(ids) >= 2]
    single = [g for g, ids in per_gene.items() if len(ids) == 1]
    n_unique = design.n_complexes * design.genes_per_complex
    if design.two_orf_genes > len(multi):
        raise ValueError(f"the ORF table has only {len(multi)} genes with two reagents")
    if n_unique - design.two_orf_genes > len(single):
        raise ValueError(f"the ORF table has only {len(single)} single-reagent genes for complexes")
    two = [str(x) for x in rng.choice(multi, size=design.two_orf_genes, replace=False)]
    ones = [str(x) for x in rng.choice(single, size=n_unique - len(two), replace=False)]
    complex_genes = [(two + ones)[i] for i in rng.permutation(n_unique)]
    two_set = set(two)
    rows = [jcp for gene in complex_genes for jcp in per_gene[gene][: 2 if gene in two_set else 1]]
    # the other treatment wells: any reagents of the remaining genes
    pool = trt.loc[~trt["Metadata_NCBI_Gene_ID"].isin(set(complex_genes)), "Metadata_JCP2022"]
    n_other = design.plate_maps * design.orfs_per_plate_map - len(rows)
    if n_other > len(pool):
        raise ValueError(
            f"the ORF table has {len(pool)} other reagents; the design needs {n_other}"
        )
    rows += [str(x) for x in rng.choice(pool.to_numpy(), size=n_other, replace=False)]
    g = design.genes_per_complex
    complexes = [complex_genes[c * g:(c + 1) * g] for c in range(design.n_complexes)]
    # genes in two complexes: complex 2k gains the first gene of complex 2k + 1 (cyclically)
    for k in range(design.shared_genes):
        a, b = (2 * k) % design.n_complexes, (2 * k + 1) % design.n_complexes
        complexes[a] = complexes[a] + [complexes[b][0]]
    consistent = [c < design.consistent_complexes for c in range(design.n_complexes)]

    chosen = trt.set_index("Metadata_JCP2022").loc[rows].reset_index()
    chosen = chosen.assign(gene=chosen["Metadata_NCBI_Gene_ID"])
    no_symbol = orfs[(orfs["Metadata_pert_type"] == "trt") & orfs["Metadata_Symbol"].isna()
                     & (orfs["Metadata_broad_sample"] != BAD_CONSTRUCT)]
    controls = orfs[orfs["Metadata_pert_type"].isin(["negcon", "poscon"])]
    control_ids = dict(zip(controls["Metadata_Symbol"], controls["Metadata_JCP2022"]))
    for sym in ("BFP", "HcRed", "LUCIFERASE", "LacZ", "eGFP"):
        if sym not in control_ids:
            raise ValueError(f"the ORF table lacks the control ORF {sym}")
    return chosen, complexes, consistent, no_symbol, control_ids


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def generate(design: SyntheticDesign, metadata: JumpMetadata, seed: int) -> StandIn:
    """Generate every input file of the pipeline (see the module docstring)."""
    rng = np.random.default_rng(seed)
    plate_table = _orf_plate_maps(metadata, design.plate_maps, rng)
    chosen, complexes, consistent, no_symbol, control_ids = _choose_orfs(metadata, design, rng)
    d = design.n_features

    # --- truth per gene and per ORF --------------------------------------------------------
    genes = list(dict.fromkeys(chosen["gene"]))
    gene_complexes: dict[str, list[int]] = {gene: [] for gene in genes}
    for c, members in enumerate(complexes):
        for gene in members:
            gene_complexes[gene].append(c)
    complex_dir = _unit(rng.standard_normal((len(complexes), d)))
    # each consistent complex shares between 30% and 100% of shared_weight (varied strength)
    complex_weight = design.shared_weight * rng.uniform(0.3, 1.0, size=len(complexes))
    gene_dir, gene_active, gene_role = {}, {}, {}
    for gene in genes:
        own = _unit(rng.standard_normal(d))
        cons = [c for c in gene_complexes[gene] if consistent[c]]
        if cons:
            shared = _unit(complex_dir[cons].sum(axis=0))
            w = float(complex_weight[cons].mean())
            direction = np.sqrt(w) * shared + np.sqrt(1 - w) * own
            gene_dir[gene], gene_active[gene] = _unit(direction), True
            gene_role[gene] = "consistent_complex"
        else:
            gene_dir[gene] = own
            gene_active[gene] = bool(rng.random() < design.active_fraction)
            gene_role[gene] = "inconsistent_complex" if gene_complexes[gene] else "other"
    n_orf = len(chosen)
    magnitude = design.effect * np.sqrt(d) * rng.uniform(
        1 - design.effect_spread, 1 + design.effect_spread, size=n_orf
    )
    active = np.array([gene_active[g] for g in chosen["gene"]])
    # low-infection reagents: among ORFs outside complexes, strongly shifted
    others = np.flatnonzero(chosen["gene"].map(lambda g: gene_role[g] == "other").to_numpy())
    n_low = round(design.low_infection_fraction * n_orf)
    low = np.zeros(n_orf, dtype=bool)
    if n_low and len(others):
        low[rng.choice(others, size=min(n_low, len(others)), replace=False)] = True
    magnitude = np.where(low, 3 * design.effect * np.sqrt(d), magnitude)
    shift = np.where((active | low)[:, None], magnitude[:, None], 0.0) * np.stack(
        [gene_dir[g] for g in chosen["gene"]]
    )

    # --- layout: wells per plate map -------------------------------------------------------
    maps = list(dict.fromkeys(plate_table["Plate_Map_Name"]))
    orf_map = np.repeat(np.arange(len(maps)), design.orfs_per_plate_map)[:n_orf]
    if len(orf_map) < n_orf:  # extra reagents of two-reagent genes go to the last maps
        orf_map = np.r_[orf_map, np.arange(n_orf - len(orf_map)) % len(maps)]
    orf_map = rng.permutation(orf_map)
    negcons = [control_ids[s] for s in ("BFP", "HcRed", "LUCIFERASE", "LacZ")]
    layout_rows = []  # (map index, well, JCP2022, orf index or -1)
    for m in range(len(maps)):
        idx = np.flatnonzero(orf_map == m)
        slots = [(control, -1) for control in negcons for _ in range(design.negcon_wells_per_type)]
        slots += [(control_ids["eGFP"], -1)] * design.poscon_wells
        slots += [(EMPTY_JCP, -1)] * design.empty_wells
        slots += [(BAD_CONSTRUCT_JCP, -1)] * design.bad_construct_wells
        if design.unannotated_wells:
            if no_symbol.empty:
                raise ValueError("the ORF table has no ORF without a symbol")
            picks = rng.choice(no_symbol["Metadata_JCP2022"].to_numpy(),
                               size=design.unannotated_wells, replace=True)
            slots += [(str(p), -1) for p in picks]
        slots += [(chosen["Metadata_JCP2022"].iat[i], int(i)) for i in idx]
        if len(slots) > len(WELLS_384):
            raise ValueError(f"plate map {maps[m]}: {len(slots)} wells do not fit 384")
        wells = rng.choice(len(WELLS_384), size=len(slots), replace=False)
        layout_rows += [(m, WELLS_384[w], jcp, i) for (jcp, i), w in zip(slots, wells)]
    layout = pd.DataFrame(layout_rows, columns=["map", "Metadata_Well", "Metadata_JCP2022", "orf"])
    layout["Plate_Map_Name"] = [maps[m] for m in layout["map"]]

    wells = plate_table.merge(layout, on="Plate_Map_Name", how="inner")
    wells = wells.sort_values(["Metadata_Plate", "Metadata_Well"]).reset_index(drop=True)
    plates = wells["Metadata_Plate"].unique()
    plate_idx = pd.Categorical(wells["Metadata_Plate"], categories=plates).codes
    offsets = (design.plate_effect * rng.standard_normal((len(plates), d))).astype(np.float32)

    n = len(wells)
    features = np.empty((n, d), dtype=np.float32)
    orf_idx = wells["orf"].to_numpy()
    for start in range(0, n, 16384):  # bounded temporaries at full scale
        stop = min(start + 16384, n)
        block = rng.standard_normal((stop - start, d), dtype=np.float32)
        block += offsets[plate_idx[start:stop]]
        sel = orf_idx[start:stop] >= 0
        block[sel] += shift[orf_idx[start:stop][sel]].astype(np.float32)
        features[start:stop] = block
    if design.nan_feature_wells:
        candidates = np.flatnonzero(
            (orf_idx >= 0) & np.isin(orf_idx, np.flatnonzero(~active & ~low & np.isin(
                np.arange(n_orf), others)))
        )
        if len(candidates):
            pick = rng.choice(candidates, size=min(design.nan_feature_wells, len(candidates)),
                              replace=False)
            features[pick, 0] = np.nan

    profiles = pd.DataFrame(
        {
            "Metadata_Source": SOURCE,
            "Metadata_Plate": wells["Metadata_Plate"].astype(str),
            "Metadata_Well": wells["Metadata_Well"].astype(str),
            "Metadata_JCP2022": wells["Metadata_JCP2022"].astype(str),
        }
    )
    feat_names = [f"{FEATURE_PREFIX}{j + 1}" for j in range(d)]
    profiles = pd.concat([profiles, pd.DataFrame(features, columns=feat_names)], axis=1)

    # --- CORUM-like complexes and the ORF annotation ---------------------------------------
    symbol_of = dict(zip(chosen["gene"], chosen["Metadata_Symbol"]))
    names = []
    for c, members in enumerate(complexes):
        label = "-".join(symbol_of[g] for g in members[:4])
        names.append(f"{label} complex")
    corum_rows = {}
    for c, members in enumerate(complexes):
        for g in members:
            corum_rows.setdefault(symbol_of[g], []).append(names[c])
    corum = pd.DataFrame(
        [(sym, "|".join(cs)) for sym, cs in sorted(corum_rows.items())],
        columns=list(CORUM_COLUMNS),
    )
    orf_metadata = _orf_metadata(metadata.orfs, corum)

    # --- other tables ---------------------------------------------------------------------
    compounds = metadata.controls[metadata.controls["Metadata_modality"].isin(["compound", "any"])]
    compounds = pd.DataFrame(
        {"Metadata_JCP2022": compounds["Metadata_JCP2022"].to_numpy()},
    ).assign(Metadata_InChIKey=np.nan, Metadata_InChI=np.nan)[list(COMPOUND_COLUMNS)]
    experiment = _experiment_with_batch_names(metadata)
    reagents = _reagents(layout, chosen, low, rng)

    truth = chosen[["Metadata_JCP2022", "Metadata_broad_sample", "Metadata_Symbol",
                    "Metadata_NCBI_Gene_ID"]].copy()
    truth["role"] = [gene_role[g] for g in chosen["gene"]]
    truth["active"] = active & ~low
    truth["low_infection"] = low
    truth["effect_rms"] = np.where(active | low, magnitude / np.sqrt(d), 0.0)
    truth["complexes"] = ["|".join(names[c] for c in gene_complexes[g]) for g in chosen["gene"]]
    truth["consistent_complexes"] = [
        "|".join(names[c] for c in gene_complexes[g] if consistent[c]) for g in chosen["gene"]
    ]
    truth["plate_map"] = [maps[m] for m in orf_map]
    return StandIn(profiles, orf_metadata, compounds, experiment, reagents, corum, truth)


def _bad_construct_row() -> pd.DataFrame:
    """The ``BAD CONSTRUCT`` row (JCP2022_900001) of JUMP ``orf.csv.gz`` (no symbol, gene or transcript)."""
    bad = pd.DataFrame([{c: np.nan for c in JUMP_ORF_COLUMNS}], dtype=object)
    bad["Metadata_JCP2022"] = BAD_CONSTRUCT_JCP
    bad["Metadata_broad_sample"] = BAD_CONSTRUCT
    bad["Metadata_Name"] = BAD_CONSTRUCT
    bad["Metadata_Vector"] = "pLX_304"
    bad["Metadata_pert_type"] = "trt"
    return bad


def _orf_metadata(orfs: pd.DataFrame, corum: pd.DataFrame) -> pd.DataFrame:
    """Morphmap's ORF table: the JUMP rows (plus BAD CONSTRUCT), approved symbol = symbol,
    complexes joined by symbol, the other annotation columns empty."""
    table = orfs[list(JUMP_ORF_COLUMNS)]
    if not table["Metadata_JCP2022"].eq(BAD_CONSTRUCT_JCP).any():
        table = pd.concat([_bad_construct_row(), table], ignore_index=True)
    table = table.copy()
    table["Metadata_Approved_Symbol"] = table["Metadata_Symbol"]
    complexes = corum.rename(
        columns={"Symbol": "Metadata_Approved_Symbol", "ComplexName": "Metadata_complexname"}
    )
    table = table.merge(complexes, on="Metadata_Approved_Symbol", how="left")
    for col in ORF_METADATA_COLUMNS:
        if col not in table.columns:
            table[col] = np.nan
    return table[list(ORF_METADATA_COLUMNS)]


def _experiment_with_batch_names(metadata: JumpMetadata) -> pd.DataFrame:
    """The production experiment table plus Morphmap's ``Batch_name`` (plate.csv.gz's batch)."""
    exp = metadata.experiment.copy()
    batch_of_plate = dict(zip(metadata.plates["Metadata_Plate"], metadata.plates["Metadata_Batch"]))
    exp["Batch_name"] = exp["Assay_Plate_Barcode"].map(batch_of_plate)
    by_batch = exp.dropna(subset=["Batch_name"]).groupby("Batch")["Batch_name"].first()
    exp["Batch_name"] = exp["Batch_name"].fillna(exp["Batch"].map(by_batch))
    return exp[list(EXPERIMENT_COLUMNS)]


def _reagents(layout: pd.DataFrame, chosen: pd.DataFrame, low: np.ndarray,
              rng: np.random.Generator) -> pd.DataFrame:
    """Low-infection / outlier reagent list: the planted low-infection ORF wells (below the Otsu
    threshold 0.47, or above 2 as outliers) and some EMPTY wells, as in the Morphmap file."""
    low_idx = np.flatnonzero(low)
    rows = []
    for i in low_idx:
        hit = layout[layout["orf"] == i].iloc[0]
        value = float(rng.uniform(0.0, 0.45)) if rng.random() < 0.8 else float(rng.uniform(2.1, 3))
        rows.append((hit["Plate_Map_Name"], hit["Metadata_Well"],
                     chosen["Metadata_broad_sample"].iat[i], value))
    empties = layout[layout["Metadata_JCP2022"] == EMPTY_JCP]
    for _, hit in empties.head(4).iterrows():
        rows.append((hit["Plate_Map_Name"], hit["Metadata_Well"], "EMPTY",
                     float(rng.uniform(-0.1, 0.05))))
    return pd.DataFrame(rows, columns=list(REAGENT_COLUMNS))


# ---------------------------------------------------------------------------------------------
# Files


def _atomic(path: Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def write_standin(standin: StandIn, paths: dict[str, os.PathLike | str]) -> None:
    """Write each table to ``paths[key]`` (keys of :data:`FILES`) in the real file's format."""
    missing = sorted(set(FILES) - set(paths))
    if missing:
        raise ValueError(f"write_standin: no path for {missing}")
    meta_cols = list(PROFILE_METADATA)
    schema = pa.schema(
        [pa.field(c, pa.string()) for c in meta_cols]
        + [pa.field(c, pa.float32()) for c in standin.profiles.columns if c not in meta_cols]
    )
    table = pa.Table.from_pandas(standin.profiles, schema=schema, preserve_index=False)
    _atomic(paths["profiles"], lambda p: pq.write_table(table, p))
    _atomic(paths["orf_metadata"], lambda p: standin.orf_metadata.to_csv(
        p, sep="\t", index=False, compression="gzip"))
    _atomic(paths["compounds"], lambda p: standin.compounds.to_csv(
        p, index=False, compression="gzip"))
    _atomic(paths["experiment"], lambda p: standin.experiment.to_csv(p, sep="\t", index=False))
    _atomic(paths["reagents"], lambda p: standin.reagents.to_csv(
        p, index=False, compression="gzip"))
    _atomic(paths["corum"], lambda p: standin.corum.to_csv(p, sep="\t", index=False))
    _atomic(paths["truth"], lambda p: standin.truth.to_csv(p, index=False))
