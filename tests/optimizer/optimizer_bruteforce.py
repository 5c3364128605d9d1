"""Brute-force reference for the optimizer tests: enumerate every selection of free sites."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _assign_value(  # noqa: PLR0911, PLR0912, PLR0917
    costs: FloatArray,
    weights: FloatArray,
    open_sites: Sequence[int],
    objective: str,
    threshold: float | None,
    capacity: FloatArray | None,
) -> float | None:
    """Best objective for a fixed open set (None if no feasible assignment)."""
    n = costs.shape[0]
    if capacity is None:
        near = costs[:, list(open_sites)].min(axis=1) if open_sites else np.full(n, np.inf)
        if objective == "coverage":
            assert threshold is not None
            return float(weights[near <= threshold].sum())
        if objective == "set_cover":
            assert threshold is not None
            return 0.0 if bool((near <= threshold).all()) else None
        if not np.isfinite(near).all():
            return None
        return float(weights @ near) if objective == "median" else float(near.max())
    options: list[list[int | None]] = []
    for i in range(n):
        opts: list[int | None] = [
            j
            for j in open_sites
            if math.isfinite(costs[i, j]) and (threshold is None or costs[i, j] <= threshold)
        ]
        if objective == "coverage":
            opts.append(None)
        if not opts:
            return None
        options.append(opts)
    best: float | None = None
    for combo in itertools.product(*options):
        load: dict[int, float] = {}
        for i, j in enumerate(combo):
            if j is not None:
                load[j] = load.get(j, 0.0) + weights[i]
        if any(load[j] > capacity[j] + 1e-9 for j in load):
            continue
        if objective == "median":
            value = sum(weights[i] * costs[i, j] for i, j in enumerate(combo) if j is not None)
        elif objective == "minmax":
            value = max(costs[i, j] for i, j in enumerate(combo) if j is not None)
        elif objective == "coverage":
            value = -sum(weights[i] for i, j in enumerate(combo) if j is not None)
        else:
            value = 0.0
        if best is None or value < best:
            best = value
    if best is None:
        return None
    return -best if objective == "coverage" else best


def brute_force(
    costs: FloatArray,
    objective: str,
    *,
    weights: FloatArray | None = None,
    p: int | None = None,
    budget: float | None = None,
    site_cost: FloatArray | None = None,
    threshold: float | None = None,
    existing: Sequence[int] = (),
    required: Sequence[int] = (),
    excluded: Sequence[int] = (),
    groups: Mapping[str, Sequence[int]] | None = None,
    group_min: Mapping[str, int] | None = None,
    group_max: Mapping[str, int] | None = None,
    capacity: FloatArray | None = None,
) -> float | None:
    """Optimal objective over all selections (None when infeasible); same semantics as solve."""
    n_demand, n_site = costs.shape
    w = np.ones(n_demand) if weights is None else weights
    fixed = set(existing) | set(required)
    free = [j for j in range(n_site) if j not in fixed and j not in set(excluded)]
    req_new = [j for j in required if j not in set(existing)]
    best: float | None = None
    for r in range(len(free) + 1):
        for subset in itertools.combinations(free, r):
            new = set(subset) | set(req_new)
            count = len(new)
            if p is not None:
                exact = budget is None and objective != "set_cover"
                if (exact and count != p) or count > p:
                    continue
            if budget is not None:
                assert site_cost is not None
                if sum(site_cost[j] for j in new) > budget + 1e-9:
                    continue
            ok = True
            for label, members in (groups or {}).items():
                k = len(new & set(members))
                if k < (group_min or {}).get(label, 0) or k > (group_max or {}).get(label, k):
                    ok = False
            if not ok:
                continue
            value = _assign_value(
                costs, w, sorted(new | set(existing)), objective, threshold, capacity
            )
            if value is None:
                continue
            if objective == "set_cover":
                value = float(count)
            better = value > best if objective == "coverage" and best is not None else None
            if best is None or (better if better is not None else value < best):
                best = value
    return best


def random_instance(
    rng: np.random.Generator, n_demand: int, n_site: int, *, reach: float = 1.0
) -> FloatArray:
    """Integer costs 0–20 with a share ``1 - reach`` of unreachable pairs (inf)."""
    costs = rng.integers(0, 21, size=(n_demand, n_site)).astype(np.float64)
    if reach < 1.0:
        costs[rng.random((n_demand, n_site)) > reach] = np.inf
    return costs
