"""Infeasible models return status "infeasible" with a message a planner can act on."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import InvalidOptionError, InvalidProblemError, Problem, solve


def test_budget_below_required_sites() -> None:
    problem = Problem.from_matrix(np.ones((2, 5)), site_cost=[1e8, 1.1e8, 1e8, 5e7, 5e7])
    plan = solve(problem, "median", budget=2e8, required=[0, 1, 2])
    assert plan.status == "infeasible"
    assert plan.message == "budget 2e8 CNY cannot cover the 3 required sites costing 3.1e8 CNY"
    assert plan.solver.endswith("(not run: pre-solve checks)")


def test_more_sites_than_candidates() -> None:
    problem = Problem.from_matrix(np.ones((2, 6)), existing=[0, 1])
    plan = solve(problem, "median", p=4, excluded=[5])
    assert plan.status == "infeasible"
    assert plan.message == (
        "p = 4 additional sites requested but only 3 candidate sites are available "
        "(6 sites: 2 existing, 1 excluded)"
    )


def test_required_exceed_p() -> None:
    plan = solve(Problem.from_matrix(np.ones((2, 4))), "median", p=1, required=[0, 1])
    assert plan.message == "2 sites are required but p = 1 additional sites"


def test_group_limits() -> None:
    problem = Problem.from_matrix(np.ones((2, 4)), groups={"county A": [0], "county B": [1, 2]})
    plan = solve(problem, "median", p=3, group_min={"county A": 2})
    assert "group 'county A' needs at least 2 selected sites but only 1" in plan.message
    plan = solve(problem, "median", p=3, required=[1, 2], group_max={"county B": 1})
    assert "group 'county B' allows at most 1 selected sites but 2 required sites" in plan.message


def test_unreachable_demand() -> None:
    costs = np.array([[1.0, np.inf], [np.inf, np.inf], [2.0, 3.0]])
    plan = solve(Problem.from_matrix(costs, demand_ids=["a", "b", "c"]), "median", p=1)
    assert plan.status == "infeasible"
    assert plan.message == "1 demand point cannot reach any site that may open: 'b'"
    plan = solve(Problem.from_matrix(costs[[0, 2]]), "set_cover", threshold=1.5)
    assert plan.message == "1 demand point has no site that may open within 1.5: 1"
    plan = solve(Problem.from_matrix(costs[[0, 2]]), "median", p=1, excluded=[0])
    assert "cannot reach any site that may open" in plan.message


def test_capacity_too_small() -> None:
    problem = Problem.from_matrix(np.ones((3, 3)), [5, 5, 5], capacity=[6, 6, 20])
    plan = solve(problem, "median", p=1, excluded=[2])
    assert plan.status == "infeasible"
    assert plan.message.startswith("total demand 15 exceeds the capacity 6")
    assert solve(problem, "median", p=1).status == "optimal"


def test_invalid_arguments_raise() -> None:
    problem = Problem.from_matrix(np.ones((2, 3)))
    with pytest.raises(InvalidOptionError, match="needs p"):
        solve(problem, "median")
    with pytest.raises(InvalidOptionError, match="needs threshold"):
        solve(problem, "coverage", p=1)
    with pytest.raises(InvalidOptionError, match="site_cost"):
        solve(problem, "median", budget=3.0)
    with pytest.raises(InvalidOptionError, match="both required and excluded"):
        solve(problem, "median", p=1, required=[0], excluded=[0])
    with pytest.raises(InvalidProblemError, match="unknown site ids"):
        solve(problem, "median", p=1, required=["x"])
    with pytest.raises(InvalidOptionError, match="objective must be one of"):
        solve(problem, "center", p=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="solver must be one of"):
        solve(problem, "median", p=1, solver="gurobi")
    with pytest.raises(ValueError, match="costs must be >= 0"):
        Problem.from_matrix([[1.0, -2.0]])
    with pytest.raises(ValueError, match="weights has 3 values, expected 2"):
        Problem.from_matrix(np.ones((2, 3)), [1, 2, 3])
