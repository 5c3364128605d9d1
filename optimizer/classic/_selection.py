"""Which sites are decisions, and the constraints every model shares on them.

Sites fall into three sets: *fixed open* (``existing`` sites and ``required`` sites), *free*
candidates (one binary ``y_j`` each) and *closed* (``excluded`` sites). Required sites are
eliminated from the program: they are open, and they use up part of ``p``, ``budget`` and their
groups' limits, so the right-hand sides below are reduced by them.

Shared constraints on the free candidates ``F`` (``R`` = required sites):

1. count, with ``p`` alone: ``Σ_{j∈F} y_j = p - |R|``; with ``p`` and ``budget``:
   ``Σ_{j∈F} y_j <= p - |R|``
2. budget: ``Σ_{j∈F} c_j y_j <= B - Σ_{j∈R} c_j``
3. groups ``g``: ``min_g - |R∩g| <= Σ_{j∈F∩g} y_j <= max_g - |R∩g|``
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np

from optimizer.core.arrays import BoolArray, IntArray
from optimizer.core.milp import MilpBuilder
from optimizer.core.problem import Problem

__all__ = ["Selection", "add_selection_rows"]


@dataclass(frozen=True)
class Selection:
    """Partition of the sites and the limits on newly selected sites."""

    free: IntArray
    fixed_open: BoolArray
    required: IntArray
    excluded: IntArray
    p: int | None
    p_exact: bool
    budget: float | None
    group_min: Mapping[Hashable, int]
    group_max: Mapping[Hashable, int]

    @property
    def allowed(self) -> BoolArray:
        """Sites that may be open (fixed open or free)."""
        mask = self.fixed_open.copy()
        mask[self.free] = True
        return mask

    def free_position(self, n_site: int) -> IntArray:
        """Site position → index into ``free`` (−1 for sites that are not free)."""
        pos = np.full(n_site, -1, dtype=np.intp)
        pos[self.free] = np.arange(self.free.size, dtype=np.intp)
        return pos


def add_selection_rows(
    builder: MilpBuilder, problem: Problem, sel: Selection, y_cols: IntArray
) -> None:
    """Add the count, budget and group rows (1–3 in the module docstring)."""
    n_free = sel.free.size
    if sel.p is not None:
        rhs = sel.p - sel.required.size
        builder.add_rows(
            1,
            np.zeros(n_free, dtype=np.intp),
            y_cols,
            1.0,
            lo=rhs if sel.p_exact else -np.inf,
            hi=rhs,
        )
    if sel.budget is not None:
        assert problem.site_cost is not None
        spent = float(problem.site_cost[sel.required].sum())
        builder.add_rows(
            1,
            np.zeros(n_free, dtype=np.intp),
            y_cols,
            problem.site_cost[sel.free],
            hi=sel.budget - spent,
        )
    required = np.zeros(problem.n_site, dtype=np.bool_)
    required[sel.required] = True
    free_pos = sel.free_position(problem.n_site)
    for label in sorted(set(sel.group_min) | set(sel.group_max), key=repr):
        members = problem.groups[label]
        in_free = free_pos[members]
        in_free = in_free[in_free >= 0]
        n_req = int(required[members].sum())
        lo = sel.group_min.get(label, 0) - n_req
        hi = sel.group_max.get(label, members.size) - n_req
        builder.add_rows(
            1,
            np.zeros(in_free.size, dtype=np.intp),
            y_cols[in_free],
            1.0,
            lo=lo if lo > 0 else -np.inf,
            hi=hi,
        )
