r"""Benders decomposition of the uncapacitated p-median, solved with HiGHS.

The radius formulation of `optimizer.classic.median` has one ``z`` per demand and cost level; its
LP is large and degenerate. Projecting the ``z`` out (Duran-Mateluna, Ales & Elloumi 2023,
"An efficient Benders decomposition for the p-median problem", EJOR 308) leaves a master
with one ``θ_i`` per merged demand row:

.. math:: \min \sum_i w_i \theta_i

subject to

1. ``θ_i + Σ_{j∈F: d_ij < D_i^k} (D_i^k - d_ij) y_j >= D_i^k`` for the levels ``k`` added
   as cuts (optimality cuts; a fixed open site at ``e_i`` counts as an open site)
2. ``Σ_{j∈F reachable from i} y_j >= 1`` for rows that reach no fixed open site, one row per
   distinct reachable set, left out when the exact count ``p >= 1`` implies it (the row
   reaches every free site)
3. the shared count, budget and group rows of `optimizer.classic._selection`, and no-good cuts
4. ``D_i^1 <= θ_i <= D_i^{K_i}``, ``y_j ∈ {0, 1}``

For given ``y`` the most violated cut of row ``i`` is at the first level ``k`` where the
open mass ``Σ_{d_ij <= D_i^k} y_j`` (fixed open sites count 1) reaches 1; it is found for all
rows at once with numpy.

Steps:

1. *LP phase*: cuts are added at LP solutions until none is violated; the master LP then has
   the bound of the radius LP.
2. With only a count on the sites (``p`` exact, no budget or groups), an *upper bound* comes
   from the swap local search of `optimizer.classic._heuristic` started at the ``p`` largest LP
   values. *Reduced-cost fixing*: a site at 0 in the LP whose reduced cost exceeds
   ``upper - bound`` is closed in every better solution (at 1 likewise, open). When that
   fixes at least `_REDUCE_SHARE` of the free sites, the master is rebuilt without them
   (levels recomputed on the remaining sites, rows merged again, cuts separated afresh),
   which makes every later LP much smaller.
3. The count-only master is solved by our own branch-and-Benders-cut (`optimizer.classic._branch`):
   cuts are separated at every node, so no master MIP is ever re-solved from scratch.
   Masters with a budget or group rows are solved by HiGHS as MIPs instead: the master MIP is
   solved, the true cost of its selection evaluated, violated cuts added, and the MIP
   re-solved (warm-started with the best selection) until the master's dual bound is within
   the gap of the best true cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from optimizer.classic._branch import branch_and_cut
from optimizer.classic._capacity import Formulation
from optimizer.classic._heuristic import (
    greedy,
    interchange,
    selection_cost,
    sparse_interchange,
    sparse_nearest,
)
from optimizer.classic._selection import Selection, add_selection_rows
from optimizer.classic.median import RadiusLevels, radius_levels
from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.core.milp import MilpBuilder
from optimizer.core.problem import Problem
from optimizer.core.reduce import merge_identical_rows, select_entries
from optimizer.core.solvers import (
    TIME_LIMIT_REASON,
    SolverRun,
    highs_label,
    load_highs,
    new_highs,
    solver_label,
    stale_solution,
)
from optimizer.result import Status

__all__ = ["BendersMaster", "solve_median_benders"]


_LP_ROUNDS = 200
_TOL = 1e-7
_DENSE_LIMIT = 4_000_000
_REDUCE_SHARE = 0.1
_SAMPLES = 8
_SAMPLE_WORK = 2e8  # rows × sites × k summed over the random roundings (≈ 1 s)
#: Share of the time left that the greedy-and-swap first plan may use (the rest goes to the
#: levels, the LP phase and the branch-and-cut, which improve or prove it).
_FIRST_SHARE = 0.3
#: Seconds per stored matrix entry to build the levels and the master (measured: about 3.4 s
#: for 3.4 million entries on one loaded core); with less time left than that, the first plan
#: is returned without building them.
_BUILD_S_PER_ENTRY = 1e-6
_HEURISTICS = (
    "mip_heuristic_run_rins",
    "mip_heuristic_run_rens",
    "mip_heuristic_run_root_reduced_cost",
    "mip_heuristic_run_feasibility_jump",
)


def _count_only(sel: Selection) -> bool:
    """Only an exact count limits the free sites: branch-and-cut and heuristics apply."""
    return (
        sel.p is not None
        and sel.p_exact
        and sel.budget is None
        and not sel.group_min
        and not sel.group_max
    )


@dataclass(frozen=True)
class _Rows:
    """Per-entry and per-row views of the radius levels used by the separation."""

    levels: RadiusLevels
    e_row: IntArray
    e_val: FloatArray
    first_idx: IntArray
    last_idx: IntArray

    @classmethod
    def of(cls, levels: RadiusLevels) -> _Rows:
        return cls(
            levels=levels,
            e_row=levels.level_row[levels.entry_level],
            e_val=levels.level_value[levels.entry_level],
            first_idx=np.flatnonzero(levels.first),
            last_idx=np.flatnonzero(levels.last),
        )


def _separate(rows: _Rows, y: FloatArray) -> tuple[IntArray, FloatArray, BoolArray]:
    """For every row: the level of its strongest cut, the cut's value at ``y``, entry mask.

    The value of row ``i``'s cut at level ``k`` is ``D_i^k - Σ_{d_ij < D_i^k} (D_i^k - d_ij)
    y_j``; the mask flags the entries with ``d_ij < D_i^k`` (the cut's ``y`` coefficients).
    """
    lv = rows.levels
    n_levels = lv.level_row.size
    add = np.bincount(lv.entry_level, weights=y[lv.entry_site], minlength=n_levels).astype(
        np.float64
    )
    add[lv.is_cutoff] += 1.0
    cum = np.cumsum(add)
    base = (cum - add)[rows.first_idx]
    mass = cum - base[lv.level_row]
    candidate = np.where(mass >= 1.0 - 1e-6, np.arange(n_levels), n_levels)
    kstar = np.minimum.reduceat(candidate, rows.first_idx)
    kstar = np.where(kstar >= n_levels, rows.last_idx, kstar)
    level_k = lv.level_value[kstar]
    below = lv.entry_level < kstar[rows.e_row]
    coef = level_k[rows.e_row] - rows.e_val
    value = level_k - np.bincount(
        rows.e_row[below], weights=(coef * y[lv.entry_site])[below], minlength=lv.n_rows
    )
    return kstar, value, below


def _cuts(
    rows: _Rows, kstar: IntArray, below: BoolArray, violated: BoolArray, n_free: int
) -> tuple[int, FloatArray, IntArray, IntArray, FloatArray]:
    """CSR rows ``θ_i + Σ (D^k - d_ij) y_j >= D^k`` for the violated rows."""
    lv = rows.levels
    cut_rows = np.flatnonzero(violated)
    rank = np.full(lv.n_rows, -1, dtype=np.intp)
    rank[cut_rows] = np.arange(cut_rows.size)
    take = below & violated[rows.e_row]
    level_k = lv.level_value[kstar]
    r = np.concatenate([rank[cut_rows], rank[rows.e_row[take]]])
    c = np.concatenate([n_free + cut_rows, lv.entry_site[take]])
    v = np.concatenate([np.ones(cut_rows.size), (level_k[rows.e_row] - rows.e_val)[take]])
    order = np.argsort(r, kind="stable")
    starts = np.searchsorted(r[order], np.arange(cut_rows.size))
    return cut_rows.size, level_k[cut_rows], starts, c[order], v[order]


def _add_cuts(h: Any, cuts: tuple[int, FloatArray, IntArray, IntArray, FloatArray]) -> None:
    n, lo, starts, cols, vals = cuts
    h.addRows(
        n,
        lo,
        np.full(n, np.inf),
        int(cols.size),
        starts.astype(np.int32),
        cols.astype(np.int32),
        vals.astype(np.float64),
    )


def _add_reach_rows(builder: MilpBuilder, sel: Selection, rows: _Rows, y: IntArray) -> None:
    """Rows 2 of the module docstring: one per distinct reachable set, implied ones left out."""
    lv = rows.levels
    n_free = sel.free.size
    need_row = ~lv.is_cutoff[rows.last_idx]
    if sel.p is not None and sel.p_exact and sel.p - sel.required.size >= 1:
        need_row &= np.bincount(rows.e_row, minlength=lv.n_rows) < n_free
    if not need_row.any():
        return
    take = need_row[rows.e_row]
    counts = np.bincount(rows.e_row[take], minlength=lv.n_rows)[need_row]
    indptr = np.zeros(counts.size + 1, dtype=np.intp)
    np.cumsum(counts, out=indptr[1:])
    pattern = sp.csr_array(
        (np.ones(int(take.sum())), lv.entry_site[take], indptr), shape=(counts.size, n_free)
    )
    pattern.sort_indices()
    reps, _ = merge_identical_rows(pattern)
    pattern = sp.csr_array(pattern[reps])
    builder.add_rows(
        reps.size,
        np.repeat(np.arange(reps.size, dtype=np.intp), np.diff(pattern.indptr)),
        y[pattern.indices],
        1.0,
        lo=1.0,
    )


def _master(
    problem: Problem, sel: Selection, rows: _Rows, no_goods: Sequence[BoolArray]
) -> Formulation:
    lv = rows.levels
    builder = MilpBuilder()
    n_free = sel.free.size
    y = builder.add_vars(n_free, integer=True)
    builder.add_vars(
        lv.n_rows,
        cost=lv.weight,
        lo=lv.level_value[rows.first_idx],
        hi=lv.level_value[rows.last_idx],
    )
    add_selection_rows(builder, problem, sel, y)
    _add_reach_rows(builder, sel, rows, y)
    for chosen in no_goods:
        builder.add_rows(
            1,
            np.zeros(n_free, dtype=np.intp),
            y,
            np.where(chosen, -1.0, 1.0),
            lo=1.0 - float(chosen.sum()),
        )
    return Formulation(builder.build(), y)


class BendersMaster:
    """The master in a ``highspy.Highs`` object, with a shared deadline."""

    def __init__(self, form: Formulation, rows: _Rows, *, deadline: float, gap: float):
        import highspy

        self.hs = highspy
        self.rows = rows
        self.n_free = form.y_cols.size
        self.theta = slice(self.n_free, self.n_free + rows.levels.n_rows)
        self.gap = gap
        self.deadline = deadline
        self.objective = (form.milp.cost.copy(), float(form.milp.offset))
        self.h = new_highs(time_limit=None, mip_gap=gap)
        # The master is small and dense; HiGHS presolve only costs time on it (measured).
        self.h.setOptionValue("presolve", "off")
        load_highs(self.h, form.milp)
        self.label = highs_label(self.h)
        self.lp_y = np.zeros(self.n_free)
        lv = rows.levels
        # θ_i >= D_i^1: a bound before any LP is solved (finite gaps at an early time limit).
        self.lp_bound = float(lv.weight @ lv.level_value[rows.first_idx])
        self.reduced: FloatArray | None = None
        self.fixed = np.zeros(self.n_free, dtype=np.bool_)
        self.open_end = ~rows.levels.is_cutoff[rows.last_idx]
        self.n_base = form.milp.n_row
        # Integral weights and costs make every objective value an integer.
        self.integral = bool(
            np.all(lv.weight == np.round(lv.weight))
            and np.all(lv.level_value == np.round(lv.level_value))
        )

    def run(self) -> tuple[Any, FloatArray | None]:
        """Run with the remaining time; returns HiGHS's model status and primal values."""
        h = self.h
        # HiGHS's time limit counts the object's run time over all runs.
        remaining = max(self.deadline - time.perf_counter(), 1e-3)
        h.setOptionValue("time_limit", h.getRunTime() + remaining)
        h.run()
        feasible = int(h.getInfo().primal_solution_status) == int(
            self.hs.SolutionStatus.kSolutionStatusFeasible
        )
        values = np.asarray(h.getSolution().col_value) if feasible else None
        return h.getModelStatus(), values

    def infeasible(self, status: Any) -> bool:
        """Whether HiGHS proved the current master infeasible."""
        ms = self.hs.HighsModelStatus
        return bool(status in (ms.kInfeasible, ms.kUnboundedOrInfeasible))

    def set_integer(self, integer: bool) -> None:
        """Make the ``y`` columns integer (MIP) or continuous (LP)."""
        idx = np.arange(self.n_free, dtype=np.int32)
        self.h.changeColsIntegrality(
            self.n_free, idx, np.full(self.n_free, int(integer), dtype=np.uint8)
        )

    def violated(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, BoolArray, Any]:
        """Cut values at ``y``, the rows whose ``θ`` in ``x`` violates them, and the cuts."""
        kstar, value, below = _separate(self.rows, y)
        bad = x[self.theta] < value - _TOL * np.maximum(1.0, np.abs(value))
        return value, bad, _cuts(self.rows, kstar, below, bad, self.n_free)

    def add_cuts(self, cuts: Any) -> None:
        """Append cuts made by `violated` to the master."""
        _add_cuts(self.h, cuts)

    def evaluate(self, y: FloatArray) -> tuple[float, FloatArray]:
        """Return the true cost of the integral selection ``y`` and the values ``[y, θ]``.

        The cost is infinite when some row reaches no open site.
        """
        _, value, _ = _separate(self.rows, y)
        lv = self.rows.levels
        mass = np.bincount(self.rows.e_row, weights=y[lv.entry_site], minlength=lv.n_rows)
        if (self.open_end & (mass < 0.5)).any():
            return math.inf, np.concatenate([y, value])
        return float(lv.weight @ value), np.concatenate([y, value])

    def lp_phase(self) -> bool:
        """Cut the LP relaxation until no cut is violated; False if the master is infeasible.

        Keeps the LP point, its bound and the reduced costs of ``y`` for reduced-cost fixing.
        """
        self.set_integer(False)
        for _ in range(_LP_ROUNDS):
            status, x = self.run()
            if self.infeasible(status):
                return False
            if status != self.hs.HighsModelStatus.kOptimal or x is None:
                return True
            self.lp_y = x[: self.n_free]
            self.lp_bound = float(self.h.getInfo().objective_function_value)
            self.reduced = np.asarray(self.h.getSolution().col_dual)[: self.n_free]
            _, bad, cuts = self.violated(x, x[: self.n_free])
            if not bad.any():
                break
            _add_cuts(self.h, cuts)
        return True

    def purge(self) -> None:
        """Delete the cuts that are slack (basic) in the current LP basis."""
        basis = self.h.getBasis()
        status = np.fromiter((int(s) for s in basis.row_status), dtype=np.int64)
        slack = np.flatnonzero(status == int(self.hs.HighsBasisStatus.kBasic))
        slack = slack[slack >= self.n_base].astype(np.int32)
        if slack.size:
            self.h.deleteRows(slack.size, slack)

    def cutoff(self, upper: float) -> float:
        """Return the bound at or above which no solution improves enough on ``upper``.

        Enough: by more than the gap (or, with an integral objective, by at least 1).
        """
        if not math.isfinite(upper):
            return math.inf
        scale = max(abs(upper), 1.0)
        cut = upper - self.gap * max(abs(upper), 1e-9) - 1e-9 * scale
        if self.integral:
            cut = min(cut, upper - 1.0 + 1e-6 * scale)
        return cut

    def fixable(self, upper: float, start: FloatArray) -> tuple[BoolArray, BoolArray]:
        """Sites closed / open in every solution cheaper than ``upper`` (LP reduced costs).

        The cut master LP is a relaxation of the problem, so every solution with ``y_j`` away
        from its LP bound costs at least ``lp_bound + |reduced cost|``. Sites are never fixed
        against ``start`` (a solution of cost ``upper``), so it stays feasible.
        """
        none = np.zeros(self.n_free, dtype=np.bool_)
        if self.reduced is None or not math.isfinite(upper):
            return none, none
        slack = self.cutoff(upper) - self.lp_bound
        closed = (self.lp_y < 1e-9) & (self.reduced > slack) & (start < 0.5)
        opened = (self.lp_y > 1 - 1e-9) & (-self.reduced > slack) & (start > 0.5)
        return closed, opened

    def fix_by_reduced_cost(self, upper: float) -> None:
        """Fix the columns of `fixable` (for ``upper``) in the master."""
        if self.reduced is None or not math.isfinite(upper):
            return
        slack = upper - self.lp_bound - 1e-6 * max(1.0, abs(upper))
        at_zero = (self.lp_y < 1e-9) & (self.reduced > slack)
        at_one = (self.lp_y > 1 - 1e-9) & (-self.reduced > slack)
        for mask, value in ((at_zero, 0.0), (at_one, 1.0)):
            idx = np.flatnonzero(mask & ~self.fixed).astype(np.int32)
            if idx.size:
                bound = np.full(idx.size, value)
                self.h.changeColsBounds(idx.size, idx, bound, bound)
                self.fixed[idx] = True

    def mip_phase(self) -> SolverRun:
        """Solve the master MIP, add cuts at its selection, repeat until the gap closes."""
        self.set_integer(True)
        # Drop the fractional LP point: HiGHS would otherwise spend a sub-MIP repairing it.
        self.h.clearSolver()
        weight = self.rows.levels.weight
        best: FloatArray | None = None
        best_cost, bound = math.inf, -math.inf
        while True:
            status, x = self.run()
            if x is not None and best is not None and stale_solution(self.h, *self.objective, x):
                # The start came back though HiGHS proved a better master value: run again
                # without it (clearSolver drops the start, the cuts stay).
                self.h.clearSolver()
                status, x = self.run()
            if self.infeasible(status):
                return SolverRun(Status.INFEASIBLE, None, math.nan, self.label, "")
            bound = max(bound, float(self.h.getInfo().mip_dual_bound))
            if x is None or status != self.hs.HighsModelStatus.kOptimal:
                break
            y = np.round(x[: self.n_free])
            value, bad, cuts = self.violated(x, y)
            cost = float(weight @ value)
            if cost < best_cost:
                best_cost, best = cost, np.concatenate([y, value])
                self.fix_by_reduced_cost(best_cost)
            gap = (best_cost - bound) / max(abs(best_cost), 1e-9)
            if gap <= self.gap or not bad.any():
                return SolverRun(Status.OPTIMAL, best, max(gap, 0.0), self.label, "")
            _add_cuts(self.h, cuts)
            assert best is not None
            self.h.setSolution(best.size, np.arange(best.size, dtype=np.int32), best)
        reason = f"HiGHS stopped: {self.h.modelStatusToString(status)}"
        if x is not None:
            y = np.round(x[: self.n_free])
            value, _, _ = self.violated(x, y)
            if float(weight @ value) < best_cost:
                best_cost, best = float(weight @ value), np.concatenate([y, value])
        if best is None:
            return SolverRun(Status.NO_SOLUTION, None, math.nan, self.label, reason)
        gap = (best_cost - bound) / max(abs(best_cost), 1e-9)
        return SolverRun(Status.FEASIBLE, best, gap, self.label, reason)


class _Rounding:
    """Integral selections from LP points: the ``k`` largest values, improved by swaps.

    The swap search (`optimizer.classic._heuristic.interchange`) works on the dense merged-row ×
    free-site matrix, with each row's fixed open site (or a large penalty for unreachable
    pairs) as the always-open fallback; without it (matrix too large), or when ``search`` is
    False, or when the search already started from the same rounding, the rounding is
    returned as is. Selections excluded by ``forbidden`` (no-good cuts) are never returned.
    """

    def __init__(
        self,
        rows: _Rows,
        n_free: int,
        k: int,
        forbidden: Sequence[BoolArray],
        deadline: float = math.inf,
    ):
        self.k = k
        self.deadline = deadline
        self.n_free = n_free
        self.forbidden = [np.flatnonzero(f).tobytes() for f in forbidden]
        self.tried: set[bytes] = set()
        self.dense: FloatArray | None = None
        lv = rows.levels
        cutoff = lv.level_value[rows.last_idx]
        self.weight = lv.weight
        self.base = np.where(
            lv.is_cutoff[rows.last_idx], cutoff, 1e6 * (1.0 + float(np.abs(cutoff).max()))
        )
        if lv.n_rows * n_free <= _DENSE_LIMIT:
            dense = np.repeat(self.base[:, None], n_free, axis=1)
            dense[rows.e_row, lv.entry_site] = rows.e_val
            self.dense = dense

    def first(self, y_lp: FloatArray, lower: float, gap: float) -> FloatArray | None:
        """Return the best of the rounding of ``y_lp`` and random roundings, improved by swaps.

        Up to `_SAMPLES` random roundings (fewer on large matrices, see `_SAMPLE_WORK`), each
        drawn with probabilities proportional to ``y_lp`` (seeded); stops early at a selection
        within ``gap`` of ``lower``.
        """
        best = self(y_lp)
        if self.dense is None:
            return best
        best_cost = math.inf if best is None else self.cost(best)
        rng = np.random.default_rng(0)
        share = np.clip(y_lp, 1e-12, None)
        share /= share.sum()
        size = self.dense.size * max(self.k, 1)
        for _ in range(min(_SAMPLES, int(_SAMPLE_WORK // size))):
            if best_cost - lower <= gap * abs(best_cost) or time.perf_counter() > self.deadline:
                break
            chosen = np.sort(rng.choice(self.n_free, size=self.k, replace=False, p=share))
            chosen = interchange(self.dense, self.weight, self.base, chosen, deadline=self.deadline)
            if chosen.tobytes() in self.forbidden:
                continue
            y = np.zeros(self.n_free)
            y[chosen] = 1.0
            cost = self.cost(y)
            if cost < best_cost:
                best, best_cost = y, cost
        return best

    def cost(self, y: FloatArray) -> float:
        """Cost of the selection ``y`` on the dense matrix (penalties included)."""
        assert self.dense is not None
        return selection_cost(self.dense, self.weight, self.base, np.flatnonzero(y > 0.5))

    def __call__(self, y_lp: FloatArray, search: bool = True) -> FloatArray | None:
        chosen = np.sort(np.argsort(-y_lp, kind="stable")[: self.k])
        key = chosen.tobytes()
        if search and self.dense is not None and key not in self.tried:
            self.tried.add(key)
            chosen = interchange(self.dense, self.weight, self.base, chosen, deadline=self.deadline)
        if chosen.tobytes() in self.forbidden:
            return None
        y = np.zeros(self.n_free)
        y[chosen] = 1.0
        return y


def _restrict(
    sel: Selection, no_goods: Sequence[BoolArray], closed: BoolArray, opened: BoolArray
) -> tuple[Selection, list[BoolArray]]:
    """Return the selection with ``closed`` sites excluded and ``opened`` ones required.

    Also the no-good cuts on the remaining free sites (a cut already met by the fixings is
    dropped).
    """
    keep = ~(closed | opened)
    fixed_open = sel.fixed_open.copy()
    fixed_open[sel.free[opened]] = True
    sub = replace(
        sel,
        free=sel.free[keep],
        fixed_open=fixed_open,
        required=np.sort(np.concatenate([sel.required, sel.free[opened]])),
        excluded=np.sort(np.concatenate([sel.excluded, sel.free[closed]])),
    )
    goods = [
        chosen[keep] for chosen in no_goods if not (chosen & closed).any() and chosen[opened].all()
    ]
    return sub, goods


def _solve_count_only(
    problem: Problem,
    sel: Selection,
    rows: _Rows,
    solver: BendersMaster,
    no_goods: Sequence[BoolArray],
    *,
    first: FloatArray | None = None,
) -> SolverRun:
    """Heuristic bound, reduced-cost reduction, then branch-and-cut (module docstring).

    ``first`` is a plan (``y``) found before the LP phase; the better of it and the LP
    rounding starts the search.
    """
    assert sel.p is not None
    k = sel.p - sel.required.size
    rounding = _Rounding(rows, sel.free.size, k, no_goods, solver.deadline)
    start = (
        rounding.first(solver.lp_y, solver.lp_bound, solver.gap) if 0 < k < sel.free.size else None
    )
    if first is not None and (
        start is None or solver.evaluate(first)[0] < solver.evaluate(start)[0]
    ):
        start = first
    if start is None or not math.isfinite(solver.evaluate(start)[0]):
        return branch_and_cut(solver, start=None, heuristic=rounding)
    upper, _ = solver.evaluate(start)
    closed, opened = solver.fixable(upper, start)
    keep = ~(closed | opened)
    if not keep.any():
        _, values = solver.evaluate(start)
        return SolverRun(Status.OPTIMAL, values, 0.0, solver.label, "")
    few = (closed | opened).sum() < _REDUCE_SHARE * sel.free.size
    if few or time.perf_counter() >= solver.deadline:  # no time to rebuild a smaller master
        return branch_and_cut(solver, start=start, heuristic=rounding)
    sub_sel, sub_goods = _restrict(sel, no_goods, closed, opened)
    sub_rows = _Rows.of(radius_levels(problem, sub_sel))
    sub = BendersMaster(
        _master(problem, sub_sel, sub_rows, sub_goods),
        sub_rows,
        deadline=solver.deadline,
        gap=solver.gap,
    )
    if not sub.lp_phase():
        # Cannot happen (``start`` satisfies the reduced master); keep the incumbent.
        _, values = solver.evaluate(start)
        return SolverRun(Status.FEASIBLE, values, math.nan, solver.label, "reduction failed")
    sub_rounding = _Rounding(
        sub_rows, sub_sel.free.size, k - int(opened.sum()), sub_goods, solver.deadline
    )
    run = branch_and_cut(sub, start=start[keep], heuristic=sub_rounding)
    if run.values is None:
        return run
    y = opened.astype(np.float64)
    y[keep] = run.values[: int(keep.sum())]
    _, values = solver.evaluate(y)
    return replace(run, values=values)


@dataclass(frozen=True)
class _FirstPlan:
    """The plan of `_first_plan`: ``y`` over the free sites, its cost and a lower bound."""

    y: FloatArray
    cost: float
    bound: float

    def run(self, label: str, reason: str) -> tuple[Formulation, SolverRun]:
        """Return the plan as a ``feasible`` run (values are ``y``, in a model of ``y`` alone)."""
        builder = MilpBuilder()
        y_cols = builder.add_vars(self.y.size, integer=True)
        gap = max(self.cost - self.bound, 0.0) / max(abs(self.cost), 1e-9)
        run = SolverRun(Status.FEASIBLE, self.y, gap, label, reason)
        return Formulation(builder.build(), y_cols), run


def _first_plan(
    problem: Problem, sel: Selection, no_goods: Sequence[BoolArray], deadline: float
) -> _FirstPlan | None:
    """Build a first plan by greedy addition and swaps, before any LP, and a lower bound.

    Greedy and sparse swaps on the demand × free-site matrix (count-only selections;
    `_FIRST_SHARE` of the time left), and the bound ``Σ_i w_i min_j d_ij``.

    None when there is no count to fill, the deadline passes before a plan, the plan leaves
    a demand without a reachable site, or it is excluded by a no-good cut.
    """
    k = 0 if sel.p is None else sel.p - sel.required.size
    if not _count_only(sel) or not 0 < k < sel.free.size:
        return None
    costs = problem.costs
    row_of = np.repeat(np.arange(problem.n_demand, dtype=np.intp), np.diff(costs.indptr))
    fixed = sel.fixed_open[costs.indices]
    fallback = np.full(problem.n_demand, np.inf)
    np.minimum.at(fallback, row_of[fixed], costs.data[fixed])
    free_pos = sel.free_position(problem.n_site)
    keep = (free_pos[costs.indices] >= 0) & (costs.data < fallback[row_of])
    sub = select_entries(costs, keep, free_pos)
    sub = sp.csr_array((sub.data, sub.indices, sub.indptr), shape=(problem.n_demand, sel.free.size))
    nearest = fallback.copy()
    np.minimum.at(nearest, row_of[keep], costs.data[keep])
    if not np.isfinite(nearest).all():
        return None  # some demand reaches no site: the master decides (infeasible)
    finite = costs.data[np.isfinite(costs.data)]
    penalty = 1e6 * (1.0 + float(finite.max() if finite.size else 0.0))
    base = np.where(np.isfinite(fallback), fallback, penalty)
    now = time.perf_counter()
    until = now + _FIRST_SHARE * (deadline - now) if math.isfinite(deadline) else math.inf
    chosen = greedy(sub, problem.weights, base, k)
    chosen = sparse_interchange(sub, problem.weights, base, chosen, deadline=until)
    d1, _, _ = sparse_nearest(sub, base, chosen)
    if (d1 >= penalty).any() or any(np.array_equal(np.flatnonzero(g), chosen) for g in no_goods):
        return None
    y = np.zeros(sel.free.size)
    y[chosen] = 1.0
    return _FirstPlan(y, float(problem.weights @ d1), float(problem.weights @ nearest))


def solve_median_benders(
    problem: Problem,
    sel: Selection,
    *,
    time_limit: float | None,
    mip_gap: float,
    no_goods: Sequence[BoolArray] = (),
) -> tuple[Formulation, SolverRun]:
    """Solve the uncapacitated p-median by Benders decomposition (module docstring).

    With a count only, a greedy-and-swap plan comes first (`_first_plan`); whenever the time
    limit passes before the decomposition has a better plan, that plan is returned as
    ``feasible`` with its gap to the best bound known.
    """
    deadline = math.inf if time_limit is None else time.perf_counter() + time_limit
    label = solver_label("highs")
    stop = f"HiGHS stopped: {TIME_LIMIT_REASON}"
    first = _first_plan(problem, sel, no_goods, deadline)
    build_s = _BUILD_S_PER_ENTRY * problem.costs.nnz
    if first is not None and time.perf_counter() + build_s >= deadline:
        return first.run(label, stop)  # no time to build the master: keep the first plan
    rows = _Rows.of(radius_levels(problem, sel))
    if first is not None and time.perf_counter() >= deadline:
        return first.run(label, stop)
    form = _master(problem, sel, rows, no_goods)
    if sel.free.size == 0:
        # Nothing to decide: every demand is served by its nearest fixed open site.
        value = rows.levels.level_value[rows.first_idx]
        return form, SolverRun(Status.OPTIMAL, value, 0.0, label, "")
    solver = BendersMaster(form, rows, deadline=deadline, gap=mip_gap)
    if not solver.lp_phase():  # never with a first plan: it satisfies the master
        return form, SolverRun(Status.INFEASIBLE, None, math.nan, solver.label, "")
    if _count_only(sel):
        start = None if first is None else solver.evaluate(first.y)[1][: solver.n_free]
        return form, _solve_count_only(problem, sel, rows, solver, no_goods, first=start)
    return form, solver.mip_phase()
