"""Cell Health: preprocessing, plate/well effects, activity, feature groups, consistency (SPEC §3).

The experiment behind Fig 3A-F and S6A-C: CRISPR-Cas9 knockouts in three cell lines (A549, ES2,
HCC44), nine 384-well plates of well-level CellProfiler profiles. Every function is pure: tables in,
tables out. Reading the nine ``{plate}_augmented.csv.gz`` files and the CERES tables happens in the
rule scripts.

The pairing of every analysis follows the authors' HEAD code (``e5be636``):

* activity (Fig 3B, S6A): replicates of a guide against the controls of its cell line, through the
  reference-index trick (``Metadata_control_index`` in ``pos_sameby`` and ``neg_diffby``);
* plate / well effects (Fig 3A): the same within each pair of plates, plus a plate/well
  constraint on the positive pairs, and a Stouffer-combined uncorrected p-value (no BH);
* feature groups (Fig 3D, S6C): activity on the features without (``dropped``) or only with
  (``exclusive``) one channel or one compartment x feature type;
* consistency (Fig 3E/F): median consensus guide profiles, genes with >= 2 active guides, guides
  of the same gene against guides of other genes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import combine_pvalues, spearmanr

import mapeval
from mapreprod.common import paper_columns
from mapreprod import preprocess as pp

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
EPS = float(np.finfo(np.float64).eps)
NOT_STATED = "not stated in the text"

__all__ = [
    "CELL_LINES",
    "CHANNELS",
    "COMPARTMENTS",
    "FEATURE_TYPES",
    "PLATES",
    "PLATE_WELL_MODES",
    "activity_by_cell_line",
    "activity_with_controls",
    "cell_lines_present",
    "ceres_long",
    "ceres_symbols",
    "channel_groups",
    "channel_table",
    "compartment_groups",
    "compartment_table",
    "consistency_profiles",
    "consistent_gene_aps",
    "consistent_genes",
    "control_genes",
    "cp_features",
    "feature_group_analysis",
    "fig3c_guides",
    "genes_passing",
    "jitter",
    "merge_ceres",
    "phenotypic_activity",
    "phenotypic_consistency",
    "plate_pairs",
    "plate_well_position",
    "preprocess_profiles",
    "replicate_subset",
    "reproduction_table",
    "tidy_metadata",
]


# --------------------------------------------------------------------------------------------
# Inputs and preprocessing (§3.1-3.3)


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


def preprocess_profiles(
    profiles: pd.DataFrame,
    method: str,
    operations: Sequence[str] = FEATURE_SELECT_OPERATIONS,
    na_cutoff: float = 0.0,
) -> pd.DataFrame:
    """Normalise, select features and drop Costes features (§3.2).

    Parameters
    ----------
    profiles : the nine plates concatenated, after :func:`tidy_metadata`.
    method : "mad_robustize" (per plate, over all wells of the plate) or "standardize" (z-score
        over the whole dataset).
    operations : feature selection operations, named as in pycytominer 1.2.2.
    na_cutoff : fraction of NaN above which a column is dropped (the authors used 0).
    """
    if method not in PREPROCESSINGS:
        raise ValueError(f"cellhealth preprocessing must be one of {list(PREPROCESSINGS)}, got {method!r}")
    features = cp_features(profiles)
    by = PLATE if method == "mad_robustize" else None
    normalized = pp.normalize(profiles, features, method=method, samples="all", by=by)
    selected = pp.select_features(normalized, features, operations, na_cutoff=na_cutoff)
    return pp.drop_features_containing(selected, "costes").reset_index(drop=True)


def control_genes(control: str) -> tuple[str, ...]:
    """Genes of the control wells of one control type ("cutting" or "empty")."""
    if control == "cutting":
        return CUTTING_CONTROL_GENES
    if control == "empty":
        return (EMPTY_GENE,)
    raise ValueError(f"cellhealth control type must be one of {list(CONTROL_LABELS)}, got {control!r}")


def replicate_subset(profiles: pd.DataFrame, cell_line: str, control: str = "cutting") -> pd.DataFrame:
    """The guides with exactly six wells in ``cell_line`` plus every control well (§3.3).

    Adds ``Metadata_control_index`` (row position for controls, -1 else) and
    ``Metadata_is_control`` (1/0); the index is reset.
    """
    for col in (CELL, PERT, GENE, PLATE, WELL):
        if col not in profiles.columns:
            raise ValueError(f"profiles lack column {col!r}")
    cells = profiles.loc[profiles[CELL] == cell_line]
    if cells.empty:
        raise ValueError(f"no wells of cell line {cell_line!r} in {CELL}")
    counts = cells[PERT].value_counts()
    guides = counts.index[counts == N_REPLICATES]
    is_control = cells[GENE].isin(control_genes(control))
    keep = cells[PERT].isin(guides) | is_control
    subset = cells.loc[keep].reset_index(drop=True)
    mask = subset[GENE].isin(control_genes(control)).to_numpy()
    if not mask.any():
        raise ValueError(f"cell line {cell_line!r} has no {control} control wells")
    subset = mapeval.assign_reference_index(subset, mask, reference_col=CONTROL_INDEX)
    subset[IS_CONTROL] = mask.astype(int)
    return subset


def cell_lines_present(profiles: pd.DataFrame) -> list[str]:
    """The Cell Health cell lines with wells in ``profiles``, in the paper's order."""
    if CELL not in profiles.columns:
        raise ValueError(f"profiles lack column {CELL!r}")
    present = [c for c in CELL_LINES if c in set(profiles[CELL])]
    if not present:
        raise ValueError(f"no wells of {list(CELL_LINES)} in {CELL}")
    return present


def _split(df: pd.DataFrame, features: Sequence[str] | None) -> tuple[pd.DataFrame, np.ndarray]:
    feats = cp_features(df) if features is None else list(features)
    meta = df[[c for c in df.columns if c.startswith("Metadata_")]]
    return meta, df[feats].to_numpy(dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Activity (§3.4-3.6, §3.9)


def _markers(significant: pd.Series | np.ndarray) -> np.ndarray:
    return np.where(np.asarray(significant, dtype=bool), "p<0.05", "p>=0.05")


def phenotypic_activity(
    subset: pd.DataFrame,
    null_size: int,
    seed: int = 0,
    features: Sequence[str] | None = None,
    extra_pos_sameby: Sequence[str] = (),
    pos_diffby: Sequence[str] = (),
    neg_diffby: Sequence[str] = (CONTROL_INDEX, IS_CONTROL),
    null_sampler: str = "fast",
    map_null: str = "shared",
    threshold: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """mAP of every guide against the controls of ``subset`` (Fig 3B pairing by default).

    Parameters
    ----------
    subset : output of :func:`replicate_subset` (one cell line, one control type).
    features : feature columns to use; default every CellProfiler column.
    extra_pos_sameby, pos_diffby : the plate/well constraint of Fig 3A.
    neg_diffby : besides ``Metadata_pert_name``; Fig 3B adds ``Metadata_is_control``, Fig 3A not.

    Returns
    -------
    map_table : one row per guide with the paper's columns (``mAP``, ``p_value``,
        ``corrected_p_value`` (BH over the guides of this call), ``below_p``, ``p < 0.05``,
        ``-log10(mAP p-value)``, ``markers`` from the uncorrected p).
    ap_table : one row per guide replicate with ``AP``, ``p_value`` (BH-corrected AP p-value over
        the replicates of this call), ``p < 0.05``, ``-log10(AP p-value)``, ``markers``.
    """
    meta, feats = _split(subset, features)
    ap = mapeval.average_precision(
        meta, feats,
        pos_sameby=[PERT, CONTROL_INDEX, *extra_pos_sameby],
        pos_diffby=list(pos_diffby),
        neg_sameby=[],
        neg_diffby=[PERT, *neg_diffby],
    )
    m = mapeval.mean_average_precision(
        ap, PERT, null_size=null_size, threshold=threshold, seed=seed,
        null_sampler=null_sampler, map_null=map_null,
    )
    map_table = paper_columns(m)
    map_table["markers"] = _markers(map_table["below_p"])
    ap = ap.loc[ap["average_precision"].notna()].reset_index(drop=True)
    raw_p = mapeval.ap_p_values(ap, null_size=null_size, seed=seed, null_sampler=null_sampler)
    ap_table = ap.rename(columns={"average_precision": "AP"})
    ap_table["p_value"] = mapeval.benjamini_hochberg(raw_p)
    ap_table["p < 0.05"] = ap_table["p_value"] < threshold
    ap_table["-log10(AP p-value)"] = -np.log10(np.maximum(ap_table["p_value"], EPS))
    ap_table["markers"] = _markers(ap_table["p < 0.05"])
    return map_table, ap_table


def activity_by_cell_line(
    profiles: pd.DataFrame,
    control: str,
    null_size: int,
    seed: int = 0,
    **kwargs,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 3B/3C (cutting controls) or the EMPTY half of S6A: :func:`phenotypic_activity` per
    cell line (BH within each), stacked with a ``Cell type`` column."""
    maps, aps = [], []
    for cell in cell_lines_present(profiles):
        subset = replicate_subset(profiles, cell, control)
        m, a = phenotypic_activity(subset, null_size, seed, **kwargs)
        m["Cell type"] = cell
        a["Cell type"] = cell
        maps.append(m)
        aps.append(a)
    map_cols = [PERT, "mAP", "p_value", "corrected_p_value", "below_p", "p < 0.05",
                "-log10(mAP p-value)", "Cell type", "markers"]
    ap_cols = [PERT, GENE, PLATE, WELL, "AP", "p_value", "p < 0.05", "-log10(AP p-value)",
               "Cell type", "markers"]
    return (pd.concat(maps, ignore_index=True)[map_cols],
            pd.concat(aps, ignore_index=True)[ap_cols])


def plate_pairs(plates: Sequence[str]) -> list[tuple[str, str]]:
    """Every pair of plates, in order of first appearance (§3.4 step 1)."""
    return list(itertools.combinations(list(dict.fromkeys(plates)), 2))


def plate_well_position(
    profiles: pd.DataFrame,
    preprocessing: str,
    null_size: int,
    seed: int = 0,
    threshold: float = 0.05,
    **kwargs,
) -> pd.DataFrame:
    """Fig 3A for one preprocessed dataset: per cell line, plate pair and mode, guide mAP against
    the cutting controls of both plates; aggregated over the three plate pairs with the mean mAP
    and the Stouffer-combined uncorrected p-value (no BH, as the authors' code).

    Returns one row per (guide, mode, cell line) with ``Metadata_pert_name, mode, Preprocessing,
    Cell type, mAP, p_value, p < 0.05, markers, -log10(mAP p-value)``.
    """
    label = PREPROCESSINGS.get(preprocessing, preprocessing)
    rows = []
    for cell in cell_lines_present(profiles):
        subset = replicate_subset(profiles, cell, "cutting")
        for plates in plate_pairs(subset[PLATE]):
            pair = subset.loc[subset[PLATE].isin(plates)].reset_index(drop=True)
            for mode, (extra_same, diff) in PLATE_WELL_MODES.items():
                m, _ = _map_only(pair, null_size, seed, extra_same, diff, threshold, **kwargs)
                m["mode"] = mode
                m["Cell type"] = cell
                rows.append(m)
    per_pair = pd.concat(rows, ignore_index=True)
    out = (
        per_pair.groupby([PERT, "mode", "Cell type"], sort=False)
        .agg(mAP=("mean_average_precision", "mean"),
             p_value=("p_value", lambda p: combine_pvalues(p, method="stouffer").pvalue))
        .reset_index()
    )
    out["Preprocessing"] = label
    out["p < 0.05"] = out["p_value"] < threshold
    out["markers"] = _markers(out["p < 0.05"])
    out["-log10(mAP p-value)"] = -np.log10(np.maximum(out["p_value"], EPS))
    return out[[PERT, "mode", "Preprocessing", "Cell type", "mAP", "p_value", "p < 0.05",
                "markers", "-log10(mAP p-value)"]]


def _map_only(subset, null_size, seed, extra_same, diff, threshold, null_sampler="fast",
              map_null="shared", features=None, neg_diffby=(CONTROL_INDEX,)):
    """Guide mAP against controls without the AP-level p-values (Fig 3A, 3D, S6C)."""
    meta, feats = _split(subset, features)
    ap = mapeval.average_precision(
        meta, feats, pos_sameby=[PERT, CONTROL_INDEX, *extra_same], pos_diffby=list(diff),
        neg_sameby=[], neg_diffby=[PERT, *neg_diffby],
    )
    m = mapeval.mean_average_precision(ap, PERT, null_size=null_size, threshold=threshold,
                                       seed=seed, null_sampler=null_sampler, map_null=map_null)
    return m, ap


# --------------------------------------------------------------------------------------------
# Feature groups (§3.7, §3.8)


def channel_groups(features: Sequence[str]) -> dict[str, list[str]]:
    """Features of each channel: every name containing the channel (case-sensitive; correlation
    features belong to both of their channels)."""
    return {ch: [f for f in features if ch in f] for ch in CHANNELS}


def compartment_groups(features: Sequence[str]) -> dict[str, list[str]]:
    """Features of each ``Compartment_FeatureType`` prefix present among ``features`` (§3.8),
    in compartment-major order."""
    groups = {}
    for comp in COMPARTMENTS:
        for ftype in FEATURE_TYPES:
            prefix = f"{comp}_{ftype}"
            members = [f for f in features if f.startswith(prefix)]
            if members:
                groups[prefix] = members
    return groups


def feature_group_analysis(
    profiles: pd.DataFrame,
    groups: Mapping[str, Sequence[str]],
    null_size: int,
    seed: int = 0,
    threshold: float = 0.05,
    **kwargs,
) -> pd.DataFrame:
    """Activity with each feature group dropped and with only that group (Fig 3D, S6C).

    Returns one row per (guide, cell line, group): ``Metadata_pert_name, Cell type, group,
    dropped, exclusive, channel_signal``, where ``dropped``/``exclusive`` are -log10 of the
    BH-corrected mAP p-value (BH within each cell line x group x variant) and
    ``channel_signal`` = exclusive - dropped. A variant without any feature gives NaN.
    """
    rows = []
    for cell in cell_lines_present(profiles):
        subset = replicate_subset(profiles, cell, "cutting")
        features = cp_features(subset)
        for name, members in groups.items():
            member_set = set(members)
            variants = {
                "dropped": [f for f in features if f not in member_set],
                "exclusive": [f for f in features if f in member_set],
            }
            result = pd.DataFrame({PERT: sorted(subset.loc[subset[IS_CONTROL] == 0, PERT].unique())})
            for variant, feats in variants.items():
                if not feats:
                    result[variant] = np.nan
                    continue
                m, _ = _map_only(subset, null_size, seed, [], [], threshold, features=feats,
                                 neg_diffby=(CONTROL_INDEX, IS_CONTROL), **kwargs)
                m = paper_columns(m)
                result = result.merge(
                    m[[PERT, "-log10(mAP p-value)"]].rename(columns={"-log10(mAP p-value)": variant}),
                    on=PERT, how="left",
                )
            result["Cell type"] = cell
            result["group"] = name
            rows.append(result)
    out = pd.concat(rows, ignore_index=True)
    out["channel_signal"] = out["exclusive"] - out["dropped"]
    return out[[PERT, "Cell type", "group", "dropped", "exclusive", "channel_signal"]]


def channel_table(analysis: pd.DataFrame) -> pd.DataFrame:
    """``channel_analysis.csv`` columns (§3.7) from :func:`feature_group_analysis`."""
    return analysis.rename(columns={"Cell type": "cell_type", "group": "channel"})[
        [PERT, "cell_type", "channel", "dropped", "exclusive", "channel_signal"]]


def compartment_table(analysis: pd.DataFrame) -> pd.DataFrame:
    """``compartment_analysis.csv`` columns (§3.8) from :func:`feature_group_analysis`, plus the
    ``feature_type`` of each group."""
    out = analysis.rename(columns={"Cell type": "cell_line", "group": "feature_group"})
    out["compartment"] = out["feature_group"].str.split("_").str[0]
    out["feature_type"] = out["feature_group"].str.split("_").str[1]
    return out[[PERT, "cell_line", "feature_group", "compartment", "feature_type", "dropped",
                "exclusive", "channel_signal"]]


# --------------------------------------------------------------------------------------------
# S6A, S6B


def activity_with_controls(cutting_map: pd.DataFrame, empty_map: pd.DataFrame,
                           guide_genes: pd.DataFrame) -> pd.DataFrame:
    """``phenotypic_activity_empty.csv`` (S6A): both control types stacked, with
    ``control_barcodes``, ``const`` and the guide's ``Metadata_gene_name``."""
    parts = []
    for control, table in (("cutting", cutting_map), ("empty", empty_map)):
        t = table.copy()
        t["const"] = 1
        t["control_barcodes"] = CONTROL_LABELS[control]
        parts.append(t)
    genes = guide_genes[[PERT, GENE]].drop_duplicates(PERT)
    return pd.concat(parts, ignore_index=True).merge(genes, on=PERT, how="left")


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


def merge_ceres(activity: pd.DataFrame, ceres: pd.DataFrame) -> pd.DataFrame:
    """Join guide activity (S6A table) to CERES by gene and cell line.

    Gene names are matched to CERES symbols case-insensitively (mygene's symbol scope is
    case-insensitive, e.g. Cell Health's ``HIF1a`` is ``HIF1A``); the Entrez id then comes
    from the CERES column name. Genes without a CERES column are dropped.
    """
    lookup = ceres.assign(_key=ceres["symbol"].str.upper())
    act = activity.assign(_key=activity[GENE].astype(str).str.upper())
    merged = act.merge(lookup.drop(columns=["symbol"]), on=["_key", "Cell type"], how="inner")
    return merged.drop(columns=["_key"]).rename(columns={"entrez": "_id"})


# --------------------------------------------------------------------------------------------
# Consistency (§3.11, §3.12)


def consistency_profiles(profiles: pd.DataFrame) -> pd.DataFrame:
    """Median consensus profile per (guide, gene, cell line) of the §3.3 subsets with cutting
    controls, stacked over the cell lines, duplicates dropped (§3.11 steps 1-2)."""
    subsets = [replicate_subset(profiles, cell, "cutting") for cell in cell_lines_present(profiles)]
    stacked = pd.concat(subsets, ignore_index=True)
    stacked = stacked.drop(columns=[CONTROL_INDEX, IS_CONTROL]).drop_duplicates()
    return pp.aggregate(stacked, [PERT, GENE, CELL], cp_features(stacked))


def genes_passing(activity_map: pd.DataFrame, guide_genes: pd.DataFrame, cell_line: str,
                  min_active_guides: int = 2) -> list[str]:
    """Genes with at least ``min_active_guides`` active guides (``p < 0.05``) in a cell line.

    HEAD uses 2; the e9a5414 tables effectively used 1 (SPEC §3.11, §11 item 7)."""
    act = activity_map.loc[(activity_map["Cell type"] == cell_line) & activity_map["p < 0.05"]]
    genes = guide_genes.drop_duplicates(PERT).set_index(PERT)[GENE]
    counts = genes.reindex(act[PERT]).value_counts()
    return sorted(counts.index[counts >= min_active_guides])


def phenotypic_consistency(
    consensus: pd.DataFrame,
    activity_map: pd.DataFrame,
    null_size: int,
    seed: int = 0,
    min_active_guides: int = 2,
    threshold: float = 0.05,
    null_sampler: str = "fast",
    map_null: str = "shared",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 3E: per cell line, guides of genes with >= ``min_active_guides`` active guides (all
    guides of those genes, active or not) retrieved against the guides of the other kept genes.

    Returns the gene-level table (``Metadata_gene_name, mAP, p_value, corrected_p_value, below_p,
    p < 0.05, -log10(mAP p-value), Cell type, markers, const``) and the guide-level AP table.
    A cell line with fewer than two kept genes has no negatives and is skipped.
    """
    maps, aps = [], []
    guide_genes = consensus[[PERT, GENE]]
    for cell in CELL_LINES:
        genes = genes_passing(activity_map, guide_genes, cell, min_active_guides)
        if len(genes) < 2:
            continue
        part = consensus.loc[(consensus[CELL] == cell) & consensus[GENE].isin(genes)]
        part = part.reset_index(drop=True)
        meta, feats = _split(part, None)
        ap = mapeval.average_precision(meta, feats, pos_sameby=[GENE], pos_diffby=[],
                                       neg_sameby=[], neg_diffby=[GENE])
        m = mapeval.mean_average_precision(ap, GENE, null_size=null_size, threshold=threshold,
                                           seed=seed, null_sampler=null_sampler, map_null=map_null)
        m = paper_columns(m)
        m["Cell type"] = cell
        m["markers"] = _markers(m["below_p"])
        maps.append(m)
        ap = ap.loc[ap["average_precision"].notna()].reset_index(drop=True)
        raw_p = mapeval.ap_p_values(ap, null_size=null_size, seed=seed, null_sampler=null_sampler)
        a = ap.rename(columns={"average_precision": "AP"})
        a["p_value"] = mapeval.benjamini_hochberg(raw_p)
        a["p < 0.05"] = a["p_value"] < threshold
        a["-log10(AP p-value)"] = -np.log10(np.maximum(a["p_value"], EPS))
        a["markers"] = _markers(a["p < 0.05"])
        a["Cell type"] = cell
        aps.append(a)
    if not maps:
        raise ValueError("phenotypic consistency: no cell line has two genes passing the "
                         "activity filter (cellhealth.min_active_guides)")
    map_table = pd.concat(maps, ignore_index=True)
    map_table["const"] = 1
    ap_table = pd.concat(aps, ignore_index=True)
    ap_table["const"] = 1
    map_cols = [GENE, "mAP", "p_value", "corrected_p_value", "below_p", "p < 0.05",
                "-log10(mAP p-value)", "Cell type", "markers", "const"]
    ap_cols = [PERT, GENE, "AP", "p_value", "p < 0.05", "-log10(AP p-value)", "Cell type",
               "markers", "const"]
    return map_table[map_cols], ap_table[ap_cols]


# --------------------------------------------------------------------------------------------
# Figure subsets


def fig3c_guides(activity_map: pd.DataFrame, min_cell_lines: int = 2,
                 positions: Sequence[int] = (*range(14), 18)) -> list[str]:
    """Guides of Fig 3C: active (``p < 0.05``) in >= 2 cell lines, sorted alphabetically, HEAD
    keeps positions 0-13 and 18 (15 guides); positions past the end are skipped."""
    active = activity_map.loc[activity_map["p < 0.05"]].groupby(PERT)["Cell type"].nunique()
    ordered = sorted(active.index[active >= min_cell_lines])
    return [ordered[i] for i in positions if i < len(ordered)]


def consistent_genes(consistency_map: pd.DataFrame, min_cell_lines: int = 2) -> list[str]:
    """Genes of Fig 3F: ``p < 0.05`` in >= 2 cell lines (HEAD: all of them), sorted."""
    sig = consistency_map.loc[consistency_map["p < 0.05"]].groupby(GENE)["Cell type"].nunique()
    return sorted(sig.index[sig >= min_cell_lines])


def consistent_gene_aps(consistency_ap: pd.DataFrame, consistency_map: pd.DataFrame) -> pd.DataFrame:
    """Guide-level AP rows of the genes of Fig 3F."""
    genes = consistent_genes(consistency_map)
    return consistency_ap.loc[consistency_ap[GENE].isin(genes)].reset_index(drop=True)


def jitter(values: pd.Series, width: float, low: float, high: float, rng: np.random.Generator) -> np.ndarray:
    """Display-only uniform jitter of +-``width``, clipped to [low, high] (Fig 3E)."""
    v = values.to_numpy(dtype=float)
    return np.clip(v + rng.uniform(-width, width, size=v.size), low, high)


# --------------------------------------------------------------------------------------------
# Reproduction (SPEC §10)


def _pct(values) -> float:
    return 100.0 * float(np.mean(np.asarray(values, dtype=bool)))


def reproduction_table(
    plate_well: pd.DataFrame,
    activity: pd.DataFrame,
    activity_empty: pd.DataFrame,
    channels: pd.DataFrame,
    compartments: pd.DataFrame,
    consistency_map: pd.DataFrame,
    consistency_ap: pd.DataFrame,
    activity_ap: pd.DataFrame,
    ceres: pd.DataFrame | None = None,
    data_note: str = "",
) -> pd.DataFrame:
    """Every SPEC §10 row about Fig 3A-F / S6 with the value computed here.

    Parameters are the tables of this module (``activity_empty`` is the S6A stack, ``ceres``
    the S6B merge). ``data_note`` is prefixed to every note (e.g. "synthetic data").
    Percentages are in percent.
    """
    rows: list[tuple[str, str, str, str, str]] = []

    def add(figure, quantity, paper, ours, note=""):
        rows.append((figure, quantity, paper, ours, "; ".join(x for x in (data_note, note) if x)))

    pw = plate_well.groupby(["Preprocessing", "mode", "Cell type"])["p < 0.05"].apply(_pct)

    def cell(prep, mode, line):
        return pw.get((prep, mode, line), np.nan)

    def mean_over(prep, mode):
        return float(np.nanmean([cell(prep, mode, c) for c in CELL_LINES]))

    dd, sw, sp = PLATE_WELL_MODES
    add("Fig 3A", "range of percent retrieved (2 preprocessings x 3 cell lines x 3 tasks)",
        "13%-94%", f"{pw.min():.0f}%-{pw.max():.0f}%", "repo table (e9a5414): 14%-95%")
    for prep in PREPROCESSINGS.values():
        for mode in PLATE_WELL_MODES:
            per = ", ".join(f"{c} {cell(prep, mode, c):.0f}%" for c in CELL_LINES)
            add("Fig 3A", f"{prep}, {mode}: percent retrieved per cell line", NOT_STATED,
                per, "Stouffer-combined uncorrected p over 3 plate pairs, no BH (SPEC §11.5)")
    paper_means = {
        ("Standardize", dd): ("28%", "28.3% (A549 14, ES2 31, HCC44 40)"),
        ("Standardize", sw): ("46%", "46.7%"),
        ("Standardize", sp): ("44%", "45.0%"),
        ("MAD robustize", dd): ("55%", "56.7% (42/60/68)"),
        ("MAD robustize", sp): ("51%", "51.3% (38/61/55)"),
        ("MAD robustize", sw): ("88%", "88.7% (85/86/95)"),
    }
    for (prep, mode), (paper, repo) in paper_means.items():
        add("Fig 3A", f"{prep}, {mode}: mean percent retrieved over cell lines", paper,
            f"{mean_over(prep, mode):.1f}%", f"repo table (e9a5414): {repo}")
    add("Fig 3A", "Standardize, A549 & ES2, same plate (different well)", "38% & 56%",
        f"{cell('Standardize', sp, 'A549'):.0f}% & {cell('Standardize', sp, 'ES2'):.0f}%",
        "repo table: 39% & 57%")
    add("Fig 3A", "Standardize, A549 & ES2, not same plate (different plate, different well)",
        "13% & 31%",
        f"{cell('Standardize', dd, 'A549'):.0f}% & {cell('Standardize', dd, 'ES2'):.0f}%",
        "repo table: 14% & 31%")
    add("Fig 3A", "Standardize, HCC44 same plate vs across plates", "38% vs 39%",
        f"{cell('Standardize', sp, 'HCC44'):.0f}% vs {cell('Standardize', dd, 'HCC44'):.0f}%",
        "repo table: 39% vs 40%")

    act = activity.groupby("Cell type")["p < 0.05"].apply(_pct)
    repo_act = {"A549": "31%", "ES2": "45%", "HCC44": "72%"}
    for c in CELL_LINES:
        add("Fig 3B", f"activity percent retrieved, {c}", "31-70% (range over cell lines)",
            f"{act.get(c, np.nan):.0f}%", f"repo table (e9a5414): {repo_act[c]}")
    add("Fig 3B", "activity percent retrieved, range over cell lines", "31-70%",
        f"{act.min():.0f}-{act.max():.0f}%", "repo table: 31-72%")
    add("Fig 3B", "activity percent retrieved, mean over cell lines", "49%",
        f"{act.mean():.1f}%", "repo table: 49.3%")
    mean_map = activity.groupby("Cell type")["mAP"].mean()
    add("Fig 3B", "mean mAP per cell line", NOT_STATED,
        ", ".join(f"{c} {mean_map.get(c, np.nan):.3f}" for c in CELL_LINES),
        "repo table (e9a5414): A549 0.247, ES2 0.361, HCC44 0.363")
    n_guides = activity.groupby("Cell type")[PERT].nunique()
    add("Cell Health", "guides with exactly 6 replicates per cell line", "100",
        ", ".join(f"{c} {n_guides.get(c, 0)}" for c in CELL_LINES), "")

    atf = activity_ap.loc[(activity_ap[PERT] == "ATF4-1") & (activity_ap["Cell type"] == "ES2")]
    add("Fig 3C", "ATF4-1 in ES2: replicates with AP p < 0.05 (BH)", "5 of 6 (qualitative)",
        f"{int(atf['p < 0.05'].sum())} of {len(atf)}" if len(atf) else "guide not present",
        "AP table not in the repo")

    emp = activity_empty.loc[activity_empty["control_barcodes"] == CONTROL_LABELS["empty"]]
    cut = activity_empty.loc[activity_empty["control_barcodes"] == CONTROL_LABELS["cutting"]]
    emp_pct = emp.groupby("Cell type")["p < 0.05"].apply(_pct)
    add("S6A", "EMPTY-well controls: percent retrieved per cell line (mean)",
        "similar to cutting controls (qualitative)",
        ", ".join(f"{c} {emp_pct.get(c, np.nan):.0f}%" for c in CELL_LINES)
        + f" (mean {emp_pct.mean():.1f}%)", "repo table: 37% / 52% / 48% (mean 45.7%)")
    add("S6A", "mean mAP, EMPTY vs cutting controls", NOT_STATED,
        f"{emp['mAP'].mean():.3f} vs {cut['mAP'].mean():.3f}",
        "repo table: 0.336 vs 0.324; HEAD's figure swaps the labels (SPEC §11.15)")

    if ceres is not None and len(ceres) > 2:
        rho = spearmanr(ceres["-log10(mAP p-value)"], ceres["ceres_score"]).statistic
        ours = f"Spearman rho = {rho:.2f} (n = {len(ceres)} guide x cell line x control rows)"
    else:
        ours = "no guide matched a CERES gene"
    add("S6B", "mAP significance vs CERES", "somewhat negatively correlated", ours,
        "the authors compute no coefficient; ours pools both control types")

    ch = channels.groupby("channel")[["exclusive", "dropped"]].agg(
        lambda v: _pct(v > -np.log10(0.05)))
    best = ch["exclusive"].idxmax()
    add("Fig 3D", "best single channel (highest exclusive percent retrieved)", "Mito",
        f"{best} ({ch.loc[best, 'exclusive']:.0f}%)",
        "exclusive: " + ", ".join(f"{k} {v:.0f}%" for k, v in ch["exclusive"].items())
        + "; dropped: " + ", ".join(f"{k} {v:.0f}%" for k, v in ch["dropped"].items()))

    # The text's "excluding"/"removing" is ambiguous against the figure's axes (a dropped group of
    # a few dozen features can hardly cut retrieval from 49% to <35%), so both axes are given.
    thr = -np.log10(0.05)
    by_type = {
        variant: compartments.assign(sig=compartments[variant] > thr)
        .groupby(["feature_type", "compartment"])["sig"].apply(_pct)
        for variant in ("dropped", "exclusive")
    }
    for ftypes, paper in ((("RadialDistribution", "AreaShape"), "<35% retrieved"),
                          (("Texture", "Intensity"), "~70% retrieved")):
        parts = [
            f"{ft} {variant}: " + "/".join(f"{by_type[variant].get((ft, c), np.nan):.0f}%"
                                          for c in COMPARTMENTS)
            for variant in ("dropped", "exclusive") for ft in ftypes
        ]
        add("S6C", f"percent retrieved without / with only {' or '.join(ftypes)} features "
            "(per compartment Cells/Cytoplasm/Nuclei)", paper, "; ".join(parts),
            "the text says 'excluding'/'removing'; both the dropped and the exclusive axis given")

    cons = consistency_map.groupby("Cell type")["p < 0.05"].apply(_pct)
    add("Fig 3E", "consistency percent retrieved per cell line (range)", "54-92%",
        ", ".join(f"{c} {cons.get(c, np.nan):.0f}%" for c in CELL_LINES)
        + (f" (range {cons.min():.0f}-{cons.max():.0f}%)" if len(cons) else ""),
        "code: genes with >= 2 active guides, all their guides kept (SPEC §11.7)")
    cdk = consistency_ap.loc[consistency_ap[GENE] == "CDK4"]
    if len(cdk):
        ours = ", ".join(
            f"{c} {int((~g['p < 0.05']).sum())} of {len(g)}" for c, g in cdk.groupby("Cell type"))
    else:
        ours = "gene not in the consistency set"
    add("Fig 3F", "CDK4: guides not consistent (AP p >= 0.05) per cell line",
        "A549 and HCC44 one inconsistent guide each (qualitative)", ours, "")
    return pd.DataFrame(rows, columns=["figure", "quantity", "paper", "ours", "note"])
