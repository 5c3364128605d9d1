"""Hand-computed cases for capacity, budget, groups, ids, sparse input and alternatives."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from optimizer_bruteforce import random_instance

from optimizer import Problem, solve


def test_capacity_forces_second_nearest() -> None:
    # Both towns prefer site "A" (cost 1 vs 5), but A holds 100 people and each town has 80.
    costs = [[1.0, 5.0], [1.0, 5.0]]
    problem = Problem.from_matrix(
        costs, [80, 80], demand_ids=["t1", "t2"], site_ids=["A", "B"], capacity=[100, 500]
    )
    plan = solve(problem, "median", p=2)
    assert plan.objective == 80 * 1 + 80 * 5
    assert sorted(plan.assignment.values()) == ["A", "B"]  # type: ignore[type-var]
    plan = solve(problem, "coverage", p=1, threshold=2.0)
    assert plan.selected == ("A",)
    assert plan.objective == 80
    assert sorted(plan.assignment.values(), key=str) == ["A", None]  # type: ignore[comparison-overlap]


def test_budget_with_unequal_costs() -> None:
    # Site 0 is ideal but costs 10; sites 1 and 2 together cost 6 and do almost as well.
    costs = np.array([[0.0, 1.0, 9.0], [0.0, 9.0, 1.0]])
    problem = Problem.from_matrix(costs, site_cost=[10.0, 3.0, 3.0])
    assert solve(problem, "median", budget=10.0).selected == (0,)
    plan = solve(problem, "median", budget=9.0)
    assert plan.selected == (1, 2)
    assert plan.objective == 2.0
    assert solve(problem, "median", budget=9.0, p=1).objective == 10.0


def test_group_minimum_per_county() -> None:
    costs = np.array([[0.0, 1.0, 10.0], [0.0, 1.0, 10.0], [5.0, 5.0, 9.0]])
    problem = Problem.from_matrix(costs, groups={"east": [0, 1], "west": [2]})
    assert solve(problem, "median", p=1).selected == (0,)
    plan = solve(problem, "median", p=2, group_min={"west": 1}, group_max={"east": 1})
    assert plan.selected == (0, 2)
    assert plan.objective == 0 + 0 + 5


def test_existing_sites_are_free_and_p_counts_additional() -> None:
    costs = np.array([[0.0, 3.0, 9.0], [9.0, 3.0, 0.0]])
    problem = Problem.from_matrix(costs, site_ids=["old", "mid", "new"], existing=["old"])
    plan = solve(problem, "median", p=1)
    assert plan.selected == ("new",)
    assert plan.open_sites == ("old", "new")
    assert plan.objective == 0.0
    assert solve(problem, "set_cover", threshold=0.0).objective == 1.0


def test_sparse_explicit_zero_is_reachable() -> None:
    # Demand 0 reaches only site 1, at cost 0 (an explicit zero); demand 1 reaches both.
    costs = sp.csr_array((np.array([0.0, 4.0, 2.0]), np.array([1, 0, 1]), np.array([0, 1, 3])))
    problem = Problem.from_matrix(costs)
    assert problem.costs.nnz == 3
    plan = solve(problem, "median", p=1)
    assert plan.selected == (1,)
    assert plan.objective == 2.0
    dense = Problem.from_matrix(np.array([[np.inf, 0.0], [4.0, 2.0]]))
    assert dense.costs.nnz == 3
    assert solve(dense, "median", p=1).objective == 2.0


def test_alternatives_are_the_next_best_selections() -> None:
    rng = np.random.default_rng(42)
    costs = random_instance(rng, 9, 6)
    weights = rng.integers(1, 20, 9).astype(float)
    plan = solve(Problem.from_matrix(costs, weights), "median", p=2, alternatives=4)
    values = sorted(
        float(weights @ costs[:, list(pair)].min(axis=1))
        for pair in itertools.combinations(range(6), 2)
    )
    found = [plan.objective] + [alt.objective for alt in plan.alternatives]
    assert found == pytest.approx(values[:5])
    selections = {plan.selected} | {alt.selected for alt in plan.alternatives}
    assert len(selections) == 5


def test_same_inputs_same_plan() -> None:
    rng = np.random.default_rng(3)
    costs = np.ones((12, 8))  # every selection ties: the answer must still be stable
    costs[rng.random((12, 8)) < 0.2] = 2.0
    problem = Problem.from_matrix(costs)
    first = solve(problem, "median", p=3)
    for _ in range(3):
        again = solve(Problem.from_matrix(costs), "median", p=3)
        assert again.selected == first.selected
        assert again.assignment == first.assignment


def test_keeps_caller_ids() -> None:
    costs = np.array([[1.0, 2.0], [2.0, 1.0]])
    problem = Problem.from_matrix(
        costs, demand_ids=["210102001", "210102002"], site_ids=["h1", "h2"]
    )
    plan = solve(problem, "median", p=2)
    assert plan.assignment == {"210102001": "h1", "210102002": "h2"}
    assert plan.selected == ("h1", "h2")
