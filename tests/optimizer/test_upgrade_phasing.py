"""Phased upgrade plans: `Built.encode`, the heuristic start and the year floors.

Small instances are brute-forced over every phasing (each site: no upgrade, or a tier and a
first year), so the heuristic is checked against the true optimum, and the floors against
every feasible plan.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from optimizer.core.solvers import run_milp
from optimizer.upgrade import UpgradeProblem, UpgradeTier, solve_upgrades
from optimizer.upgrade._heuristic import _myopic, _single_models, phased_start, year_floors
from optimizer.upgrade._model import Built, build_model, max_violation
from optimizer.upgrade.evaluate import objective_value, providers

NAN = math.nan
UNREACHABLE = 200.0


def _problem(seed: int, nd: int = 8, ns: int = 5, **tier_options: Any) -> UpgradeProblem:
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(0, 90, (nd, ns))
    minutes[rng.random((nd, ns)) < 0.25] = np.inf
    existing_tc = np.zeros(ns, dtype=bool)
    existing_tc[0] = True
    cost_tc = np.where(np.arange(ns) < ns - 2, rng.uniform(10, 40, ns).round(), NAN)
    cost_c3 = np.where(np.arange(ns) >= ns - 3, rng.uniform(60, 120, ns).round(), NAN)
    tiers = [
        UpgradeTier("tc", 30.0, existing_tc, cost_tc, **tier_options.get("tc", {})),
        UpgradeTier(
            "c3", 50.0, np.zeros(ns, bool), cost_c3, serves=("tc",), **tier_options.get("c3", {})
        ),
    ]
    return UpgradeProblem.from_matrix(
        minutes,
        tiers=tiers,
        population=rng.integers(0, 1000, nd).astype(float),
        demand_groups={"county": np.array(["A", "B"])[rng.integers(0, 2, nd)]},
        site_groups={"county": np.array(["A", "B"])[np.arange(ns) % 2]},
    )


def _build(
    problem: UpgradeProblem,
    kind: str,
    yearly: list[float] | None,
    *,
    carry_over: bool = False,
    budget: float | None = None,
    equity_group: str | None = None,
) -> Built:
    return build_model(
        problem,
        kind=kind,
        budget=budget,
        yearly_budgets=yearly,
        carry_over=carry_over,
        equity_group=equity_group,
        unreachable=UNREACHABLE,
    )


def _phasings(problem: UpgradeProblem, n_years: int) -> list[np.ndarray]:
    """Every phasing as a years x pairs boolean matrix (pairs in `build_model`'s order)."""
    built = _build(problem, "coverage", [1.0] * n_years)
    by_site: dict[int, list[int]] = {}
    for k, j in enumerate(built.pair_site):
        by_site.setdefault(int(j), []).append(k)
    options = [[None, *((k, y) for k in ks for y in range(n_years))] for ks in by_site.values()]
    out = []
    for combo in itertools.product(*options):
        chosen = np.zeros((n_years, built.pair_site.size), dtype=bool)
        for choice in combo:
            if choice is not None:
                chosen[choice[1] :, choice[0]] = True
        out.append(chosen)
    return out


def _spend_ok(built: Built, chosen: np.ndarray, yearly: list[float], *, carry: bool) -> bool:
    spent = chosen.astype(float) @ built.pair_cost
    if carry:
        return bool((spent <= np.cumsum(yearly) + 1e-9).all())
    return bool((np.diff(spent, prepend=0.0) <= np.array(yearly) + 1e-9).all())


def _value(built: Built, chosen: np.ndarray) -> float:
    """True objective of a phasing, from the exact evaluator (not the model)."""
    return objective_value(
        built.problem,
        built.decode(built.encode(chosen))["selected"],
        kind=built.kind,
        unreachable=UNREACHABLE,
    )


def _brute(
    problem: UpgradeProblem,
    kind: str,
    yearly: list[float],
    *,
    carry: bool = False,
    final_ok: Callable[[np.ndarray], bool] = lambda final: True,
) -> tuple[float, list[np.ndarray]]:
    """Best objective over every phasing within the money (and `final_ok` of the last year's
    pairs), and those phasings."""
    built = _build(problem, kind, yearly, carry_over=carry)
    feasible = [
        c
        for c in _phasings(problem, len(yearly))
        if _spend_ok(built, c, yearly, carry=carry) and final_ok(c[-1])
    ]
    values = [_value(built, c) for c in feasible]
    best = max(values) if kind == "coverage" else min(values)
    return best, feasible


# --- encode ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["coverage", "median", "minmax"])
@pytest.mark.parametrize("yearly", [None, [40.0, 60.0, 90.0]])
@pytest.mark.parametrize("seed", range(3))
def test_encode_inverts_decode_and_is_feasible(
    kind: str, yearly: list[float] | None, seed: int
) -> None:
    problem = _problem(seed, tc={"min_group_coverage": {"county": 0.0}})
    built = _build(problem, kind, yearly, budget=250.0)
    run = run_milp(built.milp, solver="highs", time_limit=None, mip_gap=1e-9)
    assert run.values is not None
    chosen = run.values[built.x_cols] > 0.5
    values = built.encode(chosen)
    assert max_violation(built.milp, values) <= 1e-9
    assert np.array_equal(values[built.x_cols] > 0.5, chosen)
    ours, theirs = built.decode(values), built.decode(run.values)
    for key in ("upgrades", "year", "cost", "cost_by_tier", "cost_by_year"):
        assert ours[key] == theirs[key]
    # Auxiliary variables sit at their best values: the model's objective is the true one.
    value = float(built.milp.cost @ values + built.milp.offset)
    truth = objective_value(problem, ours["selected"], kind=kind, unreachable=UNREACHABLE)
    assert (-value if kind == "coverage" else value) == pytest.approx(truth)


@pytest.mark.parametrize("kind", ["coverage", "median", "minmax"])
@pytest.mark.parametrize("seed", range(4))
def test_encode_any_phasing_is_feasible_and_exact(kind: str, seed: int) -> None:
    """Random phasings without money limits: every one encodes to a feasible vector whose
    objective is the evaluator's, and whose auxiliary part is optimal for its upgrades."""
    problem = _problem(seed)
    built = _build(problem, kind, [1e6, 1e6, 1e6])
    rng = np.random.default_rng(seed)
    phasings = _phasings(problem, 3)
    for index in rng.choice(len(phasings), size=25, replace=False):
        chosen = phasings[index]
        values = built.encode(chosen)
        assert max_violation(built.milp, values) <= 1e-9
        value = float(built.milp.cost @ values + built.milp.offset)
        assert (-value if kind == "coverage" else value) == pytest.approx(_value(built, chosen))
        # Fix the upgrades: the LP over the remaining columns finds nothing better.
        x = built.x_cols.ravel()
        lo, hi = built.milp.col_lo.copy(), built.milp.col_hi.copy()
        lo[x] = hi[x] = values[x]
        lp = run_milp(
            replace(built.milp, col_lo=lo, col_hi=hi), solver="highs", time_limit=None, mip_gap=None
        )
        assert lp.values is not None
        assert float(built.milp.cost @ lp.values + built.milp.offset) == pytest.approx(value)


def test_encode_worst_group_share() -> None:
    problem = _problem(1)
    built = _build(problem, "coverage", [1e6, 1e6], equity_group="county")
    for chosen in _phasings(problem, 2)[::7]:
        values = built.encode(chosen)
        assert max_violation(built.milp, values) <= 1e-9
        final = dict(built.decode(values)["selected"][-1])
        # Equity per tier (issue 13): one worst-county share per tier, in tier order.
        for tier, cost in zip(problem.tiers, built.equity_costs, strict=True):
            shares = _county_shares(problem, final, tier.name)
            assert -float(cost @ values) == pytest.approx(min(shares.values()))


def _county_shares(
    problem: UpgradeProblem, upgraded: dict[str, np.ndarray], name: str
) -> dict[str, float]:
    from optimizer.upgrade.evaluate import nearest_minutes

    masks = providers(problem, upgraded)
    labels = problem.demand_groups["county"]
    num = dict.fromkeys(np.unique(labels), 0.0)
    den = dict.fromkeys(np.unique(labels), 0.0)
    for tier in [problem.tier(name)]:
        near, _ = nearest_minutes(problem, tier, masks[tier.name])
        w = np.asarray(tier.demand_weight)
        for lab in num:
            mine = labels == lab
            num[lab] += float(w[mine & (near <= tier.standard_minutes)].sum())
            den[lab] += float(w[mine].sum())
    return {lab: num[lab] / den[lab] for lab in num if den[lab] > 0}


def test_encode_rejects_a_wrong_shape() -> None:
    built = _build(_problem(0), "coverage", [10.0, 10.0])
    with pytest.raises(ValueError, match="shape"):
        built.encode(np.zeros((3, built.pair_site.size), dtype=bool))


def test_year_cost_splits_the_objective() -> None:
    for kind in ("coverage", "median", "minmax"):
        built = _build(_problem(2), kind, [10.0, 20.0, 30.0])
        rows = built.year_cost()
        assert rows.shape == (3, built.milp.n_col)
        assert np.allclose(rows.sum(axis=0), built.milp.cost)


# --- heuristic and floors against brute force -----------------------------------------------


CASES = [
    ("coverage", [40.0, 40.0, 130.0], False),
    ("coverage", [30.0, 30.0, 30.0], False),
    ("coverage", [30.0, 30.0, 30.0], True),
    ("coverage", [0.0, 70.0, 50.0], True),
    ("median", [40.0, 40.0, 60.0], False),
    ("minmax", [30.0, 50.0, 30.0], True),
]


@pytest.mark.parametrize(("kind", "yearly", "carry"), CASES)
@pytest.mark.parametrize("seed", range(4))
def test_heuristic_is_feasible_and_never_beats_the_optimum(
    kind: str, yearly: list[float], carry: bool, seed: int
) -> None:
    problem = _problem(seed)
    built = _build(problem, kind, yearly, carry_over=carry)
    chosen = phased_start(problem, built, budget=None, yearly_budgets=yearly, carry_over=carry)
    assert chosen is not None
    assert chosen.shape == built.x_cols.shape
    assert (chosen[1:] >= chosen[:-1]).all()  # upgrades stay
    assert _spend_ok(built, chosen, yearly, carry=carry)
    values = built.encode(chosen)
    assert max_violation(built.milp, values) <= 1e-9
    plan = built.decode(values)
    for year, selected in enumerate(plan["selected"]):
        for ti, name in enumerate(problem.tier_names):
            expected = np.zeros(problem.base.n_site, dtype=bool)
            expected[built.pair_site[chosen[year] & (built.pair_tier == ti)]] = True
            assert np.array_equal(selected[name], expected)
    if carry:
        assert (np.cumsum(plan["cost_by_year"]) <= np.cumsum(yearly) + 1e-9).all()
    else:
        assert all(s <= b + 1e-9 for s, b in zip(plan["cost_by_year"], yearly, strict=True))
    best, feasible = _brute(problem, kind, yearly, carry=carry)
    value = _value(built, chosen)
    if kind == "coverage":
        assert value <= best + 1e-6
    else:
        assert value >= best - 1e-6
    # The floors hold for every feasible phasing (they remove no plan).
    floors = year_floors(problem, built, budget=None, yearly_budgets=yearly)
    assert np.isfinite(floors).all()
    rows = built.year_cost()
    parts = np.array([rows @ built.encode(c) for c in feasible])
    assert (parts >= floors - 1e-6).all()
    # The phased model with floors and start still finds the brute-force optimum.
    solved = solve_upgrades(
        problem,
        objective=kind,
        yearly_budgets=yearly,
        carry_over=carry,
        unreachable_minutes=UNREACHABLE,
    )
    assert solved.status == "optimal"
    assert solved.objective == pytest.approx(best)


def test_final_plan_first_when_myopic_years_miss_a_final_rule() -> None:
    """Two counties each need a county_3a provider (30 each); the township upgrades (10 each)
    cover more, so year 1 buys them and the last year cannot afford the second county_3a.
    Planning the final year first and working back meets the rule."""
    minutes = np.array(
        [
            [5.0, np.inf, 90.0, np.inf],
            [np.inf, 5.0, np.inf, 90.0],
            [np.inf, np.inf, 40.0, np.inf],
            [np.inf, np.inf, np.inf, 40.0],
        ]
    )
    tiers = [
        UpgradeTier("tc", 30.0, np.zeros(4, bool), [10.0, 10.0, NAN, NAN]),
        UpgradeTier(
            "c3",
            60.0,
            np.zeros(4, bool),
            [NAN, NAN, 30.0, 30.0],
            serves=("tc",),
            min_providers_per_group={"county": 1},
        ),
    ]
    problem = UpgradeProblem.from_matrix(
        minutes,
        tiers=tiers,
        population=[1000.0, 1000.0, 10.0, 10.0],
        demand_groups={"county": np.array(["A", "B", "A", "B"])},
        site_groups={"county": np.array(["A", "B", "A", "B"])},
    )
    yearly = [30.0, 30.0, 20.0]
    built = _build(problem, "coverage", yearly)
    early, late = _single_models(problem, built, budget=None)
    far = time.perf_counter() + 60
    assert _myopic(early, late, yearly, carry_over=False, solver="highs", deadline=far) is None
    chosen = phased_start(problem, built, budget=None, yearly_budgets=yearly, carry_over=False)
    assert chosen is not None
    assert max_violation(built.milp, built.encode(chosen)) <= 1e-9
    plan = built.decode(built.encode(chosen))
    assert set(plan["upgrades"]["c3"]) == {2, 3}
    c3_sites = built.pair_site[built.pair_tier == 1]
    best, _ = _brute(
        problem,
        "coverage",
        yearly,
        final_ok=lambda final: set(built.pair_site[final & (built.pair_tier == 1)]) == {2, 3},
    )
    assert set(c3_sites) == {2, 3}
    assert _value(built, chosen) <= best + 1e-6
    solved = solve_upgrades(problem, yearly_budgets=yearly)
    assert solved.status == "optimal"
    assert solved.objective == pytest.approx(best)


def test_no_plan_when_the_rules_cannot_be_met() -> None:
    problem = _problem(0, c3={"min_upgrades": 3})
    built = _build(problem, "coverage", [50.0, 50.0])
    assert (
        phased_start(problem, built, budget=None, yearly_budgets=[50.0, 50.0], carry_over=False)
        is None
    )


def test_heuristic_respects_upper_limits_every_year() -> None:
    problem = _problem(3, tc={"max_upgrades": 1, "budget": 30.0})
    yearly = [100.0, 100.0, 100.0]
    built = _build(problem, "coverage", yearly, budget=120.0)
    chosen = phased_start(problem, built, budget=120.0, yearly_budgets=yearly, carry_over=True)
    assert chosen is not None
    assert max_violation(built.milp, built.encode(chosen)) <= 1e-9
    tc = built.pair_tier == 0
    assert (chosen[:, tc].sum(axis=1) <= 1).all()
    assert (chosen.astype(float) @ built.pair_cost <= 120.0 + 1e-9).all()


def test_highs_keeps_the_start_as_incumbent() -> None:
    """A run stopped at once still returns a plan at least as good as the start."""
    problem = _problem(5, nd=12, ns=7)
    yearly = [30.0, 30.0, 30.0, 30.0]
    built = _build(problem, "coverage", yearly)
    chosen = phased_start(problem, built, budget=None, yearly_budgets=yearly, carry_over=False)
    assert chosen is not None
    start = built.encode(chosen)
    run = run_milp(built.milp, solver="highs", time_limit=1e-3, mip_gap=None, start=start)
    assert run.values is not None
    assert float(built.milp.cost @ run.values) <= float(built.milp.cost @ start) + 1e-9


@pytest.mark.parametrize("objective", ["equity", "lexicographic"])
def test_phased_equity_objectives_keep_yearly_budgets(objective: str) -> None:
    problem = _problem(4)
    yearly = [30.0, 40.0, 50.0]
    plan = solve_upgrades(problem, objective=objective, yearly_budgets=yearly, mip_gap=1e-9)
    assert plan.status == "optimal"
    assert all(s <= b + 1e-9 for s, b in zip(plan.cost_by_year, yearly, strict=True))
    best, _ = _brute(problem, "coverage", yearly)
    assert plan.objective <= best + 1e-6


def test_cbc_runs_the_plain_phased_model() -> None:
    problem = _problem(2)
    yearly = [40.0, 40.0, 60.0]
    highs = solve_upgrades(problem, yearly_budgets=yearly)
    cbc = solve_upgrades(problem, yearly_budgets=yearly, solver="cbc")
    assert cbc.status == highs.status == "optimal"
    assert cbc.objective == pytest.approx(highs.objective)
