"""Readers for user tables: facilities and demand as CSV, GeoPackage layers or GeoJSON.

A CSV needs ``lon``/``lat`` columns (WGS-84 unless ``crs=`` says otherwise); administrative
code columns are always read as text so that leading zeros and long codes survive.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geodata.errors import DataProblem, DataValidationError, HealthplanDataError
from geodata.settings import STORAGE_CRS
from geodata.validate import validate_demand, validate_facilities

__all__ = ["read_demand", "read_facilities", "read_table"]

#: Columns read as text from CSV (ids and administrative codes).
TEXT_COLUMNS = (
    "facility_id",
    "demand_id",
    "code",
    "parent_code",
    "township_code",
    "county_code",
    "city_code",
)
_LON_LAT = (("lon", "lat"), ("longitude", "latitude"), ("x", "y"))
_VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")


def read_table(
    path: str | Path, *, layer: str | None = None, crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read a point table from CSV (lon/lat columns) or a vector file (GeoPackage, GeoJSON).

    Parameters
    ----------
    path
        The file.
    layer
        Layer name for multi-layer files (GeoPackage).
    crs
        CRS of a CSV's lon/lat columns (default WGS-84). Vector files carry their own.
    """
    path = Path(path)
    source = f"{path.name}" + (f" (layer '{layer}')" if layer else "")
    if not path.exists():
        msg = f"{path}: file not found - check the path (relative paths start at {Path.cwd()})"
        raise HealthplanDataError(msg)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, crs=crs or STORAGE_CRS)
    if suffix not in _VECTOR_SUFFIXES:
        msg = (
            f"{path}: unsupported file type '{suffix}' - use CSV with lon/lat columns, "
            "GeoPackage (.gpkg) or GeoJSON"
        )
        raise HealthplanDataError(msg)
    import pyogrio

    try:
        if layer is not None and suffix == ".gpkg":
            names = [str(row[0]) for row in pyogrio.list_layers(path)]
            if layer not in names:
                msg = (
                    f"{path}: layer '{layer}' not found - layers in this file: "
                    f"{', '.join(names) or 'none'}"
                )
                raise HealthplanDataError(msg)
        return gpd.read_file(path, layer=layer)
    except HealthplanDataError:
        raise
    except Exception as exc:  # pyogrio raises several unrelated types for corrupt files
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{source}: cannot read the file ({detail}) - check that it is a valid {suffix}"
        raise HealthplanDataError(msg) from exc


def _read_csv(path: Path, *, crs: str) -> gpd.GeoDataFrame:
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
        dtypes = {c: str for c in header.columns if c in TEXT_COLUMNS}
        df = pd.read_csv(path, dtype=dtypes, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path.name}: cannot read the CSV ({detail}) - save it as UTF-8 CSV with a header"
        raise HealthplanDataError(msg) from exc
    lower = {c.lower(): c for c in df.columns}
    for lon_name, lat_name in _LON_LAT:
        if lon_name in lower and lat_name in lower:
            lon = pd.to_numeric(df[lower[lon_name]], errors="coerce")
            lat = pd.to_numeric(df[lower[lat_name]], errors="coerce")
            bad = lon.isna() | lat.isna()
            if bad.any():
                raise DataValidationError(
                    [
                        DataProblem(
                            path.name,
                            f"columns '{lower[lon_name]}'/'{lower[lat_name]}'",
                            f"{int(bad.sum())} rows have no numeric coordinates "
                            f"(first at data row {int(bad.to_numpy().argmax()) + 1})",
                            "give every row decimal-degree lon and lat",
                        )
                    ]
                )
            geometry = gpd.points_from_xy(lon, lat)
            frame = df.drop(columns=[lower[lon_name], lower[lat_name]])
            return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)
    raise DataValidationError(
        [
            DataProblem(
                path.name,
                "columns",
                "no coordinate columns found",
                "add 'lon' and 'lat' columns in decimal degrees (WGS-84)",
            )
        ]
    )


def read_facilities(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    province: BaseGeometry | None = None,
    counties: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read and validate a facility table in the data contract (DESIGN.md).

    For a GeoPackage without ``layer``, the layer named ``facilities`` is used when present.
    """
    path = Path(path)
    if layer is None and path.suffix.lower() == ".gpkg":
        layer = "facilities"
    gdf = read_table(path, layer=layer, crs=crs)
    source = path.name + (f" (layer '{layer}')" if layer else "")
    return validate_facilities(gdf, source=source, province=province, counties=counties)


def read_demand(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    province: BaseGeometry | None = None,
) -> gpd.GeoDataFrame:
    """Read and validate a demand table in the data contract (DESIGN.md)."""
    path = Path(path)
    if layer is None and path.suffix.lower() == ".gpkg":
        layer = "demand"
    gdf = read_table(path, layer=layer, crs=crs)
    source = path.name + (f" (layer '{layer}')" if layer else "")
    return validate_demand(gdf, source=source, province=province)
