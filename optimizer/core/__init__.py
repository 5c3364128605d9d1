"""What every model family shares: the MILP builder, solver runs, the input matrix, options.

A family (`optimizer.classic`, `optimizer.upgrade`, `optimizer.allocation`, `optimizer.chain`)
imports from here and never from another family's private modules. See optimizer/README.md.
"""

from __future__ import annotations

from optimizer.core.milp import Milp, MilpBuilder
from optimizer.core.options import SolverOptions, check_choice, solver_options
from optimizer.core.problem import Problem, caller_ids, cost_matrix
from optimizer.core.reduce import merge_identical_rows, nearest_open, select_entries
from optimizer.core.solvers import (
    SOLVERS,
    STATUS_ORDER,
    SolverRun,
    run_milp,
    settle,
    solver_label,
    worst_status,
)

__all__ = [
    "SOLVERS",
    "STATUS_ORDER",
    "Milp",
    "MilpBuilder",
    "Problem",
    "SolverOptions",
    "SolverRun",
    "caller_ids",
    "check_choice",
    "cost_matrix",
    "merge_identical_rows",
    "nearest_open",
    "run_milp",
    "select_entries",
    "settle",
    "solver_label",
    "solver_options",
    "worst_status",
]
