"""Typed solver outcomes: a status enum and a frozen plan."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Plan", "Status"]


class Status(StrEnum):
    """Outcome of a solve, read from the solver's own result.

    ``OPTIMAL`` means proven optimal within the relative gap asked for; a solution found before
    a time limit without that proof is ``FEASIBLE``; ``INFEASIBLE`` means no plan satisfies the
    constraints (proved by a pre-solve check or by the solver); ``NO_SOLUTION`` means the
    solver stopped (time limit, error) without any feasible plan.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"


@dataclass(frozen=True)
class Plan:
    """A plan returned by `optimizer.solve`.

    Attributes
    ----------
    status
        See `Status`; compares equal to its string value (``plan.status == "optimal"``).
    objective
        Objective value of the plan, recomputed from the selected sites and assignment:
        Σ weight·cost (median), covered weight (coverage), number of newly selected sites
        (set_cover), largest assigned cost (minmax). NaN when there is no plan.
    gap
        Relative MIP gap reported by the solver (0.0 for a proven optimum found with no gap,
        NaN when unknown or when there is no plan).
    selected
        Newly selected sites (ids, in site order), excluding ``existing`` sites.
    open_sites
        Every open site: existing and newly selected, in site order.
    assignment
        Demand id → serving site id, or None when the demand is not served (see the model).
    runtime_s
        Wall-clock seconds spent in `solve` for this plan (model build + solver).
    solver
        Solver name and version, e.g. ``"HiGHS 1.16.0"``.
    message
        Empty when optimal; otherwise why the plan is not optimal (an infeasibility explanation
        a planner can act on, or the solver's stopping reason).
    alternatives
        Next-best distinct plans (different sets of selected sites), best first, when
        ``alternatives=k`` was passed to `solve`.
    """

    status: Status
    objective: float
    gap: float
    selected: tuple[Hashable, ...]
    open_sites: tuple[Hashable, ...]
    assignment: Mapping[Hashable, Hashable | None]
    runtime_s: float
    solver: str
    message: str = ""
    alternatives: tuple[Plan, ...] = field(default=())
