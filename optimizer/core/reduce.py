"""Reductions shared by the models: truncating rows, merging identical rows, nearest sites."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from optimizer.core.arrays import BoolArray, FloatArray, IntArray

__all__ = ["merge_identical_rows", "nearest_open", "select_entries"]


def select_entries(matrix: sp.csr_array, keep: BoolArray, columns: IntArray) -> sp.csr_array:
    """Keep the stored entries flagged in ``keep`` and renumber columns with ``columns``.

    Explicit zeros survive.

    Parameters
    ----------
    matrix
        The sparse matrix.
    keep
        Boolean aligned with ``matrix.data``: the entries to keep.
    columns
        Old column → new column (the kept entries must map to ``>= 0``).
    """
    n_rows = matrix.shape[0]
    row_of = np.repeat(np.arange(n_rows, dtype=np.intp), np.diff(matrix.indptr))
    row_counts = np.bincount(row_of[keep], minlength=n_rows)
    indptr = np.zeros(n_rows + 1, dtype=np.intp)
    np.cumsum(row_counts, out=indptr[1:])
    new_cols = columns[matrix.indices[keep]]
    n_cols = max(int(columns.max()) + 1, 0) if columns.size else 0
    out = sp.csr_array((matrix.data[keep], new_cols, indptr), shape=(n_rows, n_cols))
    out.sort_indices()
    return out


def merge_identical_rows(
    matrix: sp.csr_array, key: FloatArray | None = None
) -> tuple[IntArray, IntArray]:
    """Group rows with identical stored entries (and equal ``key``).

    Returns ``(representatives, inverse)``: the first row of each group, in row order, and for
    every row the index of its group. Rows must have sorted indices.
    """
    groups: dict[bytes, int] = {}
    inverse = np.empty(matrix.shape[0], dtype=np.intp)
    reps: list[int] = []
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    for i in range(matrix.shape[0]):
        start, end = indptr[i], indptr[i + 1]
        k = indices[start:end].tobytes() + b"|" + data[start:end].tobytes()
        if key is not None:
            k += b"|" + key[i].tobytes()
        g = groups.setdefault(k, len(reps))
        if g == len(reps):
            reps.append(i)
        inverse[i] = g
    return np.asarray(reps, dtype=np.intp), inverse


def nearest_open(costs: sp.csr_array, open_mask: BoolArray) -> IntArray:
    """For every row, the open column with the lowest cost (ties: lowest column), or −1."""
    coo = costs.tocoo()
    rows = np.asarray(coo.row, dtype=np.intp)
    cols = np.asarray(coo.col, dtype=np.intp)
    vals = np.asarray(coo.data, dtype=np.float64)
    keep = open_mask[cols]
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    order = np.lexsort((cols, vals, rows))
    rows, cols = rows[order], cols[order]
    first = np.ones(rows.size, dtype=np.bool_)
    first[1:] = rows[1:] != rows[:-1]
    out = np.full(costs.shape[0], -1, dtype=np.intp)
    out[rows[first]] = cols[first]
    return out
