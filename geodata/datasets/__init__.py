"""Datasets shipped inside the package.

``get_path("liaoning")`` returns the folder of the built Liaoning dataset; a wrong name gets a
message listing the valid ones.
"""

from __future__ import annotations

from pathlib import Path

from geodata.errors import HealthplanDataError

__all__ = ["available", "get_path"]

_HERE = Path(__file__).parent


def available() -> list[str]:
    """Names of the shipped datasets."""
    return sorted(p.name for p in _HERE.iterdir() if p.is_dir() and (p / "manifest.json").exists())


def get_path(name: str) -> Path:
    """Folder of the shipped dataset `name`.

    Raises
    ------
    geodata.errors.HealthplanDataError
        (a `ValueError`) If no such dataset ships with the package; the message lists the
        valid names.
    """
    path = _HERE / name
    if not (path / "manifest.json").exists():
        msg = (
            f"no built-in dataset named {name!r} - available: {', '.join(available()) or 'none'}"
            " (or give the path to a GeoPackage with layers admin_units, demand, facilities)"
        )
        raise HealthplanDataError(msg)
    return path
