"""A run's population futures: ``futures.csv`` and the ``futures`` block of ``summary.json``.

Every upgrade run evaluates its plan under every projection (`planning.futures`); a plan
made for another year than 2020 is also compared with the plan the same rules give for 2020's
people (one more solve): which sites it adds and drops, and how many of the planned year's
people each plan covers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from geodata.errors import HealthplanDataError
from geodata.projection import BASE_YEAR
from planning.futures import Projection, futures_table, projections, robust_projections
from scenarios.rundir import jsonable, rounded

if TYPE_CHECKING:
    from planning.upgrades import PlanResult
    from scenarios.inputs import Prepared, Progress

__all__ = ["population_summary", "run_futures"]

#: The ``plan`` column of the 2020-based plan's rows in ``futures.csv``.
PLAN_2020 = "plan_2020"


def population_summary(prepared: Prepared, result: PlanResult) -> dict[str, Any]:
    """Return the ``population`` block of ``summary.json``: what the plan was made for.

    Keys: ``year``, ``variant`` (``census`` for 2020), ``robust`` and
    ``robust_projections`` (the projections a robust plan weighs, reference first).
    """
    population = prepared.resolved.scenario.population
    robust = population.robust
    weighed = (
        [
            p.label
            for p in robust_projections(
                population.year, population.variant, population.robust_years
            )
        ]
        if robust is not None
        else []
    )
    return {
        "year": int(result.world.population_year),
        "variant": str(result.world.population_variant),
        "robust": robust,
        "robust_projections": weighed,
    }


def _available(prepared: Prepared) -> tuple[Projection, ...]:
    """Every projection of the world; only the census for a world without projections."""
    try:
        prepared.world.with_population(2035, "central")
    except HealthplanDataError:
        return (Projection.of(BASE_YEAR),)
    return projections()


def run_futures(
    prepared: Prepared,
    result: PlanResult,
    *,
    solve_2020: Callable[[], PlanResult],
    progress: Progress,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return ``futures.csv`` and the ``futures`` block of ``summary.json``.

    Parameters
    ----------
    prepared
        The prepared scenario.
    result
        Its solved plan.
    solve_2020
        Solves the same scenario for 2020's people (called only when the plan is for
        another year).
    progress
        Called with a short line before each step.
    """
    progress("evaluating the plan under every population projection")
    futures = _available(prepared)
    table = futures_table(result, futures)
    planned = Projection(result.world.population_year, result.world.population_variant)
    block: dict[str, Any] = {"projection": planned.label, "comparison": None}
    if planned.year != BASE_YEAR:
        progress("solving the same rules for 2020's population (the comparison)")
        base = solve_2020()
        if str(base.plan.status) in ("optimal", "feasible"):
            table = pd.concat(
                [table, futures_table(base, futures, plan=PLAN_2020)],
                ignore_index=True,
            )
            block["comparison"] = _comparison(result, base, table, planned)
    block["rows"] = rounded(table).to_dict(orient="records")
    return table, jsonable(block)


def _comparison(
    result: PlanResult, base: PlanResult, table: pd.DataFrame, planned: Projection
) -> dict[str, Any]:
    """Sites added and removed against the 2020-based plan, and both plans' coverage."""
    mine = {str(s) for s in result.plan.upgraded_sites}
    theirs = {str(s) for s in base.plan.upgraded_sites}
    names = result.world.facilities.drop_duplicates("facility_id").set_index("facility_id")

    def listed(ids: set[str]) -> list[dict[str, str]]:
        return [
            {
                "facility_id": i,
                "name_zh": str(names.at[i, "name_zh"]) if i in names.index else i,
                "name_en": str(names.at[i, "name_en"]) if i in names.index else i,
            }
            for i in sorted(ids)
        ]

    rows = table[table["projection"] == planned.label]
    tiers: dict[str, dict[str, float]] = {}
    for tier, group in rows.groupby("tier", sort=False):
        demand = dict(zip(group["plan"], group["demand"], strict=True))
        covered = dict(zip(group["plan"], group["covered"], strict=True))
        tiers[str(tier)] = {
            "demand": float(demand["plan"]),
            "covered": float(covered["plan"]),
            "covered_2020_plan": float(covered[PLAN_2020]),
        }
    return {
        "projection": planned.label,
        "plan_2020_status": str(base.plan.status),
        "plan_2020_cost_cny": float(base.plan.cost),
        "added": listed(mine - theirs),
        "removed": listed(theirs - mine),
        "kept": len(mine & theirs),
        "tiers": tiers,
    }
