"""Transitional alias of the old private path of `optimizer.core.solvers`.

Kept only until scenarios/cli.py imports ``solver_label`` from `optimizer.core.solvers`;
then delete this file.
"""

from __future__ import annotations

from optimizer.core.solvers import solver_label

__all__ = ["solver_label"]
