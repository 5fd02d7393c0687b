"""Helpers shared by the generated stand-ins of every dataset: real CellProfiler feature names
(from Cell Health plate SQ00014613, extended by names of CellProfiler's grammar for real-size
profiles) and plate well names."""

from __future__ import annotations

import numpy as np

#: Real CellProfiler features of Cell Health plate SQ00014613: for every compartment and feature
#: type, six AreaShape features, otherwise one (Correlation) or two features per channel.
REGULAR_FEATURES: tuple[str, ...] = (
    "Cells_AreaShape_MedianRadius", "Cells_AreaShape_Zernike_5_3", "Cells_AreaShape_Zernike_3_3",
    "Cells_AreaShape_MinorAxisLength", "Cells_AreaShape_Center_X", "Cells_AreaShape_Zernike_7_5",
    "Cells_Correlation_Overlap_DNA_Mito", "Cells_Correlation_K_RNA_AGP",
    "Cells_Correlation_K_Mito_ER", "Cells_Correlation_Overlap_RNA_AGP",
    "Cells_Correlation_K_RNA_ER", "Cells_Granularity_3_RNA", "Cells_Granularity_2_RNA",
    "Cells_Granularity_8_Mito", "Cells_Granularity_14_Mito", "Cells_Granularity_10_AGP",
    "Cells_Granularity_4_AGP", "Cells_Granularity_2_ER", "Cells_Granularity_6_ER",
    "Cells_Intensity_MinIntensityEdge_DNA", "Cells_Intensity_UpperQuartileIntensity_DNA",
    "Cells_Intensity_LowerQuartileIntensity_RNA", "Cells_Intensity_IntegratedIntensity_RNA",
    "Cells_Intensity_MeanIntensity_Mito", "Cells_Intensity_IntegratedIntensityEdge_Mito",
    "Cells_Intensity_MeanIntensityEdge_AGP", "Cells_Intensity_MassDisplacement_AGP",
    "Cells_Intensity_IntegratedIntensityEdge_ER", "Cells_Intensity_MaxIntensityEdge_ER",
    "Cells_RadialDistribution_FracAtD_DNA_2of4", "Cells_RadialDistribution_FracAtD_DNA_1of4",
    "Cells_RadialDistribution_MeanFrac_RNA_4of4", "Cells_RadialDistribution_MeanFrac_RNA_2of4",
    "Cells_RadialDistribution_RadialCV_Mito_2of4", "Cells_RadialDistribution_MeanFrac_Mito_3of4",
    "Cells_RadialDistribution_MeanFrac_AGP_2of4", "Cells_RadialDistribution_RadialCV_AGP_4of4",
    "Cells_RadialDistribution_RadialCV_ER_3of4", "Cells_RadialDistribution_MeanFrac_ER_1of4",
    "Cells_Texture_SumVariance_DNA_5_0", "Cells_Texture_InverseDifferenceMoment_DNA_10_0",
    "Cells_Texture_InverseDifferenceMoment_RNA_5_0",
    "Cells_Texture_InverseDifferenceMoment_RNA_20_0", "Cells_Texture_SumEntropy_Mito_5_0",
    "Cells_Texture_Contrast_Mito_5_0", "Cells_Texture_InverseDifferenceMoment_AGP_5_0",
    "Cells_Texture_SumEntropy_AGP_5_0", "Cells_Texture_DifferenceVariance_ER_20_0",
    "Cells_Texture_Entropy_ER_10_0", "Cytoplasm_AreaShape_Zernike_6_2",
    "Cytoplasm_AreaShape_Zernike_9_1", "Cytoplasm_AreaShape_Zernike_2_0",
    "Cytoplasm_AreaShape_Zernike_4_2", "Cytoplasm_AreaShape_Compactness",
    "Cytoplasm_AreaShape_Zernike_8_4", "Cytoplasm_Correlation_K_RNA_DNA",
     "Cytoplasm_Correlation_K_Mito_DNA",
    "Cytoplasm_Correlation_K_AGP_ER", "Cytoplasm_Correlation_Overlap_DNA_ER",
    "Cytoplasm_Granularity_15_RNA", "Cytoplasm_Granularity_9_RNA", "Cytoplasm_Granularity_13_Mito",
    "Cytoplasm_Granularity_9_Mito", "Cytoplasm_Granularity_10_AGP", "Cytoplasm_Granularity_3_AGP",
    "Cytoplasm_Granularity_7_ER", "Cytoplasm_Granularity_15_ER",
    "Cytoplasm_Intensity_MassDisplacement_DNA", "Cytoplasm_Intensity_MinIntensity_DNA",
    "Cytoplasm_Intensity_StdIntensity_RNA", "Cytoplasm_Intensity_MinIntensity_RNA",
    "Cytoplasm_Intensity_MinIntensityEdge_Mito",
    "Cytoplasm_Intensity_IntegratedIntensityEdge_Mito", "Cytoplasm_Intensity_MeanIntensity_AGP",
    "Cytoplasm_Intensity_LowerQuartileIntensity_AGP", "Cytoplasm_Intensity_MaxIntensity_ER",
    "Cytoplasm_Intensity_StdIntensity_ER", "Cytoplasm_RadialDistribution_MeanFrac_DNA_4of4",
    "Cytoplasm_RadialDistribution_FracAtD_DNA_3of4",
    "Cytoplasm_RadialDistribution_MeanFrac_RNA_3of4",
    "Cytoplasm_RadialDistribution_FracAtD_RNA_1of4",
    "Cytoplasm_RadialDistribution_RadialCV_Mito_3of4",
    "Cytoplasm_RadialDistribution_FracAtD_Mito_3of4",
    "Cytoplasm_RadialDistribution_FracAtD_AGP_1of4",
    "Cytoplasm_RadialDistribution_MeanFrac_AGP_4of4",
    "Cytoplasm_RadialDistribution_RadialCV_ER_2of4",
    "Cytoplasm_RadialDistribution_FracAtD_ER_4of4", "Cytoplasm_Texture_SumVariance_DNA_20_0",
    "Cytoplasm_Texture_InverseDifferenceMoment_DNA_10_0", "Cytoplasm_Texture_Variance_RNA_10_0",
    "Cytoplasm_Texture_SumAverage_RNA_20_0", "Cytoplasm_Texture_InfoMeas2_Mito_5_0",
    "Cytoplasm_Texture_DifferenceVariance_Mito_5_0", "Cytoplasm_Texture_Gabor_AGP_5",
    "Cytoplasm_Texture_InfoMeas2_AGP_5_0", "Cytoplasm_Texture_Entropy_ER_5_0",
    "Cytoplasm_Texture_SumVariance_ER_5_0", "Nuclei_AreaShape_Zernike_2_0",
    "Nuclei_AreaShape_Center_Y", "Nuclei_AreaShape_MajorAxisLength",
    "Nuclei_AreaShape_Zernike_8_8", "Nuclei_AreaShape_Zernike_3_1", "Nuclei_AreaShape_Zernike_9_9",
    "Nuclei_Correlation_Overlap_DNA_RNA", "Nuclei_Correlation_Correlation_DNA_RNA",
    "Nuclei_Correlation_K_Mito_AGP", "Nuclei_Correlation_Overlap_ER_AGP",
    "Nuclei_Correlation_Overlap_DNA_ER", "Nuclei_Granularity_1_DNA", "Nuclei_Granularity_16_DNA",
    "Nuclei_Granularity_1_RNA", "Nuclei_Granularity_13_RNA", "Nuclei_Granularity_16_Mito",
    "Nuclei_Granularity_11_Mito", "Nuclei_Granularity_5_AGP", "Nuclei_Granularity_9_AGP",
    "Nuclei_Granularity_8_ER", "Nuclei_Granularity_7_ER",
    "Nuclei_Intensity_IntegratedIntensity_DNA", "Nuclei_Intensity_UpperQuartileIntensity_DNA",
    "Nuclei_Intensity_StdIntensity_RNA", "Nuclei_Intensity_UpperQuartileIntensity_RNA",
    "Nuclei_Intensity_UpperQuartileIntensity_Mito", "Nuclei_Intensity_StdIntensity_Mito",
    "Nuclei_Intensity_StdIntensityEdge_AGP", "Nuclei_Intensity_IntegratedIntensity_AGP",
    "Nuclei_Intensity_StdIntensity_ER", "Nuclei_Intensity_StdIntensityEdge_ER",
    "Nuclei_RadialDistribution_FracAtD_DNA_4of4", "Nuclei_RadialDistribution_FracAtD_DNA_2of4",
    "Nuclei_RadialDistribution_RadialCV_RNA_3of4", "Nuclei_RadialDistribution_MeanFrac_RNA_1of4",
    "Nuclei_RadialDistribution_RadialCV_Mito_2of4", "Nuclei_RadialDistribution_MeanFrac_Mito_1of4",
    "Nuclei_RadialDistribution_FracAtD_AGP_4of4", "Nuclei_RadialDistribution_MeanFrac_AGP_2of4",
    "Nuclei_RadialDistribution_RadialCV_ER_4of4", "Nuclei_RadialDistribution_RadialCV_ER_2of4",
    "Nuclei_Texture_Variance_DNA_20_0", "Nuclei_Texture_SumVariance_DNA_20_0",
    "Nuclei_Texture_Entropy_RNA_5_0", "Nuclei_Texture_InfoMeas1_RNA_20_0",
    "Nuclei_Texture_Gabor_Mito_10", "Nuclei_Texture_Correlation_Mito_10_0",
    "Nuclei_Texture_InverseDifferenceMoment_AGP_20_0",
    "Nuclei_Texture_AngularSecondMoment_AGP_20_0", "Nuclei_Texture_SumAverage_ER_10_0",
    "Nuclei_Texture_Correlation_ER_20_0",
)
#: Real features with a role in feature selection: name -> what the generator makes of them.
SPECIAL_FEATURES: dict[str, str] = {
    "Cells_Number_Object_Number": "constant",  # frequency filter (1.2.2 "variance_threshold")
    "Cells_Location_Center_X": "missing",  # drop_na_columns (na_cutoff 0)
    "Nuclei_Correlation_Manders_AGP_DNA": "noise",  # blocklist
    "Nuclei_Correlation_RWC_DNA_ER": "noise",  # blocklist
    "Cells_Correlation_Costes_AGP_DNA": "noise",  # dropped by name (costes)
    "Cytoplasm_Correlation_Costes_ER_Mito": "noise",  # dropped by name (costes)
    "Nuclei_Location_Center_Y": "duplicate",  # correlation_threshold (copy of Nuclei_AreaShape_Center_Y)
}
DUPLICATED_FEATURE = "Nuclei_AreaShape_Center_Y"


#: Cell Painting channels, as CellProfiler names them in the Broad's profiles.
CHANNELS: tuple[str, ...] = ("DNA", "RNA", "Mito", "AGP", "ER")
_SHAPES = (
    "Area", "BoundingBoxArea", "Compactness", "Eccentricity", "EulerNumber", "Extent",
    "FormFactor", "MajorAxisLength", "MaxFeretDiameter", "MaximumRadius", "MeanRadius",
    "MedianRadius", "MinFeretDiameter", "MinorAxisLength", "Orientation", "Perimeter", "Solidity",
    *(f"Zernike_{n}_{m}" for n in range(10) for m in range(n % 2, n + 1, 2)),
)
_INTENSITIES = (
    "IntegratedIntensity", "IntegratedIntensityEdge", "LowerQuartileIntensity", "MADIntensity",
    "MassDisplacement", "MaxIntensity", "MaxIntensityEdge", "MeanIntensity", "MeanIntensityEdge",
    "MedianIntensity", "MinIntensity", "MinIntensityEdge", "StdIntensity", "StdIntensityEdge",
    "UpperQuartileIntensity",
)
_TEXTURES = (
    "AngularSecondMoment", "Contrast", "Correlation", "DifferenceEntropy", "DifferenceVariance",
    "Entropy", "InfoMeas1", "InfoMeas2", "InverseDifferenceMoment", "SumAverage", "SumEntropy",
    "SumVariance", "Variance",
)
#: Largest ``n_features`` of :func:`feature_names` (real names, then CellProfiler's grammar).
MAX_FEATURES = 1850


def grammar_feature_names() -> list[str]:
    """Feature names of CellProfiler's grammar (Cells/Cytoplasm/Nuclei x AreaShape, Correlation,
    Granularity, Intensity, RadialDistribution, Texture; no Costes feature), ordered round-robin
    over the compartment x feature type groups so that any prefix spans every group. For
    stand-ins with as many features as real profiles (Cell Health's 1,783)."""
    pairs = [(a, b) for i, a in enumerate(CHANNELS) for b in CHANNELS[i + 1:]]
    ordered = [(a, b) for a in CHANNELS for b in CHANNELS if a != b]
    groups: list[list[str]] = []
    for comp in ("Cells", "Cytoplasm", "Nuclei"):
        groups += [
            [f"{comp}_AreaShape_{s}" for s in _SHAPES],
            [f"{comp}_Correlation_{m}_{a}_{b}" for m in ("Correlation", "Overlap") for a, b in pairs]
            + [f"{comp}_Correlation_{m}_{a}_{b}" for m in ("K", "RWC", "Manders")
               for a, b in ordered],
            [f"{comp}_Granularity_{k}_{c}" for k in range(1, 17) for c in CHANNELS],
            [f"{comp}_Intensity_{m}_{c}" for m in _INTENSITIES for c in CHANNELS],
            [f"{comp}_RadialDistribution_{m}_{c}_{k}of4" for m in ("FracAtD", "MeanFrac",
                                                                   "RadialCV")
             for c in CHANNELS for k in range(1, 5)],
            [f"{comp}_Texture_{m}_{c}_{s}_0" for s in (3, 5, 10, 20) for m in _TEXTURES
             for c in CHANNELS] + [f"{comp}_Texture_Gabor_{c}_{s}" for s in (3, 5, 10, 20)
                                   for c in CHANNELS],
        ]
    names: list[str] = []
    for depth in range(max(len(g) for g in groups)):
        names += [g[depth] for g in groups if depth < len(g)]
    return names


def feature_names(n_features: int) -> list[str]:
    """``n_features`` real names: every special feature, then regular features taken round-robin
    over the compartment x feature type groups so that every group is represented. Beyond the
    real names (155) all of them are used and names of CellProfiler's grammar
    (:func:`grammar_feature_names`) fill up to ``n_features`` (at most :data:`MAX_FEATURES`)."""
    n_regular = n_features - len(SPECIAL_FEATURES)
    n_real = len(REGULAR_FEATURES) + len(SPECIAL_FEATURES)
    if not 40 <= n_features <= MAX_FEATURES:
        raise ValueError(f"n_features (generated CellProfiler features) must be in [40, "
                         f"{MAX_FEATURES}], got {n_features}")
    if n_features > n_real:
        taken = set(REGULAR_FEATURES) | set(SPECIAL_FEATURES)
        extra = [name for name in grammar_feature_names() if name not in taken]
        return [*REGULAR_FEATURES, *extra[: n_regular - len(REGULAR_FEATURES)],
                *SPECIAL_FEATURES]
    groups: dict[str, list[str]] = {}
    for name in REGULAR_FEATURES:
        groups.setdefault("_".join(name.split("_")[:2]), []).append(name)
    chosen: list[str] = []
    depth = 0
    while len(chosen) < n_regular:
        for members in groups.values():
            if depth < len(members) and len(chosen) < n_regular:
                chosen.append(members[depth])
        depth += 1
    if DUPLICATED_FEATURE not in chosen:
        chosen[-1] = DUPLICATED_FEATURE
    return chosen + list(SPECIAL_FEATURES)


def well_names(rows: int = 16, cols: int = 24) -> list[str]:
    """Well names of a plate, row-major: A01, A02, ... (384 wells by default)."""
    return [f"{chr(ord('A') + r)}{c:02d}" for r in range(rows) for c in range(1, cols + 1)]


def unit_vectors(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """``n`` random directions of length 1 in ``dim`` dimensions, shape (n, dim)."""
    x = rng.standard_normal((n, dim))
    return x / np.linalg.norm(x, axis=1, keepdims=True)
