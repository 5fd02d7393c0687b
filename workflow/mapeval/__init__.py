"""mapeval: a small, fast mean-average-precision library (copairs-compatible API).

Phenotypic activity and consistency of profiles with mAP (Kalinin et al. 2025). The public API
mirrors copairs' names and columns so that code can switch without rewriting:

>>> ap = mapeval.average_precision(meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby)
>>> m = mapeval.mean_average_precision(ap, sameby, null_size=10_000, threshold=0.05, seed=0)
"""

from . import multilabel
from .average_precision import average_precision
from .map import ap_p_values, mean_average_precision, percent_retrieved
from .nulls import benjamini_hochberg, null_distributions
from .reference import assign_reference_index

__all__ = [
    "ap_p_values",
    "assign_reference_index",
    "average_precision",
    "benjamini_hochberg",
    "mean_average_precision",
    "multilabel",
    "null_distributions",
    "percent_retrieved",
]
