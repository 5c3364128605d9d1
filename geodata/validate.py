"""Validation of the world's frames: demand points, facilities and administrative units.

Each ``validate_*`` function checks a table against its data contract
(``docs/data_contract.md``), gathers every problem, and raises one `DataValidationError` whose
one-line message names the source file, the column, how many rows are affected, the first of
them and the fix::

    facilities.csv: column 'beds': 1 values are not finite ('1e400') (1 rows, first F2) - ...

On success it returns a normalised copy: WGS-84 points, codes and ids as strings, numbers as
floats, flags as booleans. The same functions check the shipped dataset, a user's file given to
``healthplan data validate`` and a file named in a scenario, so one file gets one verdict.

A table is either a GeoDataFrame (GeoPackage, GeoJSON) or a plain DataFrame as read from CSV,
with ``lon``/``lat`` (or ``longitude``/``latitude``, ``x``/``y``) columns, cells as text. The
parsing rules for text cells (what counts as empty, a number, a flag) are in
`geodata._checks`, the location checks in `geodata._locate`. Problems that make the rest
meaningless (no CRS, every point in another CRS), missing required columns and a table without
rows stop the checks at once; all other problems are gathered and reported together.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geodata._checks import (
    Rows,
    blank,
    code_problems,
    examples,
    flag_column,
    number_column,
)
from geodata._locate import (
    OUTSIDE_TOLERANCE_M,
    coordinate_columns,
    geometry_problems,
    located,
    normalise_crs,
    points_from_lonlat,
)
from geodata.errors import DataProblem, DataValidationError
from geodata.schema import (
    ADMIN_LEVELS,
    ADMIN_UNIT_COLUMNS,
    COUNTY_TYPES,
    DEMAND_AGE_BANDS,
    DEMAND_COLUMNS,
    FACILITY_COLUMNS,
    SERVICE_TIERS,
    TIERS,
    URBAN_AREA_PREFIX,
    county_type_of,
)

__all__ = [
    "OUTSIDE_TOLERANCE_M",
    "coordinate_columns",
    "normalise_crs",
    "points_from_lonlat",
    "validate_admin_units",
    "validate_demand",
    "validate_facilities",
]

#: Facility columns holding true/false flags, with the value used when the column is absent.
FACILITY_FLAGS = {"is_proxy": False, "general_care": True}


def _missing_columns(
    frame: pd.DataFrame, required: Iterable[str], source: str, what: str
) -> list[DataProblem]:
    required = tuple(required)
    missing = [c for c in required if c not in frame.columns]
    if not missing:
        return []
    return [
        DataProblem(
            source,
            "columns",
            f"missing required column(s) {', '.join(repr(c) for c in missing)}",
            f"a {what} table needs {', '.join(required)} and a Point geometry "
            "(or lon/lat columns in CSV)",
        )
    ]


def _no_rows(frame: pd.DataFrame, source: str, what: str, one: str) -> list[DataProblem]:
    if len(frame):
        return []
    return [
        DataProblem(
            source,
            "rows",
            f"no {what} (the table has a header but no rows)",
            f"add one row per {one} below the header",
        )
    ]


def _id_problems(frame: pd.DataFrame, column: str, rows: Rows) -> list[DataProblem]:
    """Empty and duplicate ids."""
    problems: list[DataProblem] = []
    empty = blank(frame[column])
    if empty.any():
        problems.append(
            rows.problem(
                column,
                empty,
                f"{int(empty.sum())} ids are empty",
                "give every row its own id",
            )
        )
    ids = frame[column].astype("string")
    dup = ids.duplicated(keep=False) & ~empty
    if dup.any():
        problems.append(
            rows.problem(
                column,
                dup,
                f"{ids[dup].nunique()} ids occur more than once "
                f"({examples(ids[dup].unique()[:5])})",
                "give every row its own id",
            )
        )
    return problems


def _text_problems(frame: pd.DataFrame, column: str, rows: Rows) -> list[DataProblem]:
    empty = blank(frame[column])
    if not empty.any():
        return []
    return [
        rows.problem(
            column,
            empty,
            f"{int(empty.sum())} values are empty",
            f"fill '{column}' in every row",
        )
    ]


#: Codes nest (GB/T 2260): child column -> (parent column, digits of the child that make the
#: parent's code, padding, how to say it).
_NESTING = {
    "county_code": ("city_code", 4, "00", "the first four digits of county_code, then 00"),
    "township_code": ("county_code", 6, "", "the first six digits of township_code"),
}


def _nesting_problems(codes: dict[str, pd.Series], child: str, rows: Rows) -> list[DataProblem]:
    """Rows whose parent code is not the one their `child` code belongs to."""
    parent, digits, padding, rule = _NESTING[child]
    if child not in codes or parent not in codes:
        return []
    implied = codes[child].str[:digits] + padding
    bad = codes[parent] != implied
    if not bad.any():
        return []
    first = int(bad.to_numpy().argmax())
    child_unit, parent_unit = child.removesuffix("_code"), parent.removesuffix("_code")
    return [
        rows.problem(
            parent,
            bad,
            f"{int(bad.sum())} values do not match {child} ({child_unit} "
            f"{codes[child].iloc[first]} is in {parent_unit} {implied.iloc[first]}, "
            f"not {codes[parent].iloc[first]})",
            f"write the {parent_unit} of the row's {child_unit} ({rule}), or correct {child}",
        )
    ]


def _code_columns(
    frame: pd.DataFrame, lengths: dict[str, int], rows: Rows
) -> tuple[list[DataProblem], dict[str, pd.Series]]:
    """Check the code columns present and their nesting; return problems and good columns."""
    problems: list[DataProblem] = []
    codes: dict[str, pd.Series] = {}
    for column, length in lengths.items():
        if column not in frame.columns:
            continue
        found, values = code_problems(frame, column, length, rows)
        problems += found
        frame[column] = values
        if not found:
            codes[column] = values.astype(str)
    for child in _NESTING:
        problems += _nesting_problems(codes, child, rows)
    return problems, codes


def _raise_if(problems: list[DataProblem]) -> None:
    if problems:
        raise DataValidationError(problems)


def _service_problems(gdf: pd.DataFrame, rows: Rows) -> list[DataProblem]:
    """``service_area`` on county rows and ``service_tier`` on township rows, when present."""
    problems: list[DataProblem] = []
    level = gdf["level"].astype("string").fillna("")
    if "service_area" in gdf.columns:
        area = gdf["service_area"].astype("string").fillna("")
        code = gdf["code"].astype("string").fillna("")
        urban = URBAN_AREA_PREFIX + gdf["parent_code"].astype("string").fillna("")
        bad = level.eq("county") & ~(area.eq(code) | area.eq(urban))
        if bad.any():
            problems.append(
                rows.problem(
                    "service_area",
                    bad,
                    f"{int(bad.sum())} county rows have a service area that is neither their own "
                    f"code nor {URBAN_AREA_PREFIX}<city code> ({examples(area[bad].unique()[:5])})",
                    "write the county's own code (a county, county-level city or suburban "
                    f"district) or {URBAN_AREA_PREFIX}<parent_code> (a core urban district)",
                )
            )
    if "service_tier" in gdf.columns:
        tier = gdf["service_tier"].astype("string").fillna("")
        bad = level.eq("township") & ~tier.isin(SERVICE_TIERS)
        if bad.any():
            problems.append(
                rows.problem(
                    "service_tier",
                    bad,
                    f"{int(bad.sum())} township rows have no or an unknown service tier "
                    f"({examples(tier[bad].unique()[:5])})",
                    f"use one of {', '.join(SERVICE_TIERS)} on every township row",
                )
            )
    return problems


def validate_admin_units(units: pd.DataFrame, *, source: str = "admin_units") -> gpd.GeoDataFrame:
    """Check an admin-units layer and return it normalised.

    Parameters
    ----------
    units
        One row per unit with `geodata.schema.ADMIN_UNIT_COLUMNS` (optional columns in
        `geodata.schema.ADMIN_UNIT_OPTIONAL_COLUMNS`): polygons for province, city and county
        rows, seat points for township rows.
    source
        Name used in error messages (the file and layer).

    Returns
    -------
    geopandas.GeoDataFrame
        The units with ``code`` and ``parent_code`` as text (empty for the province's parent)
        and a ``county_type`` column: the file's values on county rows, derived from
        ``name_zh`` with `geodata.schema.county_type_of` when the column is absent, empty on
        the other rows.

    Notes
    -----
    Checked, and reported together: the required columns, ``level`` one of
    `geodata.schema.ADMIN_LEVELS`, ``county_type`` one of `geodata.schema.COUNTY_TYPES` on
    every county row, ``population`` (when present) numbers that are not negative,
    ``service_area`` (when present) the county's own code or ``urban-<parent_code>`` on every
    county row, ``service_tier`` (when present) one of `geodata.schema.SERVICE_TIERS` on every
    township row.
    """
    _raise_if(_missing_columns(units, ADMIN_UNIT_COLUMNS, source, "admin_units"))
    gdf = gpd.GeoDataFrame(units.copy())
    rows = Rows.of(gdf, "code", source=source)
    problems: list[DataProblem] = []
    unknown = ~gdf["level"].isin(ADMIN_LEVELS)
    if unknown.any():
        problems.append(
            rows.problem(
                "level",
                unknown,
                f"{int(unknown.sum())} rows have unknown levels "
                f"({examples(gdf.loc[unknown, 'level'].fillna('').unique()[:5])})",
                f"use one of {', '.join(ADMIN_LEVELS)}",
            )
        )
    county = gdf["level"].eq("county")
    if "county_type" in gdf.columns:
        kinds = gdf["county_type"].astype("string").fillna("")
        bad = county & ~kinds.isin(COUNTY_TYPES)
        if bad.any():
            problems.append(
                rows.problem(
                    "county_type",
                    bad,
                    f"{int(bad.sum())} county rows have no or an unknown county type "
                    f"({examples(kinds[bad].unique()[:5])})",
                    f"use one of {', '.join(COUNTY_TYPES)} on every county row, or leave out "
                    "the column to derive it from name_zh (区, 市, 县)",
                )
            )
    else:
        kinds = gdf["name_zh"].astype("string").fillna("").map(county_type_of)
    problems += _service_problems(gdf, rows)
    if "population" in gdf.columns:
        found, population = number_column(gdf, "population", rows, required=False)
        problems += found
        whole = population.notna().all() and (population % 1 == 0).all()
        gdf["population"] = population.astype("int64") if whole else population
    _raise_if(problems)
    for column in ("code", "parent_code"):
        gdf[column] = gdf[column].fillna("").astype(str)
    gdf["county_type"] = kinds.where(county, "").astype(str)
    return gdf


def validate_demand(
    demand: pd.DataFrame,
    *,
    source: str = "demand",
    province: BaseGeometry | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Check a demand layer and return it normalised.

    Parameters
    ----------
    demand
        One Point per demand unit with `DEMAND_COLUMNS` (age bands optional): a GeoDataFrame,
        or a plain table with lon/lat columns as read from CSV.
    source
        Name used in error messages (the file, or file and layer).
    province
        Province polygon in WGS-84; points farther than ``OUTSIDE_TOLERANCE_M`` outside it
        are reported.
    crs
        CRS of the lon/lat columns of a plain table (default WGS-84).
    """
    problems = _missing_columns(demand, DEMAND_COLUMNS, source, "demand")
    problems += _no_rows(demand, source, "demand points", "demand point")
    _raise_if(problems)
    rows = Rows.of(demand, "demand_id", source=source)
    problems, gdf, reported, field = located(demand, rows, crs)
    problems += _id_problems(gdf, "demand_id", rows)
    lengths = {"township_code": 9, "county_code": 6, "city_code": 6}
    found, _ = _code_columns(gdf, lengths, rows)
    problems += found
    found, population = number_column(gdf, "population", rows, required=True)
    problems += found
    for band in DEMAND_AGE_BANDS:
        if band in gdf.columns:
            found, gdf[band] = number_column(gdf, band, rows, required=True)
            problems += found
    problems += geometry_problems(gdf, rows, reported, field=field, province=province)
    _raise_if(problems)
    gdf["demand_id"] = gdf["demand_id"].astype(str)
    gdf["population"] = population.astype("int64") if (population % 1 == 0).all() else population
    return gdf


def _township_code_problems(
    gdf: pd.DataFrame, codes: dict[str, pd.Series], rows: Rows
) -> list[DataProblem]:
    """Check the optional ``township_code``: empty, or 9 digits in the row's county."""
    series = gdf["township_code"]
    if pd.api.types.is_numeric_dtype(series) and series.notna().any():
        found, _ = code_problems(gdf, "township_code", 9, rows)
        return found
    text = series.astype("string").fillna("").str.strip()
    gdf["township_code"] = text.astype(str)
    given = text.ne("")
    bad = given & ~text.str.fullmatch(r"\d{9}").fillna(value=False).astype(bool)
    if "county_code" in codes:
        bad |= given & ~bad & text.str[:6].ne(codes["county_code"])
    if not bad.any():
        return []
    return [
        rows.problem(
            "township_code",
            bad,
            f"{int(bad.sum())} values are not 9-digit codes of a township in the row's county "
            f"({examples(text[bad].head(5).tolist())})",
            "leave it empty (hospitals) or write the 9-digit code whose first six digits are "
            "county_code",
        )
    ]


def validate_facilities(
    facilities: pd.DataFrame,
    *,
    source: str = "facilities",
    province: BaseGeometry | None = None,
    counties: Iterable[str] | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Check a facility layer and return it normalised.

    Parameters
    ----------
    facilities
        One Point per facility with `FACILITY_COLUMNS` (optional columns are listed in
        `geodata.schema.FACILITY_OPTIONAL_COLUMNS`): a GeoDataFrame, or a plain table with
        lon/lat columns as read from CSV.
    source
        Name used in error messages.
    province
        Province polygon in WGS-84 for the outside-the-province check.
    counties
        Known county codes; a facility naming another county is reported.
    crs
        CRS of the lon/lat columns of a plain table (default WGS-84).

    Notes
    -----
    Checked, and reported together: ids present and unique, ``name_zh`` present, known tiers,
    6-digit county and city codes with the city the county belongs to (its first four digits
    and ``00``), counties of the dataset, ``beds`` and ``upgrade_cost_cny`` finite and not
    negative (empty allowed), ``is_proxy`` and ``general_care`` strictly true/false (see
    `geodata._checks.FLAG_SPELLINGS`), ``township_code`` (optional) empty or a 9-digit code
    in the row's county, one point per row inside the province (unless `province` is None).
    """
    problems = _missing_columns(facilities, FACILITY_COLUMNS, source, "facility")
    problems += _no_rows(facilities, source, "facilities", "facility")
    _raise_if(problems)
    rows = Rows.of(facilities, "facility_id", source=source)
    problems, gdf, reported, field = located(facilities, rows, crs)
    problems += _id_problems(gdf, "facility_id", rows)
    problems += _text_problems(gdf, "name_zh", rows)
    unknown = ~gdf["tier"].isin(TIERS)
    if unknown.any():
        problems.append(
            rows.problem(
                "tier",
                unknown,
                f"{int(unknown.sum())} rows have unknown tiers "
                f"({examples(gdf.loc[unknown, 'tier'].fillna('').unique()[:5])})",
                f"use one of {', '.join(TIERS)}",
            )
        )
    found, codes = _code_columns(gdf, {"county_code": 6, "city_code": 6}, rows)
    problems += found
    if counties is not None and "county_code" in codes:
        stray = ~codes["county_code"].isin(set(counties))
        if stray.any():
            problems.append(
                rows.problem(
                    "county_code",
                    stray,
                    f"{int(stray.sum())} rows name counties not in the dataset "
                    f"({examples(codes['county_code'][stray].unique()[:5])})",
                    "use the 6-digit code of a county of this dataset "
                    "(`healthplan data info` lists them)",
                )
            )
    for column in ("beds", "upgrade_cost_cny"):
        if column in gdf.columns:
            found, gdf[column] = number_column(gdf, column, rows, required=False)
            problems += found
    if "township_code" in gdf.columns:
        problems += _township_code_problems(gdf, codes, rows)
    for column in FACILITY_FLAGS:
        if column in gdf.columns:
            found, gdf[column] = flag_column(gdf, column, rows)
            problems += found
    problems += geometry_problems(gdf, rows, reported, field=field, province=province)
    _raise_if(problems)
    gdf["facility_id"] = gdf["facility_id"].astype(str)
    if "name_en" not in gdf.columns:
        gdf["name_en"] = ""
    for column, default in FACILITY_FLAGS.items():
        if column not in gdf.columns:
            gdf[column] = default
    return gdf
