"""nELISA vs Cell Painting (Fig 4A-D, docs/methods.md §6): preprocessing, activity, consistency, figures.

Two assays profile the same physical wells: Cell Painting (CellProfiler features) and nELISA
(191 secreted-protein abundances, columns like ``"Activin A [NSU]"``). Per assay:

1. MAD-robustize every feature per plate (:func:`robustize_per_plate`); Cell Painting is also
   feature-selected (:func:`select_cellpainting_features`); NaN ``Metadata_broad_sample`` (the
   DMSO wells) becomes ``"NA"``.
2. :func:`unify` keeps the compounds present in every assay with the same number of replicates.
3. :func:`activity_map`: each compound's replicates against the DMSO wells.
4. :func:`consistency_map`: compound consensus profiles, retrieved by shared target (multilabel).

Parts (the dataset contract): inputs, preprocess, activity, consistency, figures,
reproduction, standin. Their public names are re-exported here.
"""

from .activity import activity_map
from .consistency import consistency_map, consistency_profiles
from .figures import pivot_assays, plot_assay_columns, plot_assay_pivot, stack_assays
from .inputs import (
    ASSAYS,
    CONTROL_INDEX,
    MISSING_PERT,
    NEGCON,
    PERT,
    RESULT_COLUMNS,
    TARGET,
    TARGET_LIST,
    AssaySpec,
)
from .preprocess import (
    fill_missing_broad_sample,
    preprocess_profiles,
    robustize_per_plate,
    select_cellpainting_features,
    unify,
    values_beyond_bound,
)
from .reproduction import reproduction_table

__all__ = [
    "ASSAYS",
    "AssaySpec",
    "CONTROL_INDEX",
    "MISSING_PERT",
    "NEGCON",
    "PERT",
    "RESULT_COLUMNS",
    "TARGET",
    "TARGET_LIST",
    "activity_map",
    "consistency_map",
    "consistency_profiles",
    "fill_missing_broad_sample",
    "pivot_assays",
    "plot_assay_columns",
    "plot_assay_pivot",
    "preprocess_profiles",
    "reproduction_table",
    "robustize_per_plate",
    "select_cellpainting_features",
    "stack_assays",
    "unify",
    "values_beyond_bound",
]
