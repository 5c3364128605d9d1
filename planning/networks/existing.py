"""The planner's table of existing time-critical centres: read, checked against the world.

The five centre types of `planning.networks.critical` start from the centres that already
exist. A planner who knows them (the provincial health commission's list of certified chest
pain, stroke, maternal, neonatal/child and trauma centres) gives them as a CSV; each listed
centre is open before and after the plan, at no cost and outside the count of new
designations (`critical.plan_centres`, ``existing=``), so "before" is the real status quo.

The file (``docs/networks.md``, "Existing centres"; example
``docs/examples/existing_centres.csv``, illustrative rows)::

    facility_id,centre,certified_year,source,name_zh
    H-002,chest_pain,2017,an example row (not a certification),中国医科大学附属盛京医院
    H-002,stroke,,,

* UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8"); one header row; every cell
  is text, only an empty cell is missing.
* ``facility_id`` (required): an id of the world's facility table.
* ``centre`` (required): ``chest_pain``, ``stroke``, ``maternal``, ``neonatal_child`` or
  ``trauma``, or the Chinese name (`CENTRE_ALIASES`: 胸痛中心, 卒中中心, 危重孕产妇救治中心,
  危重新生儿救治中心 or 危重儿童和新生儿救治中心, 创伤中心).
* ``certified_year`` (optional): a year of four digits, 1990-2100 (carried along).
* ``source`` (optional): where the row comes from (carried along).
* ``name_zh`` (optional): when given it must be the facility's ``name_zh``, a check that the
  id is the hospital meant; ``name_en``, ``note`` (optional) are carried along.

One row per facility and centre type: a hospital that holds several centres has several rows.
A row is rejected when the facility cannot host the centre type: its facility tier must be
one of the type's candidate tiers (county-level-and-above hospitals) and its hospital type one
the type accepts (`planning.networks.levels.eligible_sites`). The district rule for new
designations (``district_hospitals``) does not apply: a certified centre in an urban district
hospital is a fact, not a proxy choice. Rows are numbered as in a spreadsheet (the header is
row 1). Every problem is reported together in one `geodata.errors.DataValidationError`, one
line naming the file, the row, the column and the fix.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from geodata.errors import DataProblem, DataValidationError
from geodata.io import read_csv_text
from planning.networks.critical import CENTRE_TYPES, CHAIN_DEFAULTS, ChainSpec
from planning.networks.levels import eligible_sites

if TYPE_CHECKING:
    from geodata.dataset import Dataset

__all__ = [
    "CENTRE_ALIASES",
    "EXISTING_CENTRE_COLUMNS",
    "ExistingCentres",
    "read_existing_centres",
]

#: Columns of the table: the two required ones first.
EXISTING_CENTRE_COLUMNS: Final[tuple[str, ...]] = (
    "facility_id",
    "centre",
    "certified_year",
    "source",
    "name_zh",
    "name_en",
    "note",
)
_REQUIRED: Final = ("facility_id", "centre")

#: Chinese names accepted in the ``centre`` column (the names of the national centre lists).
CENTRE_ALIASES: Final[dict[str, str]] = {
    "胸痛中心": "chest_pain",
    "卒中中心": "stroke",
    "危重孕产妇救治中心": "maternal",
    "危重新生儿救治中心": "neonatal_child",
    "危重儿童和新生儿救治中心": "neonatal_child",
    "创伤中心": "trauma",
}

#: Most problems listed in one message (the rest are counted).
_MAX_PROBLEMS: Final = 10
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class ExistingCentres:
    """A checked table of existing centres.

    Attributes
    ----------
    path
        The file read.
    sha256
        SHA-256 of its bytes.
    table
        One row per centre: ``facility_id``, ``centre`` (the type's key), ``certified_year``,
        ``source`` (empty strings where not given), in file order.
    """

    path: Path
    sha256: str
    table: pd.DataFrame

    def ids(self, centre: str) -> tuple[str, ...]:
        """Return the facility ids holding a centre of type `centre`, in file order."""
        rows = self.table[self.table["centre"] == centre]
        return tuple(rows["facility_id"].astype(str))

    def by_centre(self) -> dict[str, tuple[str, ...]]:
        """Return centre type → facility ids for every type of `CENTRE_TYPES`."""
        return {name: self.ids(name) for name in CENTRE_TYPES}

    def chain_levels(
        self, centre: str, world: Dataset, spec: ChainSpec | None = None
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Split the centres of `centre` into county-level and city-level ones for the chain.

        A centre at a facility of one of the chain's ``second_tiers`` (``city_3a`` by default)
        is city level, any other first-contact (county) level.

        Parameters
        ----------
        centre
            The centre type.
        world
            The world the table was checked against.
        spec
            The chain (default: the type's `CHAIN_DEFAULTS`).
        """
        chain = spec if spec is not None else CHAIN_DEFAULTS[centre]
        tiers = world.facilities.drop_duplicates("facility_id").set_index("facility_id")["tier"]
        ids = self.ids(centre)
        city = tuple(i for i in ids if str(tiers.get(i)) in chain.second_tiers)
        return tuple(i for i in ids if i not in city), city

    def summary(self) -> dict[str, Any]:
        """JSON-friendly: file name, SHA-256, number of rows and centres per type."""
        return {
            "file": self.path.name,
            "sha256": self.sha256,
            "rows": len(self.table),
            "centres": {name: len(ids) for name, ids in self.by_centre().items()},
        }


def _centre_of(text: str) -> str | None:
    if text in CENTRE_TYPES:
        return text
    return CENTRE_ALIASES.get(text)


def _hosting_problem(site: pd.Series, centre: str) -> tuple[str, str] | None:
    """Why the facility `site` cannot host a `centre` centre (problem, fix), or None."""
    level = replace(CENTRE_TYPES[centre], district_hospitals=True)
    frame = site.to_frame().T.reset_index(drop=True)
    if bool(eligible_sites(frame, level)[0]):
        return None
    label = f"facility {site['facility_id']!r} ({site['name_zh']})"
    tier = str(site["tier"])
    fix = "remove the row or check the facility_id"
    if tier not in level.candidate_tiers:
        tiers = ", ".join(level.candidate_tiers)
        return f"{label} is a {tier}; {centre} centres need a hospital of tier {tiers}", fix
    kind = site.get("hospital_type")
    kind = "general" if pd.isna(kind) else str(kind)
    allowed = " or ".join(level.hospital_types)
    named = f", or a name matching {level.name_pattern!r}" if level.name_pattern else ""
    problem = f"{label} is a {kind} hospital; {centre} centres need a {allowed} hospital{named}"
    return problem, fix


def _columns_problems(frame: pd.DataFrame, source: str) -> list[DataProblem]:
    problems = []
    for column in _REQUIRED:
        if column not in frame.columns:
            close = difflib.get_close_matches(column, [str(c) for c in frame.columns], n=1)
            hint = f" (is {close[0]!r} meant?)" if close else ""
            problems.append(
                DataProblem(
                    source,
                    column,
                    f"required column missing{hint}",
                    f"add a {column!r} column (header: {', '.join(_REQUIRED)})",
                )
            )
    for column in frame.columns:
        if column not in EXISTING_CENTRE_COLUMNS:
            close = difflib.get_close_matches(str(column), EXISTING_CENTRE_COLUMNS, n=1)
            fix = (
                f"rename it {close[0]!r}"
                if close
                else f"remove it (columns: {', '.join(EXISTING_CENTRE_COLUMNS)})"
            )
            problems.append(DataProblem(source, str(column), "unknown column", fix))
    return problems


def _row_problems(
    frame: pd.DataFrame, world: Dataset, source: str
) -> tuple[list[DataProblem], list[str]]:
    """Problems of every row, and the canonical centre key of every row ('' when unknown)."""
    sites = world.facilities.drop_duplicates("facility_id")
    sites = sites.set_index(sites["facility_id"].astype(str), drop=False)
    known = sorted(sites.index)
    problems: list[DataProblem] = []
    centres: list[str] = []
    first_row: dict[tuple[str, str], int] = {}
    for position, facility_id, text in zip(
        frame.index.tolist(), frame["facility_id"], frame["centre"], strict=True
    ):
        row = f"{source}: row {position + 2}"
        fid = "" if pd.isna(facility_id) else str(facility_id).strip()
        name = "" if pd.isna(text) else str(text).strip()
        centre = _centre_of(name) or ""
        centres.append(centre)
        if not fid:
            problems.append(DataProblem(row, "facility_id", "empty", "give the facility's id"))
        elif fid not in sites.index:
            close = difflib.get_close_matches(fid, known, n=1)
            fix = f"did you mean {close[0]!r}?" if close else "use a facility_id of the world"
            problems.append(DataProblem(row, "facility_id", f"unknown facility {fid!r}", fix))
        if not name:
            problems.append(
                DataProblem(row, "centre", "empty", f"use one of {', '.join(CENTRE_TYPES)}")
            )
        elif not centre:
            close = difflib.get_close_matches(name, [*CENTRE_TYPES, *CENTRE_ALIASES], n=1)
            kinds = ", ".join(CENTRE_TYPES)
            fix = f"did you mean {close[0]!r}? (types: {kinds})" if close else f"use {kinds}"
            problems.append(DataProblem(row, "centre", f"unknown centre type {name!r}", fix))
        if not fid or fid not in sites.index or not centre:
            continue
        site = sites.loc[fid]
        key = (fid, centre)
        if key in first_row:
            problems.append(
                DataProblem(
                    row,
                    "facility_id",
                    f"{fid} {centre} is listed twice (also row {first_row[key]})",
                    "keep one row per facility and centre type",
                )
            )
            continue
        first_row[key] = position + 2
        hosting = _hosting_problem(site, centre)
        if hosting is not None:
            problems.append(DataProblem(row, "facility_id", *hosting))
        given = frame.at[position, "name_zh"] if "name_zh" in frame.columns else None
        if isinstance(given, str) and given.strip() and given.strip() != str(site["name_zh"]):
            problems.append(
                DataProblem(
                    row,
                    "name_zh",
                    f"{given.strip()!r} but facility {fid!r} is {site['name_zh']!r}",
                    "check the facility_id, or correct or empty the name",
                )
            )
    return problems, centres


def _year_problems(frame: pd.DataFrame, source: str) -> list[DataProblem]:
    problems: list[DataProblem] = []
    if "certified_year" in frame.columns:
        years = zip(frame.index.tolist(), frame["certified_year"], strict=True)
        for position, value in years:
            if pd.isna(value):
                continue
            text = str(value).strip()
            if not _YEAR.fullmatch(text) or not 1990 <= int(text) <= 2100:
                problems.append(
                    DataProblem(
                        f"{source}: row {position + 2}",
                        "certified_year",
                        f"{text!r} is not a year",
                        "write the year of four digits (e.g. 2019) or leave the cell empty",
                    )
                )
    return problems


def _raise(problems: list[DataProblem], source: str) -> None:
    if not problems:
        return
    shown = problems[:_MAX_PROBLEMS]
    if len(problems) > _MAX_PROBLEMS:
        rest = len(problems) - _MAX_PROBLEMS
        shown.append(DataProblem(source, "(rows)", f"{rest} more problems", "fix those above"))
    raise DataValidationError(shown)


def read_existing_centres(path: str | Path, world: Dataset) -> ExistingCentres:
    """Read the table of existing centres and check every row against `world`.

    Parameters
    ----------
    path
        A CSV in the format of this module's docstring.
    world
        The planning world whose facility ids the table names.

    Returns
    -------
    ExistingCentres
        The checked rows (centre names as the type keys), the file and its SHA-256.

    Raises
    ------
    geodata.errors.HealthplanDataError
        One line naming the file, the row, the column and the fix: a missing file, not a CSV,
        not UTF-8, a missing or unknown column, an empty cell, an unknown facility or centre
        type, a row listed twice, a facility that cannot host the centre type, a ``name_zh``
        that is not the facility's, a ``certified_year`` that is not a year.
    """
    file = Path(path)
    source = file.name
    if not file.is_file():
        what = "is a folder, not a file" if file.is_dir() else "file not found"
        raise DataValidationError(
            [DataProblem(str(file), "(file)", what, "give the path of the centres CSV")]
        )
    if file.suffix.lower() != ".csv":
        raise DataValidationError(
            [
                DataProblem(
                    source,
                    "(file)",
                    f"{file.suffix or 'no suffix'}: not a CSV",
                    "save the table as CSV UTF-8 with a .csv name",
                )
            ]
        )
    data = file.read_bytes()
    frame = read_csv_text(file)
    frame.columns = [str(c).strip() for c in frame.columns]
    # Rows of empty cells only (",,," lines a spreadsheet leaves) say nothing: skipped, and the
    # other rows keep their spreadsheet numbers.
    frame = frame[frame.notna().any(axis=1)]
    _raise(_columns_problems(frame, source), source)
    problems, centres = _row_problems(frame, world, source)
    problems += _year_problems(frame, source)
    _raise(problems, source)
    table = pd.DataFrame(
        {
            "facility_id": frame["facility_id"].astype(str).str.strip().reset_index(drop=True),
            "centre": centres,
            "certified_year": _text(frame, "certified_year"),
            "source": _text(frame, "source"),
        }
    )
    return ExistingCentres(path=file, sha256=hashlib.sha256(data).hexdigest(), table=table)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([""] * len(frame), dtype=object)
    return frame[column].fillna("").astype(str).str.strip().reset_index(drop=True)
