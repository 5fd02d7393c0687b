"""Small generated cpg0016[orf] inputs for the tests (files in the real layout)."""

from __future__ import annotations

from pathlib import Path

from mapreprod.datasets.cpg0016orf import inputs, preprocess, standin

#: A small, fast design (about 1,100 wells, 40 features).
SMALL = standin.SyntheticDesign(
    plate_maps=3, orfs_per_plate_map=30, n_features=40, consistent_complexes=4,
    inconsistent_complexes=3, genes_per_complex=4, shared_genes=2, two_orf_genes=3,
    effect=0.8, low_infection_fraction=0.1,
)
JUMP_FILES = {
    "orf": "orf.csv.gz",
    "plate": "plate.csv.gz",
    "experiment": "experiment-metadata_production.tsv",
    "controls": "perturbation_control.csv",
}


def jump_metadata(real_dir: Path | None, design=SMALL, seed: int = 1) -> standin.JumpMetadata:
    """The real JUMP metadata in ``real_dir`` (../shared/data/cpg0016orf), else generated."""
    if real_dir is None:
        return standin.generated_jump_metadata(design, seed)
    return standin.load_jump_metadata(*(real_dir / JUMP_FILES[k] for k in JUMP_FILES))


def write_inputs(folder: Path, design=SMALL, seed: int = 1, real_dir: Path | None = None):
    """Generate and write every input file into ``folder``; returns the StandIn."""
    folder.mkdir(parents=True, exist_ok=True)
    data = standin.generate(design, jump_metadata(real_dir, design, seed), seed)
    standin.write_standin(data, {k: folder / name for k, name in standin.FILES.items()})
    return data


def read_and_filter(folder: Path):
    """Read the files in ``folder`` and apply the S7B filters: (profiles, filtered, steps)."""
    f = standin.FILES
    profiles = inputs.read_profiles(folder / f["profiles"])
    filtered, steps = preprocess.filter_profiles(
        profiles,
        inputs.read_orf_metadata(folder / f["orf_metadata"]),
        inputs.read_compounds(folder / f["compounds"]),
        inputs.read_experiment_metadata(folder / f["experiment"]),
        inputs.read_low_infection_reagents(folder / f["reagents"]),
    )
    return profiles, filtered, steps
