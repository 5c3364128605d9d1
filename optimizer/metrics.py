"""Metrics reported for any plan, before and after: coverage, travel time, equity, E2SFCA.

All functions are pure numpy on the `UpgradeProblem`'s matrix and vectors.

Definitions
-----------
covered
    Demand whose nearest provider of the tier is within the tier's standard (with the county
    medical-community rule when the tier has ``within_group``).
mean / p95 minutes
    Population-weighted mean and 95th percentile of the time to the nearest provider, over
    demand that reaches a provider within the matrix; ``unreachable_population`` counts the
    rest (the p95 is ``inf`` when more than 5 % is unreachable).
group shares, spread, Gini
    Covered share of every group (county), the difference between the best and the worst, and
    the population-weighted Gini coefficient of the shares (0 = every county equal).
coverable, uncoverable population
    Demand that some provider of the tier, existing or possible, reaches within the standard:
    an existing provider or any candidate whose upgrade provides the tier (itself or a tier
    that serves it). The rest (``uncoverable_population``) no plan at any budget can cover:
    "no candidate within the standard", not "not chosen".
E2SFCA
    Enhanced two-step floating catchment area (Luo & Qi 2009, Health & Place 15:1100-1107),
    with the catchment split in three equal travel-time zones weighted 1.00, 0.68 and 0.22
    (their slow-decay Gaussian step weights): ``R_j = S_j / Σ_i P_i W(t_ij)``,
    ``A_i = Σ_j R_j W(t_ij)``; reported per 1,000 people.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.upgrade import UpgradeProblem
from optimizer.upgrade.evaluate import nearest_minutes, providers

__all__ = [
    "LUO_QI_WEIGHTS",
    "TierMetrics",
    "coverable",
    "e2sfca",
    "plan_metrics",
    "provider_masks",
    "tier_metrics",
    "upgrade_masks",
    "weighted_gini",
    "weighted_quantile",
]


#: Step weights of the three catchment zones (Luo & Qi 2009).
LUO_QI_WEIGHTS = (1.00, 0.68, 0.22)


@dataclass(frozen=True)
class TierMetrics:
    """Metrics of one tier for one plan (see the module docstring)."""

    tier: str
    standard_minutes: float
    population: float
    covered_population: float
    covered_share: float
    mean_minutes: float
    p95_minutes: float
    unreachable_population: float
    worst_group: Hashable | None
    worst_group_share: float
    spread: float
    gini: float
    group_shares: Mapping[Hashable, float] = field(default_factory=dict)
    uncoverable_population: float = 0.0
    coverable: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_), repr=False)
    nearest_minutes: FloatArray = field(default_factory=lambda: np.zeros(0), repr=False)
    nearest_site: NDArray[np.intp] = field(
        default_factory=lambda: np.zeros(0, dtype=np.intp), repr=False
    )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (without the per-demand arrays)."""
        return {
            "tier": self.tier,
            "standard_minutes": self.standard_minutes,
            "population": self.population,
            "covered_population": self.covered_population,
            "covered_share": self.covered_share,
            "mean_minutes": self.mean_minutes,
            "p95_minutes": self.p95_minutes,
            "unreachable_population": self.unreachable_population,
            "uncoverable_population": self.uncoverable_population,
            "worst_group": None if self.worst_group is None else str(self.worst_group),
            "worst_group_share": self.worst_group_share,
            "spread": self.spread,
            "gini": self.gini,
        }


def weighted_quantile(values: ArrayLike, weights: ArrayLike, q: float) -> float:
    """Return the smallest value whose cumulative weight share reaches `q` (inverse CDF).

    Parameters
    ----------
    values
        The values.
    weights
        Weight of each value (population).
    q
        The share, in ``[0, 1]``.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    keep = w > 0
    v, w = v[keep], w[keep]
    if v.size == 0:
        return float("nan")
    order = np.argsort(v, kind="stable")
    cumulative = np.cumsum(w[order]) / w.sum()
    index = int(np.searchsorted(cumulative, q - 1e-12))
    return float(v[order][min(index, v.size - 1)])


def weighted_gini(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Gini coefficient of `values` with population `weights` (mean absolute difference / 2μ)."""
    v = np.asarray(values, dtype=np.float64)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = w > 0
    v, w = v[keep], w[keep]
    if v.size == 0 or w.sum() == 0:
        return 0.0
    mean = float((v * w).sum() / w.sum())
    if mean == 0:
        return 0.0
    diff = np.abs(v[:, None] - v[None, :])
    return float((w[:, None] * w[None, :] * diff).sum() / (2 * w.sum() ** 2 * mean))


def upgrade_masks(
    problem: UpgradeProblem, upgrades: Mapping[str, Iterable[Hashable]] | None
) -> dict[str, BoolArray]:
    """Site masks per tier from upgrade ids (as in `UpgradePlan.upgrades`)."""
    position = {sid: j for j, sid in enumerate(problem.base.site_ids)}
    masks = {t.name: np.zeros(problem.base.n_site, dtype=np.bool_) for t in problem.tiers}
    for name, sites in (upgrades or {}).items():
        for sid in sites:
            masks[name][position[sid]] = True
    return masks


def provider_masks(
    problem: UpgradeProblem, upgrades: Mapping[str, Iterable[Hashable]] | None = None
) -> dict[str, BoolArray]:
    """Sites providing each tier after `upgrades` (existing providers included)."""
    return providers(problem, upgrade_masks(problem, upgrades))


def coverable(problem: UpgradeProblem) -> dict[str, BoolArray]:
    """Return, per tier, the demand points some existing or possible provider can cover.

    A point is coverable at tier ``t`` when an existing provider of ``t`` or a candidate
    whose upgrade provides ``t`` is within ``t``'s standard (and in its group under
    ``within_group``): the plan that upgrades every candidate covers it. The others cannot
    be covered at any budget.

    Parameters
    ----------
    problem
        The upgrade problem.
    """
    every = {t.name: np.isfinite(np.asarray(t.cost, dtype=np.float64)) for t in problem.tiers}
    masks = providers(problem, every)
    out: dict[str, BoolArray] = {}
    for tier in problem.tiers:
        near, _ = nearest_minutes(problem, tier, masks[tier.name])
        out[tier.name] = np.asarray(near <= tier.standard_minutes, dtype=np.bool_)
    return out


def plan_metrics(
    problem: UpgradeProblem,
    upgrades: Mapping[str, Iterable[Hashable]] | None = None,
    *,
    grouping: str | None = "county",
) -> dict[str, TierMetrics]:
    """Compute the metrics per tier for the plan `upgrades`.

    Parameters
    ----------
    problem
        The upgrade problem.
    upgrades
        Tier name → upgraded site ids; None or ``{}`` is today, before any upgrade.
    grouping
        Demand grouping of the per-group shares (a key of ``problem.demand_groups``), or
        None for none.
    """
    masks = provider_masks(problem, upgrades)
    labels = problem.demand_groups.get(grouping) if grouping else None
    possible = coverable(problem)
    out: dict[str, TierMetrics] = {}
    for tier in problem.tiers:
        near, site = nearest_minutes(problem, tier, masks[tier.name])
        weight = np.asarray(tier.demand_weight, dtype=np.float64)
        metrics = tier_metrics(
            tier.name,
            standard_minutes=tier.standard_minutes,
            minutes=near,
            covered=near <= tier.standard_minutes,
            weight=weight,
            groups=labels,
            site=site,
        )
        out[tier.name] = replace(
            metrics,
            uncoverable_population=float(weight[~possible[tier.name]].sum()),
            coverable=possible[tier.name],
        )
    return out


def tier_metrics(
    tier: str,
    *,
    standard_minutes: float,
    minutes: FloatArray,
    covered: BoolArray,
    weight: FloatArray,
    groups: ArrayLike | None = None,
    site: IntArray | None = None,
) -> TierMetrics:
    """Compute the `TierMetrics` of one tier from per-demand minutes and a covered mask.

    The definitions of the module docstring; `plan_metrics` passes ``minutes <= standard``
    as ``covered``, a model whose coverage is not "nearest provider within the standard"
    (a two-stage chain) passes its own.

    Parameters
    ----------
    tier
        Name of the tier (or of what is measured).
    standard_minutes
        The tier's standard, reported with the metrics.
    minutes
        Minutes from every demand point to its provider (``inf``: none reachable).
    covered
        Boolean per demand point: covered.
    weight
        Demand weight of every demand point (population).
    groups
        Group label of every demand point (county) for the shares, spread and Gini; None
        for none.
    site
        Position of every demand point's provider (-1: none); default all -1.
    """
    total = float(weight.sum())
    reach = np.isfinite(minutes)
    unreachable = float(weight[~reach].sum())
    mean = float((weight[reach] * minutes[reach]).sum() / max(weight[reach].sum(), 1e-300))
    p95 = (
        weighted_quantile(minutes[reach], weight[reach], 0.95)
        if unreachable <= 0.05 * total
        else float("inf")
    )
    shares: dict[Hashable, float] = {}
    pops: list[float] = []
    if groups is not None:
        labels = np.asarray(groups)
        for label in np.unique(labels):
            mine = labels == label
            pop = float(weight[mine].sum())
            if pop > 0:
                shares[label] = float(weight[mine & covered].sum()) / pop
                pops.append(pop)
    worst = min(shares, key=lambda k: (shares[k], str(k))) if shares else None
    values = np.array(list(shares.values()))
    return TierMetrics(
        tier=tier,
        standard_minutes=float(standard_minutes),
        population=total,
        covered_population=float(weight[covered].sum()),
        covered_share=float(weight[covered].sum()) / total if total else 0.0,
        mean_minutes=mean,
        p95_minutes=p95,
        unreachable_population=unreachable,
        worst_group=worst,
        worst_group_share=shares[worst] if worst is not None else float("nan"),
        spread=float(values.max() - values.min()) if values.size else 0.0,
        gini=weighted_gini(values, pops) if values.size else 0.0,
        group_shares=shares,
        nearest_minutes=minutes,
        nearest_site=site if site is not None else np.full(minutes.size, -1, dtype=np.intp),
    )


def e2sfca(
    minutes: ArrayLike | sp.sparray,
    supply: ArrayLike,
    population: ArrayLike,
    *,
    catchment_minutes: float,
    weights: Sequence[float] = LUO_QI_WEIGHTS,
) -> FloatArray:
    """E2SFCA accessibility of every demand point (supply per 1,000 people).

    Parameters
    ----------
    minutes
        Demand × site minutes (sparse: stored = reachable; dense: inf = unreachable).
    supply
        Capacity of each site (beds, or a default per tier); 0 for sites that do not serve.
    population
        Demand population.
    catchment_minutes
        Catchment size; split into ``len(weights)`` equal zones.
    weights
        Zone weights, nearest zone first.
    """
    coo: sp.coo_array = (
        sp.coo_array(minutes)  # type: ignore[call-overload]
        if isinstance(minutes, sp.sparray | sp.spmatrix)
        else _dense_coo(minutes)
    )
    rows = np.asarray(coo.row, dtype=np.intp)
    cols = np.asarray(coo.col, dtype=np.intp)
    times = np.asarray(coo.data, dtype=np.float64)
    s = np.asarray(supply, dtype=np.float64)
    p = np.asarray(population, dtype=np.float64)
    zone = np.floor(times / (catchment_minutes / len(weights))).astype(np.intp)
    zone = np.minimum(zone, len(weights) - 1)
    inside = (times <= catchment_minutes) & (s[cols] > 0)
    w = np.asarray(weights, dtype=np.float64)[zone] * inside
    demand_at_site = np.bincount(cols, weights=p[rows] * w, minlength=s.size)
    ratio = np.divide(s, demand_at_site, out=np.zeros_like(s), where=demand_at_site > 0)
    access = np.bincount(rows, weights=ratio[cols] * w, minlength=p.size)
    return np.asarray(access * 1000.0, dtype=np.float64)


def _dense_coo(minutes: ArrayLike) -> sp.coo_array:
    dense = np.asarray(minutes, dtype=np.float64)
    rows, cols = np.nonzero(np.isfinite(dense))
    return sp.coo_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
