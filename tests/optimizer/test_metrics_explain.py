"""Plan metrics and explanations on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizer.explain import explain_plan
from optimizer.metrics import e2sfca, plan_metrics, weighted_gini, weighted_quantile
from optimizer.upgrade import UpgradeProblem, UpgradeTier, solve_upgrades

INF = math.inf

# Four townships in two counties; site 0 exists, sites 1 and 2 are candidates.
MINUTES = np.array(
    [
        [10.0, 50.0, INF],
        [40.0, 20.0, INF],
        [70.0, 25.0, 35.0],
        [INF, INF, 15.0],
    ]
)
POP = np.array([100.0, 200.0, 300.0, 400.0])
COUNTY = np.array(["A", "A", "B", "B"])


def _problem() -> UpgradeProblem:
    tier = UpgradeTier("tc", 30.0, [True, False, False], [np.nan, 10.0, 40.0])
    return UpgradeProblem.from_matrix(
        MINUTES,
        tiers=[tier],
        population=POP,
        demand_ids=["t1", "t2", "t3", "t4"],
        site_ids=["s0", "s1", "s2"],
        demand_groups={"county": COUNTY},
        site_groups={"county": np.array(["A", "A", "B"])},
    )


def test_weighted_quantile_and_gini() -> None:
    assert weighted_quantile([1, 2, 3, 4], [1, 1, 1, 1], 0.5) == 2.0
    assert weighted_quantile([1, 2, 3, 4], [1, 1, 1, 97], 0.95) == 4.0
    assert weighted_quantile([5, 1], [0, 3], 0.9) == 1.0
    assert weighted_gini([1, 1, 1]) == 0.0
    # two equal groups, one with everything: Gini = 1/2
    assert weighted_gini([0, 1]) == pytest.approx(0.5)
    # population weights count: [0, 1] with weights [3, 1] -> mean 1/4, MAD = 2*3*1*1/16
    assert weighted_gini([0, 1], [3, 1]) == pytest.approx((2 * 3 * 1) / (2 * 16 * 0.25))


def test_metrics_before_and_after() -> None:
    problem = _problem()
    before = plan_metrics(problem)["tc"]
    # only s0 provides: t1 at 10 (covered), t2 at 40, t3 at 70, t4 unreachable
    assert before.covered_population == 100.0
    assert before.covered_share == pytest.approx(0.1)
    assert before.unreachable_population == 400.0
    assert before.mean_minutes == pytest.approx((100 * 10 + 200 * 40 + 300 * 70) / 600)
    assert before.p95_minutes == INF  # 40 % unreachable
    assert before.group_shares == {"A": pytest.approx(1 / 3), "B": 0.0}
    assert before.worst_group == "B"
    assert before.spread == pytest.approx(1 / 3)
    after = plan_metrics(problem, {"tc": ["s1", "s2"]})["tc"]
    assert after.covered_population == 1000.0
    assert after.worst_group_share == 1.0
    assert after.spread == 0.0
    assert after.gini == 0.0
    assert after.mean_minutes == pytest.approx((100 * 10 + 200 * 20 + 300 * 25 + 400 * 15) / 1000)
    assert after.p95_minutes == 25.0
    assert list(after.nearest_site) == [0, 1, 1, 2]


def test_explanations_give_marginal_gains() -> None:
    problem = _problem()
    plan = solve_upgrades(problem, objective="coverage", budget=10.0)
    assert plan.upgrades["tc"] == ("s1",)  # 500 people for 10 beats 700 for 40
    rows = {(r.site_id, r.chosen): r for r in explain_plan(problem, plan)}
    s1 = rows[("s1", True)]
    assert s1.newly_covered == 500.0  # t2 and t3
    assert s1.loss_if_dropped == 500.0
    assert s1.cost_per_person == pytest.approx(10.0 / 500.0)
    s2 = rows[("s2", False)]
    assert s2.loss_if_dropped == 400.0  # would add t4 only (t3 already covered by s1)
    assert s2.cost_per_person == pytest.approx(40.0 / 400.0)
    assert "would add 400 people" in s2.reason
    both = {r.site_id: r for r in explain_plan(problem, {"tc": ("s1", "s2")})}
    assert both["s2"].newly_covered == 400.0  # t4 (t3 is 35 min away: beyond 30)
    assert both["s1"].newly_covered == 500.0
    assert "per person" in both["s1"].reason


def test_e2sfca_hand_computed() -> None:
    # One site with 10 beds, catchment 30 min in three 10-minute zones.
    minutes = np.array([[5.0], [15.0], [25.0], [35.0]])
    pop = np.array([100.0, 100.0, 100.0, 100.0])
    access = e2sfca(minutes, [10.0], pop, catchment_minutes=30.0)
    ratio = 10.0 / (100 * 1.0 + 100 * 0.68 + 100 * 0.22)
    expected = np.array([ratio * 1.0, ratio * 0.68, ratio * 0.22, 0.0]) * 1000
    np.testing.assert_allclose(access, expected)
    # total accessibility-weighted population equals total supply (E2SFCA conservation)
    assert (access / 1000 * pop).sum() == pytest.approx(10.0)
