"""Agreement with PySAL spopt (installed by the `bench` extra) on seeded random instances."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import Problem, solve

pulp = pytest.importorskip("pulp")
spopt_locate = pytest.importorskip("spopt.locate")

# spopt builds its models with PuLP 3 calls that PuLP announces as removed in 4.0.
pytestmark = pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning")


def _value(model: object) -> float:
    return float(pulp.value(model.problem.objective))  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(4))
def test_models_agree_with_spopt(seed: int) -> None:
    rng = np.random.default_rng(500 + seed)
    n_demand, n_site = 25, 12
    costs = rng.integers(0, 60, size=(n_demand, n_site)).astype(float)
    weights = rng.integers(1, 100, n_demand).astype(float)
    problem = Problem.from_matrix(costs, weights)
    highs = pulp.HiGHS(msg=False)
    p = int(rng.integers(2, 5))
    spopt_median = spopt_locate.PMedian.from_cost_matrix(costs, weights, p_facilities=p)
    assert solve(problem, "median", p=p).objective == pytest.approx(
        _value(spopt_median.solve(highs))
    )
    spopt_mclp = spopt_locate.MCLP.from_cost_matrix(
        costs, weights, service_radius=15.0, p_facilities=p
    )
    assert solve(problem, "coverage", p=p, threshold=15.0).objective == pytest.approx(
        _value(spopt_mclp.solve(highs))
    )
    spopt_lscp = spopt_locate.LSCP.from_cost_matrix(costs, service_radius=30.0)
    assert solve(problem, "set_cover", threshold=30.0).objective == pytest.approx(
        _value(spopt_lscp.solve(highs))
    )
    spopt_center = spopt_locate.PCenter.from_cost_matrix(costs, p_facilities=p)
    assert solve(problem, "minmax", p=p).objective == pytest.approx(
        _value(spopt_center.solve(highs))
    )
