"""Phenotypic consistency (Fig 3E/3F): guides of the same gene against guides of other genes."""

from __future__ import annotations

import pandas as pd

from mapreprod import preprocess as pp
from mapreprod.common import paper_columns
from mapreprod.settings import TEST_COLUMN, MapSettings, test_columns

from .activity import replicate_ap_table
from .inputs import (
    CELL,
    CELL_LINES,
    CONTROL_INDEX,
    GENE,
    IS_CONTROL,
    PERT,
    cell_lines_present,
    cp_features,
    significance_markers,
    split_cp_profiles,
)
from .preprocess import replicate_subset


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

    HEAD uses 2; the e9a5414 tables effectively used 1 (docs/methods.md §3.11, §11 item 7)."""
    act = activity_map.loc[(activity_map["Cell type"] == cell_line) & activity_map["p < 0.05"]]
    genes = guide_genes.drop_duplicates(PERT).set_index(PERT)[GENE]
    counts = genes.reindex(act[PERT]).value_counts()
    return sorted(counts.index[counts >= min_active_guides])


def phenotypic_consistency(
    consensus: pd.DataFrame,
    activity_map: pd.DataFrame,
    settings: MapSettings,
    min_active_guides: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 3E: per cell line, guides of genes with >= ``min_active_guides`` active guides (all
    guides of those genes, active or not) retrieved against the guides of the other kept genes,
    scored with ``settings`` (``p < 0.05`` is below ``settings.threshold``).

    Returns the gene-level table (``Metadata_gene_name, mAP, p_value, corrected_p_value, below_p,
    p < 0.05, -log10(mAP p-value), Cell type, markers, const, test``: the test of ``map.test``,
    :meth:`~mapreprod.settings.MapSettings.group_map`) and the guide-level AP table (its AP-level
    p-values and their ``test``).
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
        meta, feats = split_cp_profiles(part)
        pairs = {"pos_sameby": [GENE], "pos_diffby": [], "neg_sameby": [], "neg_diffby": [GENE]}
        ap = settings.average_precision(meta, feats, **pairs)
        m = paper_columns(settings.group_map(meta, feats, **pairs, sameby=GENE, ap=ap,
                                             analysis="Cell Health consistency"))
        m["Cell type"] = cell
        m["markers"] = significance_markers(m["below_p"])
        maps.append(m)
        a = replicate_ap_table(ap, settings)
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
                "-log10(mAP p-value)", "Cell type", "markers", "const", *test_columns(map_table)]
    ap_cols = [PERT, GENE, "AP", "p_value", "p < 0.05", "-log10(AP p-value)", "Cell type",
               "markers", "const", TEST_COLUMN]
    return map_table[map_cols], ap_table[ap_cols]

