r"""p-median: minimise the total weighted cost of serving every demand from its nearest open site.

Uncapacitated: radius (level) formulation
-----------------------------------------
For each demand ``i`` let ``D_i^1 < D_i^2 < … < D_i^{K_i}`` be the distinct costs from ``i`` to
the free candidate sites, truncated at ``D_i^{K_i} = e_i``, the cost to the nearest *fixed
open* site (existing or required) when ``i`` reaches one. ``z_i^k = 1`` when no open site lies
within ``D_i^k`` (Cornuéjols, Nemhauser & Wolsey 1980; Elloumi 2010; in the per-level
"telescoped" form of García, Labbé & Marín 2011, which has one entry per reachable pair).

.. math::

    \min \; \sum_i w_i \Big( D_i^1 + \sum_{k=1}^{K_i-1} (D_i^{k+1} - D_i^k)\, z_i^k \Big)

subject to

1. ``z_i^1 + Σ_{j∈F: d_ij = D_i^1} y_j >= 1`` for every ``i`` whose first level is not ``e_i``
2. ``z_i^k - z_i^{k-1} + Σ_{j∈F: d_ij = D_i^k} y_j >= 0`` for ``k = 2 … K_i`` (no ``z_i^{K_i}``
   term: the last level must be reached; it is the fixed open site when ``D_i^{K_i} = e_i``,
   and then there is no row)
3. the shared count, budget and group rows of `optimizer.classic._selection`
4. ``y_j ∈ {0, 1}``, ``0 <= z_i^k <= 1``

Summing rows 1–2 up to ``k`` gives ``z_i^k >= 1 - Σ_{j: d_ij <= D_i^k} y_j``, so the program
charges each demand the cost of its nearest open site. Demand rows identical after truncation
(same reachable free sites, same costs, same ``e_i``) are merged and their weights summed.

With HiGHS, the uncapacitated model is not passed whole to the solver: `optimizer.classic._benders`
projects the ``z`` out and solves it by Benders decomposition on exactly these levels (same
optimum, much smaller master), with its own branch-and-cut (`optimizer.classic._branch`) when only a
count limits the sites. CBC receives the formulation above.

Capacitated (single sourcing)
-----------------------------
.. math:: \min \sum_{i,j} w_i d_{ij} x_{ij}

subject to the rows of `optimizer.classic._capacity` with ``Σ_j x_ij = 1`` and the shared rows.

Variables and parameters
------------------------
============  ==============================================================
``y_j``        1 if free candidate ``j ∈ F`` is selected
``z_i^k``      1 if demand ``i`` has no open site within ``D_i^k`` (continuous)
``x_ij``       1 if demand ``i`` is served by site ``j`` (capacitated)
``w_i``        demand weight (population)
``d_ij``       cost (travel minutes), only for reachable pairs
``D_i^k``      ``k``-th distinct cost of row ``i``; ``e_i`` cost to the nearest fixed open site
``Q_j``        capacity of site ``j``
============  ==============================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.classic._capacity import Formulation, add_assignment
from optimizer.classic._selection import Selection, add_selection_rows
from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.core.milp import MilpBuilder
from optimizer.core.problem import Problem
from optimizer.core.reduce import merge_identical_rows, select_entries

__all__ = ["RadiusLevels", "add_radius_chain", "formulate_median", "radius_levels"]


@dataclass(frozen=True)
class RadiusLevels:
    """Sorted distinct cost levels of the merged demand rows."""

    weight: FloatArray
    level_row: IntArray
    level_value: FloatArray
    is_cutoff: BoolArray
    first: BoolArray
    last: BoolArray
    entry_level: IntArray
    entry_site: IntArray

    @property
    def n_rows(self) -> int:
        """Number of merged demand rows."""
        return int(self.weight.size)


def radius_levels(problem: Problem, sel: Selection) -> RadiusLevels:
    """Truncate, merge and level the cost rows (see the module docstring)."""
    costs = problem.costs
    n = problem.n_demand
    rows = np.repeat(np.arange(n, dtype=np.intp), np.diff(costs.indptr))
    cols = np.asarray(costs.indices, dtype=np.intp)
    vals = np.asarray(costs.data, dtype=np.float64)
    at_fixed = sel.fixed_open[cols]
    cutoff = np.full(n, np.inf)
    np.minimum.at(cutoff, rows[at_fixed], vals[at_fixed])
    free_pos = sel.free_position(problem.n_site)
    keep = (free_pos[cols] >= 0) & (vals < cutoff[rows])
    sub = select_entries(costs, keep, free_pos)
    reps, inverse = merge_identical_rows(sub, key=cutoff)
    weight = np.bincount(inverse, weights=problem.weights, minlength=reps.size).astype(np.float64)
    sub = sub[reps]
    cutoff = cutoff[reps]
    m = reps.size
    e_rows = np.repeat(np.arange(m, dtype=np.intp), np.diff(sub.indptr))
    e_cols = np.asarray(sub.indices, dtype=np.intp)
    e_vals = np.asarray(sub.data, dtype=np.float64)
    order = np.lexsort((e_cols, e_vals, e_rows))
    e_rows, e_cols, e_vals = e_rows[order], e_cols[order], e_vals[order]
    new = np.ones(e_rows.size, dtype=np.bool_)
    new[1:] = (e_rows[1:] != e_rows[:-1]) | (e_vals[1:] != e_vals[:-1])
    entry_level = np.cumsum(new) - 1
    finite = np.flatnonzero(np.isfinite(cutoff))
    level_row = np.concatenate([e_rows[new], finite])
    level_value = np.concatenate([e_vals[new], cutoff[finite]])
    is_cutoff = np.concatenate(
        [np.zeros(int(new.sum()), dtype=np.bool_), np.ones(finite.size, dtype=np.bool_)]
    )
    # Entry levels are sorted by (row, value) already and a row's cutoff lies above all of its
    # entries, so a stable sort on the row alone orders the levels (two sorted runs: fast).
    level_order = np.argsort(level_row, kind="stable")
    position = np.empty_like(level_order)
    position[level_order] = np.arange(level_order.size)
    level_row, level_value, is_cutoff = (
        level_row[level_order],
        level_value[level_order],
        is_cutoff[level_order],
    )
    first = np.ones(level_row.size, dtype=np.bool_)
    first[1:] = level_row[1:] != level_row[:-1]
    last = np.ones(level_row.size, dtype=np.bool_)
    last[:-1] = level_row[1:] != level_row[:-1]
    return RadiusLevels(
        weight=weight,
        level_row=level_row,
        level_value=level_value,
        is_cutoff=is_cutoff,
        first=first,
        last=last,
        entry_level=position[entry_level],
        entry_site=e_cols,
    )


def add_radius_chain(
    builder: MilpBuilder, levels: RadiusLevels, y_cols: IntArray, z_cost: FloatArray
) -> IntArray:
    """Add the ``z`` variables and rows 1–2; returns the ``z`` column of each level (−1: none).

    Parameters
    ----------
    builder
        The program being built.
    levels
        The radius levels of every demand row (`radius_levels`).
    y_cols
        Column of each free site's ``y`` variable.
    z_cost
        Objective coefficient of every level that has a ``z`` variable (all but the last
        level of each row), in level order.
    """
    has_z = ~levels.last
    z = builder.add_vars(int(has_z.sum()), cost=z_cost, lo=0.0, hi=1.0)
    z_of = np.full(levels.level_row.size, -1, dtype=np.intp)
    z_of[has_z] = z
    con = ~levels.is_cutoff
    con_of = np.full(levels.level_row.size, -1, dtype=np.intp)
    con_of[con] = np.arange(int(con.sum()), dtype=np.intp)
    own = np.flatnonzero(con & has_z)
    prev = np.flatnonzero(con & ~levels.first)
    builder.add_rows(
        int(con.sum()),
        np.concatenate([con_of[levels.entry_level], con_of[own], con_of[prev]]),
        np.concatenate([y_cols[levels.entry_site], z_of[own], z_of[prev - 1]]),
        np.concatenate([np.ones(levels.entry_level.size), np.ones(own.size), -np.ones(prev.size)]),
        lo=np.where(levels.first[con], 1.0, 0.0),
    )
    return z_of


def formulate_median(problem: Problem, sel: Selection) -> Formulation:
    """Build the p-median program (uncapacitated or capacitated, see the module docstring)."""
    builder = MilpBuilder()
    y = builder.add_vars(sel.free.size, integer=True)
    add_selection_rows(builder, problem, sel, y)
    if problem.capacity is not None:
        block = add_assignment(
            builder, problem, sel, y, threshold=None, must_serve=True, x_cost="weighted_cost"
        )
        return Formulation(builder.build(), y, block)
    levels = radius_levels(problem, sel)
    has_z = ~levels.last
    step = np.zeros(levels.level_row.size)
    step[:-1] = levels.level_value[1:] - levels.level_value[:-1]
    z_cost = (levels.weight[levels.level_row] * step)[has_z]
    add_radius_chain(builder, levels, y, z_cost)
    builder.offset += float(
        (levels.weight[levels.level_row] * levels.level_value)[levels.first].sum()
    )
    return Formulation(builder.build(), y)
