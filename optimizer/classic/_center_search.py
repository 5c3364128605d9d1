r"""Uncapacitated p-center / minmax by bisection on the radius, solved with HiGHS.

The largest assigned cost of an optimal plan is one of the *candidate radii*: the costs
``d_ij`` from demands to free sites that are below ``e_i`` (the cost to the demand's nearest
fixed open site, ``∞`` if none) and the ``e_i`` themselves. A radius ``r`` is *feasible* when
some selection meeting every constraint gives each demand an open site within ``r``:

1. ``Σ_{j∈F: d_ij <= r} y_j >= 1`` for every demand with ``e_i > r``
2. the shared count, budget and group rows of `optimizer.classic._selection`, and no-good cuts
3. ``y_j ∈ {0, 1}``

Any solution proves ``r`` feasible, so HiGHS stops at its first one (``objective_target``);
it minimises ``Σ y_j``, which steers it to sparse covers. With only a count on the sites the
count row becomes "at most ``p``" (sites can be added without losing coverage; the selection
is padded to exactly ``p`` afterwards).

Feasibility is monotone in ``r``, so the optimum is the smallest feasible candidate, found by
bisection (Minieka 1970; Daskin 1995, ch. 5) between

* a lower end: every demand's smallest candidate (``min(e_i, min_j d_ij)``), maximised over
  the demands;
* an upper end: with only a count on the sites, the smallest radius at which a greedy set
  cover needs at most ``p`` sites (itself found by bisection); otherwise the largest
  candidate.

Each feasibility MIP is small: rows covered by a fixed open site leave it, identical rows are
merged and rows containing another row's set (dominated) are dropped when that check is
cheap. A feasible selection moves the upper end to its own largest cost, which may be below
the radius tried. The result
is ``optimal`` when the two ends meet (or are within the relative ``mip_gap``); a run stopped
by the time limit is ``feasible`` with gap ``(upper - lower) / upper``, where ``lower`` is the
smallest candidate not yet proven infeasible.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from optimizer.classic._capacity import Formulation
from optimizer.classic._selection import Selection, add_selection_rows
from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.core.milp import MilpBuilder
from optimizer.core.problem import Problem
from optimizer.core.reduce import merge_identical_rows, select_entries
from optimizer.core.solvers import SolverRun, highs_label, load_highs, new_highs, solver_label
from optimizer.result import Status

__all__ = ["solve_center_search"]


_DOMINANCE_WORK = 5e7


class _Radii:
    """Demand × free-site costs below each demand's fixed open site, and the candidates."""

    def __init__(self, problem: Problem, sel: Selection):
        costs = problem.costs
        n = problem.n_demand
        rows = np.repeat(np.arange(n, dtype=np.intp), np.diff(costs.indptr))
        at_fixed = sel.fixed_open[costs.indices]
        self.cutoff = np.full(n, np.inf)
        np.minimum.at(self.cutoff, rows[at_fixed], costs.data[at_fixed])
        free_pos = sel.free_position(problem.n_site)
        keep = (free_pos[costs.indices] >= 0) & (costs.data < self.cutoff[rows])
        self.sub = select_entries(costs, keep, free_pos)
        self.n_free = sel.free.size
        finite = self.cutoff[np.isfinite(self.cutoff)]
        self.radii = np.unique(np.concatenate([self.sub.data, finite]))
        best = np.minimum.reduceat(
            np.concatenate([self.sub.data, [np.inf]]),
            np.minimum(self.sub.indptr[:-1], self.sub.data.size),
        )
        best = np.where(np.diff(self.sub.indptr) > 0, best, np.inf)
        self.lower = float(np.minimum(best, self.cutoff).max()) if n else 0.0

    def sets(self, radius: float) -> sp.csr_array:
        """Return the 0/1 coverage sets at ``radius`` of the demands no fixed open site covers.

        Identical and dominated rows removed. A demand that nothing covers keeps an empty row.
        """
        sub = self.sub
        open_rows = np.flatnonzero(self.cutoff > radius)
        rows_of = np.repeat(np.arange(sub.shape[0], dtype=np.intp), np.diff(sub.indptr))
        keep = (sub.data <= radius) & (self.cutoff[rows_of] > radius)
        sets = select_entries(sub, keep, np.arange(self.n_free, dtype=np.intp))[open_rows]
        sets.data[:] = 1.0
        reps, _ = merge_identical_rows(sets)
        sets = sp.csr_array(sets[reps])
        return _undominated(sets)

    def largest_cost(self, y: FloatArray) -> float:
        """Largest cost from a demand to its nearest open site under the selection ``y``."""
        sub = self.sub
        rows_of = np.repeat(np.arange(sub.shape[0], dtype=np.intp), np.diff(sub.indptr))
        on = y[sub.indices] > 0.5
        near = self.cutoff.copy()
        np.minimum.at(near, rows_of[on], sub.data[on])
        return float(near.max()) if near.size else 0.0


def _undominated(sets: sp.csr_array) -> sp.csr_array:
    """Drop rows whose set contains another row's set (rows must be distinct).

    Skipped (rows kept) when the row × row intersection matrix would exceed
    `_DOMINANCE_WORK` entries.
    """
    if sets.shape[0] < 2:
        return sets
    per_site = np.bincount(sets.indices, minlength=sets.shape[1]).astype(np.float64)
    if float(per_site @ per_site) > _DOMINANCE_WORK:
        return sets
    size = np.diff(sets.indptr)
    inter = sp.coo_array(sets @ sets.T)
    a, b = np.asarray(inter.row), np.asarray(inter.col)
    contains = (a != b) & (np.asarray(inter.data) == size[a])
    dominated = np.zeros(sets.shape[0], dtype=np.bool_)
    dominated[b[contains]] = True
    return sp.csr_array(sets[np.flatnonzero(~dominated)])


def _greedy_cover(sets: sp.csr_array, k: int) -> IntArray | None:
    """At most ``k`` columns covering every row, picked greedily (None if it needs more)."""
    m = sets.shape[0]
    if m == 0:
        return np.zeros(0, dtype=np.intp)
    if (np.diff(sets.indptr) == 0).any():
        return None
    by_site = sp.csc_array(sets)
    uncovered = np.ones(m)
    chosen: list[int] = []
    while uncovered.any() and len(chosen) < k:
        gain = by_site.T @ uncovered
        j = int(np.argmax(gain))
        chosen.append(j)
        uncovered[by_site.indices[by_site.indptr[j] : by_site.indptr[j + 1]]] = 0.0
    return None if uncovered.any() else np.asarray(chosen, dtype=np.intp)


def _count_only(sel: Selection, no_goods: Sequence[BoolArray]) -> bool:
    return (
        sel.p is not None
        and sel.budget is None
        and not sel.group_min
        and not sel.group_max
        and not no_goods
    )


class _Search:
    """Bisection state: the ends, the best selection, the deadline."""

    def __init__(
        self,
        problem: Problem,
        sel: Selection,
        no_goods: Sequence[BoolArray],
        deadline: float,
        gap: float,
    ):
        self.problem = problem
        self.sel = sel
        self.no_goods = no_goods
        self.deadline = deadline
        self.gap = gap
        self.radii = _Radii(problem, sel)
        self.best: FloatArray | None = None
        self.upper = math.inf
        self.label = solver_label("highs")
        self.last = MilpBuilder().build()
        self.reason = "time limit reached during the radius bisection"

    def offer(self, y: FloatArray) -> None:
        """Keep ``y`` if its largest cost beats the best so far."""
        value = self.radii.largest_cost(y)
        if value < self.upper:
            self.upper, self.best = value, y

    def greedy_upper(self, lo: int, hi: int) -> None:
        """Bisection on greedy covers of at most ``k`` sites (count-only problems)."""
        sel = self.sel
        assert sel.p is not None
        k = sel.p - sel.required.size
        radii = self.radii.radii
        while lo <= hi and time.perf_counter() < self.deadline:
            mid = (lo + hi) // 2
            chosen = _greedy_cover(self.radii.sets(float(radii[mid])), k)
            if chosen is None:
                lo = mid + 1
                continue
            y = np.zeros(self.radii.n_free)
            y[chosen] = 1.0
            if sel.p_exact:
                y[np.flatnonzero(y == 0)[: k - chosen.size]] = 1.0
            self.offer(y)
            hi = mid - 1

    def feasible(self, radius: float) -> tuple[Status, FloatArray | None]:
        """Set-covering feasibility MIP at ``radius`` (module docstring).

        Returns ``OPTIMAL`` with a selection when ``radius`` is feasible, ``INFEASIBLE`` when
        it is proven infeasible, ``NO_SOLUTION`` when HiGHS stopped without deciding.
        """
        import highspy

        sel = self.sel
        sets = self.radii.sets(radius)
        if (np.diff(sets.indptr) == 0).any():
            return Status.INFEASIBLE, None
        remaining = self.deadline - time.perf_counter()
        if remaining <= 0:
            return Status.NO_SOLUTION, None
        builder = MilpBuilder()
        n_free = sel.free.size
        # Fewest sites first: the objective steers HiGHS to sparse covers; with only a count,
        # "at most p" is the same decision (sites can be added without losing coverage).
        y = builder.add_vars(n_free, cost=1.0, integer=True)
        count_only = _count_only(sel, self.no_goods)
        add_selection_rows(
            builder, self.problem, replace(sel, p_exact=False) if count_only else sel, y
        )
        builder.add_rows(
            sets.shape[0],
            np.repeat(np.arange(sets.shape[0], dtype=np.intp), np.diff(sets.indptr)),
            y[sets.indices],
            1.0,
            lo=1.0,
        )
        for chosen in self.no_goods:
            builder.add_rows(
                1,
                np.zeros(n_free, dtype=np.intp),
                y,
                np.where(chosen, -1.0, 1.0),
                lo=1.0 - float(chosen.sum()),
            )
        self.last = builder.build()
        h = new_highs(time_limit=None if math.isinf(remaining) else remaining, mip_gap=None)
        load_highs(h, self.last)
        # Any solution decides the radius: stop at the first one.
        h.setOptionValue("objective_target", n_free + 0.5)
        h.run()
        self.label = highs_label(h)
        status = h.getModelStatus()
        ms = highspy.HighsModelStatus
        if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return Status.INFEASIBLE, None
        has_solution = int(h.getInfo().primal_solution_status) == int(
            highspy.SolutionStatus.kSolutionStatusFeasible
        )
        if has_solution:
            y_val = np.round(np.asarray(h.getSolution().col_value)[:n_free])
            if count_only and sel.p_exact:
                assert sel.p is not None
                missing = sel.p - sel.required.size - int(y_val.sum())
                y_val[np.flatnonzero(y_val == 0)[:missing]] = 1.0
            return Status.OPTIMAL, y_val
        self.reason = f"HiGHS stopped: {h.modelStatusToString(status)}"
        return Status.NO_SOLUTION, None

    def run(self) -> SolverRun:
        """Bisection between the ends (module docstring)."""
        radii = self.radii.radii
        lo = int(np.searchsorted(radii, self.radii.lower))
        hi = radii.size - 1
        if radii.size == 0:
            return SolverRun(Status.OPTIMAL, np.zeros(self.radii.n_free), 0.0, self.label, "")
        if _count_only(self.sel, self.no_goods):
            self.greedy_upper(lo, hi)
        if self.best is not None:
            hi = int(np.searchsorted(radii, self.upper))
        stopped = False
        while lo < hi or self.best is None:
            if self.best is not None and (self.upper - radii[lo]) <= self.gap * abs(self.upper):
                break
            mid = hi if self.best is None else (lo + hi) // 2
            status, y = self.feasible(float(radii[mid]))
            if status is Status.INFEASIBLE:
                if self.best is None:
                    return SolverRun(Status.INFEASIBLE, None, math.nan, self.label, "")
                lo = mid + 1
            elif y is not None:
                self.offer(y)
                hi = int(np.searchsorted(radii, self.upper))
            else:
                stopped = True
                break
        if self.best is None:
            return SolverRun(Status.NO_SOLUTION, None, math.nan, self.label, self.reason)
        lower = float(radii[min(lo, radii.size - 1)])
        gap = max(self.upper - lower, 0.0) / max(abs(self.upper), 1e-9)
        if stopped:
            return SolverRun(Status.FEASIBLE, self.best, gap, self.label, self.reason)
        return SolverRun(Status.OPTIMAL, self.best, gap, self.label, "")


def solve_center_search(
    problem: Problem,
    sel: Selection,
    *,
    time_limit: float | None,
    mip_gap: float,
    no_goods: Sequence[BoolArray] = (),
) -> tuple[Formulation, SolverRun]:
    """Solve the uncapacitated p-center by radius bisection (module docstring).

    Parameters
    ----------
    problem, sel
        The problem and its site partition (`optimizer.classic._selection.Selection`).
    time_limit
        Seconds for the whole search (None: no limit).
    mip_gap
        Relative gap between the ends at which the search may stop as optimal.
    no_goods
        Selections (boolean over the free sites) to exclude.

    Returns
    -------
    tuple
        The last feasibility program (its ``y`` columns are the free sites) and the run.
    """
    deadline = math.inf if time_limit is None else time.perf_counter() + time_limit
    search = _Search(problem, sel, no_goods, deadline, mip_gap)
    run = search.run()
    y_cols = np.arange(sel.free.size, dtype=np.intp)
    return Formulation(search.last, y_cols), run
