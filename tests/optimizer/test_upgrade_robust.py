"""Robust upgrade plans (issue 13): brute force over every plan of small random instances.

For every feasible plan the coverage under each demand scenario is computed exactly
(`optimizer.upgrade.evaluate`); the worst-case and min-regret optima, and their tie-breaks
toward the reference (first) scenario, must equal the solver's.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

from optimizer.errors import InvalidOptionError
from optimizer.upgrade import UpgradeProblem, UpgradeTier, solve_upgrades
from optimizer.upgrade.evaluate import objective_value
from optimizer.upgrade.robust import scenario_coverage, solve_robust, with_demand

NAN = math.nan


def _instance(seed: int, nd: int = 9, ns: int = 6, k: int = 3) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(0, 90, (nd, ns))
    minutes[rng.random((nd, ns)) < 0.3] = np.inf
    county = np.array(["A", "B"])[rng.integers(0, 2, nd)]
    existing = np.zeros(ns, dtype=bool)
    existing[0] = True
    cost_tc = np.where(np.arange(ns) < ns - 2, rng.integers(10, 40, ns), NAN)
    cost_c3 = np.where(np.arange(ns) >= ns - 3, rng.integers(60, 120, ns), NAN)
    scenarios = {
        f"s{i}": {
            "tc": rng.integers(0, 1000, nd).astype(float),
            "c3": rng.integers(0, 300, nd).astype(float),
        }
        for i in range(k)
    }
    # Some rows weigh nothing today but something in another scenario.
    scenarios["s0"]["tc"][0] = 0.0
    return {
        "minutes": minutes,
        "county": county,
        "site_county": np.array(["A", "B"])[np.arange(ns) % 2],
        "existing": existing,
        "cost_tc": cost_tc,
        "cost_c3": cost_c3,
        "scenarios": scenarios,
    }


def _problem(inst: dict[str, Any], **tc_options: Any) -> UpgradeProblem:
    ns = inst["minutes"].shape[1]
    today = inst["scenarios"]["s0"]
    tiers = [
        UpgradeTier(
            "tc",
            30.0,
            inst["existing"],
            inst["cost_tc"],
            demand_weight=today["tc"],
            **tc_options,
        ),
        UpgradeTier(
            "c3",
            50.0,
            np.zeros(ns, bool),
            inst["cost_c3"],
            serves=("tc",),
            weight=2.0,
            demand_weight=today["c3"],
        ),
    ]
    return UpgradeProblem.from_matrix(
        inst["minutes"],
        tiers=tiers,
        demand_groups={"county": inst["county"]},
        site_groups={"county": inst["site_county"]},
    )


def _plans(problem: UpgradeProblem, budget: float) -> list[dict[str, np.ndarray]]:
    """Every plan within `budget` (one upgrade per site at most)."""
    ns = problem.base.n_site
    options = []
    for j in range(ns):
        choices: list[str | None] = [None]
        choices += [t.name for t in problem.tiers if np.isfinite(np.asarray(t.cost)[j])]
        options.append(choices)
    out = []
    for combo in itertools.product(*options):
        up = {t.name: np.zeros(ns, dtype=bool) for t in problem.tiers}
        cost = 0.0
        for j, name in enumerate(combo):
            if name is not None:
                up[name][j] = True
                cost += float(np.asarray(problem.tier(name).cost)[j])
        if cost <= budget + 1e-9:
            out.append(up)
    return out


def _covered_share(problem: UpgradeProblem, up: dict[str, np.ndarray], share: float) -> bool:
    """The tc tier's min_group_coverage rule, weighed with the problem's own demand."""
    from optimizer.upgrade.evaluate import nearest_minutes, providers

    tier = problem.tier("tc")
    near, _ = nearest_minutes(problem, tier, providers(problem, up)["tc"])
    w = np.asarray(tier.demand_weight)
    labels = problem.demand_groups["county"]
    for lab in np.unique(labels):
        mine = labels == lab
        if w[mine].sum() > 0 and w[mine & (near <= 30.0)].sum() < share * w[mine].sum() - 1e-9:
            return False
    return True


def _table(
    problem: UpgradeProblem, scenarios: dict[str, Any], plans: list[dict[str, np.ndarray]]
) -> np.ndarray:
    """Plans x scenarios: weighted coverage, evaluated exactly."""
    return np.array(
        [
            [
                objective_value(with_demand(problem, w), [up], kind="coverage", unreachable=1.0)
                for w in scenarios.values()
            ]
            for up in plans
        ]
    )


def _lexi_best(first: np.ndarray, second: np.ndarray, *, maximise: bool) -> tuple[float, float]:
    """Best of `first`, then the best reference coverage among the plans that reach it."""
    best = first.max() if maximise else first.min()
    tied = np.abs(first - best) <= 1e-6 * max(1.0, abs(best))
    return float(best), float(second[tied].max())


CASES = [(seed, budget) for seed in range(6) for budget in (40.0, 110.0)]


@pytest.mark.parametrize(("seed", "budget"), CASES)
def test_worst_case_and_min_regret_equal_brute_force(seed: int, budget: float) -> None:
    inst = _instance(seed)
    problem = _problem(inst)
    scenarios = inst["scenarios"]
    table = _table(problem, scenarios, _plans(problem, budget))
    worst = table.min(axis=1)
    best_k = table.max(axis=0)
    regret = (best_k - table).max(axis=1)

    plan = solve_upgrades(problem, budget=budget, robust="worst_case", demand_scenarios=scenarios)
    assert plan.status == "optimal"
    z, ref = _lexi_best(worst, table[:, 0], maximise=True)
    assert plan.stages["worst_coverage"] == pytest.approx(z, abs=1e-6)
    assert plan.objective == pytest.approx(z, abs=1e-6)
    assert plan.stages["reference_coverage"] == pytest.approx(ref, abs=1e-6)
    assert plan.cost <= budget + 1e-9
    exact = scenario_coverage(problem, scenarios, plan.upgrades)
    assert min(exact.values()) == pytest.approx(z, abs=1e-6)
    assert exact["s0"] == pytest.approx(ref, abs=1e-6)

    plan = solve_upgrades(problem, budget=budget, robust="min_regret", demand_scenarios=scenarios)
    assert plan.status == "optimal"
    r, ref = _lexi_best(-regret, table[:, 0], maximise=True)
    for name, value in zip(scenarios, best_k, strict=True):
        assert plan.stages[f"best:{name}"] == pytest.approx(value, abs=1e-6)
    assert plan.stages["max_regret"] == pytest.approx(-r, abs=1e-6)
    assert plan.objective == pytest.approx(-r, abs=1e-6)
    assert plan.stages["reference_coverage"] == pytest.approx(ref, abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_robust_keeps_group_rules_weighed_with_the_problems_demand(seed: int) -> None:
    """min_group_coverage is a rule of the plan: weighed with today's demand, not a scenario."""
    inst = _instance(seed)
    problem = _problem(inst, min_group_coverage={"county": 0.5})
    scenarios = inst["scenarios"]
    plans = [up for up in _plans(problem, 150.0) if _covered_share(problem, up, 0.5)]
    if not plans:
        plan = solve_upgrades(
            problem, budget=150.0, robust="worst_case", demand_scenarios=scenarios
        )
        assert plan.status == "infeasible"
        return
    table = _table(problem, scenarios, plans)
    for robust in ("worst_case", "min_regret"):
        plan = solve_upgrades(problem, budget=150.0, robust=robust, demand_scenarios=scenarios)
        assert plan.status == "optimal"
        ns = problem.base.n_site
        ids = [str(i) for i in problem.base.site_ids]
        up = {t: np.isin(ids, [str(i) for i in plan.upgrades[t]]) for t in ("tc", "c3")}
        assert up["tc"].shape == (ns,)
        assert _covered_share(problem, up, 0.5)
        if robust == "worst_case":
            assert plan.objective == pytest.approx(table.min(axis=1).max(), abs=1e-6)
        else:
            best_k = table.max(axis=0)
            assert plan.objective == pytest.approx((best_k - table).max(axis=1).min(), abs=1e-6)


def _hand() -> tuple[UpgradeProblem, dict[str, Any]]:
    """Three villages A, B, C; candidate clinics a, b, c each reach one; money for one.

    2020 weighs A (10 people) and C (6); 2035 weighs B (20) and C (7). Best for 2020: a
    (10); best for 2035: b (20). Worst case: a → min(10, 0) = 0, b → 0, c → min(6, 7) = 6,
    so c: a plan that is best for no single projection. Regrets (best 10 and 20): a → 20,
    b → max(10, 0) = 10, c → max(4, 13) = 13, so min-regret picks b.
    """
    minutes = np.array([[10.0, np.inf, np.inf], [np.inf, 10.0, np.inf], [np.inf, np.inf, 10.0]])
    tier = UpgradeTier("tc", 30.0, np.zeros(3, bool), np.array([5.0, 5.0, 5.0]))
    problem = UpgradeProblem.from_matrix(
        minutes, tiers=[tier], population=[10, 0, 6], site_ids=["a", "b", "c"]
    )
    scenarios = {"2020": np.array([10.0, 0.0, 6.0]), "2035": np.array([0.0, 20.0, 7.0])}
    return problem, scenarios


def test_hand_case_worst_case_plan_is_best_for_no_single_projection() -> None:
    problem, scenarios = _hand()
    singles = {
        name: solve_upgrades(with_demand(problem, w), budget=5.0).upgrades["tc"]
        for name, w in scenarios.items()
    }
    assert singles == {"2020": ("a",), "2035": ("b",)}
    worst = solve_upgrades(problem, budget=5.0, robust="worst_case", demand_scenarios=scenarios)
    assert worst.status == "optimal"
    assert worst.upgrades["tc"] == ("c",)
    assert worst.objective == 6.0
    assert worst.stages["coverage:2020"] == 6.0
    assert worst.stages["coverage:2035"] == 7.0
    regret = solve_upgrades(problem, budget=5.0, robust="min_regret", demand_scenarios=scenarios)
    assert regret.status == "optimal"
    assert regret.upgrades["tc"] == ("b",)
    assert regret.objective == 10.0
    assert regret.stages["best:2020"] == 10.0
    assert regret.stages["best:2035"] == 20.0


def test_tie_break_goes_to_the_reference_scenario() -> None:
    """Both a and b leave the worst case at 0; the reference (first) scenario decides."""
    problem, _ = _hand()
    scenarios = {"ref": np.array([3.0, 5.0, 0.0]), "other": np.array([0.0, 0.0, 0.0])}
    plan = solve_upgrades(problem, budget=5.0, robust="worst_case", demand_scenarios=scenarios)
    assert plan.upgrades["tc"] == ("b",)
    assert plan.stages["reference_coverage"] == 5.0
    flipped = {"ref": np.array([5.0, 3.0, 0.0]), "other": np.zeros(3)}
    plan = solve_upgrades(problem, budget=5.0, robust="worst_case", demand_scenarios=flipped)
    assert plan.upgrades["tc"] == ("a",)


def test_robust_options_are_checked() -> None:
    problem, scenarios = _hand()
    with pytest.raises(InvalidOptionError, match="robust"):
        solve_upgrades(problem, robust="best_case", demand_scenarios=scenarios)
    with pytest.raises(InvalidOptionError, match="objective 'coverage'"):
        solve_upgrades(problem, objective="median", robust="worst_case", demand_scenarios=scenarios)
    with pytest.raises(InvalidOptionError, match="yearly_budgets"):
        solve_upgrades(
            problem, yearly_budgets=[5.0], robust="worst_case", demand_scenarios=scenarios
        )
    with pytest.raises(InvalidOptionError, match="demand_scenarios"):
        solve_upgrades(problem, robust="worst_case")
    with pytest.raises(InvalidOptionError, match="need 3 finite values"):
        solve_robust(problem, {"x": np.ones(2)}, criterion="worst_case")
