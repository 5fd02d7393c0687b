"""A generated stand-in for the CPJUMP1 profiles: real layout and schema, planted signal.

The real well profiles (``*_normalized_feature_select_negcon_batch.csv.gz``, 48 primary plates)
are not reachable offline. The stand-in writes files with their schema, built on:

* the real plate table of batch 2020_11_04_CPJUMP1 (:data:`EXPERIMENT_PLATES`, the rows of the
  authors' ``benchmark/output/experiment-metadata.tsv`` for that batch and the DL batch, copied
  here), including the plates the benchmark excludes (other densities, antibiotics, compounds on
  Cas9 cells), so that the plate filter is exercised;
* the real JUMP-Target-1 plate maps and perturbation metadata when they are available
  (:func:`read_layouts`; config ``cpjump1.synthetic_metadata``), else generated ones of the same
  shape (:func:`generated_layouts`): compounds and CRISPR guides in the same well on every
  replicate plate, ORFs twice per plate in different wells, 64 DMSO wells per compound plate,
  30 negative-control guides in duplicate, 15 negative-control ORFs four times;
* real CellProfiler feature names (:mod:`.feature_names`; beyond their 300, names of
  CellProfiler's grammar, :func:`mapreprod.standin.grammar_feature_names`).

Each condition's wells are ``noise + plate offset + well-position effect + perturbation effect``,
then MAD-normalized to the plate's negative-control wells (median and 1.4826 x MAD), as the real
profiles are. The planted signal differs by modality (defaults of :class:`SyntheticDesign`):
compounds strong and mostly active, CRISPR weaker, ORF weak with a larger well-position effect
(the plate-layout confound that makes same-well ORF replicates easier to retrieve than
different-well ones). Genes have a direction; CRISPR guides of a gene share it, on-target
compounds carry it (mostly with the knockout's sign, some opposite), on-target ORFs too (mostly
positive, as the paper found), which gives sister matching, compound-gene matching and the
positive tails of Fig 5.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from mapreprod.standin import grammar_feature_names

from .feature_names import FEATURE_NAMES
from .inputs import (
    ANNOTATION_FILE,
    EXPERIMENT_FILE,
    MODALITIES,
    TIMEPOINTS,
    profile_file,
)

__all__ = [
    "EXPERIMENT_PLATES",
    "LAYOUT_FILES",
    "Layouts",
    "SyntheticDesign",
    "experiment_metadata",
    "generate",
    "generated_layouts",
    "layout_source",
    "read_layouts",
    "standin_plates",
    "write_standin",
]

#: Plates of batch 2020_11_04_CPJUMP1 (and of 2020_11_04_CPJUMP1_DL, re-analysed plates of the
#: same batch, to exercise the batch filter): barcode, perturbation, cell type, hours, density,
#: antibiotics, cell line, anomaly. From the authors' benchmark/output/experiment-metadata.tsv.
EXPERIMENT_PLATES: tuple[tuple[str, str, str, str, int, int, str, str, str], ...] = tuple(
    ("2020_11_04_CPJUMP1", *row)
    for row in (
        ("BR00116991", "compound", "A549", 24, 100, "absent", "Parental", "WGA"),
        ("BR00116992", "compound", "A549", 24, 100, "absent", "Parental", "WGA"),
        ("BR00116993", "compound", "A549", 24, 100, "absent", "Parental", "WGA"),
        ("BR00116994", "compound", "A549", 24, 100, "absent", "Parental", "WGA"),
        ("BR00116995", "compound", "U2OS", 24, 100, "absent", "Parental", "WGA"),
        ("BR00117008", "compound", "A549", 48, 80, "absent", "Parental", "none"),
        ("BR00117009", "compound", "A549", 48, 80, "absent", "Parental", "none"),
        ("BR00117010", "compound", "U2OS", 48, 100, "absent", "Parental", "Mitotracker"),
        ("BR00117011", "compound", "U2OS", 48, 100, "absent", "Parental", "none"),
        ("BR00117012", "compound", "U2OS", 48, 100, "absent", "Parental", "none"),
        ("BR00117013", "compound", "U2OS", 48, 100, "absent", "Parental", "Mitotracker"),
        ("BR00117015", "compound", "A549", 48, 100, "absent", "Parental", "none"),
        ("BR00117016", "compound", "A549", 48, 100, "absent", "Parental", "none"),
        ("BR00117017", "compound", "A549", 48, 100, "absent", "Parental", "none"),
        ("BR00117019", "compound", "A549", 48, 100, "absent", "Parental", "none"),
        ("BR00117024", "compound", "U2OS", 24, 100, "absent", "Parental", "WGA"),
        ("BR00117025", "compound", "U2OS", 24, 100, "absent", "Parental", "WGA"),
        ("BR00117026", "compound", "U2OS", 24, 100, "absent", "Parental", "WGA"),
        ("BR00117050", "compound", "A549", 48, 100, "absent", "Cas9", "none"),
        ("BR00117051", "compound", "A549", 48, 100, "absent", "Cas9", "none"),
        ("BR00117052", "compound", "A549", 48, 100, "absent", "Cas9", "none"),
        ("BR00117053", "compound", "A549", 48, 100, "absent", "Cas9", "none"),
        ("BR00117054", "compound", "A549", 48, 120, "absent", "Parental", "none"),
        ("BR00117055", "compound", "A549", 48, 120, "absent", "Parental", "none"),
        ("BR00116996", "crispr", "U2OS", 144, 100, "absent", "Cas9", "WGA"),
        ("BR00116997", "crispr", "U2OS", 144, 100, "absent", "Cas9", "WGA"),
        ("BR00116998", "crispr", "U2OS", 144, 100, "absent", "Cas9", "WGA"),
        ("BR00116999", "crispr", "U2OS", 144, 100, "absent", "Cas9", "WGA"),
        ("BR00117000", "crispr", "A549", 144, 100, "absent", "Cas9", "none"),
        ("BR00117001", "crispr", "A549", 144, 100, "Puromycin", "Cas9", "none"),
        ("BR00117002", "crispr", "A549", 144, 100, "Puromycin", "Cas9", "none"),
        ("BR00117003", "crispr", "A549", 144, 100, "absent", "Cas9", "none"),
        ("BR00117004", "crispr", "A549", 144, 100, "absent", "Cas9", "none"),
        ("BR00117005", "crispr", "A549", 144, 100, "absent", "Cas9", "none"),
        ("BR00118041", "crispr", "A549", 96, 100, "absent", "Cas9", "Phalloidin"),
        ("BR00118042", "crispr", "A549", 96, 100, "absent", "Cas9", "Phalloidin"),
        ("BR00118043", "crispr", "A549", 96, 100, "absent", "Cas9", "Phalloidin"),
        ("BR00118044", "crispr", "A549", 96, 100, "absent", "Cas9", "Phalloidin"),
        ("BR00118045", "crispr", "U2OS", 96, 100, "absent", "Cas9", "Phalloidin"),
        ("BR00118046", "crispr", "U2OS", 96, 100, "absent", "Cas9", "Phalloidin"),
        ("BR00118047", "crispr", "U2OS", 96, 100, "absent", "Cas9", "Phalloidin"),
        ("BR00118048", "crispr", "U2OS", 96, 100, "absent", "Cas9", "Phalloidin"),
        ("BR00117006", "orf", "A549", 96, 100, "absent", "Parental", "Phalloidin"),
        ("BR00117020", "orf", "A549", 48, 100, "absent", "Parental", "none"),
        ("BR00117021", "orf", "A549", 48, 100, "absent", "Parental", "none"),
        ("BR00117022", "orf", "U2OS", 48, 100, "absent", "Parental", "none"),
        ("BR00117023", "orf", "U2OS", 48, 100, "absent", "Parental", "none"),
        ("BR00118039", "orf", "U2OS", 96, 100, "absent", "Parental", "Phalloidin"),
        ("BR00118040", "orf", "U2OS", 96, 100, "absent", "Parental", "Phalloidin"),
        ("BR00118049", "orf", "A549", 96, 100, "Blasticidin", "Parental", "Phalloidin"),
        ("BR00118050", "orf", "A549", 96, 100, "absent", "Parental", "Phalloidin"),
    )
) + tuple(
    ("2020_11_04_CPJUMP1_DL", *row)
    for row in (
        ("BR00117010", "compound", "U2OS", 48, 100, "absent", "Parental", "Mitotracker"),
        ("BR00117011", "compound", "U2OS", 48, 100, "absent", "Parental", "none"),
        ("BR00117012", "compound", "U2OS", 48, 100, "absent", "Parental", "none"),
        ("BR00117013", "compound", "U2OS", 48, 100, "absent", "Parental", "Mitotracker"),
        ("BR00116996", "crispr", "U2OS", 144, 100, "absent", "Cas9", "WGA"),
        ("BR00116997", "crispr", "U2OS", 144, 100, "absent", "Cas9", "WGA"),
        ("BR00116998", "crispr", "U2OS", 144, 100, "absent", "Cas9", "WGA"),
        ("BR00116999", "crispr", "U2OS", 144, 100, "absent", "Cas9", "WGA"),
        ("BR00118039", "orf", "U2OS", 96, 100, "absent", "Parental", "Phalloidin"),
        ("BR00118040", "orf", "U2OS", 96, 100, "absent", "Parental", "Phalloidin"),
    )
)

#: Inputs of the stand-in when the real layouts are used: key -> file in resources/cpjump1/.
#: Compound and ORF annotation columns are the 2021 JUMP-Target versions (the CPJUMP1 era);
#: the compounds' target lists come from the current compound metadata (its ``target_list``
#: column is the one of the notebooks' additional-annotations file).
LAYOUT_FILES: dict[str, str] = {
    "compound_platemap": "JUMP-Target-1_compound_platemap.tsv",
    "crispr_platemap": "JUMP-Target-1_crispr_platemap.tsv",
    "orf_platemap": "JUMP-Target-1_orf_platemap.tsv",
    "compound_metadata": "jump_target_2021/JUMP-Target-1_compound_metadata.tsv",
    "crispr_metadata": "JUMP-Target-1_crispr_metadata.tsv",
    "orf_metadata": "jump_target_2021/JUMP-Target-1_orf_metadata.tsv",
    "compound_targets": "JUMP-Target-1_compound_metadata.tsv",
}

#: Columns of the notebooks' compound annotation file (benchmark/input).
ANNOTATION_COLUMNS = [
    "broad_sample", "InChIKey", "pert_iname", "pubchem_cid", "target", "target_list",
    "moa_list", "purity", "pert_type", "control_type", "smiles",
]
ROWS = "ABCDEFGHIJKLMNOP"
N_ROWS, N_COLS = 16, 24


def layout_source(mode: str, resources: str | os.PathLike, mirror: str | os.PathLike | None) -> str:
    """Where the stand-in takes its plate maps and metadata from: "real" or "generated".

    ``mode`` is config ``cpjump1.synthetic_metadata``: "real" and "generated" are returned as
    they are; "auto" gives "real" when every file of :data:`LAYOUT_FILES` is already in
    ``resources`` (resources/cpjump1/) or in a local ``mirror`` folder (``data.mirror``, laid
    out as ``<mirror>/cpjump1/<file>``; a plain path or a file:// URL), else "generated". It never
    contacts a server.
    """
    if mode in ("real", "generated"):
        return mode
    if mode != "auto":
        raise ValueError(f"cpjump1.synthetic_metadata must be auto, real or generated, got {mode!r}")
    files = list(LAYOUT_FILES.values())
    if all((Path(resources) / f).is_file() for f in files):
        return "real"
    if mirror and not str(mirror).startswith(("http://", "https://")):
        folder = Path(str(mirror).removeprefix("file://")) / "cpjump1"
        if all((folder / f).is_file() for f in files):
            return "real"
    return "generated"


def experiment_metadata() -> pd.DataFrame:
    """The plate table in the columns of the authors' ``experiment-metadata.tsv``."""
    rows = []
    for batch, barcode, pert, cell, hours, density, antibiotics, line, anomaly in EXPERIMENT_PLATES:
        rows.append(
            {
                "Batch": batch,
                "Plate_Map_Name": f"JUMP-Target-1_{pert}_platemap",
                "Assay_Plate_Barcode": barcode,
                "Perturbation": pert,
                "Cell_type": cell,
                "Time": hours,
                "Density": density,
                "Antibiotics": antibiotics,
                "Cell_line": line,
                "Time_delay": "Day0",
                "Times_imaged": 1,
                "Anomaly": anomaly,
                "Number_of_images": 27648,
            }
        )
    return pd.DataFrame(rows)


def standin_plates() -> list[str]:
    """Barcodes of the plates the stand-in writes: every plate of batch 2020_11_04_CPJUMP1."""
    return [row[1] for row in EXPERIMENT_PLATES if row[0] == "2020_11_04_CPJUMP1"]


# --------------------------------------------------------------------------- design

#: Largest ``synthetic_design.n_features``: the 300 real names, then CellProfiler's grammar.
MAX_FEATURES = 1500


def feature_names(n_features: int) -> list[str]:
    """The first ``n_features`` real names (:data:`FEATURE_NAMES`), beyond their number all of
    them and then names of CellProfiler's grammar."""
    if n_features <= len(FEATURE_NAMES):
        return list(FEATURE_NAMES[:n_features])
    taken = set(FEATURE_NAMES)
    extra = [name for name in grammar_feature_names() if name not in taken]
    return [*FEATURE_NAMES, *extra[: n_features - len(FEATURE_NAMES)]]



def _per_modality(**values: float) -> dict[str, float]:
    return dict(values)


@dataclass(frozen=True)
class SyntheticDesign:
    """Size and planted signal of the stand-in (config ``cpjump1.synthetic_design``).

    Attributes
    ----------
    n_features : features per profile (real CellProfiler names up to 300, then names of
        CellProfiler's grammar; at most :data:`MAX_FEATURES`).
    plate_effect : SD of a per-plate offset (removed by the negcon normalization).
    position_effect : RMS per feature of the well-position effect (row and column gradients and
        an edge effect, shared by the plates of a condition), per modality.
    active_fraction : probability that a treatment has an effect, per modality (positive
        controls always have one).
    effect_min, effect_max : an active reagent's per-feature RMS shift is uniform in
        [effect_min, effect_max] (noise SD 1), per modality, times a per-condition scale.
    on_target_fraction : share of reagents whose direction carries their gene's direction.
    gene_share : cosine between an on-target reagent's direction and its gene's direction.
    mimic_fraction : share of on-target compounds / ORFs whose direction has the knockout's sign
        (the rest oppose it); CRISPR guides define the gene direction.
    compound_gene_link : on-target compounds of a gene share a "target" direction (which makes
        sister compounds match); this is its cosine with the gene's knockout direction (which
        makes compound-gene matches weaker than sister matches, as in the paper).
    condition_spread : each (modality, cell type, time point) scales effects by a uniform draw in
        [1 - condition_spread, 1 + condition_spread].
    """

    n_features: int = 120
    plate_effect: float = 0.3
    position_effect: dict[str, float] = field(
        default_factory=lambda: _per_modality(compound=0.3, crispr=0.3, orf=0.7)
    )
    active_fraction: dict[str, float] = field(
        default_factory=lambda: _per_modality(compound=0.85, crispr=0.65, orf=0.4)
    )
    effect_min: dict[str, float] = field(
        default_factory=lambda: _per_modality(compound=0.4, crispr=0.25, orf=0.15)
    )
    effect_max: dict[str, float] = field(
        default_factory=lambda: _per_modality(compound=1.2, crispr=0.7, orf=0.5)
    )
    on_target_fraction: dict[str, float] = field(
        default_factory=lambda: _per_modality(compound=0.8, crispr=0.6, orf=0.8)
    )
    gene_share: dict[str, float] = field(
        default_factory=lambda: _per_modality(compound=0.75, crispr=0.7, orf=0.5)
    )
    mimic_fraction: dict[str, float] = field(
        default_factory=lambda: _per_modality(compound=0.75, orf=0.9)
    )
    compound_gene_link: float = 0.6
    condition_spread: float = 0.2

    _MODALITY_KEYS = (
        "position_effect", "active_fraction", "effect_min", "effect_max",
        "on_target_fraction", "gene_share",
    )

    @classmethod
    def from_config(cls, section: dict | None) -> SyntheticDesign:
        """Build from a config mapping (missing keys keep their defaults; per-modality mappings
        are merged over the defaults); unknown keys raise ValueError naming the key."""
        section = dict(section or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"cpjump1.synthetic_design: unknown key(s) {unknown}")
        base = cls()
        values = {}
        for key, value in section.items():
            default = getattr(base, key)
            if isinstance(default, dict):
                if not isinstance(value, dict):
                    raise ValueError(f"cpjump1.synthetic_design.{key} must be a mapping of modality to number")
                extra = sorted(set(value) - set(default))
                if extra:
                    raise ValueError(f"cpjump1.synthetic_design.{key}: unknown modality key(s) {extra}")
                value = {**default, **value}
            values[key] = value
        design = cls(**values)
        design.check()
        return design

    def check(self) -> None:
        """Raise ValueError naming the key if a value is out of range."""
        key = "cpjump1.synthetic_design"
        if not 2 <= self.n_features <= MAX_FEATURES:
            raise ValueError(f"{key}.n_features must be in [2, {MAX_FEATURES}], got {self.n_features}")
        if not 0 <= self.compound_gene_link <= 1:
            raise ValueError(f"{key}.compound_gene_link must be in [0, 1]")
        for name in ("plate_effect", "condition_spread"):
            if getattr(self, name) < 0:
                raise ValueError(f"{key}.{name} must be >= 0")
        if self.condition_spread >= 1:
            raise ValueError(f"{key}.condition_spread must be < 1")
        for name in self._MODALITY_KEYS:
            values = getattr(self, name)
            missing = [m for m in MODALITIES if m not in values]
            if missing:
                raise ValueError(f"{key}.{name} lacks modality key(s) {missing}")
            if any(v < 0 for v in values.values()):
                raise ValueError(f"{key}.{name} values must be >= 0")
        for name in ("active_fraction", "on_target_fraction", "gene_share", "mimic_fraction"):
            if any(not 0 <= v <= 1 for v in getattr(self, name).values()):
                raise ValueError(f"{key}.{name} values must be in [0, 1]")
        for m in MODALITIES:
            if self.effect_min[m] > self.effect_max[m]:
                raise ValueError(f"{key}.effect_min.{m} exceeds effect_max.{m}")
        missing = [m for m in ("compound", "orf") if m not in self.mimic_fraction]
        if missing:
            raise ValueError(f"{key}.mimic_fraction lacks modality key(s) {missing}")

    def as_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- layouts


@dataclass
class Layouts:
    """Plate maps, perturbation metadata and compound annotations of the three modalities.

    ``platemaps[m]``: ``well_position``, ``broad_sample`` (NaN = DMSO on compound plates, empty
    well otherwise) and, for compounds, ``solvent``. ``metadata[m]``: one row per
    ``broad_sample`` (the compound table also has the DMSO row, broad_sample NaN) with the
    annotation columns pycytominer prefixes with ``Metadata_``. ``annotations``: the compound
    annotation table (:data:`ANNOTATION_COLUMNS`). ``source``: "real" or "generated".
    """

    platemaps: dict[str, pd.DataFrame]
    metadata: dict[str, pd.DataFrame]
    annotations: pd.DataFrame
    source: str


def read_layouts(paths: dict[str, str | os.PathLike]) -> Layouts:
    """The real JUMP-Target-1 layouts (``paths`` keyed like :data:`LAYOUT_FILES`)."""
    missing = sorted(set(LAYOUT_FILES) - set(paths))
    if missing:
        raise ValueError(f"read_layouts: missing input(s) {missing}")

    def read(key: str, columns: list[str]) -> pd.DataFrame:
        table = pd.read_csv(paths[key], sep="\t")
        lacking = [c for c in columns if c not in table.columns]
        if lacking:
            raise ValueError(f"{paths[key]} ({key}): missing column(s) {lacking}")
        return table

    platemaps = {
        m: read(f"{m}_platemap", ["well_position", "broad_sample"]) for m in MODALITIES
    }
    metadata = {
        "compound": read("compound_metadata", ["broad_sample", "target", "pert_type", "control_type"]),
        "crispr": read("crispr_metadata", ["broad_sample", "gene", "pert_type", "control_type"]),
        "orf": read("orf_metadata", ["broad_sample", "gene", "pert_type", "control_type"]),
    }
    for m, pm in platemaps.items():
        if len(pm) != N_ROWS * N_COLS or pm["well_position"].duplicated().any():
            raise ValueError(f"{paths[f'{m}_platemap']}: a plate map must list the 384 wells once")
    targets = read("compound_targets", ["broad_sample", "target_list"])
    annotations = targets.merge(
        metadata["compound"][["broad_sample", "target"]].dropna(subset=["broad_sample"]),
        on="broad_sample",
        how="left",
    )
    for col in ANNOTATION_COLUMNS:
        if col not in annotations.columns:
            annotations[col] = np.nan
    annotations = annotations.dropna(subset=["broad_sample"])[ANNOTATION_COLUMNS].reset_index(drop=True)
    return Layouts(platemaps, metadata, annotations, "real")


def _wells() -> list[str]:
    return [f"{r}{c:02d}" for r in ROWS for c in range(1, N_COLS + 1)]


def generated_layouts(seed: int = 0) -> Layouts:
    """Plate maps and metadata of the same shape as JUMP-Target-1, with made-up names.

    160 genes; 306 compounds (14 positive controls in duplicate, 292 in one well; 64 DMSO
    wells), each with a primary target gene and 0-3 more targets; 305 guides (2 per gene, 1 for
    15 genes; 15 of them in two wells) and 30 negative-control guides in two wells; 160 ORFs in
    two wells and 15 negative-control ORFs in four; 4 empty wells on genetic plates.
    """
    rng = np.random.default_rng([seed, 2024])
    wells = _wells()
    genes = [f"GENE{i:03d}" for i in range(1, 161)]

    inner = np.array([w[0] not in "AP" and w[1:] not in ("01", "24") for w in wells])

    def layout(entries: list[str | float], controls: set[str]) -> pd.DataFrame:
        """Wells for the entries at random, negative controls away from the plate's edge (as on
        the real plates, where they sit in inner clusters)."""
        if len(entries) != len(wells):
            raise AssertionError("layout must fill 384 wells")
        is_control = np.array([isinstance(e, str) and e in controls for e in entries])
        slots = np.empty(len(wells), dtype=int)
        inner_wells = rng.permutation(np.flatnonzero(inner))
        n_ctrl = int(is_control.sum())
        ctrl_wells = inner_wells[:n_ctrl]
        other_wells = rng.permutation(np.r_[inner_wells[n_ctrl:], np.flatnonzero(~inner)])
        slots[is_control] = ctrl_wells
        slots[~is_control] = other_wells
        column = np.empty(len(wells), dtype=object)
        column[slots] = entries
        return pd.DataFrame({"well_position": wells, "broad_sample": list(column)})

    # compounds
    n_comp = 306
    comp_ids = [f"BRD-K{10000000 + 7 * i:08d}-001-01-0" for i in range(n_comp)]
    primary = [genes[i % len(genes)] for i in range(n_comp)]
    control = np.array([None] * n_comp, dtype=object)
    poscon_idx = rng.choice(n_comp, size=46, replace=False)
    control[poscon_idx[:14]] = "poscon_diverse"
    control[poscon_idx[14:40]] = "poscon_cp"
    control[poscon_idx[40:]] = "poscon_orf"
    target_lists = []
    for i in range(n_comp):
        extra = rng.choice(genes, size=int(rng.integers(0, 3)), replace=False).tolist()
        other = [f"OTHER{int(v):03d}" for v in rng.integers(0, 200, size=int(rng.integers(0, 2)))]
        target_lists.append("|".join(dict.fromkeys([primary[i], *extra, *other])))
    comp_meta = pd.DataFrame(
        {
            "broad_sample": comp_ids + [np.nan],
            "InChIKey": [f"SYNTHETIC{i:05d}-UHFFFAOYSA-N" for i in range(n_comp)] + ["IAZDPXIOMUYVGZ-UHFFFAOYSA-N"],
            "pert_iname": [f"compound-{i:03d}" for i in range(n_comp)] + ["DMSO"],
            "pubchem_cid": list(range(100000, 100000 + n_comp)) + [679],
            "target": primary + [np.nan],
            "pert_type": ["control" if c else "trt" for c in control] + ["control"],
            "control_type": list(control) + ["negcon"],
            "smiles": ["C"] * n_comp + ["CS(C)=O"],
        }
    )
    doubles = set(np.asarray(comp_ids)[poscon_idx[:14]].tolist())
    comp_entries: list = [b for b in comp_ids for _ in range(2 if b in doubles else 1)] + [np.nan] * 64
    comp_pm = layout(comp_entries, set())
    comp_pm["solvent"] = "DMSO"
    annotations = comp_meta.dropna(subset=["broad_sample"]).assign(
        target_list=target_lists, moa_list=np.nan, purity=np.nan
    )[ANNOTATION_COLUMNS].reset_index(drop=True)

    # CRISPR guides
    single = set(rng.choice(len(genes), size=15, replace=False).tolist())
    guide_genes = [g for k, g in enumerate(genes) for _ in range(1 if k in single else 2)]
    guides = [f"BRDN{1000000 + 11 * i:010d}" for i in range(len(guide_genes))]
    negcon_guides = [f"BRDN{2000000 + 13 * i:010d}" for i in range(30)]
    poscon = set(rng.choice(len(guides), size=58, replace=False).tolist())
    crispr_meta = pd.DataFrame(
        {
            "broad_sample": guides + negcon_guides,
            "gene": guide_genes + [np.nan] * 30,
            "pert_type": ["control" if i in poscon else "trt" for i in range(len(guides))] + ["control"] * 30,
            "control_type": ["poscon_cp" if i in poscon else np.nan for i in range(len(guides))] + ["negcon"] * 30,
            "target_sequence": ["".join(rng.choice(list("ACGT"), 20)) for _ in range(len(guides) + 30)],
            "negcon_control_type": [np.nan] * len(guides) + ["NO_SITE (5 zeros)"] * 27 + ["ONE_INTERGENIC_SITE"] * 3,
        }
    )
    twice = set(rng.choice(len(guides), size=15, replace=False).tolist())
    crispr_entries: list = [g for i, g in enumerate(guides) for _ in range(2 if i in twice else 1)]
    crispr_entries += [g for g in negcon_guides for _ in range(2)] + [np.nan] * 4
    crispr_pm = layout(crispr_entries, set(negcon_guides))

    # ORFs
    orfs = [f"ccsbBroad304_{10000 + i:05d}" for i in range(160)]
    negcon_orfs = [f"ccsbBroad304_{20000 + i:05d}" for i in range(15)]
    orf_meta = pd.DataFrame(
        {
            "broad_sample": orfs + negcon_orfs,
            "gene": genes + [f"CONTROL{i:02d}" for i in range(15)],
            "pert_type": ["trt"] * 160 + ["control"] * 15,
            "control_type": [np.nan] * 160 + ["negcon"] * 15,
        }
    )
    orf_entries: list = [o for o in orfs for _ in range(2)] + [o for o in negcon_orfs for _ in range(4)]
    orf_pm = layout(orf_entries + [np.nan] * 4, set(negcon_orfs))
    return Layouts(
        {"compound": comp_pm, "crispr": crispr_pm, "orf": orf_pm},
        {"compound": comp_meta, "crispr": crispr_meta, "orf": orf_meta},
        annotations,
        "generated",
    )


# --------------------------------------------------------------------------- signal


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _mix(rng: np.random.Generator, base: np.ndarray, share: float, dim: int) -> np.ndarray:
    """A unit vector with cosine ``share`` (in expectation, exactly for orthogonal noise) to the
    unit vector ``base``."""
    own = rng.standard_normal(dim)
    own -= own @ base * base
    own = _unit(own)
    return _unit(share * base + np.sqrt(max(0.0, 1 - share**2)) * own)


def _position_effect(rng: np.random.Generator, magnitude: float, dim: int) -> np.ndarray:
    """(16, 24, dim) well-position effect: row and column gradients and an edge effect with
    random feature loadings, scaled to RMS ``magnitude`` per feature over the plate."""
    r = (np.arange(N_ROWS) - (N_ROWS - 1) / 2) / ((N_ROWS - 1) / 2)
    c = (np.arange(N_COLS) - (N_COLS - 1) / 2) / ((N_COLS - 1) / 2)
    rr, cc = np.meshgrid(r, c, indexing="ij")
    edge = ((np.abs(rr) == 1) | (np.abs(cc) == 1)).astype(float)
    fields_ = np.stack([rr, cc, rr * cc, edge - edge.mean()], axis=-1)
    loadings = rng.standard_normal((fields_.shape[-1], dim))
    effect = fields_ @ loadings
    rms = np.sqrt((effect**2).mean())
    return effect * (magnitude / rms) if rms > 0 else effect


def _plate_layout(layouts: Layouts, modality: str) -> pd.DataFrame:
    """The annotated plate map of a modality (pycytominer ``annotate`` columns, without the
    plate): Metadata_Plate_Map_Name, Metadata_Well, Metadata_broad_sample, Metadata_<annotation>."""
    pm = layouts.platemaps[modality].copy()
    meta = layouts.metadata[modality]
    merged = pm.merge(meta, on="broad_sample", how="left")
    out = pd.DataFrame(
        {
            "Metadata_Plate_Map_Name": f"JUMP-Target-1_{modality}_platemap",
            "Metadata_Well": merged["well_position"],
            "Metadata_broad_sample": merged["broad_sample"],
        }
    )
    for col in merged.columns:
        if col not in ("well_position", "broad_sample"):
            out[f"Metadata_{col}"] = merged[col].to_numpy()
    return out


def _reagent_truth(layouts: Layouts, design: SyntheticDesign, rng: np.random.Generator, dim: int):
    """Directions, potencies and labels of every reagent, and the genes' directions."""
    gene_list = sorted(set(layouts.metadata["crispr"]["gene"].dropna().astype(str)))
    gene_dir = {g: _unit(rng.standard_normal(dim)) for g in gene_list}
    # the direction shared by the on-target compounds of a gene, partly the knockout's
    target_dir = {g: _mix(rng, u, design.compound_gene_link, dim) for g, u in gene_dir.items()}
    rows, directions = [], {}
    for modality in MODALITIES:
        meta = layouts.metadata[modality].dropna(subset=["broad_sample"])
        on_share = design.gene_share[modality]
        for rec in meta.itertuples(index=False):
            sample = str(rec.broad_sample)
            control = rec.control_type if isinstance(rec.control_type, str) else ""
            gene = rec.target if modality == "compound" else rec.gene
            gene = str(gene) if isinstance(gene, str) else ""
            if control == "negcon":
                rows.append((modality, sample, gene, control, False, 0.0, False, 0))
                directions[(modality, sample)] = np.zeros(dim)
                continue
            on_target = gene in gene_dir and rng.random() < design.on_target_fraction[modality]
            sign = 1
            if on_target and modality != "crispr":
                sign = 1 if rng.random() < design.mimic_fraction[modality] else -1
            shared = target_dir if modality == "compound" else gene_dir
            base = sign * shared[gene] if on_target else _unit(rng.standard_normal(dim))
            direction = _mix(rng, base, on_share, dim) if on_target else base
            active = control.startswith("poscon") or rng.random() < design.active_fraction[modality]
            lo, hi = design.effect_min[modality], design.effect_max[modality]
            potency = float(rng.uniform(lo, hi)) if active else 0.0
            if control.startswith("poscon"):
                potency = hi
            rows.append((modality, sample, gene, control, active, potency, on_target, sign))
            directions[(modality, sample)] = direction
    truth = pd.DataFrame(
        rows,
        columns=["modality", "broad_sample", "gene", "control_type", "active", "potency", "on_target", "sign"],
    )
    return truth, directions


def _negcon_normalize(values: np.ndarray, negcon: np.ndarray) -> np.ndarray:
    """(x - median of negcon wells) / (1.4826 x MAD of negcon wells), per feature."""
    ref = values[negcon]
    med = np.median(ref, axis=0)
    mad = 1.4826 * np.median(np.abs(ref - med), axis=0)
    mad[mad == 0] = 1.0
    return (values - med) / mad


def generate(
    layouts: Layouts, design: SyntheticDesign, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    """The stand-in's files as DataFrames.

    Returns
    -------
    (experiment, annotations, profiles, truth): the plate table, the compound annotation table,
    one profile table per plate of :func:`standin_plates` (``Metadata_*`` columns as pycytominer
    ``annotate`` writes them, then the features), and the planted truth (one row per reagent and
    condition: modality, broad_sample, gene, control_type, active, potency, on_target, sign,
    condition, scale).
    """
    design.check()
    dim = design.n_features
    features = feature_names(dim)
    rng = np.random.default_rng(seed)
    truth, directions = _reagent_truth(layouts, design, rng, dim)
    experiment = experiment_metadata()
    plates = experiment[experiment["Batch"] == "2020_11_04_CPJUMP1"]
    layouts_annot = {m: _plate_layout(layouts, m) for m in MODALITIES}
    scales: dict[tuple, float] = {}
    positions: dict[tuple, np.ndarray] = {}
    truth_rows = []
    profiles: dict[str, pd.DataFrame] = {}
    base_effects = {}
    for modality in MODALITIES:
        annot = layouts_annot[modality]
        mine = truth[truth["modality"] == modality].set_index("broad_sample")["potency"]
        effect = np.zeros((len(annot), dim))
        for i, sample in enumerate(annot["Metadata_broad_sample"]):
            if isinstance(sample, str) and sample in mine.index:
                effect[i] = mine[sample] * np.sqrt(dim) * directions[(modality, sample)]
        base_effects[modality] = effect
    for plate in plates.itertuples(index=False):
        modality, cell, hours = plate.Perturbation, plate.Cell_type, int(plate.Time)
        key = (modality, cell, hours)
        if key not in scales:
            scales[key] = 1 + design.condition_spread * float(rng.uniform(-1, 1))
            positions[key] = _position_effect(rng, design.position_effect[modality], dim)
            time = TIMEPOINTS[modality].get(hours, f"{hours}h")
            part = truth[truth["modality"] == modality].assign(
                condition=f"{modality}_{cell}_{time}", scale=scales[key]
            )
            truth_rows.append(part)
        annot = layouts_annot[modality]
        wells = annot["Metadata_Well"].to_numpy()
        rows = np.array([ROWS.index(w[0]) for w in wells])
        cols = np.array([int(w[1:]) - 1 for w in wells])
        effect = base_effects[modality] * scales[key]
        values = (
            rng.standard_normal((len(annot), dim))
            + design.plate_effect * rng.standard_normal(dim)
            + positions[key][rows, cols]
            + effect
        )
        negcon = (annot["Metadata_control_type"] == "negcon").to_numpy()
        values = _negcon_normalize(values, negcon)
        frame = annot.copy()
        frame.insert(1, "Metadata_Plate", plate.Assay_Plate_Barcode)
        frame.insert(3, "Metadata_Assay_Plate_Barcode", plate.Assay_Plate_Barcode)
        frame = pd.concat([frame, pd.DataFrame(values, columns=features)], axis=1)
        profiles[plate.Assay_Plate_Barcode] = frame
    annotations = layouts.annotations.copy()
    return experiment, annotations, profiles, pd.concat(truth_rows, ignore_index=True)


def write_standin(
    outdir: str | os.PathLike,
    layouts: Layouts,
    design: SyntheticDesign,
    seed: int = 0,
) -> dict[str, Path]:
    """Write the stand-in under ``outdir`` (atomically per file); returns the paths written:
    ``experiment`` (experiment-metadata.tsv), ``annotations`` (the compound annotation file),
    ``truth`` (planted_truth.csv) and one entry per plate barcode (its profile file)."""
    outdir = Path(outdir)
    experiment, annotations, profiles, truth = generate(layouts, design, seed)
    written: dict[str, Path] = {}

    def put(key: str, rel: str, frame: pd.DataFrame, **kwargs) -> None:
        path = outdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        frame.to_csv(tmp, index=False, **kwargs)
        os.replace(tmp, path)
        written[key] = path

    put("experiment", EXPERIMENT_FILE, experiment, sep="\t")
    put("annotations", ANNOTATION_FILE, annotations, sep="\t")
    put("truth", "planted_truth.csv", truth)
    for plate, frame in profiles.items():
        put(plate, profile_file(plate), frame, float_format="%.6g",
            compression={"method": "gzip", "compresslevel": 1})
    return written
