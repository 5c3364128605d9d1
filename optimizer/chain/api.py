r"""Two-stage chains: designate first-contact and definitive-care centres by total chain time.

A time-critical patient (stroke, chest pain, trauma, a critically ill mother or newborn) goes
to the **nearest** designated centre. A *level-2* centre (city level: thrombectomy, PCI, a
trauma centre) treats them; a *level-1* centre (county level: thrombolysis, stabilisation)
hands them over and transfers them to the nearest level-2 centre. The patient counts as
covered only when the first leg meets the first-contact standard **and** the whole chain
(first leg + handover + transfer) meets the total standard:

.. math:: t_{ij} \le S_1 \quad\text{and}\quad t_{ij} + (h + \tau_{jk}) \le S_2

with ``j`` the nearest open centre of ``i`` (any level) and ``k`` the nearest level-2 centre
of ``j`` (``k = j`` and no handover when ``j`` is itself level 2). Among equally near centres
the patient goes to the one with the shorter chain. Because the nearest centre decides, a
level-1 designation can *lower* coverage: it captures patients whom a farther level-2 centre
would have reached in time. The model sees this; count limits are therefore upper limits.

Formulation
-----------
Sets and parameters

================  ==========================================================================
``F1``, ``F2``     free candidates for level 1 / level 2 (a site may be both; one level each)
``E1``, ``E2``     existing level-1 / level-2 centres (open at no cost, level fixed)
``t_ij``           demand → site minutes; ``τ_jk`` site → site transfer minutes
``S1``, ``S2``     first-leg and total standards; ``h`` handover minutes at a level-1 centre
``P_i``            entries ``e = (i, j)`` with ``j`` able to open, ``t_ij <= S1`` and
                   ``t_ij <=`` the time to ``i``'s nearest existing centre (nothing beyond it
                   can be a first contact)
``ℓ(e)``           rank of ``t_ij`` among the distinct times of ``P_i`` (0 = nearest)
``K_j``            level-2-able sites ``k ≠ j`` sorted by ``τ_jk``; ``m(e)`` the number of
                   them with ``t_ij + (h + τ_jk) <= S2`` (a prefix of ``K_j``)
``w_i``            demand weight (population, or an age band)
================  ==========================================================================

Variables: ``y_j ∈ {0,1}`` (level 1, ``j ∈ F1``), ``x_j ∈ {0,1}`` (level 2, ``j ∈ F2``);
``g¹_e, g²_e ∈ [0,1]``: ``i`` is covered through first contact ``j`` as level 1 / level 2;
``c_iℓ ∈ [0,1]``: some centre at distance rank ``<= ℓ`` of ``i`` is open;
``T_jm ∈ [0,1]``: one of the first ``m`` free sites of ``K_j`` is open at level 2.

.. math:: \max \sum_i w_i \sum_{e \in P_i} (g^1_e + g^2_e)

subject to

1. ``Σ_{e∈P_i} (g¹_e + g²_e) <= 1``                                      (counted once)
2. ``g¹_e <= y_j`` (``j ∈ F1``), ``g²_e <= x_j`` (``j ∈ F2``); existing ``j``: bound 1
3. ``g²_e`` exists only if ``j ∈ F2 ∪ E2`` and ``t_ij <= S2``
4. ``g¹_e <= T_j,m(e)``; no row when an existing level-2 centre is among the first ``m(e)``
   of ``K_j``; no ``g¹_e`` when ``m(e) = 0``                              (transfer in time)
5. ``T_j1 <= x_k1``, ``T_jm <= T_j,m-1 + x_km``                          (prefix of ``K_j``)
6. ``c_iℓ >= y_j + x_j`` for free ``j`` at rank ``ℓ``; ``c_iℓ >= c_i,ℓ-1``
7. ``g¹_e + g²_e + c_i,ℓ(e)-1 <= 1``                (closest assignment: none nearer open)
8. ``y_j + x_j <= 1``                                                   (one level a site)
9. ``Σ y <= P1``, ``Σ x <= P2``, ``Σ y + Σ x <= P``, ``Σ a_j y_j + Σ b_j x_j <= B``
10. ``Σ_{j∈g∩F2} x_j >= M²_g - |E2 ∩ g|``; ``Σ_{j∈g} (y_j + x_j) >= M_g - |(E1 ∪ E2) ∩ g|``

For integral ``y, x`` the best ``c`` is the indicator of an open nearer centre and the best
``T`` the indicator of an open centre in the prefix, so ``Σ g`` is exactly 1 for a covered
demand and 0 otherwise: the MILP objective is the true covered weight. Row 7 with the chained
``c`` is as tight as the pairwise closest-assignment rows ``g_e + y_j' + x_j' <= 1`` (Wagner &
Falkson 1975; Gerrard & Church 1996) but linear in size; rows 4-5 keep the transfer rows
linear in ``|K_j|`` instead of one row per (demand, first contact, transfer target).

Reductions: demand with zero weight leaves the program; entries beyond a demand's nearest
existing centre are dropped (nothing farther can be its first contact); of identical free
candidates (same costs, minutes, transfers, 0 between them, same groups: co-located
hospitals) only the first ``max(1, largest per-group minimum)`` stay candidates, since a
further copy changes no chain (on Liaoning 58 city hospitals stand at 22 places; on the
chest-pain chain this cut the solve from about 30 s to a few seconds). After solving, new
designations that add no covered weight and that no minimum needs are dropped
(``drop_redundant``). The plan's objective is recomputed by `evaluate_chain`, the exact rule
above, which the tests check against brute force.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from optimizer.chain._model import (
    Limits,
    build_model,
    check_limits,
    duplicates,
    explain_infeasible,
    row_of,
)
from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.core.options import solver_options
from optimizer.core.problem import Problem
from optimizer.core.solvers import solver_label
from optimizer.errors import InvalidOptionError, InvalidProblemError
from optimizer.result import Status

__all__ = ["ChainPlan", "ChainProblem", "ChainTimes", "evaluate_chain", "solve_chain"]


@dataclass(frozen=True, eq=False)
class ChainProblem:
    """A two-stage chain designation problem; build it with `ChainProblem.from_matrix`.

    Attributes
    ----------
    base
        Core `Problem`: demand × site minutes, weights, ids and site groups.
    transfer
        Site × site transfer minutes (CSR; stored entries are reachable).
    first_cost, second_cost
        Designation cost of each site at level 1 / level 2; NaN = not a candidate.
    first_existing, second_existing
        Existing level-1 / level-2 centres (a site in both is level 2).
    first_leg_minutes, total_minutes, handover_minutes
        ``S1``, ``S2`` and ``h`` of the module docstring.
    """

    base: Problem
    transfer: sp.csr_array
    first_cost: FloatArray
    second_cost: FloatArray
    first_existing: BoolArray
    second_existing: BoolArray
    first_leg_minutes: float
    total_minutes: float
    handover_minutes: float

    @classmethod
    def from_matrix(
        cls,
        minutes: ArrayLike | sp.sparray | sp.spmatrix,
        transfer: ArrayLike | sp.sparray | sp.spmatrix,
        weights: ArrayLike | None = None,
        *,
        first_leg_minutes: float,
        total_minutes: float,
        handover_minutes: float = 0.0,
        demand_ids: Sequence[Hashable] | ArrayLike | None = None,
        site_ids: Sequence[Hashable] | ArrayLike | None = None,
        first_cost: ArrayLike | None = None,
        second_cost: ArrayLike | None = None,
        first_existing: Iterable[Hashable] | None = None,
        second_existing: Iterable[Hashable] | None = None,
        groups: Mapping[Hashable, Iterable[Hashable]] | None = None,
    ) -> ChainProblem:
        """Validate the matrices and the site attributes into a `ChainProblem`.

        Parameters
        ----------
        minutes
            Demand × site minutes (dense: ``inf``/NaN unreachable; sparse: stored entries
            reachable, explicit zeros included).
        transfer
            Site × site minutes, same conventions; the diagonal is ignored.
        weights
            Demand weights, default 1.
        first_leg_minutes, total_minutes, handover_minutes
            Standards ``S1`` (demand → first contact) and ``S2`` (whole chain), and the
            handover time ``h`` added at a level-1 centre before the transfer.
        demand_ids, site_ids
            Ids kept in plans; default ``0 … n-1``.
        first_cost, second_cost
            Cost of designating each site at level 1 / level 2; NaN = not a candidate.
            Default: no candidates at that level.
        first_existing, second_existing
            Site ids of existing level-1 / level-2 centres (not candidates).
        groups
            Group label → site ids, for the per-group minimums of `solve_chain`.

        Raises
        ------
        InvalidProblemError
            One line listing every problem found.
        """
        base = Problem.from_matrix(
            minutes, weights, demand_ids=demand_ids, site_ids=site_ids, groups=groups
        )
        n = base.n_site
        problems: list[str] = []
        hop = Problem.from_matrix(transfer, demand_ids=base.site_ids, site_ids=base.site_ids)
        for label, minutes_value in (
            ("first_leg_minutes", first_leg_minutes),
            ("total_minutes", total_minutes),
            ("handover_minutes", handover_minutes),
        ):
            if not (math.isfinite(minutes_value) and minutes_value >= 0):
                problems.append(f"{label} must be a finite number >= 0, got {minutes_value!r}")
        costs = []
        for name, value in (("first_cost", first_cost), ("second_cost", second_cost)):
            arr = np.full(n, np.nan) if value is None else np.asarray(value, dtype=np.float64)
            if arr.shape != (n,):
                problems.append(f"{name} needs {n} values (one per site)")
                arr = np.full(n, np.nan)
            elif (arr[~np.isnan(arr)] < 0).any() or np.isinf(arr).any():
                problems.append(f"{name} must be finite and >= 0 (NaN = not a candidate)")
            costs.append(arr)
        masks = []
        for name, ids in (("first_existing", first_existing), ("second_existing", second_existing)):
            try:
                pos = base.site_positions(None if ids is None else list(ids), name)
            except InvalidProblemError as exc:
                problems.append(str(exc))
                pos = np.zeros(0, dtype=np.intp)
            mask = np.zeros(n, dtype=np.bool_)
            mask[pos] = True
            masks.append(mask)
        if problems:
            raise InvalidProblemError("; ".join(problems))
        second_existing_mask = masks[1]
        existing = masks[0] | second_existing_mask
        return cls(
            base=base,
            transfer=hop.costs,
            first_cost=np.where(existing, np.nan, costs[0]),
            second_cost=np.where(existing, np.nan, costs[1]),
            first_existing=masks[0] & ~second_existing_mask,
            second_existing=second_existing_mask,
            first_leg_minutes=float(first_leg_minutes),
            total_minutes=float(total_minutes),
            handover_minutes=float(handover_minutes),
        )

    @property
    def first_free(self) -> BoolArray:
        """Level-1 candidates."""
        return np.asarray(np.isfinite(self.first_cost), dtype=np.bool_)

    @property
    def second_free(self) -> BoolArray:
        """Level-2 candidates."""
        return np.asarray(np.isfinite(self.second_cost), dtype=np.bool_)


@dataclass(frozen=True)
class ChainTimes:
    """The chain of every demand point for one set of open centres (positions, -1 = none).

    Attributes
    ----------
    first_minutes, first_site
        Minutes to, and position of, the first-contact centre (``inf`` / -1: none reachable).
    chain_minutes, final_site
        Total chain minutes (first leg + handover + transfer) and the level-2 centre reached.
    covered
        ``first_minutes <= S1`` and ``chain_minutes <= S2``.
    """

    first_minutes: FloatArray
    first_site: IntArray
    chain_minutes: FloatArray
    final_site: IntArray
    covered: BoolArray


def _first_per_row(rows: IntArray, order: IntArray) -> IntArray:
    """Return the indices (into the unsorted arrays) of each row's first entry in `order`."""
    if order.size == 0:
        return order
    sorted_rows = rows[order]
    first = np.ones(order.size, dtype=np.bool_)
    first[1:] = sorted_rows[1:] != sorted_rows[:-1]
    return order[first]


def evaluate_chain(
    problem: ChainProblem, first_open: ArrayLike, second_open: ArrayLike
) -> ChainTimes:
    """Evaluate the exact chain of every demand point with the given open centres.

    This is the ground truth the model is checked against.

    Parameters
    ----------
    problem
        The chain problem.
    first_open, second_open
        Boolean masks over the sites: open at level 1 / level 2 (existing centres are
        added); a site open at both levels is level 2.

    Returns
    -------
    ChainTimes
        First leg, chain time and centres of every demand point.
    """
    n_site = problem.base.n_site
    level2 = np.asarray(second_open, dtype=np.bool_) | problem.second_existing
    level1 = (np.asarray(first_open, dtype=np.bool_) | problem.first_existing) & ~level2
    if level1.shape != (n_site,) or level2.shape != (n_site,):
        msg = f"first_open and second_open need {n_site} values (one per site)"
        raise InvalidOptionError(msg)
    extra = np.where(level2, 0.0, np.inf)
    target = np.where(level2, np.arange(n_site), -1)
    hop = problem.transfer
    h_rows, h_cols, h_vals = row_of(hop), hop.indices, hop.data
    keep = level1[h_rows] & level2[h_cols] & (h_rows != h_cols)
    h_rows, h_cols, h_vals = h_rows[keep], h_cols[keep], h_vals[keep]
    best = _first_per_row(h_rows, np.lexsort((h_cols, h_vals, h_rows)))
    extra[h_rows[best]] = problem.handover_minutes + h_vals[best]
    target[h_rows[best]] = h_cols[best]

    costs = problem.base.costs
    rows, cols, vals = row_of(costs), costs.indices, costs.data
    keep = (level1 | level2)[cols]
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    first = _first_per_row(rows, np.lexsort((cols, extra[cols], vals, rows)))
    n = problem.base.n_demand
    first_minutes = np.full(n, np.inf)
    first_site = np.full(n, -1, dtype=np.intp)
    chain = np.full(n, np.inf)
    final = np.full(n, -1, dtype=np.intp)
    first_minutes[rows[first]] = vals[first]
    first_site[rows[first]] = cols[first]
    chain[rows[first]] = vals[first] + extra[cols[first]]
    final[rows[first]] = target[cols[first]]
    covered = (first_minutes <= problem.first_leg_minutes) & (chain <= problem.total_minutes)
    return ChainTimes(first_minutes, first_site, chain, final, covered)


@dataclass(frozen=True)
class ChainPlan:
    """The outcome of `solve_chain`.

    Attributes
    ----------
    status
        `Status` read from the solver (``optimal`` only when proven within
        `optimizer.result.DEFAULT_MIP_GAP`; a looser ``mip_gap`` or a time limit gives
        ``feasible`` with the gap).
    objective
        Covered weight, recomputed with `evaluate_chain` (NaN without a plan).
    gap
        Relative MIP gap reported by the solver.
    first_selected, second_selected
        Newly designated level-1 / level-2 centres (site ids, site order).
    first_open, second_open
        Every level-1 / level-2 centre of the plan, existing included.
    cost
        Designation cost of the new centres.
    dropped
        New designations the solver returned that add no coverage and no rule needs; they
        were removed (objective unchanged) when ``drop_redundant`` was on.
    runtime_s, solver, message
        As in `optimizer.Plan`.
    """

    status: Status
    objective: float
    gap: float
    first_selected: tuple[Hashable, ...]
    second_selected: tuple[Hashable, ...]
    first_open: tuple[Hashable, ...]
    second_open: tuple[Hashable, ...]
    cost: float
    dropped: tuple[Hashable, ...]
    runtime_s: float
    solver: str
    message: str = ""


def _rules_hold(problem: ChainProblem, limits: Limits, l1: BoolArray, l2: BoolArray) -> bool:
    for label in set(limits.min_second) | set(limits.min_open):
        members = problem.base.groups[label]
        if int(l2[members].sum()) < limits.min_second.get(label, 0):
            return False
        if int((l1 | l2)[members].sum()) < limits.min_open.get(label, 0):
            return False
    return True


def _drop_redundant(
    problem: ChainProblem, limits: Limits, new1: BoolArray, new2: BoolArray
) -> tuple[BoolArray, BoolArray, list[int]]:
    """Remove new designations that add no covered weight and that no rule needs.

    Sites are tried in site order, level-1 designations first; each removal is kept only if
    the covered weight does not fall, so the objective never gets worse.
    """
    new1, new2 = new1.copy(), new2.copy()
    weights = problem.base.weights
    best = float(weights[evaluate_chain(problem, new1, new2).covered].sum())
    dropped: list[int] = []
    for level_mask in (new1, new2):
        for j in np.flatnonzero(level_mask):
            level_mask[j] = False
            value = float(weights[evaluate_chain(problem, new1, new2).covered].sum())
            l1 = (new1 | problem.first_existing) & ~(new2 | problem.second_existing)
            if value >= best - 1e-9 * max(1.0, best) and _rules_hold(
                problem, limits, l1, new2 | problem.second_existing
            ):
                best = max(best, value)
                dropped.append(int(j))
            else:
                level_mask[j] = True
    return new1, new2, dropped


def solve_chain(
    problem: ChainProblem,
    *,
    max_first: int | None = None,
    max_second: int | None = None,
    max_total: int | None = None,
    budget: float | None = None,
    min_second_per_group: Mapping[Hashable, int] | None = None,
    min_open_per_group: Mapping[Hashable, int] | None = None,
    drop_redundant: bool = True,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
) -> ChainPlan:
    """Designate level-1 and level-2 centres that maximise the covered weight.

    Parameters
    ----------
    problem
        The `ChainProblem`.
    max_first, max_second, max_total
        Most new level-1 / level-2 / all designations (upper limits: a level-1 centre can
        lower coverage, so a count is never forced).
    budget
        Limit on the designation cost of the new centres.
    min_second_per_group
        Group label → least number of level-2 centres in the group, existing included
        (e.g. one city-level centre per city).
    min_open_per_group
        Group label → least number of centres of any level, existing included (e.g. one per
        county).
    drop_redundant
        Remove new designations that add no coverage and that no minimum needs.
    solver, time_limit, mip_gap
        As in `optimizer.solve`.

    Returns
    -------
    ChainPlan
        ``status == "infeasible"`` with a message when no designation meets the limits.

    Raises
    ------
    InvalidOptionError
        For options that do not describe a model.
    """
    start = time.perf_counter()
    options = solver_options(solver, time_limit, mip_gap)
    limits = Limits(
        max_first,
        max_second,
        max_total,
        budget,
        dict(min_second_per_group or {}),
        dict(min_open_per_group or {}),
    )
    check_limits(problem, limits)
    reason = explain_infeasible(problem, limits)
    if reason:
        return _empty(
            problem,
            Status.INFEASIBLE,
            reason,
            start,
            f"{solver_label(options.solver)} (not run: pre-solve checks)",
        )
    keep = max([1, *limits.min_second.values(), *limits.min_open.values()])
    blocked = duplicates(problem, keep)
    reduced = replace(
        problem,
        first_cost=np.where(blocked, np.nan, problem.first_cost),
        second_cost=np.where(blocked, np.nan, problem.second_cost),
    )
    built = build_model(reduced, limits)
    run = options.run(built.milp)
    if run.values is None:
        message = run.reason
        if run.status is Status.INFEASIBLE:
            message = (
                "no designation satisfies all of the limits together "
                f"({_active(limits)}); each per-group minimum has enough candidates alone"
            )
        return _empty(problem, run.status, message, start, run.solver)
    n_site = problem.base.n_site
    new1 = np.zeros(n_site, dtype=np.bool_)
    new2 = np.zeros(n_site, dtype=np.bool_)
    new1[built.y_sites[run.values[built.y_cols] > 0.5]] = True
    new2[built.x_sites[run.values[built.x_cols] > 0.5]] = True
    dropped: list[int] = []
    if drop_redundant:
        new1, new2, dropped = _drop_redundant(problem, limits, new1, new2)
    times = evaluate_chain(problem, new1, new2)
    ids = problem.base.site_ids
    l2 = new2 | problem.second_existing
    l1 = (new1 | problem.first_existing) & ~l2
    return ChainPlan(
        status=run.status,
        objective=float(problem.base.weights[times.covered].sum()),
        gap=run.gap,
        first_selected=tuple(ids[j] for j in np.flatnonzero(new1)),
        second_selected=tuple(ids[j] for j in np.flatnonzero(new2)),
        first_open=tuple(ids[j] for j in np.flatnonzero(l1)),
        second_open=tuple(ids[j] for j in np.flatnonzero(l2)),
        cost=float(problem.first_cost[new1].sum() + problem.second_cost[new2].sum()),
        dropped=tuple(ids[j] for j in sorted(dropped)),
        runtime_s=time.perf_counter() - start,
        solver=run.solver,
        message=run.reason,
    )


def _active(limits: Limits) -> str:
    parts = [
        f"{name} = {value}"
        for name, value in (
            ("max_first", limits.max_first),
            ("max_second", limits.max_second),
            ("max_total", limits.max_total),
            ("budget", limits.budget),
        )
        if value is not None
    ]
    if limits.min_second:
        parts.append(f"level-2 minimums in {len(limits.min_second)} groups")
    if limits.min_open:
        parts.append(f"minimums in {len(limits.min_open)} groups")
    return ", ".join(parts) or "no limits"


def _empty(
    problem: ChainProblem, status: Status, message: str, start: float, solver: str
) -> ChainPlan:
    return ChainPlan(
        status=status,
        objective=math.nan,
        gap=math.nan,
        first_selected=(),
        second_selected=(),
        first_open=(),
        second_open=(),
        cost=0.0,
        dropped=(),
        runtime_s=time.perf_counter() - start,
        solver=solver,
        message=message,
    )
