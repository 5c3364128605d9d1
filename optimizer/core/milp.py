"""A solver-neutral mixed-integer program in sparse matrix form, built with numpy.

Models append blocks of variables and blocks of rows given in coordinate form; nothing loops
over matrix entries in Python. Every model is a minimisation (maximising models negate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from optimizer.core.arrays import FloatArray, IntArray

__all__ = ["Milp", "MilpBuilder"]


@dataclass(frozen=True)
class Milp:
    """``min c·x + offset`` s.t. ``row_lo <= A x <= row_hi``, ``col_lo <= x <= col_hi``."""

    cost: FloatArray
    offset: float
    matrix: sp.csr_array
    row_lo: FloatArray
    row_hi: FloatArray
    col_lo: FloatArray
    col_hi: FloatArray
    integer: NDArray[np.bool_]

    @property
    def n_col(self) -> int:
        """Number of variables."""
        return int(self.cost.size)

    @property
    def n_row(self) -> int:
        """Number of constraints."""
        return int(self.row_lo.size)

    def with_rows(self, matrix: sp.csr_array, lo: ArrayLike, hi: ArrayLike) -> Milp:
        """Return a copy with extra rows appended (used for no-good cuts).

        Parameters
        ----------
        matrix
            The new rows, one column per column of the program.
        lo, hi
            Lower and upper bound of each new row.
        """
        stacked = sp.csr_array(sp.vstack([self.matrix, matrix], format="csr"))
        return Milp(
            cost=self.cost,
            offset=self.offset,
            matrix=stacked,
            row_lo=np.concatenate([self.row_lo, np.asarray(lo, dtype=np.float64)]),
            row_hi=np.concatenate([self.row_hi, np.asarray(hi, dtype=np.float64)]),
            col_lo=self.col_lo,
            col_hi=self.col_hi,
            integer=self.integer,
        )


@dataclass
class MilpBuilder:
    """Accumulates variable blocks and coordinate-form row blocks."""

    _cost: list[FloatArray] = field(default_factory=list)
    _lo: list[FloatArray] = field(default_factory=list)
    _hi: list[FloatArray] = field(default_factory=list)
    _int: list[NDArray[np.bool_]] = field(default_factory=list)
    _rows: list[IntArray] = field(default_factory=list)
    _cols: list[IntArray] = field(default_factory=list)
    _vals: list[FloatArray] = field(default_factory=list)
    _row_lo: list[FloatArray] = field(default_factory=list)
    _row_hi: list[FloatArray] = field(default_factory=list)
    n_col: int = 0
    n_row: int = 0
    offset: float = 0.0

    def add_vars(
        self,
        n: int,
        *,
        cost: ArrayLike = 0.0,
        lo: ArrayLike = 0.0,
        hi: ArrayLike = 1.0,
        integer: bool = False,
    ) -> IntArray:
        """Add ``n`` variables; returns their column indices.

        Parameters
        ----------
        n
            Number of variables.
        cost
            Objective coefficient (minimised), one for all or one per variable.
        lo, hi
            Bounds, one for all or one per variable.
        integer
            Whether the variables are integer.
        """
        first = self.n_col
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (n,)).copy())
        self._lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,)).copy())
        self._hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,)).copy())
        self._int.append(np.full(n, integer, dtype=np.bool_))
        self.n_col += n
        return np.arange(first, first + n, dtype=np.intp)

    def add_rows(
        self,
        n: int,
        rows: ArrayLike,
        cols: ArrayLike,
        vals: ArrayLike,
        *,
        lo: ArrayLike = -np.inf,
        hi: ArrayLike = np.inf,
    ) -> IntArray:
        """Add ``n`` rows from coordinates; returns their row indices.

        Parameters
        ----------
        n
            Number of rows.
        rows, cols, vals
            Coordinates of the coefficients: ``rows`` numbered ``0 … n-1`` within the block,
            ``cols`` the program's columns.
        lo, hi
            Bounds of the rows, one for all or one per row.
        """
        first = self.n_row
        r = np.asarray(rows, dtype=np.intp)
        self._rows.append(r + first)
        self._cols.append(np.asarray(cols, dtype=np.intp))
        self._vals.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), r.shape).copy())
        self._row_lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,)).copy())
        self._row_hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,)).copy())
        self.n_row += n
        return np.arange(first, first + n, dtype=np.intp)

    def build(self) -> Milp:
        """Assemble the `Milp`."""

        def cat(parts: list[FloatArray]) -> FloatArray:
            return np.concatenate(parts) if parts else np.zeros(0)

        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, dtype=np.intp)
        cols = np.concatenate(self._cols) if self._cols else np.zeros(0, dtype=np.intp)
        vals = cat(self._vals)
        matrix = sp.csr_array((vals, (rows, cols)), shape=(self.n_row, self.n_col))
        matrix.sum_duplicates()
        return Milp(
            cost=cat(self._cost),
            offset=self.offset,
            matrix=matrix,
            row_lo=cat(self._row_lo),
            row_hi=cat(self._row_hi),
            col_lo=cat(self._lo),
            col_hi=cat(self._hi),
            integer=(np.concatenate(self._int) if self._int else np.zeros(0, dtype=np.bool_)),
        )
