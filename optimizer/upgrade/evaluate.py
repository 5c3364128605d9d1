"""Evaluate a set of upgrades exactly: providers per tier, nearest times, objective values.

This is the ground truth the MILP is checked against (tests brute-force over it) and what
plans, metrics and explanations are computed from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from optimizer.core.arrays import BoolArray, FloatArray

if TYPE_CHECKING:
    from optimizer.upgrade.api import UpgradeProblem, UpgradeTier

__all__ = ["entry_mask", "nearest_minutes", "objective_value", "providers"]


def entry_mask(problem: UpgradeProblem, tier: UpgradeTier) -> BoolArray:
    """Mark the stored matrix entries that may serve at `tier` (same group if ``within_group``)."""
    costs = problem.base.costs
    if tier.within_group is None:
        return np.ones(costs.data.size, dtype=np.bool_)
    row_of = np.repeat(np.arange(costs.shape[0]), np.diff(costs.indptr))
    demand = problem.demand_groups[tier.within_group].astype(str)
    site = problem.site_groups[tier.within_group].astype(str)
    return np.asarray(demand[row_of] == site[costs.indices], dtype=np.bool_)


def providers(problem: UpgradeProblem, upgraded: Mapping[str, BoolArray]) -> dict[str, BoolArray]:
    """Sites providing each tier: existing providers plus upgrades that provide it."""
    out: dict[str, BoolArray] = {}
    n_site = problem.base.n_site
    for tier in problem.tiers:
        mask = np.asarray(tier.existing, dtype=np.bool_).copy()
        for other in problem.tiers:
            if other.name == tier.name or tier.name in other.serves:
                mask |= np.asarray(upgraded.get(other.name, np.zeros(n_site, np.bool_)))
        out[tier.name] = mask
    return out


def nearest_minutes(
    problem: UpgradeProblem, tier: UpgradeTier, provider_mask: BoolArray
) -> tuple[FloatArray, NDArray[np.intp]]:
    """Return the minutes from every demand point to its nearest provider of `tier`.

    Also that provider's site position. Inf minutes and position -1 where there is none;
    ties go to the lowest position.

    Parameters
    ----------
    problem
        The upgrade problem.
    tier
        The tier whose providers count.
    provider_mask
        Boolean per site: the sites that provide ``tier`` (see `providers`).
    """
    costs = problem.base.costs
    n = costs.shape[0]
    usable = entry_mask(problem, tier) & provider_mask[costs.indices]
    minutes = np.full(n, np.inf)
    site = np.full(n, -1, dtype=np.intp)
    if not usable.any():
        return minutes, site
    row_of = np.repeat(np.arange(n), np.diff(costs.indptr))
    rows, cols, vals = row_of[usable], costs.indices[usable], costs.data[usable]
    order = np.lexsort((cols, vals, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(rows.size, dtype=np.bool_)
    first[1:] = rows[1:] != rows[:-1]
    minutes[rows[first]] = vals[first]
    site[rows[first]] = cols[first]
    return minutes, site


def objective_value(
    problem: UpgradeProblem,
    selected_by_year: Sequence[Mapping[str, BoolArray]],
    *,
    kind: str,
    unreachable: float,
) -> float:
    """Compute the objective of `kind` for the given yearly selections.

    Parameters
    ----------
    problem
        The upgrade problem.
    selected_by_year
        Per plan year, tier name → boolean per site: upgraded to that tier in that year;
        the objective is summed over the years.
    kind
        ``"coverage"``, ``"median"`` or ``"minmax"``.
    unreachable
        Minutes counted for demand that no provider reaches (median, minmax).
    """
    total = 0.0
    for upgraded in selected_by_year:
        masks = providers(problem, upgraded)
        for tier in problem.tiers:
            near, _ = nearest_minutes(problem, tier, masks[tier.name])
            weight = np.asarray(tier.demand_weight, dtype=np.float64)
            if kind == "coverage":
                total += tier.weight * float(weight[near <= tier.standard_minutes].sum())
                continue
            time_ = np.minimum(near, unreachable)
            if kind == "median":
                total += tier.weight * float((weight * time_).sum())
            else:
                total += tier.weight * float(time_[weight > 0].max(initial=0.0))
    return total
