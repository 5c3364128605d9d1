"""Pre-solve checks that explain an infeasible upgrade problem in a planner's words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from optimizer.upgrade.evaluate import entry_mask

if TYPE_CHECKING:
    from optimizer.upgrade.api import UpgradeProblem

__all__ = ["explain_infeasible", "explain_solver_infeasible"]


def _money(value: float) -> str:
    return f"{value:.3g}"


def explain_infeasible(
    problem: UpgradeProblem,
    *,
    budget: float | None,
    yearly_budgets: Sequence[float] | None,
) -> str:
    """Return why no plan can satisfy the rules, or "" when these checks find nothing."""
    reasons: list[str] = []
    limit = budget
    if yearly_budgets is not None:
        total = float(sum(yearly_budgets))
        limit = total if limit is None else min(limit, total)
    required_cost = 0.0
    required_count = 0
    for tier in problem.tiers:
        cost = np.asarray(tier.cost, dtype=np.float64)
        position = {sid: j for j, sid in enumerate(problem.base.site_ids)}
        req = [position[s] for s in tier.required]
        tier_cost = float(cost[req].sum()) if req else 0.0
        required_cost += tier_cost
        required_count += len(req)
        n_cand = int(np.isfinite(cost).sum())
        if tier.max_upgrades is not None and len(req) > tier.max_upgrades:
            reasons.append(
                f"tier {tier.name}: {len(req)} required upgrades exceed max_upgrades "
                f"{tier.max_upgrades}"
            )
        if tier.min_upgrades > n_cand:
            reasons.append(
                f"tier {tier.name}: min_upgrades {tier.min_upgrades} but only {n_cand} candidates"
            )
        if tier.budget is not None and tier_cost > tier.budget:
            reasons.append(
                f"tier {tier.name}: budget {_money(tier.budget)} cannot cover the {len(req)} "
                f"required sites costing {_money(tier_cost)}"
            )
        if tier.min_upgrades > 0:
            cheapest = float(np.sort(cost[np.isfinite(cost)])[: tier.min_upgrades].sum())
            for cap, what in ((tier.budget, "tier budget"), (limit, "budget")):
                if cap is not None and cheapest > cap:
                    reasons.append(
                        f"tier {tier.name}: the {tier.min_upgrades} cheapest upgrades cost "
                        f"{_money(cheapest)}, more than the {what} {_money(cap)}"
                    )
        reasons += _group_reasons(problem, tier.name, limit)
    if limit is not None and required_cost > limit:
        reasons.append(
            f"budget {_money(limit)} cannot cover the {required_count} required sites costing "
            f"{_money(required_cost)}"
        )
    return "; ".join(reasons)


def _group_reasons(problem: UpgradeProblem, name: str, limit: float | None) -> list[str]:
    tier = problem.tier(name)
    reasons: list[str] = []
    cost = np.asarray(tier.cost, dtype=np.float64)
    existing = np.asarray(tier.existing, dtype=np.bool_)
    provides = [t for t in problem.tiers if t.name == name or name in t.serves]
    candidate = np.zeros(problem.base.n_site, dtype=np.bool_)
    cheapest_any = np.full(problem.base.n_site, np.inf)
    for t in provides:
        c = np.asarray(t.cost, dtype=np.float64)
        candidate |= np.isfinite(c)
        cheapest_any = np.fmin(cheapest_any, c)
    candidate &= ~existing  # upgrading an existing provider adds no provider of this tier
    for grouping, needed in sorted(tier.min_providers_per_group.items()):
        labels = problem.site_groups[grouping].astype(str)
        short: list[str] = []
        spend = 0.0
        for label in np.unique(
            np.concatenate([labels, problem.demand_groups[grouping].astype(str)])
        ):
            mine = labels == label
            missing = needed - int(existing[mine].sum())
            if missing <= 0:
                continue
            options = np.sort(cheapest_any[mine & candidate])
            if options.size < missing:
                short.append(str(label))
            else:
                spend += float(options[:missing].sum())
        if short:
            reasons.append(
                f"tier {name}: {len(short)} {grouping} groups cannot reach {needed} provider(s) "
                f"even with every candidate upgraded ({', '.join(short[:5])})"
            )
        elif limit is not None and spend > limit:
            reasons.append(
                f"tier {name}: giving every {grouping} {needed} provider(s) costs at least "
                f"{_money(spend)}, more than the budget {_money(limit)}"
            )
    for grouping, low in sorted(tier.min_upgrades_per_group.items()):
        labels = problem.site_groups[grouping].astype(str)
        all_labels = np.unique(
            np.concatenate([labels, problem.demand_groups[grouping].astype(str)])
        )
        counts = {lab: int((np.isfinite(cost) & (labels == lab)).sum()) for lab in all_labels}
        short = [lab for lab, n in counts.items() if n < low]
        if short:
            reasons.append(
                f"tier {name}: {len(short)} {grouping} groups have fewer than {low} candidates "
                f"({', '.join(short[:5])})"
            )
    for grouping, share in sorted(tier.min_group_coverage.items()):
        reasons += _coverage_reachable(problem, name, grouping, share, candidate)
    return reasons


def _coverage_reachable(
    problem: UpgradeProblem, name: str, grouping: str, share: float, candidate: np.ndarray
) -> list[str]:
    """Find the groups whose share stays below `share` with every candidate upgraded."""
    tier = problem.tier(name)
    costs = problem.base.costs
    ok = entry_mask(problem, tier) & (costs.data <= tier.standard_minutes)
    able = np.asarray(tier.existing, dtype=np.bool_) | candidate
    row_of = np.repeat(np.arange(costs.shape[0]), np.diff(costs.indptr))
    reachable = np.zeros(costs.shape[0], dtype=np.bool_)
    reachable[row_of[ok & able[costs.indices]]] = True
    weight = np.asarray(tier.demand_weight, dtype=np.float64)
    labels = problem.demand_groups[grouping].astype(str)
    worst: list[tuple[float, str]] = []
    for label in np.unique(labels):
        mine = labels == label
        total = float(weight[mine].sum())
        if total <= 0:
            continue
        best = float(weight[mine & reachable].sum()) / total
        if best + 1e-12 < share:
            worst.append((best, str(label)))
    if not worst:
        return []
    worst.sort()
    shown = ", ".join(f"{lab} at most {best:.0%}" for best, lab in worst[:3])
    message = (
        f"tier {name}: {len(worst)} {grouping} groups cannot reach {share:.0%} coverage within "
        f"{tier.standard_minutes:g} min even with every candidate upgraded ({shown})"
    )
    return [message]


def explain_solver_infeasible(
    problem: UpgradeProblem,
    *,
    budget: float | None,
    yearly_budgets: Sequence[float] | None,
    carry_over: bool,
) -> str:
    """Message for a plan the solver proved impossible after `explain_infeasible` passed.

    Names every active rule, so the planner knows which ones to relax together.
    """
    active: list[str] = []
    if budget is not None:
        active.append(f"budget {_money(budget)}")
    if yearly_budgets is not None:
        money = ", ".join(_money(b) for b in yearly_budgets)
        active.append(f"yearly budgets {money}{' with carry-over' if carry_over else ''}")
    for tier in problem.tiers:
        label = f"tier {tier.name}"
        if tier.budget is not None:
            active.append(f"{label}: budget {_money(tier.budget)}")
        if tier.min_upgrades > 0:
            active.append(f"{label}: at least {_count(tier.min_upgrades, 'upgrade')}")
        if tier.max_upgrades is not None:
            active.append(f"{label}: at most {_count(tier.max_upgrades, 'upgrade')}")
        if tier.required:
            active.append(f"{label}: {_count(len(tier.required), 'required site')}")
        rules = (
            (tier.min_upgrades_per_group, "at least {} upgrade(s) per {}"),
            (tier.max_upgrades_per_group, "at most {} upgrade(s) per {}"),
            (tier.min_providers_per_group, "at least {} provider(s) per {}"),
        )
        for limits, words in rules:
            for grouping, value in sorted(limits.items()):
                active.append(f"{label}: {words.format(value, grouping)}")
        for grouping, share in sorted(tier.min_group_coverage.items()):
            active.append(
                f"{label}: {share:.0%} of every {grouping} within {tier.standard_minutes:g} min"
            )
    return (
        "no upgrade plan satisfies all the rules together (" + "; ".join(active) + "); each "
        "passes its own check, so relax one of them"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
