"""Every public function with three or more parameters documents each one (issue 12).

The public API of `geodata`, `optimizer`, `planning` and `scenarios` is every function,
method, static method and class method whose name does not start with ``_``, defined in a
module with no ``_``-prefixed part in its dotted name, plus whatever a package's ``__all__``
re-exports from a private module (and the methods of such classes). Parameters are counted
without ``self`` and ``cls``. The Typer commands of `scenarios.cli` are exempt: their option
help texts are their documentation.

A numpydoc ``Parameters`` section names one parameter per entry line (``name``,
``name : type``, or ``a, b`` for a pair described together; ``*args``/``**kwargs`` with
their stars). ruff's pydocstyle rules check the docstring form; this test checks that the
section exists and is complete, which ruff does not.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

PACKAGES = ("geodata", "optimizer", "planning", "scenarios")
#: A function with at least this many parameters (``self``/``cls`` aside) needs the section.
MIN_PARAMETERS = 3
#: Public functions with `MIN_PARAMETERS` or more parameters when this test was written; the
#: count may grow, but a drop means the walk stopped finding part of the API.
MIN_CHECKED = 80

_SECTION = re.compile(r"^Parameters\n-{3,}\n(?P<body>.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", re.M | re.S)


def _modules() -> Iterator[ModuleType]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            yield importlib.import_module(info.name)


def _is_private(dotted: str) -> bool:
    return any(part.startswith("_") for part in dotted.split("."))


def _cli_commands() -> set[Callable[..., Any]]:
    from scenarios.cli import app

    groups = [app, *(group.typer_instance for group in app.registered_groups)]
    return {
        command.callback
        for group in groups
        if group is not None
        for command in group.registered_commands
        if command.callback is not None
    }


def _functions_of(obj: object, qualname: str) -> Iterator[tuple[str, Callable[..., Any]]]:
    if inspect.isfunction(obj):
        yield qualname, obj
    elif inspect.isclass(obj):
        for name, member in vars(obj).items():
            func = member.__func__ if isinstance(member, staticmethod | classmethod) else member
            if not name.startswith("_") and inspect.isfunction(func):
                yield f"{qualname}.{name}", func


def public_functions() -> dict[str, Callable[..., Any]]:
    """Map the dotted name of every public function and method to the function itself."""
    found: dict[str, Callable[..., Any]] = {}
    for module in _modules():
        is_public_package = hasattr(module, "__path__") and not _is_private(module.__name__)
        exported = set(getattr(module, "__all__", ())) if is_public_package else set()
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            home = getattr(obj, "__module__", "")
            if not home.startswith(PACKAGES):
                continue
            defined_here = home == module.__name__ and not _is_private(home)
            if defined_here or (name in exported and _is_private(home)):
                found.update(_functions_of(obj, f"{home}.{obj.__qualname__}"))
    commands = _cli_commands()
    return {name: func for name, func in found.items() if func not in commands}


def parameter_names(func: Callable[..., Any]) -> list[str]:
    """Return the parameters of `func` as a docstring names them, ``self``/``cls`` aside."""
    names = []
    for i, param in enumerate(inspect.signature(func).parameters.values()):
        if i == 0 and param.name in {"self", "cls"}:
            continue
        stars = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "")
        names.append(stars + param.name)
    return names


def documented_parameters(doc: str | None) -> set[str] | None:
    """Return the names in the ``Parameters`` section of `doc`, or None without one."""
    match = _SECTION.search(inspect.cleandoc(doc or ""))
    if match is None:
        return None
    names: set[str] = set()
    for line in match["body"].splitlines():
        if line and not line[0].isspace():
            names.update(part.strip() for part in line.split(" : ")[0].split(","))
    return names


def _checked() -> dict[str, tuple[Callable[..., Any], list[str]]]:
    return {
        name: (func, params)
        for name, func in sorted(public_functions().items())
        if len(params := parameter_names(func)) >= MIN_PARAMETERS
    }


def test_section_parser() -> None:
    doc = """Do a thing.

    Parameters
    ----------
    a : int
        First.
    b, c
        Second and third,
        on two lines.
    **options
        The rest.

    Returns
    -------
    x
        Not a parameter.
    """
    assert documented_parameters(doc) == {"a", "b", "c", "**options"}
    assert documented_parameters("Do a thing.") is None


def test_public_functions_document_every_parameter() -> None:
    checked = _checked()
    problems = []
    for name, (func, params) in checked.items():
        documented = documented_parameters(inspect.getdoc(func))
        if documented is None:
            problems.append(f"{name}: no Parameters section")
        elif missing := [p for p in params if p not in documented]:
            problems.append(f"{name}: Parameters section lacks {', '.join(missing)}")
    complete = len(checked) - len(problems)
    print(f"{complete} of {len(checked)} public functions with {MIN_PARAMETERS}+ parameters")
    assert len(checked) >= MIN_CHECKED
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_has_checked_functions(package: str) -> None:
    assert any(name.startswith(f"{package}.") for name in _checked())
