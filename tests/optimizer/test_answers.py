"""Answers are right and statuses honest (issue 11): regression cases, one per defect."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

import optimizer.upgrade.api as upgrade_module
from optimizer import OptimizerError, Problem, Status, solve
from optimizer.allocation import AllocationProblem, DesignationLevel, solve_allocation
from optimizer.core.solvers import SolverRun, run_milp
from optimizer.result import DEFAULT_MIP_GAP, settled_status, status_text
from optimizer.upgrade import UpgradeProblem, UpgradeTier, solve_upgrades
from optimizer.upgrade.evaluate import objective_value, providers

NAN = math.nan
INF = math.inf

# --- 1. a MIP start is never returned as the plan when HiGHS found better in presolve -------

# Five demand points, three sites, two tiers, two years; county B (rows 1 and 3) reaches no
# site, so every worst-group share is 0 and HiGHS finishes in presolve.
_PRESOLVE_CASES = {
    "equity_returned_empty": {
        "minutes": [
            [3.1, 32.4, 17.1],
            [INF, INF, INF],
            [53.7, 4.2, 38.2],
            [26.7, 85.7, 65.9],
            [79.7, 28.0, 76.7],
        ],
        "county": ["A", "B", "A", "A", "A"],
        "population": [823.0, 862.0, 980.0, 646.0, 240.0],
        "cost_tc": [13.0, 29.0, 25.0],
        "cost_c3": [NAN, 86.0, 66.0],
    },
    "coverage_returned_start": {
        "minutes": [
            [59.3, 1.3, 21.5],
            [INF, INF, INF],
            [21.6, 64.7, 76.8],
            [INF, INF, INF],
            [82.9, 62.6, 42.2],
        ],
        "county": ["A", "B", "A", "B", "A"],
        "population": [651.0, 146.0, 91.0, 672.0, 419.0],
        "cost_tc": [15.0, 29.0, 29.0],
        "cost_c3": [NAN, 94.0, 64.0],
    },
}
_YEARS = [40.0, 80.0]


def _presolve_problem(case: dict[str, Any]) -> UpgradeProblem:
    tiers = [
        UpgradeTier("tc", 30.0, np.zeros(3, bool), case["cost_tc"]),
        UpgradeTier("c3", 50.0, np.zeros(3, bool), case["cost_c3"], serves=("tc",)),
    ]
    return UpgradeProblem.from_matrix(
        np.array(case["minutes"]),
        tiers=tiers,
        population=case["population"],
        demand_groups={"county": case["county"]},
        site_groups={"county": ["A", "B", "A"]},
    )


def _brute_phased(problem: UpgradeProblem, yearly: list[float]) -> float:
    """Best coverage-years over every phasing (each site: nothing, or a tier and a year)."""
    ns = problem.base.n_site
    options = []
    for j in range(ns):
        opts: list[tuple[str, int] | None] = [None]
        for t in problem.tiers:
            if np.isfinite(np.asarray(t.cost)[j]):
                opts += [(t.name, y) for y in range(len(yearly))]
        options.append(opts)
    best = -INF
    for combo in itertools.product(*options):
        spend = np.zeros(len(yearly))
        for j, c in enumerate(combo):
            if c is not None:
                spend[c[1]] += float(np.asarray(problem.tier(c[0]).cost)[j])
        if (spend > np.array(yearly) + 1e-9).any():
            continue
        years = []
        for y in range(len(yearly)):
            up = {t.name: np.zeros(ns, bool) for t in problem.tiers}
            for j, c in enumerate(combo):
                if c is not None and c[1] <= y:
                    up[c[0]][j] = True
            years.append(up)
        best = max(best, objective_value(problem, years, kind="coverage", unreachable=1e9))
    return best


@pytest.mark.parametrize("case", sorted(_PRESOLVE_CASES))
@pytest.mark.parametrize("objective", ["coverage", "equity", "lexicographic"])
def test_phased_plan_is_not_the_warm_start(case: str, objective: str) -> None:
    problem = _presolve_problem(_PRESOLVE_CASES[case])
    best = _brute_phased(problem, _YEARS)
    plan = solve_upgrades(problem, objective=objective, yearly_budgets=_YEARS)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best)


def test_highs_run_reports_the_solution_of_its_objective() -> None:
    """A start handed to HiGHS comes back only when it is what HiGHS proved optimal."""
    from optimizer.upgrade._model import build_model

    problem = _presolve_problem(_PRESOLVE_CASES["coverage_returned_start"])
    built = build_model(
        problem,
        kind="coverage",
        budget=None,
        yearly_budgets=_YEARS,
        carry_over=False,
        equity_group=None,
        unreachable=100.0,
    )
    built, start = upgrade_module._phased_aids(
        problem, built, budget=None, yearly_budgets=_YEARS, carry_over=False, allowance_s=None
    )
    assert start is not None
    run = run_milp(built.milp, solver="highs", time_limit=None, mip_gap=None, start=start)
    assert run.values is not None
    value = float(built.milp.cost @ run.values + built.milp.offset)
    assert value == pytest.approx(-_brute_phased(problem, _YEARS))


# --- 2. an existing provider upgraded to a nesting tier is still one provider ---------------


def _provider_problem(seed: int, needed: int) -> UpgradeProblem:
    rng = np.random.default_rng(seed)
    nd, ns = 6, 6
    minutes = rng.uniform(0, 80, (nd, ns))
    existing_tc = np.array([True, True, False, False, False, False])
    cost_tc = np.where(existing_tc, NAN, rng.uniform(10, 40, ns).round())
    cost_c3 = np.where(np.isin(np.arange(ns), [0, 1, 2, 5]), rng.uniform(30, 60, ns).round(), NAN)
    tiers = [
        UpgradeTier("tc", 30.0, existing_tc, cost_tc, min_providers_per_group={"county": needed}),
        UpgradeTier("c3", 50.0, np.zeros(ns, bool), cost_c3, serves=("tc",)),
    ]
    return UpgradeProblem.from_matrix(
        minutes,
        tiers=tiers,
        population=rng.integers(1, 100, nd).astype(float),
        demand_groups={"county": np.array(["A", "B"])[np.arange(nd) % 2]},
        site_groups={"county": ["A", "B", "A", "A", "B", "B"]},
    )


def _brute_providers(problem: UpgradeProblem, needed: int, budget: float) -> float | None:
    ns = problem.base.n_site
    labels = np.asarray(problem.site_groups["county"])
    options = [
        [None, *(t.name for t in problem.tiers if np.isfinite(np.asarray(t.cost)[j]))]
        for j in range(ns)
    ]
    best: float | None = None
    for combo in itertools.product(*options):
        up = {t.name: np.zeros(ns, bool) for t in problem.tiers}
        cost = 0.0
        for j, name in enumerate(combo):
            if name is not None:
                up[name][j] = True
                cost += float(np.asarray(problem.tier(name).cost)[j])
        tc = providers(problem, up)["tc"]
        if cost > budget + 1e-9 or any(tc[labels == g].sum() < needed for g in "AB"):
            continue
        value = objective_value(problem, [up], kind="coverage", unreachable=1e9)
        best = value if best is None else max(best, value)
    return best


def test_existing_provider_upgraded_counts_once() -> None:
    # One county: site 0 provides tc already and is the only candidate (for c3); site 1 is no
    # candidate. Upgrading site 0 to c3 still leaves one provider, not the two required.
    tiers = [
        UpgradeTier("tc", 30.0, [True, False], [NAN, NAN], min_providers_per_group={"c": 2}),
        UpgradeTier("c3", 60.0, [False, False], [50.0, NAN], serves=("tc",)),
    ]
    problem = UpgradeProblem.from_matrix(
        [[10.0, 20.0]],
        tiers=tiers,
        demand_groups={"c": ["A"]},
        site_groups={"c": ["A", "A"]},
    )
    plan = solve_upgrades(problem, budget=100.0)
    assert plan.status == "infeasible"
    assert plan.message


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("needed", [2, 3])
@pytest.mark.parametrize("budget", [100.0, 200.0])
def test_min_providers_match_brute_force(seed: int, needed: int, budget: float) -> None:
    problem = _provider_problem(seed, needed)
    expected = _brute_providers(problem, needed, budget)
    plan = solve_upgrades(problem, budget=budget)
    if expected is None:
        assert plan.status == "infeasible"
    else:
        assert plan.status == "optimal"
        assert plan.objective == pytest.approx(expected)


# --- 3. allocation with nothing eligible: the optimizer's own one-line error ----------------


def test_allocation_with_no_eligible_pair_names_the_fix() -> None:
    problem = AllocationProblem.from_matrix(
        np.array([[10.0, 90.0], [90.0, 10.0]]),
        specialty_ids=["cardiology"],
        levels=[DesignationLevel("provincial", standard=30, max_count=1, eligible=[0, 0])],
    )
    with pytest.raises(OptimizerError, match="no hospital-specialty pair is eligible") as info:
        solve_allocation(problem)
    assert "\n" not in str(info.value)
    assert "eligible" in str(info.value).split(":", 1)[1]


# --- 4. infeasibility found by the solver, in the planner's words ---------------------------


def test_upgrade_solver_infeasible_in_planner_words() -> None:
    # Each tier's minimum fits the budget alone; both together do not.
    tiers = [
        UpgradeTier("tc", 30.0, [False, False], [60.0, NAN], min_upgrades=1),
        UpgradeTier("c3", 60.0, [False, False], [NAN, 60.0], min_upgrades=1, serves=("tc",)),
    ]
    problem = UpgradeProblem.from_matrix([[10.0, 20.0]], tiers=tiers)
    plan = solve_upgrades(problem, budget=100.0)
    assert plan.status == "infeasible"
    assert "HiGHS" not in plan.message
    assert plan.message.startswith("no upgrade plan satisfies all the rules together")
    assert "budget 100" in plan.message
    assert "tier tc: at least 1 upgrade" in plan.message
    cbc = solve_upgrades(problem, budget=100.0, solver="cbc")
    assert cbc.message == plan.message


# --- 5. one default tolerance; "optimal" only within it -------------------------------------


def test_every_upgrade_stage_runs_at_the_default_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    gaps: list[float | None] = []

    def spy(model: Any, **kwargs: Any) -> SolverRun:
        gaps.append(kwargs["mip_gap"])
        return run_milp(model, **kwargs)

    monkeypatch.setattr(upgrade_module, "run_milp", spy)
    problem = _presolve_problem(_PRESOLVE_CASES["coverage_returned_start"])
    for objective in ("coverage", "lexicographic"):
        solve_upgrades(problem, objective=objective, budget=100.0)
    assert gaps
    assert all(g == DEFAULT_MIP_GAP for g in gaps)


def _capacitated() -> Problem:
    """Single-sourcing capacitated p-median: HiGHS stops at a 20 % gap in a fraction of a second."""
    rng = np.random.default_rng(11)
    xy_d, xy_s = rng.random((80, 2)), rng.random((40, 2))
    costs = np.round(100 * np.linalg.norm(xy_d[:, None] - xy_s[None], axis=2), 1)
    weights = rng.integers(1, 30, 80).astype(float)
    return Problem.from_matrix(costs, weights, capacity=np.full(40, weights.sum() / 9.5))


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_loose_gap_is_reported_feasible_with_its_gap(solver: str) -> None:
    plan = solve(_capacitated(), "median", p=10, mip_gap=0.2, solver=solver, time_limit=20.0)
    assert plan.gap > DEFAULT_MIP_GAP
    assert plan.status == "feasible"
    assert f"within {100 * plan.gap:.2f} % of the best possible" in plan.message


def test_settled_status() -> None:
    assert settled_status(Status.OPTIMAL, 0.0) is Status.OPTIMAL
    assert settled_status(Status.OPTIMAL, DEFAULT_MIP_GAP) is Status.OPTIMAL
    assert settled_status(Status.OPTIMAL, 0.004) is Status.FEASIBLE
    assert settled_status(Status.OPTIMAL, NAN) is Status.OPTIMAL
    assert settled_status(Status.INFEASIBLE, NAN) is Status.INFEASIBLE


def test_status_text() -> None:
    assert status_text("optimal", 0.0) == "optimal"
    assert status_text(Status.OPTIMAL, 0.0) == "optimal"
    assert status_text("optimal", 0.01) == "within 1.00 % of the best possible"
    assert status_text("feasible", 0.01) == "within 1.00 % of the best possible"
    assert status_text("feasible", 0.0321, time_limit=True) == (
        "time limit: within 3.21 % of the best possible"
    )
    assert status_text("feasible", 2e-5) == "within 0.002 % of the best possible"
    assert status_text("feasible", NAN) == "feasible (gap unknown)"
    assert status_text("feasible", INF, time_limit=True) == "time limit: feasible (gap unknown)"
    assert status_text("infeasible", NAN) == "infeasible"
    assert status_text("no_solution", NAN) == "no solution"
    assert status_text("no_solution", NAN, time_limit=True) == "time limit: no solution found"
    with pytest.raises(OptimizerError, match="unknown status 'best'"):
        status_text("best", 0.0)


# --- 6. the uncapacitated p-median always has its heuristic plan at the time limit ----------


def _large_median() -> Problem:
    """10,000 demand points and 1,000 sites in a 100 x 100 square, reachable within 40."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(7)
    demand, sites = rng.random((10_000, 2)) * 100, rng.random((1_000, 2)) * 100
    near = cKDTree(sites).sparse_distance_matrix(cKDTree(demand), 40.0, output_type="coo_matrix")
    return Problem.from_matrix(near.T.tocsr(), rng.integers(1, 100, 10_000).astype(float))


def test_large_median_returns_its_heuristic_plan_at_the_time_limit() -> None:
    problem = _large_median()
    plan = solve(problem, "median", p=10, time_limit=2.0)
    assert plan.status == "feasible"
    assert len(plan.selected) == 10
    assert math.isfinite(plan.objective)
    assert 0 < plan.gap < 1
    assert "time limit" in plan.message
    assert plan.runtime_s < 2.0 + 1.5
    # the gap is measured from a valid bound: every demand at its nearest site
    costs = problem.costs
    nearest = np.minimum.reduceat(costs.data, costs.indptr[:-1])  # every row has entries
    bound = float(problem.weights @ nearest)
    assert plan.objective * (1 - plan.gap) == pytest.approx(bound, rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_sparse_swaps_match_the_dense_search(seed: int) -> None:
    import scipy.sparse as sp

    from optimizer.classic._heuristic import greedy, interchange, selection_cost, sparse_interchange

    rng = np.random.default_rng(seed)
    dense = rng.uniform(1, 100, (60, 20))
    missing = rng.random((60, 20)) < 0.5
    base = np.where(rng.random(60) < 0.3, rng.uniform(50, 150, 60), 1e6)
    weights = rng.uniform(1, 10, 60)
    sparse = sp.csr_array(np.where(missing, 0.0, dense))
    filled = np.where(missing, base[:, None], np.minimum(dense, base[:, None]))
    start = greedy(sparse, weights, base, 4)
    alone = [selection_cost(filled, weights, base, np.array([f])) for f in range(20)]
    assert int(np.argmin(alone)) in start  # the greedy's first pick is the best single site
    for rounds in (1, 2, 50):
        a = interchange(filled, weights, base, start, max_rounds=rounds)
        b = sparse_interchange(sparse, weights, base, start, max_rounds=rounds)
        assert np.array_equal(a, b)
