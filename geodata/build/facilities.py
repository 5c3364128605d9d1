"""Facilities of the Liaoning build: proxies at every seat plus the real tertiary hospitals.

No facility register with locations is available (see raw/liaoning_hospitals PROVENANCE), so:

- ``township_health_center`` ``THC-<code9>`` at every 镇/乡 seat (proxy; national policy is one
  government 卫生院 per township), candidate for ``township_central`` at NORMS 6c cost;
- ``community_health_center`` ``CHC-<code9>`` at every 街道 seat (proxy);
- ``county_hospital`` ``CH-<code6>`` at every county-level seat (proxy 某某县人民医院), with the
  real name, grade and OSM point where the hospital file lists the county's hospital;
- ``city_3a`` ``H-<nnn>``: the real tertiary hospitals, numbered by sorted Chinese name, at
  their OSM point, else their district/county seat, else the city seat; plus a proxy at the city
  seat for any city without a general-care one.

Special units (farms, zones, prisons) get no township health centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd
import shapely

from geodata.build.admin import AdminUnits
from geodata.build.common import fail, fmt_coord, read_raw_csv, write_csv
from geodata.build.names import hospital_name_en, place_glossary
from geodata.build.tertiary import GEOCODED_SOURCE, match_tertiary
from geodata.tiers import TIERS

__all__ = [
    "COST_COMMUNITY_HOSPITAL_CNY",
    "COST_COUNTY_3A_CNY",
    "COST_TOWNSHIP_CENTRAL_CNY",
    "COUNTY_HOSPITAL_BEDS",
    "FACILITY_COLUMNS",
    "build_facilities",
    "write_facilities",
]

#: NORMS 6c: township health centre -> central township hospital (2,000 万).
COST_TOWNSHIP_CENTRAL_CNY: Final = 20_000_000
#: NORMS 6c: build / upgrade a community health centre to a community hospital (3,000 万).
COST_COMMUNITY_HOSPITAL_CNY: Final = 30_000_000
#: NORMS 6c: county hospital -> county_3a (3.5 亿; an ASSUMPTION anchored to projects 4.1-4.4).
COST_COUNTY_3A_CNY: Final = 350_000_000
#: NORMS 1.17: a county general hospital has about 500 beds.
COUNTY_HOSPITAL_BEDS: Final = 500
#: Located where the hospital file's notes place it (county_or_district is empty there).
DISTRICT_OVERRIDES: Final = {"铁法煤业（集团）总医院": "调兵山市"}

FACILITY_COLUMNS: Final = (
    "facility_id",
    "name_zh",
    "name_en",
    "tier",
    "county_code",
    "city_code",
    "beds",
    "upgrade_cost_cny",
    "lon",
    "lat",
    "is_proxy",
    "location_source",
    "grade",
    "hospital_type",
    "general_care",
    "township_code",
    "source",
)
_HOSPITALS: Final = "liaoning_hospitals/liaoning_tertiary_hospitals.csv"
_COORDS: Final = "liaoning_hospitals/liaoning_hospitals_coords_osm_via_s2.csv"
_GENERAL_TYPES: Final = ("general", "tcm")
_TYPES: Final = ("general", "tcm", "specialty", "maternal_child")


def _row(**values: object) -> dict[str, object]:
    return {col: values.get(col, "") for col in FACILITY_COLUMNS}


def _township_rows(towns: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for t in towns.itertuples(index=False):
        if t.kind == "special":
            continue
        thc = t.kind in ("town", "township")
        rows.append(
            _row(
                facility_id=f"{'THC' if thc else 'CHC'}-{t.code}",
                name_zh=f"{t.name_zh}{'卫生院' if thc else '社区卫生服务中心'}",
                name_en=f"{t.name_en} {'Health Center' if thc else 'Community Health Center'}",
                tier="township_health_center" if thc else "community_health_center",
                county_code=t.county_code,
                city_code=t.city_code,
                upgrade_cost_cny=COST_TOWNSHIP_CENTRAL_CNY if thc else COST_COMMUNITY_HOSPITAL_CNY,
                lon=t.lon,
                lat=t.lat,
                is_proxy=True,
                location_source="township_seat",
                general_care=True,
                township_code=t.code,
                source="proxy: one per township-level seat (townships.csv)",
            )
        )
    return rows


@dataclass(frozen=True)
class _Context:
    admin: AdminUnits
    coords: dict[str, tuple[float, float]]
    seat: dict[str, tuple[float, float]]
    places: dict[str, str]
    core: dict[str, str]
    geocoded: dict[str, tuple[float, float]]

    def point(self, name: str, county: str, city: str, default: str) -> tuple[float, float, str]:
        """Locate a hospital: its OSM point, else a county seat, else the city seat.

        The OSM point is used when `name` has one; else the Grade-3A geocoded point
        (`geodata.build.tertiary`); else the seat of `county` (labelled
        `default`); else the city seat, or, where the city government sits outside the urban
        districts, the seat of the city's first district, its historic core
        (``core_district_seat``).
        """
        if name in self.coords:
            return (*self.coords[name], "osm_nominatim")
        if name in self.geocoded:
            return (*self.geocoded[name], GEOCODED_SOURCE)
        if county:
            return (*self.seat[county], default)
        core = self.core.get(city, city)
        return (*self.seat[core], "city_seat" if core == city else "core_district_seat")


def _read_hospitals(raw: Path) -> pd.DataFrame:
    hospitals = read_raw_csv(
        raw,
        _HOSPITALS,
        ["name_zh", "name_en", "city", "county_or_district", "grade", "type", "source_id"],
    )
    bad_type = sorted(set(hospitals["type"]) - set(_TYPES))
    if bad_type:
        fail(_HOSPITALS, "type", f"unknown types {bad_type}", f"use one of {', '.join(_TYPES)}")
    if hospitals["name_zh"].duplicated().any():
        fail(_HOSPITALS, "name_zh", "duplicate names", "keep one row per hospital or campus")
    return hospitals.sort_values("name_zh", kind="stable").reset_index(drop=True)


def _place_hospitals(
    hospitals: pd.DataFrame, admin: AdminUnits
) -> tuple[dict[str, pd.Series], list[tuple[pd.Series, str, str]]]:
    """Split hospitals into county hospitals (by county code) and city_3a (row, city, county)."""
    units = admin.units
    code_of = {
        (p, n): c
        for c, n, p in zip(units["code"], units["name_zh"], units["parent_code"], strict=True)
    }
    ctype = dict(zip(units["code"], units["county_type"], strict=True))
    county_real: dict[str, pd.Series] = {}
    city_rows: list[tuple[pd.Series, str, str]] = []
    for _, h in hospitals.iterrows():
        city = code_of.get(("210000", h["city"]))
        if city is None:
            fail(_HOSPITALS, "city", f"unknown city {h['city']!r}", "use an NBS 2023 city name")
        district = h["county_or_district"] or DISTRICT_OVERRIDES.get(h["name_zh"], "")
        county = code_of.get((city, district), "") if district else ""
        if district and not county:
            fail(_HOSPITALS, "county_or_district", f"unknown unit {district!r}", "use NBS names")
        if county and ctype[county] != "district" and h["name_zh"].startswith(district):
            county_real[county] = h
        else:
            city_rows.append((h, city, county))
    return county_real, city_rows


def _county_rows(ctx: _Context, county_real: dict[str, pd.Series]) -> list[dict[str, object]]:
    rows = []
    for c in ctx.admin.counties().to_dict("records"):
        code, city = str(c["code"]), str(c["parent_code"])
        real = county_real.get(code)
        name = f"{c['name_zh']}人民医院" if real is None else str(real["name_zh"])
        lon, lat, loc = ctx.point(name if real is not None else "", code, city, "county_seat")
        rows.append(
            _row(
                facility_id=f"CH-{code}",
                name_zh=name,
                name_en=(real["name_en"] if real is not None else "")
                or hospital_name_en(name, ctx.places),
                tier="county_hospital",
                county_code=code,
                city_code=city,
                beds=COUNTY_HOSPITAL_BEDS,
                upgrade_cost_cny=COST_COUNTY_3A_CNY,
                lon=lon,
                lat=lat,
                is_proxy=real is None,
                location_source=loc,
                grade="" if real is None else real["grade"],
                hospital_type="general" if real is None else real["type"],
                general_care=True,
                source="proxy: one per county-level seat"
                if real is None
                else f"liaoning_hospitals ({real['source_id']})",
            )
        )
    return rows


def _city_rows(
    ctx: _Context, city_rows: list[tuple[pd.Series, str, str]]
) -> list[dict[str, object]]:
    rows = []
    for n, (h, city, county) in enumerate(city_rows, start=1):
        lon, lat, loc = ctx.point(str(h["name_zh"]), county, city, "district_seat")
        rows.append(
            _row(
                facility_id=f"H-{n:03d}",
                name_zh=h["name_zh"],
                name_en=h["name_en"] or hospital_name_en(h["name_zh"], ctx.places),
                tier="city_3a",
                county_code=county or _county_at(ctx.admin, lon, lat, city),
                city_code=city,
                lon=lon,
                lat=lat,
                is_proxy=False,
                location_source=loc,
                grade=h["grade"],
                hospital_type=h["type"],
                general_care=h["type"] in _GENERAL_TYPES,
                source=f"liaoning_hospitals ({h['source_id']})",
            )
        )
    units = ctx.admin.units
    for c in units.loc[units["level"] == "city"].to_dict("records"):
        city = str(c["code"])
        if any(r["city_code"] == city and r["general_care"] for r in rows):
            continue
        lon, lat, loc = ctx.point("", "", city, "")
        rows.append(
            _row(
                facility_id=f"H-P{city}",
                name_zh=f"{c['name_zh']}中心医院",
                name_en=f"{c['name_en']} Central Hospital",
                tier="city_3a",
                county_code=_county_at(ctx.admin, lon, lat, city),
                city_code=city,
                lon=lon,
                lat=lat,
                is_proxy=True,
                location_source=loc,
                hospital_type="general",
                general_care=True,
                source="proxy: city without a listed general tertiary hospital",
            )
        )
    return rows


def build_facilities(raw: Path, admin: AdminUnits, towns: pd.DataFrame) -> pd.DataFrame:
    """Assemble the facility table.

    Parameters
    ----------
    raw
        The raw-data folder.
    admin
        Province/city/county units with seats.
    towns
        Township table with seats.

    Returns
    -------
    pandas.DataFrame
        Columns `FACILITY_COLUMNS`, sorted by tier order then id.
    """
    hospitals = _read_hospitals(raw)
    coords = read_raw_csv(raw, _COORDS, ["name_zh", "lat_wgs84", "lon_wgs84"])
    matches = match_tertiary(raw, hospitals["name_zh"].tolist())
    units = admin.units
    ctx = _Context(
        admin=admin,
        coords={
            str(n): (float(x), float(y))
            for n, x, y in zip(
                coords["name_zh"], coords["lon_wgs84"], coords["lat_wgs84"], strict=True
            )
        },
        seat={
            str(c): (float(x), float(y))
            for c, x, y in zip(units["code"], units["lon"], units["lat"], strict=True)
        },
        places=place_glossary(
            units["name_zh"].tolist(), units["name_en"].tolist(), units["level"].tolist()
        ),
        core=_core_districts(admin),
        geocoded={name: (m.lon, m.lat) for name, m in matches.items()},
    )
    county_real, city_rows = _place_hospitals(hospitals, admin)
    rows = [*_township_rows(towns), *_county_rows(ctx, county_real), *_city_rows(ctx, city_rows)]
    frame = pd.DataFrame(rows, columns=list(FACILITY_COLUMNS))
    geocoded = frame[frame["location_source"] == GEOCODED_SOURCE]
    for fid, city, lon, lat in zip(
        geocoded["facility_id"],
        geocoded["city_code"],
        geocoded["lon"],
        geocoded["lat"],
        strict=True,
    ):
        if not admin.geometry[str(city)].covers(shapely.Point(float(lon), float(lat))):
            fail(
                "tertiary_3a_geocoded",
                "longitude_wgs84",
                f"the geocoded point of {fid} is outside its city {city}",
                "add the geocoded name to REJECTED in geodata/build/tertiary.py",
            )
    frame["_rank"] = frame["tier"].map({t: i for i, t in enumerate(TIERS)})
    frame = frame.sort_values(["_rank", "facility_id"], kind="stable").drop(columns="_rank")
    return frame.reset_index(drop=True)


def _core_districts(admin: AdminUnits) -> dict[str, str]:
    """Map city code -> first district code, for cities whose seat lies outside its districts.

    Tieling: the government moved to 凡河新区 in 铁岭县; its hospitals stayed in 银州区.
    """
    units = admin.units
    ctype = dict(zip(units["code"], units["county_type"], strict=True))
    cities = units[units["level"] == "city"]
    core: dict[str, str] = {}
    for code, lon, lat in zip(cities["code"], cities["lon"], cities["lat"], strict=True):
        at = _county_at(admin, float(lon), float(lat), str(code))
        if ctype[at] != "district":
            members = units[(units["parent_code"] == code) & (units["county_type"] == "district")]
            core[str(code)] = str(min(members["code"]))
    return core


def _county_at(admin: AdminUnits, lon: float, lat: float, city: str) -> str:
    """County of the city whose polygon covers the point (nearest if none covers it)."""
    point = shapely.Point(lon, lat)
    members = admin.counties()
    members = members[members["parent_code"] == city]
    dist = [(float(admin.geometry[str(c)].distance(point)), str(c)) for c in members["code"]]
    return min(dist)[1]


def write_facilities(facilities: pd.DataFrame, path: Path) -> int:
    """Write ``facilities.csv``; returns the row count."""
    rows = []
    for rec in facilities.to_dict("records"):
        rec["lon"] = fmt_coord(float(rec["lon"]))
        rec["lat"] = fmt_coord(float(rec["lat"]))
        rows.append([rec[c] for c in FACILITY_COLUMNS])
    return write_csv(path, FACILITY_COLUMNS, rows)
