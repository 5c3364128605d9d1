"""Upgrade planning on a world: the thin adapter from geodata frames to `optimizer.upgrade`.

>>> import geodata
>>> from planning.upgrades import PlanningRules, plan_upgrades
>>> world = geodata.load_dataset("liaoning")
>>> result = plan_upgrades(world, PlanningRules(), budget_cny=1.5e9)
>>> result.plan.status, result.plan.cost <= 1.5e9
('optimal', True)
>>> result.upgrades_table().head()          # which sites, why, at what cost per person

Everything here is bookkeeping between ids and frames; the mathematics lives in
`optimizer.upgrade`, `optimizer.metrics` and `optimizer.explain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from optimizer.explain import CandidateExplanation, explain_plan
from optimizer.metrics import TierMetrics, e2sfca, plan_metrics, provider_masks
from optimizer.result import status_text
from optimizer.upgrade import UpgradePlan, UpgradeProblem, UpgradeTier, solve_upgrades
from optimizer.upgrade.evaluate import nearest_minutes
from planning.defaults import DEFAULT_BEDS, DEFAULT_TIER_RULES, TierRule
from planning.errors import RuleError

if TYPE_CHECKING:
    import networkx as nx

    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes

__all__ = [
    "CITY_TIERS",
    "COVERAGE_STATUSES",
    "MAX_CUTOFF_MINUTES",
    "PRIMARY_FACILITY_TIERS",
    "PlanResult",
    "PlanningRules",
    "TierPlan",
    "build_problem",
    "coverage_status",
    "demand_weights",
    "extend_times",
    "plan_upgrades",
    "service_areas",
    "service_tiers",
    "status_quo",
    "why_not_candidate",
]


@dataclass(frozen=True)
class TierPlan:
    """The rules of one planned tier, from the scenario file down to the optimizer.

    The one representation from the scenario file's ``[tier.<name>]`` table down to the
    optimizer's `UpgradeTier` (field names are the TOML keys). Unset values (None) keep the
    tier's defaults of `planning.defaults`.

    Attributes
    ----------
    name
        The tier, one of `planning.defaults.DEFAULT_TIER_RULES`.
    standard_minutes, upgrade_cost_cny
        Overrides of the travel standard and the unit upgrade cost.
    weight
        Objective weight of the tier (default 1).
    within_county
        County medical community rule (医共体): in the plan, a township counts as covered
        only by a provider of its own county medical community area (`service_areas`).
        Metrics before and after measure access whatever the rule (`status_quo`).
    every_county
        Every county medical community area must end with at least one provider.

        Both county rules and the county 3A candidates use one grouping, the county units'
        ``service_area``: each county, county-level city and suburban district (a district
        with a rural population) is its own area; the core urban districts of a city are
        one area, ``urban-<city code>``, served by the city's hospitals (urban medical
        groups).
    min_county_coverage, min_city_coverage
        Minimum covered share of every county / city.
    min_upgrades, max_upgrades, budget_cny
        Count limits and a budget of the tier.
    min_per_county, max_per_county, min_per_city, max_per_city
        Limits on the number of upgrades in each county / city.
    candidate_county_types
        County types whose facilities may be upgraded. Default: the tier rule's; county_3a
        candidates are the county hospitals of the areas that are their own service area
        (counties, county-level cities, suburban districts; 千县工程). Setting it replaces
        that rule.
    """

    name: str
    standard_minutes: float | None = None
    upgrade_cost_cny: float | None = None
    weight: float | None = None
    within_county: bool = False
    every_county: bool = False
    min_county_coverage: float | None = None
    min_city_coverage: float | None = None
    min_upgrades: int | None = None
    max_upgrades: int | None = None
    budget_cny: float | None = None
    min_per_county: int | None = None
    max_per_county: int | None = None
    min_per_city: int | None = None
    max_per_city: int | None = None
    candidate_county_types: tuple[str, ...] | None = None

    @property
    def rule(self) -> TierRule:
        """Return the tier's default rule (raises `RuleError` naming the valid tiers)."""
        if self.name not in DEFAULT_TIER_RULES:
            msg = f"unknown planning tier {self.name!r} - use {', '.join(DEFAULT_TIER_RULES)}"
            raise RuleError(msg)
        return DEFAULT_TIER_RULES[self.name]

    def county_types(self) -> tuple[str, ...] | None:
        """Return the county types of the candidates (None: every type)."""
        if self.candidate_county_types is not None:
            return self.candidate_county_types
        return self.rule.candidate_county_types


@dataclass(frozen=True)
class PlanningRules:
    """The planner's rules for one run: one `TierPlan` per planned tier, and common rules.

    Every field has a documented default.

    Attributes
    ----------
    tiers
        The planned tiers, low to high as given; a plain name stands for ``TierPlan(name)``
        (the defaults of `planning.defaults.DEFAULT_TIER_RULES`).
    demand_weight
        Demand column that weighs people: ``population`` or an age band (``pop_65plus`` for
        geriatric care, ``pop_0_14`` for paediatrics, ``pop_female_15_49``).
    exclude, require
        Facility ids that must not / must be upgraded (any tier they are candidates for).
    """

    tiers: tuple[TierPlan | str, ...] = ("township_central", "county_3a")
    demand_weight: str = "population"
    exclude: tuple[str, ...] = ()
    require: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Make every tier a `TierPlan`, so that equal rules compare equal."""
        plans = tuple(t if isinstance(t, TierPlan) else TierPlan(str(t)) for t in self.tiers)
        object.__setattr__(self, "tiers", plans)

    @property
    def plans(self) -> tuple[TierPlan, ...]:
        """Return the `TierPlan` of every planned tier."""
        return tuple(t for t in self.tiers if isinstance(t, TierPlan))

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Return the names of the planned tiers."""
        return tuple(plan.name for plan in self.plans)

    def plan(self, tier: str) -> TierPlan:
        """Return the `TierPlan` of the planned tier `tier`."""
        for plan in self.plans:
            if plan.name == tier:
                return plan
        msg = f"tier {tier!r} is not planned - plan one of {', '.join(self.tier_names)}"
        raise RuleError(msg)

    def rule(self, tier: str) -> TierRule:
        """Return the default rule of `tier` (raises `RuleError` naming the valid tiers)."""
        return TierPlan(tier).rule

    @property
    def within_county(self) -> tuple[str, ...]:
        """Return the tiers under the county medical community rule."""
        return tuple(p.name for p in self.plans if p.within_county)

    @property
    def every_county(self) -> tuple[str, ...]:
        """Return the tiers every county must end with a provider of."""
        return tuple(p.name for p in self.plans if p.every_county)

    @property
    def candidate_county_types(self) -> dict[str, tuple[str, ...]]:
        """Return the county types of the candidates of every planned tier that limits them."""
        found = {p.name: p.county_types() for p in self.plans}
        return {name: types for name, types in found.items() if types is not None}


#: The service tier of a primary facility whose township is unknown (no ``township_code``).
PRIMARY_FACILITY_TIERS: Final[dict[str, str]] = {
    "township_health_center": "township_central",
    "community_health_center": "community_hospital",
}


#: Facility tiers of a city's own hospitals: they belong to the city's urban area.
CITY_TIERS: Final = ("city_3a", "regional_center")


def service_tiers(world: Dataset) -> NDArray[Any]:
    """Return the primary-care tier meant to serve each demand point (township-level unit).

    The ``service_tier`` column of the townships (decided from data with its
    ``service_tier_basis``: towns, townships and the subdistricts of suburban districts ->
    ``township_central``, core urban subdistricts -> ``community_hospital``). A world
    without the column falls back on the kind: subdistricts -> ``community_hospital``,
    the rest -> ``township_central``.

    Raises
    ------
    RuleError
        A value that is not a primary-care tier.
    """
    demand = world.demand.reset_index(drop=True)
    if "service_tier" not in demand.columns:
        kind = demand["kind"].astype(str).to_numpy()
        return np.where(kind == "subdistrict", "community_hospital", "township_central")
    values: NDArray[Any] = np.asarray(demand["service_tier"].fillna("").astype(str), dtype=object)
    bad = sorted(set(values) - set(PRIMARY_FACILITY_TIERS.values()))
    if bad:
        msg = (
            f"townships: service_tier {bad[0]!r} is not a primary-care tier - use "
            f"{' or '.join(sorted(set(PRIMARY_FACILITY_TIERS.values())))}"
        )
        raise RuleError(msg)
    return values


def service_areas(world: Dataset) -> pd.Series[str]:
    """Return the county medical community area of every county (indexed by county code).

    The ``service_area`` of the county units: its own code for counties, county-level
    cities and suburban districts, ``urban-<city code>`` for the core urban districts that a
    city's hospitals serve together. The one grouping of the county rules (``within_county``,
    ``every_county``, the county 3A candidates). A world without the column falls back on
    the county type: every district is urban. Sites take their county's area, except a
    city's tertiary hospitals (`CITY_TIERS`), which belong to its urban area wherever they
    stand.
    """
    units = world.units("county")
    codes = units["code"].astype(str)
    if "service_area" in units.columns and units["service_area"].notna().all():
        areas = units["service_area"].astype(str)
    else:
        district = units["county_type"].eq("district")
        areas = codes.where(~district, "urban-" + units["parent_code"].astype(str))
    return pd.Series(areas.to_numpy(), index=codes.to_numpy(), dtype=object)


def _site_frame(world: Dataset) -> pd.DataFrame:
    sites = pd.DataFrame(world.facilities.drop(columns="geometry"))
    county_type = world.units("county").set_index("code")["county_type"]
    sites["county_type"] = sites["county_code"].map(county_type).fillna("")
    sites["general_care"] = sites["general_care"].astype(str).str.lower().isin(["true", "1"])
    areas = service_areas(world)
    sites["service_area"] = sites["county_code"].astype(str).map(areas).fillna("")
    sites["own_area"] = sites["service_area"].eq(sites["county_code"].astype(str))
    # A city's tertiary hospitals serve its urban area (the urban medical groups), wherever
    # in the city they stand: a city hospital in a suburban district belongs to the city's
    # urban area, not to that district's county medical community.
    urban = "urban-" + sites["city_code"].astype(str)
    city_tier = sites["tier"].isin(CITY_TIERS) & urban.isin(set(areas))
    sites["service_area"] = sites["service_area"].where(~city_tier, urban)
    # The service tier of a primary facility's township (its facility tier's when unknown).
    default = sites["tier"].map(PRIMARY_FACILITY_TIERS)
    if "township_code" in sites.columns:
        demand = world.demand.reset_index(drop=True)
        key = "township_code" if "township_code" in demand.columns else "demand_id"
        by_code = pd.Series(service_tiers(world), index=demand[key].astype(str).to_numpy())
        code = sites["township_code"].astype("string").fillna("")
        township = code.map(by_code.to_dict())
        default = township.astype(object).where(township.notna(), default)
    sites["service_tier"] = default.where(sites["tier"].isin(PRIMARY_FACILITY_TIERS), None)
    return sites.reset_index(drop=True)


def _candidates(sites: pd.DataFrame, plan: TierPlan) -> pd.Series[bool]:
    """Sites that may be upgraded to `plan`'s tier (before ``rules.exclude``)."""
    rule = plan.rule
    candidate = sites["tier"].isin(rule.candidates)
    if rule.by_service_tier:
        candidate &= sites["service_tier"].isna() | sites["service_tier"].eq(plan.name)
    allowed = plan.county_types()
    if allowed is not None:
        candidate &= sites["county_type"].isin(allowed)
    elif rule.own_area_candidates:
        candidate &= sites["own_area"]
    return candidate


def why_not_candidate(world: Dataset, rules: PlanningRules, facility_id: str) -> str:
    """Say why a facility of a candidate tier is no candidate of any planned tier (or ``""``).

    The reasons of `build_problem`: its township is served by another primary-care tier, or
    it stands in a core urban district (not its own county medical community area).

    Parameters
    ----------
    world
        The planning world.
    rules
        The planning rules.
    facility_id
        A facility of the world.
    """
    sites = _site_frame(world)
    row = sites["facility_id"].astype(str) == str(facility_id)
    reasons = []
    for plan in rules.plans:
        rule = plan.rule
        if not sites.loc[row, "tier"].isin(rule.candidates).any():
            continue
        if _candidates(sites, plan)[row].any():
            return ""
        site = sites.loc[row].iloc[0]
        if rule.by_service_tier and site["service_tier"] not in (None, plan.name):
            reasons.append(
                f"its township is served by the {site['service_tier']} tier, not {plan.name}"
            )
        elif plan.county_types() is not None:
            reasons.append(
                f"tier {plan.name} takes candidates in {', '.join(plan.county_types() or ())} "
                f"only, not a {site['county_type']}"
            )
        else:
            reasons.append(
                f"it stands in a core urban district ({site['service_area']}), and tier "
                f"{plan.name} takes candidates of areas that are their own county medical "
                "community area only"
            )
    return "; ".join(reasons)


def _base_weight(world: Dataset, rules: PlanningRules) -> NDArray[np.float64]:
    """Return the rules' demand column per demand point (`RuleError` for an unknown column)."""
    demand = world.demand
    if rules.demand_weight not in demand.columns:
        msg = (
            f"demand_weight {rules.demand_weight!r} is not a demand column - use population "
            "or one of pop_0_14, pop_15_64, pop_65plus, pop_female_15_49"
        )
        raise RuleError(msg)
    return np.asarray(demand[rules.demand_weight].to_numpy(dtype=np.float64))


def demand_weights(world: Dataset, rules: PlanningRules) -> dict[str, NDArray[np.float64]]:
    """Return the demand weight of every planned tier, per demand point of `world`.

    The rules' demand column (`PlanningRules.demand_weight`); a primary tier counts only
    the units it is meant to serve (`service_tiers`), the others everyone. These are the
    weights `build_problem` gives the optimizer and the population futures re-weigh.

    Parameters
    ----------
    world
        The planning world (any population year).
    rules
        The planning rules.
    """
    base = _base_weight(world, rules)
    demand_tier = service_tiers(world)
    out = {}
    for plan in rules.plans:
        weight = base.copy()
        if plan.rule.by_service_tier:
            weight[demand_tier != plan.name] = 0.0
        out[plan.name] = weight
    return out


def build_problem(world: Dataset, times: TravelTimes, rules: PlanningRules) -> UpgradeProblem:
    """Build the `UpgradeProblem` of `rules` on `world` with the travel times `times`.

    Who each tier serves (`planning.defaults.TierRule`): a primary-care tier's demand is the
    people of the township-level units whose `service_tiers` is that tier, and its
    primary-care candidates are the facilities of those units (the township-central tier
    takes the community health centres of suburban subdistricts; district and county
    hospitals already provide it). Other tiers count everyone.

    Demand and site groupings: ``county``, ``city`` and ``service_area`` (`service_areas`:
    the county medical community area, one grouping for ``within_county``,
    ``every_county`` and the county 3A candidates).

    Parameters
    ----------
    world
        The planning world.
    times
        Demand × facility travel times covering the world (e.g. ``world.travel_times()``).
    rules
        The planning rules: tiers, standards, costs and balance rules.
    """
    sites = _site_frame(world)
    demand = world.demand.reset_index(drop=True)
    minutes = times.subset(
        demand_ids=demand["demand_id"].tolist(), facility_ids=sites["facility_id"].tolist()
    ).minutes
    base_weight = _base_weight(world, rules)
    weights = demand_weights(world, rules)
    names = rules.tier_names
    tiers = []
    for plan in rules.plans:
        rule, name = plan.rule, plan.name
        providers = sites["tier"].isin(rule.providers)
        providers &= (sites["tier"] != "city_3a") | sites["general_care"]
        candidate = _candidates(sites, plan) & ~sites["facility_id"].isin(rules.exclude)
        unit_cost = (
            plan.upgrade_cost_cny if plan.upgrade_cost_cny is not None else (rule.upgrade_cost_cny)
        )
        cost = (
            np.full(len(sites), float(unit_cost))
            if unit_cost is not None
            else pd.to_numeric(sites["upgrade_cost_cny"], errors="coerce").to_numpy()
        )
        required = [f for f in rules.require if f in set(sites.loc[candidate, "facility_id"])]
        standard = (
            plan.standard_minutes if plan.standard_minutes is not None else (rule.standard_minutes)
        )
        tiers.append(
            UpgradeTier(
                name=name,
                standard_minutes=float(standard),
                existing=providers.to_numpy(),
                cost=np.where(candidate.to_numpy(), cost, np.nan),
                serves=tuple(t for t in rule.serves if t in names),
                weight=float(1.0 if plan.weight is None else plan.weight),
                demand_weight=weights[name],
                within_group="service_area" if plan.within_county else None,
                budget=plan.budget_cny,
                min_upgrades=int(plan.min_upgrades or 0),
                max_upgrades=plan.max_upgrades,
                min_group_coverage=_per_group(plan.min_county_coverage, plan.min_city_coverage),
                min_upgrades_per_group=_per_group(plan.min_per_county, plan.min_per_city),
                max_upgrades_per_group=_per_group(plan.max_per_county, plan.max_per_city),
                min_providers_per_group={"service_area": 1} if plan.every_county else {},
                required=required,
            )
        )
    taken = {str(f) for t in tiers for f in t.required}
    for facility_id in rules.require:
        if str(facility_id) not in taken:
            msg = (
                f"rules.require: facility {facility_id!r} is not a candidate of any planned "
                "tier (its tier, township's service tier or county medical community area "
                "rules it out) - remove it or plan a tier it can be upgraded to"
            )
            raise RuleError(msg)
    areas = service_areas(world)
    return UpgradeProblem.from_matrix(
        minutes,
        tiers=tiers,
        population=base_weight,
        demand_ids=demand["demand_id"].tolist(),
        site_ids=sites["facility_id"].tolist(),
        demand_groups={
            "county": demand["county_code"].to_numpy(),
            "city": demand["city_code"].to_numpy(),
            "service_area": demand["county_code"].astype(str).map(areas).to_numpy(dtype=str),
        },
        site_groups={
            **_home_groups(world, sites),
            "service_area": sites["service_area"].to_numpy(dtype=str),
        },
    )


def _home_groups(world: Dataset, sites: pd.DataFrame) -> dict[str, NDArray[Any]]:
    """``county`` and ``city`` labels of the sites for the per-county/per-city rules.

    A site outside the world's counties (a provider across the border,
    `geodata.Dataset.with_cross_border`) is never a candidate; it takes the labels of the
    nearest county of the world, so that its own prefecture is not a group with nothing to
    upgrade (``min_per_city`` would be infeasible). It adds no upgrade to that county.
    """
    counties = world.units("county")
    county = sites["county_code"].astype(str).to_numpy(dtype=object)
    city = sites["city_code"].astype(str).to_numpy(dtype=object)
    outside = ~np.isin(county, counties["code"].astype(str).to_numpy())
    if outside.any():
        import shapely

        points = world.facilities.set_index(world.facilities["facility_id"].astype(str)).geometry
        shapes = np.asarray(counties.geometry)
        for j in np.flatnonzero(outside):
            point = points.loc[str(sites["facility_id"].iloc[j])]
            nearest = int(np.argmin(shapely.distance(shapes, point)))
            county[j] = str(counties["code"].iloc[nearest])
            city[j] = str(counties["parent_code"].iloc[nearest])
    return {"county": county.astype(str), "city": city.astype(str)}


def status_quo(problem: UpgradeProblem) -> UpgradeProblem:
    """Return `problem` without the county medical community rule: access as it is.

    Metrics measure who reaches a provider, whatever the rule that decides which upgrades
    count in the plan: a township with a hospital just across a county line has one.
    """
    if all(t.within_group is None for t in problem.tiers):
        return problem
    tiers = tuple(replace(t, within_group=None) for t in problem.tiers)
    return UpgradeProblem(
        base=problem.base,
        tiers=tiers,
        demand_groups=problem.demand_groups,
        site_groups=problem.site_groups,
    )


def _per_group(county: Any, city: Any) -> dict[str, Any]:
    out = {}
    if county is not None:
        out["county"] = county
    if city is not None:
        out["city"] = city
    return out


@dataclass(frozen=True)
class PlanResult:
    """A solved plan with everything reported about it."""

    world: Dataset
    rules: PlanningRules
    problem: UpgradeProblem
    plan: UpgradePlan
    before: dict[str, TierMetrics]
    after: dict[str, TierMetrics]
    explanations: list[CandidateExplanation]
    #: How far travel times were computed (`plan_upgrades`): the matrix cutoff, the cutoff
    #: the rows without a provider were extended to, and how many rows that was.
    travel: dict[str, Any] = field(default_factory=dict)

    def upgrades_table(self) -> pd.DataFrame:
        """One row per proposed upgrade: where, to what, cost, year, gain, reason."""
        rows = [e for e in self.explanations if e.chosen]
        sites = self.world.facilities.set_index("facility_id")
        table = pd.DataFrame(
            {
                "facility_id": [str(e.site_id) for e in rows],
                "to_tier": [e.tier for e in rows],
                "upgrade_cost_cny": [e.cost for e in rows],
                "year": [self.plan.year.get(e.site_id, 1) for e in rows],
                "newly_covered": [e.newly_covered for e in rows],
                "loss_if_dropped": [e.loss_if_dropped for e in rows],
                "cost_per_person_cny": [e.cost_per_person for e in rows],
                "reason": [e.reason for e in rows],
            }
        )
        info = sites.loc[
            table["facility_id"], ["name_zh", "name_en", "tier", "county_code", "city_code"]
        ]
        info = info.rename(columns={"tier": "from_tier"}).reset_index(drop=True)
        out = pd.concat([table[["facility_id"]], info, table.drop(columns="facility_id")], axis=1)
        ordered: pd.DataFrame = out.sort_values(["to_tier", "year", "facility_id"])
        return ordered.reset_index(drop=True)

    def rejected_table(self) -> pd.DataFrame:
        """Candidates not upgraded, best value first, with the reason."""
        rows = [e for e in self.explanations if not e.chosen]
        table = pd.DataFrame(
            {
                "facility_id": [str(e.site_id) for e in rows],
                "tier": [e.tier for e in rows],
                "gain_if_added": [e.loss_if_dropped for e in rows],
                "cost_per_person_cny": [e.cost_per_person for e in rows],
                "reason": [e.reason for e in rows],
            }
        )
        return table.sort_values(["cost_per_person_cny", "facility_id"]).reset_index(drop=True)

    def county_table(self) -> pd.DataFrame:
        """Covered share per county and tier, before and after.

        ``<tier>_cannot_be_covered``: people of the tier no existing provider or candidate
        reaches within its standard (no plan at any budget covers them).
        """
        counties = self.world.units("county")[["code", "name_zh", "name_en", "parent_code"]]
        table = counties.rename(columns={"code": "county_code", "parent_code": "city_code"})
        table = pd.DataFrame(table).reset_index(drop=True)
        codes = self.world.demand["county_code"].astype(str).to_numpy()
        for name in self.problem.tier_names:
            for label, metrics in (("before", self.before), ("after", self.after)):
                shares = metrics[name].group_shares
                table[f"{name}_share_{label}"] = table["county_code"].map(shares)
            weight = np.asarray(self.problem.tier(name).demand_weight, dtype=np.float64)
            blocked = pd.Series(np.where(self.after[name].coverable, 0.0, weight), index=codes)
            table[f"{name}_cannot_be_covered"] = (
                table["county_code"].astype(str).map(blocked.groupby(level=0).sum()).fillna(0.0)
            )
        return table

    def county_summary(self, tier: str) -> pd.DataFrame:
        """Return the coverage per county at `tier` after the plan.

        Columns: county_code, coverage_share, covered_population, population (the map
        layer's choropleth input).
        """
        metrics = self.after[tier]
        weight = np.asarray(self.problem.tier(tier).demand_weight, dtype=np.float64)
        frame = pd.DataFrame(
            {
                "county_code": self.world.demand["county_code"].to_numpy(),
                "population": weight,
                "covered_population": np.where(
                    metrics.nearest_minutes <= metrics.standard_minutes, weight, 0.0
                ),
            }
        )
        table = frame.groupby("county_code", as_index=False).sum()
        table["coverage_share"] = np.where(
            table["population"] > 0, table["covered_population"] / table["population"], np.nan
        )
        return table

    def summary(self) -> dict[str, Any]:
        """Return a JSON-friendly summary: status, cost, and metrics per tier before and after.

        The status comes with ``status_text``, its meaning in words (e.g. "within 1.00 % of
        the best possible").
        """
        plan = self.plan
        return {
            "status": str(plan.status),
            "status_text": status_text(
                plan.status, plan.gap, time_limit="time limit" in plan.message.lower()
            ),
            "objective": plan.objective,
            "gap": plan.gap,
            "cost_cny": plan.cost,
            "cost_by_tier_cny": dict(plan.cost_by_tier),
            "cost_by_year_cny": list(plan.cost_by_year),
            "upgrades": {k: len(v) for k, v in plan.upgrades.items()},
            "runtime_s": plan.runtime_s,
            "solver": plan.solver,
            "message": plan.message,
            "stages": dict(plan.stages),
            "tiers": {
                name: {"before": self.before[name].as_dict(), "after": self.after[name].as_dict()}
                for name in self.problem.tier_names
            },
            "cannot_be_covered": {
                name: self.after[name].uncoverable_population for name in self.problem.tier_names
            },
            "equity": self.equity(),
            "travel": dict(self.travel),
        }

    def equity(self) -> dict[str, Any]:
        """Return the worst county's covered share per tier, before and after.

        With the ``equity``/``lexicographic`` objectives, ``lifted`` holds the share each
        stage lifted (the worst group of the objective's grouping, per tier, in order).
        """
        out: dict[str, Any] = {
            name: {
                "before": self.before[name].worst_group_share,
                "after": self.after[name].worst_group_share,
                "worst_county_after": (
                    None
                    if self.after[name].worst_group is None
                    else str(self.after[name].worst_group)
                ),
            }
            for name in self.problem.tier_names
        }
        prefix = "worst_group_share_"
        lifted = {k[len(prefix) :]: v for k, v in self.plan.stages.items() if k.startswith(prefix)}
        return {"per_tier": out, "lifted": lifted}

    def accessibility(self) -> pd.DataFrame:
        """E2SFCA accessibility (beds per 1,000 people) per township and tier, before/after."""
        sites = _site_frame(self.world)
        beds = pd.to_numeric(sites["beds"], errors="coerce")
        upgraded_to = sites["tier"].copy()
        for name, ids in self.plan.upgrades.items():
            upgraded_to[sites["facility_id"].isin([str(i) for i in ids])] = name
        out = pd.DataFrame({"demand_id": list(self.problem.base.demand_ids)})
        for label, upgrades, tiers in (
            ("before", None, sites["tier"]),
            ("after", self.plan.upgrades, upgraded_to),
        ):
            serving_by_tier = provider_masks(self.problem, upgrades)
            capacity = beds.fillna(tiers.map(DEFAULT_BEDS)).fillna(0.0).to_numpy()
            for tier in self.problem.tiers:
                supply = np.where(serving_by_tier[tier.name], capacity, 0.0)
                out[f"{tier.name}_e2sfca_{label}"] = e2sfca(
                    self.problem.base.costs,
                    supply,
                    np.asarray(tier.demand_weight),
                    catchment_minutes=tier.standard_minutes,
                )
        return out

    def facility_status(self) -> gpd.GeoDataFrame:
        """Return the facilities with their status in the plan (the contract of the map layer).

        Columns added: ``status`` (existing | upgraded | candidate | other), ``plan_tier``
        and ``reason``.
        """
        sites = self.world.facilities.copy()
        sites["status"] = "other"
        sites["plan_tier"] = sites["tier"]
        sites["reason"] = ""
        index = {fid: i for i, fid in enumerate(sites["facility_id"])}
        for tier in self.problem.tiers:
            existing = np.asarray(tier.existing)
            candidate = np.isfinite(np.asarray(tier.cost, dtype=np.float64))
            sites.loc[existing & (sites["status"] == "other").to_numpy(), "status"] = "existing"
            sites.loc[candidate & (sites["status"] == "other").to_numpy(), "status"] = "candidate"
        for e in self.explanations:
            if e.chosen:
                i = index[str(e.site_id)]
                sites.iloc[i, sites.columns.get_loc("status")] = "upgraded"
                sites.iloc[i, sites.columns.get_loc("plan_tier")] = e.tier
                sites.iloc[i, sites.columns.get_loc("reason")] = e.reason
        return sites

    def coverage_statuses(self, tier: str, label: str = "after") -> NDArray[Any]:
        """Return one of `COVERAGE_STATUSES` per demand point at `tier`, ``before`` or ``after``.

        Parameters
        ----------
        tier
            A planned tier.
        label
            ``"before"`` (today) or ``"after"`` (with the plan).
        """
        metrics = (self.before if label == "before" else self.after)[tier]
        covered = metrics.nearest_minutes <= metrics.standard_minutes
        return coverage_status(
            covered=covered,
            reachable=np.asarray(metrics.coverable, dtype=np.bool_) | covered,
            in_tier=self._in_tier(tier),
        )

    def _in_tier(self, tier: str) -> NDArray[np.bool_]:
        """Demand points whose people are this tier's demand (empty points count as its own)."""
        weight = np.asarray(self.problem.tier(tier).demand_weight, dtype=np.float64)
        return np.asarray((weight > 0) | (self.problem.base.weights == 0), dtype=np.bool_)

    def demand_status(self, tier: str) -> gpd.GeoDataFrame:
        """Demand with the serving facility, minutes and coverage at `tier` after the plan.

        Columns added: ``serving_facility_id``, ``travel_minutes``, ``standard_minutes``,
        ``covered`` (demand of this tier within the standard); ``in_tier`` (the point's
        people are demand of this tier, e.g. a core urban subdistrict is not demand of the
        township-central tier); ``reachable`` (some
        existing provider or candidate is within the standard: False means no plan at any
        budget covers it, "no candidate within the standard"); ``coverage_status``, one of
        `COVERAGE_STATUSES`.
        """
        metrics = self.after[tier]
        site_ids = np.array(self.problem.base.site_ids, dtype=object)
        serving = site_ids[metrics.nearest_site]
        serving[metrics.nearest_site < 0] = None
        demand = self.world.demand.copy()
        weight = np.asarray(self.problem.tier(tier).demand_weight, dtype=np.float64)
        covered = metrics.nearest_minutes <= metrics.standard_minutes
        demand["serving_facility_id"] = serving
        demand["travel_minutes"] = metrics.nearest_minutes
        demand["standard_minutes"] = metrics.standard_minutes
        demand["covered"] = covered & (weight > 0)
        demand["in_tier"] = self._in_tier(tier)
        demand["reachable"] = np.asarray(metrics.coverable, dtype=np.bool_) | covered
        demand["coverage_status"] = self.coverage_statuses(tier)
        return demand


#: What `PlanResult.demand_status` says of a demand point at a tier: covered; not covered
#: but some candidate could cover it (not chosen); no existing provider or candidate within
#: the standard (cannot be chosen at any budget); or not demand of this tier.
COVERAGE_STATUSES: Final = ("covered", "not_chosen", "no_candidate", "other_tier")


def coverage_status(
    *, covered: NDArray[np.bool_], reachable: NDArray[np.bool_], in_tier: NDArray[np.bool_]
) -> NDArray[Any]:
    """Return one of `COVERAGE_STATUSES` per demand point.

    Parameters
    ----------
    covered
        Covered within the tier's standard.
    reachable
        Some existing provider or candidate is within the standard.
    in_tier
        The point's people are demand of the tier.
    """
    status = np.where(covered, "covered", np.where(reachable, "not_chosen", "no_candidate"))
    return np.where(in_tier, status, "other_tier").astype(object)


#: Largest cutoff (minutes) travel times are extended to for demand without a provider.
MAX_CUTOFF_MINUTES: Final = 1440.0


def _lacking(problem: UpgradeProblem) -> NDArray[np.bool_]:
    """Demand rows with weight at some tier that reach no existing provider of it in the matrix."""
    out = np.zeros(problem.base.n_demand, dtype=np.bool_)
    for tier in status_quo(problem).tiers:
        near, _ = nearest_minutes(problem, tier, np.asarray(tier.existing, dtype=np.bool_))
        out |= ~np.isfinite(near) & (np.asarray(tier.demand_weight) > 0)
    return out


def _merge_rows(times: TravelTimes, wider: TravelTimes, rows: NDArray[np.bool_]) -> TravelTimes:
    """Return `times` with the rows `rows` (demand positions) taken from `wider` (same ids)."""
    a = times.minutes
    b = wider.subset(
        demand_ids=times.demand_ids.tolist(), facility_ids=times.facility_ids.tolist()
    ).minutes
    data, indices, indptr = [], [], [0]
    for i in range(a.shape[0]):
        m = b if rows[i] else a
        lo, hi = m.indptr[i], m.indptr[i + 1]
        data.append(m.data[lo:hi])
        indices.append(m.indices[lo:hi])
        indptr.append(indptr[-1] + hi - lo)
    merged = sp.csr_array(
        (np.concatenate(data), np.concatenate(indices), np.asarray(indptr)), shape=a.shape
    )
    key = f"{times.key}+rows<={wider.cutoff_minutes:g}"
    return replace(times, minutes=merged, key=key, from_cache=False)


def extend_times(
    world: Dataset,
    times: TravelTimes,
    rules: PlanningRules,
    *,
    graph: nx.MultiDiGraph[Any] | None = None,
) -> tuple[TravelTimes, dict[str, Any]]:
    """Extend the travel times of demand that reaches no provider within the matrix cutoff.

    The cutoff of `times` must never decide a plan silently: for the demand points (with
    people at some planned tier) that reach no existing provider of that tier within it,
    the cutoff is doubled until every such point reaches one, up to
    `MAX_CUTOFF_MINUTES`, and their rows are taken from the wider matrix (the rows of the
    others stay as they are). Points that still reach none are *capped*: the median and
    minmax objectives count them at the final cutoff, and the summary reports them.

    Parameters
    ----------
    world
        The planning world.
    times
        Travel times at the scenario's cutoff.
    rules
        The planning rules (which tiers, whose demand).
    graph
        Road graph of the wider matrices (default the world's; give the scenario's graph
        when its speeds differ).

    Returns
    -------
    tuple[TravelTimes, dict]
        The times and what was done: ``cutoff_minutes`` (of `times`),
        ``extended_to_minutes`` (the final cutoff of the extended rows, or None),
        ``extended_demand_points``.
    """
    info: dict[str, Any] = {
        "cutoff_minutes": float(times.cutoff_minutes),
        "extended_to_minutes": None,
        "extended_demand_points": 0,
    }
    lacking = _lacking(build_problem(world, times, rules))
    if not lacking.any():
        return times, info
    rows = lacking.copy()
    cutoff = float(times.cutoff_minutes)
    extended = times
    while lacking.any() and cutoff < MAX_CUTOFF_MINUTES:
        cutoff = min(2.0 * cutoff, MAX_CUTOFF_MINUTES)
        wider = world.travel_times(graph=graph, cutoff_minutes=cutoff)
        extended = _merge_rows(times, wider, rows)
        lacking = _lacking(build_problem(world, extended, rules))
    info["extended_to_minutes"] = cutoff
    info["extended_demand_points"] = int(rows.sum())
    return replace(extended, cutoff_minutes=cutoff), info


def plan_upgrades(
    world: Dataset,
    rules: PlanningRules | None = None,
    *,
    objective: str = "coverage",
    budget_cny: float | None = None,
    yearly_budgets_cny: list[float] | None = None,
    carry_over: bool = False,
    equity_group: str = "county",
    times: TravelTimes | None = None,
    graph: nx.MultiDiGraph[Any] | None = None,
    cutoff_minutes: float = 120.0,
    solver: str = "highs",
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    robust: str | None = None,
    demand_scenarios: dict[str, Any] | None = None,
) -> PlanResult:
    """Solve an upgrade plan on `world` and report it (see `optimizer.upgrade.solve_upgrades`).

    Travel times are computed (and cached) on the world's graph unless `times` is given;
    the rows of demand that reaches no provider within the cutoff are extended
    (`extend_times`), so that the cutoff never decides a plan silently: only demand beyond
    `MAX_CUTOFF_MINUTES` still counts at the cutoff in the median and minmax objectives, and
    the summary reports it (``travel``). Metrics before and after measure access whatever
    the county medical community rule (`status_quo`).

    Parameters
    ----------
    world
        The planning world (`geodata.load_dataset`).
    rules
        The planning rules; default `PlanningRules()` (the defaults of
        `planning.defaults`).
    objective
        One of `optimizer.upgrade.UPGRADE_OBJECTIVES`.
    budget_cny
        Budget shared by all tiers, in CNY.
    yearly_budgets_cny
        Budget of each plan year, in CNY: turns on phasing.
    carry_over
        With phasing, unspent money carries to later years.
    equity_group
        ``"county"``, ``"city"`` or ``"county_area"``: the grouping whose worst-off member
        the ``equity``/``lexicographic`` objectives lift.
    times
        Demand × facility travel times; default computed on `graph` with `cutoff_minutes`.
    graph
        Road graph for the default and the extended travel times; default the world's.
    cutoff_minutes
        Cutoff of the default travel times (ignored when `times` is given; its own cutoff
        counts then). Demand without a provider within it is extended (`extend_times`).
    solver, time_limit_s, mip_gap
        Passed to `optimizer.upgrade.solve_upgrades` (``solver``, ``time_limit``,
        ``mip_gap``).
    robust, demand_scenarios
        A robust plan over several demand vectors (population futures), passed to
        `optimizer.upgrade.solve_upgrades`; `planning.futures.plan_for_population` builds
        them from the projections.
    """
    rules = rules or PlanningRules()
    if times is None:
        times = world.travel_times(graph=graph, cutoff_minutes=cutoff_minutes)
    times, travel = extend_times(world, times, rules, graph=graph)
    problem = build_problem(world, times, rules)
    plan = solve_upgrades(
        problem,
        objective=objective,
        budget=budget_cny,
        yearly_budgets=yearly_budgets_cny,
        carry_over=carry_over,
        equity_group=equity_group,
        unreachable_minutes=times.cutoff_minutes,
        solver=solver,
        time_limit=time_limit_s,
        mip_gap=mip_gap,
        robust=robust,
        demand_scenarios=demand_scenarios,
    )
    measured = status_quo(problem)
    before = plan_metrics(measured)
    after = plan_metrics(measured, plan.upgrades)
    travel["capped_population"] = {n: m.unreachable_population for n, m in after.items()}
    return PlanResult(
        world=world,
        rules=rules,
        problem=problem,
        plan=plan,
        before=before,
        after=after,
        explanations=explain_plan(problem, plan),
        travel=travel,
    )
