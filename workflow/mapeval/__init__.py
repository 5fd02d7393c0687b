"""mapeval: a small, fast mean-average-precision library (copairs-compatible API).

Phenotypic activity and consistency of profiles with mAP (Kalinin et al. 2025). The public API
has every public name of copairs 0.5.5's ``copairs.map`` with its columns, so that code can
switch without rewriting:

>>> ap = mapeval.average_precision(meta, feats, pos_sameby, pos_diffby, neg_sameby, neg_diffby)
>>> m = mapeval.mean_average_precision(ap, sameby, null_size=10_000, threshold=0.05, seed=0)

copairs.map name                          mapeval
----------------------------------------  -----------------------------------------------
average_precision                         :func:`average_precision`
multilabel.average_precision              :func:`multilabel.average_precision`
mean_average_precision                    :func:`mean_average_precision`
mean_average_precision_hierarchical       :func:`mean_average_precision_hierarchical`
get_map_pvalue                            :func:`get_map_pvalue`
apply_fdr_correction                      :func:`apply_fdr_correction`
apply_hierarchical_fdr_correction         :func:`apply_hierarchical_fdr_correction`
average_precision.p_values                :func:`ap_p_values`

Beyond copairs: ``null_sampler="exact"`` (the enumerated null, :mod:`mapeval.exact`) and the
label-permutation tests :func:`permutation_map` and :func:`energy_distance_test`
(:mod:`mapeval.permutation`); the other metrics of the field (:mod:`mapeval.metrics`: energy
distance, known-relationship recall, retrieval at k, interpolated MAP, folds of enrichment, the
cell-count baseline).
"""

from . import multilabel
from .average_precision import TiedRanksWarning, average_precision
from .exact import ExactNullWarning, ap_null_distribution
from .fdr import apply_fdr_correction, apply_hierarchical_fdr_correction, multipletests
from .map import (
    ap_p_values,
    get_map_pvalue,
    mean_average_precision,
    mean_average_precision_hierarchical,
    percent_retrieved,
)
from .metrics import (
    cell_count_scores,
    energy_distance,
    energy_distance_per_group,
    known_relationship_recall,
    normalize_to_controls,
    retrieval_metrics,
    summarize_retrieval,
)
from .normalization import expected_ap, normalize_ap
from .nulls import benjamini_hochberg, null_distributions
from .permutation import energy_distance_test, permutation_map
from .reference import assign_reference_index

__all__ = [
    "ExactNullWarning",
    "TiedRanksWarning",
    "ap_null_distribution",
    "ap_p_values",
    "apply_fdr_correction",
    "apply_hierarchical_fdr_correction",
    "assign_reference_index",
    "average_precision",
    "benjamini_hochberg",
    "cell_count_scores",
    "energy_distance",
    "energy_distance_per_group",
    "energy_distance_test",
    "expected_ap",
    "get_map_pvalue",
    "known_relationship_recall",
    "mean_average_precision",
    "mean_average_precision_hierarchical",
    "multilabel",
    "multipletests",
    "normalize_ap",
    "normalize_to_controls",
    "null_distributions",
    "percent_retrieved",
    "permutation_map",
    "retrieval_metrics",
    "summarize_retrieval",
]
