"""Property tests (issue 11): the upgrade, allocation and chain models against brute force.

Hypothesis draws small instances (at most 5-6 candidate sites or 6 hospital-specialty pairs),
derandomized so every run sees the same examples. For each one, every plan is enumerated:
the model must be infeasible exactly when no plan keeps the rules, must otherwise report the
brute-force optimum, and never calls a plan ``optimal`` that is worse than it.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Hashable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.allocation import AllocationProblem, DesignationLevel, solve_allocation
from optimizer.chain import ChainProblem, evaluate_chain, solve_chain
from optimizer.upgrade import UpgradeProblem, UpgradeTier, solve_upgrades
from optimizer.upgrade.evaluate import nearest_minutes, objective_value, providers

NAN = math.nan
INF = math.inf
#: Examples run per test, counted (reported by `test_examples_were_run`).
RUN: Counter[str] = Counter()
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None)


def _minutes(draw: st.DrawFn, n_rows: int, n_cols: int, top: int) -> np.ndarray:
    cells = st.one_of(st.integers(0, top).map(float), st.just(INF))
    values = draw(st.lists(cells, min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    return np.array(values).reshape(n_rows, n_cols)


def _better(kind: str, a: float, b: float) -> bool:
    """Whether ``a`` beats ``b`` (coverage is maximised, time minimised)."""
    return a > b + 1e-9 if kind == "coverage" else a < b - 1e-9


def _check(model: str, status: str, objective: float, best: float | None, kind: str) -> None:
    """The shared assertions: feasibility agreement, optimum, and no false ``optimal``."""
    RUN[f"{model} {'infeasible' if best is None else 'feasible'}"] += 1
    if best is None:
        assert status == "infeasible"
        return
    assert status != "infeasible"
    if status == "optimal":
        assert not _better(kind, best, objective)  # never optimal when worse than brute force
    assert status == "optimal"
    assert objective == pytest.approx(best, rel=1e-7, abs=1e-7)


# --- upgrade ---------------------------------------------------------------------------------


@st.composite
def upgrade_cases(draw: st.DrawFn) -> dict[str, Any]:
    nd, ns = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    minutes = _minutes(draw, nd, ns, 60)
    money = st.one_of(st.just(NAN), st.integers(1, 9).map(float))
    existing_tc = np.array(draw(st.lists(st.booleans(), min_size=ns, max_size=ns)))
    cost_tc = np.array(draw(st.lists(money, min_size=ns, max_size=ns)))
    cost_c3 = np.array(draw(st.lists(money, min_size=ns, max_size=ns)))
    tc: dict[str, Any] = {}
    c3: dict[str, Any] = {}
    if draw(st.booleans()):
        tc["min_providers_per_group"] = {"county": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        c3["max_upgrades"] = draw(st.integers(0, 2))
    if draw(st.booleans()):
        tc["min_upgrades"] = draw(st.integers(0, 2))
    if draw(st.booleans()):
        c3["within_group"] = "county"
    return {
        "minutes": minutes,
        "population": np.array(draw(st.lists(st.integers(0, 9), min_size=nd, max_size=nd))),
        "county": np.array(draw(st.lists(st.sampled_from("AB"), min_size=nd, max_size=nd))),
        "site_county": np.array(draw(st.lists(st.sampled_from("AB"), min_size=ns, max_size=ns))),
        "existing_tc": existing_tc,
        "cost_tc": cost_tc,
        "cost_c3": cost_c3,
        "tc": tc,
        "c3": c3,
        "kind": draw(st.sampled_from(["coverage", "median", "minmax"])),
        "budget": float(draw(st.integers(0, 20))),
    }


def _upgrade_problem(case: dict[str, Any]) -> UpgradeProblem:
    ns = case["minutes"].shape[1]
    tiers = [
        UpgradeTier("tc", 30.0, case["existing_tc"], case["cost_tc"], **case["tc"]),
        UpgradeTier("c3", 50.0, np.zeros(ns, bool), case["cost_c3"], serves=("tc",), **case["c3"]),
    ]
    return UpgradeProblem.from_matrix(
        case["minutes"],
        tiers=tiers,
        population=case["population"].astype(float),
        demand_groups={"county": case["county"]},
        site_groups={"county": case["site_county"]},
    )


def _upgrade_brute(
    problem: UpgradeProblem, case: dict[str, Any], unreachable: float
) -> float | None:
    ns = problem.base.n_site
    labels = case["site_county"]
    tc, c3 = problem.tier("tc"), problem.tier("c3")
    options = [
        [None, *(t.name for t in problem.tiers if np.isfinite(np.asarray(t.cost)[j]))]
        for j in range(ns)
    ]
    best: float | None = None
    for combo in itertools.product(*options):
        up = {t.name: np.array([c == t.name for c in combo], dtype=bool) for t in problem.tiers}
        cost = sum(float(np.asarray(problem.tier(c).cost)[j]) for j, c in enumerate(combo) if c)
        if cost > case["budget"] + 1e-9 or up["tc"].sum() < tc.min_upgrades:
            continue
        if c3.max_upgrades is not None and up["c3"].sum() > c3.max_upgrades:
            continue
        needed = tc.min_providers_per_group.get("county", 0)
        have = providers(problem, up)["tc"]
        if any(have[labels == g].sum() < needed for g in np.unique(case["county"])):
            continue
        if any(have[labels == g].sum() < needed for g in np.unique(labels)):
            continue
        value = objective_value(problem, [up], kind=case["kind"], unreachable=unreachable)
        if best is None or _better(case["kind"], value, best):
            best = value
    return best


@SETTINGS
@given(upgrade_cases())
def _upgrade_matches_brute_force(case: dict[str, Any]) -> None:
    RUN["upgrade"] += 1
    problem = _upgrade_problem(case)
    unreachable = 100.0
    plan = solve_upgrades(
        problem, objective=case["kind"], budget=case["budget"], unreachable_minutes=unreachable
    )
    best = _upgrade_brute(problem, case, unreachable)
    _check("upgrade", plan.status, plan.objective, best, case["kind"])
    if best is not None:
        assert plan.cost <= case["budget"] + 1e-9


@st.composite
def phased_cases(draw: st.DrawFn) -> dict[str, Any]:
    nd, ns = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    money = st.one_of(st.just(NAN), st.integers(1, 9).map(float))
    minutes = _minutes(draw, nd, ns, 60)
    if draw(st.booleans()):  # a county nobody reaches: every worst share is 0
        minutes[-1, :] = INF
    return {
        "minutes": minutes,
        "population": np.array(draw(st.lists(st.integers(0, 9), min_size=nd, max_size=nd))),
        "county": np.array(draw(st.lists(st.sampled_from("AB"), min_size=nd, max_size=nd))),
        "site_county": np.array(draw(st.lists(st.sampled_from("AB"), min_size=ns, max_size=ns))),
        "existing_tc": np.array(draw(st.lists(st.booleans(), min_size=ns, max_size=ns))),
        "cost_tc": np.array(draw(st.lists(money, min_size=ns, max_size=ns))),
        "cost_c3": np.array(draw(st.lists(money, min_size=ns, max_size=ns))),
        "tc": {},
        "c3": {},
        "kind": draw(st.sampled_from(["coverage", "equity", "lexicographic"])),
        "yearly": [float(draw(st.integers(0, 12))) for _ in range(2)],
        "carry_over": draw(st.booleans()),
    }


def _worst_share(problem: UpgradeProblem, up: dict[str, np.ndarray]) -> tuple[float, ...]:
    """Worst county's covered share of each tier, in tier order (the equity stages' ``s_t``)."""
    have = providers(problem, up)
    labels = problem.demand_groups["county"]
    out = []
    for tier in problem.tiers:
        near, _ = nearest_minutes(problem, tier, have[tier.name])
        w = np.asarray(tier.demand_weight)
        shares = [
            float(w[(labels == lab) & (near <= tier.standard_minutes)].sum())
            / float(w[labels == lab].sum())
            for lab in np.unique(labels)
            if w[labels == lab].sum() > 0
        ]
        out.append(min(shares) if shares else 0.0)
    return tuple(out)


def _phase_options(problem: UpgradeProblem, n_years: int) -> list[list[tuple[str, int] | None]]:
    """Per site: no upgrade, or (tier, first year) for every tier it is a candidate for."""
    options = []
    for j in range(problem.base.n_site):
        opts: list[tuple[str, int] | None] = [None]
        for t in problem.tiers:
            if np.isfinite(np.asarray(t.cost)[j]):
                opts += [(t.name, y) for y in range(n_years)]
        options.append(opts)
    return options


def _phased_brute(problem: UpgradeProblem, case: dict[str, Any]) -> tuple[float, float]:
    """Best (coverage-years, cost) for the case's objective over every phasing."""
    ns, yearly = problem.base.n_site, case["yearly"]
    rows = []
    for combo in itertools.product(*_phase_options(problem, len(yearly))):
        spend = np.zeros(len(yearly))
        for j, c in enumerate(combo):
            if c is not None:
                spend[c[1]] += float(np.asarray(problem.tier(c[0]).cost)[j])
        if case["carry_over"]:
            ok = (np.cumsum(spend) <= np.cumsum(yearly) + 1e-9).all()
        else:
            ok = (spend <= np.array(yearly) + 1e-9).all()
        if not ok:
            continue
        years = []
        for y in range(len(yearly)):
            up = {t.name: np.zeros(ns, bool) for t in problem.tiers}
            for j, c in enumerate(combo):
                if c is not None and c[1] <= y:
                    up[c[0]][j] = True
            years.append(up)
        cover = objective_value(problem, years, kind="coverage", unreachable=1e9)
        rows.append((_worst_share(problem, years[-1]), cover, float(spend.sum())))
    if case["kind"] != "coverage":
        for t in range(len(problem.tiers)):  # lexicographically, tier by tier
            worst = max(r[0][t] for r in rows)
            rows = [r for r in rows if r[0][t] >= worst - 1e-7]
    cover = max(r[1] for r in rows)
    return cover, min(r[2] for r in rows if r[1] >= cover - 1e-7 * max(1.0, cover))


@SETTINGS
@given(phased_cases())
def _phased_upgrade_matches_brute_force(case: dict[str, Any]) -> None:
    """Two-year plans: warm-started with HiGHS (the start must never come back as the plan)."""
    RUN["phased upgrade"] += 1
    problem = _upgrade_problem(case)
    plan = solve_upgrades(
        problem,
        objective=case["kind"],
        yearly_budgets=case["yearly"],
        carry_over=case["carry_over"],
    )
    cover, cheapest = _phased_brute(problem, case)
    _check("phased upgrade", plan.status, plan.objective, cover, "coverage")
    if case["kind"] == "lexicographic":
        assert plan.cost == pytest.approx(cheapest)


# --- allocation ------------------------------------------------------------------------------


@st.composite
def allocation_cases(draw: st.DrawFn) -> dict[str, Any]:
    nd, nh, n_s = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    n_l = draw(st.integers(1, 2))
    levels = []
    for k in range(n_l):
        lo = draw(st.integers(0, 2))
        hi = draw(st.one_of(st.none(), st.integers(lo, 3)))
        eligible = np.array(draw(st.lists(st.booleans(), min_size=nh * n_s, max_size=nh * n_s)))
        group_max = {"city": draw(st.integers(0, 2))} if draw(st.booleans()) else {}
        levels.append(
            DesignationLevel(
                f"L{k}",
                standard=float(draw(st.integers(0, 40))),
                min_count=lo,
                max_count=hi,
                eligible=eligible.reshape(nh, n_s),
                weight=float(draw(st.integers(1, 3))),
                group_max=group_max,
            )
        )
    return {
        "minutes": _minutes(draw, nd, nh, 40),
        "weights": np.array(draw(st.lists(st.integers(0, 9), min_size=nd, max_size=nd))),
        "levels": levels,
        "specialties": [f"s{j}" for j in range(n_s)],
        "city": draw(st.lists(st.sampled_from("XY"), min_size=nh, max_size=nh)),
        "readiness": np.array(
            draw(st.lists(st.integers(0, 3), min_size=nh * n_s, max_size=nh * n_s))
        ).reshape(nh, n_s),
    }


def _allocation_value(case: dict[str, Any], hold: np.ndarray) -> float:
    """Weighted reach of ``hold[l, h, s]`` (a designation at ``l`` serves every lower level)."""
    minutes = case["minutes"]
    total = 0.0
    for k, level in enumerate(case["levels"]):
        holds = hold[: k + 1].any(axis=0)  # (h, s)
        near = minutes <= level.standard  # (i, h)
        reached = (near.astype(int) @ holds.astype(int)) > 0  # (i, s)
        total += level.weight * float(case["weights"] @ reached.sum(axis=1))
    return total


def _allocation_brute(case: dict[str, Any]) -> float | None:
    levels = case["levels"]
    nh, n_s = case["readiness"].shape
    city = np.array(case["city"])
    options = []
    for h, s in itertools.product(range(nh), range(n_s)):
        eligible = [k for k, lv in enumerate(levels) if np.asarray(lv.eligible)[h, s]]
        options.append([None, *eligible])
    best: float | None = None
    for combo in itertools.product(*options):
        hold = np.zeros((len(levels), nh, n_s), dtype=bool)
        for (h, s), k in zip(itertools.product(range(nh), range(n_s)), combo, strict=True):
            if k is not None:
                hold[k, h, s] = True
        ok = True
        for k, lv in enumerate(levels):
            count = int(hold[k].sum())
            if count < lv.min_count or (lv.max_count is not None and count > lv.max_count):
                ok = False
            limit = lv.group_max.get("city")
            for g in np.unique(city):
                if isinstance(limit, int) and int(hold[k][city == g].sum()) > limit:
                    ok = False
        if not ok:
            continue
        value = _allocation_value(case, hold)
        best = value if best is None else max(best, value)
    return best


@SETTINGS
@given(allocation_cases())
def _allocation_matches_brute_force(case: dict[str, Any]) -> None:
    RUN["allocation"] += 1
    if not any(np.asarray(lv.eligible).any() for lv in case["levels"]):
        return  # nothing to allocate: an error, tested in test_answers
    problem = AllocationProblem.from_matrix(
        case["minutes"],
        levels=case["levels"],
        specialty_ids=case["specialties"],
        weights=case["weights"].astype(float),
        readiness=case["readiness"].astype(float),
        hospital_groups={"city": case["city"]},
    )
    result = solve_allocation(problem)
    _check("allocation", result.status, result.objective, _allocation_brute(case), "coverage")


# --- chain -----------------------------------------------------------------------------------


@st.composite
def chain_cases(draw: st.DrawFn) -> dict[str, Any]:
    nd, ns = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    money = st.one_of(st.just(NAN), st.integers(1, 9).map(float))
    role = st.lists(st.sampled_from(["none", "first", "second"]), min_size=ns, max_size=ns)
    roles = draw(role)
    limits: dict[str, Any] = {}
    for name in ("max_first", "max_second", "max_total"):
        if draw(st.booleans()):
            limits[name] = draw(st.integers(0, 3))
    if draw(st.booleans()):
        limits["budget"] = float(draw(st.integers(0, 15)))
    groups = {"N": [j for j in range(ns) if j % 2 == 0], "S": [j for j in range(ns) if j % 2]}
    groups = {g: m for g, m in groups.items() if m}
    if draw(st.booleans()):
        limits["min_second_per_group"] = {g: draw(st.integers(0, 2)) for g in groups}
    if draw(st.booleans()):
        limits["min_open_per_group"] = {g: draw(st.integers(0, 2)) for g in groups}
    return {
        "minutes": _minutes(draw, nd, ns, 40),
        "transfer": _minutes(draw, ns, ns, 40),
        "weights": np.array(draw(st.lists(st.integers(0, 9), min_size=nd, max_size=nd))),
        "first_cost": np.array(draw(st.lists(money, min_size=ns, max_size=ns))),
        "second_cost": np.array(draw(st.lists(money, min_size=ns, max_size=ns))),
        "first_existing": [j for j, r in enumerate(roles) if r == "first"],
        "second_existing": [j for j, r in enumerate(roles) if r == "second"],
        "groups": groups,
        "S1": float(draw(st.integers(0, 40))),
        "S2": float(draw(st.integers(0, 80))),
        "handover": float(draw(st.integers(0, 10))),
        "limits": limits,
    }


def _chain_brute(problem: ChainProblem, case: dict[str, Any]) -> float | None:
    ns = problem.base.n_site
    limits = case["limits"]
    options = []
    for j in range(ns):
        opts = ["none"]
        if np.isfinite(problem.first_cost[j]):
            opts.append("first")
        if np.isfinite(problem.second_cost[j]):
            opts.append("second")
        options.append(opts)
    best: float | None = None
    for combo in itertools.product(*options):
        new1 = np.array([c == "first" for c in combo])
        new2 = np.array([c == "second" for c in combo])
        cost = float(problem.first_cost[new1].sum() + problem.second_cost[new2].sum())
        if (
            new1.sum() > limits.get("max_first", ns)
            or new2.sum() > limits.get("max_second", ns)
            or new1.sum() + new2.sum() > limits.get("max_total", ns)
            or cost > limits.get("budget", INF) + 1e-9
        ):
            continue
        level2 = new2 | problem.second_existing
        level1 = (new1 | problem.first_existing) & ~level2
        members: dict[Hashable, list[int]] = case["groups"]
        if any(
            level2[m].sum() < limits.get("min_second_per_group", {}).get(g, 0)
            or (level1 | level2)[m].sum() < limits.get("min_open_per_group", {}).get(g, 0)
            for g, m in members.items()
        ):
            continue
        covered = evaluate_chain(problem, new1, new2).covered
        value = float(problem.base.weights[covered].sum())
        best = value if best is None else max(best, value)
    return best


@SETTINGS
@given(chain_cases())
def _chain_matches_brute_force(case: dict[str, Any]) -> None:
    RUN["chain"] += 1
    problem = ChainProblem.from_matrix(
        case["minutes"],
        case["transfer"],
        case["weights"].astype(float),
        first_leg_minutes=case["S1"],
        total_minutes=case["S2"],
        handover_minutes=case["handover"],
        first_cost=case["first_cost"],
        second_cost=case["second_cost"],
        first_existing=case["first_existing"],
        second_existing=case["second_existing"],
        groups=case["groups"],
    )
    plan = solve_chain(problem, **case["limits"])
    _check("chain", plan.status, plan.objective, _chain_brute(problem, case), "coverage")


def test_upgrade_matches_brute_force() -> None:
    before = RUN["upgrade"]
    _upgrade_matches_brute_force()
    assert RUN["upgrade"] - before >= 100  # the property saw its examples


def test_phased_upgrade_matches_brute_force() -> None:
    before = RUN["phased upgrade"]
    _phased_upgrade_matches_brute_force()
    assert RUN["phased upgrade"] - before >= 100  # the property saw its examples


def test_allocation_matches_brute_force() -> None:
    before = RUN["allocation"]
    _allocation_matches_brute_force()
    assert RUN["allocation"] - before >= 100  # the property saw its examples


def test_chain_matches_brute_force() -> None:
    before = RUN["chain"]
    _chain_matches_brute_force()
    assert RUN["chain"] - before >= 100  # the property saw its examples
