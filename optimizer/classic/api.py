"""`solve`: validate options, check feasibility, formulate, run the solver, decode the plan.

k best alternatives: after the optimum with free selection ``S``, the no-good cut
``Σ_{j∈F∖S} y_j - Σ_{j∈S} y_j >= 1 - |S|`` removes exactly that selection; the model is
solved again, up to ``alternatives`` times, each plan distinct from all before it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import replace
from typing import Literal

import numpy as np
import scipy.sparse as sp

from optimizer.classic._benders import solve_median_benders
from optimizer.classic._capacity import Formulation
from optimizer.classic._center_search import solve_center_search
from optimizer.classic._checks import explain_infeasible, explain_solver_infeasible
from optimizer.classic._selection import Selection
from optimizer.classic.center import formulate_minmax
from optimizer.classic.coverage import formulate_coverage, formulate_set_cover
from optimizer.classic.median import formulate_median
from optimizer.core.arrays import BoolArray, IntArray
from optimizer.core.milp import Milp
from optimizer.core.options import SolverOptions, check_choice, solver_options
from optimizer.core.problem import Problem
from optimizer.core.reduce import nearest_open
from optimizer.core.solvers import SolverRun, settle, solver_label
from optimizer.errors import InvalidOptionError
from optimizer.result import Plan, Status

__all__ = ["OBJECTIVES", "solve"]


Objective = Literal["median", "coverage", "set_cover", "minmax"]
OBJECTIVES: tuple[str, ...] = ("median", "coverage", "set_cover", "minmax")
GroupLimit = int | Mapping[Hashable, int] | None


def _group_limits(problem: Problem, limit: GroupLimit, name: str) -> dict[Hashable, int]:
    if limit is None:
        return {}
    if not problem.groups:
        msg = f"{name} needs groups: pass groups= to Problem.from_matrix"
        raise InvalidOptionError(msg)
    if isinstance(limit, Mapping):
        unknown = [g for g in limit if g not in problem.groups]
        if unknown:
            msg = f"{name} names unknown groups: {unknown[:5]!r}"
            raise InvalidOptionError(msg)
        out = dict(limit)
    else:
        out = dict.fromkeys(problem.groups, limit)
    if any(
        isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0 for v in out.values()
    ):
        msg = f"{name} must be integers >= 0"
        raise InvalidOptionError(msg)
    return {g: int(v) for g, v in out.items()}


def _selection(
    problem: Problem,
    *,
    objective: str,
    p: int | None,
    budget: float | None,
    required: Iterable[Hashable] | None,
    excluded: Iterable[Hashable] | None,
    group_min: GroupLimit,
    group_max: GroupLimit,
) -> Selection:
    problems: list[str] = []
    if p is not None and (isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 0):
        problems.append(f"p must be an integer >= 0, got {p!r}")
    if budget is not None:
        if problem.site_cost is None:
            problems.append("budget needs site_cost: pass site_cost= to Problem.from_matrix")
        if not math.isfinite(budget) or budget < 0:
            problems.append(f"budget must be a finite number >= 0, got {budget!r}")
    if objective != "set_cover" and p is None and budget is None:
        problems.append(f"objective {objective!r} needs p (additional sites) or budget")
    req = problem.site_positions(required, "required")
    exc = problem.site_positions(excluded, "excluded")
    both = np.intersect1d(req, exc)
    if both.size:
        problems.append(
            f"sites both required and excluded: {[problem.site_ids[j] for j in both[:5]]!r}"
        )
    closed_existing = exc[problem.existing[exc]]
    if closed_existing.size:
        ids = [problem.site_ids[j] for j in closed_existing[:5]]
        problems.append(f"existing sites cannot be excluded: {ids!r}")
    gmin = _group_limits(problem, group_min, "group_min")
    gmax = _group_limits(problem, group_max, "group_max")
    bad = [g for g in gmin if g in gmax and gmin[g] > gmax[g]]
    if bad:
        problems.append(f"group_min exceeds group_max for groups {bad[:5]!r}")
    if problems:
        raise InvalidOptionError("; ".join(problems))
    req = req[~problem.existing[req]]
    fixed_open = problem.existing.copy()
    fixed_open[req] = True
    free_mask = ~fixed_open
    free_mask[exc] = False
    return Selection(
        free=np.flatnonzero(free_mask).astype(np.intp),
        fixed_open=fixed_open,
        required=req,
        excluded=exc,
        p=None if p is None else int(p),
        p_exact=budget is None,
        budget=None if budget is None else float(budget),
        group_min=gmin,
        group_max=gmax,
    )


def _formulate(
    problem: Problem, sel: Selection, objective: str, threshold: float | None
) -> Formulation:
    if objective == "median":
        return formulate_median(problem, sel)
    if objective == "minmax":
        return formulate_minmax(problem, sel)
    assert threshold is not None
    if objective == "coverage":
        return formulate_coverage(problem, sel, threshold)
    return formulate_set_cover(problem, sel, threshold)


def _plan(
    problem: Problem,
    sel: Selection,
    form: Formulation,
    run: SolverRun,
    *,
    objective: str,
    threshold: float | None,
    runtime_s: float,
) -> Plan:
    if run.values is None:
        message = (
            explain_solver_infeasible(problem, sel, threshold)
            if run.status is Status.INFEASIBLE
            else run.reason
        )
        return Plan.without_solution(run.status, message, solver=run.solver, runtime_s=runtime_s)
    chosen = sel.free[run.values[form.y_cols] > 0.5]
    new = np.zeros(problem.n_site, dtype=np.bool_)
    new[chosen] = True
    new[sel.required] = True
    open_mask = new | sel.fixed_open
    site = np.full(problem.n_demand, -1, dtype=np.intp)
    cost = np.full(problem.n_demand, np.inf)
    if form.assignment is not None:
        block = form.assignment
        on = run.values[block.cols] > 0.5
        site[block.demand[on]] = block.site[on]
        cost[block.demand[on]] = block.cost[on]
    else:
        site = nearest_open(problem.costs, open_mask)
        hit = site >= 0
        rows = np.flatnonzero(hit)
        cost[hit] = np.asarray(problem.costs[rows, site[hit]]).reshape(-1)
    weights = problem.weights
    if objective == "median":
        value = float(weights[site >= 0] @ cost[site >= 0])
    elif objective == "minmax":
        value = float(cost.max()) if cost.size else 0.0
    elif objective == "coverage":
        assert threshold is not None
        value = float(weights[cost <= threshold].sum())
    else:
        value = float(new.sum())
    ids = problem.site_ids
    return Plan(
        status=run.status,
        objective=value,
        gap=run.gap,
        selected=tuple(ids[j] for j in np.flatnonzero(new)),
        open_sites=tuple(ids[j] for j in np.flatnonzero(open_mask)),
        assignment={
            d: (ids[j] if j >= 0 else None)
            for d, j in zip(problem.demand_ids, site.tolist(), strict=True)
        },
        runtime_s=runtime_s,
        solver=run.solver,
        message=run.reason,
    )


def _no_good(milp: Milp, y_cols: IntArray, chosen: BoolArray) -> Milp:
    coef = np.where(chosen, -1.0, 1.0)
    row = sp.csr_array(
        (coef, (np.zeros(y_cols.size, dtype=np.intp), y_cols)), shape=(1, milp.n_col)
    )
    return milp.with_rows(row, [1.0 - float(chosen.sum())], [np.inf])


def _run(
    problem: Problem,
    sel: Selection,
    *,
    objective: str,
    threshold: float | None,
    options: SolverOptions,
    no_goods: list[BoolArray],
) -> tuple[Formulation, SolverRun]:
    """Formulate and solve.

    With HiGHS, the uncapacitated p-median goes through Benders and the uncapacitated p-center
    through a radius bisection.
    """
    limit, gap = options.time_limit, options.mip_gap
    if objective == "median" and problem.capacity is None and options.solver == "highs":
        form, run = solve_median_benders(
            problem, sel, time_limit=limit, mip_gap=gap, no_goods=no_goods
        )
        return form, settle(run)
    if objective == "minmax" and problem.capacity is None and options.solver == "highs":
        form, run = solve_center_search(
            problem, sel, time_limit=limit, mip_gap=gap, no_goods=no_goods
        )
        return form, settle(run)
    form = _formulate(problem, sel, objective, threshold)
    milp = form.milp
    for chosen in no_goods:
        milp = _no_good(milp, form.y_cols, chosen)
    run = options.run(milp)
    return Formulation(milp, form.y_cols, form.assignment), run


def solve(
    problem: Problem,
    objective: Objective = "median",
    *,
    p: int | None = None,
    budget: float | None = None,
    threshold: float | None = None,
    required: Iterable[Hashable] | None = None,
    excluded: Iterable[Hashable] | None = None,
    group_min: GroupLimit = None,
    group_max: GroupLimit = None,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    alternatives: int = 0,
) -> Plan:
    """Select sites for ``problem`` under ``objective`` and return the `Plan`.

    Parameters
    ----------
    problem
        The `Problem` (costs, weights, existing sites, costs, capacities, groups).
    objective
        ``"median"`` (min Σ weight·cost, `optimizer.classic.median`), ``"coverage"`` (max covered
        weight within ``threshold``, `optimizer.classic.coverage`), ``"set_cover"`` (fewest sites
        covering every demand within ``threshold``) or ``"minmax"`` (min largest cost,
        `optimizer.classic.center`). With ``Problem.capacity`` set, the capacitated variant is used.
    p
        Number of *additional* sites to select (existing sites are open and not counted).
        Alone it is exact; together with ``budget`` it is an upper limit. For ``set_cover``
        it is always an upper limit.
    budget
        Limit on the total ``site_cost`` of the newly selected sites (required included).
    threshold
        Service standard for ``coverage`` and ``set_cover``: covered means ``cost <= threshold``.
    required, excluded
        Site ids that must be selected / may not be selected.
    group_min, group_max
        Least / most newly selected sites per group: one int for every group or a mapping
        group label → int.
    solver
        ``"highs"`` (default) or ``"cbc"``.
    time_limit
        Seconds per solver run.
    mip_gap
        Relative gap at which the solver may stop (default `DEFAULT_MIP_GAP`, 1e-6, from
        `optimizer.result`). A plan proven only within a gap larger than the default is
        ``feasible`` with that gap, never ``optimal``.
    alternatives
        Number of next-best distinct plans to add to ``plan.alternatives``.

    Returns
    -------
    Plan
        ``status == "infeasible"`` with a ``message`` when no plan satisfies the constraints.

    Raises
    ------
    InvalidOptionError
        For options that do not describe a model (one line listing every problem).
    """
    start = time.perf_counter()
    check_choice("objective", objective, OBJECTIVES)
    options = solver_options(solver, time_limit, mip_gap)
    covering = objective in ("coverage", "set_cover")
    if covering and (threshold is None or not math.isfinite(threshold) or threshold < 0):
        msg = f"objective {objective!r} needs threshold= (a service standard >= 0)"
        raise InvalidOptionError(msg)
    if not covering and threshold is not None:
        msg = f"threshold applies to coverage and set_cover, not {objective!r}"
        raise InvalidOptionError(msg)
    if isinstance(alternatives, bool) or not isinstance(alternatives, int) or alternatives < 0:
        msg = f"alternatives must be an integer >= 0, got {alternatives!r}"
        raise InvalidOptionError(msg)
    sel = _selection(
        problem,
        objective=objective,
        p=p,
        budget=budget,
        required=required,
        excluded=excluded,
        group_min=group_min,
        group_max=group_max,
    )
    if objective == "set_cover":
        sel = replace(sel, p_exact=False)
    reason = explain_infeasible(problem, sel, objective, threshold)
    if reason is not None:
        return Plan.without_solution(
            Status.INFEASIBLE,
            reason,
            solver=f"{solver_label(options.solver)} (not run: pre-solve checks)",
            runtime_s=time.perf_counter() - start,
        )
    no_goods: list[BoolArray] = []
    plans: list[Plan] = []
    for _ in range(alternatives + 1):
        t0 = time.perf_counter()
        form, run = _run(
            problem,
            sel,
            objective=objective,
            threshold=threshold,
            options=options,
            no_goods=no_goods,
        )
        if run.values is None and plans:
            break
        plans.append(
            _plan(
                problem,
                sel,
                form,
                run,
                objective=objective,
                threshold=threshold,
                runtime_s=time.perf_counter() - (start if not plans else t0),
            )
        )
        if run.values is None:
            break
        no_goods.append(run.values[form.y_cols] > 0.5)
    return replace(plans[0], alternatives=tuple(plans[1:]))
