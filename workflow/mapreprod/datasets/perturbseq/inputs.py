"""Perturb-seq inputs (GEO GSE132080 and the Jost et al. 2020 supplement): names, readers, checks.

The real files, as the authors download them (docs/methods.md §7):

* ``GSE132080_10X_matrix.mtx.gz``: MatrixMarket ``coordinate integer general`` UMI counts, genes
  (rows) x cell barcodes (columns), the layout Cell Ranger writes.
* ``GSE132080_10X_genes.tsv.gz``: one line per matrix row, tab-separated, no header: gene id,
  gene symbol (and, in Cell Ranger 3 ``features.tsv``, a feature type, which is ignored).
* ``GSE132080_10X_barcodes.tsv.gz``: one cell barcode per matrix column (``ACGT...-<gem group>``).
* ``GSE132080_cell_identities.csv.gz``: one row per cell barcode with the guide read out in it,
  columns :data:`IDENTITY_COLUMNS`; multiplets have ``guide_identity`` "*".
* ``41587_2019_387_MOESM3_ESM.zip``: holds ``Table_S16_perturb-seq_screen_phenotypes.txt``, a
  tab-separated table with an unnamed id column and :data:`PHENOTYPE_COLUMNS`.

:func:`read_10x` is Seurat's ``Read10X`` (gene symbols, R's ``make.unique``) followed by the
feature renaming of ``CreateSeuratObject`` (underscores become dashes), into an AnnData of
cells x genes. Every reader names the file and column it rejects.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse as sp

#: GEO series of the Perturb-seq experiment.
GSE_ID = "GSE132080"
#: Input files (resources/perturbseq/<file>), by role.
FILES: dict[str, str] = {
    "matrix": f"{GSE_ID}_10X_matrix.mtx.gz",
    "genes": f"{GSE_ID}_10X_genes.tsv.gz",
    "barcodes": f"{GSE_ID}_10X_barcodes.tsv.gz",
    "identities": f"{GSE_ID}_cell_identities.csv.gz",
    "supplement": "41587_2019_387_MOESM3_ESM.zip",
}
#: The table of the Jost et al. supplement with the per-guide activities.
PHENOTYPE_TABLE = "Table_S16_perturb-seq_screen_phenotypes.txt"
#: Columns of the cell identity table, in file order.
IDENTITY_COLUMNS: tuple[str, ...] = (
    "cell_barcode",
    "guide_identity",
    "read_count",
    "UMI_count",
    "coverage",
    "gemgroup",
    "good_coverage",
    "number_of_cells",
)
#: Named columns of Table S16 (the first column has an empty header and holds the guide id).
PHENOTYPE_COLUMNS: tuple[str, ...] = (
    "sequence",
    "gene",
    "gamma_day5",
    "gamma_day10",
    "relative_activity_day5",
    "relative_activity_day10",
)
#: ``guide_identity`` of cells with more than one guide.
MULTIPLET = "*"
#: Gene identity of the non-targeting guides (``neg_ctrl_non-targeting_00028`` -> "neg").
NEGATIVE = "neg"
#: Metadata columns of the analysis tables (the authors' names).
GUIDE = "Metadata_guide_identity"
GENE = "Metadata_gene_identity"
CELL = "Metadata_cell_identity"
BARCODE = "Metadata_barcode"
REFERENCE = "Metadata_reference_index"
GEMGROUP = "Metadata_gemgroup"
GOOD_COVERAGE = "Metadata_good_coverage"

__all__ = [
    "BARCODE",
    "CELL",
    "FILES",
    "GEMGROUP",
    "GENE",
    "GOOD_COVERAGE",
    "GSE_ID",
    "GUIDE",
    "IDENTITY_COLUMNS",
    "MULTIPLET",
    "NEGATIVE",
    "PHENOTYPE_COLUMNS",
    "PHENOTYPE_TABLE",
    "REFERENCE",
    "gene_identity",
    "r_make_unique",
    "read_10x",
    "read_cell_identities",
    "read_screen_phenotypes",
    "seurat_feature_names",
]


def r_make_unique(names: Iterable[str], sep: str = ".") -> list[str]:
    """R's ``make.unique``: the 2nd, 3rd, ... copy of a name gets ``sep`` and the first free
    counter (``a, a, a`` -> ``a, a.1, a.2``), never a name already in the list
    (``a, a, a.1`` -> ``a, a.2, a.1``). First occurrences keep their names."""
    names = [str(n) for n in names]
    taken = set(names)
    counters: dict[str, int] = {}
    seen: set[str] = set()
    out = []
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
            continue
        cnt = counters.get(name, 1)
        while f"{name}{sep}{cnt}" in taken:
            cnt += 1
        new = f"{name}{sep}{cnt}"
        taken.add(new)
        counters[name] = cnt + 1
        out.append(new)
    return out


def seurat_feature_names(symbols: Iterable[str]) -> list[str]:
    """Feature names as Seurat has them: ``Read10X`` makes the symbols unique (R's
    ``make.unique``), then ``CreateSeuratObject`` replaces every "_" with "-"."""
    return [name.replace("_", "-") for name in r_make_unique(symbols)]


def _read_lines_table(path: str | os.PathLike, what: str, min_columns: int) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t", header=None, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as err:
        raise ValueError(f"{path}: empty {what} file") from err
    if table.shape[1] < min_columns:
        raise ValueError(
            f"{path}: a {what} file needs {min_columns} tab-separated column(s), found "
            f"{table.shape[1]}"
        )
    return table


def _counts_to_csr(holder: list, path: str | os.PathLike) -> sp.csr_matrix:
    """Cells x genes CSR float32 counts from the genes x cells coordinate matrix (passed in a
    one-item list, emptied here so its memory is released early), without sorting when the file
    is column-major (as Cell Ranger writes it); zeros are dropped."""
    coo = holder.pop()
    row, col = (coo.coords if hasattr(coo, "coords") else (coo.row, coo.col))
    data = coo.data
    # An "integer" MatrixMarket field is read as integers; a "real" one must hold whole numbers.
    whole = np.issubdtype(data.dtype, np.integer) or bool(np.all(np.mod(data, 1) == 0))
    if data.size and (data.min() < 0 or not whole):
        raise ValueError(f"{path}: counts must be non-negative integers (UMI counts)")
    n_genes, n_cells = coo.shape
    if data.size == 0 or np.all(col[1:] >= col[:-1]):
        indptr = np.zeros(n_cells + 1, dtype=np.int64)
        np.cumsum(np.bincount(col, minlength=n_cells), out=indptr[1:])
        del col
        values = data.astype(np.float32)
        del data
        indices = row.astype(np.int32, copy=False)
        del row, coo
        csc = sp.csc_matrix((values, indices, indptr), shape=(n_genes, n_cells))
    else:
        csc = sp.csc_matrix(coo, dtype=np.float32)
        del coo, row, col, data
    csc.eliminate_zeros()
    return csc.T.tocsr()


def read_10x(
    matrix: str | os.PathLike, genes: str | os.PathLike, barcodes: str | os.PathLike
):
    """Read a 10X triple into an AnnData of cells x genes (Seurat's ``Read10X``).

    Parameters
    ----------
    matrix : MatrixMarket file (``.mtx`` or ``.mtx.gz``), genes x cells, integer counts.
    genes : genes/features file; column 1 is the gene id, column 2 the symbol.
    barcodes : one barcode per line.

    Returns
    -------
    AnnData
        ``X``: CSR float32 counts (exact for counts below 2**24); ``obs_names``: barcodes;
        ``var_names``: :func:`seurat_feature_names` of the symbols; ``var``: ``gene_ids`` and
        ``gene_symbols`` as in the file.

    Raises
    ------
    ValueError
        If a file is empty or malformed, the counts are not non-negative integers, or the matrix
        shape does not match the number of genes and barcodes.
    """
    import anndata as ad

    gene_table = _read_lines_table(genes, "genes", 2)
    barcode_table = _read_lines_table(barcodes, "barcodes", 1)
    try:
        coo = scipy.io.mmread(str(matrix), spmatrix=False)
    except Exception as err:  # scipy raises ValueError/OSError with terse messages
        raise ValueError(f"{matrix}: not a readable MatrixMarket file ({err})") from err
    if not sp.issparse(coo):
        raise ValueError(f"{matrix}: expected a sparse 'coordinate' MatrixMarket matrix")
    if coo.shape != (len(gene_table), len(barcode_table)):
        raise ValueError(
            f"{matrix}: matrix is {coo.shape[0]} genes x {coo.shape[1]} cells, but {genes} "
            f"lists {len(gene_table)} genes and {barcodes} {len(barcode_table)} barcodes"
        )
    dup = barcode_table[0].duplicated()
    if dup.any():
        raise ValueError(f"{barcodes}: duplicated barcode(s) {barcode_table[0][dup].tolist()[:3]}")
    holder = [coo]
    del coo  # the conversion frees the coordinate arrays as soon as the CSR matrix exists
    x = _counts_to_csr(holder, matrix)
    var = pd.DataFrame(
        {"gene_ids": gene_table[0].to_numpy(), "gene_symbols": gene_table[1].to_numpy()},
        index=pd.Index(seurat_feature_names(gene_table[1]), dtype=object),
    )
    obs = pd.DataFrame(index=pd.Index(barcode_table[0].to_numpy(), dtype=object))
    return ad.AnnData(X=x, obs=obs, var=var)


def gene_identity(guides: pd.Series) -> pd.Series:
    """Target gene of each guide: the guide identity up to the first "_" (the authors'
    ``str(x).split("_")[0]``): ``RAN_RAN_+_131356438.23-P1P2_12`` -> RAN,
    ``neg_ctrl_non-targeting_00089`` -> neg, ``*`` -> ``*``; a missing guide gives "nan"."""
    return pd.Series([str(g).split("_")[0] for g in guides], index=guides.index, dtype=object)


def read_cell_identities(path: str | os.PathLike) -> pd.DataFrame:
    """The cell identity table, checked: every column of :data:`IDENTITY_COLUMNS`, one row per
    barcode, ``good_coverage`` boolean. Returned with the file's columns, unchanged."""
    table = pd.read_csv(path, sep=",")
    missing = [c for c in IDENTITY_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path}: cell identity table lacks column(s) {missing}; has {list(table.columns)}"
        )
    dup = table["cell_barcode"].duplicated()
    if dup.any():
        raise ValueError(
            f"{path}: column cell_barcode repeats barcode(s) {table.loc[dup, 'cell_barcode'].tolist()[:3]}"
        )
    good = table["good_coverage"]
    if good.dtype != bool:
        text = good.astype(str).str.strip().str.lower()
        if not text.isin(["true", "false", "nan"]).all():
            bad = good[~text.isin(["true", "false", "nan"])].iloc[0]
            raise ValueError(f"{path}: column good_coverage must be True/False, found {bad!r}")
        table["good_coverage"] = text.map({"true": True, "false": False})
    return table


def _phenotype_text(path: str | os.PathLike) -> tuple[bytes, str]:
    """Bytes of Table S16 and a name for messages, from the supplement zip or the text file."""
    path = str(path)
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            return handle.read(), path
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.namelist() if os.path.basename(m) == PHENOTYPE_TABLE]
        if not members:
            raise ValueError(
                f"{path}: the supplement has no {PHENOTYPE_TABLE}; it holds "
                f"{archive.namelist()[:10]}"
            )
        return archive.read(members[0]), f"{path}:{members[0]}"


def read_screen_phenotypes(path: str | os.PathLike) -> pd.DataFrame:
    """Table S16 of Jost et al. (per-guide growth phenotypes and relative activities).

    ``path`` is the supplement zip (the table is found by name inside it) or the extracted text
    file. As the authors read it: the unnamed first column becomes ``id`` and ``perturbation`` =
    ``gene + "_" + id`` is the guide identity of the cell identity table.

    Returns
    -------
    DataFrame with columns ``id``, :data:`PHENOTYPE_COLUMNS` and ``perturbation``.
    """
    raw, name = _phenotype_text(path)
    table = pd.read_csv(io.BytesIO(raw), sep="\t")
    table = table.rename(columns={"Unnamed: 0": "id"})
    missing = [c for c in ("id", *PHENOTYPE_COLUMNS) if c not in table.columns]
    if missing:
        raise ValueError(
            f"{name}: Table S16 lacks column(s) {missing} (the first column must have an empty "
            f"header); has {list(table.columns)}"
        )
    for col in ("relative_activity_day5", "relative_activity_day10", "gamma_day5", "gamma_day10"):
        if not pd.api.types.is_numeric_dtype(table[col]):
            raise ValueError(f"{name}: column {col} must be numeric")
    table["perturbation"] = table["gene"].astype(str) + "_" + table["id"].astype(str)
    dup = table["perturbation"].duplicated()
    if dup.any():
        raise ValueError(f"{name}: guide(s) listed twice: {table.loc[dup, 'perturbation'].tolist()[:3]}")
    return table[["id", *PHENOTYPE_COLUMNS, "perturbation"]]
