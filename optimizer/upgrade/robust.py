"""Robust upgrade plans: the best plan over several demand vectors (population futures).

An upgrade is a decade-long asset, and the population it serves is uncertain. Given ``K``
demand scenarios (e.g. the low / central / high projections of 2025-2035), each a demand
weight per tier, the coverage of a plan under scenario ``k`` is

    ``cov_k(x) = Σ_t w_t Σ_i d^k_it c_it(x)``

with ``c_it(x) ∈ {0, 1}`` "demand point ``i`` is within tier ``t``'s standard of a provider"
(existing or upgraded). The coverage variables ``y_it`` of the coverage model do not depend
on the weights, only the objective does, so one model holds every ``cov_k`` as a linear
function of its columns. The rules (budgets, counts, group coverage shares) are the
problem's own, weighed with its demand (the planning projection).

Criteria
--------
``worst_case``
    Stage 1: max ``z`` s.t. ``z ≤ cov_k(x)`` for every ``k`` (the worst projection's
    coverage). Stage 2 (ties): max ``cov_ref(x)`` of the reference scenario (the first one
    given, the central projection) s.t. ``z ≥ z*`` (within `STAGE_TOLERANCE`). A
    lexicographic second stage, not a small weight: a small weight would trade worst-case
    coverage for reference coverage at a rate the 1e-6 gap cannot tell from a tie.
``min_regret``
    ``best_k`` = max ``cov_k(x)`` under the same rules and budget (``K`` extra solves, each to
    the optimizer's tolerance); ``regret_k(x) = best_k − cov_k(x)``. Stage 1: min ``r`` s.t.
    ``r ≥ best_k − cov_k(x)`` for every ``k``; stage 2 as above (max ``cov_ref`` s.t.
    ``r ≤ r*``). ``best_k`` is the value the k-th run found; each run is proven within
    `optimizer.result.DEFAULT_MIP_GAP` when it is ``optimal``, so the true best is at most
    ``best_k · (1 + gap)`` and a regret may be understated by that much (``gap · best_k``
    people); the plan's status is the worst over the ``K + 2`` runs.

Phasing (yearly budgets) is not supported with a robust criterion: the projections are
per year already, and the coverage-years objective would mix two time axes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from optimizer.core.arrays import BoolArray, FloatArray
from optimizer.core.milp import Milp
from optimizer.core.options import SolverOptions, check_choice, solver_options
from optimizer.core.solvers import run_milp, worst_status
from optimizer.errors import InvalidOptionError
from optimizer.result import Status
from optimizer.upgrade._checks import explain_infeasible, explain_solver_infeasible
from optimizer.upgrade._model import Built, _Cover, build_model
from optimizer.upgrade.evaluate import objective_value

if TYPE_CHECKING:
    from optimizer.upgrade.api import UpgradePlan, UpgradeProblem

__all__ = [
    "ROBUST_CRITERIA",
    "STAGE_TOLERANCE",
    "DemandScenarios",
    "scenario_coverage",
    "solve_robust",
    "with_demand",
]

ROBUST_CRITERIA = ("worst_case", "min_regret")
#: Relative slack when the second stage keeps the first stage's optimum (as in
#: `optimizer.upgrade.api.STAGE_TOLERANCE`).
STAGE_TOLERANCE = 1e-7

#: Scenario name → demand weights: one array for every tier, or tier name → array.
DemandScenarios = Mapping[str, "ArrayLike | Mapping[str, ArrayLike]"]


@dataclass(frozen=True)
class _Objective:
    """``cov_k = -(cost @ v + offset)`` over the model's columns."""

    cost: FloatArray
    offset: float


def with_demand(
    problem: UpgradeProblem, weights: ArrayLike | Mapping[str, ArrayLike]
) -> UpgradeProblem:
    """Return `problem` with every tier's demand weight replaced by `weights`.

    Parameters
    ----------
    problem
        The upgrade problem.
    weights
        One array for every tier, or tier name → array (every tier of the problem).

    Raises
    ------
    InvalidOptionError
        A tier without weights, or weights of the wrong length, negative or not finite.
    """
    n = problem.base.n_demand
    tiers = []
    for tier in problem.tiers:
        if isinstance(weights, Mapping):
            if tier.name not in weights:
                msg = f"demand weights for tier {tier.name!r} missing - give every tier"
                raise InvalidOptionError(msg)
            raw = weights[tier.name]
        else:
            raw = weights
        w = np.asarray(raw, dtype=np.float64)
        if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any():
            msg = f"demand weights of tier {tier.name!r} need {n} finite values >= 0"
            raise InvalidOptionError(msg)
        tiers.append(replace(tier, demand_weight=w))
    return replace(problem, tiers=tuple(tiers))


def scenario_coverage(
    problem: UpgradeProblem,
    scenarios: DemandScenarios,
    upgrades: Mapping[str, Sequence[object]] | None = None,
) -> dict[str, float]:
    """Return the weighted coverage of a plan under every scenario (exact evaluation).

    Parameters
    ----------
    problem
        The upgrade problem.
    scenarios
        Scenario name → demand weights (see `DemandScenarios`).
    upgrades
        Tier name → upgraded site ids (`UpgradePlan.upgrades`); None for no upgrades.
    """
    position = {sid: j for j, sid in enumerate(problem.base.site_ids)}
    selected: dict[str, BoolArray] = {}
    for tier in problem.tiers:
        mask = np.zeros(problem.base.n_site, dtype=np.bool_)
        for sid in (upgrades or {}).get(tier.name, ()):
            mask[position[sid]] = True
        selected[tier.name] = mask
    return {
        name: objective_value(
            with_demand(problem, weights), [selected], kind="coverage", unreachable=1.0
        )
        for name, weights in scenarios.items()
    }


def solve_robust(
    problem: UpgradeProblem,
    scenarios: DemandScenarios,
    *,
    criterion: str,
    budget: float | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
) -> UpgradePlan:
    """Choose the upgrades that do best over the demand `scenarios` (module docstring).

    Parameters
    ----------
    problem
        The upgrade problem; its rules and demand weights (for group coverage shares) hold.
    scenarios
        Scenario name → demand weights, the reference (tie-breaking) scenario first.
    criterion
        ``"worst_case"`` or ``"min_regret"`` (`ROBUST_CRITERIA`).
    budget
        Shared budget over all tiers.
    solver, time_limit, mip_gap
        As for `optimizer.upgrade.solve_upgrades`; the time limit holds for each run.

    Returns
    -------
    UpgradePlan
        ``objective`` is the worst coverage (worst_case) or the largest regret (min_regret),
        recomputed from the chosen upgrades; ``stages`` holds ``worst_coverage`` or
        ``max_regret`` (stage 1), ``reference_coverage`` (stage 2), ``coverage:<name>`` of
        every scenario and, for min_regret, ``best:<name>``.
    """
    start = time.perf_counter()
    check_choice("robust", criterion, ROBUST_CRITERIA)
    options = solver_options(solver, time_limit, mip_gap)
    if not scenarios:
        msg = "robust planning needs at least one demand scenario"
        raise InvalidOptionError(msg)
    if budget is not None and budget < 0:
        msg = f"budget {budget:g} must not be negative"
        raise InvalidOptionError(msg)
    names = list(scenarios)
    weighted = {name: with_demand(problem, scenarios[name]) for name in names}
    reason = explain_infeasible(problem, budget=budget, yearly_budgets=None)
    if reason:
        return _Runs(problem, options, start, "").empty(Status.INFEASIBLE, reason)
    built = build_model(
        problem,
        kind="coverage",
        budget=budget,
        yearly_budgets=None,
        carry_over=False,
        equity_group=None,
        unreachable=1.0,
        all_rows=True,
    )
    objectives = [_scenario_objective(built, weighted[name]) for name in names]
    runs = _Runs(
        problem,
        options,
        start,
        explain_solver_infeasible(problem, budget=budget, yearly_budgets=None, carry_over=False),
    )
    start_values: FloatArray | None = None
    if criterion == "min_regret":
        best: list[float] = []
        best_values: list[FloatArray] = []
        for name, obj in zip(names, objectives, strict=True):
            model = replace(built.milp, cost=obj.cost, offset=obj.offset)
            values = runs.run(f"best for {name}", model, None)
            if values is None:
                return runs.empty()
            found = built.decode(values)["upgrades"]
            best.append(scenario_coverage(problem, {name: scenarios[name]}, found)[name])
            best_values.append(values)
            runs.stages[f"best:{name}"] = best[-1]
        milp, bound_cost = _regret_model(built.milp, objectives, best)
        start_values = _regret_start(objectives, best, best_values)
        first_name = "max_regret"
    else:
        milp, bound_cost = _worst_model(built.milp, objectives)
        first_name = "worst_coverage"
    reference = objectives[0]
    values = runs.lexicographic(
        milp,
        [
            (first_name, bound_cost, 0.0),
            ("reference_coverage", np.append(reference.cost, 0.0), reference.offset),
        ],
        start_values,
    )
    if values is None:
        return runs.empty()
    plan = built.decode(values[: built.milp.n_col])
    covered = scenario_coverage(problem, {n: scenarios[n] for n in names}, plan["upgrades"])
    for name in names:
        runs.stages[f"coverage:{name}"] = covered[name]
    # Stage values as the chosen upgrades give them (the solver's carry its tolerance).
    runs.stages["reference_coverage"] = covered[names[0]]
    if criterion == "worst_case":
        objective = min(covered.values())
        runs.stages["worst_coverage"] = objective
    else:
        objective = max(runs.stages[f"best:{name}"] - covered[name] for name in names)
        runs.stages["max_regret"] = objective
    return runs.plan(plan, objective)


@dataclass
class _Runs:
    """The solver runs of one robust plan: statuses, gaps, messages and stage values."""

    problem: UpgradeProblem
    options: SolverOptions
    start: float
    infeasible: str
    statuses: list[Status] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)
    label: str = ""

    def run(self, name: str, model: Milp, start: FloatArray | None) -> FloatArray | None:
        """Solve `model` (minimised); record its status, gap and reason."""
        options = self.options
        run = run_milp(
            model,
            solver=options.solver,
            time_limit=options.time_limit,
            mip_gap=options.mip_gap,
            start=start,
        )
        self.label = run.solver
        self.statuses.append(run.status)
        if run.status is Status.INFEASIBLE:
            if self.infeasible not in self.messages:
                self.messages.append(self.infeasible)
        elif run.reason:
            self.messages.append(f"{name}: {run.reason}")
        if run.values is not None:
            self.gaps.append(run.gap)
        return run.values

    def lexicographic(
        self, milp: Milp, stages: Sequence[tuple[str, FloatArray, float]], start: FloatArray | None
    ) -> FloatArray | None:
        """Solve the stages in order, each keeping the previous stage's optimum."""
        model = milp
        values = start
        for name, cost, offset in stages:
            model = replace(model, cost=cost, offset=offset)
            values = self.run(name, model, values)
            if values is None:
                return None
            value = float(cost @ values + offset)
            self.stages[name] = value if name == "max_regret" else -value
            slack = STAGE_TOLERANCE * max(1.0, abs(value))
            model = model.with_rows(
                sp.csr_array(cost.reshape(1, -1)), [-np.inf], [value - offset + slack]
            )
        return values

    def empty(self, status: Status | None = None, message: str = "") -> UpgradePlan:
        """Return the plan without upgrades of a run that found none."""
        from optimizer.upgrade.api import _empty_plan

        return _empty_plan(
            self.problem,
            status if status is not None else worst_status(self.statuses),
            message=message or "; ".join(self.messages),
            start=self.start,
            n_years=1,
            solver=self.label,
        )

    def plan(self, plan: Mapping[str, Any], objective: float) -> UpgradePlan:
        """Return the `UpgradePlan` of the decoded solution `plan`."""
        from optimizer.upgrade.api import UpgradePlan

        return UpgradePlan(
            status=worst_status(self.statuses),
            objective=objective,
            gap=max((g for g in self.gaps if not math.isnan(g)), default=math.nan),
            upgrades=plan["upgrades"],
            year=plan["year"],
            cost=plan["cost"],
            cost_by_tier=plan["cost_by_tier"],
            cost_by_year=plan["cost_by_year"],
            stages=self.stages,
            runtime_s=time.perf_counter() - self.start,
            solver=self.label,
            message="; ".join(self.messages),
        )


def _scenario_objective(built: Built, weighted: UpgradeProblem) -> _Objective:
    """Cost vector and offset of ``-cov_k`` over the columns of `built` (one period)."""
    cost = np.zeros(built.milp.n_col)
    offset = 0.0
    covers = [block for block in built.aux if isinstance(block, _Cover)]
    if len(covers) != len(weighted.tiers):  # pragma: no cover - one block per tier, one year
        msg = "robust planning needs one coverage block per tier"
        raise InvalidOptionError(msg)
    for tier, block in zip(weighted.tiers, covers, strict=True):
        assert block.rows is not None
        assert block.base is not None
        weight = np.asarray(tier.demand_weight, dtype=np.float64)
        cost[block.cols] -= tier.weight * weight[block.rows]
        offset -= tier.weight * float(weight[block.base].sum())
    return _Objective(cost, offset)


def _with_column(milp: Milp, lo: float, hi: float) -> Milp:
    """Append one continuous column (no rows use it yet)."""
    matrix = sp.csr_array(sp.hstack([milp.matrix, sp.csr_array((milp.n_row, 1))], format="csr"))
    return Milp(
        cost=np.append(milp.cost, 0.0),
        offset=milp.offset,
        matrix=matrix,
        row_lo=milp.row_lo,
        row_hi=milp.row_hi,
        col_lo=np.append(milp.col_lo, lo),
        col_hi=np.append(milp.col_hi, hi),
        integer=np.append(milp.integer, False),
    )


def _worst_model(milp: Milp, objectives: Sequence[_Objective]) -> tuple[Milp, FloatArray]:
    """``z ≤ cov_k``: ``z + cost_k @ v ≤ -offset_k``; minimise ``-z``."""
    model = _with_column(milp, 0.0, np.inf)
    z = model.n_col - 1
    rows = np.vstack([np.append(obj.cost, 1.0) for obj in objectives])
    model = model.with_rows(
        sp.csr_array(rows),
        np.full(len(objectives), -np.inf),
        np.array([-obj.offset for obj in objectives]),
    )
    cost = np.zeros(model.n_col)
    cost[z] = -1.0
    return model, cost


def _regret_model(
    milp: Milp, objectives: Sequence[_Objective], best: Sequence[float]
) -> tuple[Milp, FloatArray]:
    """``r ≥ best_k - cov_k``: ``r - cost_k @ v ≥ best_k + offset_k``; minimise ``r``."""
    model = _with_column(milp, 0.0, np.inf)
    r = model.n_col - 1
    rows = np.vstack([np.append(-obj.cost, 1.0) for obj in objectives])
    model = model.with_rows(
        sp.csr_array(rows),
        np.array([b + obj.offset for obj, b in zip(objectives, best, strict=True)]),
        np.full(len(objectives), np.inf),
    )
    cost = np.zeros(model.n_col)
    cost[r] = 1.0
    return model, cost


def _regret_start(
    objectives: Sequence[_Objective], best: Sequence[float], solutions: Sequence[FloatArray]
) -> FloatArray:
    """Return the best-k solution with the least largest regret, with its ``r`` appended."""
    regrets = [
        max(b + float(obj.cost @ v + obj.offset) for obj, b in zip(objectives, best, strict=True))
        for v in solutions
    ]
    pick = int(np.argmin(regrets))
    return np.append(solutions[pick], max(regrets[pick], 0.0))
