"""The planner layer's error base: every error a planner can cause in `scenarios`.

The CLI prints any `ScenariosError` (and `geodata`'s `HealthplanDataError`, `optimizer`'s
`OptimizerError`, `OSError`) as one line and exits with code 2; anything else is a bug and
keeps its traceback. A new error class of this package subclasses `ScenariosError` (and a
built-in such as `ValueError`), so the CLI cannot forget it.
"""

from __future__ import annotations

__all__ = ["ScenariosError"]


class ScenariosError(Exception):
    """Base of the user errors raised by `scenarios`.

    The message is one line naming the file, the key or field, the problem and the fix.
    """
