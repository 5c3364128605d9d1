r"""p-center / minmax: minimise the largest cost between a demand and the site serving it.

Weights do not enter the objective: every demand point counts, whatever its population.

Uncapacitated
-------------
Uses the radius levels and ``z`` chain of `optimizer.classic.median` (rows 1–2 there), with one
continuous variable ``r`` for the largest cost:

.. math:: \min \; r

subject to

1. rows 1–2 of `optimizer.classic.median` (``z_i^k = 1`` when no open site lies within ``D_i^k``)
2. ``r - Σ_{k=1}^{K_i-1} (D_i^{k+1} - D_i^k) z_i^k >= D_i^1`` for every demand ``i``
3. the shared count, budget and group rows of `optimizer.classic._selection`
4. ``y_j ∈ {0, 1}``, ``0 <= z_i^k <= 1``, ``r >= 0``

Row 2 says ``r`` is at least the cost from ``i`` to its nearest open site. Identical rows are
merged (weights are irrelevant here).

With HiGHS, the uncapacitated model is not passed whole to the solver: its LP bound is weak
and HiGHS found no solution in minutes at Liaoning's size. `optimizer.classic._center_search`
finds the optimum by bisection on the radius with set-covering feasibility MIPs instead (same
optimum).
CBC receives the formulation above.

Capacitated (single sourcing)
-----------------------------
.. math:: \min \; r \quad \text{s.t.} \quad r - \sum_j d_{ij} x_{ij} \ge 0 \;\; \forall i

with the rows of `optimizer.classic._capacity` (``Σ_j x_ij = 1``) and the shared rows.

Variables and parameters
------------------------
============  ==============================================================
``r``          largest assigned cost
``y_j``        1 if free candidate ``j`` is selected
``z_i^k``      1 if demand ``i`` has no open site within ``D_i^k``
``x_ij``       1 if demand ``i`` is served by site ``j`` (capacitated)
``D_i^k``      ``k``-th distinct cost level of row ``i`` (see `optimizer.classic.median`)
``d_ij``       cost of a reachable pair
============  ==============================================================
"""

from __future__ import annotations

import numpy as np

from optimizer.classic._capacity import Formulation, add_assignment
from optimizer.classic._selection import Selection, add_selection_rows
from optimizer.classic.median import add_radius_chain, radius_levels
from optimizer.core.milp import MilpBuilder
from optimizer.core.problem import Problem

__all__ = ["formulate_minmax"]


def formulate_minmax(problem: Problem, sel: Selection) -> Formulation:
    """Build the p-center program (uncapacitated or capacitated, see the module docstring)."""
    builder = MilpBuilder()
    y = builder.add_vars(sel.free.size, integer=True)
    add_selection_rows(builder, problem, sel, y)
    r = builder.add_vars(1, cost=1.0, lo=0.0, hi=np.inf)
    if problem.capacity is not None:
        block = add_assignment(
            builder, problem, sel, y, threshold=None, must_serve=True, x_cost="zero"
        )
        n = problem.n_demand
        builder.add_rows(
            n,
            np.concatenate([np.arange(n, dtype=np.intp), block.demand]),
            np.concatenate([np.full(n, r[0]), block.cols]),
            np.concatenate([np.ones(n), -block.cost]),
            lo=0.0,
        )
        return Formulation(builder.build(), y, block)
    levels = radius_levels(problem, sel)
    has_z = ~levels.last
    z_of = add_radius_chain(builder, levels, y, np.zeros(int(has_z.sum())))
    step = np.zeros(levels.level_row.size)
    step[:-1] = levels.level_value[1:] - levels.level_value[:-1]
    chained = np.flatnonzero(has_z)
    m = levels.n_rows
    first_value = np.zeros(m)
    first_value[levels.level_row[levels.first]] = levels.level_value[levels.first]
    builder.add_rows(
        m,
        np.concatenate([np.arange(m, dtype=np.intp), levels.level_row[chained]]),
        np.concatenate([np.full(m, r[0]), z_of[chained]]),
        np.concatenate([np.ones(m), -step[chained]]),
        lo=first_value,
    )
    return Formulation(builder.build(), y)
