"""The authors' cpg0016[orf] steps, re-done independently as a test oracle (copairs 0.5.5).

A paraphrase of ``experiments/4_cpg0016orf/1_phenotypic_activity_orf.py``,
``2_phenotypic_consistency_corum_complex.py`` and ``orf_utils.py`` of
carpenter-singh-lab/2024_Kalinin_mAP (read with the search tool): whole DataFrames, the same
pandas joins, queries and copairs calls, reading the input files as their script does. Nothing
here imports mapreprod.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

PROFILES = "profiles_wellpos_cc_var_mad_outlier_featselect_sphering_harmony.parquet"


def _metacols(df):
    return [c for c in df.columns if c.startswith("Metadata_")]


def _featcols(df):
    return [c for c in df.columns if not c.startswith("Metadata")]


def authors_filtered_wells(inputs: Path) -> pd.DataFrame:
    """``load_orf_data`` + ``add_annotations`` + ``filter_data``."""
    orf_df = pd.read_parquet(inputs / PROFILES)
    orf_meta = pd.read_csv(inputs / "orf_metadata.tsv.gz", sep="\t")
    compounds = pd.read_csv(inputs / "compound.csv.gz", usecols=["Metadata_JCP2022"]).assign(
        Metadata_pert_type=lambda x: np.where(
            x["Metadata_JCP2022"] == "JCP2022_999999", "empty", "poscon"
        )
    )
    metadata_df = pd.concat([orf_meta, compounds], join="outer", ignore_index=True)
    orf_df = orf_df.merge(metadata_df, on="Metadata_JCP2022", how="inner")
    # remove_empty_wells
    orf_df = orf_df.query("Metadata_pert_type!='empty'").reset_index(drop=True)
    orf_df = orf_df.dropna(subset=["Metadata_broad_sample"]).reset_index(drop=True)
    orf_df = orf_df.dropna(subset=["Metadata_Symbol"]).reset_index(drop=True)
    orf_df = orf_df.query('Metadata_pert_type!="poscon"').reset_index(drop=True)
    orf_df = orf_df.query('Metadata_broad_sample!="BAD CONSTRUCT"').reset_index(drop=True)
    # remove_nan_features
    _, c = np.where(orf_df.isna())
    drop = [x for x in list(orf_df.columns[list(set(c))]) if not x.startswith("Metadata_")]
    orf_df = orf_df.drop(drop, axis=1)
    platemap = pd.read_csv(
        inputs / "experiment-metadata.tsv", sep="\t", usecols=["Plate_Map_Name", "Assay_Plate_Barcode"]
    ).rename(columns={"Plate_Map_Name": "Metadata_plate_map_name",
                      "Assay_Plate_Barcode": "Metadata_Plate"})
    orf_df = orf_df.merge(platemap, on="Metadata_Plate", how="left")
    keys = ["Metadata_plate_map_name", "Metadata_Well", "Metadata_broad_sample"]
    reagents = pd.read_csv(
        inputs / "orf-reagents-low-infection-efficiency-and-outliers.csv.gz", usecols=keys
    )
    orf_df = (
        orf_df.merge(reagents, on=keys, how="left", indicator=True)
        .query('_merge=="left_only"')
        .drop(columns=["_merge"])
    )
    return orf_df


def authors_activity(orf_df: pd.DataFrame, null_size: int, fdr: float, seed: int, cache_dir):
    """``calculate_map``: copairs AP and mAP, negcons dropped in between."""
    from copairs.map import average_precision, mean_average_precision

    orf_df = orf_df.copy()
    orf_df["Metadata_negcon"] = np.where(orf_df["Metadata_pert_type"] == "negcon", 1, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = average_precision(
            orf_df[_metacols(orf_df)], orf_df[_featcols(orf_df)].values,
            ["Metadata_JCP2022"], [], ["Metadata_Plate"], ["Metadata_negcon"],
            batch_size=20000, progress_bar=False,
        )
        result = result.query('Metadata_pert_type!="negcon"').reset_index(drop=True)
        agg = mean_average_precision(
            result, ["Metadata_JCP2022"], null_size=null_size, threshold=fdr, seed=seed,
            progress_bar=False, cache_dir=cache_dir,
        )
    return result, agg


def authors_consensus(inputs: Path, activity: pd.DataFrame) -> pd.DataFrame:
    """``load_orf_annotations`` + ``merge_data`` + ``compute_consensus`` (the whole profile table)."""
    annotation = (
        pd.read_csv(inputs / "orf_metadata.tsv.gz", sep="\t")[
            ["Metadata_JCP2022", "Metadata_complexname", "Metadata_pert_type",
             "Metadata_NCBI_Gene_ID"]
        ]
        .dropna()
        .assign(col=lambda x: list(x["Metadata_complexname"].str.split("|")))
        .rename(columns={"col": "Metadata_corum_complex_list"})
    )
    profiles = pd.read_parquet(inputs / PROFILES)
    active = activity.query("below_corrected_p==True")
    df = profiles.merge(active[["Metadata_JCP2022"]], on="Metadata_JCP2022", how="inner")
    df = df.merge(annotation, on="Metadata_JCP2022", how="inner")
    # orf_utils.consensus
    by = "Metadata_NCBI_Gene_ID"
    metadata_df = df[_metacols(df)].drop_duplicates(subset=[by])
    medians = df[[by] + _featcols(df)].groupby([by]).median().reset_index()
    cons = metadata_df.merge(medians, on=by)
    cons.loc[:, "Metadata_corum_complex_list"] = cons.Metadata_corum_complex_list.apply(
        lambda x: list(set(x))
    )
    return cons


def authors_consistency(cons: pd.DataFrame, null_size: int, fdr: float, seed: int, cache_dir):
    """``compute_map``: copairs multilabel AP, mAP per complex."""
    from copairs.map import mean_average_precision, multilabel

    col = "Metadata_corum_complex_list"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = multilabel.average_precision(
            cons[_metacols(cons)], cons[_featcols(cons)].values, [col], [], [], [col],
            batch_size=20000, multilabel_col=col, progress_bar=False,
        )
        agg = mean_average_precision(
            result, [col], null_size, threshold=fdr, seed=seed, progress_bar=False,
            cache_dir=cache_dir,
        )
    return result, agg
