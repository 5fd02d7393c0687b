"""Mitocheck single-cell profiles (Fig 5C-D, S9A-D, S10; docs/methods.md §8).

About 3,000 HeLa nuclei from the Mitocheck RNAi screen, manually labelled with a morphological
class, profiled with CellProfiler (``CP__*``) and DeepProfiler (``DP__*``) features; the control
cells come from the same screen's negative-control wells.

1. :func:`~.inputs.read_training` and :func:`~.inputs.read_control_sample` (the authors' 0.5%
   control sample, drawn exactly as pandas' ``sample(frac=0.005, random_state=0)`` while
   streaming the large control table).
2. :func:`~.preprocess.preprocess_cells`: label the controls, stack, drop failed-QC and out-of-focus
   cells, feature-select the CellProfiler features.
3. :func:`~.activity.grouping_ap`: one AP per cell against all controls, positives = the other
   cells of the same gene (or class), CellProfiler and DeepProfiler features; per-AP p-values.
4. :func:`~.embedding.class_embeddings`: UMAP per class (with the controls).
5. :mod:`.figures` and :mod:`.reproduction`; :mod:`.standin` writes the generated inputs.

Parts (the dataset contract): inputs, preprocess, activity, embedding, figures, reproduction,
standin. Their public names are re-exported here.
"""

from .activity import (
    CONTROL_INDEX,
    CORRECTIONS,
    GROUPINGS,
    assign_control_index,
    grouping_ap,
    single_cell_ap,
    summarize,
)
from .inputs import (
    CLASS,
    CONTROL_ARCHIVE,
    CONTROL_CLASS,
    CONTROL_MEMBER,
    GENE,
    TRAINING_FILE,
    count_rows,
    read_control_sample,
    read_training,
    sample_positions,
    sample_size,
)
from .preprocess import AUTHORS_OPERATIONS, PAPER_OPERATIONS, preprocess_cells
from .reproduction import reproduction_table

__all__ = [
    "AUTHORS_OPERATIONS",
    "CLASS",
    "CONTROL_ARCHIVE",
    "CONTROL_CLASS",
    "CONTROL_INDEX",
    "CONTROL_MEMBER",
    "CORRECTIONS",
    "GENE",
    "GROUPINGS",
    "PAPER_OPERATIONS",
    "TRAINING_FILE",
    "assign_control_index",
    "count_rows",
    "grouping_ap",
    "preprocess_cells",
    "read_control_sample",
    "read_training",
    "reproduction_table",
    "sample_positions",
    "sample_size",
    "single_cell_ap",
    "summarize",
]
