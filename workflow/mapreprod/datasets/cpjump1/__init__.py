"""CPJUMP1 benchmark (Chandrasekaran et al., Nat Methods 2024; docs/methods.md §12): Fig 4a-c, Extended
Data Fig 1 and Fig 5, as the authors' notebooks compute them.

Parts (the dataset contract):

* :mod:`.inputs`: the 12 conditions (compound / CRISPR / ORF x A549 / U2OS x short / long time
  point), the primary plates (batch 2020_11_04_CPJUMP1, density 100, no antibiotics, no compound
  plates on Cas9 cells), readers that check the files.
* :mod:`.preprocess`: a condition's profiles (replicate plates stacked, DMSO named, empty wells
  dropped, negative controls flagged) and median consensus profiles.
* :mod:`.activity`: perturbation detection (Fig 4a; ORF same/different-well variants for
  Extended Data Fig 1): replicates against same-plate negative controls, AP p-values and the
  class q-value (geometric mean of AP p-values then BH: the notebooks; or the paper's wording).
* :mod:`.consistency`: perturbation matching within a modality (sister compounds, |cosine|,
  multilabel targets; sister CRISPR guides, cosine; Fig 4b) and across modalities
  (compound-gene pairs, |cosine|, negatives as the notebooks' copairs formed them or copairs
  0.5.5's rule: ``cpjump1.multilabel_negatives``; Fig 4c).
* :mod:`.directionality`: Fig 5, cosine of same-target pairs against the 5th/95th percentiles
  of different-target pairs, Fisher's exact test on the tails.
* :mod:`.figures`, :mod:`.reproduction`, :mod:`.standin` (the generated stand-in).
"""

from .activity import (
    CLASS_Q,
    VARIANTS,
    ap_p_values,
    class_scores,
    fraction_retrieved,
    replicate_retrieval,
)
from .consistency import (
    CROSS_MODALITY_NEGATIVES,
    compound_gene_matching,
    compound_targets,
    replicable_consensus,
    sister_compound_matching,
    sister_guide_matching,
)
from .directionality import (
    FIG5A_TAILS,
    directionality_tables,
    similarity_pairs,
    tail_summary,
)
from .inputs import (
    BATCH,
    CELL_TYPES,
    MODALITIES,
    TIME_LABELS,
    TIMEPOINTS,
    all_conditions,
    condition_plates,
    parse_condition,
    primary_plates,
    read_compound_annotations,
    read_experiment_metadata,
    read_plate_profiles,
)
from .preprocess import condition_profiles, consensus, remove_negcon_and_empty
from .reproduction import reproduction_table

__all__ = [
    "BATCH",
    "CELL_TYPES",
    "CLASS_Q",
    "CROSS_MODALITY_NEGATIVES",
    "FIG5A_TAILS",
    "MODALITIES",
    "TIMEPOINTS",
    "TIME_LABELS",
    "VARIANTS",
    "all_conditions",
    "ap_p_values",
    "class_scores",
    "compound_gene_matching",
    "compound_targets",
    "condition_plates",
    "condition_profiles",
    "consensus",
    "directionality_tables",
    "fraction_retrieved",
    "parse_condition",
    "primary_plates",
    "read_compound_annotations",
    "read_experiment_metadata",
    "read_plate_profiles",
    "remove_negcon_and_empty",
    "replicable_consensus",
    "replicate_retrieval",
    "reproduction_table",
    "similarity_pairs",
    "sister_compound_matching",
    "sister_guide_matching",
    "tail_summary",
]
