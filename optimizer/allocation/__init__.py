"""Designation allocation: which hospital holds which specialty at which level.

`solve_allocation` is the entry point; the formulation is in `optimizer.allocation.api`.
"""

from __future__ import annotations

from optimizer.allocation.api import (
    STAGE_TOLERANCE,
    Allocation,
    AllocationProblem,
    Designation,
    DesignationLevel,
    reach,
    solve_allocation,
)

__all__ = [
    "STAGE_TOLERANCE",
    "Allocation",
    "AllocationProblem",
    "Designation",
    "DesignationLevel",
    "reach",
    "solve_allocation",
]
