"""Validation of the world's frames: demand points, facilities and administrative units.

Each ``validate_*`` function checks a table against its data contract (DESIGN.md), gathers
every problem, and raises one `DataValidationError` whose one-line message names the source
file, the column, how many rows are affected, the first of them and the fix::

    facilities.csv: column 'beds': 1 values are not finite ('1e400') (1 rows, first F2) - ...

On success it returns a normalised copy: WGS-84 points, codes and ids as strings, numbers as
floats, flags as booleans. The same functions check the shipped dataset, a user's file given to
``healthplan data validate`` and a file named in a scenario, so one file gets one verdict.

A table is either a GeoDataFrame (GeoPackage, GeoJSON) or a plain DataFrame as read from CSV,
with ``lon``/``lat`` (or ``longitude``/``latitude``, ``x``/``y``) columns, cells as text. The
parsing rules for text cells (what counts as empty, a number, a flag) are in
`geodata._checks`. Problems that make the rest meaningless (no CRS, every point in another
CRS), missing required columns and a table without rows stop the checks at once; all other
problems are gathered and reported together.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geodata._checks import (
    Rows,
    blank,
    code_problems,
    examples,
    flag_column,
    number_column,
)
from geodata.errors import DataProblem, DataValidationError
from geodata.schema import (
    DEMAND_AGE_BANDS,
    DEMAND_COLUMNS,
    FACILITY_COLUMNS,
    TIERS,
)
from geodata.settings import METRIC_CRS, STORAGE_CRS

__all__ = [
    "coordinate_columns",
    "normalise_crs",
    "points_from_lonlat",
    "validate_demand",
    "validate_facilities",
]

#: Distance a point may lie outside the province polygon before it counts as misplaced:
#: boundaries are generalised and coastal seats sit on the shore line.
OUTSIDE_TOLERANCE_M = 2_000.0

#: Accepted names of the coordinate columns of a plain table, matched case-insensitively.
LON_LAT_NAMES = (("lon", "lat"), ("longitude", "latitude"), ("x", "y"))

#: Facility columns holding true/false flags, with the value used when the column is absent.
FACILITY_FLAGS = {"is_proxy": False, "general_care": True}


def coordinate_columns(frame: pd.DataFrame) -> tuple[str, str] | None:
    """The (longitude, latitude) column names of a plain table, or None when it has none."""
    lower = {str(c).lower(): str(c) for c in frame.columns}
    for lon_name, lat_name in LON_LAT_NAMES:
        if lon_name in lower and lat_name in lower:
            return lower[lon_name], lower[lat_name]
    return None


def _require_crs(gdf: gpd.GeoDataFrame, source: str) -> None:
    if gdf.crs is None:
        raise DataValidationError(
            [
                DataProblem(
                    source,
                    "crs",
                    "the layer has no coordinate reference system",
                    "set it (e.g. gdf.set_crs('EPSG:4326')) or save the file with its CRS",
                )
            ]
        )


def _outside_degrees(bounds: pd.DataFrame) -> pd.Series:
    return (
        (bounds["minx"] < -180)
        | (bounds["maxx"] > 180)
        | (bounds["miny"] < -90)
        | (bounds["maxy"] > 90)
    )


def _swapped(bounds: pd.DataFrame) -> pd.Series:
    y_high = (bounds["miny"].abs() > 90) | (bounds["maxy"].abs() > 90)
    x_low = (bounds["minx"].abs() <= 90) & (bounds["maxx"].abs() <= 90)
    return y_high & x_low


def _require_degrees(gdf: gpd.GeoDataFrame, source: str) -> None:
    """Stop when a geographic layer has no point in degrees: its CRS is wrong, not its rows."""
    if not gdf.crs.is_geographic:
        return
    geoms = gdf.geometry
    present = ~(geoms.isna() | geoms.is_empty)
    bounds = geoms.bounds
    finite = pd.Series(np.isfinite(bounds.to_numpy()).all(axis=1), index=gdf.index)
    outside = present & finite & _outside_degrees(bounds) & ~_swapped(bounds)
    checked = present & finite
    if checked.any() and outside[checked].all():
        raise DataValidationError(
            [
                DataProblem(
                    source,
                    "crs",
                    f"CRS {gdf.crs.to_string()} is geographic but coordinates reach "
                    f"{geoms[checked].total_bounds.round(1).tolist()}, which are not degrees",
                    "declare the CRS the coordinates are really in (e.g. EPSG:32651)",
                )
            ]
        )


def normalise_crs(gdf: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Return `gdf` in WGS-84, or raise if its CRS is missing or contradicts its coordinates.

    A frame in another CRS (e.g. a projected one) is reprojected; a frame that claims to be
    geographic but where no point has longitude/latitude coordinates is rejected. Single rows
    outside the degree ranges are reported by the ``validate_*`` functions, by id.
    """
    _require_crs(gdf, source)
    _require_degrees(gdf, source)
    if gdf.crs.to_string() != STORAGE_CRS:
        gdf = gdf.to_crs(STORAGE_CRS)
    return gdf


_DEGREES_FIX = "write decimal degrees (or give the CRS the coordinates are really in)"


def _points_from_columns(
    frame: pd.DataFrame, rows: Rows, crs: str
) -> tuple[list[DataProblem], gpd.GeoDataFrame, pd.Series, str]:
    """Points from the lon/lat columns of a plain table; bad rows get no geometry."""
    names = coordinate_columns(frame)
    if names is None:
        problem = DataProblem(
            rows.source,
            "columns",
            "no coordinate columns found",
            "add 'lon' and 'lat' columns in decimal degrees (WGS-84)",
        )
        nowhere = gpd.GeoSeries([None] * len(frame), index=frame.index, crs=crs)
        every = pd.Series(data=True, index=frame.index)
        return [problem], gpd.GeoDataFrame(frame, geometry=nowhere), every, "columns"
    lon_name, lat_name = names
    field = f"columns '{lon_name}'/'{lat_name}'"
    fix = "give every row decimal-degree lon and lat"
    problems, lon = number_column(
        frame, lon_name, rows, required=True, non_negative=False, missing_fix=fix
    )
    found, lat = number_column(
        frame, lat_name, rows, required=True, non_negative=False, missing_fix=fix
    )
    problems += found
    bad = lon.isna() | lat.isna()
    if pyproj.CRS.from_user_input(crs).is_geographic:
        swapped = ~bad & (lat.abs() > 90) & (lon.abs() <= 90)
        if swapped.any():
            pairs = zip(frame.loc[swapped, lon_name], frame.loc[swapped, lat_name], strict=True)
            problems.append(
                rows.problem(
                    lat_name,
                    swapped,
                    "longitude and latitude look swapped (latitude above 90; "
                    f"{lon_name}, {lat_name} = {examples(f'{x}, {y}' for x, y in pairs)})",
                    f"put longitude in '{lon_name}' and latitude in '{lat_name}'",
                    field=field,
                )
            )
        for column, values, limit in ((lat_name, lat, 90), (lon_name, lon, 180)):
            out = ~bad & ~swapped & (values.abs() > limit)
            if out.any():
                problems.append(
                    rows.problem(
                        column,
                        out,
                        f"{int(out.sum())} values are outside -{limit}..{limit} "
                        f"({examples(frame.loc[out, column].unique())})",
                        _DEGREES_FIX,
                    )
                )
                bad |= out
        bad |= swapped
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), index=frame.index, crs=crs)
    points[bad] = None
    gdf = gpd.GeoDataFrame(frame.drop(columns=[lon_name, lat_name]), geometry=points)
    return problems, gdf, bad, field


def points_from_lonlat(
    frame: pd.DataFrame, *, source: str, crs: str = STORAGE_CRS
) -> gpd.GeoDataFrame:
    """A plain table with lon/lat columns as points in `crs`; raise if a row has none.

    Only the coordinates are checked (numbers, finite, degrees in a geographic CRS); rows are
    named by position (``data row <k>``) as the table's contract is not known here.
    """
    problems, gdf, _, _ = _points_from_columns(frame, Rows.of(frame, "", source=source), crs)
    _raise_if(problems)
    return gdf


def _located(
    frame: pd.DataFrame, rows: Rows, crs: str | None
) -> tuple[list[DataProblem], gpd.GeoDataFrame, pd.Series, str]:
    """The table as points in WGS-84 and the rows whose location is already reported.

    Returns the problems, the GeoDataFrame (no geometry on reported rows), the reported rows
    and the field that names the location in messages.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        found, points, located, field = _points_from_columns(frame, rows, crs or STORAGE_CRS)
        return found, normalise_crs(points, source=rows.source), located, field
    _require_crs(frame, rows.source)
    _require_degrees(frame, rows.source)
    gdf = frame.copy()
    problems: list[DataProblem] = []
    geoms = gdf.geometry
    present = ~(geoms.isna() | geoms.is_empty)
    bounds = geoms.bounds
    infinite = present & ~pd.Series(np.isfinite(bounds.to_numpy()).all(axis=1), index=gdf.index)
    checks = [
        (
            infinite,
            f"{int(infinite.sum())} points have infinite or NaN coordinates",
            "give every row a finite point",
        )
    ]
    if gdf.crs.is_geographic:
        swapped = present & ~infinite & _swapped(bounds)
        outside = present & ~infinite & ~swapped & _outside_degrees(bounds)
        checks += [
            (
                swapped,
                "longitude and latitude look swapped (y above 90)",
                "write x = longitude, y = latitude (lon before lat)",
            ),
            (
                outside,
                f"{int(outside.sum())} points are outside longitude -180..180 or latitude -90..90",
                _DEGREES_FIX,
            ),
        ]
    reported = pd.Series(data=False, index=gdf.index)
    for mask, text, fix in checks:
        if mask.any():
            problems.append(rows.problem("geometry", mask, text, fix))
            reported |= mask
    gdf.loc[reported, gdf.geometry.name] = None
    return problems, normalise_crs(gdf, source=rows.source), reported, "column 'geometry'"


def _geometry_problems(
    gdf: gpd.GeoDataFrame,
    rows: Rows,
    reported: pd.Series,
    *,
    field: str,
    province: BaseGeometry | None,
) -> list[DataProblem]:
    problems: list[DataProblem] = []
    geoms = gdf.geometry
    empty = (geoms.isna() | geoms.is_empty) & ~reported
    if empty.any():
        problems.append(
            rows.problem(
                "geometry",
                empty,
                f"{int(empty.sum())} rows have no location "
                f"({examples(rows.labels[empty].head(5).tolist())})",
                "give every row a point (or lon/lat)",
                field=field,
            )
        )
    located = ~(geoms.isna() | geoms.is_empty)
    not_point = located & (geoms.geom_type != "Point")
    if not_point.any():
        problems.append(
            rows.problem(
                "geometry",
                not_point,
                f"{int(not_point.sum())} rows are not points "
                f"({examples(geoms[not_point].geom_type.unique())})",
                "use one Point per row (e.g. the representative point of a polygon)",
                field=field,
            )
        )
    points = located & ~not_point
    if province is not None and points.any():
        region = gpd.GeoSeries([province], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
        metric = geoms[points].to_crs(METRIC_CRS)
        distance = shapely.distance(np.asarray(metric.values), region)
        outside = pd.Series(data=False, index=gdf.index)
        outside[points] = distance > OUTSIDE_TOLERANCE_M
        if outside.any():
            problems.append(
                rows.problem(
                    "geometry",
                    outside,
                    f"{int(outside.sum())} points lie outside the province by more than "
                    f"{OUTSIDE_TOLERANCE_M / 1000:g} km "
                    f"({examples(rows.labels[outside].head(5).tolist())})",
                    "check lon/lat order and the CRS (GCJ-02 or BD-09 data must be converted "
                    "to WGS-84 first)",
                    field=field,
                )
            )
    return problems


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
    problems, gdf, reported, field = _located(demand, rows, crs)
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
    problems += _geometry_problems(gdf, rows, reported, field=field, province=province)
    _raise_if(problems)
    gdf["demand_id"] = gdf["demand_id"].astype(str)
    gdf["population"] = population.astype("int64") if (population % 1 == 0).all() else population
    return gdf


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
    `geodata._checks.FLAG_SPELLINGS`), one point per row inside the province.
    """
    problems = _missing_columns(facilities, FACILITY_COLUMNS, source, "facility")
    problems += _no_rows(facilities, source, "facilities", "facility")
    _raise_if(problems)
    rows = Rows.of(facilities, "facility_id", source=source)
    problems, gdf, reported, field = _located(facilities, rows, crs)
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
    for column in FACILITY_FLAGS:
        if column in gdf.columns:
            found, gdf[column] = flag_column(gdf, column, rows)
            problems += found
    problems += _geometry_problems(gdf, rows, reported, field=field, province=province)
    _raise_if(problems)
    gdf["facility_id"] = gdf["facility_id"].astype(str)
    if "name_en" not in gdf.columns:
        gdf["name_en"] = ""
    for column, default in FACILITY_FLAGS.items():
        if column not in gdf.columns:
            gdf[column] = default
    return gdf
