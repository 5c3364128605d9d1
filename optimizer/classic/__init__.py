"""The classic location models on a `Problem`: p-median, coverage, set cover, p-center.

`solve` is the entry point (`optimizer.solve`); the formulations are in `median`, `coverage`
and `center`, their capacitated single-sourcing variants in ``_capacity``.
"""

from __future__ import annotations

from optimizer.classic.api import OBJECTIVES, solve

__all__ = ["OBJECTIVES", "solve"]
