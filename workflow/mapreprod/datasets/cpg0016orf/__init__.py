"""cpg0016[orf] (JUMP ORF overexpression in U2OS): Fig S7B and S7D (docs/methods.md §5).

S7B, phenotypic activity: each ORF's replicate wells against the negative-control ORF wells of
the same plate (mAP per ORF, null 20,000, seed 12527, BH at the authors' FDR 0.1). S7D,
phenotypic consistency: median consensus per gene of the active ORFs, retrieved by shared CORUM
complex (multilabel mAP per complex, BH at 0.05).

Parts (the dataset contract): :mod:`.inputs` (files and their exact columns), :mod:`.preprocess`
(annotation and well filters), :mod:`.activity`, :mod:`.consistency`, :mod:`.figures`,
:mod:`.reproduction`, :mod:`.standin` (generated inputs on real JUMP metadata).
"""

from .activity import ACTIVITY_PAIRS, add_negcon, phenotypic_activity
from .consistency import (
    COMPLEX_LIST,
    CONSENSUS_BY,
    CONSISTENCY_PAIRS,
    active_perturbations,
    complex_annotations,
    consensus,
    phenotypic_consistency,
    select_active_wells,
)
from .figures import draw_figure, figure_table
from .inputs import PROFILE_METADATA, Profiles, read_profiles
from .preprocess import filter_profiles
from .reproduction import reproduction_table
from .standin import (
    SyntheticDesign,
    generate,
    generated_jump_metadata,
    load_jump_metadata,
)

__all__ = [
    "ACTIVITY_PAIRS",
    "COMPLEX_LIST",
    "CONSENSUS_BY",
    "CONSISTENCY_PAIRS",
    "PROFILE_METADATA",
    "Profiles",
    "SyntheticDesign",
    "active_perturbations",
    "add_negcon",
    "complex_annotations",
    "consensus",
    "draw_figure",
    "figure_table",
    "filter_profiles",
    "generate",
    "generated_jump_metadata",
    "load_jump_metadata",
    "phenotypic_activity",
    "phenotypic_consistency",
    "read_profiles",
    "reproduction_table",
    "select_active_wells",
]
