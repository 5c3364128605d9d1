"""Grade-3A hospital points (``raw/tertiary_3a_geocoded``): name matching and cross-border rows.

The file (Apache-2.0; credit "Luoyun, https://github.com/46319943/3AHospital") lists 97
Grade-3A hospitals in Liaoning and 8 just across the border with WGS-84 points (the author
geocoded a-hospital.com addresses with Baidu and converted BD-09 to WGS-84, so no conversion
is needed here: the dataset stores WGS-84 too).

Matching a shipped hospital (``liaoning_tertiary_hospitals.csv``) to a geocoded row:

1. `MANUAL_MATCHES` (pairs checked by eye: renamed hospitals, enterprise names) first;
2. else the normalised names must be equal: brackets and their content removed (a bracketed
   part that is itself a hospital name, e.g. ``（中山医院）``, is kept as an alias), 附属, 大学,
   有限责任公司, 公司 and 集团 removed, 辽宁医学院 read as its former name 锦州医学院, and
   the campus suffixes 院区 / 分院 / 二部 dropped;
3. when several geocoded rows match, the one whose name is the shipped name verbatim wins;
   otherwise they must lie within `SAME_PLACE_M` of each other (one hospital geocoded twice)
   and the first by name is used.

Rows flagged ``geocode_wrong`` are never used (`flag` column of the raw file), and
`REJECTED` lists geocoded rows whose point contradicts the hospital's known location.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, NamedTuple

import numpy as np
import pandas as pd

from geodata.build.common import fail, read_raw_csv, to_metric

__all__ = [
    "CROSS_BORDER_CITY",
    "GEOCODED",
    "GEOCODED_SOURCE",
    "MANUAL_MATCHES",
    "REJECTED",
    "SAME_PLACE_M",
    "Match",
    "cross_border_rows",
    "match_tertiary",
    "normalise_name",
    "read_geocoded",
]

#: The raw file.
GEOCODED: Final = "tertiary_3a_geocoded/liaoning_3a_hospitals_geocoded.csv"
#: ``location_source`` of a facility placed at its Grade-3A geocoded point.
GEOCODED_SOURCE: Final = "3ahospital_geocoded"
#: Two geocoded rows closer than this are one place (campuses geocoded to one address).
SAME_PLACE_M: Final = 300.0
#: Shipped name -> geocoded name, matched by eye (address and history agree).
MANUAL_MATCHES: Final = {
    # 滑翔路39号 is Shengjing's 滑翔 campus (the former 3rd affiliated hospital)
    "中国医科大学附属盛京医院滑翔院区": (
        "中国医科大学第二附属医院二部（中国医大附三院、中国医科大学第三附属医院）"
    ),
    # 辽河油田总医院, 兴隆台区 迎宾路26号, was 辽河油田中心医院
    "盘锦辽河油田总医院": "辽河油田中心医院（油田医院）",
    # Ansteel's general hospital, 铁东区健身街3号
    "鞍山钢铁集团公司总医院": "鞍钢总医院",
    # one hospital, two names (大连市妇产医院 = 大连市妇幼保健院), 敦煌路1号
    "大连市妇幼保健院（大连市妇产医院）": "大连市妇产医院大连市妇幼保健院",
}
#: Geocoded rows never used, with the reason.
REJECTED: Final = {
    "铁法矿务局总医院": "point in 抚顺 (123.90 E, 41.86 N), 80 km from 调兵山 (铁法), where the "
    "hospital is; the shipped 铁法煤业（集团）总医院 keeps its 调兵山市 seat",
    "中国医科大学第四附属医院（中国医大附四院）": "address 于洪区崇山东4号 geocoded 13 km west "
    "of 崇山东路 in 皇姑区; the row 中国医科大学附属第四医院 (崇山东路4号) is used",
}
#: Prefecture adcode of each cross-border city (the ``county_code`` and ``city_code`` of its
#: rows: the districts are not checked offline, the prefectures are certain).
CROSS_BORDER_CITY: Final = {
    "秦皇岛市": ("130300", "河北省"),
    "赤峰市": ("150400", "内蒙古自治区"),
    "四平市": ("220300", "吉林省"),
    "辽源市": ("220400", "吉林省"),
}

_REMOVE: Final = ("附属", "大学", "有限责任公司", "公司", "集团")
_CAMPUS: Final = re.compile(r"(院区|分院|二部)$")
_BRACKET: Final = re.compile(r"[（(]([^）)]*)[）)]")


class Match(NamedTuple):
    """A shipped hospital's geocoded point."""

    geocoded_name: str
    lon: float
    lat: float
    how: str


def normalise_name(name: str) -> str:
    """Normalise a hospital name for matching (see the module docstring)."""
    text = _BRACKET.sub("", name).replace("辽宁医学院", "锦州医学院")
    for word in _REMOVE:
        text = text.replace(word, "")
    return _CAMPUS.sub("", text.strip())


def _keys(name: str) -> set[str]:
    keys = {normalise_name(name)}
    for inner in _BRACKET.findall(name):
        for part in re.split("[、，,]", inner):
            if part.endswith("院") and len(part) >= 4:
                keys.add(normalise_name(part))
    return keys


def read_geocoded(raw: Path) -> pd.DataFrame:
    """Read the geocoded Grade-3A file (names, WGS-84 points, province, flag), checked."""
    frame = read_raw_csv(
        raw, GEOCODED, ["name", "address", "longitude_wgs84", "latitude_wgs84", "province", "flag"]
    )
    lon = pd.to_numeric(frame["longitude_wgs84"], errors="coerce")
    lat = pd.to_numeric(frame["latitude_wgs84"], errors="coerce")
    if lon.isna().any() or lat.isna().any():
        fail(GEOCODED, "longitude_wgs84", "coordinates that are not numbers", "re-extract")
    if frame["name"].duplicated().any():
        fail(GEOCODED, "name", "duplicate names", "re-extract")
    return frame.assign(lon=lon.astype(float), lat=lat.astype(float))


def match_tertiary(raw: Path, shipped: list[str]) -> dict[str, Match]:
    """Match shipped hospital names to geocoded Grade-3A points.

    Parameters
    ----------
    raw
        The raw-data folder.
    shipped
        Chinese names of the shipped hospitals (``liaoning_tertiary_hospitals.csv``).

    Returns
    -------
    dict
        Shipped name -> `Match`, for the matched names only (sorted by name).
    """
    geo = read_geocoded(raw)
    usable = geo[
        (geo["province"] == "辽宁")
        & ~geo["flag"].str.startswith("geocode_wrong")
        & ~geo["name"].isin(list(REJECTED))
    ].sort_values("name", kind="stable")
    point = {
        str(n): (float(x), float(y))
        for n, x, y in zip(usable["name"], usable["lon"], usable["lat"], strict=True)
    }
    by_key: dict[str, list[str]] = {}
    for name in usable["name"]:
        for key in sorted(_keys(str(name))):
            by_key.setdefault(key, []).append(str(name))
    out: dict[str, Match] = {}
    for name in sorted(shipped):
        if name in MANUAL_MATCHES:
            target = MANUAL_MATCHES[name]
            if target not in point:
                fail(
                    GEOCODED, "name", f"manual match {target!r} not found", "update MANUAL_MATCHES"
                )
            out[name] = Match(target, *point[target], "manual (checked by eye)")
            continue
        cands = sorted({c for key in _keys(name) for c in by_key.get(key, [])})
        if not cands:
            continue
        if name in cands:
            out[name] = Match(name, *point[name], "same name")
            continue
        x, y = to_metric([point[c][0] for c in cands], [point[c][1] for c in cands])
        spread = float(np.hypot(x - x[0], y - y[0]).max())
        if spread > SAME_PLACE_M:
            fail(
                GEOCODED,
                "name",
                f"{name!r} matches {cands} {spread:.0f} m apart",
                "add the right one to MANUAL_MATCHES or REJECTED",
            )
        out[name] = Match(cands[0], *point[cands[0]], "normalised name")
    return out


#: English names of the cross-border cities and provinces (for `hospital_name_en`).
_CROSS_BORDER_PLACES: Final = {
    "秦皇岛市": "Qinhuangdao",
    "秦皇岛": "Qinhuangdao",
    "赤峰市": "Chifeng",
    "赤峰": "Chifeng",
    "四平市": "Siping",
    "辽源市": "Liaoyuan",
    "辽源": "Liaoyuan",
    "吉林省": "Jilin Provincial",
}


#: English names the glossary cannot make (medical terms it does not hold).
_NAME_EN: Final = {
    "吉林省神经精神病院": "Jilin Provincial Neuropsychiatric Hospital",
    "吉林省脑科医院（吉林省神经精神病医院、吉林省第三人民医院）": "Jilin Provincial Brain Hospital",
}


def _hospital_type(name: str) -> str:
    core = _BRACKET.sub("", name)
    if "中医" in core:
        return "tcm"
    if "妇幼" in core or "妇产" in core:
        return "maternal_child"
    if any(word in core for word in ("脑科", "精神", "传染", "肿瘤", "口腔", "眼科")):
        return "specialty"
    return "general"


def cross_border_rows(raw: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Return the Grade-3A hospitals across the border (flag ``outside_liaoning``) as facilities.

    Parameters
    ----------
    raw
        The raw-data folder.
    columns
        The facility columns (`geodata.build.facilities.FACILITY_COLUMNS`); ``province`` and
        ``city_name_zh`` are added after them.

    Returns
    -------
    pandas.DataFrame
        One row per hospital, ids ``XB-01`` ... in name order, tier ``city_3a``, grade
        ``3A``, type from the name (中医 tcm, 妇幼 maternal_child, 脑科/精神 specialty, else
        general), ``general_care`` for general and tcm, the prefecture adcode as
        ``county_code`` and ``city_code`` (`CROSS_BORDER_CITY`).
    """
    from geodata.build.names import hospital_name_en

    geo = read_geocoded(raw)
    rows = geo[geo["flag"].str.startswith("outside_liaoning")].sort_values("name", kind="stable")
    out = []
    for n, h in enumerate(rows.itertuples(index=False), start=1):
        text = f"{h.name}{h.address}"
        cities = [c for c in CROSS_BORDER_CITY if c in text]
        if len(cities) != 1:
            fail(
                GEOCODED,
                "address",
                f"no single neighbour city for {h.name!r}",
                "extend CROSS_BORDER_CITY",
            )
        city = cities[0]
        code, province = CROSS_BORDER_CITY[city]
        kind = _hospital_type(str(h.name))
        values: dict[str, object] = {
            "facility_id": f"XB-{n:02d}",
            "name_zh": h.name,
            "name_en": _NAME_EN.get(str(h.name))
            or hospital_name_en(_BRACKET.sub("", str(h.name)), _CROSS_BORDER_PLACES),
            "tier": "city_3a",
            "county_code": code,
            "city_code": code,
            "lon": float(str(h.lon)),
            "lat": float(str(h.lat)),
            "is_proxy": False,
            "location_source": GEOCODED_SOURCE,
            "grade": "3A",
            "hospital_type": kind,
            "general_care": kind in ("general", "tcm"),
            "source": "tertiary_3a_geocoded (Luoyun, https://github.com/46319943/3AHospital)",
            "province": province,
            "city_name_zh": city,
        }
        out.append({c: values.get(c, "") for c in (*columns, "province", "city_name_zh")})
    return pd.DataFrame(out, columns=[*columns, "province", "city_name_zh"])
