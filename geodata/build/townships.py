"""Township-level units of the Liaoning build: the NBS 2023 list and a seat point for each.

Seat points, in order of preference (``coord_source``):

1. ``vonng_2016_gcj02`` - the 2016 AMap seat of the same unit in Vonng/adcode, converted from
   GCJ-02. Matched on county + name root; then (for units that changed county) city + exact
   name; then the same 9-digit code with a similar name (difflib ratio >= 0.6 or identical
   pinyin). The last two need the point within ``MATCH_MAX_OUTSIDE_M`` of the 2023 county,
   because 9-digit codes were re-used for different units.
2. ``geonames_pinyin`` - a GeoNames cities1000 place whose romanised name equals the unit's
   AreaCity pinyin (optionally + zhen / xiang / jiedao), unique inside the county polygon.
3. ``synthetic_urban_fill`` (subdistricts) / ``synthetic_county_fill`` (the rest) - see
   `geodata.build.fill`.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Final, NamedTuple

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.build.admin import AdminUnits
from geodata.build.common import fail, read_raw_csv, to_metric
from geodata.build.fill import fill_county
from geodata.build.names import (
    name_root,
    place_glossary,
    syllables,
    township_kind,
    township_name_en,
)
from geodata.gcj02 import gcj02_to_wgs84

__all__ = [
    "EXPECTED_TOWNSHIPS",
    "MATCH_MAX_OUTSIDE_M",
    "SEAT_CORRECTIONS",
    "SeatCorrection",
    "build_townships",
    "island_of",
]

#: Township-level units in the NBS 2023 list for Liaoning.
EXPECTED_TOWNSHIPS: Final = 1406
#: A Vonng point matched by city + name or by code may lie at most this far outside the county.
MATCH_MAX_OUTSIDE_M: Final = 2_000.0

_STREETS: Final = "modood_china_division/liaoning_streets_2023.csv"
_VONNG: Final = "vonng_adcode/liaoning_adcode_2016.csv"
_GEONAMES: Final = "geonames_cities1000/liaoning_cities1000.csv"
_SUFFIX_OF_KIND: Final = {"subdistrict": "街道", "town": "镇", "township": "乡"}


def _read_streets(raw: Path) -> pd.DataFrame:
    streets = read_raw_csv(raw, _STREETS, ["code", "name", "areaCode", "cityCode"])
    if len(streets) != EXPECTED_TOWNSHIPS or streets["code"].duplicated().any():
        fail(
            _STREETS,
            "code",
            f"{len(streets)} rows, expected {EXPECTED_TOWNSHIPS} unique",
            "re-extract",
        )
    frame = pd.DataFrame(
        {
            "code": streets["code"],
            "name_zh": streets["name"],
            "kind": streets["name"].map(township_kind),
            "county_code": streets["areaCode"],
            "city_code": streets["cityCode"] + "00",
            "root": streets["name"].map(name_root),
        }
    )
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


def _attach_areacity(towns: pd.DataFrame, admin: AdminUnits) -> None:
    """Add AreaCity short name and pinyin (join on county + full name, then + name root)."""
    ac = admin.areacity[admin.areacity["deep"] == "3"]
    by_full = {
        (p, n): (s, y)
        for p, n, s, y in zip(ac["pid"], ac["ext_name"], ac["name"], ac["pinyin"], strict=True)
    }
    by_root = {
        (p, name_root(n)): (s, y)
        for p, n, s, y in zip(ac["pid"], ac["ext_name"], ac["name"], ac["pinyin"], strict=True)
    }
    short, pinyin = [], []
    for county, name, root in zip(
        towns["county_code"], towns["name_zh"], towns["root"], strict=True
    ):
        hit = by_full.get((county, name)) or by_root.get((county, root)) or ("", "")
        short.append(hit[0])
        pinyin.append(hit[1])
    towns["ac_short"] = short
    towns["ac_pinyin"] = pinyin
    u = admin.units
    places = place_glossary(u["name_zh"].tolist(), u["name_en"].tolist(), u["level"].tolist())
    towns["name_en"] = [
        township_name_en(n, k, s, p, places)
        for n, k, s, p in zip(
            towns["name_zh"], towns["kind"], towns["ac_short"], towns["ac_pinyin"], strict=True
        )
    ]


def _vonng_towns(raw: Path) -> pd.DataFrame:
    vonng = read_raw_csv(raw, _VONNG, ["code", "name", "level", "adcode", "longitude", "latitude"])
    towns = vonng[(vonng["level"] == "town") & (vonng["longitude"] != "")].copy()
    lon, lat = gcj02_to_wgs84(
        towns["longitude"].astype(float).to_numpy(), towns["latitude"].astype(float).to_numpy()
    )
    towns["lon"] = lon
    towns["lat"] = lat
    towns["root"] = towns["name"].map(name_root)
    towns["code9"] = towns["code"].str[:9]
    return towns.sort_values("code", kind="stable").reset_index(drop=True)


def _similar(a: str, b: str) -> bool:
    if difflib.SequenceMatcher(None, a, b).ratio() >= 0.6:
        return True
    return "".join(syllables(a)) == "".join(syllables(b))


class _Town(NamedTuple):
    code: str
    name: str
    root: str
    adcode: str
    lon: float
    lat: float


def _match_vonng(towns: pd.DataFrame, vonng: pd.DataFrame, admin: AdminUnits) -> None:
    """Set ``lon``, ``lat``, ``coord_source``, ``match`` from Vonng/adcode where possible."""
    records = [
        _Town(str(c), str(n), str(r), str(a), float(x), float(y))
        for c, n, r, a, x, y in zip(
            vonng["code"],
            vonng["name"],
            vonng["root"],
            vonng["adcode"],
            vonng["lon"],
            vonng["lat"],
            strict=True,
        )
    ]
    by_county: dict[tuple[str, str], list[_Town]] = {}
    by_city_name: dict[tuple[str, str], list[_Town]] = {}
    by_code: dict[str, list[_Town]] = {}
    for rec in records:
        by_county.setdefault((rec.adcode, rec.root), []).append(rec)
        by_city_name.setdefault((rec.adcode[:4], rec.name), []).append(rec)
        by_code.setdefault(rec.code[:9], []).append(rec)
    used: set[str] = set()

    def near_county(county: str, rec: _Town) -> bool:
        poly = admin.geometry[county]
        x, y = to_metric(np.array([rec.lon]), np.array([rec.lat]))
        metric = shapely.transform(poly, lambda xy: np.column_stack(to_metric(xy[:, 0], xy[:, 1])))
        return (
            float(shapely.distance(metric, shapely.Point(float(x[0]), float(y[0]))))
            <= MATCH_MAX_OUTSIDE_M
        )

    def pick(cands: list[_Town], name: str, kind: str) -> _Town | None:
        suffix = _SUFFIX_OF_KIND.get(kind, "")
        free = [c for c in cands if c.code not in used]
        ranked = sorted(
            free, key=lambda c: (c.name != name, not (suffix and c.name.endswith(suffix)), c.code)
        )
        return ranked[0] if ranked else None

    found: dict[int, tuple[float, float, str]] = {}
    rows = [
        (int(i), str(c), str(n), str(r), str(k), str(cc))
        for i, c, n, r, k, cc in zip(
            towns.index,
            towns["code"],
            towns["name_zh"],
            towns["root"],
            towns["kind"],
            towns["county_code"],
            strict=True,
        )
    ]
    for pass_no, method in (
        (1, "county+name_root"),
        (2, "city+exact_name"),
        (3, "code9+similar_name"),
    ):
        for index, code, name, root, kind, county in rows:
            if index in found:
                continue
            if pass_no == 1:
                hit = pick(by_county.get((county, root), []), name, kind)
            elif pass_no == 2:
                cands = by_city_name.get((county[:4], name), [])
                hit = pick(cands, name, kind) if len(cands) == 1 else None
            else:
                cands = [c for c in by_code.get(code, []) if _similar(c.root, root)]
                hit = pick(cands, name, kind)
            if hit is None or (pass_no > 1 and not near_county(county, hit)):
                continue
            used.add(hit.code)
            found[index] = (hit.lon, hit.lat, f"{method}: {hit.name} ({hit.code})")
    towns["lon"] = [found[i][0] if i in found else np.nan for i in towns.index]
    towns["lat"] = [found[i][1] if i in found else np.nan for i in towns.index]
    towns["coord_source"] = ["vonng_2016_gcj02" if i in found else "" for i in towns.index]
    towns["match"] = [found[i][2] if i in found else "" for i in towns.index]
    towns["vonng_code"] = [
        found[i][2].rsplit("(", 1)[1].rstrip(")") if i in found else "" for i in towns.index
    ]


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().replace("ü", "v"))


def _match_geonames(towns: pd.DataFrame, raw: Path, admin: AdminUnits) -> None:
    geo = read_raw_csv(raw, _GEONAMES, ["lat", "lon", "name"])
    geo = geo.assign(
        key=geo["name"].map(_normalise), x=geo["lon"].astype(float), y=geo["lat"].astype(float)
    )
    geo = geo.sort_values(["key", "y", "x"], kind="stable")
    taken = set(zip(towns["lon"].round(4), towns["lat"].round(4), strict=True))
    for i, row in towns[towns["match"] == ""].iterrows():
        if not row["ac_pinyin"]:
            continue
        base = _normalise("".join(syllables(row["root"], row["ac_short"], row["ac_pinyin"])))
        keys = {base, base + "zhen", base + "xiang", base + "jiedao"}
        cands = geo[geo["key"].isin(keys)]
        poly = admin.geometry[row["county_code"]]
        inside = cands[shapely.contains_xy(poly, cands["x"].to_numpy(), cands["y"].to_numpy())]
        if len(inside) != 1:
            continue
        hit = inside.iloc[0]
        if (round(hit["x"], 4), round(hit["y"], 4)) in taken:
            continue
        taken.add((round(hit["x"], 4), round(hit["y"], 4)))
        towns.loc[i, ["lon", "lat", "coord_source", "match"]] = [
            hit["x"],
            hit["y"],
            "geonames_pinyin",
            f"geonames: {hit['name']}",
        ]


class SeatCorrection(NamedTuple):
    """A seat placed by hand-checked evidence instead of the name join (`SEAT_CORRECTIONS`).

    Attributes
    ----------
    name_zh
        The unit's 2023 name (checked by the build).
    vonng_code
        A 12-digit Vonng/adcode 2016 unit whose AMap point is the seat (a renamed unit), or
        empty.
    island
        ``(lon, lat)`` WGS-84 of a point on the unit's island: the seat is the centroid of the
        county polygon part (cnmaps) that contains it (its representative point when the
        centroid falls in a bay). Empty when `vonng_code` is given.
    evidence
        Why: what the independent source says.
    """

    name_zh: str
    vonng_code: str
    island: tuple[float, float] | None
    evidence: str


#: Island seats the name join misses or misplaces (issue 13). Every island and coastal
#: township seat was checked against the 2016 AMap points of Vonng/adcode (renamed units) and
#: the island parts of the cnmaps county polygons: a seat must lie on its own island.
SEAT_CORRECTIONS: Final[dict[str, SeatCorrection]] = {
    "210224102": SeatCorrection(
        "广鹿岛镇",
        "",
        (122.35, 39.18),
        "no AMap point (2016 list has 广鹿岛镇 without coordinates); 广鹿岛 is the 27.8 km2 "
        "island of 长海县 nearest the mainland (cnmaps part at 122.31-122.40 E); the fill had "
        "put the seat on 海洋岛",
    ),
    "210224103": SeatCorrection(
        "小长山岛镇",
        "210224201000",
        None,
        "renamed from 小长山乡 (2016 AMap point, on the 19.3 km2 小长山岛 east of 大长山岛, "
        "as are its villages 回龙, 房身, 复兴); the fill had put the seat on 海洋岛",
    ),
    "210224104": SeatCorrection(
        "海洋岛镇",
        "210224203000",
        None,
        "renamed from 海洋乡 (2016 AMap point, on the 31.0 km2 海洋岛, the outermost island); "
        "the fill had put the seat on 广鹿岛",
    ),
    "210283120": SeatCorrection(
        "王家镇",
        "",
        (123.07, 39.44),
        "no AMap point; 王家镇 is 王家岛, the 7.0 km2 island of 庄河市 (cnmaps part); the fill "
        "had put the seat inland, 57 km north",
    ),
    "210283216": SeatCorrection(
        "石城乡",
        "",
        (122.985, 39.53),
        "no AMap point; 石城乡 is 石城岛, the 32.9 km2 island of 庄河市 (cnmaps part); the "
        "fill had put the seat inland, 57 km north",
    ),
    "211481008": SeatCorrection(
        "菊花街道",
        "",
        (120.80, 40.50),
        "no AMap point; 菊花街道 is 觉华岛 (菊花岛), the 15.4 km2 island of 兴城市 (cnmaps "
        "part; its committees are 菊花岛北/南村); the fill had put the seat in 兴城 town",
    ),
}


def island_of(admin: AdminUnits, county: str, lon: float, lat: float) -> BaseGeometry | None:
    """Return the polygon part of `county` containing the point, or None when no part does.

    Parameters
    ----------
    admin
        The units with their (WGS-84) geometries.
    county
        Six-digit county code.
    lon, lat
        The point, WGS-84 degrees.
    """
    for part in shapely.get_parts(admin.geometry[county]):
        if part.contains(shapely.Point(lon, lat)):
            found: BaseGeometry = part
            return found
    return None


def _correct_seats(towns: pd.DataFrame, vonng: pd.DataFrame, admin: AdminUnits) -> None:
    """Apply `SEAT_CORRECTIONS` (before the fill, so synthetic seats avoid the fixed ones)."""
    by_code = vonng.set_index("code")
    for code, fix in sorted(SEAT_CORRECTIONS.items()):
        rows = towns.index[towns["code"] == code]
        if len(rows) != 1 or towns.at[rows[0], "name_zh"] != fix.name_zh:
            fail(_STREETS, "code", f"seat correction {code} {fix.name_zh} not found", "re-check")
        i = rows[0]
        county = str(towns.at[i, "county_code"])
        if fix.vonng_code:
            hit = by_code.loc[fix.vonng_code]
            lon, lat = float(str(hit["lon"])), float(str(hit["lat"]))
            source, match = "vonng_2016_gcj02", f"correction: {hit['name']} ({fix.vonng_code})"
        else:
            assert fix.island is not None
            part = island_of(admin, county, *fix.island)
            if part is None:
                fail(_STREETS, code, f"no island of {county} at {fix.island}", "re-check")
            point = part.centroid if part.contains(part.centroid) else part.representative_point()
            lon, lat = float(point.x), float(point.y)
            source, match = "cnmaps_island_centroid", f"correction: island of {fix.name_zh}"
        if island_of(admin, county, lon, lat) is None:
            fail(_STREETS, code, f"corrected seat of {fix.name_zh} is not on land", "re-check")
        for column, value in (
            ("lon", lon),
            ("lat", lat),
            ("coord_source", source),
            ("match", match),
            ("vonng_code", fix.vonng_code),
        ):
            towns.at[i, column] = value


def build_townships(raw: Path, admin: AdminUnits) -> pd.DataFrame:
    """Build the 1,406 township-level units with kind, English name and seat point.

    Parameters
    ----------
    raw
        The raw-data folder.
    admin
        Province/city/county units (for polygons and AreaCity pinyin).

    Returns
    -------
    pandas.DataFrame
        Sorted by code: ``code``, ``name_zh``, ``name_en``, ``kind``, ``county_code``,
        ``city_code``, ``lon``, ``lat``, ``coord_source``, ``match``, ``in_own_county``.
    """
    towns = _read_streets(raw)
    unknown = sorted(set(towns["county_code"]) - set(admin.counties()["code"]))
    if unknown:
        fail(
            _STREETS,
            "areaCode",
            f"county codes not in the county list: {unknown[:5]}",
            "re-extract",
        )
    _attach_areacity(towns, admin)
    vonng = _vonng_towns(raw)
    _match_vonng(towns, vonng, admin)
    _match_geonames(towns, raw, admin)
    _correct_seats(towns, vonng, admin)
    filled: dict[int, tuple[float, float, str]] = {}
    for county, group in towns.groupby("county_code", sort=True):
        todo = group[group["match"] == ""]
        if todo.empty:
            continue
        known = group[group["match"] != ""]
        seat = admin.units.loc[admin.units["code"] == county, ["lon", "lat"]].iloc[0]
        placed = fill_county(
            admin.geometry[str(county)],
            todo_kinds=todo["kind"].tolist(),
            known_lon=known["lon"].to_numpy(dtype=float),
            known_lat=known["lat"].to_numpy(dtype=float),
            known_urban=(known["kind"] == "subdistrict").to_numpy(),
            seat=(float(seat["lon"]), float(seat["lat"])),
        )
        for idx, (lon, lat, source) in zip(todo.index, placed, strict=True):
            filled[idx] = (lon, lat, source)
    for idx, (lon, lat, source) in filled.items():
        towns.at[idx, "lon"] = lon
        towns.at[idx, "lat"] = lat
        towns.at[idx, "coord_source"] = source
        towns.at[idx, "match"] = "synthetic"
    # rounding first makes the containment flag agree with the written coordinates
    towns["lon"] = towns["lon"].astype(float).round(6)
    towns["lat"] = towns["lat"].astype(float).round(6)
    towns["in_own_county"] = [
        bool(shapely.contains_xy(admin.geometry[c], x, y))
        for c, x, y in zip(towns["county_code"], towns["lon"], towns["lat"], strict=True)
    ]
    province = admin.geometry["210000"]
    outside = towns[
        ~shapely.contains_xy(province, towns["lon"].to_numpy(), towns["lat"].to_numpy())
    ]
    if len(outside):
        fail(
            "townships.csv",
            "lon/lat",
            f"{len(outside)} seat(s) outside the province polygon ({outside['code'].tolist()[:5]})",
            "check the matching or lower SIMPLIFY_TOLERANCE_DEG",
        )
    return towns
