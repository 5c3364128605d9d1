"""Population futures of upgrade plans: plan for a projection, robustly, and report every plan.

An upgrade serves for a decade or more while Liaoning's population shrinks and ages
(`geodata.projection`: county projections 2025-2035, low / central / high, carried down to
townships). This module

* plans for one projection (`plan_for_population`: ``year`` and ``variant`` of the demand),
  or robustly over several (``robust = "worst_case"`` or ``"min_regret"``, see
  `optimizer.upgrade.robust`), and
* evaluates any plan under every projection (`futures_table`): coverage per tier, people
  covered and not covered, people aged 65+ covered, before and after the plan.

>>> import geodata
>>> from planning.futures import futures_table, plan_for_population
>>> world = geodata.load_dataset("liaoning")
>>> result = plan_for_population(world, year=2035, budget_cny=1.5e9)
>>> futures_table(result).head()

A projection is named ``"<year> <variant>"`` (``"2035 central"``); 2020 is the census
(``"2020 census"``), the same in every variant.

Demand weights under a projection come from `planning.upgrades.demand_weights` (the weights
`build_problem` gives the optimizer) on the projected world, so every rule of a tier (which
places it serves, its demand column) holds in every projection as it does today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geodata.projection import BASE_YEAR, CENSUS_VARIANT, VARIANTS, YEARS
from planning.errors import RuleError
from planning.upgrades import PlanningRules, PlanResult, demand_weights, plan_upgrades

if TYPE_CHECKING:
    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes

__all__ = [
    "FUTURES_COLUMNS",
    "Projection",
    "demand_scenarios",
    "futures_table",
    "plan_for_population",
    "projections",
    "robust_projections",
]

#: Columns of `futures_table` (and of a run's ``futures.csv``).
FUTURES_COLUMNS = (
    "plan",
    "projection",
    "year",
    "variant",
    "tier",
    "standard_minutes",
    "demand",
    "covered_before",
    "covered",
    "uncovered",
    "share_before",
    "share",
    "population",
    "population_covered",
    "pop_65plus",
    "pop_65plus_covered",
)


@dataclass(frozen=True, order=True)
class Projection:
    """One population future: a projection year and variant (2020: the census)."""

    year: int
    variant: str

    @property
    def label(self) -> str:
        """Return ``"<year> <variant>"``, e.g. ``"2035 central"`` or ``"2020 census"``."""
        return f"{self.year} {self.variant}"

    @classmethod
    def of(cls, year: int, variant: str = "central") -> Projection:
        """Return the projection of `year` and `variant` (2020 is the census in any variant).

        Raises
        ------
        RuleError
            One line naming the bad year or variant and the valid ones.
        """
        if isinstance(year, bool) or year not in YEARS:
            msg = f"population year {year!r} has no projection - use one of {_years()}"
            raise RuleError(msg)
        if variant not in VARIANTS:
            msg = f"population variant {variant!r} is unknown - use one of {', '.join(VARIANTS)}"
            raise RuleError(msg)
        return cls(year, CENSUS_VARIANT if year == BASE_YEAR else variant)

    def world(self, world: Dataset) -> Dataset:
        """Return `world` with this projection's population (`Dataset.with_population`)."""
        variant = "central" if self.variant == CENSUS_VARIANT else self.variant
        return world.with_population(self.year, variant)


def _years() -> str:
    return ", ".join(str(y) for y in YEARS)


def projections(
    years: Sequence[int] | None = None, variants: Sequence[str] = VARIANTS
) -> tuple[Projection, ...]:
    """Return every projection of `years` (default all) and `variants`, 2020 once.

    Parameters
    ----------
    years
        Projection years (default `geodata.projection.YEARS`).
    variants
        Variants of each year after 2020.
    """
    out: list[Projection] = []
    for year in sorted(set(YEARS if years is None else years)):
        for variant in variants:
            p = Projection.of(year, variant)
            if p not in out:
                out.append(p)
    return tuple(out)


def robust_projections(
    year: int = BASE_YEAR, variant: str = "central", years: Sequence[int] | None = None
) -> tuple[Projection, ...]:
    """Return the projections a robust plan weighs: the planning one first, then the rest.

    Parameters
    ----------
    year, variant
        The planning projection (the reference that breaks ties).
    years
        Years whose every variant counts; default every projection year from `year` on.
    """
    reference = Projection.of(year, variant)
    chosen = [y for y in YEARS if y >= year] if years is None else list(years)
    rest = [p for p in projections(chosen) if p != reference]
    return (reference, *rest)


def demand_scenarios(
    world: Dataset,
    rules: PlanningRules,
    futures: Sequence[Projection],
) -> dict[str, dict[str, np.ndarray]]:
    """Return each projection's demand weight per tier (`planning.upgrades.demand_weights`).

    Parameters
    ----------
    world
        The planning world (any population: projections start from its census figures).
    rules
        The planning rules.
    futures
        The projections, in order (the first is the robust plan's reference).
    """
    return {p.label: demand_weights(p.world(world), rules) for p in futures}


def plan_for_population(
    world: Dataset,
    rules: PlanningRules | None = None,
    *,
    year: int = BASE_YEAR,
    variant: str = "central",
    robust: str | None = None,
    robust_years: Sequence[int] | None = None,
    times: TravelTimes | None = None,
    **options: Any,
) -> PlanResult:
    """Plan upgrades for the population of `year` and `variant`, robustly if asked.

    Parameters
    ----------
    world
        The planning world (`geodata.load_dataset`).
    rules
        The planning rules (default `PlanningRules()`).
    year, variant
        The projection planned for (`geodata.projection.YEARS`, ``VARIANTS``): its people are
        the demand of the plan, its rules and its figures before and after.
    robust
        ``"worst_case"`` or ``"min_regret"`` over `robust_projections` (the planned
        projection first, breaking ties); None plans for the one projection.
    robust_years
        Years whose every variant the robust plan weighs (default every year from `year`).
    times
        Travel times (default the world's, with ``options["cutoff_minutes"]`` if given).
    **options
        Passed to `planning.upgrades.plan_upgrades` (objective, budget_cny, solver, ...).

    Returns
    -------
    PlanResult
        On the projected world: metrics before and after are those of `year`'s people.
    """
    rules = rules or PlanningRules()
    if times is None:
        times = world.travel_times(
            graph=options.get("graph"), cutoff_minutes=options.get("cutoff_minutes", 120.0)
        )
    planned = Projection.of(year, variant).world(world)
    if robust is None:
        if robust_years is not None:
            msg = "robust_years needs robust - set robust or remove robust_years"
            raise RuleError(msg)
        return plan_upgrades(planned, rules, times=times, **options)
    futures = robust_projections(year, variant, robust_years)
    scenarios = demand_scenarios(world, rules, futures)
    return plan_upgrades(
        planned, rules, times=times, robust=robust, demand_scenarios=scenarios, **options
    )


def futures_table(
    result: PlanResult,
    futures: Sequence[Projection] | None = None,
    *,
    plan: str = "plan",
) -> pd.DataFrame:
    """Return a plan's figures under every projection: one row per projection and tier.

    Coverage is measured as the plan's metrics measure it (nearest provider within the
    tier's standard, `PlanResult.after`); only the people counted change.

    Parameters
    ----------
    result
        A solved plan (on any projection of its world).
    futures
        The projections (default every year and variant: `projections`).
    plan
        The value of the ``plan`` column (a run writes ``"plan"`` and, for a plan made for
        another year, ``"plan_2020"``).

    Returns
    -------
    pandas.DataFrame
        Columns `FUTURES_COLUMNS`: ``demand`` is the tier's weighted demand (the rules'
        demand column, e.g. population), ``covered_before``/``covered`` and ``uncovered``
        of it without / with the plan, ``share_before``/``share``; ``population`` and
        ``pop_65plus`` are the people of the places the tier serves and
        ``*_covered`` those within its standard after the plan.
    """
    futures = projections() if futures is None else futures
    rules = result.rules
    people_rules = (
        rules if rules.demand_weight == "population" else replace(rules, demand_weight="population")
    )
    covered = {
        name: np.asarray(m.nearest_minutes) <= m.standard_minutes
        for name, m in result.after.items()
    }
    before = {
        name: np.asarray(m.nearest_minutes) <= m.standard_minutes
        for name, m in result.before.items()
    }
    rows: list[dict[str, Any]] = []
    for p in futures:
        world = p.world(result.world)
        weights = demand_weights(world, rules)
        people = weights if people_rules is rules else demand_weights(world, people_rules)
        elderly = world.demand["pop_65plus"].to_numpy(dtype=np.float64)
        for tier in result.problem.tier_names:
            w, served, mask, was = weights[tier], people[tier], covered[tier], before[tier]
            demand = float(w.sum())
            after_sum = float(w[mask].sum())
            before_sum = float(w[was].sum())
            rows.append(
                {
                    "plan": plan,
                    "projection": p.label,
                    "year": p.year,
                    "variant": p.variant,
                    "tier": tier,
                    "standard_minutes": float(result.after[tier].standard_minutes),
                    "demand": demand,
                    "covered_before": before_sum,
                    "covered": after_sum,
                    "uncovered": demand - after_sum,
                    "share_before": before_sum / demand if demand > 0 else np.nan,
                    "share": after_sum / demand if demand > 0 else np.nan,
                    "population": float(served.sum()),
                    "population_covered": float(served[mask].sum()),
                    "pop_65plus": float(elderly[served > 0].sum()),
                    "pop_65plus_covered": float(elderly[(served > 0) & mask].sum()),
                }
            )
    return pd.DataFrame(rows, columns=list(FUTURES_COLUMNS))
