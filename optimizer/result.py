"""Typed solver outcomes: a status enum, the default tolerance, a frozen plan and its text."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from optimizer.errors import InvalidOptionError

__all__ = ["DEFAULT_MIP_GAP", "Plan", "Status", "gap_words", "settled_status", "status_text"]

#: Relative gap within which every model of the optimizer reports ``optimal``: the default
#: ``mip_gap`` of every public solve, and the line between ``optimal`` and ``feasible`` when
#: a caller asks for a looser ``mip_gap`` or a time limit stops a run.
DEFAULT_MIP_GAP = 1e-6


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


def settled_status(status: Status, gap: float) -> Status:
    """Return ``status``, with ``optimal`` lowered to ``feasible`` above `DEFAULT_MIP_GAP`.

    A ``gap`` above it means the run asked for a looser gap: its plan is not proven optimal.

    A NaN gap (a model without integer variables, or no gap reported) keeps ``optimal``.
    """
    if status is Status.OPTIMAL and gap > DEFAULT_MIP_GAP * (1.0 + 1e-9):
        return Status.FEASIBLE
    return status


def gap_words(gap: float) -> str:
    """``"1.00 %"`` for 0.01; two significant digits below 0.01 % (``"0.002 %"``)."""
    percent = 100.0 * gap
    return f"{percent:.2f} %" if percent >= 0.01 else f"{percent:.2g} %"


def status_text(status: Status | str, gap: float, *, time_limit: bool = False) -> str:
    """One phrase for a planner: what a status and gap mean.

    Parameters
    ----------
    status
        A `Status` or its string value.
    gap
        The plan's relative gap (NaN when unknown).
    time_limit
        Whether the run was stopped by its time limit (prefixes ``"time limit: "``): true when
        the plan's ``message`` contains ``"time limit"`` (case-insensitive), as every
        optimizer message for such a run does.

    Returns
    -------
    str
        ``"optimal"`` (proven within `DEFAULT_MIP_GAP`); ``"within 1.00 % of the best
        possible"`` for a plan proven only within a larger gap (``optimal`` with such a gap
        reads the same); ``"feasible (gap unknown)"`` without a finite gap;
        ``"infeasible"``; ``"no solution"``. With ``time_limit``, the last three are prefixed
        ``"time limit: "`` and ``"no solution"`` reads ``"time limit: no solution found"``.

    Raises
    ------
    InvalidOptionError
        For a string that is not a status.
    """
    try:
        value = Status(str(status))
    except ValueError:
        msg = f"unknown status {str(status)!r}; use one of {', '.join(s.value for s in Status)}"
        raise InvalidOptionError(msg) from None
    prefix = "time limit: " if time_limit else ""
    if value is Status.INFEASIBLE:
        return "infeasible"
    if value is Status.NO_SOLUTION:
        return f"{prefix}no solution found" if time_limit else "no solution"
    if value is Status.OPTIMAL and not time_limit and settled_status(value, gap) is value:
        return "optimal"
    if not math.isfinite(gap):
        return f"{prefix}feasible (gap unknown)"
    return f"{prefix}within {gap_words(gap)} of the best possible"


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

    @classmethod
    def without_solution(
        cls, status: Status, message: str, *, solver: str, runtime_s: float = 0.0
    ) -> Plan:
        """Return a plan with no sites: an infeasible problem, or a run that found none.

        Parameters
        ----------
        status
            `Status.INFEASIBLE` or `Status.NO_SOLUTION`.
        message
            Why, in the planner's words.
        solver
            What ran (or ``"... (not run: pre-solve checks)"``).
        runtime_s
            Seconds spent.
        """
        return cls(
            status=status,
            objective=math.nan,
            gap=math.nan,
            selected=(),
            open_sites=(),
            assignment={},
            runtime_s=runtime_s,
            solver=solver,
            message=message,
        )
