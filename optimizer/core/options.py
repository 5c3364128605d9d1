"""The options every model family takes, checked once: solver, time limit, gap, named choices.

Every public solve (`optimizer.solve`, `optimizer.upgrade.solve_upgrades`,
`optimizer.allocation.solve_allocation`, `optimizer.chain.solve_chain`) checks ``solver``,
``time_limit`` and ``mip_gap`` with `solver_options`, and its objective with `check_choice`,
so the same mistake reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimizer.core.milp import Milp
from optimizer.core.solvers import SOLVERS, SolverRun, run_milp
from optimizer.errors import InvalidOptionError
from optimizer.result import DEFAULT_MIP_GAP

__all__ = ["SolverOptions", "check_choice", "solver_options"]


@dataclass(frozen=True)
class SolverOptions:
    """Checked solver options of one solve; every solver run of the solve uses them.

    Attributes
    ----------
    solver
        ``"highs"`` or ``"cbc"`` (lower case).
    time_limit
        Seconds per solver run, or None for no limit.
    mip_gap
        Relative gap at which a solver run may stop (`DEFAULT_MIP_GAP` when none was given).
    """

    solver: str
    time_limit: float | None
    mip_gap: float

    def run(self, model: Milp, start: NDArray[np.float64] | None = None) -> SolverRun:
        """Solve ``model`` with these options (``start``: a MIP start for HiGHS)."""
        return run_milp(
            model,
            solver=self.solver,
            time_limit=self.time_limit,
            mip_gap=self.mip_gap,
            start=start,
        )


def _choice_problem(name: str, value: object, choices: Sequence[str]) -> str:
    """Return ``""`` when ``value`` is one of ``choices``, else the sentence saying so."""
    if value in choices:
        return ""
    return f"unknown {name} {value!r}: {name} must be one of {', '.join(choices)}"


def check_choice(name: str, value: object, choices: Sequence[str]) -> None:
    """Raise `InvalidOptionError` unless ``value`` is one of ``choices``.

    Parameters
    ----------
    name
        The option's name as the caller wrote it (``"objective"``).
    value
        The value given.
    choices
        The accepted values, listed in the message in this order.

    Raises
    ------
    InvalidOptionError
        ``unknown objective 'best': objective must be one of median, coverage, ...``.
    """
    problem = _choice_problem(name, value, choices)
    if problem:
        raise InvalidOptionError(problem)


def solver_options(solver: str, time_limit: float | None, mip_gap: float | None) -> SolverOptions:
    """Check the solver options of a solve and fill in the default gap.

    Parameters
    ----------
    solver
        ``"highs"`` or ``"cbc"``, in any case.
    time_limit
        Seconds per solver run (> 0), or None.
    mip_gap
        Relative gap in ``[0, 1)``, or None for `DEFAULT_MIP_GAP`.

    Returns
    -------
    SolverOptions
        The options with the solver name in lower case and the gap filled in.

    Raises
    ------
    InvalidOptionError
        One line naming every option that cannot be used.
    """
    name = solver.lower()
    problems = [_choice_problem("solver", name, SOLVERS)]
    if time_limit is not None and not time_limit > 0:
        problems.append(f"time_limit must be > 0 seconds, got {time_limit!r}")
    if mip_gap is not None and not 0 <= mip_gap < 1:
        problems.append(f"mip_gap must be in [0, 1), got {mip_gap!r}")
    problems = [p for p in problems if p]
    if problems:
        raise InvalidOptionError("; ".join(problems))
    return SolverOptions(name, time_limit, DEFAULT_MIP_GAP if mip_gap is None else mip_gap)
