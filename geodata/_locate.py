"""Where the rows of a table are: points from lon/lat columns or a layer's geometry.

Used by the validators in `geodata.validate`. Coordinates are checked row by row (numbers,
finite, degrees, not swapped, inside the province) and each problem names the rows by id; only
a layer whose CRS cannot be right (none declared, or no point at all in degrees) stops at once.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geodata._checks import Rows, examples, number_column
from geodata.errors import DataProblem, DataValidationError
from geodata.settings import METRIC_CRS, STORAGE_CRS

__all__ = [
    "LON_LAT_NAMES",
    "OUTSIDE_TOLERANCE_M",
    "coordinate_columns",
    "geometry_problems",
    "located",
    "normalise_crs",
    "points_from_lonlat",
]

#: Distance a point may lie outside the province polygon before it counts as misplaced:
#: boundaries are generalised and coastal seats sit on the shore line.
OUTSIDE_TOLERANCE_M = 2_000.0

#: Accepted names of the coordinate columns of a plain table, matched case-insensitively.
LON_LAT_NAMES = (("lon", "lat"), ("longitude", "latitude"), ("x", "y"))


def coordinate_columns(frame: pd.DataFrame) -> tuple[str, str] | None:
    """Return the (longitude, latitude) column names of a plain table, or None if it has none."""
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
        parsed = ~bad & ~swapped
        for column, values, limit in ((lat_name, lat, 90), (lon_name, lon, 180)):
            out = parsed & (values.abs() > limit)
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
    """Turn a plain table with lon/lat columns into points in `crs`; raise if a row has none.

    Only the coordinates are checked (numbers, finite, degrees in a geographic CRS); rows are
    named by position (``data row <k>``) as the table's contract is not known here.
    """
    problems, gdf, _, _ = _points_from_columns(frame, Rows.of(frame, "", source=source), crs)
    if problems:
        raise DataValidationError(problems)
    return gdf


def located(
    frame: pd.DataFrame, rows: Rows, crs: str | None
) -> tuple[list[DataProblem], gpd.GeoDataFrame, pd.Series, str]:
    """Return the table as points in WGS-84 and the rows whose location is already reported.

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


def geometry_problems(
    gdf: gpd.GeoDataFrame,
    rows: Rows,
    reported: pd.Series,
    *,
    field: str,
    province: BaseGeometry | None,
) -> list[DataProblem]:
    """Rows without a location (not yet reported), not points, or outside the province."""
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
