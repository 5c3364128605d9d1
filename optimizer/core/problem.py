"""The `Problem`: a demand × site cost matrix with weights, ids and site attributes.

Canonical form
--------------
Costs are stored as a ``scipy.sparse.csr_array`` of float64 whose *stored entries* are the
reachable demand–site pairs, including explicit zeros (a site at the demand's own location).
From dense input, every finite entry is stored and ``np.inf`` / NaN mean unreachable. From
sparse input, every stored entry is reachable (explicit zeros included: the matrix is never
passed through ``eliminate_zeros``), except stored ``inf`` / NaN, which are dropped.

Ids
---
``demand_ids`` and ``site_ids`` keep the caller's ids (any hashable values, e.g. township
codes as strings); they default to the integers ``0 … n-1``. Plans report ids, never positions.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.errors import InvalidProblemError

__all__ = ["Problem", "caller_ids", "cost_matrix"]


def cost_matrix(costs: Any) -> tuple[sp.csr_array, list[str]]:
    """Canonical CSR of reachable pairs, plus any problems found (see the module docstring)."""
    problems: list[str] = []
    if sp.issparse(costs):
        sparse: Any = costs
        coo = sp.coo_array(sparse)
        rows = np.asarray(coo.row, dtype=np.intp)
        cols = np.asarray(coo.col, dtype=np.intp)
        vals = np.asarray(coo.data, dtype=np.float64)
        shape = (int(coo.shape[0]), int(coo.shape[1]))
        keys = np.sort(rows * max(shape[1], 1) + cols)  # a sort: np.unique hashes slowly
        if (keys[1:] == keys[:-1]).any():
            problems.append("costs has duplicate stored entries for the same demand–site pair")
    else:
        dense = np.asarray(costs, dtype=np.float64)
        if dense.ndim != 2:
            msg = f"costs must be a 2-D matrix (demand × site), got {dense.ndim} dimension(s)"
            raise InvalidProblemError(msg)
        shape = (int(dense.shape[0]), int(dense.shape[1]))
        rows, cols = np.nonzero(np.isfinite(dense))
        rows = rows.astype(np.intp)
        cols = cols.astype(np.intp)
        vals = dense[rows, cols]
    keep = np.isfinite(vals)
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    if vals.size and vals.min() < 0:
        problems.append(f"costs must be >= 0, found {vals.min():.6g}")
    order = np.argsort(rows * max(shape[1], 1) + cols, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(shape[0] + 1, dtype=np.intp)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    csr = sp.csr_array((vals, cols, indptr), shape=shape)
    return csr, problems


def caller_ids(
    ids: Sequence[Hashable] | ArrayLike | None, n: int, what: str
) -> tuple[Hashable, ...]:
    """Return the caller's ids as a tuple, ``0 … n-1`` when ``ids`` is None.

    Parameters
    ----------
    ids
        One id per row or column, as given (any hashable values).
    n
        Number of rows or columns the ids must match.
    what
        Argument name for the error message (``"demand_ids"`` names rows, others columns).

    Raises
    ------
    InvalidProblemError
        When the count does not match ``n`` or the ids are not unique.
    """
    if ids is None:
        return tuple(range(n))
    out = tuple(ids) if isinstance(ids, Sequence) else tuple(np.asarray(ids).tolist())
    if len(out) != n:
        axis = "rows" if what == "demand_ids" else "columns"
        msg = f"{what} has {len(out)} ids but costs has {n} {axis}"
        raise InvalidProblemError(msg)
    if len(set(out)) != n:
        msg = f"{what} must be unique"
        raise InvalidProblemError(msg)
    return out


def _vector(values: ArrayLike | None, n: int, name: str, problems: list[str]) -> FloatArray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.size != n:
        problems.append(f"{name} has {arr.size} values, expected {n}")
        return None
    if np.isnan(arr).any() or (arr < 0).any():
        problems.append(f"{name} must be >= 0 and not NaN")
    return arr


@dataclass(frozen=True, eq=False)
class Problem:
    """A facility-location problem on a demand × site cost matrix.

    Build it with `Problem.from_matrix`; the fields are the validated canonical form.

    Attributes
    ----------
    costs
        CSR matrix (demand × site); stored entries are the reachable pairs.
    weights
        Demand weights (population); also the demand quantity in capacitated models.
    demand_ids, site_ids
        Caller ids of rows and columns.
    existing
        Boolean mask of sites already open (open at no cost, never counted in ``p``).
    site_cost
        Cost of selecting each site (e.g. ``upgrade_cost_cny``), or None.
    capacity
        Capacity of each site in weight units (``np.inf`` = unlimited), or None for
        uncapacitated models.
    groups
        Group label → sorted site positions (a site may be in several groups).
    """

    costs: sp.csr_array
    weights: FloatArray
    demand_ids: tuple[Hashable, ...]
    site_ids: tuple[Hashable, ...]
    existing: BoolArray
    site_cost: FloatArray | None
    capacity: FloatArray | None
    groups: Mapping[Hashable, IntArray]

    @classmethod
    def from_matrix(
        cls,
        costs: ArrayLike | sp.sparray | sp.spmatrix,
        weights: ArrayLike | None = None,
        *,
        demand_ids: Sequence[Hashable] | ArrayLike | None = None,
        site_ids: Sequence[Hashable] | ArrayLike | None = None,
        existing: Iterable[Hashable] | None = None,
        site_cost: ArrayLike | None = None,
        capacity: ArrayLike | None = None,
        groups: Mapping[Hashable, Iterable[Hashable]] | None = None,
    ) -> Problem:
        """Validate a cost matrix and its attributes into a `Problem`.

        Parameters
        ----------
        costs
            Demand × site costs (travel minutes). Dense: ``np.inf``/NaN = unreachable.
            Sparse (any scipy.sparse format): stored entries are reachable, explicit zeros
            included; missing entries are unreachable.
        weights
            Demand weights (population), default 1 for every demand.
        demand_ids, site_ids
            Ids for rows and columns, kept as given; default ``0 … n-1``.
        existing
            Site ids already open: open at no cost and outside ``p`` and ``budget``.
        site_cost
            Cost of selecting each site (same order as the columns), needed for ``budget``.
        capacity
            Capacity of each site in weight units (``np.inf`` for unlimited). When given,
            `solve` uses the capacitated variant of every model.
        groups
            Group label → site ids (e.g. county code → its candidate sites), for group limits.

        Returns
        -------
        Problem

        Raises
        ------
        InvalidProblemError
            With one line listing every problem found.
        """
        csr, problems = cost_matrix(costs)
        n_demand, n_site = csr.shape
        d_ids = caller_ids(demand_ids, n_demand, "demand_ids")
        s_ids = caller_ids(site_ids, n_site, "site_ids")
        w = _vector(weights, n_demand, "weights", problems)
        if w is not None and np.isinf(w).any():
            problems.append("weights must be finite")
        cost = _vector(site_cost, n_site, "site_cost", problems)
        if cost is not None and np.isinf(cost).any():
            problems.append("site_cost must be finite")
        cap = _vector(capacity, n_site, "capacity", problems)
        position = {sid: j for j, sid in enumerate(s_ids)}
        existing_mask = np.zeros(n_site, dtype=np.bool_)
        unknown: list[Hashable] = []
        for sid in existing or ():
            if sid in position:
                existing_mask[position[sid]] = True
            else:
                unknown.append(sid)
        if unknown:
            problems.append(f"existing names unknown site ids: {unknown[:5]!r}")
        group_sites: dict[Hashable, IntArray] = {}
        for label, group in (groups or {}).items():
            members = list(group)
            missing = [sid for sid in members if sid not in position]
            if missing:
                problems.append(f"group {label!r} names unknown site ids: {missing[:5]!r}")
                continue
            group_sites[label] = np.unique(
                np.array([position[sid] for sid in members], dtype=np.intp)
            )
        if problems:
            raise InvalidProblemError("; ".join(problems))
        return cls(
            costs=csr,
            weights=np.ones(n_demand) if w is None else w,
            demand_ids=d_ids,
            site_ids=s_ids,
            existing=existing_mask,
            site_cost=cost,
            capacity=cap,
            groups=group_sites,
        )

    @property
    def n_demand(self) -> int:
        """Number of demand points (rows)."""
        return int(self.costs.shape[0])

    @property
    def n_site(self) -> int:
        """Number of sites (columns)."""
        return int(self.costs.shape[1])

    def site_positions(self, ids: Iterable[Hashable] | None, what: str) -> IntArray:
        """Column positions of site ids; raises `InvalidProblemError` naming unknown ids."""
        if ids is None:
            return np.zeros(0, dtype=np.intp)
        if isinstance(ids, str | bytes):
            ids = [ids]
        position = {sid: j for j, sid in enumerate(self.site_ids)}
        wanted = list(ids)
        missing = [sid for sid in wanted if sid not in position]
        if missing:
            msg = f"{what} names unknown site ids: {missing[:5]!r}"
            raise InvalidProblemError(msg)
        return np.unique(np.array([position[sid] for sid in wanted], dtype=np.intp))
