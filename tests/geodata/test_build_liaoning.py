"""The committed Liaoning dataset: reproducible from the raw files and internally consistent."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
import shapely

from geodata.build.liaoning import DEFAULT_OUT, DEFAULT_RAW, build

REPO = Path(__file__).resolve().parents[2]
RAW = (REPO / DEFAULT_RAW).resolve()
COMMITTED = DEFAULT_OUT
FILES = (
    "boundaries.geojson",
    "seats.csv",
    "townships.csv",
    "facilities.csv",
    "cross_border.csv",
    "corridors.csv",
    "PROVENANCE.md",
    "manifest.json",
)
PROVINCE_POPULATION = 42_591_407
CENSUS = "census2020_leiii/liaoning_census_county_2020.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _features(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    features: list[dict[str, Any]] = data["features"]
    return features


# --- checks on the committed files (need no raw data) ---------------------------------------


def test_committed_files_present_and_small() -> None:
    for name in FILES:
        path = COMMITTED / name
        assert path.is_file(), name
        assert path.stat().st_size < 5_000_000, name
    assert sum((COMMITTED / n).stat().st_size for n in FILES) < 4_000_000


def test_manifest_hashes_match_files() -> None:
    import hashlib

    manifest = json.loads((COMMITTED / "manifest.json").read_text(encoding="utf-8"))
    for name, info in manifest["files"].items():
        assert hashlib.sha256((COMMITTED / name).read_bytes()).hexdigest() == info["sha256"], name


def test_boundaries_levels_codes_and_geometry() -> None:
    features = _features(COMMITTED / "boundaries.geojson")
    props = [f["properties"] for f in features]
    levels = [p["level"] for p in props]
    assert (levels.count("province"), levels.count("city"), levels.count("county")) == (1, 14, 100)
    for p in props:
        assert isinstance(p["code"], str)
        assert re.fullmatch(r"21\d{4}", p["code"])
        assert isinstance(p["parent_code"], str)
        assert isinstance(p["population"], int)
    cities = {p["code"] for p in props if p["level"] == "city"}
    assert {p["parent_code"] for p in props if p["level"] == "city"} == {"210000"}
    assert {p["parent_code"] for p in props if p["level"] == "county"} == cities
    types = {p["county_type"] for p in props if p["level"] == "county"}
    assert types == {"district", "county_level_city", "county"}
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
    assert all(g.geom_type == "MultiPolygon" and g.is_valid for g in geoms)
    counties = [g for g, p in zip(geoms, props, strict=True) if p["level"] == "county"]
    assert shapely.coverage_is_valid(counties)
    province = geoms[levels.index("province")]
    assert sum(g.area for g in counties) == pytest.approx(province.area, rel=1e-9)
    pops = {p["code"]: p["population"] for p in props}
    assert pops["210000"] == PROVINCE_POPULATION
    assert sum(p["population"] for p in props if p["level"] == "county") == PROVINCE_POPULATION


def test_townships_population_and_codes() -> None:
    towns = _rows(COMMITTED / "townships.csv")
    assert len(towns) == 1406
    assert len({t["code"] for t in towns}) == 1406
    counties = {
        f["properties"]["code"]: f["properties"]["population"]
        for f in _features(COMMITTED / "boundaries.geojson")
        if f["properties"]["level"] == "county"
    }
    sums: dict[str, int] = dict.fromkeys(counties, 0)
    for t in towns:
        assert re.fullmatch(r"\d{9}", t["code"])
        assert t["code"].startswith(t["county_code"])
        assert re.fullmatch(r"\d{4}00", t["city_code"])
        assert t["county_code"][:4] == t["city_code"][:4]
        bands = int(t["pop_0_14"]) + int(t["pop_15_64"]) + int(t["pop_65plus"])
        assert int(t["population"]) == bands
        assert int(t["pop_female_15_49"]) <= int(t["pop_15_64"])
        assert re.fullmatch(r"-?\d+\.\d{6}", t["lon"])
        sums[t["county_code"]] += int(t["population"])
    assert sums == counties
    assert sum(sums.values()) == PROVINCE_POPULATION
    kinds = {
        k: sum(t["kind"] == k for t in towns)
        for k in ("subdistrict", "town", "township", "special")
    }
    assert kinds == {"subdistrict": 510, "town": 639, "township": 201, "special": 56}
    real = [t for t in towns if t["kind"] != "special"]
    share = sum(t["coord_source"] in ("vonng_2016_gcj02", "geonames_pinyin") for t in real) / len(
        real
    )
    assert share > 0.8


def test_every_township_inside_the_province() -> None:
    features = _features(COMMITTED / "boundaries.geojson")
    province = next(
        shapely.geometry.shape(f["geometry"])
        for f in features
        if f["properties"]["level"] == "province"
    )
    towns = _rows(COMMITTED / "townships.csv")
    lon = [float(t["lon"]) for t in towns]
    lat = [float(t["lat"]) for t in towns]
    assert shapely.contains_xy(province, lon, lat).all()
    facilities = _rows(COMMITTED / "facilities.csv")
    lon = [float(f["lon"]) for f in facilities]
    lat = [float(f["lat"]) for f in facilities]
    assert shapely.contains_xy(province, lon, lat).all()


def test_seats() -> None:
    seats = _rows(COMMITTED / "seats.csv")
    assert len(seats) == 115
    assert [s["level"] for s in seats].count("county") == 100
    assert all(re.fullmatch(r"21\d{4}", s["code"]) for s in seats)


def test_facilities_tiers_and_city_3a() -> None:
    facilities = _rows(COMMITTED / "facilities.csv")
    ids = [f["facility_id"] for f in facilities]
    assert len(ids) == len(set(ids))
    tiers: dict[str, int] = {}
    for f in facilities:
        tiers[f["tier"]] = tiers.get(f["tier"], 0) + 1
        assert f["is_proxy"] in ("true", "false")
        assert f["general_care"] in ("true", "false")
        assert re.fullmatch(r"21\d{4}", f["county_code"])
        assert re.fullmatch(r"21\d{2}00", f["city_code"])
    assert tiers["township_health_center"] == 840
    assert tiers["community_health_center"] == 510
    assert tiers["county_hospital"] == 100
    assert tiers["city_3a"] >= 90
    general = {
        f["city_code"] for f in facilities if f["tier"] == "city_3a" and f["general_care"] == "true"
    }
    assert len(general) == 14
    real_ch = {
        f["name_zh"]
        for f in facilities
        if f["tier"] == "county_hospital" and f["is_proxy"] == "false"
    }
    assert real_ch == {"康平县人民医院", "法库县中心医院"}


# --- checks against the raw files (skipped where ../shared/data/raw is absent) ---------------

needs_raw = pytest.mark.skipif(
    not (RAW / CENSUS).is_file(),
    reason=f"raw data folder not found at {RAW} (shared data beside the repo)",
)


@needs_raw
def test_census_county_totals_exact() -> None:
    census = {r["区划代码"]: int(r["人口数_合计"]) for r in _rows(RAW / CENSUS)}
    assert census["210000"] == PROVINCE_POPULATION
    sums: dict[str, int] = {}
    for t in _rows(COMMITTED / "townships.csv"):
        sums[t["county_code"]] = sums.get(t["county_code"], 0) + int(t["population"])
    assert len(sums) == 100
    for code, total in sums.items():
        assert total == census[code], code


@needs_raw
def test_fresh_build_is_byte_identical(tmp_path: Path) -> None:
    manifest = build(RAW, tmp_path)
    assert manifest["files"]["townships.csv"]["rows"] == 1406
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (COMMITTED / name).read_bytes(), (
            f"{name} differs from a fresh build - run `make data` and commit the result"
        )


@needs_raw
def test_missing_raw_file_is_a_clear_error(tmp_path: Path) -> None:
    from geodata.errors import HealthplanDataError

    with pytest.raises(HealthplanDataError, match=r"file: raw input missing"):
        build(tmp_path / "nowhere", tmp_path / "out")
