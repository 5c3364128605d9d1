"""Bad input gets one line naming the file, the field and the fix; good input is normalised."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geodata.errors import DataValidationError, HealthplanDataError
from geodata.io import read_facilities, read_table
from geodata.validate import validate_admin_units, validate_demand, validate_facilities

# A stand-in "province": a 2 x 2 degree box around Shenyang.
PROVINCE = box(122.0, 41.0, 124.0, 43.0)


def _facilities(**overrides: object) -> gpd.GeoDataFrame:
    data: dict[str, object] = {
        "facility_id": ["F1", "F2", "F3"],
        "name_zh": ["甲医院", "乙卫生院", "丙中心"],
        "tier": ["county_hospital", "township_health_center", "city_3a"],
        "county_code": ["210102", "210103", "210104"],
        "city_code": ["210100", "210100", "210100"],
        "upgrade_cost_cny": [3.5e8, 2.0e7, np.nan],
    }
    data.update(overrides)
    geometry = [Point(123.4, 41.8), Point(123.5, 41.9), Point(123.3, 41.7)]
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def _demand(**overrides: object) -> gpd.GeoDataFrame:
    data: dict[str, object] = {
        "demand_id": ["210102001", "210102002"],
        "township_code": ["210102001", "210102002"],
        "county_code": ["210102", "210102"],
        "city_code": ["210100", "210100"],
        "population": [1200, 3400],
    }
    data.update(overrides)
    geometry = [Point(123.4, 41.8), Point(123.45, 41.85)]
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_valid_facilities_are_normalised() -> None:
    out = validate_facilities(_facilities(), source="f.csv", province=PROVINCE)
    assert out.crs.to_string() == "EPSG:4326"
    assert list(out["facility_id"]) == ["F1", "F2", "F3"]
    assert out["is_proxy"].tolist() == [False, False, False]
    assert out["upgrade_cost_cny"].isna().tolist() == [False, False, True]


def test_missing_columns_named_with_fix() -> None:
    frame = _facilities().drop(columns=["tier", "city_code"])
    with pytest.raises(DataValidationError) as exc:
        validate_facilities(frame, source="hospitals.csv")
    text = _one_line(exc)
    assert text.startswith("hospitals.csv: columns: missing required column(s) 'tier', 'city_code'")
    assert "needs facility_id" in text


def test_integer_admin_codes_rejected() -> None:
    frame = _facilities(county_code=[210102, 210103, 210104])
    with pytest.raises(DataValidationError) as exc:
        validate_facilities(frame, source="f.gpkg")
    text = _one_line(exc)
    assert "column 'county_code'" in text
    assert "stored as numbers" in text
    assert "as text" in text


def test_float_mangled_codes_rejected() -> None:
    frame = _facilities(county_code=["210102.0", "210103", "21010"])
    with pytest.raises(DataValidationError) as exc:
        validate_facilities(frame, source="f.csv")
    assert "2 values are not 6-digit codes ('210102.0', '21010')" in _one_line(exc)


def test_missing_crs_rejected() -> None:
    frame = _facilities().set_crs(None, allow_override=True)
    with pytest.raises(DataValidationError) as exc:
        validate_facilities(frame, source="f.gpkg")
    assert "f.gpkg: crs: the layer has no coordinate reference system" in _one_line(exc)


def test_wrong_crs_claim_rejected() -> None:
    metric = _facilities().to_crs("EPSG:32651")
    lying = metric.set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(DataValidationError) as exc:
        validate_facilities(lying, source="f.gpkg")
    assert "is geographic but coordinates reach" in _one_line(exc)


def test_other_crs_is_reprojected() -> None:
    out = validate_facilities(_facilities().to_crs("EPSG:32651"), source="f.gpkg")
    assert out.crs.to_string() == "EPSG:4326"
    assert out.geometry.iloc[0].x == pytest.approx(123.4, abs=1e-9)


def test_unknown_tier_and_duplicates_gathered_together() -> None:
    frame = _facilities(facility_id=["F1", "F1", "F3"], tier=["clinic", "city_3a", "city_3a"])
    with pytest.raises(DataValidationError) as exc:
        validate_facilities(frame, source="f.csv")
    assert len(exc.value.problems) == 2
    text = _one_line(exc)
    assert "1 ids occur more than once ('F1')" in text
    assert "unknown tiers ('clinic')" in text
    assert "use one of township_health_center" in text


def test_points_outside_province_named() -> None:
    frame = _facilities()
    frame.loc[1, "geometry"] = Point(116.4, 39.9)  # Beijing
    with pytest.raises(DataValidationError) as exc:
        validate_facilities(frame, source="f.csv", province=PROVINCE)
    text = _one_line(exc)
    assert "1 points lie outside the province by more than 2 km ('F2')" in text
    assert "lon/lat order" in text


def test_swapped_lon_lat_named() -> None:
    frame = _facilities()
    frame.loc[1, "geometry"] = Point(41.9, 123.5)
    with pytest.raises(DataValidationError) as exc:
        validate_facilities(frame, source="f.csv", province=PROVINCE)
    assert "longitude and latitude look swapped" in _one_line(exc)


def test_unknown_county_named() -> None:
    with pytest.raises(DataValidationError) as exc:
        validate_facilities(_facilities(), source="f.csv", counties=["210102", "210103"])
    assert "name counties not in the dataset ('210104')" in _one_line(exc)


@pytest.mark.parametrize(
    ("population", "expected"),
    [
        ([1200, np.nan], "1 values are missing (NaN)"),
        ([1200, -5], "1 values are negative ('-5')"),
        (["1,200", 5], "1 values are not numbers ('1,200')"),
    ],
)
def test_bad_population(population: list[object], expected: str) -> None:
    with pytest.raises(DataValidationError) as exc:
        validate_demand(_demand(population=population), source="demand.csv")
    text = _one_line(exc)
    assert text.startswith("demand.csv: column 'population': ")
    assert expected in text


def test_demand_duplicate_ids_and_township_code_length() -> None:
    frame = _demand(demand_id=["a", "a"], township_code=["210102001", "2101020"])
    with pytest.raises(DataValidationError) as exc:
        validate_demand(frame, source="d.gpkg")
    text = _one_line(exc)
    assert "ids occur more than once ('a')" in text
    assert "not 9-digit codes ('2101020')" in text


def test_valid_demand_population_is_integer() -> None:
    out = validate_demand(_demand(population=[1200.0, 3400.0]), province=PROVINCE)
    assert out["population"].dtype == np.int64
    assert int(out["population"].sum()) == 4600


# --- readers --------------------------------------------------------------------------------


def _write_csv(path: Path, frame: gpd.GeoDataFrame) -> Path:
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table["lon"] = frame.geometry.x
    table["lat"] = frame.geometry.y
    table.to_csv(path, index=False)
    return path


def test_csv_round_trip_keeps_codes_as_text(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "facilities.csv", _facilities())
    out = read_facilities(path, province=PROVINCE)
    assert out["county_code"].tolist() == ["210102", "210103", "210104"]
    assert out.geometry.iloc[2].x == pytest.approx(123.3)


def test_geopackage_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mine.gpkg"
    _facilities().to_file(path, layer="facilities", driver="GPKG")
    out = read_facilities(path)
    assert len(out) == 3
    with pytest.raises(HealthplanDataError) as exc:
        read_table(path, layer="hospitals")
    assert "layer 'hospitals' not found - layers in this file: facilities" in _one_line(exc)


def test_csv_without_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    pd.DataFrame(_facilities().drop(columns="geometry")).to_csv(path, index=False)
    with pytest.raises(DataValidationError) as exc:
        read_facilities(path)
    assert "f.csv: columns: no coordinate columns found - add 'lon' and 'lat'" in _one_line(exc)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(HealthplanDataError) as exc:
        read_table(tmp_path / "nope.csv")
    assert "nope.csv: file not found" in _one_line(exc)
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"this is not a geopackage")
    with pytest.raises(HealthplanDataError) as exc:
        read_table(broken)
    assert "broken.gpkg: cannot read the file" in _one_line(exc)
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    with pytest.raises(HealthplanDataError) as exc:
        read_table(tmp_path / "x.xlsx")
    assert "unsupported file type '.xlsx'" in _one_line(exc)


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("facility_id,name_zh\nF1,卫生院\n".encode("gbk"))
    with pytest.raises(HealthplanDataError) as exc:
        read_table(path)
    assert "gbk.csv: cannot read the CSV" in _one_line(exc)
    assert "UTF-8" in str(exc.value)


def _admin_units(**overrides: object) -> gpd.GeoDataFrame:
    data: dict[str, object] = {
        "code": ["210000", "210100", "210102", "210181", "210124", "210102001"],
        "name_zh": ["辽宁省", "沈阳市", "和平区", "新民市", "法库县", "浑河湾街道"],
        "name_en": ["Liaoning", "Shenyang", "Heping", "Xinmin", "Faku", "Hunhewan"],
        "level": ["province", "city", "county", "county", "county", "township"],
        "parent_code": [None, "210000", "210100", "210100", "210100", "210102"],
    }
    data.update(overrides)
    return gpd.GeoDataFrame(data, geometry=[PROVINCE] * 5 + [Point(123.4, 41.8)], crs="EPSG:4326")


def test_county_type_is_checked_on_county_rows() -> None:
    units = _admin_units(county_type=["", "", "district", "county_level_city", "county", ""])
    out = validate_admin_units(units)
    assert out["county_type"].tolist() == units["county_type"].tolist()
    assert out["parent_code"].tolist()[:2] == ["", "210000"]
    bad = _admin_units(county_type=["", "", "区", "county_level_city", None, ""])
    with pytest.raises(DataValidationError) as exc:
        validate_admin_units(bad, source="w.gpkg (layer 'admin_units')")
    assert _one_line(exc) == (
        "w.gpkg (layer 'admin_units'): column 'county_type': 2 county rows have no or an unknown "
        "county type ('区', '') (2 rows, first 210102) - use one of district, county, "
        "county_level_city on every county row, or leave out the column to derive it from "
        "name_zh (区, 市, 县)"
    )


def test_county_type_derived_from_the_name_when_absent() -> None:
    out = validate_admin_units(_admin_units())
    assert out["county_type"].tolist() == ["", "", "district", "county_level_city", "county", ""]


def test_admin_units_levels_and_columns_checked() -> None:
    with pytest.raises(DataValidationError) as exc:
        validate_admin_units(_admin_units().drop(columns="level"), source="a")
    assert "a: columns: missing required column(s) 'level'" in _one_line(exc)
    units = _admin_units(level=["province", "city", "County", "county", "county", "township"])
    with pytest.raises(DataValidationError) as exc:
        validate_admin_units(units.assign(population=[1, 2, 3, -4, 5, 6]), source="a")
    line = _one_line(exc)
    assert "a: column 'level': 1 rows have unknown levels ('County')" in line
    assert "column 'population': 1 values are negative ('-4')" in line
