"""Property tests: random small instances, any model, against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optimizer_bruteforce import brute_force

from optimizer import Problem, solve


@st.composite
def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, str, dict[str, object]]:
    n_demand = draw(st.integers(1, 7))
    n_site = draw(st.integers(1, 6))
    cells = st.one_of(st.integers(0, 15).map(float), st.just(np.inf))
    costs = np.array(
        draw(st.lists(cells, min_size=n_demand * n_site, max_size=n_demand * n_site))
    ).reshape(n_demand, n_site)
    weights = np.array(draw(st.lists(st.integers(0, 9), min_size=n_demand, max_size=n_demand)))
    objective = draw(st.sampled_from(["median", "coverage", "set_cover", "minmax"]))
    options: dict[str, object] = {"existing": draw(st.sets(st.integers(0, n_site - 1), max_size=1))}
    if objective in ("coverage", "set_cover"):
        options["threshold"] = float(draw(st.integers(0, 15)))
    if objective != "set_cover":
        options["p"] = draw(st.integers(0, n_site))
    return costs, weights.astype(float), objective, options


@settings(max_examples=60, deadline=None, derandomize=True)
@given(instances())
def test_random_instances_match_brute_force(
    case: tuple[np.ndarray, np.ndarray, str, dict[str, object]],
) -> None:
    costs, weights, objective, options = case
    existing = sorted(options.pop("existing"))  # type: ignore[call-overload]
    problem = Problem.from_matrix(costs, weights, existing=existing)
    plan = solve(problem, objective, **options)  # type: ignore[arg-type]
    expected = brute_force(costs, objective, weights=weights, existing=existing, **options)  # type: ignore[arg-type]
    if expected is None:
        assert plan.status == "infeasible"
        assert plan.message
    else:
        assert plan.status == "optimal"
        assert plan.objective == pytest.approx(expected, abs=1e-9)
