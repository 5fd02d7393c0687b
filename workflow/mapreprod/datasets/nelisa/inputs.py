"""nELISA and Cell Painting inputs: column names, the two assays and how each is labelled."""

from __future__ import annotations

from dataclasses import dataclass

PERT = "Metadata_broad_sample"


TARGET_LIST = "Metadata_target_list"


TARGET = "Metadata_target"


CONTROL_INDEX = "Metadata_control_index"


NEGCON = "Metadata_control_type == 'negcon'"


MISSING_PERT = "NA"


#: Columns of the activity / consistency result tables (the authors' csv files).
RESULT_COLUMNS = [
    "mAP",
    "p_value",
    "corrected_p_value",
    "below_p",
    "p < 0.05",
    "-log10(mAP p-value)",
]


@dataclass(frozen=True)
class AssaySpec:
    """How one assay's profiles are preprocessed and labelled."""

    label: str
    plate_col: str
    feature_select: bool


#: The two assays, in the paper's column order (Cell Painting | nELISA).
ASSAYS: dict[str, AssaySpec] = {
    "cellpainting": AssaySpec("Cell Painting", "Metadata_Plate", feature_select=True),
    "nelisa": AssaySpec("nELISA", "Metadata_nelisa_plate_id", feature_select=False),
}


def assay_spec(name: str) -> AssaySpec:
    if name not in ASSAYS:
        raise ValueError(
            f"unknown assay {name!r} (config key nelisa.assays): use {list(ASSAYS)}"
        )
    return ASSAYS[name]
