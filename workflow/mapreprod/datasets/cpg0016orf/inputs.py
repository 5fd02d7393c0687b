"""cpg0016[orf] inputs: the exact columns of each real file, and readers that check them.

Files the pipeline reads (docs/methods.md §5; the authors' ``0_download_data.sh``):

- ``profiles_wellpos_cc_var_mad_outlier_featselect_sphering_harmony.parquet`` (Cell Painting
  Gallery, ``cpg0016-jump-assembled/.../jump-profiling-recipe_2024_a917fa7/ORF/``): one row per
  well. jump-profiling-recipe's public format (``correct/format_check.py``) keeps four metadata
  columns, :data:`PROFILE_METADATA` (strings), and the Harmony features as float32 columns renamed
  ``X_1 .. X_n``. Features are read as the authors' ``get_featurecols`` does: every column whose
  name does not start with ``Metadata``.
- ``orf_metadata.tsv.gz`` (2024_Chandrasekaran_Morphmap@0ad6c50,
  ``00.download-and-process-annotations/output``): the JUMP ORF table (``orf.csv.gz`` columns)
  plus ``Metadata_Approved_Symbol`` and gene annotations, among them ``Metadata_complexname``
  (CORUM complexes, "|"-joined). It holds a ``BAD CONSTRUCT`` reagent (``JCP2022_900001``).
- ``compound.csv.gz`` (jump-cellpainting/datasets@d824c43): only ``Metadata_JCP2022`` is used.
- ``experiment-metadata.tsv`` (Morphmap ``input``): plate barcode -> plate map name.
- ``orf-reagents-low-infection-efficiency-and-outliers.csv.gz`` (Morphmap ``output``): the
  (plate map, well, reagent) triples removed before the activity test.

Files the generated stand-in is built on (JUMP metadata; :mod:`.standin`): ``orf.csv.gz``,
``plate.csv.gz``, ``perturbation_control.csv`` (jump-cellpainting/datasets) and the production
``experiment-metadata.tsv`` (2024_Chandrasekaran_Production; no ``Batch_name`` column), plus the
Morphmap ``CORUM_proteincomplex_annotations.tsv`` (``Symbol``, ``ComplexName``), which the stand-in
writes in the real layout.

Every reader raises a ``ValueError`` naming the file and the missing columns.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyarrow.types as pat

PathLike = str | os.PathLike

#: Metadata columns of the public harmonized profiles (jump-profiling-recipe format_check).
PROFILE_METADATA: tuple[str, ...] = (
    "Metadata_Source",
    "Metadata_Plate",
    "Metadata_Well",
    "Metadata_JCP2022",
)
#: Prefix of the public Harmony feature names (``X_1``, ``X_2``, ...).
FEATURE_PREFIX = "X_"

#: Columns of Morphmap's ``orf_metadata.tsv.gz`` (``x.create-primary-annotation-file``).
ORF_METADATA_COLUMNS: tuple[str, ...] = (
    "Metadata_JCP2022",
    "Metadata_broad_sample",
    "Metadata_Name",
    "Metadata_Vector",
    "Metadata_Transcript",
    "Metadata_Symbol",
    "Metadata_NCBI_Gene_ID",
    "Metadata_Taxon_ID",
    "Metadata_Gene_Description",
    "Metadata_Prot_Match",
    "Metadata_Insert_Length",
    "Metadata_pert_type",
    "Metadata_Approved_Symbol",
    "Metadata_complexname",
    "Metadata_protein_class",
    "Metadata_disease_involvement",
    "Metadata_subcellular_location",
    "Metadata_gene_group_id",
    "Metadata_homologue",
    "Metadata_biological_process",
    "Metadata_cellular_component",
    "Metadata_molecular_function",
    "Metadata_wikipathway",
    "Metadata_dependency_probability",
    "Metadata_TPM",
    "Metadata_gene_effect",
)
#: The ones the analysis reads.
ORF_METADATA_REQUIRED: tuple[str, ...] = (
    "Metadata_JCP2022",
    "Metadata_broad_sample",
    "Metadata_Symbol",
    "Metadata_NCBI_Gene_ID",
    "Metadata_pert_type",
    "Metadata_complexname",
)
#: ``compound.csv.gz`` at datasets@d824c43 (the authors read only the first).
COMPOUND_COLUMNS: tuple[str, ...] = ("Metadata_JCP2022", "Metadata_InChIKey", "Metadata_InChI")
#: Morphmap ``experiment-metadata.tsv``.
EXPERIMENT_COLUMNS: tuple[str, ...] = (
    "Batch",
    "Batch_name",
    "Plate_Map_Name",
    "Assay_Plate_Barcode",
    "Type",
    "Anomaly",
    "Density",
    "Polybrene",
)
EXPERIMENT_REQUIRED: tuple[str, ...] = ("Plate_Map_Name", "Assay_Plate_Barcode")
#: ``orf-reagents-low-infection-efficiency-and-outliers.csv.gz``.
REAGENT_COLUMNS: tuple[str, ...] = (
    "Metadata_plate_map_name",
    "Metadata_Well",
    "Metadata_broad_sample",
    "Metadata_Minus_Avg_Background",
)
#: The anti-join keys of the low-infection filter (the authors' ``usecols``).
REAGENT_KEYS: tuple[str, ...] = REAGENT_COLUMNS[:3]
#: Morphmap ``CORUM_proteincomplex_annotations.tsv``.
CORUM_COLUMNS: tuple[str, ...] = ("Symbol", "ComplexName")

# JUMP metadata the stand-in is built on (../shared/data/cpg0016orf).
#: ``orf.csv.gz`` (jump-cellpainting/datasets@d824c43): the first 12 columns of orf_metadata.
JUMP_ORF_COLUMNS: tuple[str, ...] = ORF_METADATA_COLUMNS[:12]
#: ``plate.csv.gz``.
JUMP_PLATE_COLUMNS: tuple[str, ...] = (
    "Metadata_Source",
    "Metadata_Batch",
    "Metadata_Plate",
    "Metadata_PlateType",
)
#: ``experiment-metadata.tsv`` of 2024_Chandrasekaran_Production (Morphmap's without Batch_name).
PRODUCTION_EXPERIMENT_COLUMNS: tuple[str, ...] = tuple(
    c for c in EXPERIMENT_COLUMNS if c != "Batch_name"
)
#: ``perturbation_control.csv``.
PERTURBATION_CONTROL_COLUMNS: tuple[str, ...] = (
    "Metadata_JCP2022",
    "Metadata_pert_type",
    "Metadata_Name",
    "Metadata_modality",
)

#: JCP2022 id of empty wells (the authors label it pert_type "empty").
EMPTY_JCP = "JCP2022_999999"
#: The reagent the Morphmap annotation marks as a failed construct.
BAD_CONSTRUCT = "BAD CONSTRUCT"

__all__ = [
    "BAD_CONSTRUCT",
    "COMPOUND_COLUMNS",
    "CORUM_COLUMNS",
    "EMPTY_JCP",
    "EXPERIMENT_COLUMNS",
    "FEATURE_PREFIX",
    "JUMP_ORF_COLUMNS",
    "JUMP_PLATE_COLUMNS",
    "ORF_METADATA_COLUMNS",
    "ORF_METADATA_REQUIRED",
    "PERTURBATION_CONTROL_COLUMNS",
    "PRODUCTION_EXPERIMENT_COLUMNS",
    "PROFILE_METADATA",
    "REAGENT_COLUMNS",
    "REAGENT_KEYS",
    "Profiles",
    "check_columns",
    "feature_columns",
    "read_compounds",
    "read_corum",
    "read_experiment_metadata",
    "read_jump_orfs",
    "read_jump_plates",
    "read_low_infection_reagents",
    "read_orf_metadata",
    "read_perturbation_control",
    "read_production_experiment",
    "read_profiles",
]


def check_columns(table: pd.DataFrame | Sequence[str], required: Sequence[str], what: str) -> None:
    """Raise a ValueError naming ``what`` (a file) and each of ``required`` it lacks."""
    columns = list(table.columns) if isinstance(table, pd.DataFrame) else list(table)
    missing = [c for c in required if c not in columns]
    if missing:
        raise ValueError(
            f"{what}: missing column(s) {missing}; it has {columns[:12]}"
            f"{' ...' if len(columns) > 12 else ''}"
        )


def feature_columns(columns: Sequence[str]) -> list[str]:
    """Feature columns as the authors' ``get_featurecols``: names not starting with ``Metadata``."""
    return [c for c in columns if not str(c).startswith("Metadata")]


class Profiles:
    """Well profiles split into metadata and a feature matrix (rows aligned).

    Attributes
    ----------
    meta : DataFrame with the ``Metadata_*`` columns, index 0..n-1.
    features : (n, n_features) float array (float32 as stored in the public parquet).
    feature_names : names of the feature columns, in file order.
    """

    def __init__(self, meta: pd.DataFrame, features: np.ndarray, feature_names: Sequence[str]):
        features = np.asarray(features)
        if features.ndim != 2 or features.shape != (len(meta), len(feature_names)):
            raise ValueError(
                f"profiles: features of shape {features.shape} do not match {len(meta)} rows x "
                f"{len(feature_names)} feature names"
            )
        self.meta = meta.reset_index(drop=True)
        self.features = features
        self.feature_names = list(feature_names)

    def __len__(self) -> int:
        return len(self.meta)

    def to_frame(self) -> pd.DataFrame:
        """Metadata and features in one DataFrame (metadata first), as the authors hold them."""
        feats = pd.DataFrame(self.features, columns=self.feature_names)
        return pd.concat([self.meta, feats], axis=1)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, what: str = "profiles") -> Profiles:
        """Split a DataFrame: ``Metadata_*`` columns and numeric feature columns."""
        feats = feature_columns(frame.columns)
        if not feats:
            raise ValueError(f"{what}: no feature columns (every column starts with 'Metadata')")
        bad = [c for c in feats if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise ValueError(f"{what}: non-numeric feature column(s) {bad[:5]}")
        meta = frame[[c for c in frame.columns if c not in feats]]
        return cls(meta, frame[feats].to_numpy(), feats)


def read_profiles(path: PathLike) -> Profiles:
    """Read the harmonized well profiles (parquet) and check their columns.

    Raises
    ------
    ValueError
        If a column of :data:`PROFILE_METADATA` is missing, a feature column is not numeric, or
        a key column (plate, well, JCP2022 id) has missing values.
    """
    schema = pq.read_schema(path)
    names = list(schema.names)
    check_columns(names, PROFILE_METADATA, str(path))
    feats = feature_columns(names)
    if not feats:
        raise ValueError(f"{path}: no feature columns (every column starts with 'Metadata')")
    table = pq.read_table(path)
    meta_cols = [c for c in names if c not in feats]
    meta = table.select(meta_cols).to_pandas()
    for col in PROFILE_METADATA:
        if meta[col].isna().any():
            raise ValueError(f"{path}: column {col!r} has missing values")
    types = {f.name: f.type for f in schema}
    bad = [c for c in feats if not (pat.is_floating(types[c]) or pat.is_integer(types[c]))]
    if bad:
        raise ValueError(f"{path}: non-numeric feature column(s) {bad[:5]}")
    dtype = np.result_type(*[types[c].to_pandas_dtype() for c in feats])
    features = np.empty((table.num_rows, len(feats)), dtype=dtype)
    for j, col in enumerate(feats):
        features[:, j] = table.column(col).to_numpy(zero_copy_only=False)
    return Profiles(meta, features, feats)


def _read_table(path: PathLike, required: Sequence[str], **kwargs) -> pd.DataFrame:
    table = pd.read_csv(path, **kwargs)
    check_columns(table, required, str(path))
    return table


def read_orf_metadata(path: PathLike) -> pd.DataFrame:
    """Morphmap ``orf_metadata.tsv.gz``, read as the authors do (tab-separated, default types)."""
    return _read_table(path, ORF_METADATA_REQUIRED, sep="\t")


def read_compounds(path: PathLike) -> pd.DataFrame:
    """JUMP ``compound.csv.gz``: the ``Metadata_JCP2022`` column (all the authors read)."""
    return _read_table(path, COMPOUND_COLUMNS[:1])[list(COMPOUND_COLUMNS[:1])]


def read_experiment_metadata(path: PathLike) -> pd.DataFrame:
    """Morphmap ``experiment-metadata.tsv``: plate map name and barcode of every assay plate."""
    table = _read_table(path, EXPERIMENT_REQUIRED, sep="\t", dtype=str)
    return table[list(EXPERIMENT_REQUIRED)]


def read_low_infection_reagents(path: PathLike) -> pd.DataFrame:
    """The (plate map, well, reagent) triples with low infection efficiency or outliers."""
    return _read_table(path, REAGENT_KEYS, dtype=str)[list(REAGENT_KEYS)]


def read_corum(path: PathLike) -> pd.DataFrame:
    """Morphmap ``CORUM_proteincomplex_annotations.tsv`` (``Symbol``, "|"-joined ``ComplexName``)."""
    return _read_table(path, CORUM_COLUMNS, sep="\t", dtype=str)


def read_jump_orfs(path: PathLike) -> pd.DataFrame:
    """JUMP ``orf.csv.gz`` (all columns as text, as Morphmap reads it)."""
    return _read_table(path, JUMP_ORF_COLUMNS, dtype=str)


def read_jump_plates(path: PathLike) -> pd.DataFrame:
    """JUMP ``plate.csv.gz``."""
    return _read_table(path, JUMP_PLATE_COLUMNS, dtype=str)


def read_production_experiment(path: PathLike) -> pd.DataFrame:
    """``experiment-metadata.tsv`` of the JUMP production repository (no ``Batch_name``)."""
    return _read_table(path, PRODUCTION_EXPERIMENT_COLUMNS, sep="\t", dtype=str)


def read_perturbation_control(path: PathLike) -> pd.DataFrame:
    """JUMP ``perturbation_control.csv``."""
    return _read_table(path, PERTURBATION_CONTROL_COLUMNS, dtype=str)
