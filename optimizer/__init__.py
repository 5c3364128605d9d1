"""Location-allocation models on ids, vectors and (sparse) matrices.

Pure mathematics: no geometry, no files, no import of `geodata` or `scenarios`.

>>> from optimizer import Problem, solve
>>> plan = solve(Problem.from_matrix([[0, 4], [3, 1]]), "median", p=1)
>>> plan.status, plan.objective, plan.selected
(<Status.OPTIMAL: 'optimal'>, 3.0, (0,))
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from optimizer.classic import OBJECTIVES, solve
from optimizer.core import Problem
from optimizer.errors import InvalidOptionError, InvalidProblemError, OptimizerError
from optimizer.result import Plan, Status

try:
    __version__ = version("healthplan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "OBJECTIVES",
    "InvalidOptionError",
    "InvalidProblemError",
    "OptimizerError",
    "Plan",
    "Problem",
    "Status",
    "__version__",
    "solve",
]
