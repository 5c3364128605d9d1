"""Readers for user tables: facilities and demand as CSV, GeoPackage layers or GeoJSON.

A CSV needs ``lon``/``lat`` columns (WGS-84 unless ``crs=`` says otherwise). It must be UTF-8;
a byte-order mark (BOM, written by Excel's "CSV UTF-8" on Chinese Windows) is allowed and
removed. Every cell is read as text and only an empty cell counts as missing, so that codes
keep their leading zeros and the validator (`geodata.validate`) sees exactly what the file
says: ``read_facilities`` and ``read_demand`` give the same verdict for a file wherever it is
used (``healthplan data validate``, a scenario's ``facilities``, `geodata.load_dataset`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geodata.errors import HealthplanDataError
from geodata.settings import STORAGE_CRS
from geodata.validate import points_from_lonlat, validate_demand, validate_facilities

__all__ = ["read_csv_text", "read_demand", "read_facilities", "read_table"]

_VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")
_UTF8_FIX = "save it as UTF-8 (Excel: Save As > 'CSV UTF-8 (Comma delimited)')"


def _source(path: Path, layer: str | None) -> str:
    return path.name + (f" (layer '{layer}')" if layer else "")


def _read_frame(path: Path, *, layer: str | None) -> pd.DataFrame:
    """Read the file as a text table (CSV) or a GeoDataFrame (vector files), unvalidated."""
    if not path.exists():
        msg = f"{path}: file not found - check the path (relative paths start at {Path.cwd()})"
        raise HealthplanDataError(msg)
    if path.is_dir():
        msg = f"{path}: is a folder, not a file - give the path of the CSV or GeoPackage in it"
        raise HealthplanDataError(msg)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv_text(path)
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
        layer_frame: pd.DataFrame = gpd.read_file(path, layer=layer)
    except HealthplanDataError:
        raise
    except Exception as exc:  # pyogrio raises several unrelated types for corrupt files
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = (
            f"{_source(path, layer)}: cannot read the file ({detail}) - "
            f"check that it is a valid {suffix}"
        )
        raise HealthplanDataError(msg) from exc
    return layer_frame


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a UTF-8 CSV (BOM allowed) as a table of text cells; only an empty cell is missing.

    This is what the validators in `geodata.validate` expect from a CSV: they parse numbers,
    flags and coordinates themselves, strictly, so nothing is converted unseen here.
    """
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        msg = (
            f"{path.name}: cannot read the CSV: it is not UTF-8 text (byte {byte:#04x} at "
            f"position {exc.start}; GBK from Excel?) - {_UTF8_FIX}"
        )
        raise HealthplanDataError(msg) from exc
    except pd.errors.EmptyDataError as exc:
        msg = f"{path.name}: cannot read the CSV: the file is empty - write a header row and data"
        raise HealthplanDataError(msg) from exc
    except (pd.errors.ParserError, OSError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path.name}: cannot read the CSV ({detail}) - {_UTF8_FIX}, with a header"
        raise HealthplanDataError(msg) from exc


def read_table(
    path: str | Path, *, layer: str | None = None, crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read a point table from CSV (lon/lat columns) or a vector file (GeoPackage, GeoJSON).

    The table is not checked against a data contract (use `read_facilities` or
    `read_demand`); a CSV's cells are returned as text, its lon/lat columns as points.

    Parameters
    ----------
    path
        The file.
    layer
        Layer name for multi-layer files (GeoPackage).
    crs
        CRS of a CSV's lon/lat columns (default WGS-84). Vector files carry their own.

    Raises
    ------
    HealthplanDataError
        The file is missing, a folder, of an unknown type, unreadable, not UTF-8, or a CSV
        row has no usable coordinates.
    """
    path = Path(path)
    frame = _read_frame(path, layer=layer)
    if isinstance(frame, gpd.GeoDataFrame):
        return frame
    return points_from_lonlat(frame, source=_source(path, layer), crs=crs or STORAGE_CRS)


def read_facilities(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    province: BaseGeometry | None = None,
    counties: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read and validate a facility table (``docs/data_contract.md``).

    For a GeoPackage without ``layer``, the layer named ``facilities`` is used when present.
    The checks are those of `geodata.validate.validate_facilities`; every problem a user can
    cause raises a one-line `HealthplanDataError`.

    Parameters
    ----------
    path
        CSV (lon/lat columns), GeoPackage or GeoJSON.
    layer
        GeoPackage layer.
    crs
        CRS of a CSV's lon/lat columns (default WGS-84).
    province
        Province polygon in WGS-84 for the outside-the-province check.
    counties
        County codes of the dataset; a facility in another county is reported.
    """
    path = Path(path)
    if layer is None and path.suffix.lower() == ".gpkg":
        layer = "facilities"
    frame = _read_frame(path, layer=layer)
    return validate_facilities(
        frame, source=_source(path, layer), province=province, counties=counties, crs=crs
    )


def read_demand(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    province: BaseGeometry | None = None,
) -> gpd.GeoDataFrame:
    """Read and validate a demand table (``docs/data_contract.md``).

    For a GeoPackage without ``layer``, the layer named ``demand`` is used. The checks are
    those of `geodata.validate.validate_demand`.

    Parameters
    ----------
    path
        CSV (lon/lat columns), GeoPackage or GeoJSON.
    layer
        GeoPackage layer.
    crs
        CRS of a CSV's lon/lat columns (default WGS-84).
    province
        Province polygon in WGS-84 for the outside-the-province check.
    """
    path = Path(path)
    if layer is None and path.suffix.lower() == ".gpkg":
        layer = "demand"
    frame = _read_frame(path, layer=layer)
    return validate_demand(frame, source=_source(path, layer), province=province, crs=crs)
