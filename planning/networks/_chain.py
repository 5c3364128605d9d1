"""The two-stage chain adapter of `planning.networks.critical` (model: `optimizer.chain`).

Sites are the hospitals that qualify as county-level (first-contact) or city-level centres,
plus the existing ones; transfer minutes between them come from the world's road graph
(cached like every travel-time matrix).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optimizer.chain import ChainPlan, ChainProblem, ChainTimes, evaluate_chain, solve_chain
from optimizer.metrics import tier_metrics
from optimizer.result import DEFAULT_MIP_GAP
from planning.networks.levels import (
    NetworkLevel,
    NetworkSpecError,
    demand_weight,
    eligible_sites,
    site_groups,
    subset_minutes,
)
from planning.networks.report import NetworkResult

if TYPE_CHECKING:
    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes
    from planning.networks.critical import ChainSpec

__all__ = ["plan_chain"]

BoolArray = NDArray[np.bool_]


def _ids(facilities: pd.DataFrame, ids: Iterable[str] | None, what: str) -> BoolArray:
    known = facilities["facility_id"].astype(str)
    wanted = {str(i) for i in ids or ()}
    missing = sorted(wanted - set(known))
    if missing:
        msg = f"{what}: unknown facility ids {missing[:5]} - use facility_id values"
        raise NetworkSpecError(msg)
    return np.asarray(known.isin(wanted).to_numpy(), dtype=np.bool_)


def _chain_groups(
    world: Dataset, sites: pd.DataFrame, demand: pd.DataFrame, unit: str
) -> dict[Hashable, list[str]]:
    """``city:<code>`` and ``<unit>:<label>`` → chain site ids (every label of the demand)."""
    site_labels = site_groups(world, sites)
    demand_labels = site_groups(world, demand)
    ids = sites["facility_id"].astype(str).to_numpy()
    groups: dict[Hashable, list[str]] = {}
    for grouping in ("city", unit):
        for label in np.unique(np.concatenate([demand_labels[grouping], site_labels[grouping]])):
            groups[f"{grouping}:{label}"] = ids[site_labels[grouping] == label].tolist()
    return groups


def plan_chain(
    world: Dataset,
    tier: NetworkLevel,
    spec: ChainSpec,
    *,
    existing: Iterable[str] | None,
    existing_city_level: Iterable[str] | None,
    upgraded: Iterable[str] | pd.DataFrame | None,
    eligible: Iterable[str] | None,
    times: TravelTimes | None,
    transfer_times: TravelTimes | None,
    solver: str,
    time_limit_s: float | None,
    mip_gap: float | None,
) -> NetworkResult:
    """Build the `optimizer.chain.ChainProblem` of `tier` and `spec` on `world`, solve it.

    The result is reported as a `NetworkResult`; see `planning.networks.critical.plan_centres`
    for the arguments.
    """
    first_leg = tier.standard_minutes if spec.first_leg_minutes is None else spec.first_leg_minutes
    facilities = pd.DataFrame(world.facilities.drop(columns="geometry")).reset_index(drop=True)
    county_types = world.units("county")["county_type"]
    level1 = eligible_sites(
        facilities,
        replace(tier, candidate_tiers=spec.first_tiers),
        county_types=county_types,
        upgraded=upgraded,
        eligible=eligible,
    )
    level2 = eligible_sites(
        facilities,
        replace(tier, candidate_tiers=spec.second_tiers),
        county_types=county_types,
        upgraded=upgraded,
        eligible=eligible,
    )
    ex1 = _ids(facilities, existing, "existing")
    ex2 = _ids(facilities, existing_city_level, "existing_city_level")
    keep = level1 | level2 | ex1 | ex2
    sites = facilities[keep].reset_index(drop=True)
    site_ids = sites["facility_id"].astype(str).tolist()
    demand = world.demand.reset_index(drop=True)
    demand_ids = demand["demand_id"].astype(str).tolist()
    if times is None:
        times = world.travel_times(cutoff_minutes=max(120.0, first_leg))
    if transfer_times is None:
        from geodata.travel import travel_times

        frame = world.facilities[world.facilities["facility_id"].astype(str).isin(site_ids)]
        transfer_times = travel_times(
            world.graph(),
            frame,
            frame,
            demand_id="facility_id",
            cutoff_minutes=spec.total_minutes,
        )
    problems = []
    if times.cutoff_minutes < first_leg:
        problems.append(
            f"travel times cut off at {times.cutoff_minutes:g} min, below the first-leg "
            f"standard {first_leg:g} min - compute them with cutoff_minutes >= {first_leg:g}"
        )
    needed = spec.total_minutes - spec.handover_minutes
    if transfer_times.cutoff_minutes < needed:
        problems.append(
            f"transfer times cut off at {transfer_times.cutoff_minutes:g} min, below the "
            f"{needed:g} min a transfer may take - compute them with cutoff_minutes >= {needed:g}"
        )
    if problems:
        raise NetworkSpecError("; ".join(problems))
    cost = float(tier.designation_cost_cny)
    weight = demand_weight(demand, tier.demand_weights)
    groups = _chain_groups(world, sites, demand, tier.county_unit)
    problem = ChainProblem.from_matrix(
        subset_minutes(times, demand_ids, site_ids, "travel times"),
        subset_minutes(transfer_times, site_ids, site_ids, "transfer times"),
        weight,
        first_leg_minutes=first_leg,
        total_minutes=spec.total_minutes,
        handover_minutes=spec.handover_minutes,
        demand_ids=demand_ids,
        site_ids=site_ids,
        first_cost=np.where(level1[keep], cost, np.nan),
        second_cost=np.where(level2[keep], cost, np.nan),
        first_existing=[s for s, e in zip(site_ids, ex1[keep], strict=True) if e],
        second_existing=[s for s, e in zip(site_ids, ex2[keep], strict=True) if e],
        groups=groups,
    )
    plan = solve_chain(
        problem,
        max_first=spec.max_first,
        max_second=spec.max_second,
        max_total=tier.max_new,
        budget=tier.budget_cny,
        min_second_per_group=(
            {g: tier.min_per_city for g in groups if str(g).startswith("city:")}
            if tier.min_per_city
            else None
        ),
        min_open_per_group=(
            {g: tier.min_per_county for g in groups if not str(g).startswith("city:")}
            if tier.min_per_county
            else None
        ),
        solver=solver,
        time_limit=time_limit_s,
        mip_gap=DEFAULT_MIP_GAP if mip_gap is None else mip_gap,
    )
    settings = {
        "tier": tier.to_dict(),
        "chain": replace(spec, first_leg_minutes=first_leg).to_dict(),
    }
    return _chain_result(world, tier, problem, plan=plan, weight=weight, settings=settings)


def _chain_masks(problem: ChainProblem, plan: ChainPlan) -> tuple[BoolArray, BoolArray]:
    position = {sid: j for j, sid in enumerate(problem.base.site_ids)}
    new1 = np.zeros(problem.base.n_site, dtype=np.bool_)
    new2 = np.zeros(problem.base.n_site, dtype=np.bool_)
    new1[[position[s] for s in plan.first_selected]] = True
    new2[[position[s] for s in plan.second_selected]] = True
    return new1, new2


def _chain_result(
    world: Dataset,
    tier: NetworkLevel,
    problem: ChainProblem,
    *,
    plan: ChainPlan,
    weight: NDArray[np.float64],
    settings: dict[str, Any],
) -> NetworkResult:
    n = problem.base.n_site
    none = np.zeros(n, dtype=np.bool_)
    new1, new2 = _chain_masks(problem, plan)
    now = evaluate_chain(problem, none, none)
    then = evaluate_chain(problem, new1, new2)
    county = world.demand["county_code"].astype(str).to_numpy()
    first_key = f"{tier.name}_first_contact"
    s1, s2 = problem.first_leg_minutes, problem.total_minutes

    def metrics(t: ChainTimes) -> dict[str, Any]:
        return {
            tier.name: tier_metrics(
                tier.name,
                standard_minutes=s2,
                minutes=t.chain_minutes,
                covered=t.covered,
                weight=weight,
                groups=county,
                site=t.final_site,
            ),
            first_key: tier_metrics(
                first_key,
                standard_minutes=s1,
                minutes=t.first_minutes,
                covered=t.first_minutes <= s1,
                weight=weight,
                groups=county,
                site=t.first_site,
            ),
        }

    ids = np.array([str(s) for s in problem.base.site_ids], dtype=object)
    open_now = problem.first_existing | problem.second_existing
    open_then = open_now | new1 | new2
    table = _chain_centres(problem, new1=new1, new2=new2, then=then, weight=weight, ids=ids)
    return NetworkResult(
        network=f"{tier.name}_chain",
        world=world,
        status=plan.status,
        objective=plan.objective,
        gap=plan.gap,
        runtime_s=plan.runtime_s,
        solver=plan.solver,
        message=plan.message,
        designated={
            "county_level": tuple(str(s) for s in plan.first_selected),
            "city_level": tuple(str(s) for s in plan.second_selected),
        },
        dropped=tuple(str(s) for s in plan.dropped),
        cost_cny=plan.cost,
        before=metrics(now),
        after=metrics(then),
        potential={},
        weights={tier.name: weight, first_key: weight},
        covered_before={tier.name: now.covered, first_key: now.first_minutes <= s1},
        covered_after={tier.name: then.covered, first_key: then.first_minutes <= s1},
        providers_before={k: tuple(ids[open_now]) for k in (tier.name, first_key)},
        providers_after={k: tuple(ids[open_then]) for k in (tier.name, first_key)},
        centres=table,
        settings=settings,
        plan=plan,
    )


def _chain_centres(
    problem: ChainProblem,
    *,
    new1: BoolArray,
    new2: BoolArray,
    then: ChainTimes,
    weight: NDArray[np.float64],
    ids: NDArray[Any],
) -> pd.DataFrame:
    """One row per centre: covered people who reach it first / end there, loss if dropped."""
    n = problem.base.n_site
    covered_w = np.where(then.covered, weight, 0.0)
    first = np.bincount(then.first_site[then.covered], covered_w[then.covered], minlength=n)
    final = np.bincount(then.final_site[then.covered], covered_w[then.covered], minlength=n)
    total = float(covered_w.sum())
    rows = []
    levels = (
        ("county_level", problem.first_existing, new1),
        ("city_level", problem.second_existing, new2),
    )
    for level, existing, new in levels:
        for j in np.flatnonzero(existing | new):
            loss = np.nan
            cost = 0.0
            if new[j]:
                trial1, trial2 = new1.copy(), new2.copy()
                trial1[j] = trial2[j] = False
                loss = total - float(weight[evaluate_chain(problem, trial1, trial2).covered].sum())
                cost = float(
                    (problem.first_cost if level == "county_level" else problem.second_cost)[j]
                )
            rows.append(
                (
                    str(ids[j]),
                    level,
                    "designated" if new[j] else "existing",
                    cost,
                    float(first[j]),
                    float(final[j]),
                    loss,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "facility_id",
            "level",
            "status",
            "cost_cny",
            "covered_first_contact",
            "covered_final",
            "loss_if_dropped",
        ],
    )
