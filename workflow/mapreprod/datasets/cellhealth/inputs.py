"""Cell Health inputs: plates, cell lines, metadata columns of the augmented plate files, CERES tables."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mapreprod.common import split_profiles

#: The nine plates and their cell lines (cell-health ``barcode_platemap.csv``).
PLATE_CELL_LINE: dict[str, str] = {
    **{f"SQ000146{i}": "A549" for i in (10, 11, 12)},
    **{f"SQ000146{i}": "ES2" for i in (13, 14, 15)},
    **{f"SQ000146{i}": "HCC44" for i in (16, 17, 18)},
}


PLATES: tuple[str, ...] = tuple(PLATE_CELL_LINE)


CELL_LINES: tuple[str, ...] = ("A549", "ES2", "HCC44")


#: Genes of the non-targeting cutting controls, and of the unperturbed wells.
CUTTING_CONTROL_GENES: tuple[str, ...] = ("Chr2", "Luc", "LacZ")


EMPTY_GENE = "EMPTY"


#: Control types: the §3.3 keyword -> the ``control_barcodes`` label of Fig S6A.
CONTROL_LABELS: dict[str, str] = {"cutting": "cutting_control", "empty": "perturbation_control"}


#: Replicates a guide needs in a cell line to be kept: 2 wells x 3 plates.
N_REPLICATES = 6


CHANNELS: tuple[str, ...] = ("DNA", "RNA", "Mito", "AGP", "ER")


COMPARTMENTS: tuple[str, ...] = ("Cells", "Cytoplasm", "Nuclei")


FEATURE_TYPES: tuple[str, ...] = (
    "AreaShape", "Correlation", "Granularity", "Intensity", "RadialDistribution", "Texture",
)


CP_PREFIXES: tuple[str, ...] = ("Cells_", "Cytoplasm_", "Nuclei_")


#: Metadata columns of the raw ``{plate}_augmented.csv.gz`` files (pycytominer ``annotate`` of
#: the cell-health plate maps) and how §3.2 renames them.
RAW_METADATA: tuple[str, ...] = (
    "Image_Metadata_Plate", "Image_Metadata_Well", "Metadata_WellRow", "Metadata_WellCol",
    "Metadata_gene_name", "Metadata_pert_name", "Metadata_broad_sample", "Metadata_cell_line",
)


RENAME = {"Image_Metadata_Plate": "Metadata_Plate", "Image_Metadata_Well": "Metadata_Well"}


DROPPED_METADATA = ("Metadata_broad_sample",)


#: The two preprocessings of Fig 3A: config key -> label in the tables and figures.
PREPROCESSINGS: dict[str, str] = {"standardize": "Standardize", "mad_robustize": "MAD robustize"}


#: Feature selection of §3.2, with operation names as pycytominer 1.2.2 (the authors' version)
#: meant them: ``variance_threshold`` is the frequency/uniqueness filter, which pycytominer 1.7.1
#: calls ``frequency_threshold`` (``mapreprod.preprocess.select_features`` translates).
FEATURE_SELECT_OPERATIONS: tuple[str, ...] = (
    "variance_threshold", "correlation_threshold", "drop_na_columns", "blocklist", "drop_outliers",
)


PERT = "Metadata_pert_name"


GENE = "Metadata_gene_name"


CELL = "Metadata_cell_line"


PLATE = "Metadata_Plate"


WELL = "Metadata_Well"


CONTROL_INDEX = "Metadata_control_index"


IS_CONTROL = "Metadata_is_control"


#: The three plate/well tasks of Fig 3A: extra pos_sameby and the pos_diffby.
PLATE_WELL_MODES: dict[str, tuple[list[str], list[str]]] = {
    "different plate, different well": ([], [PLATE, WELL]),
    "different plate, same well": ([WELL], [PLATE]),
    "same plate, different well": ([PLATE], [WELL]),
}


def tidy_metadata(raw: pd.DataFrame, source: str = "profiles") -> pd.DataFrame:
    """Rename the plate/well columns to ``Metadata_Plate``/``Metadata_Well`` and drop
    ``Metadata_broad_sample`` (§3.2). ``source`` names the table in error messages."""
    missing = [c for c in RAW_METADATA if c not in raw.columns]
    if missing:
        raise ValueError(f"{source}: missing Cell Health metadata column(s) {missing}")
    if not cp_features(raw):
        raise ValueError(f"{source}: no CellProfiler feature columns (Cells_/Cytoplasm_/Nuclei_)")
    out = raw.rename(columns=RENAME).drop(columns=list(DROPPED_METADATA))
    meta = [c for c in out.columns if c.startswith("Metadata_")]
    return out[meta + cp_features(out)]


def cp_features(df: pd.DataFrame) -> list[str]:
    """CellProfiler feature columns, as pycytominer's ``infer_cp_features``."""
    return [c for c in df.columns if str(c).startswith(CP_PREFIXES)]


def control_genes(control: str) -> tuple[str, ...]:
    """Genes of the control wells of one control type ("cutting" or "empty")."""
    if control == "cutting":
        return CUTTING_CONTROL_GENES
    if control == "empty":
        return (EMPTY_GENE,)
    raise ValueError(f"cellhealth control type must be one of {list(CONTROL_LABELS)}, got {control!r}")


def cell_lines_present(profiles: pd.DataFrame) -> list[str]:
    """The Cell Health cell lines with wells in ``profiles``, in the paper's order."""
    if CELL not in profiles.columns:
        raise ValueError(f"profiles lack column {CELL!r}")
    present = [c for c in CELL_LINES if c in set(profiles[CELL])]
    if not present:
        raise ValueError(f"no wells of {list(CELL_LINES)} in {CELL}")
    return present


def significance_markers(significant: pd.Series | np.ndarray) -> np.ndarray:
    """The authors' ``markers`` column: "p<0.05" where ``significant`` is true, else "p>=0.05"
    (the figures draw circles and squares from it)."""
    return np.where(np.asarray(significant, dtype=bool), "p<0.05", "p>=0.05")


_CERES_COLUMN = re.compile(r"^\s*(?P<symbol>\S+)\s*\((?P<entrez>\d+)\)\s*$")


def ceres_symbols(columns: Sequence[str]) -> pd.DataFrame:
    """Offline replacement of the authors' mygene look-up: parse "SYMBOL (ENTREZ)" column names.

    Returns a table ``column, symbol, entrez`` (one row per parsable column).
    """
    rows = []
    for col in columns:
        match = _CERES_COLUMN.match(str(col))
        if match:
            rows.append((col, match["symbol"], int(match["entrez"])))
    if not rows:
        raise ValueError("CERES table: no column named like 'SYMBOL (ENTREZ)'")
    return pd.DataFrame(rows, columns=["column", "symbol", "entrez"])


def ceres_long(ceres: pd.DataFrame, sample_info: pd.DataFrame,
               cell_lines: Sequence[str] = CELL_LINES) -> pd.DataFrame:
    """CERES scores of the Cell Health cell lines in long form (S6B steps 2-3).

    Parameters
    ----------
    ceres : DepMap gene effect table: a ``DepMap_ID`` column (or index) and "SYMBOL (ENTREZ)"
        gene columns.
    sample_info : DepMap sample info with ``DepMap_ID`` and ``stripped_cell_line_name``.

    Returns
    -------
    DataFrame with ``DepMap_ID, Cell type, symbol, entrez, ceres_score``.
    """
    if "DepMap_ID" not in ceres.columns:
        ceres = ceres.rename_axis("DepMap_ID").reset_index()
    for col in ("DepMap_ID", "stripped_cell_line_name"):
        if col not in sample_info.columns:
            raise ValueError(f"depmap sample info lacks column {col!r}")
    genes = ceres_symbols([c for c in ceres.columns if c != "DepMap_ID"])
    info = sample_info.loc[sample_info["stripped_cell_line_name"].isin(cell_lines),
                           ["DepMap_ID", "stripped_cell_line_name"]]
    wide = ceres[["DepMap_ID", *genes["column"]]].merge(info, on="DepMap_ID")
    long = wide.melt(id_vars=["DepMap_ID", "stripped_cell_line_name"], var_name="column",
                     value_name="ceres_score")
    long = long.merge(genes, on="column").rename(columns={"stripped_cell_line_name": "Cell type"})
    return long[["DepMap_ID", "Cell type", "symbol", "entrez", "ceres_score"]]


def split_cp_profiles(
    df: pd.DataFrame, features: Sequence[str] | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Metadata (``Metadata_*`` columns) and the feature matrix (rows, features) of ``features``
    (default: the CellProfiler features, :func:`cp_features`)."""
    return split_profiles(df, cp_features(df) if features is None else features)
