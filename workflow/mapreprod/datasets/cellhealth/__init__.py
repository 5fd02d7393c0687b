"""Cell Health: preprocessing, plate/well effects, activity, feature groups, consistency (docs/methods.md §3).

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

Parts (the dataset contract): inputs, preprocess, activity, plate_well, feature_groups,
consistency, figures, reproduction, standin. Their public names are re-exported here, except
those of ``figures`` (which imports matplotlib; the rule scripts that compute do not need it).

Every analysis takes the engine settings as one :class:`mapreprod.settings.MapSettings`
(``map_settings("cellhealth")`` in the rules: ``cellhealth.null_size`` and ``seed``, or the
synthetic run's ``cellhealth.synthetic_data.null_size``).
"""

from mapreprod.common import EPS

from .activity import (
    activity_by_cell_line,
    activity_with_controls,
    guide_map,
    merge_ceres,
    phenotypic_activity,
    replicate_ap_table,
)
from .consistency import consistency_profiles, genes_passing, phenotypic_consistency
from .feature_groups import (
    channel_groups,
    channel_table,
    compartment_groups,
    compartment_table,
    feature_group_analysis,
)
from .inputs import (
    CELL,
    CELL_LINES,
    CHANNELS,
    COMPARTMENTS,
    CONTROL_INDEX,
    CONTROL_LABELS,
    CP_PREFIXES,
    CUTTING_CONTROL_GENES,
    DROPPED_METADATA,
    EMPTY_GENE,
    FEATURE_SELECT_OPERATIONS,
    FEATURE_TYPES,
    GENE,
    IS_CONTROL,
    N_REPLICATES,
    PERT,
    PLATE,
    PLATE_CELL_LINE,
    PLATE_WELL_MODES,
    PLATES,
    PREPROCESSINGS,
    RAW_METADATA,
    RENAME,
    WELL,
    cell_lines_present,
    ceres_long,
    ceres_symbols,
    control_genes,
    cp_features,
    significance_markers,
    split_cp_profiles,
    tidy_metadata,
)
from .plate_well import plate_pairs, plate_well_position
from .preprocess import preprocess_profiles, replicate_subset, values_beyond_bound
from .reproduction import NOT_STATED, reproduction_table

__all__ = [
    "CELL",
    "CELL_LINES",
    "CHANNELS",
    "COMPARTMENTS",
    "CONTROL_INDEX",
    "CONTROL_LABELS",
    "CP_PREFIXES",
    "CUTTING_CONTROL_GENES",
    "DROPPED_METADATA",
    "EMPTY_GENE",
    "EPS",
    "FEATURE_SELECT_OPERATIONS",
    "FEATURE_TYPES",
    "GENE",
    "IS_CONTROL",
    "NOT_STATED",
    "N_REPLICATES",
    "PERT",
    "PLATE",
    "PLATES",
    "PLATE_CELL_LINE",
    "PLATE_WELL_MODES",
    "PREPROCESSINGS",
    "RAW_METADATA",
    "RENAME",
    "WELL",
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
    "control_genes",
    "cp_features",
    "feature_group_analysis",
    "genes_passing",
    "guide_map",
    "merge_ceres",
    "phenotypic_activity",
    "phenotypic_consistency",
    "plate_pairs",
    "plate_well_position",
    "preprocess_profiles",
    "replicate_ap_table",
    "replicate_subset",
    "reproduction_table",
    "significance_markers",
    "split_cp_profiles",
    "tidy_metadata",
    "values_beyond_bound",
]
