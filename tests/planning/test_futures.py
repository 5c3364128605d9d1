"""Population futures on the Liaoning world (issue 13): robust plans and the futures table.

Figures of the projections (B1's `geodata.projection`): 2020 census 42,591,407 people,
7,417,481 aged 65+; 2035 central 38,280,528, 12,550,800 aged 65+ (32.8 %). Before issue 13
no plan could be made or reported for any population but 2020's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import geodata
from geodata.dataset import Dataset
from geodata.travel import TravelTimes
from optimizer.errors import InvalidOptionError
from optimizer.upgrade.robust import scenario_coverage
from planning.errors import RuleError
from planning.futures import (
    FUTURES_COLUMNS,
    Projection,
    demand_scenarios,
    futures_table,
    plan_for_population,
    projections,
    robust_projections,
)
from planning.upgrades import PlanningRules

pytestmark = pytest.mark.xdist_group("liaoning")

BUDGET = 3e8
YEAR_2035 = ("2035 central", "2035 low", "2035 high")


@pytest.fixture(scope="module")
def world() -> Dataset:
    return geodata.load_dataset("liaoning")


@pytest.fixture(scope="module")
def times(world: Dataset, tmp_path_factory: pytest.TempPathFactory) -> TravelTimes:
    from geodata.travel import travel_times

    folder: Path = tmp_path_factory.mktemp("cache")
    return travel_times(
        world.graph(), world.demand, world.facilities, cutoff_minutes=120, cache_dir=folder
    )


def test_projections_2020_once_and_reference_first() -> None:
    labels = [p.label for p in projections()]
    assert labels[0] == "2020 census"
    assert len(labels) == 10  # 2020 census + 3 years x 3 variants
    assert labels.count("2020 census") == 1
    assert [p.label for p in robust_projections(2035)] == list(YEAR_2035)
    assert [p.label for p in robust_projections(2025, "low", [2030])] == [
        "2025 low",
        "2030 low",
        "2030 central",
        "2030 high",
    ]
    # Default robust years: every year from the planned one; 2020 is one projection.
    assert len(robust_projections(2020)) == 10
    assert Projection.of(2020, "high") == Projection(2020, "census")
    with pytest.raises(RuleError, match="2040 has no projection - use one of 2020"):
        Projection.of(2040)
    with pytest.raises(RuleError, match="'middle' is unknown - use one of low, central, high"):
        Projection.of(2030, "middle")


def test_futures_table_agrees_with_the_plan_and_the_projections(
    world: Dataset, times: TravelTimes
) -> None:
    result = plan_for_population(world, year=2035, budget_cny=BUDGET, times=times)
    assert (result.world.population_year, result.world.population_variant) == (2035, "central")
    table = futures_table(result)
    assert list(table.columns) == list(FUTURES_COLUMNS)
    assert len(table) == 10 * len(result.problem.tier_names)
    planned = table[table["projection"] == "2035 central"].set_index("tier")
    for tier in result.problem.tier_names:
        after, before = result.after[tier], result.before[tier]
        assert planned.at[tier, "covered"] == pytest.approx(after.covered_population)
        assert planned.at[tier, "covered_before"] == pytest.approx(before.covered_population)
        assert planned.at[tier, "demand"] == pytest.approx(after.population)
    people = table[table["tier"] == "county_3a"].set_index("projection")
    assert people.at["2020 census", "population"] == 42_591_407
    assert people.at["2035 central", "population"] == 38_280_528
    assert people.at["2035 central", "pop_65plus"] == 12_550_800
    for p in projections():
        total = p.world(world).demand["population"].sum()
        assert people.at[p.label, "population"] == total
    assert (table["covered"] + table["uncovered"] - table["demand"]).abs().max() < 1e-6
    assert (table["covered"] >= table["covered_before"] - 1e-6).all()
    assert (table["pop_65plus_covered"] <= table["population_covered"]).all()
    # Low < central < high in every year after 2020, people and coverage alike.
    for year in (2025, 2030, 2035):
        covered = people["covered"].to_dict()
        low, mid, high = (float(covered[f"{year} {v}"]) for v in ("low", "central", "high"))
        assert low < mid < high


def test_robust_plans_do_no_worse_than_any_single_projection_plan(
    world: Dataset, times: TravelTimes
) -> None:
    """Worst case and max regret of the robust plans against the plan of each projection.

    Cross-checks: the robust plans' own figures equal `futures_table`'s (the weighted
    coverage of every projection), and ``best:<projection>`` equals the plan for that
    projection alone.
    """
    rules = PlanningRules()
    futures = robust_projections(2035)
    scenarios = demand_scenarios(world, rules, futures)
    singles = {
        p.label: plan_for_population(
            world, rules, year=p.year, variant=p.variant, budget_cny=BUDGET, times=times
        )
        for p in futures
    }
    single_cover = {
        label: scenario_coverage(r.problem, scenarios, r.plan.upgrades)
        for label, r in singles.items()
    }
    for label, result in singles.items():
        assert single_cover[label][label] == pytest.approx(result.plan.objective)
    worst = plan_for_population(
        world, rules, year=2035, robust="worst_case", budget_cny=BUDGET, times=times
    )
    assert worst.plan.status == "optimal"
    assert worst.plan.cost <= BUDGET
    for cover in single_cover.values():
        assert worst.plan.objective >= min(cover.values()) - 1e-6 * worst.plan.objective
    table = futures_table(worst, futures)
    for label in YEAR_2035:
        covered = table.loc[table["projection"] == label, "covered"].sum()
        assert worst.plan.stages[f"coverage:{label}"] == pytest.approx(covered)
    assert worst.plan.objective == min(worst.plan.stages[f"coverage:{x}"] for x in YEAR_2035)

    regret = plan_for_population(
        world, rules, year=2035, robust="min_regret", budget_cny=BUDGET, times=times
    )
    assert regret.plan.status == "optimal"
    best = {x: regret.plan.stages[f"best:{x}"] for x in YEAR_2035}
    for label in YEAR_2035:
        assert best[label] == pytest.approx(singles[label].plan.objective, rel=2e-6)
    for cover in single_cover.values():
        single_regret = max(best[x] - cover[x] for x in YEAR_2035)
        assert regret.plan.objective <= single_regret + 1e-6 * max(best.values())
    assert regret.plan.objective == pytest.approx(
        max(best[x] - regret.plan.stages[f"coverage:{x}"] for x in YEAR_2035)
    )
    assert regret.plan.objective >= 0


def test_robust_needs_the_coverage_objective_and_robust_years_need_robust(
    world: Dataset, times: TravelTimes
) -> None:
    with pytest.raises(InvalidOptionError, match="needs objective 'coverage'"):
        plan_for_population(
            world, year=2035, robust="worst_case", objective="median", budget_cny=1e8, times=times
        )
    with pytest.raises(RuleError, match="robust_years needs robust"):
        plan_for_population(world, year=2035, robust_years=[2035], budget_cny=1e8, times=times)
    scenarios = demand_scenarios(world, PlanningRules(), [Projection.of(2030, "low")])
    weights = scenarios["2030 low"]
    assert set(weights) == {"township_central", "county_3a"}
    assert np.isclose(
        weights["county_3a"].sum(), world.with_population(2030, "low").demand["population"].sum()
    )
