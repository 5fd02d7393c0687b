"""Schema-faithful stand-ins for the cpg0004 / LINCS profiles, with planted signal.

The paper's profiles (lincs-cell-painting spherized replicate profiles and median consensus
profiles, ~0.5 GB) cannot be fetched here, so the pipeline of Fig S7A/S7C can also run on
generated tables with the same columns: the 26 LINCS ``Metadata_`` columns plus
``Metadata_dose_recode``, real CellProfiler feature names (from plate SQ00015054 of the same
batch) and real compound ids and targets from the Drug Repurposing Hub, so that the label join
works as on the real data.

At the real size (``config/rehearsal.yaml``: 28 plate maps x 5 replicate plates of 56 compounds
at 6 doses and 24 DMSO wells, 609 features) the names beyond the 91 real ones follow
CellProfiler's grammar (:func:`mapreprod.standin.grammar_feature_names`), and
``compound_source: hub`` draws the compounds from the Repurposing Hub with their own target
lists (multi-target compounds, targets shared by many), so the consistency test has the real
annotation's structure.

Planted truth (returned as a table):
- *active* compounds shift every replicate by ``effect`` (per-feature RMS at 10 uM) along a
  compound direction, scaled by dose level / 6; inactive compounds and DMSO are pure noise;
- compounds of a *consistent* target are all active and share ``shared_weight`` of their
  direction (so they resemble each other); compounds of an *inconsistent* target have unrelated
  directions and are active with probability ``active_fraction``, like the remaining compounds.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from mapreprod.standin import grammar_feature_names, unit_vectors, well_names

from .inputs import DMSO, PRIMARY_DOSES, merge_labels, truncate_broad_id

#: Real CellProfiler features of LINCS plate SQ00015054 (every 5th of its 454 selected features).
FEATURE_NAMES: tuple[str, ...] = (
    "Cells_AreaShape_Compactness", "Cells_AreaShape_Zernike_1_1", "Cells_AreaShape_Zernike_5_1",
    "Cells_AreaShape_Zernike_7_1", "Cells_AreaShape_Zernike_8_4",
    "Cells_Correlation_Correlation_ER_RNA", "Cells_Correlation_K_RNA_ER",
    "Cells_Correlation_Overlap_DNA_Mito", "Cells_Correlation_Overlap_Mito_RNA",
    "Cells_Correlation_RWC_DNA_RNA", "Cells_Correlation_RWC_RNA_Mito", "Cells_Granularity_3_AGP",
    "Cells_Intensity_IntegratedIntensityEdge_AGP", "Cells_Intensity_IntegratedIntensity_RNA",
    "Cells_Intensity_MassDisplacement_AGP", "Cells_Intensity_MeanIntensity_DNA",
    "Cells_Intensity_UpperQuartileIntensity_DNA", "Cells_RadialDistribution_MeanFrac_AGP_3of4",
    "Cells_RadialDistribution_MeanFrac_RNA_3of4", "Cells_RadialDistribution_RadialCV_DNA_1of4",
    "Cells_RadialDistribution_RadialCV_Mito_4of4", "Cells_Texture_AngularSecondMoment_Mito_20_0",
    "Cells_Texture_Correlation_AGP_5_0", "Cells_Texture_Correlation_RNA_10_0",
    "Cells_Texture_Gabor_AGP_10", "Cells_Texture_Gabor_ER_10", "Cells_Texture_Gabor_RNA_20",
    "Cells_Texture_InfoMeas1_RNA_5_0", "Cells_Texture_InfoMeas2_ER_10_0",
    "Cells_Texture_InverseDifferenceMoment_DNA_5_0", "Cells_Texture_SumEntropy_RNA_20_0",
    "Cytoplasm_AreaShape_Orientation", "Cytoplasm_AreaShape_Zernike_4_0",
    "Cytoplasm_AreaShape_Zernike_7_1", "Cytoplasm_AreaShape_Zernike_9_1",
    "Cytoplasm_Correlation_Correlation_ER_AGP", "Cytoplasm_Correlation_K_DNA_AGP",
    "Cytoplasm_Correlation_Manders_DNA_ER", "Cytoplasm_Correlation_Overlap_ER_AGP",
    "Cytoplasm_Correlation_RWC_AGP_ER", "Cytoplasm_Correlation_RWC_ER_AGP",
    "Cytoplasm_Correlation_RWC_RNA_DNA", "Cytoplasm_Granularity_5_ER",
    "Cytoplasm_Granularity_6_Mito", "Cytoplasm_Intensity_IntegratedIntensity_DNA",
    "Cytoplasm_Intensity_MassDisplacement_AGP", "Cytoplasm_Intensity_StdIntensityEdge_ER",
    "Cytoplasm_Location_MaxIntensity_Y_DNA", "Cytoplasm_RadialDistribution_MeanFrac_DNA_1of4",
    "Cytoplasm_RadialDistribution_MeanFrac_Mito_3of4",
    "Cytoplasm_RadialDistribution_RadialCV_AGP_3of4",
    "Cytoplasm_RadialDistribution_RadialCV_Mito_2of4",
    "Cytoplasm_Texture_AngularSecondMoment_ER_20_0", "Cytoplasm_Texture_Correlation_Mito_5_0",
    "Cytoplasm_Texture_Entropy_RNA_20_0", "Cytoplasm_Texture_InfoMeas1_AGP_20_0",
    "Cytoplasm_Texture_InfoMeas1_Mito_20_0", "Cytoplasm_Texture_InverseDifferenceMoment_Mito_5_0",
    "Cytoplasm_Texture_Variance_RNA_20_0", "Nuclei_AreaShape_Zernike_0_0",
    "Nuclei_AreaShape_Zernike_4_2", "Nuclei_AreaShape_Zernike_6_4", "Nuclei_AreaShape_Zernike_7_7",
    "Nuclei_AreaShape_Zernike_9_3", "Nuclei_Correlation_Correlation_Mito_ER",
    "Nuclei_Correlation_K_ER_AGP", "Nuclei_Correlation_Overlap_DNA_Mito",
    "Nuclei_Correlation_Overlap_RNA_AGP", "Nuclei_Granularity_2_DNA", "Nuclei_Granularity_3_RNA",
    "Nuclei_Granularity_6_DNA", "Nuclei_Intensity_IntegratedIntensity_AGP",
    "Nuclei_Intensity_MassDisplacement_DNA", "Nuclei_Intensity_StdIntensityEdge_AGP",
    "Nuclei_RadialDistribution_MeanFrac_DNA_3of4", "Nuclei_RadialDistribution_RadialCV_DNA_4of4",
    "Nuclei_RadialDistribution_RadialCV_RNA_3of4", "Nuclei_Texture_Contrast_RNA_20_0",
    "Nuclei_Texture_Correlation_ER_5_0", "Nuclei_Texture_DifferenceEntropy_DNA_20_0",
    "Nuclei_Texture_DifferenceEntropy_RNA_10_0", "Nuclei_Texture_DifferenceVariance_ER_20_0",
    "Nuclei_Texture_Entropy_DNA_10_0", "Nuclei_Texture_Gabor_AGP_20", "Nuclei_Texture_Gabor_ER_10",
    "Nuclei_Texture_Gabor_RNA_5", "Nuclei_Texture_InfoMeas1_ER_20_0",
    "Nuclei_Texture_InfoMeas2_DNA_10_0", "Nuclei_Texture_InfoMeas2_RNA_10_0",
    "Nuclei_Texture_InverseDifferenceMoment_ER_5_0",
)

#: Largest ``synthetic_design.n_features``: the real names, then CellProfiler's grammar.
MAX_FEATURES = 1500


def feature_names(n_features: int) -> list[str]:
    """``n_features`` feature names: evenly spaced real ones (:data:`FEATURE_NAMES`) up to
    their number, beyond it all of them and then names of CellProfiler's grammar."""
    if n_features <= len(FEATURE_NAMES):
        picks = np.linspace(0, len(FEATURE_NAMES) - 1, n_features).round().astype(int)
        return [FEATURE_NAMES[i] for i in picks]
    taken = set(FEATURE_NAMES)
    extra = [name for name in grammar_feature_names() if name not in taken]
    return [*FEATURE_NAMES, *extra[: n_features - len(FEATURE_NAMES)]]


#: Concentrations (mmol/L, i.e. uM as LINCS stores them) of dose levels 1-6 on the plate maps.
DOSE_CONCENTRATIONS: tuple[float, ...] = (0.041152, 0.12346, 0.37037, 1.1111, 3.3333, 10.0)
#: Replicate-level columns, in the order of the LINCS level-4 tables, then the dose level.
PROFILE_METADATA: tuple[str, ...] = (
    "Metadata_plate_map_name", "Metadata_broad_sample", "Metadata_mg_per_ml",
    "Metadata_mmoles_per_liter", "Metadata_solvent", "Metadata_pert_id", "Metadata_pert_mfc_id",
    "Metadata_pert_well", "Metadata_pert_id_vendor", "Metadata_cell_id",
    "Metadata_broad_sample_type", "Metadata_pert_vehicle", "Metadata_pert_type",
    "Metadata_broad_id", "Metadata_InChIKey14", "Metadata_moa", "Metadata_target",
    "Metadata_broad_date", "Metadata_alternative_moa", "Metadata_alternative_target",
    "Metadata_Plate", "Metadata_Well", "Metadata_Assay_Plate_Barcode", "Metadata_Plate_Map_Name",
    "Metadata_Batch_Number", "Metadata_Batch_Date", "Metadata_dose_recode",
)
#: Strata of the lincs-cell-painting median consensus (``replicate_cols``).
CONSENSUS_METADATA: tuple[str, ...] = (
    "Metadata_Plate_Map_Name", "Metadata_cell_id", "Metadata_broad_sample", "Metadata_pert_well",
    "Metadata_mmoles_per_liter", "Metadata_dose_recode", "Metadata_moa", "Metadata_target",
)

__all__ = [
    "FEATURE_NAMES",
    "MAX_FEATURES",
    "SyntheticDesign",
    "choose_compounds",
    "fallback_repurposing_tables",
    "feature_names",
    "write_csv_gz",
    "generate_profiles",
]


@dataclass(frozen=True)
class SyntheticDesign:
    """Size and signal of a generated cpg0004-like experiment (config ``cpg0004.synthetic_design``).

    Attributes
    ----------
    plate_maps, replicates : plate maps, and plates per map (a compound sits in the same wells
        of every replicate plate of its map, each dose in its own well).
    compounds_per_plate_map : compounds per plate map, each at 6 doses.
    dmso_per_plate : DMSO wells per plate (real plates: 24).
    n_features : number of features (real names up to len(FEATURE_NAMES), then names of
        CellProfiler's grammar; at most :data:`MAX_FEATURES`).
    consistent_targets, inconsistent_targets : single-target genes with a planted shared signal /
        without one; each is given ``compounds_per_target`` compounds.
    unannotated_fraction : share of the remaining compounds that have no target annotation.
    active_fraction : probability that a compound outside the consistent targets is active.
    effect : mean per-feature RMS shift of an active compound at dose level 6 (noise SD is 1).
    effect_spread : each compound's shift is ``effect`` times a uniform draw in
        [1 - effect_spread, 1 + effect_spread], so that potencies differ.
    shared_weight : share of the variance of a consistent compound's direction that is common to
        its target.
    plate_effect : SD of a per-plate offset shared by all wells of a plate.
    compound_source : ``planted`` (the demo): target groups of single-target compounds built for
        the planted signal; ``hub``: ``n_compounds`` compounds drawn from the label tables with
        their own target lists (a share ``unannotated_fraction`` without annotation), the
        compounds of ``consistent_targets`` of their targets (each carried by at least
        ``compounds_per_target`` of them) sharing a direction; ``inconsistent_targets`` is not
        used.
    """

    plate_maps: int = 6
    replicates: int = 4
    compounds_per_plate_map: int = 12
    dmso_per_plate: int = 24
    n_features: int = 60
    consistent_targets: int = 4
    inconsistent_targets: int = 8
    compounds_per_target: int = 3
    unannotated_fraction: float = 0.2
    active_fraction: float = 0.2
    effect: float = 1.0
    effect_spread: float = 0.5
    shared_weight: float = 0.4
    plate_effect: float = 0.3
    compound_source: str = "planted"

    @classmethod
    def from_config(cls, section: dict) -> SyntheticDesign:
        """Build from a config mapping; unknown keys raise ValueError naming the key."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"cpg0004.synthetic_design: unknown key(s) {unknown}")
        design = cls(**section)
        design.check()
        return design

    @property
    def n_compounds(self) -> int:
        return self.plate_maps * self.compounds_per_plate_map

    def check(self) -> None:
        """Raise ValueError (naming the key) if the design cannot be laid out."""
        ints = ("plate_maps", "replicates", "compounds_per_plate_map", "dmso_per_plate", "n_features")
        for key in ints:
            if getattr(self, key) < 1:
                raise ValueError(f"cpg0004.synthetic_design.{key} must be >= 1")
        if self.replicates < 2:
            raise ValueError("cpg0004.synthetic_design.replicates must be >= 2 (replicates form positives)")
        if self.compounds_per_target < 2:
            raise ValueError("cpg0004.synthetic_design.compounds_per_target must be >= 2")
        if self.n_features > MAX_FEATURES:
            raise ValueError(
                f"cpg0004.synthetic_design.n_features must be <= {MAX_FEATURES} (names available)"
            )
        if self.compound_source not in ("planted", "hub"):
            raise ValueError(
                "cpg0004.synthetic_design.compound_source must be planted or hub, got "
                f"{self.compound_source!r}"
            )
        wells = self.compounds_per_plate_map * len(DOSE_CONCENTRATIONS) + self.dmso_per_plate
        if wells > 384:
            raise ValueError(f"cpg0004.synthetic_design: {wells} wells per plate exceed 384")
        grouped = (self.consistent_targets + self.inconsistent_targets) * self.compounds_per_target
        if grouped > self.n_compounds:
            raise ValueError(
                f"cpg0004.synthetic_design: {grouped} compounds in target groups exceed the "
                f"{self.n_compounds} compounds of plate_maps x compounds_per_plate_map"
            )
        for key in ("unannotated_fraction", "active_fraction", "shared_weight", "effect_spread"):
            if not 0 <= getattr(self, key) <= 1:
                raise ValueError(f"cpg0004.synthetic_design.{key} must be in [0, 1]")

    def as_dict(self) -> dict:
        return asdict(self)


def _single_target_candidates(drugs: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """One sample id per compound whose label (after the authors' merge) is exactly one target.

    Returns columns ``broad_sample`` (22-character id), ``pert_iname``, ``moa``, ``target``,
    ``InChIKey``; ``target`` is NaN for compounds the Hub does not annotate.
    """
    labels, _ = merge_labels(drugs, samples)
    target_of = labels.set_index("broad_id")["target"]
    s = samples.loc[samples["broad_id"].notna() & ~samples["broad_id"].str.contains("|", regex=False)]
    s = s.loc[s["broad_id"].str.len() == 22].sort_values("broad_id")
    s = s.drop_duplicates("pert_iname").merge(drugs[["pert_iname", "moa", "target"]], on="pert_iname")
    s = s.assign(label=truncate_broad_id(s["broad_id"]).map(target_of))
    s = s.drop_duplicates("broad_id")
    # the compound id must be unique to this compound, its label equal to its own target
    s = s.loc[~truncate_broad_id(s["broad_id"]).duplicated(keep=False)]
    annotated = s["target"].notna() & ~s["target"].fillna("").str.contains("|", regex=False)
    annotated &= s["label"] == s["target"]
    unannotated = s["target"].isna() & s["label"].isna()
    out = s.loc[annotated | unannotated, ["broad_id", "pert_iname", "moa", "target", "InChIKey"]]
    return out.rename(columns={"broad_id": "broad_sample"}).reset_index(drop=True)


def choose_compounds(
    drugs: pd.DataFrame, samples: pd.DataFrame, design: SyntheticDesign, seed: int
) -> pd.DataFrame:
    """Real compounds of the Repurposing Hub to stand in the generated plates, with their role.

    Picks ``consistent_targets + inconsistent_targets`` single-target genes with at least
    ``compounds_per_target`` single-target compounds each, then fills up to ``n_compounds`` with
    compounds whose (single) target is not shared with any other chosen compound, a share
    ``unannotated_fraction`` of them without annotation.

    With ``design.compound_source == "hub"`` the compounds are drawn with their own target lists
    instead (:func:`_choose_hub_compounds`).

    Returns
    -------
    DataFrame with ``broad_sample``, ``pert_iname``, ``moa``, ``target``, ``InChIKey``, ``role``
    (consistent, inconsistent, other, unannotated) and ``planted_target`` (the target gene of the
    target groups, else NaN). Raises ValueError if the tables cannot supply the design.
    """
    rng = np.random.default_rng(seed)
    if design.compound_source == "hub":
        return _choose_hub_compounds(drugs, samples, design, rng)
    cand = _single_target_candidates(drugs, samples)
    annotated = cand.loc[cand["target"].notna()]
    per_target = annotated.groupby("target").size()
    eligible = np.array(sorted(per_target.index[per_target >= design.compounds_per_target]))
    n_groups = design.consistent_targets + design.inconsistent_targets
    if len(eligible) < n_groups:
        raise ValueError(
            f"label tables: only {len(eligible)} targets have >= {design.compounds_per_target} "
            f"single-target compounds; the design needs {n_groups}"
        )
    groups = rng.choice(eligible, size=n_groups, replace=False)
    picked = []
    for g, target in enumerate(groups):
        members = annotated.loc[annotated["target"] == target]
        rows = members.iloc[np.sort(rng.choice(len(members), design.compounds_per_target, replace=False))]
        role = "consistent" if g < design.consistent_targets else "inconsistent"
        picked.append(rows.assign(role=role, planted_target=target))
    n_rest = design.n_compounds - n_groups * design.compounds_per_target
    n_unannotated = int(round(design.unannotated_fraction * n_rest))
    n_other = n_rest - n_unannotated
    singles = annotated.loc[~annotated["target"].isin(groups)].drop_duplicates("target")
    bare = cand.loc[cand["target"].isna()]
    if len(singles) < n_other or len(bare) < n_unannotated:
        raise ValueError(
            f"label tables: need {n_other} compounds with distinct unshared targets and "
            f"{n_unannotated} without targets; found {len(singles)} and {len(bare)}"
        )
    for pool, size, role in ((singles, n_other, "other"), (bare, n_unannotated, "unannotated")):
        rows = pool.iloc[np.sort(rng.choice(len(pool), size, replace=False))]
        picked.append(rows.assign(role=role))
    out = pd.concat(picked, ignore_index=True)
    if "planted_target" not in out:
        out["planted_target"] = np.nan
    return out


def _choose_hub_compounds(
    drugs: pd.DataFrame, samples: pd.DataFrame, design: SyntheticDesign, rng: np.random.Generator
) -> pd.DataFrame:
    """``n_compounds`` compounds of the label tables with their own target lists (columns of
    :func:`choose_compounds`); ``target`` is the compound's label after the authors' merge
    ("|"-joined genes, NaN when not annotated)."""
    labels, _ = merge_labels(drugs, samples)
    target_of = labels.set_index("broad_id")["target"]
    s = samples.loc[samples["broad_id"].notna() & ~samples["broad_id"].str.contains("|", regex=False)]
    s = s.loc[s["broad_id"].str.len() == 22].sort_values("broad_id").drop_duplicates("pert_iname")
    s = s.loc[~truncate_broad_id(s["broad_id"]).duplicated(keep=False)]
    s = s.merge(drugs[["pert_iname", "moa"]].drop_duplicates("pert_iname"), on="pert_iname")
    s = s.assign(target=truncate_broad_id(s["broad_id"]).map(target_of))
    annotated, bare = s.loc[s["target"].notna()], s.loc[s["target"].isna()]
    n_bare = int(round(design.unannotated_fraction * design.n_compounds))
    n_annotated = design.n_compounds - n_bare
    if len(annotated) < n_annotated or len(bare) < n_bare:
        raise ValueError(
            f"label tables: need {n_annotated} annotated and {n_bare} unannotated compounds "
            f"(cpg0004.synthetic_design, compound_source hub); found {len(annotated)} and "
            f"{len(bare)}"
        )
    picked = pd.concat([
        annotated.iloc[np.sort(rng.choice(len(annotated), n_annotated, replace=False))],
        bare.iloc[np.sort(rng.choice(len(bare), n_bare, replace=False))],
    ], ignore_index=True)
    genes = picked["target"].str.split("|")
    counts = genes.explode().value_counts()
    eligible = np.array(sorted(counts.index[counts >= design.compounds_per_target]))
    if len(eligible) < design.consistent_targets:
        raise ValueError(
            f"label tables: only {len(eligible)} targets are carried by >= "
            f"{design.compounds_per_target} of the chosen compounds; the design needs "
            f"{design.consistent_targets} consistent targets"
        )
    consistent = list(rng.choice(eligible, size=design.consistent_targets, replace=False))
    planted = [next((g for g in consistent if isinstance(gs, list) and g in gs), np.nan)
               for gs in genes]
    role = np.where(pd.notna(planted), "consistent",
                    np.where(picked["target"].notna(), "other", "unannotated"))
    out = picked.rename(columns={"broad_id": "broad_sample"})
    out = out[["broad_sample", "pert_iname", "moa", "target", "InChIKey"]]
    return out.assign(role=role, planted_target=planted)


def fallback_repurposing_tables(design: SyntheticDesign) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small drugs and samples tables with the Repurposing Hub columns, for when the real ones are
    absent. Ids follow the real pattern (``BRD-K900xxxxx-001-01-x``); no id of the 2020-03-24
    samples table starts with ``BRD-K9000``.

    Holds enough single-target compounds for ``design``: every target group has one spare
    compound, and every other compound its own target or none.
    """
    n_groups = design.consistent_targets + design.inconsistent_targets
    rows = []
    for g in range(n_groups + 2):
        members = design.compounds_per_target + 1
        rows += [(f"GENE{g + 1:03d}", f"synthetic ligand {g + 1}") for _ in range(members)]
    n_rest = design.n_compounds
    rows += [(f"SOLO{i + 1:03d}", f"synthetic solo {i + 1}") for i in range(n_rest)]
    rows += [(np.nan, np.nan) for _ in range(n_rest)]
    names = [f"synthetic-compound-{i + 1:04d}" for i in range(len(rows))]
    drugs = pd.DataFrame(
        {
            "pert_iname": names,
            "clinical_phase": "Preclinical",
            "moa": [moa for _, moa in rows],
            "target": [t for t, _ in rows],
            "disease_area": np.nan,
            "indication": np.nan,
        }
    )
    ids = [f"BRD-K{90000000 + i:08d}-001-01-{i % 10}" for i in range(len(rows))]
    samples = pd.DataFrame(
        {
            "broad_id": ids,
            "pert_iname": names,
            "qc_incompatible": "0",
            "purity": "99.0",
            "vendor": "synthetic",
            "catalog_no": np.nan,
            "vendor_name": names,
            "expected_mass": "300.0",
            "smiles": np.nan,
            "InChIKey": np.nan,
            "pubchem_cid": np.nan,
            "deprecated_broad_id": np.nan,
        }
    )
    return drugs, samples


def generate_profiles(
    compounds: pd.DataFrame, design: SyntheticDesign, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Replicate-level and consensus profiles of a LINCS-like experiment with planted signal.

    Parameters
    ----------
    compounds : :func:`choose_compounds` output (``n_compounds`` rows).
    design : sizes and signal.
    seed : seeds every random draw.

    Returns
    -------
    profiles : one row per well (plates x (compounds x 6 doses + DMSO)), the LINCS level-4
        metadata columns plus ``Metadata_dose_recode`` and the features.
    consensus : median over replicate plates, of profiles centred on their plate's median, per
        plate map, compound, well and dose (the lincs-cell-painting consensus strata), DMSO
        included per well.
    truth : per compound: ``Metadata_broad_sample``, ``pert_iname``, ``target``, ``role``,
        ``planted_target``, ``active`` and ``potency`` (per-feature RMS shift at dose 6).
    """
    design.check()
    if len(compounds) != design.n_compounds:
        raise ValueError(f"compounds: expected {design.n_compounds} rows, got {len(compounds)}")
    rng = np.random.default_rng(seed)
    dim = design.n_features
    features = feature_names(dim)
    n = len(compounds)

    # planted truth: which compounds are active, and their direction of effect
    role = compounds["role"].to_numpy()
    active = (role == "consistent") | (rng.random(n) < design.active_fraction)
    direction = unit_vectors(rng, n, dim)
    targets = sorted(compounds.loc[role == "consistent", "planted_target"].unique())
    target_dir = dict(zip(targets, unit_vectors(rng, len(targets), dim)))
    for i in np.flatnonzero(role == "consistent"):
        shared = target_dir[compounds["planted_target"].iat[i]]
        mixed = np.sqrt(design.shared_weight) * shared + np.sqrt(1 - design.shared_weight) * direction[i]
        direction[i] = mixed / np.linalg.norm(mixed)
    potency = design.effect * rng.uniform(1 - design.effect_spread, 1 + design.effect_spread, n)
    shift = np.where(active[:, None], potency[:, None] * np.sqrt(dim) * direction, 0.0)

    # layout: compounds shuffled onto plate maps; DMSO spread over the plate, doses side by side
    order = rng.permutation(n)
    wells = well_names()
    dmso_wells = [wells[i] for i in np.linspace(0, 383, design.dmso_per_plate).round().astype(int)]
    free = [w for w in wells if w not in set(dmso_wells)]
    levels = np.arange(1, len(DOSE_CONCENTRATIONS) + 1)
    rows, signal = [], []
    plate_no = 0
    for m in range(design.plate_maps):
        map_name = f"C-7161-01-LM6-{m + 1:03d}"
        members = order[m * design.compounds_per_plate_map : (m + 1) * design.compounds_per_plate_map]
        layout = [(w, None, 0) for w in dmso_wells]
        for k, c in enumerate(members):
            for d in levels:
                layout.append((free[k * len(levels) + d - 1], c, d))
        for _ in range(design.replicates):
            plate = f"SQ{15100 + plate_no:08d}"
            plate_no += 1
            for well, c, d in layout:
                rows.append(_well_metadata(compounds, c, d, map_name, plate, well))
                signal.append(np.zeros(dim) if c is None else shift[c] * d / len(levels))
    meta = pd.DataFrame(rows, columns=list(PROFILE_METADATA))
    plate_codes, plates = pd.factorize(meta["Metadata_Plate"])
    offsets = design.plate_effect * rng.standard_normal((len(plates), dim))
    values = np.asarray(signal) + offsets[plate_codes] + rng.standard_normal((len(meta), dim))
    profiles = pd.concat([meta, pd.DataFrame(values, columns=features)], axis=1)

    # The published consensus is built from whole-plate normalised profiles: centre each plate on
    # its median well before taking the median over replicate plates.
    centred = profiles[features] - profiles.groupby("Metadata_Plate")[features].transform("median")
    centred = pd.concat([profiles[list(CONSENSUS_METADATA)], centred], axis=1)
    consensus = (
        centred.groupby(list(CONSENSUS_METADATA), dropna=False, sort=True)[features]
        .median()
        .reset_index()
    )
    truth = pd.DataFrame(
        {
            "Metadata_broad_sample": compounds["broad_sample"].to_numpy(),
            "pert_iname": compounds["pert_iname"].to_numpy(),
            "target": compounds["target"].to_numpy(),
            "role": role,
            "planted_target": compounds["planted_target"].to_numpy(),
            "active": active,
            "potency": np.where(active, potency, 0.0),
        }
    )
    return profiles, consensus, truth


def write_csv_gz(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a generated table as gzipped CSV, atomically, at gzip level 1: at the real size
    (50,400 wells x 609 features) level 9, pandas' default, takes twice the CPU time for 7%
    smaller files. The values are the same as with any level."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    table.to_csv(tmp, index=False, compression={"method": "gzip", "compresslevel": 1})
    os.replace(tmp, path)


def _well_metadata(
    compounds: pd.DataFrame, c: int | None, dose: int, map_name: str, plate: str, well: str
) -> list:
    """The LINCS metadata of one well (order of PROFILE_METADATA)."""
    batch = [plate, well, plate, map_name, 1, "2016-04-01"]
    if c is None:
        return [map_name, DMSO, 0.0, 0.0, "DMSO", np.nan, np.nan, well, np.nan, "A549", "control",
                "DMSO", "control", np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan,
                *batch, 0]
    row = compounds.iloc[c]
    sample = row["broad_sample"]
    compound_id = sample[:13]
    conc = DOSE_CONCENTRATIONS[dose - 1]
    inchi = row["InChIKey"][:14] if isinstance(row["InChIKey"], str) else np.nan
    return [map_name, sample, round(conc * 0.3, 6), conc, "DMSO", compound_id, sample, well, np.nan,
            "A549", "trt", "DMSO", "trt", compound_id, inchi, row["moa"], row["target"],
            "broad_id_20170327", np.nan, np.nan, *batch, dose]


# Dose levels written by the generator must be what the pipeline recodes from concentrations.
assert all(
    int(np.abs(np.asarray(PRIMARY_DOSES) - c).argmin()) + 1 == d
    for d, c in enumerate(DOSE_CONCENTRATIONS, start=1)
)
