"""Scenario files on disk: presets, TOML reading, the ``extends`` chain and the deep merge.

`scenarios.scenario.load_scenario` reads a file through here: `scenario_file` tells a preset
name from a path, `load_layers` reads the file and the files it extends (child first, at most
`MAX_EXTENDS`), `merge` merges their settings, `origin` finds the file that sets a key.
"""

from __future__ import annotations

import codecs
import difflib
import errno
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from scenarios._messages import kind_of, show
from scenarios.errors import ScenarioError

__all__ = [
    "MAX_EXTENDS",
    "PRESETS_DIR",
    "load_layers",
    "merge",
    "origin",
    "preset_names",
    "scenario_file",
]

#: Folder of the shipped presets (``extends = "baseline"`` means ``baseline.toml`` here).
PRESETS_DIR = Path(__file__).parent / "presets"
#: Most files in one `extends` chain (the file itself included).
MAX_EXTENDS = 50


def origin(
    layers: Sequence[tuple[Path, Mapping[str, Any]]], parts: Sequence[str | int], default: Path
) -> Path:
    """Return the first file (child first) of `layers` whose own settings hold the key `parts`.

    Tables merge, so a table that lacks the next part leaves the key to a parent; any other
    value replaces the parent's, so it owns everything below it (list items included).
    """
    for path, raw in layers:
        node: Any = raw
        for part in parts:
            if not isinstance(node, Mapping):
                return path
            if part not in node:
                break
            node = node[part]
        else:
            return path
    return default


def _preset_path(name: str) -> Path:
    return PRESETS_DIR / f"{name}.toml"


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def _is_bare_name(text: str) -> bool:
    """Tell whether `text` is a preset name: no folder part and no ``.toml`` suffix.

    ``baseline`` is one, ``./baseline`` is not.
    """
    separators = {"/", "\\", os.sep, os.altsep or os.sep}
    return (
        text not in ("", ".", "..")
        and not text.lower().endswith(".toml")
        and not any(s in text for s in separators)
    )


def _resolve(path: Path, file: Path, key: str, value: str) -> Path:
    """`path` resolved; a symlink loop or an impossible path is a `ScenarioError`."""
    try:
        return path.resolve()
    except (RuntimeError, OSError, ValueError) as error:
        # Python < 3.13 raises RuntimeError on a symlink loop, later versions OSError(ELOOP).
        if isinstance(error, RuntimeError) or getattr(error, "errno", None) == errno.ELOOP:
            problem = "symlink loop" if key == "(file)" else f"{value!r} is a symlink loop"
            what = "a scenario file" if key in ("(file)", "extends") else "a real file"
            raise ScenarioError(file, key, problem, f"point the link at {what}") from None
        raise ScenarioError(file, key, f"bad path {value!r} ({error})", "fix the path") from None


def scenario_file(path: str | Path) -> Path:
    """Return the file that `path` names: a bare name is a preset (else a file of that name)."""
    text = str(path)
    bare = _is_bare_name(text)
    if bare and text in preset_names():
        return _preset_path(text)
    given = Path(text).absolute()
    file = _resolve(given, given, "(file)", text)
    presets = ", ".join(preset_names())
    if file.is_dir():
        raise ScenarioError(
            given,
            "(file)",
            "is a folder, not a scenario file",
            f"give a .toml file or one of the presets: {presets}",
        )
    if bare and not file.exists():
        close = difflib.get_close_matches(text, preset_names(), n=1)
        fix = (
            f"did you mean {close[0]!r}? The presets: {presets}"
            if close
            else f"use a .toml file or one of the presets: {presets}"
        )
        raise ScenarioError(given, "(file)", f"no preset or file named {text!r}", fix)
    return file


def _decode_error(data: bytes, error: UnicodeDecodeError) -> str:
    start = error.start
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    return f"not UTF-8 text (byte 0x{data[start]:02x} at line {line}, column {column})"


def _read_toml(path: Path, *, referrer: Path | None) -> dict[str, Any]:
    """Read the TOML settings of `path`; a missing file is reported against `referrer`'s extends.

    A UTF-8 byte order mark (Windows Notepad writes one) is accepted.
    """
    if not path.is_file():
        shown = str(path)
        folder = path.is_dir()
        if referrer is not None:
            problem = (
                f"{shown!r} is a folder, not a scenario file"
                if folder
                else f"file {shown!r} not found"
            )
            raise ScenarioError(referrer, "extends", problem, "check the path")
        # The file loaded: `_scenario_file` has already turned folders away.
        raise ScenarioError(path, "(file)", "file not found", "check the path or use a preset")
    try:
        data = path.read_bytes()
    except OSError as error:
        problem = f"cannot read it ({error.strerror or error})"
        raise ScenarioError(path, "(file)", problem, "check the file's permissions") from None
    data = data.removeprefix(codecs.BOM_UTF8)  # positions below then count from the text
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = _decode_error(data, error)
        fix = "save it as UTF-8 (Notepad: Save as, Encoding UTF-8)"
        raise ScenarioError(path, "(file)", problem, fix) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(path, "(toml)", str(error), "fix the TOML syntax there") from None
    except RecursionError:
        problem = "arrays or inline tables nested too deeply"
        raise ScenarioError(path, "(toml)", problem, "fix the TOML there") from None


def _resolve_extends(value: object, file: Path) -> Path:
    if not isinstance(value, str) or not value:
        got = "empty text" if value == "" else kind_of(value)
        raise ScenarioError(
            file,
            "extends",
            f"{show(value)} is {got}, expected a file or preset name",
            'write extends = "baseline" or a path to a .toml file',
        )
    if _is_bare_name(value):
        if value not in preset_names():
            raise ScenarioError(
                file,
                "extends",
                f"unknown preset {value!r}",
                f"use one of {', '.join(preset_names())}",
            )
        return _preset_path(value)
    return _relative(file, "extends", value)


def _relative(file: Path, key: str, value: str) -> Path:
    """`value`, a path relative to `file`, made absolute."""
    return _resolve(file.parent / value, file, key, value)


def _absolute_paths(raw: dict[str, Any], file: Path) -> dict[str, Any]:
    """Make the relative data paths of `raw` absolute (they are relative to `file`)."""
    out = dict(raw)
    dataset = out.get("dataset")
    if isinstance(dataset, str) and dataset.lower().endswith(".gpkg"):
        out["dataset"] = str(_relative(file, "dataset", dataset))
    facilities = out.get("facilities")
    if isinstance(facilities, str) and facilities:
        out["facilities"] = str(_relative(file, "facilities", facilities))
    centres = out.get("centres")
    existing = centres.get("existing") if isinstance(centres, dict) else None
    if isinstance(centres, dict) and isinstance(existing, str) and existing:
        out["centres"] = {**centres, "existing": str(_relative(file, "centres.existing", existing))}
    return out


def merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge, anything else in `child` replaces (iterative: any depth)."""
    out = dict(base)
    todo: list[tuple[dict[str, Any], Mapping[str, Any]]] = [(out, child)]
    while todo:
        target, source = todo.pop()
        for key, value in source.items():
            old = target.get(key)
            if isinstance(old, Mapping) and isinstance(value, Mapping):
                merged = dict(old)
                target[key] = merged
                todo.append((merged, value))
            else:
                target[key] = value
    return out


def load_layers(
    file: Path, check: Callable[[dict[str, Any], Path], None]
) -> list[tuple[Path, dict[str, Any]]]:
    """`file` and the files it extends, child first, each with the settings it sets itself.

    Iterative with at most `MAX_EXTENDS` files, so that no chain is too long for the stack;
    `check` sees the settings of each file (unknown keys) before its parent is read.
    """
    layers: list[tuple[Path, dict[str, Any]]] = []
    path, referrer = file, None
    while True:
        raw = _absolute_paths(_read_toml(path, referrer=referrer), path)
        parent = raw.pop("extends", None)
        check(raw, path)
        layers.append((path, raw))
        if parent is None:
            return layers
        target = _resolve_extends(parent, path)
        seen = [p for p, _ in layers]
        if target in seen:
            loop = " -> ".join(p.name for p in (*seen, target))
            raise ScenarioError(path, "extends", f"cycle {loop}", "remove one of the extends")
        if len(layers) >= MAX_EXTENDS:
            raise ScenarioError(
                path,
                "extends",
                f"more than {MAX_EXTENDS} files in the extends chain",
                "shorten the chain (a preset counts too)",
            )
        path, referrer = target, path
