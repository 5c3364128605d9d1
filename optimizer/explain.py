"""Why each upgrade was chosen, and why each other candidate was not.

For every proposed upgrade: the population it newly covers (covered by it within a tier's
standard and by no provider of today), and what dropping it would lose (population covered in
the plan by this site alone). For every rejected candidate: what adding it to the plan would
gain, and the cost per person of that gain. Counts are summed over the tiers the upgrade
provides (a county_3a upgrade counts at the county_3a and township_central tiers).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optimizer.core.arrays import BoolArray, IntArray
from optimizer.metrics import upgrade_masks
from optimizer.upgrade import UpgradePlan, UpgradeProblem
from optimizer.upgrade.evaluate import entry_mask, providers

__all__ = ["CandidateExplanation", "explain_plan"]


@dataclass(frozen=True)
class CandidateExplanation:
    """One candidate (site, tier) and what it does for the plan.

    Attributes
    ----------
    site_id, tier, cost
        The candidate upgrade.
    chosen
        Whether the plan upgrades it.
    newly_covered
        Population it covers that no provider covers today (chosen upgrades).
    loss_if_dropped
        Population only it covers in the plan (chosen) / population it would add (rejected).
    cost_per_person
        ``cost / newly_covered`` (chosen) or ``cost / gain`` (rejected); inf when no gain.
    reason
        One sentence for a planner.
    """

    site_id: Hashable
    tier: str
    cost: float
    chosen: bool
    newly_covered: float
    loss_if_dropped: float
    cost_per_person: float
    reason: str


def _covers(problem: UpgradeProblem, name: str, site_mask: BoolArray) -> BoolArray:
    """Mark the stored entries where a masked site covers the demand at tier `name`."""
    tier = problem.tier(name)
    costs = problem.base.costs
    within = costs.data <= tier.standard_minutes
    return entry_mask(problem, tier) & within & site_mask[costs.indices]


def _coverage_counts(problem: UpgradeProblem, name: str, site_mask: BoolArray) -> np.ndarray:
    """For every demand, how many masked sites cover it at tier `name`."""
    costs = problem.base.costs
    row_of = np.repeat(np.arange(costs.shape[0]), np.diff(costs.indptr))
    hits = _covers(problem, name, site_mask)
    return np.bincount(row_of[hits], minlength=costs.shape[0])


def _column_reach(problem: UpgradeProblem, csc: sp.csc_array, j: int, name: str) -> IntArray:
    """Demand rows that site `j` covers at tier `name`."""
    tier = problem.tier(name)
    start, end = csc.indptr[j], csc.indptr[j + 1]
    rows = csc.indices[start:end]
    keep = csc.data[start:end] <= tier.standard_minutes
    if tier.within_group is not None:
        demand = problem.demand_groups[tier.within_group].astype(str)
        site = problem.site_groups[tier.within_group].astype(str)
        keep &= demand[rows] == site[j]
    return np.asarray(rows[keep], dtype=np.intp)


def explain_plan(
    problem: UpgradeProblem, plan: UpgradePlan | Mapping[str, tuple[Hashable, ...]]
) -> list[CandidateExplanation]:
    """Explain every candidate of `problem` against `plan` (chosen first, by gain)."""
    upgrades = plan.upgrades if isinstance(plan, UpgradePlan) else plan
    masks = upgrade_masks(problem, upgrades)
    before = providers(problem, {})
    after = providers(problem, masks)
    csc = sp.csc_array(problem.base.costs)
    names = problem.tier_names
    counts_before = {n: _coverage_counts(problem, n, before[n]) for n in names}
    counts_after = {n: _coverage_counts(problem, n, after[n]) for n in names}
    rows: list[CandidateExplanation] = []
    for tier in problem.tiers:
        served = [t for t in problem.tiers if t.name == tier.name or t.name in tier.serves]
        cost = np.asarray(tier.cost, dtype=np.float64)
        for j in np.flatnonzero(np.isfinite(cost)):
            chosen = bool(masks[tier.name][j])
            new = loss = 0.0
            for t in served:
                weight = np.asarray(t.demand_weight, dtype=np.float64)
                reach = _column_reach(problem, csc, int(j), t.name)
                if chosen:
                    new += float(weight[reach][counts_before[t.name][reach] == 0].sum())
                    loss += float(weight[reach][counts_after[t.name][reach] == 1].sum())
                else:
                    loss += float(weight[reach][counts_after[t.name][reach] == 0].sum())
            gain = new if chosen else loss
            per_person = float(cost[j]) / gain if gain > 0 else math.inf
            rows.append(
                CandidateExplanation(
                    site_id=problem.base.site_ids[j],
                    tier=tier.name,
                    cost=float(cost[j]),
                    chosen=chosen,
                    newly_covered=new,
                    loss_if_dropped=loss,
                    cost_per_person=per_person,
                    reason=_reason(
                        tier.name,
                        chosen=chosen,
                        new=new,
                        loss=loss,
                        cost=float(cost[j]),
                        per_person=per_person,
                    ),
                )
            )
    rows.sort(key=lambda r: (not r.chosen, -r.loss_if_dropped, -r.newly_covered, str(r.site_id)))
    return rows


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _reason(
    tier: str, *, chosen: bool, new: float, loss: float, cost: float, per_person: float
) -> str:
    if chosen:
        return (
            f"upgraded to {tier}: newly covers {new:,.0f} people "
            f"({_amount(per_person)} per person); dropping it would leave {loss:,.0f} uncovered"
        )
    if loss <= 0:
        return f"not upgraded to {tier}: everyone it would reach is already covered by the plan"
    return (
        f"not upgraded to {tier}: would add {loss:,.0f} people at {_amount(per_person)} per "
        f"person (cost {_amount(cost)}); better value was found within the budget and rules"
    )
