r"""Covering models: maximal covering (MCLP) and location set covering (LSCP).

Demand ``i`` is *covered* when an open site ``j`` reaches it with ``d_ij <= S`` (the service
standard ``threshold``). ``N_i`` is the set of free candidates covering ``i``; demands covered
by a fixed open site (existing or required) are covered whatever is chosen and leave the
program; demands with identical ``N_i`` are merged (weights summed). Coverage sets are built
from the sparse matrix only.

Maximal covering (Church & ReVelle 1974), ``objective="coverage"``
------------------------------------------------------------------
.. math:: \max \; W_0 + \sum_i w_i u_i

subject to

1. ``u_i - Σ_{j∈N_i} y_j <= 0`` for every demand ``i`` not covered by a fixed open site
2. the shared count, budget and group rows of `optimizer.classic._selection`
3. ``y_j ∈ {0, 1}``, ``0 <= u_i <= 1`` (integral at the optimum once ``y`` is)

``W_0`` is the weight already covered by fixed open sites. Solved as ``min -Σ w_i u_i``.

Location set covering (Toregas et al. 1971), ``objective="set_cover"``
----------------------------------------------------------------------
.. math:: \min \; \sum_{j \in F} y_j

subject to

1. ``Σ_{j∈N_i} y_j >= 1`` for every demand ``i`` not covered by a fixed open site
2. the shared rows (``p`` is then an upper bound on the count, ``budget`` a cost limit)
3. ``y_j ∈ {0, 1}``

Capacitated variants (single sourcing)
--------------------------------------
``x_ij`` only for pairs with ``d_ij <= S``, with the rows of `optimizer.classic._capacity`:
MCLP maximises ``Σ w_i x_ij`` with ``Σ_j x_ij <= 1``; LSCP minimises ``Σ y_j`` with
``Σ_j x_ij = 1``. A covered demand counts only if a site with spare capacity serves it.

Variables and parameters
------------------------
============  ==============================================================
``y_j``        1 if free candidate ``j`` is selected
``u_i``        1 if demand ``i`` is covered (MCLP)
``x_ij``       1 if demand ``i`` is served by covering site ``j`` (capacitated)
``w_i``        demand weight (population)
``S``          service standard (``threshold``), in cost units
``N_i``        free candidates ``j`` with ``d_ij <= S``
============  ==============================================================
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from optimizer.classic._capacity import Formulation, add_assignment
from optimizer.classic._selection import Selection, add_selection_rows
from optimizer.core.arrays import BoolArray
from optimizer.core.milp import MilpBuilder
from optimizer.core.problem import Problem
from optimizer.core.reduce import merge_identical_rows, select_entries

__all__ = ["covered_by_fixed", "formulate_coverage", "formulate_set_cover"]


def covered_by_fixed(problem: Problem, sel: Selection, threshold: float) -> BoolArray:
    """Mark the demands covered by a fixed open site whatever is selected.

    Parameters
    ----------
    problem, sel, threshold
        As for `formulate_coverage`; the ``fixed_open`` sites of ``sel`` count.
    """
    costs = problem.costs
    rows = np.repeat(np.arange(problem.n_demand, dtype=np.intp), np.diff(costs.indptr))
    hit = sel.fixed_open[costs.indices] & (costs.data <= threshold)
    out = np.zeros(problem.n_demand, dtype=np.bool_)
    out[rows[hit]] = True
    return out


def _cover_sets(problem: Problem, sel: Selection, threshold: float) -> sp.csr_array:
    """Demand × free-candidate incidence (data 1.0) of ``d_ij <= threshold``."""
    costs = problem.costs
    free_pos = sel.free_position(problem.n_site)
    keep = (free_pos[costs.indices] >= 0) & (costs.data <= threshold)
    sets = select_entries(costs, keep, free_pos)
    sets.data[:] = 1.0
    return sets


def formulate_coverage(problem: Problem, sel: Selection, threshold: float) -> Formulation:
    """Build the maximal covering program (see the module docstring).

    Parameters
    ----------
    problem
        The problem.
    sel
        The checked selection rules (count, budget, groups, fixed sites).
    threshold
        Service standard: covered means ``cost <= threshold``.
    """
    builder = MilpBuilder()
    y = builder.add_vars(sel.free.size, integer=True)
    add_selection_rows(builder, problem, sel, y)
    if problem.capacity is not None:
        block = add_assignment(
            builder, problem, sel, y, threshold=threshold, must_serve=False, x_cost="minus_weight"
        )
        return Formulation(builder.build(), y, block)
    fixed = covered_by_fixed(problem, sel, threshold)
    builder.offset -= float(problem.weights[fixed].sum())
    sets = _cover_sets(problem, sel, threshold)
    open_rows = np.flatnonzero(~fixed & (np.diff(sets.indptr) > 0))
    sets = sets[open_rows]
    reps, inverse = merge_identical_rows(sets)
    weight = np.bincount(inverse, weights=problem.weights[open_rows], minlength=reps.size)
    sets = sets[reps]
    u = builder.add_vars(reps.size, cost=-weight, lo=0.0, hi=1.0)
    m = reps.size
    rows = np.repeat(np.arange(m, dtype=np.intp), np.diff(sets.indptr))
    builder.add_rows(
        m,
        np.concatenate([np.arange(m, dtype=np.intp), rows]),
        np.concatenate([u, y[sets.indices]]),
        np.concatenate([np.ones(m), -np.ones(rows.size)]),
        hi=0.0,
    )
    return Formulation(builder.build(), y)


def formulate_set_cover(problem: Problem, sel: Selection, threshold: float) -> Formulation:
    """Build the location set covering program (see the module docstring).

    Parameters
    ----------
    problem, sel
        As for `formulate_coverage`.
    threshold
        Service standard: every demand must have a site with ``cost <= threshold``.
    """
    builder = MilpBuilder()
    y = builder.add_vars(sel.free.size, cost=1.0, integer=True)
    add_selection_rows(builder, problem, sel, y)
    if problem.capacity is not None:
        block = add_assignment(
            builder, problem, sel, y, threshold=threshold, must_serve=True, x_cost="zero"
        )
        return Formulation(builder.build(), y, block)
    fixed = covered_by_fixed(problem, sel, threshold)
    sets = _cover_sets(problem, sel, threshold)[np.flatnonzero(~fixed)]
    reps, _ = merge_identical_rows(sets)
    sets = sets[reps]
    m = reps.size
    rows = np.repeat(np.arange(m, dtype=np.intp), np.diff(sets.indptr))
    builder.add_rows(m, rows, y[sets.indices], 1.0, lo=1.0)
    return Formulation(builder.build(), y)
