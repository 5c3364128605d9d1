"""Designate the sites of a network (`NetworkLevel` list) and report the plan.

`designate` turns the tiers into one `optimizer.upgrade.UpgradeProblem` (a designation is an
upgrade of cost ``designation_cost_cny``; nesting, count and budget limits and per-city/county
minimums are that model's rules), solves it and reports it with the metrics of the upgrade
plan (`optimizer.metrics`) in a `NetworkResult`.

>>> import geodata
>>> from planning.networks.levels import NetworkLevel
>>> from planning.networks.designation import designate
>>> world = geodata.load_dataset("liaoning")
>>> tier = NetworkLevel(name="dialysis", standard_minutes=45, max_new=10)
>>> result = designate(world, [tier], network="dialysis")
>>> result.status, len(result.designated["dialysis"])
('optimal', 10)
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geodata.tiers import close_serves
from optimizer.explain import explain_plan
from optimizer.metrics import plan_metrics, provider_masks
from optimizer.result import DEFAULT_MIP_GAP, Status
from optimizer.upgrade import UpgradePlan, UpgradeProblem, UpgradeTier, solve_upgrades
from planning.networks.levels import (
    NetworkLevel,
    NetworkSpecError,
    demand_weight,
    eligible_sites,
    site_groups,
    subset_minutes,
)
from planning.networks.report import NetworkResult, metrics_table_inputs

if TYPE_CHECKING:
    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes

__all__ = ["NetworkResult", "build_network_problem", "designate", "drop_redundant"]

BoolArray = NDArray[np.bool_]


def _existing_masks(
    tiers: Sequence[NetworkLevel], ids: pd.Series, existing: Mapping[str, Iterable[str]]
) -> dict[str, BoolArray]:
    """Existing providers of every tier, nesting included (a tier serving another provides it)."""
    names = [t.name for t in tiers]
    unknown_tiers = [k for k in existing if k not in names]
    if unknown_tiers:
        msg = f"existing names unknown tiers {unknown_tiers} - use {', '.join(names)}"
        raise NetworkSpecError(msg)
    known = set(ids)
    masks: dict[str, BoolArray] = {}
    for name in names:
        wanted = {str(i) for i in existing.get(name, ())}
        missing = sorted(wanted - known)
        if missing:
            msg = f"existing {name}: unknown facility ids {missing[:5]} - use facility_id values"
            raise NetworkSpecError(msg)
        masks[name] = ids.isin(wanted).to_numpy()
    # One rule of nesting with the upgrade plans: `serves` closed transitively.
    out = {name: mask.copy() for name, mask in masks.items()}
    for upper, lowers in close_serves({t.name: t.serves for t in tiers}).items():
        for lower in lowers:
            out[lower] = out[lower] | masks[upper]
    return out


def _check_tiers(tiers: Sequence[NetworkLevel], times: TravelTimes) -> None:
    names = [t.name for t in tiers]
    problems = []
    if not tiers:
        problems.append("at least one tier is needed")
    if len(set(names)) != len(names):
        problems.append(f"tier names repeat: {names}")
    for t in tiers:
        bad = [s for s in t.serves if s not in names]
        if bad:
            problems.append(f"tier {t.name!r} serves unknown tiers {bad}")
        if t.standard_minutes > times.cutoff_minutes:
            problems.append(
                f"tier {t.name!r}: standard {t.standard_minutes:g} min exceeds the travel-time "
                f"cutoff {times.cutoff_minutes:g} min - compute times with cutoff_minutes >= "
                f"{t.standard_minutes:g}"
            )
    if problems:
        raise NetworkSpecError("; ".join(problems))


def build_network_problem(
    world: Dataset,
    tiers: Sequence[NetworkLevel],
    times: TravelTimes,
    *,
    existing: Mapping[str, Iterable[str]] | None = None,
    upgraded: Iterable[str] | pd.DataFrame | None = None,
    eligible: Iterable[str] | None = None,
    unit_costs: bool = False,
) -> UpgradeProblem:
    """Build the `UpgradeProblem` of `tiers` on `world`: one tier each, designations as upgrades.

    Site and demand groupings: ``city``, ``county``, ``county_area`` and ``all`` (one label,
    the whole network).

    Parameters
    ----------
    world
        The planning world.
    tiers
        The network's tiers.
    times
        Demand × facility travel times covering the world, with a cutoff of at least the
        largest standard.
    existing
        Tier name → facility ids already designated (open at no cost; a site of a tier also
        provides the tiers it serves). Sites outside the world's counties (cross-border
        providers) are never candidates and take part only when named here.
    upgraded, eligible
        Capability restrictions, see `eligible_sites`.
    unit_costs
        Every designation costs 1 instead of the tier's ``designation_cost_cny`` (to count
        them).

    Raises
    ------
    NetworkSpecError
        For no tiers, tiers that repeat or serve unknown tiers, a standard beyond the cutoff
        of `times`, unknown tiers or ids in `existing`, or `times` of another world.
    """
    _check_tiers(tiers, times)
    sites = pd.DataFrame(world.facilities.drop(columns="geometry")).reset_index(drop=True)
    # Sites outside the world's counties (providers across the border,
    # `Dataset.with_cross_border`) are never designated: they take part only where `existing`
    # names them (otherwise their foreign city would be a group that needs a site).
    named = {str(i) for ids in (existing or {}).values() for i in ids}
    inside = sites["county_code"].astype(str).isin(world.units("county")["code"].astype(str))
    sites = sites[inside | sites["facility_id"].astype(str).isin(named)].reset_index(drop=True)
    inside = sites["county_code"].astype(str).isin(world.units("county")["code"].astype(str))
    demand = world.demand.reset_index(drop=True)
    ids = sites["facility_id"].astype(str)
    minutes = subset_minutes(
        times, demand["demand_id"].astype(str).tolist(), ids.tolist(), "travel times"
    )
    open_now = _existing_masks(tiers, ids, existing or {})
    upgrade_tiers = []
    for t in tiers:
        able = (
            eligible_sites(
                sites,
                t,
                county_types=world.units("county")["county_type"],
                upgraded=upgraded,
                eligible=eligible,
            )
            & inside.to_numpy()
        )
        providers: dict[str, int] = {}
        if t.min_per_city:
            providers["city"] = t.min_per_city
        if t.min_per_county:
            providers[t.county_unit] = t.min_per_county
        upgrade_tiers.append(
            UpgradeTier(
                name=t.name,
                standard_minutes=float(t.standard_minutes),
                existing=open_now[t.name],
                cost=np.where(able, 1.0 if unit_costs else float(t.designation_cost_cny), np.nan),
                serves=tuple(t.serves),
                demand_weight=demand_weight(demand, t.demand_weights),
                budget=t.budget_cny,
                max_upgrades=t.max_new,
                min_providers_per_group=providers,
                min_group_coverage=(
                    {t.county_unit: t.min_county_coverage}
                    if t.min_county_coverage is not None
                    else {}
                ),
            )
        )
    return UpgradeProblem.from_matrix(
        minutes,
        tiers=upgrade_tiers,
        population=demand["population"].to_numpy(np.float64),
        demand_ids=demand["demand_id"].astype(str).tolist(),
        site_ids=ids.tolist(),
        demand_groups={**site_groups(world, demand), "all": np.full(len(demand), "all")},
        site_groups={**site_groups(world, sites), "all": np.full(len(sites), "all")},
    )


def _covered_weight(
    problem: UpgradeProblem, masks: Mapping[str, BoolArray], names: Iterable[str]
) -> dict[str, float]:
    costs = problem.base.costs
    row_of = np.repeat(np.arange(costs.shape[0]), np.diff(costs.indptr))
    out = {}
    for name in names:
        tier = problem.tier(name)
        hit = (costs.data <= tier.standard_minutes) & masks[name][costs.indices]
        covered = np.zeros(costs.shape[0], dtype=np.bool_)
        covered[row_of[hit]] = True
        out[name] = float(np.asarray(tier.demand_weight)[covered].sum())
    return out


def _rules_hold(problem: UpgradeProblem, masks: Mapping[str, BoolArray]) -> bool:
    for tier in problem.tiers:
        for grouping, need in tier.min_providers_per_group.items():
            labels = problem.site_groups[grouping].astype(str)
            everyone = np.unique(
                np.concatenate([labels, problem.demand_groups[grouping].astype(str)])
            )
            have = pd.Series(masks[tier.name]).groupby(labels).sum()
            if (have.reindex(everyone, fill_value=0) < need).any():
                return False
    return True


def drop_redundant(
    problem: UpgradeProblem, upgrades: Mapping[str, Sequence[Hashable]]
) -> tuple[dict[str, tuple[Hashable, ...]], tuple[Hashable, ...]]:
    """Remove designations that add no covered weight and that no minimum needs.

    A designation is redundant when it adds no covered weight to any tier it provides and no
    minimum needs it; they are removed one at a time (tier order, then site order).

    The coverage objective is unchanged, so an optimal plan stays optimal; people already
    within the standard may travel further (the objective does not value that).
    """
    current = {name: list(sites) for name, sites in upgrades.items()}
    dropped: list[Hashable] = []
    for tier in problem.tiers:
        provided = [t.name for t in problem.tiers if t.name == tier.name or t.name in tier.serves]
        base = _covered_weight(problem, provider_masks(problem, current), provided)
        for sid in list(current[tier.name]):
            trial = {**current, tier.name: [s for s in current[tier.name] if s != sid]}
            masks = provider_masks(problem, trial)
            after = _covered_weight(problem, masks, provided)
            no_loss = all(after[n] >= base[n] - 1e-9 * max(1.0, base[n]) for n in provided)
            if no_loss and _rules_hold(problem, masks):
                current = trial
                dropped.append(sid)
    return {k: tuple(v) for k, v in current.items()}, tuple(dropped)


def designate(
    world: Dataset,
    tiers: Sequence[NetworkLevel],
    *,
    network: str,
    objective: Literal["coverage", "fewest"] = "coverage",
    existing: Mapping[str, Iterable[str]] | None = None,
    upgraded: Iterable[str] | pd.DataFrame | None = None,
    eligible: Iterable[str] | None = None,
    budget_cny: float | None = None,
    times: TravelTimes | None = None,
    drop_redundant_sites: bool = True,
    solver: str = "highs",
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
) -> NetworkResult:
    """Designate sites for every tier of a network.

    Objectives (formulations in `optimizer.upgrade`; a designation is an upgrade pair
    ``x_k``, rules 4-8 there carry the count and budget limits and the per-city/county
    minimums):

    * ``coverage``: max ``Σ_t Σ_i d_it y_it``, the weighted demand of every tier within its
      standard of a site providing it (maximal covering under the limits).
    * ``fewest``: the same coverage first, then the fewest designations that keep it (the
      ``lexicographic`` objective with one group and unit costs; no budgets): the smallest
      network that meets every standard for everyone the candidate sites can reach.

    Parameters
    ----------
    world
        The planning world.
    tiers
        The network's tiers (one for a centre type; province/city/county for labs).
    network
        Name reported in tables and the summary.
    objective
        ``"coverage"`` or ``"fewest"`` (see above).
    existing
        Tier name → facility ids already designated (open at no cost; a site of a tier also
        provides the tiers it serves).
    upgraded, eligible
        Capability restrictions, see `eligible_sites`.
    budget_cny
        Budget shared by all tiers (each tier may also have its own ``budget_cny``).
    times
        Demand × facility travel times; default the world's, with a cutoff of at least 120
        minutes and the largest standard.
    drop_redundant_sites
        Remove designations that add no coverage and that no minimum needs (see
        `drop_redundant`; ``fewest`` needs no such step).
    solver, time_limit_s, mip_gap
        Solver settings; ``mip_gap`` defaults to `optimizer.result.DEFAULT_MIP_GAP` for every
        stage, so ``status == "optimal"`` is a proof within 1e-6.
    """
    fewest = objective == "fewest"
    if objective not in ("coverage", "fewest"):
        msg = f"objective {objective!r}: use 'coverage' or 'fewest'"
        raise NetworkSpecError(msg)
    if fewest and (budget_cny is not None or any(t.budget_cny is not None for t in tiers)):
        msg = (
            "objective 'fewest' minimises the number of designations and takes no budget - "
            "drop budget_cny or use objective='coverage'"
        )
        raise NetworkSpecError(msg)
    if times is None:
        cutoff = max([120.0, *(float(t.standard_minutes) for t in tiers)])
        times = world.travel_times(cutoff_minutes=cutoff)
    problem = build_network_problem(
        world,
        tiers,
        times,
        existing=existing,
        upgraded=upgraded,
        eligible=eligible,
        unit_costs=fewest,
    )
    settings = {"objective": objective, "tiers": [t.to_dict() for t in tiers]}
    reason = _count_reasons(problem)
    if reason:
        plan = _infeasible(problem, reason, solver)
        return _result(world, tiers, problem, plan, network=network, settings=settings)
    plan = solve_upgrades(
        problem,
        objective="lexicographic" if fewest else "coverage",
        equity_group="all",
        budget=budget_cny,
        unreachable_minutes=times.cutoff_minutes,
        solver=solver,
        time_limit=time_limit_s,
        mip_gap=DEFAULT_MIP_GAP if mip_gap is None else mip_gap,
    )
    dropped: tuple[Hashable, ...] = ()
    if drop_redundant_sites and not fewest and plan.status in ("optimal", "feasible"):
        kept, dropped = drop_redundant(problem, plan.upgrades)
        plan = _with_upgrades(problem, plan, kept)
    return _result(world, tiers, problem, plan, network=network, settings=settings, dropped=dropped)


def _count_reasons(problem: UpgradeProblem) -> str:
    """Per-group minimums that need more new designations than the count limits allow.

    The groups of one grouping are disjoint, so the missing providers add up; designations
    of every tier that provides the tier count (nesting).
    """
    reasons = []
    for tier in problem.tiers:
        providing = [u for u in problem.tiers if u.name == tier.name or tier.name in u.serves]
        caps = [u.max_upgrades for u in providing]
        if any(c is None for c in caps):
            continue
        cap = sum(c for c in caps if c is not None)
        existing = pd.Series(np.asarray(tier.existing, dtype=np.int64))
        for grouping, need in sorted(tier.min_providers_per_group.items()):
            labels = problem.site_groups[grouping].astype(str)
            everyone = np.unique(
                np.concatenate([labels, problem.demand_groups[grouping].astype(str)])
            )
            have = existing.groupby(labels).sum().reindex(everyone, fill_value=0)
            missing = int(np.maximum(need - have.to_numpy(), 0).sum())
            if missing > cap:
                reasons.append(
                    f"tier {tier.name}: {missing} new designations are needed to give every "
                    f"{grouping} {need} site(s) but the count limits allow {cap} - raise "
                    f"max_new to {missing} or drop the per-{grouping.split('_')[0]} rule"
                )
    return "; ".join(reasons)


def _infeasible(problem: UpgradeProblem, reason: str, solver: str) -> UpgradePlan:
    return UpgradePlan(
        status=Status.INFEASIBLE,
        objective=float("nan"),
        gap=float("nan"),
        upgrades={t.name: () for t in problem.tiers},
        year={},
        cost=0.0,
        cost_by_tier={t.name: 0.0 for t in problem.tiers},
        cost_by_year=(0.0,),
        stages={},
        runtime_s=0.0,
        solver=f"{solver} (not run: pre-solve checks)",
        message=reason,
    )


def _with_upgrades(
    problem: UpgradeProblem, plan: UpgradePlan, upgrades: Mapping[str, tuple[Hashable, ...]]
) -> UpgradePlan:
    """`plan` with `upgrades` instead of its own (after dropping redundant designations)."""
    position = {sid: j for j, sid in enumerate(problem.base.site_ids)}
    by_tier = {
        t.name: float(np.asarray(t.cost)[[position[s] for s in upgrades[t.name]]].sum())
        for t in problem.tiers
    }
    return replace(
        plan,
        upgrades=dict(upgrades),
        year={s: 1 for sites in upgrades.values() for s in sites},
        cost=sum(by_tier.values()),
        cost_by_tier=by_tier,
        cost_by_year=(sum(by_tier.values()),),
    )


def _result(
    world: Dataset,
    tiers: Sequence[NetworkLevel],
    problem: UpgradeProblem,
    plan: UpgradePlan,
    *,
    network: str,
    settings: dict[str, Any],
    dropped: tuple[Hashable, ...] = (),
) -> NetworkResult:
    solved = plan.status in ("optimal", "feasible")
    upgrades = plan.upgrades if solved else {t.name: () for t in problem.tiers}
    everything = {
        t.name: tuple(
            problem.base.site_ids[j] for j in np.flatnonzero(np.isfinite(np.asarray(t.cost)))
        )
        for t in problem.tiers
    }
    before = plan_metrics(problem)
    after = plan_metrics(problem, upgrades)
    potential = plan_metrics(problem, everything)
    unit_cost = {t.name: float(t.designation_cost_cny) for t in tiers}
    explained = {(str(e.site_id), e.tier): e for e in explain_plan(problem, upgrades) if e.chosen}
    rows = []
    for t in problem.tiers:
        existing = np.asarray(t.existing, dtype=np.bool_).copy()
        for upper in problem.tiers:
            if t.name in upper.serves:  # listed at the level it was given for
                existing &= ~np.asarray(upper.existing, dtype=np.bool_)
        for j in np.flatnonzero(existing):
            rows.append((str(problem.base.site_ids[j]), t.name, "existing", 0.0, np.nan, np.nan))
        for sid in upgrades[t.name]:
            e = explained[(str(sid), t.name)]
            rows.append(
                (
                    str(sid),
                    t.name,
                    "designated",
                    unit_cost[t.name],
                    e.newly_covered,
                    e.loss_if_dropped,
                )
            )
    table = pd.DataFrame(
        rows,
        columns=["facility_id", "level", "status", "cost_cny", "newly_covered", "loss_if_dropped"],
    )
    inputs = metrics_table_inputs(before, after)
    ids = np.array([str(i) for i in problem.base.site_ids], dtype=object)
    open_before = provider_masks(problem)
    open_after = provider_masks(problem, upgrades)
    return NetworkResult(
        network=network,
        world=world,
        status=plan.status,
        objective=plan.objective,
        gap=plan.gap,
        runtime_s=plan.runtime_s,
        solver=plan.solver,
        message=plan.message,
        designated={t.name: tuple(str(s) for s in upgrades[t.name]) for t in problem.tiers},
        dropped=tuple(str(s) for s in dropped),
        cost_cny=sum(unit_cost[k] * len(v) for k, v in upgrades.items()),
        before=before,
        after=after,
        potential=potential,
        weights={t.name: np.asarray(t.demand_weight, dtype=np.float64) for t in problem.tiers},
        covered_before=inputs[0],
        covered_after=inputs[1],
        providers_before={k: tuple(ids[m]) for k, m in open_before.items()},
        providers_after={k: tuple(ids[m]) for k, m in open_after.items()},
        centres=table,
        settings=settings,
        plan=plan,
    )
