"""Exceptions raised for invalid input to the optimizer.

An infeasible *model* is not an error: `solve` returns a plan with status ``"infeasible"`` and a
message. These exceptions are for arguments that cannot describe a model at all.
"""

from __future__ import annotations

__all__ = ["InvalidOptionError", "InvalidProblemError", "OptimizerError"]


class OptimizerError(ValueError):
    """Base class for invalid optimizer input."""


class InvalidProblemError(OptimizerError):
    """`Problem.from_matrix` was given data that does not form a problem."""


class InvalidOptionError(OptimizerError):
    """`solve` was given options that do not fit the problem or each other."""
