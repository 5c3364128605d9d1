"""Validation of the world's frames: demand points, facilities and administrative units.

Each ``validate_*`` function checks a GeoDataFrame against its data contract (DESIGN.md),
gathers every problem, and raises one `DataValidationError` whose message names the source
file, the field and the fix. On success it returns a normalised copy: WGS-84, codes as
strings, numbers with their proper dtypes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.errors import DataProblem, DataValidationError
from geodata.schema import (
    DEMAND_AGE_BANDS,
    DEMAND_COLUMNS,
    FACILITY_COLUMNS,
    TIERS,
)
from geodata.settings import METRIC_CRS, STORAGE_CRS

__all__ = [
    "normalise_crs",
    "validate_demand",
    "validate_facilities",
]

#: Distance a point may lie outside the province polygon before it counts as misplaced:
#: boundaries are generalised and coastal seats sit on the shore line.
OUTSIDE_TOLERANCE_M = 2_000.0


def _examples(values: Iterable[object], limit: int = 3) -> str:
    items = [str(v) for v in values]
    shown = ", ".join(repr(v) for v in items[:limit])
    return shown + (f" ... ({len(items)} in all)" if len(items) > limit else "")


def normalise_crs(gdf: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Return `gdf` in WGS-84, or raise if its CRS is missing or contradicts its coordinates.

    A frame in another CRS (e.g. a projected one) is reprojected; a frame that claims to be
    geographic but holds coordinates outside longitude/latitude ranges is rejected.
    """
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
    if gdf.crs.is_geographic:
        bounds = gdf.total_bounds
        extents = gdf.geometry.bounds
        if ((extents["maxy"].abs() > 90) & (extents["maxx"].abs() <= 90)).any():
            raise DataValidationError(
                [
                    DataProblem(
                        source,
                        "geometry",
                        "longitude and latitude look swapped (y values above 90)",
                        "write x = longitude, y = latitude (lon before lat)",
                    )
                ]
            )
        if len(gdf) and not (
            -180 <= bounds[0] <= 180
            and -180 <= bounds[2] <= 180
            and -90 <= bounds[1] <= 90
            and -90 <= bounds[3] <= 90
        ):
            raise DataValidationError(
                [
                    DataProblem(
                        source,
                        "crs",
                        f"CRS {gdf.crs.to_string()} is geographic but coordinates reach "
                        f"{bounds.round(1).tolist()}, which are not degrees",
                        "declare the CRS the coordinates are really in (e.g. EPSG:32651)",
                    )
                ]
            )
    if gdf.crs.to_string() != STORAGE_CRS:
        gdf = gdf.to_crs(STORAGE_CRS)
    return gdf


def _code_problems(
    df: pd.DataFrame, column: str, length: int, source: str
) -> tuple[list[DataProblem], pd.Series]:
    """Check an administrative-code column; return problems and the column as strings."""
    series = df[column]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        problem = DataProblem(
            source,
            f"column '{column}'",
            f"admin codes are stored as numbers (e.g. {_examples(series.head(2))})",
            "store GB/T 2260 codes as text (quote them in CSV, string type in GeoPackage)",
        )
        return [problem], series.astype(str)
    text = series.astype("string")
    bad = text.isna() | ~text.str.fullmatch(rf"\d{{{length}}}").fillna(False)
    if bad.any():
        problem = DataProblem(
            source,
            f"column '{column}'",
            f"{int(bad.sum())} values are not {length}-digit codes "
            f"({_examples(series[bad].head(5).tolist())})",
            f"use the {length}-digit GB/T 2260 code as text, without decimals or spaces",
        )
        return [problem], text.astype(object)
    return [], text.astype(object)


def _missing_columns(
    df: pd.DataFrame, required: Sequence[str], source: str, what: str
) -> list[DataProblem]:
    missing = [c for c in required if c not in df.columns]
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


def _duplicate_problems(df: pd.DataFrame, column: str, source: str) -> list[DataProblem]:
    dup = df[column][df[column].duplicated(keep=False)]
    if dup.empty:
        return []
    return [
        DataProblem(
            source,
            f"column '{column}'",
            f"{dup.nunique()} ids occur more than once ({_examples(dup.unique()[:5])})",
            "give every row its own id",
        )
    ]


def _geometry_problems(
    gdf: gpd.GeoDataFrame, id_column: str, source: str, province: BaseGeometry | None
) -> list[DataProblem]:
    problems: list[DataProblem] = []
    geoms = gdf.geometry
    empty = geoms.isna() | geoms.is_empty
    if empty.any():
        problems.append(
            DataProblem(
                source,
                "geometry",
                f"{int(empty.sum())} rows have no location "
                f"({_examples(gdf.loc[empty, id_column].head(5).tolist())})",
                "give every row a point (or lon/lat)",
            )
        )
    not_point = ~empty & (geoms.geom_type != "Point")
    if not_point.any():
        problems.append(
            DataProblem(
                source,
                "geometry",
                f"{int(not_point.sum())} rows are not points "
                f"({_examples(geoms[not_point].geom_type.unique())})",
                "use one Point per row (e.g. the representative point of a polygon)",
            )
        )
    if province is not None and not problems:
        region = gpd.GeoSeries([province], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
        metric = geoms.to_crs(METRIC_CRS)
        distance = shapely.distance(np.asarray(metric.values), region)
        outside = distance > OUTSIDE_TOLERANCE_M
        if outside.any():
            ids = gdf.loc[outside, id_column].head(5).tolist()
            problems.append(
                DataProblem(
                    source,
                    "geometry",
                    f"{int(outside.sum())} points lie outside the province by more than "
                    f"{OUTSIDE_TOLERANCE_M / 1000:g} km ({_examples(ids)})",
                    "check lon/lat order and the CRS (GCJ-02 or BD-09 data must be converted "
                    "to WGS-84 first)",
                )
            )
    return problems


def _non_negative(
    df: pd.DataFrame, column: str, source: str, *, required: bool
) -> tuple[list[DataProblem], pd.Series]:
    values = pd.to_numeric(df[column], errors="coerce")
    problems: list[DataProblem] = []
    unparsable = values.isna() & df[column].notna()
    if unparsable.any():
        problems.append(
            DataProblem(
                source,
                f"column '{column}'",
                f"{int(unparsable.sum())} values are not numbers "
                f"({_examples(df.loc[unparsable, column].head(3).tolist())})",
                "write plain numbers (no units or thousands separators)",
            )
        )
    if required and df[column].isna().any():
        problems.append(
            DataProblem(
                source,
                f"column '{column}'",
                f"{int(df[column].isna().sum())} values are missing (NaN)",
                "fill every row (0 is allowed)",
            )
        )
    negative = values < 0
    if negative.any():
        problems.append(
            DataProblem(
                source,
                f"column '{column}'",
                f"{int(negative.sum())} values are negative "
                f"({_examples(values[negative].head(3).tolist())})",
                "use zero or a positive number",
            )
        )
    return problems, values


def validate_demand(
    demand: gpd.GeoDataFrame, *, source: str = "demand", province: BaseGeometry | None = None
) -> gpd.GeoDataFrame:
    """Check a demand layer and return it normalised.

    Parameters
    ----------
    demand
        One Point per demand unit with `DEMAND_COLUMNS` (age bands optional).
    source
        Name used in error messages (the file, or file and layer).
    province
        Province polygon in WGS-84; points farther than ``OUTSIDE_TOLERANCE_M`` outside it
        are reported.
    """
    problems = _missing_columns(demand, DEMAND_COLUMNS, source, "demand")
    if problems:
        raise DataValidationError(problems)
    gdf = normalise_crs(demand, source=source).copy()
    gdf["demand_id"] = gdf["demand_id"].astype(str)
    problems += _duplicate_problems(gdf, "demand_id", source)
    for column, length in (("township_code", 9), ("county_code", 6), ("city_code", 6)):
        found, gdf[column] = _code_problems(gdf, column, length, source)
        problems += found
    found, population = _non_negative(gdf, "population", source, required=True)
    problems += found
    for band in DEMAND_AGE_BANDS:
        if band in gdf.columns:
            found, values = _non_negative(gdf, band, source, required=True)
            problems += found
            gdf[band] = values
    problems += _geometry_problems(gdf, "demand_id", source, province)
    if problems:
        raise DataValidationError(problems)
    gdf["population"] = population.astype("int64") if (population % 1 == 0).all() else population
    return gdf


def validate_facilities(
    facilities: gpd.GeoDataFrame,
    *,
    source: str = "facilities",
    province: BaseGeometry | None = None,
    counties: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Check a facility layer and return it normalised.

    Parameters
    ----------
    facilities
        One Point per facility with `FACILITY_COLUMNS`; optional columns are listed in
        `geodata.schema.FACILITY_OPTIONAL_COLUMNS`.
    source
        Name used in error messages.
    province
        Province polygon in WGS-84 for the outside-the-province check.
    counties
        Known county codes; a facility naming another county is reported.
    """
    problems = _missing_columns(facilities, FACILITY_COLUMNS, source, "facility")
    if problems:
        raise DataValidationError(problems)
    gdf = normalise_crs(facilities, source=source).copy()
    gdf["facility_id"] = gdf["facility_id"].astype(str)
    problems += _duplicate_problems(gdf, "facility_id", source)
    unknown = ~gdf["tier"].isin(TIERS)
    if unknown.any():
        problems.append(
            DataProblem(
                source,
                "column 'tier'",
                f"{int(unknown.sum())} rows have unknown tiers "
                f"({_examples(gdf.loc[unknown, 'tier'].unique()[:5])})",
                f"use one of {', '.join(TIERS)}",
            )
        )
    for column in ("county_code", "city_code"):
        found, gdf[column] = _code_problems(gdf, column, 6, source)
        problems += found
    if counties is not None and not any(p.field == "column 'county_code'" for p in problems):
        known = set(counties)
        stray = ~gdf["county_code"].isin(known)
        if stray.any():
            problems.append(
                DataProblem(
                    source,
                    "column 'county_code'",
                    f"{int(stray.sum())} rows name counties not in the dataset "
                    f"({_examples(gdf.loc[stray, 'county_code'].unique()[:5])})",
                    "use the 6-digit code of a county of this dataset "
                    "(`healthplan data info` lists them)",
                )
            )
    for column in ("beds", "upgrade_cost_cny"):
        if column in gdf.columns:
            found, gdf[column] = _non_negative(gdf, column, source, required=False)
            problems += found
    problems += _geometry_problems(gdf, "facility_id", source, province)
    if problems:
        raise DataValidationError(problems)
    if "name_en" not in gdf.columns:
        gdf["name_en"] = ""
    if "is_proxy" not in gdf.columns:
        gdf["is_proxy"] = False
    if "general_care" not in gdf.columns:
        gdf["general_care"] = True
    return gdf
