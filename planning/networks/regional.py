r"""Regional specialty centres: one or more centres per region and field, p-median per region.

The 14th Five-Year plan sets up "provincial comprehensive and regional centres for specialties
in the centre, south, west and east parts of the province". For every region (`regions`) and
every field (default: the eight categories of national and regional medical centres, see
`fields`), this module designates the tertiary hospitals that minimise the
population-weighted travel time of the region's people to their nearest centre.

Model (one p-median per region ``r`` and field ``f``, `optimizer.solve(..., "median")`)
-----------------------------------------------------------------------------------------
.. math:: \min \sum_{i \in I_r} w_{if} \, \min_{j \in S} t_{ij}
          \quad \text{s.t.} \quad S \subseteq J_{rf}, \; |S| = p_r, \; R_{rf} \subseteq S

============  ===========================================================================
``I_r``        townships of the region's cities
``J_rf``       the region's hospitals of the candidate tiers (default ``city_3a``) eligible
               for the field (general care, or a matching specialty hospital)
``w_if``       the field's demand weight (population; children for paediatrics; women 15-49
               for obstetrics and gynaecology)
``t_ij``       travel minutes; a pair beyond the matrix cutoff counts at the cutoff (a lower
               bound; such people are reported as ``beyond_cutoff``)
``p_r``        centres in the region (default 1); ``R_rf`` required hospitals
============  ===========================================================================

Co-located candidates (identical travel-time columns, e.g. several hospitals placed at one
district seat) are one candidate: the representative is a required hospital, else the first
by grade (3A before other grades) and then facility order; the others are reported as
``co_located``. The optimizer solves the p-median exactly (Benders with HiGHS) and reports
its status; people are served by their region's centres only.

>>> import geodata
>>> from planning.networks.regional import plan_regional_centres
>>> result = plan_regional_centres(geodata.load_dataset("liaoning"))
>>> result.status, len(result.centres)
('optimal', 32)
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer import Plan, Problem, Status, solve
from optimizer.core import worst_status
from optimizer.metrics import weighted_quantile
from planning.errors import RuleError
from planning.networks.fields import REGIONAL_CENTRE_FIELDS, SpecialtyField, eligible_facilities
from planning.networks.regions import DEFAULT_REGIONS, RegionMap

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes

__all__ = ["RegionalResult", "RegionalRules", "plan_regional_centres"]

#: Travel standard of a regional centre: NORMS 6a ``regional_center`` = 120 min (derived from
#: N 1.14, province-run hospitals per 10 M people, and N 2.6, the 2-hour PCI-network radius).
REGIONAL_STANDARD_MINUTES = 120.0

_GRADE_ORDER = {"3A": 0, "3": 1, "3B": 2}


@dataclass(frozen=True)
class RegionalRules:
    """What to designate. Every field has a documented default.

    Attributes
    ----------
    fields
        Specialty fields (default `fields.REGIONAL_CENTRE_FIELDS`, 国卫医发〔2017〕3号).
    regions
        City → region map (default `regions.DEFAULT_REGIONS`).
    centres
        Centres per region and field: one int, or ``{region: int}`` (default 1).
    standard_minutes
        Standard for the covered share (default 120, NORMS 6a ``regional_center``).
    tiers
        Facility tiers that may host a centre (default ``("city_3a",)``).
    require
        Field code → facility ids that must be centres (each in its own region).
    exclude
        Facility ids that may not be centres.
    """

    fields: tuple[SpecialtyField, ...] = REGIONAL_CENTRE_FIELDS
    regions: RegionMap = DEFAULT_REGIONS
    centres: int | Mapping[str, int] = 1
    standard_minutes: float = REGIONAL_STANDARD_MINUTES
    tiers: tuple[str, ...] = ("city_3a",)
    require: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()

    def centres_in(self, region: str) -> int:
        """Return the number of centres per field in `region`."""
        if isinstance(self.centres, Mapping):
            return int(self.centres.get(region, 1))
        return int(self.centres)


@dataclass(frozen=True)
class RegionalResult:
    """Designated regional centres with their metrics.

    Attributes
    ----------
    rules
        The rules of the run.
    plans
        ``(region, field code)`` → the optimizer's `Plan` (ids are facility / demand ids).
    centres
        One row per centre: region, field, facility_id, name_zh, name_en, city_code, city,
        co_located (other hospitals at the same place), served (demand weight assigned),
        mean_minutes_served.
    metrics
        One row per region and field: centres, population (the field's demand weight),
        mean_minutes, p95_minutes, covered_share (within ``standard_minutes``),
        beyond_cutoff, status, gap, runtime_s, message.
    assignments
        One row per township and field: demand_id, region, field, facility_id,
        travel_minutes (``inf`` beyond the matrix cutoff).
    cutoff_minutes
        Cutoff of the travel-time matrix.
    runtime_s
        Wall-clock seconds of the whole run.
    """

    rules: RegionalRules
    plans: Mapping[tuple[str, str], Plan]
    centres: pd.DataFrame
    metrics: pd.DataFrame
    assignments: pd.DataFrame
    cutoff_minutes: float
    runtime_s: float

    @property
    def status(self) -> str:
        """The least favourable status over all regions and fields."""
        statuses = [Status(str(s)) for s in self.metrics["status"]]
        return str(worst_status(statuses)) if statuses else str(Status.OPTIMAL)

    def summary(self) -> dict[str, Any]:
        """Return a JSON-friendly summary: rules, regions, and centres and metrics.

        Centres and metrics are given per region and field (minutes rounded to 0.1, shares to
        0.0001).
        """
        results = []
        for row in self.metrics.to_dict("records"):
            mine = self.centres[
                (self.centres["region"] == row["region"]) & (self.centres["field"] == row["field"])
            ]
            results.append(
                {
                    "region": row["region"],
                    "field": row["field"],
                    "centres": mine[["facility_id", "name_zh", "name_en", "city"]].to_dict(
                        "records"
                    ),
                    "population": round(float(row["population"])),
                    "mean_minutes": _round(row["mean_minutes"], 1),
                    "p95_minutes": _round(row["p95_minutes"], 1),
                    "covered_share": _round(row["covered_share"], 4),
                    "beyond_cutoff": _round(row["beyond_cutoff"], 0),
                    "status": row["status"],
                    "message": row["message"],
                }
            )
        regions = self.rules.regions
        return {
            "network": "regional_centres",
            "standard_minutes": self.rules.standard_minutes,
            "cutoff_minutes": self.cutoff_minutes,
            "regions": {r: list(regions.cities(r)) for r in regions.names},
            "fields": [f.code for f in self.rules.fields],
            "status": self.status,
            "runtime_s": round(self.runtime_s, 2),
            "results": results,
        }


def _round(value: Any, digits: int) -> float | None:
    number = float(value)
    return None if math.isnan(number) else round(number, digits)


def _check(rules: RegionalRules, demand: pd.DataFrame, sites: pd.DataFrame) -> None:
    """Raise one ValueError naming every problem with `rules` on this world."""
    problems: list[str] = []
    try:
        rules.regions.region_of(demand["city_code"].astype(str))
    except ValueError as exc:
        problems.append(str(exc))
    codes = [f.code for f in rules.fields]
    if not codes or len(set(codes)) != len(codes):
        problems.append("fields must be a non-empty tuple with unique codes")
    missing = sorted({f.demand_weight for f in rules.fields} - set(demand.columns))
    if missing:
        problems.append(f"demand has no column {', '.join(missing)} (a field's demand_weight)")
    problems += _require_problems(rules, sites)
    if isinstance(rules.centres, Mapping):
        unknown_regions = sorted(set(rules.centres) - set(rules.regions.names))
        if unknown_regions:
            problems.append(f"centres names unknown regions {unknown_regions}")
    problems += [
        f"region {region}: centres must be at least 1"
        for region in rules.regions.names
        if rules.centres_in(region) < 1
    ]
    if not (math.isfinite(rules.standard_minutes) and rules.standard_minutes > 0):
        problems.append("standard_minutes must be a positive number")
    if problems:
        raise RuleError("; ".join(problems))


def _require_problems(rules: RegionalRules, sites: pd.DataFrame) -> list[str]:
    """Check the required hospitals: they must be candidates and eligible for their field.

    Returns one message per problem (unknown fields included); empty when all is well.
    """
    problems: list[str] = []
    unknown = sorted(set(rules.require) - {f.code for f in rules.fields})
    if unknown:
        problems.append(f"require names unknown fields {unknown}")
    known = set(sites["facility_id"])
    strangers = sorted({s for ids in rules.require.values() for s in ids} - known)
    if strangers:
        problems.append(f"require names facilities that are not candidates: {strangers[:5]}")
    for spec in rules.fields:
        allowed = set(sites.loc[eligible_facilities(sites, spec), "facility_id"])
        wrong = sorted(set(rules.require.get(spec.code, ())) & known - allowed)
        if wrong:
            problems.append(f"require: {', '.join(wrong[:5])} may not hold {spec.code}")
    return problems


def _representatives(
    minutes: NDArray[np.float64], priority: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Merge candidates with identical columns, in `priority` order.

    Returns
    -------
    tuple of arrays
        The representative positions, and the group of every candidate.
    """
    ordered = minutes[:, priority]
    _, first, inverse = np.unique(ordered.T, axis=0, return_index=True, return_inverse=True)
    rank = np.argsort(first, kind="stable")  # groups in order of their first member
    group_rank = np.empty_like(rank)
    group_rank[rank] = np.arange(rank.size)
    groups = np.empty(priority.size, dtype=np.intp)
    groups[priority] = group_rank[inverse.reshape(-1)]
    return priority[np.sort(first)], groups


def plan_regional_centres(
    world: Dataset,
    rules: RegionalRules | None = None,
    *,
    times: TravelTimes | None = None,
    cutoff_minutes: float = 480.0,
    solver: str = "highs",
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
) -> RegionalResult:
    """Designate regional specialty centres on `world` (see the module docstring).

    Parameters
    ----------
    world
        The planning world (`geodata.load_dataset`).
    rules
        `RegionalRules`; default: eight fields, four regions, one centre each.
    times
        Travel times; default computed (and cached) on the world's graph with
        `cutoff_minutes`.
    cutoff_minutes
        Cutoff of the default travel times. Regions are large: 480 min keeps every Liaoning
        pair inside one region within the cutoff on the shipped roads.
    solver, time_limit_s, mip_gap
        Passed to `optimizer.solve` for every p-median.

    Raises
    ------
    ValueError
        One line naming every problem with the rules (unmapped cities, unknown fields or
        facilities, missing demand columns).
    """
    start = time.perf_counter()
    rules = rules or RegionalRules()
    demand = world.demand.reset_index(drop=True)
    facilities = world.facilities.reset_index(drop=True)
    sites = facilities[
        facilities["tier"].isin(rules.tiers) & ~facilities["facility_id"].isin(rules.exclude)
    ].reset_index(drop=True)
    _check(rules, demand, sites)
    if times is None:
        times = world.travel_times(cutoff_minutes=cutoff_minutes)
    minutes = times.subset(
        demand_ids=demand["demand_id"].tolist(), facility_ids=sites["facility_id"].tolist()
    ).to_dense()
    cutoff = float(times.cutoff_minutes)
    demand_region = np.array(rules.regions.region_of(demand["city_code"].astype(str)))
    site_region = np.array(
        [rules.regions.regions.get(str(c), "") for c in sites["city_code"]], dtype=object
    )
    grade = sites.get("grade", pd.Series("", index=sites.index)).astype(str)
    grade_rank = grade.map(_GRADE_ORDER).fillna(len(_GRADE_ORDER)).to_numpy()
    plans: dict[tuple[str, str], Plan] = {}
    centre_rows: list[dict[str, Any]] = []
    metric_rows: list[dict[str, Any]] = []
    assignment_frames: list[pd.DataFrame] = []
    for region in rules.regions.names:
        rows = np.flatnonzero(demand_region == region)
        for spec in rules.fields:
            run = _solve_one(
                rules,
                region,
                spec,
                demand=demand,
                sites=sites,
                minutes=minutes,
                rows=rows,
                cand=np.flatnonzero(eligible_facilities(sites, spec) & (site_region == region)),
                grade_rank=grade_rank,
                cutoff=cutoff,
                options={
                    "solver": solver,
                    "time_limit": time_limit_s,
                    "mip_gap": mip_gap,
                },
            )
            plans[(region, spec.code)] = run.plan
            centre_rows += run.centres
            metric_rows.append(run.metrics)
            assignment_frames.append(run.assignments)
    centres = pd.DataFrame(centre_rows, columns=_CENTRE_COLUMNS)
    city_names = world.units("city")["name_zh"].to_dict()
    centres["city"] = centres["city_code"].map(city_names).fillna("")
    return RegionalResult(
        rules=rules,
        plans=plans,
        centres=centres,
        metrics=pd.DataFrame(metric_rows),
        assignments=pd.concat(assignment_frames, ignore_index=True),
        cutoff_minutes=cutoff,
        runtime_s=time.perf_counter() - start,
    )


_CENTRE_COLUMNS = [
    "region",
    "field",
    "facility_id",
    "name_zh",
    "name_en",
    "city_code",
    "co_located",
    "served",
    "mean_minutes_served",
]


@dataclass(frozen=True)
class _Run:
    plan: Plan
    centres: list[dict[str, Any]]
    metrics: dict[str, Any]
    assignments: pd.DataFrame


def _solve_one(
    rules: RegionalRules,
    region: str,
    spec: SpecialtyField,
    *,
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    minutes: NDArray[np.float64],
    rows: NDArray[np.intp],
    cand: NDArray[np.intp],
    grade_rank: NDArray[Any],
    cutoff: float,
    options: dict[str, Any],
) -> _Run:
    weight = demand[spec.demand_weight].to_numpy(dtype=np.float64)[rows]
    sub = minutes[np.ix_(rows, cand)]
    capped = np.where(np.isfinite(sub), sub, cutoff)
    site_ids = sites["facility_id"].to_numpy().astype(str)
    cand_ids = site_ids[cand]
    is_required = np.isin(cand_ids, list(rules.require.get(spec.code, ())))
    groups = np.zeros(0, dtype=np.intp)
    reps = np.zeros(0, dtype=np.intp)
    if cand.size:
        priority = np.lexsort((cand, grade_rank[cand], ~is_required)).astype(np.intp)
        reps, groups = _representatives(capped, priority)
    p = rules.centres_in(region)
    label = f"region {region}, {spec.code}"
    if reps.size < p:
        plan = _no_plan(
            f"{label}: {p} centre(s) requested but the eligible hospitals stand at only "
            f"{reps.size} distinct place(s)"
        )
    else:
        problem = Problem.from_matrix(
            capped[:, reps],
            weight,
            demand_ids=demand["demand_id"].to_numpy()[rows].tolist(),
            site_ids=cand_ids[reps].tolist(),
        )
        required = cand_ids[reps][is_required[reps]].tolist()
        plan = solve(problem, "median", p=p, required=required or None, **options)
        if plan.message and plan.status != "optimal":
            plan = replace(plan, message=f"{label}: {plan.message}")
    chosen = np.flatnonzero(np.isin(cand_ids, [str(s) for s in plan.open_sites]))
    nearest = np.full(rows.size, np.inf)
    serving = np.full(rows.size, -1, dtype=np.intp)
    if chosen.size:
        pick = np.argmin(capped[:, chosen], axis=1)
        serving = chosen[pick]
        nearest = sub[np.arange(rows.size), serving]
    counted = np.minimum(nearest, cutoff)
    total = float(weight.sum())
    solved = chosen.size > 0
    metrics = {
        "region": region,
        "field": spec.code,
        "centres": int(chosen.size),
        "population": total,
        "mean_minutes": float(weight @ counted / total) if solved and total > 0 else math.nan,
        "p95_minutes": weighted_quantile(counted, weight, 0.95) if solved else math.nan,
        "covered_share": (
            float(weight[nearest <= rules.standard_minutes].sum() / total)
            if solved and total > 0
            else math.nan
        ),
        "beyond_cutoff": float(weight[~np.isfinite(nearest)].sum()) if solved else math.nan,
        "status": str(plan.status),
        "gap": plan.gap,
        "runtime_s": plan.runtime_s,
        "message": plan.message,
    }
    centres = []
    for j in chosen.tolist():
        mine = serving == j
        served = float(weight[mine].sum())
        centres.append(
            {
                "region": region,
                "field": spec.code,
                "facility_id": cand_ids[j],
                "name_zh": sites["name_zh"].iloc[cand[j]],
                "name_en": sites["name_en"].iloc[cand[j]],
                "city_code": str(sites["city_code"].iloc[cand[j]]),
                "co_located": ";".join(
                    cand_ids[(groups == groups[j]) & (np.arange(cand.size) != j)].tolist()
                ),
                "served": served,
                "mean_minutes_served": (
                    float(weight[mine] @ counted[mine] / served) if served > 0 else math.nan
                ),
            }
        )
    facility = [cand_ids[j] if j >= 0 else None for j in serving.tolist()]
    assignments = pd.DataFrame(
        {
            "demand_id": demand["demand_id"].to_numpy()[rows],
            "region": region,
            "field": spec.code,
            "facility_id": facility,
            "travel_minutes": nearest,
        }
    )
    return _Run(plan, centres, metrics, assignments)


def _no_plan(message: str) -> Plan:
    return Plan.without_solution(Status.INFEASIBLE, message, solver="not run: pre-solve checks")
