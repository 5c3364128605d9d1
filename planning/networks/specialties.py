"""Key clinical specialties "3223": the adapter from a world to `optimizer.allocation`.

Liaoning's implementation plan (seed press release, NORMS N 5.13) builds by 2025 at least 30
national, about 200 provincial, 200 municipal and 300 county-level key clinical specialties.
This module allocates them: which hospital holds which field at which level, so that as many
people as possible reach every field within each level's travel standard, under the quotas,
the eligibility of hospital tiers, one level per hospital and field, and balance rules
between cities, regions and counties. The mathematics is in `optimizer.allocation`.

Defaults (every one a `SpecialtyRules` field)

===========  ======  ==========  ===============  ==========================================
level        quota   standard    eligible tier    sources
===========  ======  ==========  ===============  ==========================================
national     30      300 min     city_3a          quota N 5.13 (">= 30", taken exactly);
                                                  300 min: ASSUMPTION, a national specialty
                                                  serves the whole province (5 h reach 79 %
                                                  of Liaoning from Shenyang's tertiary
                                                  hospitals on the shipped roads)
provincial   200     120 min     city_3a          N 5.13 ("about 200"); 120 min NORMS 6a
                                                  regional_center (derived)
municipal    200     60 min      city_3a          N 5.13; 60 min NORMS 6a city_3a (derived)
county       300     60 min      county_hospital  N 5.13; 60 min NORMS 6a county_hospital
===========  ======  ==========  ===============  ==========================================

Balance rules (ASSUMPTION, planning judgement; "each city and region gets its share"): every
region holds at least 1 national and 10 provincial designations (the four regional centres of
the 14th Five-Year plan); every city at least 2 provincial, 8 municipal and 8 county-level
ones; every county and county-level city at least 1 county-level one (urban districts are
served by their city's hospitals). Fields: `fields.KEY_SPECIALTY_FIELDS` (20, sourced there).
Readiness defaults to 1 for every hospital and field. Fields count equally: a field's reach
is measured in its own people (children for paediatrics) and scaled to the province's
population (``normalise_fields``), so paediatrics weighs as much as cardiology.

Within a place, hospitals are listed by tier, then grade (3A first), then facility id; the
split of a place's designations gives the highest levels to the hospitals listed first.

>>> import geodata
>>> from planning.networks.specialties import allocate_specialties
>>> result = allocate_specialties(geodata.load_dataset("liaoning"))
>>> result.allocation.status
<Status.OPTIMAL: 'optimal'>
>>> result.by_city().head()                 # designations per city and level
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from optimizer.allocation import (
    Allocation,
    AllocationProblem,
    DesignationLevel,
    solve_allocation,
)
from planning.errors import RuleError
from planning.networks.fields import KEY_SPECIALTY_FIELDS, SpecialtyField, eligible_facilities
from planning.networks.regions import DEFAULT_REGIONS, RegionMap

if TYPE_CHECKING:
    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes

__all__ = [
    "DEFAULT_KEY_LEVELS",
    "KeyLevel",
    "SpecialtyResult",
    "SpecialtyRules",
    "allocate_specialties",
    "build_allocation",
]

Quota = int | tuple[int, int]


@dataclass(frozen=True)
class KeyLevel:
    """One level of key clinical specialties.

    Attributes
    ----------
    name, name_zh
        ``"national"`` / ``"国家级"`` etc.
    quota
        Exact number of designations, or an inclusive ``(low, high)`` range.
    standard_minutes
        Travel standard within which a designation of the level (or above) reaches people.
    tiers
        Facility tiers eligible at this level.
    holders
        Words for those hospitals in messages.
    weight
        Weight of this level's reach in the objective.
    source
        Where the quota and the standard come from.
    """

    name: str
    name_zh: str
    quota: Quota
    standard_minutes: float
    tiers: tuple[str, ...]
    holders: str
    weight: float = 1.0
    source: str = ""


#: The four "3223" levels, highest first (sources in the module docstring).
DEFAULT_KEY_LEVELS: Final[tuple[KeyLevel, ...]] = (
    KeyLevel(
        "national",
        "国家级",
        30,
        300.0,
        ("city_3a",),
        "tertiary hospital",
        source="quota N 5.13 (>= 30); 300 min ASSUMPTION (province-wide reach)",
    ),
    KeyLevel(
        "provincial",
        "省级",
        200,
        120.0,
        ("city_3a",),
        "tertiary hospital",
        source="quota N 5.13 (about 200); 120 min NORMS 6a regional_center",
    ),
    KeyLevel(
        "municipal",
        "市级",
        200,
        60.0,
        ("city_3a",),
        "city hospital",
        source="quota N 5.13 (about 200); 60 min NORMS 6a city_3a",
    ),
    KeyLevel(
        "county",
        "县级",
        300,
        60.0,
        ("county_hospital",),
        "county hospital",
        source="quota N 5.13 (about 300); 60 min NORMS 6a county_hospital",
    ),
)


@dataclass(frozen=True)
class SpecialtyRules:
    """The planner's rules for one allocation. Every field has a documented default.

    Attributes
    ----------
    levels
        The levels, highest first (default `DEFAULT_KEY_LEVELS`).
    fields
        Specialty fields (default `fields.KEY_SPECIALTY_FIELDS`).
    quota, standard_minutes
        Per-level overrides of the quota (int or ``(low, high)``) and the standard.
    min_per_region, min_per_city, min_per_county
        Per level: least designations in every region / city / county. ``min_per_county``
        applies to the counties of ``county_types``.
    max_per_hospital
        Per level: most designations a single hospital may hold.
    county_types
        County types under ``min_per_county`` (default counties and county-level cities).
    readiness
        Facility id → score for every field, or a frame indexed by facility id with one
        column per field code; missing entries are 1. Breaks ties among allocations that
        reach the same people.
    regions
        City → region map (default `regions.DEFAULT_REGIONS`).
    require
        ``(facility_id, field code, level)`` designations already awarded.
    exclude
        Facility ids that hold no designation.
    normalise_fields
        Scale every field's reach by total population / the field's population (its demand
        weight), so each field counts equally; ``False`` sums people as they are.
    """

    levels: tuple[KeyLevel, ...] = DEFAULT_KEY_LEVELS
    fields: tuple[SpecialtyField, ...] = KEY_SPECIALTY_FIELDS
    quota: Mapping[str, Quota] = field(default_factory=dict)
    standard_minutes: Mapping[str, float] = field(default_factory=dict)
    min_per_region: Mapping[str, int] = field(
        default_factory=lambda: {"national": 1, "provincial": 10}
    )
    min_per_city: Mapping[str, int] = field(
        default_factory=lambda: {"provincial": 2, "municipal": 8, "county": 8}
    )
    min_per_county: Mapping[str, int] = field(default_factory=lambda: {"county": 1})
    max_per_hospital: Mapping[str, int] = field(default_factory=dict)
    county_types: tuple[str, ...] = ("county", "county_level_city")
    readiness: Mapping[str, float] | pd.DataFrame | None = None
    regions: RegionMap = DEFAULT_REGIONS
    require: tuple[tuple[str, str, str], ...] = ()
    exclude: tuple[str, ...] = ()
    normalise_fields: bool = True

    def level_quota(self, level: KeyLevel) -> tuple[int, int]:
        """``(low, high)`` quota of `level` after overrides."""
        quota = self.quota.get(level.name, level.quota)
        if isinstance(quota, tuple):
            return int(quota[0]), int(quota[1])
        return int(quota), int(quota)

    def level_standard(self, level: KeyLevel) -> float:
        """Travel standard of `level` after overrides."""
        return float(self.standard_minutes.get(level.name, level.standard_minutes))


_GRADE_ORDER = {"3A": 0, "3": 1, "3B": 2}


def _hospital_frame(world: Dataset, rules: SpecialtyRules) -> pd.DataFrame:
    """Candidate hospitals, ordered by tier (as the levels name them), grade, facility id."""
    tiers = list(dict.fromkeys(t for lv in rules.levels for t in lv.tiers))
    facilities = pd.DataFrame(world.facilities.drop(columns="geometry", errors="ignore"))
    keep = facilities["tier"].isin(tiers) & ~facilities["facility_id"].isin(rules.exclude)
    hospitals = facilities[keep].copy()
    grade = hospitals.get("grade", pd.Series("", index=hospitals.index)).astype(str)
    hospitals["_tier"] = hospitals["tier"].map({t: k for k, t in enumerate(tiers)})
    hospitals["_grade"] = grade.map(_GRADE_ORDER).fillna(len(_GRADE_ORDER))
    hospitals = hospitals.sort_values(["_tier", "_grade", "facility_id"], kind="stable")
    hospitals = hospitals.drop(columns=["_tier", "_grade"]).reset_index(drop=True)
    hospitals["city_code"] = hospitals["city_code"].astype(str)
    hospitals["county_code"] = hospitals["county_code"].astype(str)
    return hospitals


def _check(  # noqa: PLR0912 - one branch per documented rule
    rules: SpecialtyRules, demand: pd.DataFrame, hospitals: pd.DataFrame, cutoff: float
) -> None:
    """Raise one ValueError naming every problem with `rules` on this world."""
    problems: list[str] = []
    names = [lv.name for lv in rules.levels]
    codes = [f.code for f in rules.fields]
    if not names or len(set(names)) != len(names):
        problems.append(f"levels must be a non-empty tuple with unique names, got {names}")
    if not codes or len(set(codes)) != len(codes):
        problems.append("fields must be a non-empty tuple with unique codes")
    per_level = (
        "quota",
        "standard_minutes",
        "min_per_region",
        "min_per_city",
        "min_per_county",
        "max_per_hospital",
    )
    for what in per_level:
        unknown = sorted(set(getattr(rules, what)) - set(names))
        if unknown:
            problems.append(f"{what} names unknown levels {unknown} - use {', '.join(names)}")
    for lv in rules.levels:
        quota = rules.quota.get(lv.name, lv.quota)
        low, high = (quota, quota) if not isinstance(quota, tuple) else quota
        if not 0 <= int(low) <= int(high):
            problems.append(f"quota of {lv.name} must be >= 0 with low <= high, got {quota!r}")
    missing = sorted({f.demand_weight for f in rules.fields} - set(demand.columns))
    if missing:
        problems.append(f"demand has no column {', '.join(missing)} (a field's demand_weight)")
    largest = max((rules.level_standard(lv) for lv in rules.levels), default=0.0)
    if cutoff < largest:
        problems.append(
            f"travel times are cut off at {cutoff:g} min, below the {largest:g}-min standard - "
            f"compute them with cutoff_minutes >= {largest:g}"
        )
    known = set(hospitals["facility_id"])
    for item in rules.require:
        if len(item) != 3 or item[0] not in known or item[1] not in codes or item[2] not in names:
            problems.append(
                f"require {item!r} must be (candidate facility id, field code, level name)"
            )
    if isinstance(rules.readiness, pd.DataFrame):
        bad = sorted(set(map(str, rules.readiness.columns)) - set(codes))
        if bad:
            problems.append(f"readiness has columns that are not field codes: {bad[:5]}")
    try:
        rules.regions.region_of(
            pd.concat([demand["city_code"], hospitals["city_code"]]).astype(str)
        )
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise RuleError("; ".join(problems))


def _readiness(rules: SpecialtyRules, hospitals: pd.DataFrame) -> np.ndarray[Any, Any]:
    """Hospital × field readiness in the problem's order (missing entries are 1)."""
    ids = hospitals["facility_id"]
    codes = [f.code for f in rules.fields]
    if rules.readiness is None:
        return np.ones((len(hospitals), len(codes)))
    if isinstance(rules.readiness, pd.DataFrame):
        frame = rules.readiness.copy()
        frame.index = frame.index.astype(str)
        frame.columns = frame.columns.astype(str)
        table = frame.reindex(index=ids, columns=codes)
        return table.fillna(1.0).to_numpy(dtype=np.float64)
    score = ids.map(rules.readiness).fillna(1.0).to_numpy(dtype=np.float64)
    return np.tile(score[:, None], (1, len(codes)))


def build_allocation(
    world: Dataset, times: TravelTimes, rules: SpecialtyRules
) -> tuple[AllocationProblem, pd.DataFrame]:
    """Build the `AllocationProblem` of `rules` on `world`, and the hospital table in its order.

    Parameters
    ----------
    world
        The planning world.
    times
        Demand × facility travel times covering the world, with a cutoff of at least the
        largest level standard.
    rules
        The allocation rules.

    Raises
    ------
    ValueError
        One line naming every problem with the rules.
    """
    demand = world.demand.reset_index(drop=True)
    hospitals = _hospital_frame(world, rules)
    _check(rules, demand, hospitals, float(times.cutoff_minutes))
    minutes = times.subset(
        demand_ids=demand["demand_id"].tolist(), facility_ids=hospitals["facility_id"].tolist()
    ).minutes
    hospitals["region"] = rules.regions.region_of(hospitals["city_code"])
    per_field = np.column_stack([eligible_facilities(hospitals, f) for f in rules.fields])
    county_type = world.units("county")["county_type"].astype(str).to_dict()
    in_scope = hospitals["county_code"].map(county_type).isin(rules.county_types)
    counties = sorted(set(hospitals.loc[in_scope, "county_code"]))
    groups: dict[str, Any] = {
        "region": hospitals["region"].to_numpy(),
        "city": hospitals["city_code"].to_numpy(),
        "county": hospitals["county_code"].to_numpy(),
    }
    if rules.max_per_hospital:
        groups["hospital"] = hospitals["facility_id"].to_numpy()
    levels = []
    for lv in rules.levels:
        low, high = rules.level_quota(lv)
        group_min: dict[str, Any] = {}
        if lv.name in rules.min_per_region:
            group_min["region"] = int(rules.min_per_region[lv.name])
        if lv.name in rules.min_per_city:
            group_min["city"] = int(rules.min_per_city[lv.name])
        if lv.name in rules.min_per_county:
            group_min["county"] = dict.fromkeys(counties, int(rules.min_per_county[lv.name]))
        group_max: dict[str, Any] = {}
        if lv.name in rules.max_per_hospital:
            group_max["hospital"] = int(rules.max_per_hospital[lv.name])
        levels.append(
            DesignationLevel(
                lv.name,
                standard=rules.level_standard(lv),
                min_count=low,
                max_count=high,
                eligible=per_field & hospitals["tier"].isin(lv.tiers).to_numpy()[:, None],
                weight=lv.weight,
                holders=lv.holders,
                group_min=group_min,
                group_max=group_max,
            )
        )
    weights = np.vstack([demand[f.demand_weight].to_numpy(np.float64) for f in rules.fields])
    scale = np.ones(len(rules.fields))
    if rules.normalise_fields:
        total = float(demand["population"].sum())
        field_total = weights.sum(axis=1)
        scale = np.divide(total, field_total, out=np.ones_like(field_total), where=field_total > 0)
    problem = AllocationProblem.from_matrix(
        minutes,
        levels=levels,
        specialty_ids=[f.code for f in rules.fields],
        weights=weights,
        specialty_weight=[f.weight * k for f, k in zip(rules.fields, scale, strict=True)],
        readiness=_readiness(rules, hospitals),
        demand_ids=demand["demand_id"].tolist(),
        hospital_ids=hospitals["facility_id"].tolist(),
        hospital_groups=groups,
        required=list(rules.require),
    )
    return problem, hospitals


@dataclass(frozen=True)
class SpecialtyResult:
    """An allocation with its tables.

    Attributes
    ----------
    rules
        The rules of the run.
    problem
        The `AllocationProblem` solved.
    allocation
        The optimizer's `Allocation` (status, designations, reach, runtime).
    hospitals
        The candidate hospitals with their region, in the problem's order.
    cities
        City code → Chinese name (from the world).
    """

    rules: SpecialtyRules
    problem: AllocationProblem
    allocation: Allocation
    hospitals: pd.DataFrame
    cities: Mapping[str, str]

    @property
    def level_names(self) -> list[str]:
        """Level names, highest first."""
        return [lv.name for lv in self.rules.levels]

    def designations_table(self) -> pd.DataFrame:
        """Return one row per designation, highest level first.

        Columns: facility_id, name_zh, name_en, tier, city_code, city, region, county_code,
        field, field_zh, level.
        """
        rows = pd.DataFrame(
            [(str(d.hospital), str(d.specialty), d.level) for d in self.allocation.designations],
            columns=["facility_id", "field", "level"],
        )
        info = self.hospitals[
            ["facility_id", "name_zh", "name_en", "tier", "city_code", "region", "county_code"]
        ]
        table = rows.merge(info, on="facility_id", how="left")
        table["city"] = table["city_code"].map(self.cities).fillna("")
        table["field_zh"] = table["field"].map({f.code: f.name_zh for f in self.rules.fields})
        columns = [
            "facility_id",
            "name_zh",
            "name_en",
            "tier",
            "city_code",
            "city",
            "region",
            "county_code",
            "field",
            "field_zh",
            "level",
        ]
        return table[columns]

    def _counts(self, key: str, index: list[str]) -> pd.DataFrame:
        table = self.designations_table()
        counts = pd.crosstab(table[key], table["level"]) if len(table) else pd.DataFrame()
        counts = counts.reindex(index=index, columns=self.level_names, fill_value=0)
        counts = counts.fillna(0).astype(int)
        counts["total"] = counts.sum(axis=1)
        counts.index.name = key
        return counts

    def by_city(self) -> pd.DataFrame:
        """Designations per city (rows, with name and region) and level (columns) + total."""
        codes = sorted(self.cities)
        counts = self._counts("city_code", codes)
        counts.insert(0, "region", list(self.rules.regions.region_of(codes)))
        counts.insert(0, "city", [self.cities[c] for c in codes])
        return counts

    def by_region(self) -> pd.DataFrame:
        """Designations per region and level + total."""
        return self._counts("region", list(self.rules.regions.names))

    def by_field(self) -> pd.DataFrame:
        """Designations per field (rows, with Chinese name) and level + total."""
        counts = self._counts("field", [f.code for f in self.rules.fields])
        counts.insert(0, "field_zh", [f.name_zh for f in self.rules.fields])
        return counts

    def reach(self) -> pd.DataFrame:
        """Return the people reaching every field at every level within the level's standard.

        Columns: field, level, standard_minutes, population (the field's demand weight),
        reached, share.
        """
        population = self.problem.population
        rows = []
        for f in self.rules.fields:
            for lv in self.rules.levels:
                reached = self.allocation.reached.get((f.code, lv.name), math.nan)
                total = population[f.code]
                rows.append(
                    {
                        "field": f.code,
                        "level": lv.name,
                        "standard_minutes": self.rules.level_standard(lv),
                        "population": total,
                        "reached": reached,
                        "share": reached / total if total > 0 else math.nan,
                    }
                )
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, Any]:
        """Return a JSON-friendly summary of the allocation.

        Status, runtime, quotas, designations per level, city, region and field, and the
        reach table (people rounded, shares to 0.0001).
        """
        a = self.allocation
        reach = self.reach()
        return {
            "network": "key_clinical_specialties",
            "status": str(a.status),
            "objective": None if math.isnan(a.objective) else round(a.objective),
            "gap": None if math.isnan(a.gap) else a.gap,
            "runtime_s": round(a.runtime_s, 2),
            "solver": a.solver,
            "message": a.message,
            "levels": [
                {
                    "level": lv.name,
                    "quota": list(self.rules.level_quota(lv)),
                    "standard_minutes": self.rules.level_standard(lv),
                    "designations": int(sum(d.level == lv.name for d in a.designations)),
                }
                for lv in self.rules.levels
            ],
            "by_city": _records(self.by_city()),
            "by_region": _records(self.by_region()),
            "by_field": _records(self.by_field()),
            "reach": [
                {
                    "field": r["field"],
                    "level": r["level"],
                    "reached": _rounded(r["reached"], 0),
                    "share": _rounded(r["share"], 4),
                }
                for r in reach.to_dict("records")
            ],
        }


def _rounded(value: Any, digits: int) -> float | None:
    number = float(value)
    return None if math.isnan(number) else round(number, digits)


def _records(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {
        str(key): {str(k): (int(v) if isinstance(v, np.integer) else v) for k, v in row.items()}
        for key, row in frame.to_dict(orient="index").items()
    }


def allocate_specialties(
    world: Dataset,
    rules: SpecialtyRules | None = None,
    *,
    times: TravelTimes | None = None,
    cutoff_minutes: float | None = None,
    solver: str = "highs",
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
) -> SpecialtyResult:
    """Allocate key clinical specialty designations on `world` (see the module docstring).

    Parameters
    ----------
    world
        The planning world (`geodata.load_dataset`).
    rules
        `SpecialtyRules`; default: the "3223" quotas, 20 fields, the default balance rules.
    times
        Travel times; default computed (and cached) on the world's graph with
        `cutoff_minutes`.
    cutoff_minutes
        Cutoff of the default travel times; default the largest level standard.
    solver, time_limit_s, mip_gap
        Passed to `optimizer.allocation.solve_allocation`.

    Raises
    ------
    ValueError
        One line naming every problem with the rules.
    """
    rules = rules or SpecialtyRules()
    if times is None:
        largest = max(rules.level_standard(lv) for lv in rules.levels)
        times = world.travel_times(cutoff_minutes=cutoff_minutes or largest)
    problem, hospitals = build_allocation(world, times, rules)
    allocation = solve_allocation(problem, solver=solver, time_limit=time_limit_s, mip_gap=mip_gap)
    cities = world.units("city")["name_zh"].astype(str).to_dict()
    return SpecialtyResult(
        rules=rules,
        problem=problem,
        allocation=allocation,
        hospitals=hospitals,
        cities={str(k): v for k, v in cities.items()},
    )
