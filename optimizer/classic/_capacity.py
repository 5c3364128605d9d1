"""Single-sourcing assignment variables shared by the capacitated models.

Every capacitated model adds binary ``x_ij`` for the eligible pairs (reachable, the site
allowed, and for the coverage models within the threshold) and these rows:

1. assignment: ``Σ_j x_ij = 1`` (must serve) or ``<= 1`` (coverage) for every demand ``i``
2. capacity of free sites: ``Σ_i w_i x_ij - Q_j y_j <= 0``; of fixed open sites:
   ``Σ_i w_i x_ij <= Q_j`` (sites with ``Q_j = inf`` have no capacity row)
3. linking: ``x_ij - y_j <= 0`` for free sites (implied by 2 when ``w_i > 0``; it tightens the
   relaxation and covers zero-weight demand and unlimited sites)

Single sourcing: each demand point (a township) is served whole by one site, because a plan
names one facility per township; splitting a township's population is not a plannable outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from optimizer.classic._selection import Selection
from optimizer.core.arrays import FloatArray, IntArray
from optimizer.core.milp import Milp, MilpBuilder
from optimizer.core.problem import Problem

__all__ = ["AssignmentBlock", "Formulation", "add_assignment"]


@dataclass(frozen=True)
class AssignmentBlock:
    """The ``x`` variables: one per eligible (demand, site) pair."""

    demand: IntArray
    site: IntArray
    cost: FloatArray
    cols: IntArray


@dataclass(frozen=True)
class Formulation:
    """A model ready to solve.

    The program, its ``y`` columns (aligned with the free sites) and, for capacitated models,
    the assignment variables.
    """

    milp: Milp
    y_cols: IntArray
    assignment: AssignmentBlock | None = None


def add_assignment(
    builder: MilpBuilder,
    problem: Problem,
    sel: Selection,
    y_cols: IntArray,
    *,
    threshold: float | None,
    must_serve: bool,
    x_cost: Literal["weighted_cost", "minus_weight", "zero"],
) -> AssignmentBlock:
    """Add the ``x`` variables and rows 1–3 of the module docstring.

    ``x_cost`` is the objective coefficient of ``x_ij``: ``w_i d_ij`` (median), ``-w_i``
    (coverage, maximised by minimising its negative) or zero.
    """
    assert problem.capacity is not None
    coo = problem.costs.tocoo()
    demand = np.asarray(coo.row, dtype=np.intp)
    site = np.asarray(coo.col, dtype=np.intp)
    cost = np.asarray(coo.data, dtype=np.float64)
    keep = sel.allowed[site]
    if threshold is not None:
        keep &= cost <= threshold
    demand, site, cost = demand[keep], site[keep], cost[keep]
    order = np.lexsort((site, demand))
    demand, site, cost = demand[order], site[order], cost[order]
    weights = problem.weights
    coefficient = {
        "weighted_cost": weights[demand] * cost,
        "minus_weight": -weights[demand],
        "zero": np.zeros(demand.size),
    }[x_cost]
    x = builder.add_vars(demand.size, cost=coefficient, integer=True)
    builder.add_rows(problem.n_demand, demand, x, 1.0, lo=1.0 if must_serve else -np.inf, hi=1.0)
    capacity = problem.capacity
    free_pos = sel.free_position(problem.n_site)
    limited = np.isfinite(capacity[site])
    sites, row_of = np.unique(site[limited], return_inverse=True)
    if sites.size:
        rows = np.concatenate([row_of, np.flatnonzero(free_pos[sites] >= 0)])
        free_sites = sites[free_pos[sites] >= 0]
        cols = np.concatenate([x[limited], y_cols[free_pos[free_sites]]])
        vals = np.concatenate([weights[demand[limited]], -capacity[free_sites]])
        hi = np.where(free_pos[sites] >= 0, 0.0, capacity[sites])
        builder.add_rows(sites.size, rows, cols, vals, hi=hi)
    at_free = free_pos[site] >= 0
    n_link = int(at_free.sum())
    link_rows = np.arange(n_link, dtype=np.intp)
    builder.add_rows(
        n_link,
        np.concatenate([link_rows, link_rows]),
        np.concatenate([x[at_free], y_cols[free_pos[site[at_free]]]]),
        np.concatenate([np.ones(n_link), -np.ones(n_link)]),
        hi=0.0,
    )
    return AssignmentBlock(demand=demand, site=site, cost=cost, cols=x)
