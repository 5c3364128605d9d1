"""Population-weighted travel metrics shared by the regional and specialty networks."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["weighted_quantile", "worst_status"]

FloatArray = NDArray[np.float64]

_SEVERITY = ("optimal", "feasible", "no_solution", "infeasible")


def weighted_quantile(values: FloatArray, weights: FloatArray, q: float) -> float:
    """Smallest value ``v`` with at least a share ``q`` of the weight at or below ``v``.

    NaN when the total weight is zero. The 95th percentile of travel minutes over people:
    ``weighted_quantile(minutes, population, 0.95)``.
    """
    total = float(weights.sum())
    if total <= 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    share = np.cumsum(weights[order]) / total
    k = int(np.searchsorted(share, q - 1e-12))
    return float(values[order][min(k, values.size - 1)])


def worst_status(statuses: list[str]) -> str:
    """The least favourable of plan statuses (``optimal`` when there are none)."""
    return max(statuses, key=_SEVERITY.index, default="optimal")
