"""Upgrade planning model: brute force over every plan on small instances, option by option."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from optimizer.errors import InvalidOptionError, InvalidProblemError
from optimizer.upgrade import UpgradeProblem, UpgradeTier, solve_upgrades
from optimizer.upgrade.evaluate import nearest_minutes, objective_value, providers

NAN = math.nan


def _instance(seed: int, nd: int = 10, ns: int = 6) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(0, 90, (nd, ns))
    minutes[rng.random((nd, ns)) < 0.25] = np.inf
    population = rng.integers(0, 1000, nd).astype(float)
    county = np.array(["A", "B"])[rng.integers(0, 2, nd)]
    site_county = np.array(["A", "B"])[np.arange(ns) % 2]
    existing_tc = np.zeros(ns, dtype=bool)
    existing_tc[0] = True
    cost_tc = np.where(np.arange(ns) < ns - 2, rng.uniform(10, 40, ns).round(), NAN)
    cost_c3 = np.where(np.arange(ns) >= ns - 3, rng.uniform(60, 120, ns).round(), NAN)
    return {
        "minutes": minutes,
        "population": population,
        "county": county,
        "site_county": site_county,
        "existing_tc": existing_tc,
        "cost_tc": cost_tc,
        "cost_c3": cost_c3,
    }


def _problem(inst: dict[str, Any], **tier_options: Any) -> UpgradeProblem:
    ns = inst["minutes"].shape[1]
    tc_opts = tier_options.get("tc", {})
    c3_opts = tier_options.get("c3", {})
    tiers = [
        UpgradeTier("tc", 30.0, inst["existing_tc"], inst["cost_tc"], **tc_opts),
        UpgradeTier("c3", 50.0, np.zeros(ns, bool), inst["cost_c3"], serves=("tc",), **c3_opts),
    ]
    return UpgradeProblem.from_matrix(
        inst["minutes"],
        tiers=tiers,
        population=inst["population"],
        demand_groups={"county": inst["county"]},
        site_groups={"county": inst["site_county"]},
    )


def _plans(problem: UpgradeProblem) -> list[tuple[dict[str, np.ndarray], float]]:
    """Every plan (one upgrade per site at most) with its cost."""
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
        out.append((up, cost))
    return out


def _group_shares(problem: UpgradeProblem, up: dict[str, np.ndarray], grouping: str) -> dict:
    masks = providers(problem, up)
    labels = problem.demand_groups[grouping]
    num: dict[str, float] = {}
    den: dict[str, float] = {}
    for tier in problem.tiers:
        near, _ = nearest_minutes(problem, tier, masks[tier.name])
        w = np.asarray(tier.demand_weight) * tier.weight
        for lab in np.unique(labels):
            mine = labels == lab
            num[lab] = num.get(lab, 0.0) + float(w[mine & (near <= tier.standard_minutes)].sum())
            den[lab] = den.get(lab, 0.0) + float(w[mine].sum())
    return {lab: num[lab] / den[lab] for lab in num if den[lab] > 0}


def _tier_share(problem: UpgradeProblem, up: dict, name: str, grouping: str) -> dict:
    tier = problem.tier(name)
    near, _ = nearest_minutes(problem, tier, providers(problem, up)[name])
    w = np.asarray(tier.demand_weight)
    labels = problem.demand_groups[grouping]
    out = {}
    for lab in np.unique(labels):
        mine = labels == lab
        if w[mine].sum() > 0:
            out[lab] = w[mine & (near <= tier.standard_minutes)].sum() / w[mine].sum()
    return out


def _brute(
    problem: UpgradeProblem,
    kind: str,
    *,
    budget: float | None = None,
    feasible: Callable[[dict, float], bool] = lambda up, cost: True,
) -> float | None:
    unreachable = float(problem.base.costs.data.max()) + 1.0
    best: float | None = None
    for up, cost in _plans(problem):
        if budget is not None and cost > budget + 1e-9:
            continue
        if not feasible(up, cost):
            continue
        value = objective_value(problem, [up], kind=kind, unreachable=unreachable)
        if best is None or (value > best if kind == "coverage" else value < best):
            best = value
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["coverage", "median", "minmax"])
def test_objectives_match_brute_force(seed: int, kind: str) -> None:
    inst = _instance(seed)
    problem = _problem(inst)
    plan = solve_upgrades(problem, objective=kind, budget=150.0)
    assert plan.status == "optimal"
    assert plan.cost <= 150.0 + 1e-9
    assert plan.objective == pytest.approx(_brute(problem, kind, budget=150.0), rel=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_cbc_agrees_with_highs(seed: int) -> None:
    problem = _problem(_instance(seed))
    for kind in ("coverage", "median"):
        a = solve_upgrades(problem, objective=kind, budget=120.0)
        b = solve_upgrades(problem, objective=kind, budget=120.0, solver="cbc")
        assert b.status == "optimal"
        assert b.solver.startswith("CBC")
        assert a.objective == pytest.approx(b.objective, rel=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_rules_match_brute_force(seed: int) -> None:
    inst = _instance(seed, nd=10, ns=6)
    rules = {
        "tc": {"max_upgrades": 2, "max_upgrades_per_group": {"county": 1}},
        "c3": {"min_providers_per_group": {"county": 1}, "budget": 200.0},
    }
    problem = _problem(inst, **rules)
    site_county = inst["site_county"]

    def ok(up: dict, cost: float) -> bool:
        if up["tc"].sum() > 2 or up["c3"] @ np.nan_to_num(inst["cost_c3"]) > 200.0:
            return False
        if any(up["tc"][site_county == c].sum() > 1 for c in "AB"):
            return False
        c3_sites = providers(problem, up)["c3"]
        return all(c3_sites[site_county == c].any() for c in "AB")

    expected = _brute(problem, "coverage", budget=400.0, feasible=ok)
    plan = solve_upgrades(problem, objective="coverage", budget=400.0)
    if expected is None:
        assert plan.status == "infeasible"
        assert plan.message
    else:
        assert plan.status == "optimal"
        assert plan.objective == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(5))
def test_medical_community_rule_matches_brute_force_and_never_helps(seed: int) -> None:
    inst = _instance(seed)
    free = _problem(inst)
    community = _problem(inst, c3={"within_group": "county"})
    a = solve_upgrades(free, objective="coverage", budget=200.0)
    b = solve_upgrades(community, objective="coverage", budget=200.0)
    assert b.objective == pytest.approx(_brute(community, "coverage", budget=200.0))
    assert b.objective <= a.objective + 1e-9


def test_medical_community_rule_changes_the_answer() -> None:
    # Two counties; demand in county A sits next to a county-B candidate.
    minutes = np.array([[5.0, 40.0], [45.0, 5.0], [8.0, 25.0]])
    tiers = [UpgradeTier("c3", 30.0, [False, False], [100.0, 100.0])]
    kw = {
        "population": [100.0, 10.0, 100.0],
        "demand_groups": {"county": ["A", "B", "B"]},
        "site_groups": {"county": ["A", "B"]},
    }
    free = UpgradeProblem.from_matrix(minutes, tiers=tiers, **kw)
    plan = solve_upgrades(free, objective="coverage", budget=100.0)
    assert plan.upgrades["c3"] == (0,)
    assert plan.objective == 200.0
    tiers = [UpgradeTier("c3", 30.0, [False, False], [100.0, 100.0], within_group="county")]
    community = UpgradeProblem.from_matrix(minutes, tiers=tiers, **kw)
    plan = solve_upgrades(community, objective="coverage", budget=100.0)
    assert plan.objective == 110.0  # site 0 would now serve only county A (100 people)
    assert plan.upgrades["c3"] == (1,)


def test_nesting_counts_higher_tier_for_lower() -> None:
    # One demand, one site: a county_3a upgrade covers the township tier too.
    tiers = [
        UpgradeTier("tc", 30.0, [False], [NAN]),
        UpgradeTier("c3", 60.0, [False], [50.0], serves=("tc",)),
    ]
    problem = UpgradeProblem.from_matrix([[20.0]], tiers=tiers, population=[7.0])
    plan = solve_upgrades(problem, objective="coverage", budget=50.0)
    assert plan.upgrades == {"tc": (), "c3": (0,)}
    assert plan.objective == 14.0  # covered at both tiers
    flat = [
        UpgradeTier("tc", 30.0, [False], [NAN]),
        UpgradeTier("c3", 60.0, [False], [50.0]),
    ]
    plan = solve_upgrades(
        UpgradeProblem.from_matrix([[20.0]], tiers=flat, population=[7.0]), budget=50.0
    )
    assert plan.objective == 7.0


@pytest.mark.parametrize("seed", range(4))
def test_min_group_coverage_matches_brute_force(seed: int) -> None:
    inst = _instance(seed)
    problem = _problem(inst, tc={"min_group_coverage": {"county": 0.5}})

    def ok(up: dict, cost: float) -> bool:
        return all(v >= 0.5 - 1e-9 for v in _tier_share(problem, up, "tc", "county").values())

    expected = _brute(problem, "coverage", budget=200.0, feasible=ok)
    plan = solve_upgrades(problem, objective="coverage", budget=200.0)
    if expected is None:
        assert plan.status == "infeasible"
    else:
        assert plan.status == "optimal"
        assert plan.objective == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(5))
def test_equity_and_lexicographic_match_brute_force(seed: int) -> None:
    """Equity per tier, lexicographically: the first tier's worst county, then the second's.

    Issue 13: equity used to maximise one share per county mixed across tiers (weighted),
    which no output showed; each tier's worst-county share is now lifted in turn.
    """
    inst = _instance(seed)
    problem = _problem(inst)
    rows = []
    for up, cost in _plans(problem):
        if cost > 150.0:
            continue
        worst_tc = min(_tier_share(problem, up, "tc", "county").values())
        worst_c3 = min(_tier_share(problem, up, "c3", "county").values())
        cover = objective_value(problem, [up], kind="coverage", unreachable=1e9)
        rows.append((worst_tc, worst_c3, cover, cost))
    best_tc = max(r[0] for r in rows)
    best_c3 = max(r[1] for r in rows if r[0] >= best_tc - 1e-9)
    fair = [r for r in rows if r[0] >= best_tc - 1e-9 and r[1] >= best_c3 - 1e-9]
    best_cover = max(r[2] for r in fair)
    cheapest = min(r[3] for r in fair if r[2] >= best_cover - 1e-6)
    plan = solve_upgrades(problem, objective="equity", budget=150.0)
    assert plan.status == "optimal"
    assert plan.stages["worst_group_share_tc"] == pytest.approx(best_tc, abs=1e-6)
    assert plan.stages["worst_group_share_c3"] == pytest.approx(best_c3, abs=1e-6)
    assert plan.objective == pytest.approx(best_cover)
    chosen = {
        t.name: np.isin(np.arange(problem.base.n_site), plan.upgrades[t.name])
        for t in problem.tiers
    }
    assert min(_tier_share(problem, chosen, "tc", "county").values()) == pytest.approx(best_tc)
    lex = solve_upgrades(problem, objective="lexicographic", budget=150.0)
    assert lex.objective == pytest.approx(best_cover)
    assert lex.cost == pytest.approx(cheapest)
    assert lex.stages["cost"] == pytest.approx(cheapest)


def test_equity_is_per_tier_not_a_mix() -> None:
    """A hand case where the former mixed share and equity per tier choose differently.

    County A has 100 people at the township tier (``tc``), 300 at the county tier (``c3``),
    none covered; county B is covered at both by site 2. One upgrade is affordable: site 0
    covers A at ``tc``, site 1 covers A at ``c3``. The former objective mixed the tiers per
    county (A: 100/400 with site 0, 300/400 with site 1) and chose site 1, leaving A's
    township tier at 0 %. Per tier, the township tier's worst county is lifted first:
    site 0, and the summary shows each tier's floor (1.0 and 0.0).
    """
    minutes = np.array([[10.0, 10.0, np.inf], [np.inf, np.inf, 5.0]])
    tiers = [
        UpgradeTier("tc", 30.0, [False, False, True], [10.0, NAN, NAN], demand_weight=[100, 100]),
        UpgradeTier("c3", 30.0, [False, False, True], [NAN, 10.0, NAN], demand_weight=[300, 300]),
    ]
    problem = UpgradeProblem.from_matrix(
        minutes,
        tiers=tiers,
        demand_groups={"county": np.array(["A", "B"])},
        site_groups={"county": np.array(["A", "A", "B"])},
    )
    plan = solve_upgrades(problem, objective="equity", budget=10.0)
    assert plan.upgrades == {"tc": (0,), "c3": ()}
    assert plan.stages["worst_group_share_tc"] == pytest.approx(1.0)
    assert plan.stages["worst_group_share_c3"] == pytest.approx(0.0)
    assert plan.objective == pytest.approx(200.0 + 300.0)


def test_serves_is_transitive() -> None:
    """A serves B and B serves C: an A upgrade provides C (issue 13).

    Before, `serves` was read one step deep: upgrading site 0 to ``a`` covered the ``b``
    tier but not ``c`` (objective 2 × 5 = 10 instead of 15).
    """
    tiers = [
        UpgradeTier("c", 30.0, [False], [NAN]),
        UpgradeTier("b", 30.0, [False], [NAN], serves=("c",)),
        UpgradeTier("a", 30.0, [False], [1.0], serves=("b",)),
    ]
    problem = UpgradeProblem.from_matrix([[10.0]], tiers=tiers, population=[5.0])
    assert problem.tier("a").serves == ("b", "c")
    assert problem.providing("c") == ["c", "b", "a"]
    plan = solve_upgrades(problem, objective="coverage", budget=1.0)
    assert plan.upgrades["a"] == (0,)
    assert plan.objective == 15.0
    have = providers(problem, {"a": np.array([True])})
    assert have["c"].tolist() == [True]


def test_serves_closure_agrees_with_geodata() -> None:
    """One rule: the optimizer's closure is `geodata.tiers.close_serves`."""
    from geodata.tiers import close_serves as geodata_close
    from optimizer.upgrade import close_serves

    relation = {"a": ("b",), "b": ("c", "d"), "c": ("a",), "d": (), "e": ("d", "b")}
    assert close_serves(relation) == geodata_close(relation)
    assert close_serves(relation)["a"] == ("b", "c", "d")


def test_phasing_matches_brute_force_and_front_loads() -> None:
    inst = _instance(3, nd=8, ns=5)
    problem = _problem(inst)
    yearly = [40.0, 40.0, 130.0]
    plan = solve_upgrades(problem, objective="coverage", yearly_budgets=yearly)
    # brute force: every site gets (tier, first year) or nothing
    ns = problem.base.n_site
    choices = []
    for j in range(ns):
        opts: list[tuple[str, int] | None] = [None]
        for t in problem.tiers:
            if np.isfinite(np.asarray(t.cost)[j]):
                opts += [(t.name, y) for y in range(3)]
        choices.append(opts)
    best = -1.0
    for combo in itertools.product(*choices):
        spend = np.zeros(3)
        years = []
        for y in range(3):
            up = {t.name: np.zeros(ns, bool) for t in problem.tiers}
            for j, c in enumerate(combo):
                if c is not None and c[1] <= y:
                    up[c[0]][j] = True
            years.append(up)
        for j, c in enumerate(combo):
            if c is not None:
                spend[c[1]] += float(np.asarray(problem.tier(c[0]).cost)[j])
        if (spend > np.array(yearly) + 1e-9).any():
            continue
        best = max(best, objective_value(problem, years, kind="coverage", unreachable=1e9))
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best)
    assert all(s <= b + 1e-9 for s, b in zip(plan.cost_by_year, yearly, strict=True))
    assert set(plan.year.values()) <= {1, 2, 3}


def test_carry_over_never_worse() -> None:
    problem = _problem(_instance(2))
    strict = solve_upgrades(problem, yearly_budgets=[30.0, 30.0, 30.0])
    carry = solve_upgrades(problem, yearly_budgets=[30.0, 30.0, 30.0], carry_over=True)
    assert carry.objective >= strict.objective - 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_more_budget_never_covers_less(seed: int) -> None:
    problem = _problem(_instance(seed))
    values = [
        solve_upgrades(problem, objective="coverage", budget=b).objective
        for b in (0.0, 30.0, 60.0, 120.0, 240.0, 1e6)
    ]
    assert values == sorted(values)


def test_required_and_excluded_sites() -> None:
    inst = _instance(1)
    base = _problem(inst)
    first = solve_upgrades(base, budget=100.0)
    chosen = first.upgrades["tc"][0]
    excluded = _problem(inst, tc={"excluded": [chosen]})
    assert chosen not in solve_upgrades(excluded, budget=100.0).upgrades["tc"]
    other = next(j for j in range(1, 4) if np.isfinite(inst["cost_tc"][j]) and j != chosen)
    required = _problem(inst, tc={"required": [other]})
    assert other in solve_upgrades(required, budget=100.0).upgrades["tc"]


def test_infeasible_rules_explained_before_solving() -> None:
    inst = _instance(0)
    required = [j for j in range(1, 6) if np.isfinite(inst["cost_tc"][j])][:3]
    problem = _problem(inst, tc={"required": required})
    cost = float(inst["cost_tc"][required].sum())
    plan = solve_upgrades(problem, budget=cost - 1.0)
    assert plan.status == "infeasible"
    assert f"cannot cover the 3 required sites costing {cost:.3g}" in plan.message
    # a county with no county_3a candidate cannot get a provider
    inst["cost_c3"][:] = np.where(inst["site_county"] == "A", NAN, 80.0)
    problem = _problem(inst, c3={"min_providers_per_group": {"county": 1}})
    plan = solve_upgrades(problem, budget=1e6)
    assert plan.status == "infeasible"
    assert "county groups cannot reach 1 provider(s)" in plan.message
    assert "(A)" in plan.message


def test_unreachable_coverage_floor_explained() -> None:
    minutes = np.array([[10.0, np.inf], [np.inf, 90.0]])
    tiers = [
        UpgradeTier("c3", 60.0, [False, False], [1.0, 1.0], min_group_coverage={"county": 0.9})
    ]
    problem = UpgradeProblem.from_matrix(
        minutes,
        tiers=tiers,
        population=[5.0, 5.0],
        demand_groups={"county": ["A", "B"]},
        site_groups={"county": ["A", "B"]},
    )
    plan = solve_upgrades(problem, budget=10.0)
    assert plan.status == "infeasible"
    assert "cannot reach 90% coverage within 60 min" in plan.message
    assert "B at most 0%" in plan.message


def test_bad_arguments() -> None:
    problem = _problem(_instance(0))
    with pytest.raises(InvalidOptionError, match="objective 'best'"):
        solve_upgrades(problem, objective="best")
    with pytest.raises(InvalidOptionError, match="solver 'gurobi'"):
        solve_upgrades(problem, solver="gurobi")
    with pytest.raises(InvalidProblemError, match="serves unknown tier 'x'"):
        UpgradeProblem.from_matrix(
            [[1.0]], tiers=[UpgradeTier("a", 10.0, [False], [1.0], serves=("x",))]
        )
    with pytest.raises(InvalidProblemError, match="grouping 'city' needs"):
        UpgradeProblem.from_matrix(
            [[1.0]],
            tiers=[UpgradeTier("a", 10.0, [False], [1.0], min_group_coverage={"city": 0.5})],
        )
