"""Run a `Milp` with HiGHS (highspy, directly) or CBC (the binary bundled with PuLP).

Statuses come from each solver's own result, never from PuLP's summary status:

* HiGHS: ``Highs.getModelStatus()``, ``info.primal_solution_status``, ``info.mip_gap``.
  A time-limited run with an incumbent is *feasible* (PuLP would call it "Optimal").
* CBC: PuLP's ``prob.sol_status`` (read from CBC's solution file: optimal, integer-feasible,
  infeasible, none) together with the ``Result -`` line, ``Objective value`` and
  ``Lower bound`` of CBC's log, from which the gap is computed. An unsolved CBC model still
  carries a number in PuLP; it never reaches a plan.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optimizer.core.milp import Milp
from optimizer.result import Status, gap_words, settled_status

__all__ = [
    "INFEASIBLE_REASON",
    "SOLVERS",
    "STATUS_ORDER",
    "TIME_LIMIT_REASON",
    "SolverRun",
    "highs_label",
    "load_highs",
    "new_highs",
    "run_milp",
    "settle",
    "solver_label",
    "stale_solution",
    "worst_status",
]

SOLVERS = ("highs", "cbc")
#: Reason of a run whose solver proved the model infeasible; callers replace it with a
#: sentence in the planner's words.
INFEASIBLE_REASON = "the solver proved the model infeasible"
#: Words in the reason of every run stopped by its time limit (`optimizer.result.status_text`
#: takes ``time_limit=True`` for them).
TIME_LIMIT_REASON = "time limit reached"
#: Relative difference between a solution's objective and the solver's at which the solution
#: is not the one the solver proved (a MIP start returned unchanged, see `_run_highs`).
_OBJECTIVE_TOLERANCE = 1e-6
#: HiGHS's default ``mip_abs_gap``: a run closed within it is optimal whatever its relative gap
#: (objectives near zero, such as a worst-group share of 0).
_ABSOLUTE_GAP = 1e-6


@dataclass(frozen=True)
class SolverRun:
    """What one solver run produced."""

    status: Status
    values: NDArray[np.float64] | None
    gap: float
    solver: str
    reason: str


def run_milp(
    model: Milp,
    *,
    solver: str,
    time_limit: float | None,
    mip_gap: float | None,
    start: NDArray[np.float64] | None = None,
) -> SolverRun:
    """Solve ``model`` with ``solver`` and read the status from the solver's own result.

    Parameters
    ----------
    model
        The program (minimised).
    solver
        ``"highs"`` or ``"cbc"``.
    time_limit
        Seconds for the run, or None.
    mip_gap
        Relative gap at which the solver may stop; an ``optimal`` run only within a gap
        larger than `optimizer.result.DEFAULT_MIP_GAP` is made ``feasible`` (`settle`).
    start
        A feasible solution handed to HiGHS as a MIP start (lexicographic stages pass the
        previous stage's optimum); CBC runs without it.
    """
    if model.n_col == 0:
        return SolverRun(Status.OPTIMAL, np.zeros(0), 0.0, solver_label(solver), "")
    if solver == "highs":
        return _run_highs(model, time_limit=time_limit, mip_gap=mip_gap, start=start)
    return _run_cbc(model, time_limit=time_limit, mip_gap=mip_gap)


def solver_label(solver: str) -> str:
    """Name and version of ``solver`` without running it (CBC reports its version in a run)."""
    if solver == "highs":
        h = _highs()
        return f"HiGHS {h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
    return "CBC"


def _highs() -> Any:
    """Return a ``highspy.Highs``, the first one of the process built without its banner.

    The first one in a process prints a banner on file descriptor 1, which would corrupt
    machine-readable output (``healthplan ... --json``), so that one is built with stdout
    pointed at /dev/null.
    """
    import highspy

    global _BANNER_SHOWN  # noqa: PLW0603 - once per process, by design
    if _BANNER_SHOWN:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SHOWN = True
    return h


_BANNER_SHOWN = False


def new_highs(*, time_limit: float | None, mip_gap: float | None) -> Any:
    """Return a silent, seeded ``highspy.Highs`` with the time limit and relative gap set."""
    h = _highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 1e-3))
    if mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
    return h


def load_highs(h: Any, model: Milp) -> None:
    """Pass ``model`` to the ``highspy.Highs`` object ``h`` (column-wise, from numpy)."""
    import highspy

    csc = model.matrix.tocsc()
    csc.sort_indices()
    h.passModel(
        model.n_col,
        model.n_row,
        int(csc.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        float(model.offset),
        model.cost,
        model.col_lo,
        model.col_hi,
        model.row_lo,
        model.row_hi,
        csc.indptr.astype(np.int32),
        csc.indices.astype(np.int32),
        csc.data.astype(np.float64),
        model.integer.astype(np.int32),
    )


def highs_label(h: Any) -> str:
    """``"HiGHS x.y.z"`` from a ``highspy.Highs`` object."""
    return f"HiGHS {h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def _run_highs(
    model: Milp,
    *,
    time_limit: float | None,
    mip_gap: float | None,
    start: NDArray[np.float64] | None = None,
) -> SolverRun:
    import highspy

    began = time.perf_counter()
    h = new_highs(time_limit=time_limit, mip_gap=mip_gap)
    load_highs(h, model)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = np.asarray(start, dtype=np.float64).tolist()
        h.setSolution(solution)
    h.run()
    values = _solution(h)
    if (
        start is not None
        and values is not None
        and stale_solution(h, model.cost, model.offset, values)
    ):
        # HiGHS 1.16 can finish in presolve with the true optimum in its objective value
        # while `getSolution` still holds the start: solve again without it.
        left = None if time_limit is None else max(time_limit - (time.perf_counter() - began), 0.0)
        h = new_highs(time_limit=left, mip_gap=mip_gap)
        load_highs(h, model)
        h.run()
        values = _solution(h)
    label = highs_label(h)
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = values is not None
    mip = bool(model.integer.any())
    gap = float(info.mip_gap) if mip and has_solution else (0.0 if has_solution else math.nan)
    ms = highspy.HighsModelStatus
    if status == ms.kOptimal and has_solution:
        run = SolverRun(Status.OPTIMAL, values, gap, label, "")
        if mip and abs(info.objective_function_value - info.mip_dual_bound) <= _ABSOLUTE_GAP:
            return run  # HiGHS's absolute gap tolerance: proven optimal
        return settle(run)
    if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return SolverRun(Status.INFEASIBLE, None, math.nan, label, INFEASIBLE_REASON)
    reason = f"HiGHS stopped: {h.modelStatusToString(status)}"
    if status == ms.kTimeLimit:
        reason = f"HiGHS stopped: {TIME_LIMIT_REASON}"
    if has_solution:
        return SolverRun(Status.FEASIBLE, values, gap, label, reason)
    return SolverRun(Status.NO_SOLUTION, None, math.nan, label, reason)


def _solution(h: Any) -> NDArray[np.float64] | None:
    """HiGHS's primal values, or None without a feasible solution."""
    import highspy

    feasible = int(h.getInfo().primal_solution_status) == int(
        highspy.SolutionStatus.kSolutionStatusFeasible
    )
    return np.asarray(h.getSolution().col_value, dtype=np.float64) if feasible else None


def stale_solution(
    h: Any, cost: NDArray[np.float64], offset: float, values: NDArray[np.float64]
) -> bool:
    """Tell whether ``values`` miss the objective value HiGHS reports.

    That happens when a MIP start is handed back unchanged after HiGHS found better (see
    `_run_highs`).

    Parameters
    ----------
    h
        The ``highspy.Highs`` object after its run.
    cost, offset
        The model's objective.
    values
        The solution HiGHS returned.
    """
    reported = float(h.getInfo().objective_function_value)
    mine = float(cost @ values + offset)
    return abs(mine - reported) > _OBJECTIVE_TOLERANCE * max(1.0, abs(reported), abs(mine))


def settle(run: SolverRun) -> SolverRun:
    """Return ``run``, made ``feasible`` when it is ``optimal`` only within a looser gap.

    A looser gap is one larger than `optimizer.result.DEFAULT_MIP_GAP` (a looser ``mip_gap``);
    the gap is then given in the run's reason.
    """
    status = settled_status(run.status, run.gap)
    if status is run.status:
        return run
    reason = f"proven within {gap_words(run.gap)} of the best possible (a looser mip_gap)"
    return replace(run, status=status, reason=reason)


#: Statuses from best to worst: the status of a plan built from several solver runs (stages,
#: years) is the worst of theirs.
STATUS_ORDER = (Status.OPTIMAL, Status.FEASIBLE, Status.NO_SOLUTION, Status.INFEASIBLE)


def worst_status(statuses: Iterable[Status]) -> Status:
    """Return the worst of ``statuses`` (at least one) in `STATUS_ORDER`."""
    return max(statuses, key=STATUS_ORDER.index)


_RESULT = re.compile(r"^Result - (.+)$", re.MULTILINE)
_OBJECTIVE = re.compile(r"^Objective value:\s+(\S+)", re.MULTILINE)
_BOUND = re.compile(r"^Lower bound:\s+(\S+)", re.MULTILINE)
_VERSION = re.compile(r"^Version:\s+(\S+)", re.MULTILINE)


def _cbc_gap(log: str, offset: float) -> float:
    """Relative gap from CBC's log (objective and bound exclude the model's offset)."""
    obj, bound = _OBJECTIVE.search(log), _BOUND.search(log)
    if obj is None or bound is None:
        return math.nan
    incumbent = float(obj.group(1)) + offset
    lower = float(bound.group(1)) + offset
    return abs(incumbent - lower) / max(abs(incumbent), 1e-9)


def _run_cbc(model: Milp, *, time_limit: float | None, mip_gap: float | None) -> SolverRun:
    import pulp
    from pulp.apis.coin_api import pulp_cbc_path

    prob = pulp.LpProblem("healthplan", pulp.LpMinimize)
    cats = np.where(model.integer, pulp.LpInteger, pulp.LpContinuous)
    lo = [None if math.isinf(v) else float(v) for v in model.col_lo]
    hi = [None if math.isinf(v) else float(v) for v in model.col_hi]
    xs = [prob.add_variable(f"x{k}", lo[k], hi[k], str(cats[k])) for k in range(model.n_col)]
    prob.setObjective(
        pulp.LpAffineExpression([(xs[k], float(model.cost[k])) for k in np.flatnonzero(model.cost)])
        + float(model.offset)
    )
    matrix = model.matrix
    for r in range(model.n_row):
        start, end = matrix.indptr[r], matrix.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            [
                (xs[k], float(v))
                for k, v in zip(matrix.indices[start:end], matrix.data[start:end], strict=True)
            ]
        )
        row_lo, row_hi = float(model.row_lo[r]), float(model.row_hi[r])
        if row_lo == row_hi:
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, rhs=row_lo))
            continue
        if not math.isinf(row_lo):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, rhs=row_lo))
        if not math.isinf(row_hi):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, rhs=row_hi))
    with tempfile.TemporaryDirectory(prefix="healthplan-cbc-") as tmp:
        log_path = Path(tmp) / "cbc.log"
        cmd = pulp.COIN_CMD(
            path=pulp_cbc_path,
            msg=False,
            timeLimit=time_limit,
            gapRel=mip_gap,
            threads=1,
            logPath=str(log_path),
        )
        prob.solve(cmd)
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
    version = _VERSION.search(log)
    label = f"CBC {version.group(1)}" if version else "CBC"
    result = _RESULT.search(log)
    result_line = result.group(1).strip() if result else ""
    values = None
    if prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        values = np.array([x.varValue or 0.0 for x in xs], dtype=np.float64)
    if prob.status == pulp.LpStatusInfeasible or prob.sol_status == pulp.LpSolutionInfeasible:
        return SolverRun(Status.INFEASIBLE, None, math.nan, label, INFEASIBLE_REASON)
    if values is None:
        reason = f"CBC stopped: {result_line or 'no solution'}"
        return SolverRun(Status.NO_SOLUTION, None, math.nan, label, reason)
    gap = _cbc_gap(log, float(model.offset))
    proven = result_line.startswith("Optimal") or not model.integer.any()
    if prob.sol_status == pulp.LpSolutionOptimal and proven:
        return settle(SolverRun(Status.OPTIMAL, values, 0.0 if math.isnan(gap) else gap, label, ""))
    reason = f"CBC stopped: {result_line or TIME_LIMIT_REASON}"
    if "time" in result_line.lower():
        reason = f"CBC stopped: {TIME_LIMIT_REASON} ({result_line})"
    return SolverRun(Status.FEASIBLE, values, gap, label, reason)
