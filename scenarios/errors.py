"""The planner layer's error base: every error a planner can cause in `scenarios`.

The CLI prints any `ScenariosError` (and `geodata`'s `HealthplanDataError`, `optimizer`'s
`OptimizerError`, `OSError`) as one line and exits with code 2; anything else is a bug and
keeps its traceback. A new error class of this package subclasses `ScenariosError` (and a
built-in such as `ValueError`), so the CLI cannot forget it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ScenarioError", "ScenariosError"]


class ScenariosError(Exception):
    """Base of the user errors raised by `scenarios`.

    The message is one line naming the file, the key or field, the problem and the fix.
    """


class ScenarioError(ScenariosError, ValueError):
    """A scenario file the planner cannot use: ``"<file>: <key>: <problem> - <fix>"``.

    The message is always one line (line breaks of quoted input are flattened); the parts
    stay available as attributes for callers that format them otherwise.
    """

    def __init__(self, file: str | Path, key: str, problem: str, fix: str) -> None:
        self.file, self.key, self.problem, self.fix = str(file), key, problem, fix
        text = f"{file}: {key}: {problem} - {fix}"
        super().__init__(" ".join(text.splitlines()))

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str, str, str, str]]:
        """Pickle with the constructor's arguments (`args` holds only the message)."""
        return type(self), (self.file, self.key, self.problem, self.fix)
