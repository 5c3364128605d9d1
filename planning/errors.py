"""The planning layer's error base."""

from __future__ import annotations

__all__ = ["PlanningError", "RuleError"]


class PlanningError(Exception):
    """Base of the user errors raised by `planning` (the CLI prints them on one line)."""


class RuleError(PlanningError, ValueError):
    """Rules that cannot be applied to this world.

    For example an unknown tier, a demand column the dataset lacks, or regions that do not
    partition the cities.
    """
