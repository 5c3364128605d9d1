"""What a briefing reads from a run folder: the summary, county names and shares, the map.

A run folder is written by `scenarios.runner.run_scenario`; a briefing needs only
``summary.json``, ``counties.csv`` (optional: names fall back to codes) and ``map.png``
(optional: the briefing says it is missing).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from scenarios.rundir import read_summary, rounded

__all__ = ["Counties", "Run", "load_run", "map_png"]

#: Shares in ``counties.csv`` are rounded to 6 decimals: counties this close to the worst
#: share are tied with it.
_TIE = 1e-6


@dataclass(frozen=True)
class Counties:
    """County names and covered shares of a run, from its ``counties.csv``.

    Attributes
    ----------
    names
        ``{county_code: (name_zh, name_en)}``.
    shares
        ``{column: {county_code: share}}`` for the ``<tier>_share_before/after`` columns.
    """

    names: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    shares: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[dict[str, str]]) -> Counties:
        """From the rows of ``counties.csv`` read as text."""
        names = {r["county_code"]: (r.get("name_zh", ""), r.get("name_en", "")) for r in rows}
        shares: dict[str, dict[str, float]] = {}
        for row in rows:
            for column, value in row.items():
                if "_share_" in column and value not in ("", None):
                    shares.setdefault(column, {})[row["county_code"]] = float(value)
        return cls(names=names, shares=shares)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Counties:
        """Read the county table of a plan in memory, as ``counties.csv`` holds it.

        Floats are rounded as `scenarios.rundir.write_csv` rounds them.
        """
        rows = rounded(frame).to_dict(orient="records")
        names = {
            str(r["county_code"]): (_text(r.get("name_zh")), _text(r.get("name_en"))) for r in rows
        }
        shares: dict[str, dict[str, float]] = {}
        for row in rows:
            for column, value in row.items():
                if "_share_" in str(column) and not pd.isna(value):
                    shares.setdefault(str(column), {})[str(row["county_code"])] = float(value)
        return cls(names=names, shares=shares)

    def name(self, code: Any, language: str) -> str:
        """Name of a county code in `language` (the code itself when unknown)."""
        if code is None:
            return "-"
        names = self.names.get(str(code))
        if names is None:
            return str(code)
        zh, en = names
        return zh if language == "zh" else (en or zh)

    def tied(self, tier: str, label: str, share: float) -> int:
        """How many counties have `share` at `tier` ``before``/``after`` (0 when unknown)."""
        column = self.shares.get(f"{tier}_share_{label}", {})
        return sum(1 for value in column.values() if abs(value - share) <= _TIE)


@dataclass(frozen=True)
class Run:
    """A run folder's briefing inputs."""

    folder: Path
    summary: dict[str, Any]
    counties: Counties


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def load_run(run_dir: str | os.PathLike[str]) -> Run:
    """Read ``summary.json`` and ``counties.csv`` of `run_dir`.

    Raises
    ------
    scenarios.rundir.RunFolderError
        If `run_dir` has no readable ``summary.json``.
    """
    folder = Path(run_dir)
    summary = read_summary(folder)
    rows: list[dict[str, str]] = []
    table = folder / "counties.csv"
    if table.is_file():
        with table.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
    return Run(folder=folder, summary=summary, counties=Counties.from_rows(rows))


def map_png(folder: Path, language: str) -> Path | None:
    """Find the map image of a run: ``map_<language>.png`` if present (not zh), else ``map.png``."""
    own = folder / f"map_{language}.png"
    if language != "zh" and own.is_file():
        return own
    default = folder / "map.png"
    return default if default.is_file() else None
