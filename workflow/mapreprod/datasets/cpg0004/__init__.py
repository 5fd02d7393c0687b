"""cpg0004 / LINCS Cell Painting: labels, dose selection, activity and consistency (docs/methods.md §4).

The experiment behind Fig S7A (phenotypic activity of compounds at 10 uM against same-plate DMSO)
and Fig S7C (phenotypic consistency of compounds that share a target gene, from consensus
profiles), as the authors' ``experiments/3_cpg0004/lincs.py`` computes it. Target annotations come
from the Drug Repurposing Hub (CLUE ``repurposing_drugs`` / ``repurposing_samples`` tables).

Only :func:`read_repurposing_table` and :func:`write_repurposing_table` touch files: they read and
write the CLUE tab-separated format (comment lines starting with ``!``, then a header).

Parts (the dataset contract): inputs, preprocess, activity, consistency, figures,
reproduction, standin. Their public names are re-exported here.
"""

from mapreprod.common import split_profiles

from .activity import active_compounds, phenotypic_activity
from .consistency import label_consensus, phenotypic_consistency
from .figures import figure_table
from .inputs import (
    ACTIVITY_COLUMNS,
    ACTIVITY_PAIRS,
    BROAD_ID_SUFFIX,
    CLUE_COMMENT_LINES,
    CONSISTENCY_PAIRS,
    DMSO,
    PRIMARY_DOSES,
    merge_labels,
    read_repurposing_table,
    truncate_broad_id,
    write_repurposing_table,
)
from .preprocess import (
    add_dose_recode,
    recode_dose,
    select_activity_profiles,
    select_dose_response_profiles,
    unique_controls,
)
from .reproduction import reproduction_table

__all__ = [
    "ACTIVITY_COLUMNS",
    "ACTIVITY_PAIRS",
    "BROAD_ID_SUFFIX",
    "CLUE_COMMENT_LINES",
    "CONSISTENCY_PAIRS",
    "DMSO",
    "PRIMARY_DOSES",
    "active_compounds",
    "add_dose_recode",
    "figure_table",
    "label_consensus",
    "merge_labels",
    "phenotypic_activity",
    "phenotypic_consistency",
    "read_repurposing_table",
    "recode_dose",
    "reproduction_table",
    "select_activity_profiles",
    "select_dose_response_profiles",
    "split_profiles",
    "truncate_broad_id",
    "unique_controls",
    "write_repurposing_table",
]
