r"""Benders decomposition of the uncapacitated p-median, solved with HiGHS.

The radius formulation of `optimizer.median` has one ``z`` per demand and cost level; its
LP is large and degenerate. Projecting the ``z`` out (Duran-Mateluna, Ales & Elloumi 2023,
"An efficient Benders decomposition for the p-median problem", EJOR 308) leaves a master
with one ``θ_i`` per merged demand row:

.. math:: \min \sum_i w_i \theta_i

subject to

1. ``θ_i + Σ_{j∈F: d_ij < D_i^k} (D_i^k - d_ij) y_j >= D_i^k`` for the levels ``k`` added
   as cuts (optimality cuts; a fixed open site at ``e_i`` counts as an open site)
2. ``Σ_{j∈F reachable from i} y_j >= 1`` for rows that reach no fixed open site
3. the shared count, budget and group rows of `optimizer._selection`, and no-good cuts
4. ``D_i^1 <= θ_i <= D_i^{K_i}``, ``y_j ∈ {0, 1}``

For given ``y`` the most violated cut of row ``i`` is at the first level ``k`` where the
open mass ``Σ_{d_ij <= D_i^k} y_j`` (fixed open sites count 1) reaches 1; it is found for all
rows at once with numpy. Phase 1 adds cuts at LP solutions until none is violated (the
bound of the radius LP); phase 2 solves the master MIP, evaluates the true cost of its
selection, adds the violated cuts and repeats, warm-started with the best selection, until
the master's dual bound is within the gap of the best true cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from optimizer._capacity import Formulation
from optimizer._milp import MilpBuilder
from optimizer._reduce import merge_identical_rows
from optimizer._selection import Selection, add_selection_rows
from optimizer._solvers import SolverRun, highs_label, load_highs, new_highs, solver_label
from optimizer.median import RadiusLevels, radius_levels
from optimizer.problem import Problem
from optimizer.result import Status

__all__ = ["solve_median_benders"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

_LP_ROUNDS = 200
_TOL = 1e-7
_DENSE_LIMIT = 4_000_000
_SWAP_ROUNDS = 100
_HEURISTICS = (
    "mip_heuristic_run_rins",
    "mip_heuristic_run_rens",
    "mip_heuristic_run_root_reduced_cost",
    "mip_heuristic_run_feasibility_jump",
)


def _plain(sel: Selection, no_goods: Sequence[BoolArray]) -> bool:
    """Only a count constraint on the free sites: the swap heuristic applies."""
    return (
        sel.p is not None
        and sel.p_exact
        and sel.budget is None
        and not sel.group_min
        and not sel.group_max
        and not no_goods
        and 0 < sel.p - sel.required.size < sel.free.size
    )


def local_search(rows: _Rows, lp_y: FloatArray, k: int) -> FloatArray:
    """Exactly ``k`` free sites: the ``k`` largest LP values, improved by best-swap moves.

    Works on the dense merged-row × free-site matrix, with each row's fixed open site (or a
    large penalty for unreachable pairs) as the fallback cost.
    """
    lv = rows.levels
    n_free = lp_y.size
    cutoff = lv.level_value[rows.last_idx]
    penalty = np.where(lv.is_cutoff[rows.last_idx], cutoff, 1e6 * (1.0 + np.abs(cutoff).max()))
    dense = np.repeat(penalty[:, None], n_free, axis=1)
    dense[rows.e_row, lv.entry_site] = rows.e_val
    weight = lv.weight
    chosen = np.sort(np.argsort(-lp_y, kind="stable")[:k])
    for _ in range(_SWAP_ROUNDS):
        sub = dense[:, chosen]
        order = np.argsort(sub, axis=1, kind="stable")
        first = np.take_along_axis(sub, order[:, :1], axis=1)[:, 0]
        second = np.take_along_axis(sub, order[:, 1:2], axis=1)[:, 0] if k > 1 else penalty
        second = np.minimum(second, penalty)
        first = np.minimum(first, penalty)
        current = float(weight @ first)
        best_gain, best_move = 1e-9 * max(1.0, current), None
        for slot in range(k):
            base = np.where(order[:, 0] == slot, second, first)
            costs = weight @ np.minimum(dense, base[:, None])
            costs[chosen] = np.inf
            add = int(np.argmin(costs))
            if current - costs[add] > best_gain:
                best_gain, best_move = current - costs[add], (slot, add)
        if best_move is None:
            break
        chosen[best_move[0]] = best_move[1]
        chosen = np.sort(chosen)
    y = np.zeros(n_free)
    y[chosen] = 1.0
    return y


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
    """Rows 2 of the module docstring, one per distinct reach set, skipping implied ones.

    A row reaching every free site is implied by an exact count of at least one site.
    """
    lv = rows.levels
    n_free = sel.free.size
    open_end = ~lv.is_cutoff[rows.last_idx]
    reach = np.bincount(rows.e_row, minlength=lv.n_rows)
    forced = sel.p is not None and sel.p_exact and sel.p - sel.required.size >= 1
    if forced:
        open_end &= reach < n_free
    if not open_end.any():
        return
    need = open_end[rows.e_row]
    pattern = sp.csr_array(
        (np.ones(int(need.sum())), lv.entry_site[need], np.concatenate([[0], np.cumsum(reach[open_end])])),
        shape=(int(open_end.sum()), n_free),
    )
    pattern.sort_indices()
    reps, _ = merge_identical_rows(pattern)
    pattern = pattern[reps]
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


class _Solver:
    """The master in a ``highspy.Highs`` object, with a shared deadline."""

    def __init__(self, form: Formulation, rows: _Rows, *, time_limit: float | None, gap: float):
        import highspy

        self.hs = highspy
        self.rows = rows
        self.n_free = form.y_cols.size
        self.theta = slice(self.n_free, self.n_free + rows.levels.n_rows)
        self.gap = gap
        self.deadline = math.inf if time_limit is None else time.perf_counter() + time_limit
        self.h = new_highs(time_limit=None, mip_gap=gap)
        # The master is small and dense; HiGHS presolve only costs time on it (measured).
        self.h.setOptionValue("presolve", "off")
        load_highs(self.h, form.milp)
        self.label = highs_label(self.h)
        self.lp_y = np.zeros(self.n_free)
        self.lp_bound = -math.inf
        self.reduced: FloatArray | None = None
        self.fixed = np.zeros(self.n_free, dtype=np.bool_)

    def run(self) -> tuple[Any, FloatArray | None]:
        """Run with the remaining time; returns HiGHS's model status and primal values."""
        h = self.h
        h.setOptionValue("time_limit", max(self.deadline - time.perf_counter(), 1e-3))
        h.run()
        feasible = int(h.getInfo().primal_solution_status) == int(
            self.hs.SolutionStatus.kSolutionStatusFeasible
        )
        values = np.asarray(h.getSolution().col_value) if feasible else None
        return h.getModelStatus(), values

    def infeasible(self, status: Any) -> bool:
        ms = self.hs.HighsModelStatus
        return bool(status in (ms.kInfeasible, ms.kUnboundedOrInfeasible))

    def set_integer(self, integer: bool) -> None:
        idx = np.arange(self.n_free, dtype=np.int32)
        self.h.changeColsIntegrality(
            self.n_free, idx, np.full(self.n_free, int(integer), dtype=np.uint8)
        )

    def violated(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, BoolArray, Any]:
        """Cut values at ``y``, the rows whose ``θ`` in ``x`` violates them, and the cuts."""
        kstar, value, below = _separate(self.rows, y)
        bad = x[self.theta] < value - _TOL * np.maximum(1.0, np.abs(value))
        return value, bad, _cuts(self.rows, kstar, below, bad, self.n_free)

    def lp_phase(self) -> bool:
        """Cut the LP relaxation until no cut is violated; False if the master is infeasible.

        Keeps the LP point, its bound and the reduced costs of ``y`` for `fix_by_reduced_cost`.
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

    def fixable(self, upper: float, start: FloatArray) -> tuple[BoolArray, BoolArray]:
        """Sites proven closed / open in every solution cheaper than ``upper`` (never against
        ``start``, a solution of that cost)."""
        none = np.zeros(self.n_free, dtype=np.bool_)
        if self.reduced is None or not math.isfinite(upper):
            return none, none
        slack = upper - self.lp_bound + 1e-9 * max(1.0, abs(upper))
        at_zero = (self.lp_y < 1e-9) & (self.reduced > slack) & (start < 0.5)
        at_one = (self.lp_y > 1 - 1e-9) & (-self.reduced > slack) & (start > 0.5)
        return at_zero, at_one

    def fix_by_reduced_cost(self, upper: float) -> None:
        """Fix ``y_j`` whose LP reduced cost proves that flipping it cannot beat ``upper``.

        The cut master LP is a relaxation of the problem, so every solution with ``y_j`` away
        from its LP bound costs at least ``lp_bound + |reduced cost|``.
        """
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

    def mip_phase(self, start: FloatArray | None) -> SolverRun:
        """Solve the master MIP, add cuts at its selection, repeat until the gap closes.

        ``start`` is an integer ``y`` (e.g. from `local_search`) used as the first incumbent.
        """
        self.set_integer(True)
        # Drop the fractional LP point: HiGHS would otherwise spend a sub-MIP repairing it.
        self.h.clearSolver()
        weight = self.rows.levels.weight
        best: FloatArray | None = None
        best_cost, bound = math.inf, -math.inf
        if start is not None:
            # With a local-search incumbent, HiGHS's own primal heuristics mostly re-solve
            # sub-MIPs (measured: ~80 % of LP iterations on 400 nodes, p = 5); turn them off.
            for name in _HEURISTICS:
                self.h.setOptionValue(name, False)
            self.h.setOptionValue("mip_heuristic_effort", 0.0)
            value, bad, cuts = self.violated(np.zeros(self.theta.stop), start)
            best_cost, best = float(weight @ value), np.concatenate([start, value])
            _add_cuts(self.h, cuts)
            self.fix_by_reduced_cost(best_cost)
            self.h.setSolution(best.size, np.arange(best.size, dtype=np.int32), best)
        while True:
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


def _cost_of(rows: _Rows, y: FloatArray) -> tuple[FloatArray, float]:
    _, value, _ = _separate(rows, y)
    return value, float(rows.levels.weight @ value)


def solve_median_benders(
    problem: Problem,
    sel: Selection,
    *,
    time_limit: float | None,
    mip_gap: float,
    no_goods: Sequence[BoolArray] = (),
) -> tuple[Formulation, SolverRun]:
    """Solve the uncapacitated p-median by Benders decomposition (module docstring)."""
    import os
    dbg = bool(os.environ.get("PM_DEBUG"))
    t0 = time.perf_counter()
    rows = _Rows.of(radius_levels(problem, sel))
    form = _master(problem, sel, rows, no_goods)
    if sel.free.size == 0:
        # Nothing to decide: every demand is served by its nearest fixed open site.
        value = rows.levels.level_value[rows.first_idx]
        return form, SolverRun(Status.OPTIMAL, value, 0.0, solver_label("highs"), "")
    solver = _Solver(form, rows, time_limit=time_limit, gap=mip_gap)
    if not solver.lp_phase():
        return form, SolverRun(Status.INFEASIBLE, None, math.nan, solver.label, "")
    if dbg: print(f"lp phase {time.perf_counter()-t0:.2f}s bound {solver.lp_bound:.2f}", flush=True)
    start = None
    if _plain(sel, no_goods) and rows.levels.n_rows * sel.free.size <= _DENSE_LIMIT:
        start = local_search(rows, solver.lp_y, sel.p - sel.required.size)  # type: ignore[operator]
    if start is None or os.environ.get("PM_NOREDUCE"):
        return form, solver.mip_phase(start)
    _, upper = _cost_of(rows, start)
    closed, opened = solver.fixable(upper, start)
    if dbg: print(f"ls {time.perf_counter()-t0:.2f}s ub {upper} closed {closed.sum()} opened {opened.sum()}", flush=True)
    keep = ~(closed | opened)
    if not keep.any():
        value, _ = _cost_of(rows, start)
        return form, SolverRun(Status.OPTIMAL, np.concatenate([start, value]), 0.0, solver.label, "")
    sub_sel = replace(
        sel,
        free=sel.free[keep],
        fixed_open=_with(sel.fixed_open, sel.free[opened]),
        required=np.sort(np.concatenate([sel.required, sel.free[opened]])),
        excluded=np.sort(np.concatenate([sel.excluded, sel.free[closed]])),
    )
    sub_rows = _Rows.of(radius_levels(problem, sub_sel))
    sub_form = _master(problem, sub_sel, sub_rows, ())
    remaining = None if time_limit is None else max(solver.deadline - time.perf_counter(), 1e-3)
    sub = _Solver(sub_form, sub_rows, time_limit=remaining, gap=mip_gap)
    if not sub.lp_phase():
        return form, SolverRun(Status.INFEASIBLE, None, math.nan, solver.label, "")
    if dbg: print(f"sub lp {time.perf_counter()-t0:.2f}s bound {sub.lp_bound:.2f} rows {sub.h.getNumRow()} nnz {sub.h.getNumNz()}", flush=True)
    run = sub.mip_phase(start[keep])
    if run.values is None:
        return form, run
    y = opened.astype(np.float64)
    y[keep] = run.values[: int(keep.sum())]
    value, _ = _cost_of(rows, y)
    return form, replace(run, values=np.concatenate([y, value]))


def _with(mask: BoolArray, idx: IntArray) -> BoolArray:
    out = mask.copy()
    out[idx] = True
    return out
