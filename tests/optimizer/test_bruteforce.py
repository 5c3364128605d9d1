"""Every model and variant against brute force on small seeded instances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from optimizer_bruteforce import brute_force, random_instance

from optimizer import Problem, solve

OBJECTIVES = ["median", "coverage", "set_cover", "minmax"]


def _check(plan_value: float, status: str, expected: float | None) -> None:
    if expected is None:
        assert status == "infeasible"
    else:
        assert status == "optimal"
        assert plan_value == pytest.approx(expected, rel=1e-9, abs=1e-9)


def _options(rng: np.random.Generator, objective: str, n_site: int) -> dict[str, object]:
    opts: dict[str, object] = {}
    if objective in ("coverage", "set_cover"):
        opts["threshold"] = float(rng.integers(3, 12))
    if objective != "set_cover" or rng.random() < 0.3:
        opts["p"] = int(rng.integers(1, 4))
    return opts


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("seed", range(8))
def test_plain_models(objective: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_demand, n_site = int(rng.integers(4, 12)), int(rng.integers(3, 9))
    costs = random_instance(rng, n_demand, n_site, reach=0.8 if seed % 2 else 1.0)
    weights = rng.integers(1, 50, n_demand).astype(float)
    opts = _options(rng, objective, n_site)
    plan = solve(Problem.from_matrix(costs, weights), objective, **opts)  # type: ignore[arg-type]
    expected = brute_force(costs, objective, weights=weights, **opts)  # type: ignore[arg-type]
    _check(plan.objective, plan.status, expected)


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("seed", range(8))
def test_composed_constraints(objective: str, seed: int) -> None:
    """existing + required + excluded + budget (with count limit) + groups, all at once."""
    rng = np.random.default_rng(100 + seed)
    n_demand, n_site = int(rng.integers(5, 12)), int(rng.integers(6, 11))
    costs = random_instance(rng, n_demand, n_site, reach=0.85)
    weights = rng.integers(1, 50, n_demand).astype(float)
    site_cost = rng.integers(1, 10, n_site).astype(float)
    sites = rng.permutation(n_site)
    existing, required, excluded = [int(sites[0])], [int(sites[1])], [int(sites[2])]
    groups = {"a": sorted(int(j) for j in sites[1:5]), "b": sorted(int(j) for j in sites[3:])}
    opts = _options(rng, objective, n_site)
    if seed % 2:
        opts["budget"] = float(rng.integers(5, 20))
        opts["p"] = int(rng.integers(2, 5))
    problem = Problem.from_matrix(
        costs, weights, existing=existing, site_cost=site_cost, groups=groups
    )
    plan = solve(
        problem,
        objective,  # type: ignore[arg-type]
        required=required,
        excluded=excluded,
        group_min={"b": 1},
        group_max={"a": 2},
        **opts,  # type: ignore[arg-type]
    )
    expected = brute_force(
        costs,
        objective,
        weights=weights,
        site_cost=site_cost,
        existing=existing,
        required=required,
        excluded=excluded,
        groups=groups,
        group_min={"b": 1},
        group_max={"a": 2},
        **opts,  # type: ignore[arg-type]
    )
    _check(plan.objective, plan.status, expected)
    if expected is not None:
        assert set(required) <= set(plan.selected)
        assert not set(excluded) & set(plan.selected)
        assert set(plan.open_sites) == set(plan.selected) | set(existing)


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("seed", range(6))
def test_capacitated(objective: str, seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    n_demand, n_site = int(rng.integers(3, 7)), int(rng.integers(3, 6))
    costs = random_instance(rng, n_demand, n_site, reach=0.9)
    weights = rng.integers(1, 10, n_demand).astype(float)
    capacity = rng.integers(5, 25, n_site).astype(float)
    existing = [0] if seed % 3 == 0 else []
    opts = _options(rng, objective, n_site)
    problem = Problem.from_matrix(costs, weights, capacity=capacity, existing=existing)
    plan = solve(problem, objective, **opts)  # type: ignore[arg-type]
    expected = brute_force(
        costs,
        objective,
        weights=weights,
        capacity=capacity,
        existing=existing,
        **opts,  # type: ignore[arg-type]
    )
    _check(plan.objective, plan.status, expected)
    if plan.status == "optimal":
        load: dict[object, float] = {}
        for d, s in plan.assignment.items():
            if s is not None:
                load[s] = load.get(s, 0.0) + weights[int(d)]  # type: ignore[call-overload]
        assert all(load[s] <= capacity[int(s)] + 1e-9 for s in load)  # type: ignore[call-overload]


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("seed", range(3))
def test_cbc_agrees_with_brute_force(objective: str, seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    costs = random_instance(rng, 8, 6, reach=0.85)
    weights = rng.integers(1, 50, 8).astype(float)
    opts = _options(rng, objective, 6)
    plan = solve(Problem.from_matrix(costs, weights), objective, solver="cbc", **opts)  # type: ignore[arg-type]
    expected = brute_force(costs, objective, weights=weights, **opts)  # type: ignore[arg-type]
    _check(plan.objective, plan.status, expected)
    assert plan.solver.startswith("CBC")


def test_assignment_is_nearest_open_site() -> None:
    rng = np.random.default_rng(7)
    costs = random_instance(rng, 10, 6)
    plan = solve(Problem.from_matrix(costs), "median", p=2)
    open_cols = [int(s) for s in plan.open_sites]  # type: ignore[call-overload]
    for d, s in plan.assignment.items():
        assert costs[int(d), int(s)] == costs[int(d), open_cols].min()  # type: ignore[call-overload]
    assert math.isclose(
        plan.objective,
        sum(costs[int(d), int(s)] for d, s in plan.assignment.items()),  # type: ignore[call-overload]
    )
