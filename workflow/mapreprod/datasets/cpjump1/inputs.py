"""CPJUMP1 inputs: column names, the 12 detection conditions, the primary plates, readers.

The real inputs (config/manifest.tsv, dataset ``cpjump1``) are the authors' files in
jump-cellpainting/2024_Chandrasekaran_NatureMethods:

* ``experiment-metadata.tsv`` (benchmark/output): one row per plate and batch, columns
  ``Batch, Plate_Map_Name, Assay_Plate_Barcode, Perturbation, Cell_type, Time, Density,
  Antibiotics, Cell_line, Time_delay, Times_imaged, Anomaly, Number_of_images``;
* ``JUMP-Target-1_compound_metadata_additional_annotations.tsv`` (benchmark/input): the
  compounds' target genes, ``broad_sample`` and ``target_list`` ("|"-separated);
* ``profiles/<plate>_normalized_feature_select_negcon_batch.csv.gz``: median-aggregated
  CellProfiler well profiles, MAD-normalized to the plate's negative controls, features
  selected over the batch. Metadata columns start with ``Metadata_``; the pipeline reads
  ``Metadata_Plate``, ``Metadata_Well``, ``Metadata_broad_sample``, ``Metadata_control_type`` and,
  on CRISPR and ORF plates, ``Metadata_gene``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from mapreprod.common import require_columns

#: The batch whose primary plates the benchmark uses.
BATCH = "2020_11_04_CPJUMP1"
MODALITIES: tuple[str, ...] = ("compound", "crispr", "orf")
GENETIC_MODALITIES: tuple[str, ...] = ("crispr", "orf")
CELL_TYPES: tuple[str, ...] = ("A549", "U2OS")
TIME_LABELS: tuple[str, ...] = ("short", "long")
#: Hours after perturbation of the short and long time point of each modality (docs/methods.md §12.1; the
#: notebooks' ``utils.time_point``).
TIMEPOINTS: dict[str, dict[int, str]] = {
    "compound": {24: "short", 48: "long"},
    "crispr": {96: "short", 144: "long"},
    "orf": {48: "short", 96: "long"},
}
#: Display names of the modalities in figures and tables.
MODALITY_LABELS = {"compound": "Compound", "crispr": "CRISPR", "orf": "ORF"}

PROFILE_SUFFIX = "normalized_feature_select_negcon_batch.csv.gz"
EXPERIMENT_FILE = "experiment-metadata.tsv"
ANNOTATION_FILE = "JUMP-Target-1_compound_metadata_additional_annotations.tsv"

EXPERIMENT_COLUMNS = [
    "Batch",
    "Plate_Map_Name",
    "Assay_Plate_Barcode",
    "Perturbation",
    "Cell_type",
    "Time",
    "Density",
    "Antibiotics",
    "Cell_line",
]

PERT = "Metadata_broad_sample"
PLATE = "Metadata_Plate"
WELL = "Metadata_Well"
CONTROL_TYPE = "Metadata_control_type"
GENE = "Metadata_gene"
#: Columns added by the pipeline (the notebooks' names).
NEGCON = "Metadata_negcon"
MODALITY = "Metadata_modality"
TARGET = "Metadata_matching_target"
TARGET_LIST = "Metadata_target_list"
#: The reference-index column that keeps negative controls out of positive pairs.
CONTROL_INDEX = "Metadata_control_index"
#: ``Metadata_broad_sample`` of the DMSO wells (NaN in the files; the notebooks fill "DMSO").
DMSO = "DMSO"

_CONDITION = re.compile(r"^(compound|crispr|orf)_(A549|U2OS)_(short|long)$")


def parse_condition(name: str) -> tuple[str, str, str]:
    """(modality, cell type, time label) of a condition name; ValueError for anything else."""
    match = _CONDITION.match(name)
    if not match:
        raise ValueError(
            f"unknown CPJUMP1 condition {name!r}: expected <modality>_<cell>_<time> with modality "
            f"in {MODALITIES}, cell in {CELL_TYPES}, time in {TIME_LABELS}"
        )
    return match.group(1), match.group(2), match.group(3)


def all_conditions(modalities: Iterable[str] = MODALITIES) -> list[str]:
    """Condition names in the paper's order: modality, cell type, time point."""
    return [f"{m}_{c}_{t}" for m in modalities for c in CELL_TYPES for t in TIME_LABELS]


def activity_table_name(condition: str, variant: str) -> str:
    """Name of one replicate-retrieval class table (a rule input, a figure's table key):
    ``"<condition>__<variant>"``, e.g. ``"orf_A549_short__same_well"``."""
    parse_condition(condition)
    return f"{condition}__{variant}"


def parse_activity_table_name(name: str) -> tuple[str, str]:
    """(condition, variant) of an :func:`activity_table_name`."""
    condition, sep, variant = name.partition("__")
    if not sep or not variant:
        raise ValueError(f"{name!r} is not a replicate-retrieval table name <condition>__<variant>")
    parse_condition(condition)
    return condition, variant


def cross_pair_name(compound_condition: str, genetic_condition: str) -> str:
    """The notebooks' description of a compound-gene matching task, ``"<compound>-<genetic>"``,
    e.g. ``"compound_A549_short-crispr_A549_long"`` (a rule output, a figure's table key)."""
    for condition in (compound_condition, genetic_condition):
        parse_condition(condition)
    return f"{compound_condition}-{genetic_condition}"


def parse_cross_pair(name: str) -> tuple[str, str]:
    """(compound condition, genetic condition) of a :func:`cross_pair_name`."""
    compound, sep, genetic = name.partition("-")
    if not sep:
        raise ValueError(f"{name!r} is not a compound-gene task name <compound>-<genetic>")
    parse_condition(compound)
    parse_condition(genetic)
    return compound, genetic


def cross_pairs() -> list[str]:
    """Every compound-gene matching task (Fig 4c): each compound condition with each genetic
    condition of the same cell type, in the notebooks' order."""
    return [
        cross_pair_name(f"compound_{cell}_{ct}", f"{gm}_{cell}_{gt}")
        for cell in CELL_TYPES
        for ct in TIME_LABELS
        for gm in GENETIC_MODALITIES
        for gt in TIME_LABELS
    ]


def profile_file(plate: str) -> str:
    """Path of a plate's profiles inside ``resources/cpjump1[_synthetic]/``."""
    return f"profiles/{plate}_{PROFILE_SUFFIX}"


def plate_of_profile_file(path: str | os.PathLike) -> str:
    """The plate barcode of a ``<plate>_normalized_feature_select_negcon_batch.csv.gz`` path."""
    name = os.path.basename(os.fspath(path))
    suffix = f"_{PROFILE_SUFFIX}"
    if not name.endswith(suffix):
        raise ValueError(f"{path}: a CPJUMP1 profile file must be named <plate>{suffix}")
    return name[: -len(suffix)]


def read_experiment_metadata(path: str | os.PathLike) -> pd.DataFrame:
    """The plate table (tab-separated), checked: required columns, integer Time and Density."""
    table = pd.read_csv(path, sep="\t", dtype={"Assay_Plate_Barcode": str})
    missing = [c for c in EXPERIMENT_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: experiment metadata lacks column(s) {missing}")
    for col in ("Time", "Density"):
        values = pd.to_numeric(table[col], errors="coerce")
        if values.isna().any():
            bad = table.loc[values.isna(), col].iloc[0]
            raise ValueError(f"{path}: column {col!r} must be a number, got {bad!r}")
        table[col] = values.astype(int)
    return table


def primary_plates(experiment: pd.DataFrame, batch: str = BATCH) -> pd.DataFrame:
    """The plates of the benchmark (docs/methods.md §12.1, the notebooks' filter).

    Keeps ``Batch == batch``, ``Density == 100`` and ``Antibiotics == "absent"``, and drops
    compound plates on Cas9 cells. Adds ``time`` (short/long, from ``Time`` and the modality's
    :data:`TIMEPOINTS`) and ``condition`` (e.g. ``compound_A549_short``).

    Returns
    -------
    DataFrame, one row per kept plate, in file order.
    """
    require_columns(experiment, EXPERIMENT_COLUMNS, "experiment metadata")
    keep = (
        (experiment["Batch"] == batch)
        & (experiment["Density"] == 100)
        & (experiment["Antibiotics"] == "absent")
        & ~((experiment["Perturbation"] == "compound") & (experiment["Cell_line"] == "Cas9"))
    )
    plates = experiment.loc[keep].reset_index(drop=True).copy()
    if plates.empty:
        raise ValueError(f"experiment metadata: no primary plate in batch {batch!r}")
    unknown = sorted(set(plates["Perturbation"]) - set(MODALITIES))
    if unknown:
        raise ValueError(f"experiment metadata: unknown Perturbation value(s) {unknown}")
    times = []
    for modality, hours in zip(plates["Perturbation"], plates["Time"], strict=True):
        if int(hours) not in TIMEPOINTS[modality]:
            raise ValueError(
                f"experiment metadata: {modality} plates at {hours} h; the benchmark's time "
                f"points are {sorted(TIMEPOINTS[modality])} h"
            )
        times.append(TIMEPOINTS[modality][int(hours)])
    plates["time"] = times
    plates["condition"] = [
        f"{m}_{c}_{t}" for m, c, t in zip(plates["Perturbation"], plates["Cell_type"], plates["time"])
    ]
    dup = plates["Assay_Plate_Barcode"][plates["Assay_Plate_Barcode"].duplicated()]
    if len(dup):
        raise ValueError(f"experiment metadata: plate(s) listed twice in batch {batch}: {dup.tolist()}")
    return plates


def condition_plates(experiment: pd.DataFrame, condition: str) -> list[str]:
    """Barcodes of the primary plates of one condition (ValueError if there are none)."""
    parse_condition(condition)
    plates = primary_plates(experiment)
    chosen = plates.loc[plates["condition"] == condition, "Assay_Plate_Barcode"].tolist()
    if not chosen:
        raise ValueError(f"experiment metadata: no primary plate for condition {condition!r}")
    return chosen


def read_plate_profiles(path: str | os.PathLike, plate: str | None = None) -> pd.DataFrame:
    """One plate's profiles, checked: the metadata columns the pipeline uses, numeric and finite
    features, and (if ``plate`` is given) ``Metadata_Plate`` equal to it."""
    df = pd.read_csv(path, low_memory=False)
    require_columns(df, [PERT, PLATE, WELL, CONTROL_TYPE], f"profiles {path}")
    features = [c for c in df.columns if not str(c).startswith("Metadata_")]
    if not features:
        raise ValueError(f"profiles {path}: no feature columns (every column starts with Metadata_)")
    bad = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise ValueError(f"profiles {path}: non-numeric feature column(s) {bad[:5]}")
    values = df[features].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        cols = [features[j] for j in np.flatnonzero(~np.isfinite(values).all(axis=0))]
        raise ValueError(f"profiles {path}: NaN or infinite values in feature column(s) {cols[:5]}")
    df[PLATE] = df[PLATE].astype(str)
    if plate is not None and set(df[PLATE]) != {plate}:
        raise ValueError(
            f"profiles {path}: Metadata_Plate is {sorted(set(df[PLATE]))}, expected {plate!r}"
        )
    return df


def read_compound_annotations(path: str | os.PathLike) -> pd.DataFrame:
    """Compound targets: columns ``Metadata_broad_sample`` and ``Metadata_target_list`` (the
    notebooks read only these two columns of the annotation file)."""
    table = pd.read_csv(path, sep="\t")
    missing = [c for c in ("broad_sample", "target_list") if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: compound annotations lack column(s) {missing}")
    table = table[["broad_sample", "target_list"]].rename(
        columns={"broad_sample": PERT, "target_list": TARGET_LIST}
    )
    return table.dropna(subset=[PERT]).drop_duplicates(PERT).reset_index(drop=True)
