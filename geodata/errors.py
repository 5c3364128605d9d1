"""Domain exceptions for the world layer.

Every error a user can cause with bad input is one line that names the file, the field and the
fix: ``"facilities.csv: column 'tier': 3 rows have unknown tiers ('clinic') - use one of ..."``.
Validation gathers every problem first and reports them together (see `DataValidationError`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "DataProblem",
    "DataValidationError",
    "HealthplanDataError",
    "OSMReadError",
    "UnknownIdError",
    "UnreachableError",
]


class HealthplanDataError(ValueError):
    """Base class: a problem with input data that the user can fix."""


@dataclass(frozen=True)
class DataProblem:
    """One problem found while validating a data source."""

    source: str
    field: str
    problem: str
    fix: str

    def __str__(self) -> str:
        """One line: ``source: field: problem - fix``."""
        return f"{self.source}: {self.field}: {self.problem} - {self.fix}"


class DataValidationError(HealthplanDataError):
    """One or more problems in a data source, reported together on one line."""

    def __init__(self, problems: Iterable[DataProblem]) -> None:
        self.problems: tuple[DataProblem, ...] = tuple(problems)
        if not self.problems:
            msg = "DataValidationError needs at least one problem"
            raise ValueError(msg)
        text = str(self.problems[0])
        if len(self.problems) > 1:
            rest = " | ".join(str(p) for p in self.problems[1:])
            text = f"{text} (and {len(self.problems) - 1} more: {rest})"
        super().__init__(text)


class OSMReadError(HealthplanDataError):
    """An OpenStreetMap file could not be read or holds no drivable network."""


class UnreachableError(HealthplanDataError):
    """Places that cannot reach any facility (or the network) at all."""


class UnknownIdError(HealthplanDataError, KeyError):
    """An id that a table (e.g. a travel-time matrix) does not hold.

    Also a `KeyError`, as for a missing key of a mapping; the message is shown unquoted.
    """

    def __str__(self) -> str:
        """Return the message as given, without the quotes `KeyError` adds."""
        return ValueError.__str__(self)
