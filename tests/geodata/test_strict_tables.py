"""Facility and demand tables are checked strictly, by one validator, on every path (issue 11).

Each defect found by testing has its own test. A seeded generator then derives more than 120
distinct bad files from a valid table and runs each through ``healthplan data validate`` (the
typer app, in process) and through `geodata.load_dataset` (the scenario runner's path): exit
code 2, one line starting with ``error:``, no traceback, and the same message from both.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import random
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point
from typer.testing import CliRunner

import geodata
import geodata.dataset
from geodata.dataset import Dataset
from geodata.errors import HealthplanDataError
from geodata.io import read_demand, read_facilities
from geodata.validate import validate_demand, validate_facilities
from scenarios.cli import app

pytestmark = pytest.mark.xdist_group("liaoning")

runner = CliRunner()

COLUMNS = [
    "facility_id",
    "name_zh",
    "name_en",
    "tier",
    "county_code",
    "city_code",
    "beds",
    "upgrade_cost_cny",
    "is_proxy",
    "general_care",
    "lon",
    "lat",
]
# Six facilities at real Liaoning county seats (shipped seats.csv), one per city.
VALID: list[dict[str, str]] = [
    dict(zip(COLUMNS, row, strict=True))
    for row in (
        ("F01", "和平区医院", "Heping Hospital", "county_hospital", "210102", "210100",
         "300", "350000000", "false", "true", "123.414", "41.787"),
        ("F02", "中山区医院", "Zhongshan Hospital", "county_3a", "210202", "210200",
         "500", "", "False", "TRUE", "121.640", "38.918"),
        ("F03", "铁东卫生院", "Tiedong Health Center", "township_health_center", "210302",
         "210300", "40", "2e7", "true", "1", "122.986", "41.088"),
        ("F04", "新抚社区卫生服务中心", "Xinfu CHC", "community_health_center", "210402",
         "210400", "", "1.0e7", "TRUE", "True", "123.907", "41.860"),
        ("F05", "古塔医院", "Guta Hospital", "city_3a", "210702", "210700",
         "800", "", "0", "true", "121.123", "41.115"),
        ("F06", "银州中心卫生院", "Yinzhou Central Health Center", "township_central", "211202",
         "211200", "60", "3e7", "1", "false", "123.836", "42.284"),
    )
]  # fmt: skip
CITIES = sorted({row["city_code"] for row in VALID})


@dataclasses.dataclass(frozen=True)
class BadFile:
    """A facility file derived from `VALID`, written as bytes (or as a folder)."""

    name: str
    content: bytes
    folder: bool = False

    def write(self, folder: Path) -> Path:
        path = folder / "facilities.csv"
        if self.folder:
            path.mkdir()
        else:
            path.write_bytes(self.content)
        return path


def _csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    columns = columns or COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _edited(edits: list[tuple[int, dict[str, str]]]) -> list[dict[str, str]]:
    rows = [dict(row) for row in VALID]
    for index, cells in edits:
        rows[index].update(cells)
    return rows


def _value_edits() -> list[tuple[str, dict[str, str]]]:
    """Named edits of numbers and coordinates, each one defect."""
    edits: list[tuple[str, dict[str, str]]] = []
    for column in ("beds", "upgrade_cost_cny"):
        for value in ("inf", "-inf", "1e400", "-1e400", "Infinity", "+inf"):
            edits.append((f"nonfinite-{column}-{value}", {column: value}))
        for value in ("-1", "-0.5", "-3.5e8"):
            edits.append((f"negative-{column}-{value}", {column: value}))
        for value in ("many", "1,200", "300张", "N/A", "NaN", "—", "3e", "true"):
            edits.append((f"text-{column}-{value}", {column: value}))
    for column in ("lon", "lat"):
        for value in ("abc", "", "41.8N", "inf", "1e400"):
            edits.append((f"coord-{column}-{value or 'empty'}", {column: value}))
    return edits


def _cell_edits(rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    """Named single-row edits, each one defect (the row is chosen by `_row_for`)."""
    edits = _value_edits()
    places = {
        "lat400": {"lat": "400"},
        "lat-91": {"lat": "-91"},
        "lon400": {"lon": "400"},
        "lon-181": {"lon": "-181"},
        "europe": {"lon": "10.0", "lat": "50.0"},
        "paris": {"lon": "2.35", "lat": "48.86"},
        "beijing": {"lon": "116.4", "lat": "39.9"},
        "swapped": {"lon": "41.8", "lat": "123.4"},
    }
    edits += [(f"place-{name}", cells) for name, cells in places.items()]
    for city in CITIES:
        edits.append((f"city-mismatch-{city}", {"city_code": city}))
    edits.append(("county-of-other-city", {"county_code": "210202", "city_code": "210100"}))
    edits.append(("county-unknown", {"county_code": "210199", "city_code": "210100"}))
    for column in ("county_code", "city_code"):
        for value in ("210102.0", "21010", "2101020", "abcdef", "", " 210102"):
            edits.append((f"code-{column}-{value.strip() or 'empty'}", {column: value}))
    for value in ("", " ", "   "):
        edits.append((f"empty-id-{len(value)}", {"facility_id": value}))
        edits.append((f"empty-name-{len(value)}", {"name_zh": value}))
    for value in ("是", "否", "yes", "no", "Y", "N", "t", "f", "真", "假", "2", "-1", "1.0", ""):
        edits.append((f"proxy-{value or 'empty'}", {"is_proxy": value}))
    for value in ("是", "no", ""):
        edits.append((f"general-care-{value or 'empty'}", {"general_care": value}))
    for value in ("clinic", "", "County_Hospital", "三甲"):
        edits.append((f"tier-{value or 'empty'}", {"tier": value}))
    rng.shuffle(edits)
    return edits


def _row_for(rng: random.Random, cells: dict[str, str]) -> int:
    """A random row that `cells` changes (a city code equal to the row's own is no defect)."""
    changed = [k for k, row in enumerate(VALID) if any(row[c] != v for c, v in cells.items())]
    return rng.choice(changed)


def bad_files(seed: int = 11) -> list[BadFile]:
    """Bad facility files from `VALID`: every defect once, then seeded random combinations."""
    rng = random.Random(seed)
    files: list[BadFile] = []
    singles = _cell_edits(rng)
    for name, cells in singles:
        rows = _edited([(_row_for(rng, cells), cells)])
        files.append(BadFile(name, _csv(rows).encode()))
    for k in range(3):
        i, j = rng.sample(range(len(VALID)), 2)
        rows = _edited([(i, {"facility_id": VALID[j]["facility_id"]})])
        files.append(BadFile(f"duplicate-id-{k}", _csv(rows).encode()))
    files += [
        BadFile("header-only", _csv([]).encode()),
        BadFile("header-only-required", _csv([], [*COLUMNS[:6], "lon", "lat"]).encode()),
        BadFile("header-only-bom", ("\ufeff" + _csv([])).encode()),
        BadFile("empty-file", b""),
        BadFile("gbk", _csv(VALID).encode("gbk")),
        BadFile("utf-16", _csv(VALID).encode("utf-16")),
        BadFile("folder", b"", folder=True),
    ]
    for column in ("facility_id", "name_zh", "tier", "county_code", "city_code", "lon", "lat"):
        kept = [c for c in COLUMNS if c != column]
        files.append(BadFile(f"missing-{column}", _csv(VALID, kept).encode()))
    for k in range(45):
        picks = rng.sample(singles, rng.randint(2, 4))
        rows = _edited([(_row_for(rng, cells), cells) for _, cells in picks])
        if rng.random() < 0.3:
            files.append(BadFile(f"combo-{k}-bom", ("\ufeff" + _csv(rows)).encode()))
        else:
            files.append(BadFile(f"combo-{k}", _csv(rows).encode()))
    return files


BAD_FILES = bad_files()


@pytest.fixture(scope="module")
def world() -> Iterator[Dataset]:
    """The Liaoning world, loaded once; `load_dataset` reuses it (no reload per file)."""
    loaded = geodata.load_dataset("liaoning")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(geodata.dataset, "_load_builtin", lambda name: dataclasses.replace(loaded))
        yield loaded


def _verdicts(path: Path) -> tuple[int, str, str | None]:
    """Exit code and output of ``healthplan data validate``, and the loader's error."""
    result = runner.invoke(app, ["data", "validate", str(path)])
    try:
        geodata.load_dataset("liaoning", facilities=path)
    except HealthplanDataError as exc:
        return result.exit_code, result.output, str(exc)
    return result.exit_code, result.output, None


def _error(path: Path) -> str:
    """The one-line error both paths give for `path` (asserting that they agree)."""
    code, output, loader = _verdicts(path)
    assert code == 2, output
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ")
    assert loader is not None
    assert "\n" not in loader
    assert lines[0] == f"error: {loader}"
    return loader


def _write(tmp_path: Path, rows: list[dict[str, str]], **kwargs: str) -> Path:
    path = tmp_path / "facilities.csv"
    path.write_text(_csv(rows), **{"encoding": "utf-8", **kwargs})
    return path


def test_generator_makes_enough_distinct_bad_files() -> None:
    distinct = {(bad.content, bad.folder) for bad in BAD_FILES}
    assert len(distinct) == len(BAD_FILES) >= 120
    assert bad_files() == BAD_FILES  # seeded: the same files every run


def test_valid_table_passes_both_paths(world: Dataset, tmp_path: Path) -> None:
    path = _write(tmp_path, VALID)
    code, output, loader = _verdicts(path)
    assert code == 0, output
    assert "OK (6 rows, facilities)" in output
    assert loader is None
    loaded = geodata.load_dataset("liaoning", facilities=path).facilities
    assert loaded["is_proxy"].tolist() == [False, False, True, True, False, True]
    assert loaded["general_care"].tolist() == [True, True, True, True, True, False]
    assert loaded["county_code"].tolist() == [row["county_code"] for row in VALID]
    assert loaded["upgrade_cost_cny"].isna().tolist() == [False, True, False, False, True, False]
    assert loaded["beds"].dtype == np.float64


@pytest.mark.parametrize("bad", BAD_FILES, ids=[bad.name for bad in BAD_FILES])
def test_bad_file_one_line_same_on_both_paths(bad: BadFile, world: Dataset, tmp_path: Path) -> None:
    path = bad.write(tmp_path)
    message = _error(path)
    assert message.startswith((f"{path.name}: ", f"{path}: "))


# --- each defect, with its message ------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("upgrade_cost_cny", "inf", "1 values are not finite ('inf') (1 rows, first F02)"),
        ("beds", "1e400", "1 values are not finite ('1e400') (1 rows, first F02)"),
        ("beds", "-5", "1 values are negative ('-5') (1 rows, first F02)"),
        ("upgrade_cost_cny", "3亿", "1 values are not numbers ('3亿') (1 rows, first F02)"),
    ],
)
def test_numbers_finite_and_not_negative(
    world: Dataset, tmp_path: Path, column: str, value: str, expected: str
) -> None:
    path = _write(tmp_path, _edited([(1, {column: value})]))
    message = _error(path)
    assert message.startswith(f"facilities.csv: column '{column}': {expected} - ")


def test_city_must_contain_county(world: Dataset, tmp_path: Path) -> None:
    path = _write(tmp_path, _edited([(0, {"city_code": "210200"})]))
    assert _error(path) == (
        "facilities.csv: column 'city_code': 1 values do not match county_code "
        "(county 210102 is in city 210100, not 210200) (1 rows, first F01) - write the city "
        "of the row's county (the first four digits of county_code, then 00), or correct "
        "county_code"
    )


def test_empty_ids_names_and_duplicates(world: Dataset, tmp_path: Path) -> None:
    rows = _edited([(2, {"facility_id": " "}), (3, {"name_zh": ""}), (4, {"facility_id": "F01"})])
    message = _error(_write(tmp_path, rows))
    assert "column 'facility_id': 1 ids are empty (1 rows, first data row 3)" in message
    assert "column 'facility_id': 1 ids occur more than once ('F01') (2 rows, first F01)" in message
    assert "column 'name_zh': 1 values are empty (1 rows, first F04)" in message


@pytest.mark.parametrize("values", [("是", "否"), ("yes", "no"), ("Y", "N")])
def test_is_proxy_only_true_false(world: Dataset, tmp_path: Path, values: tuple[str, str]) -> None:
    rows = _edited([(0, {"is_proxy": values[0]}), (1, {"is_proxy": values[1]})])
    assert _error(_write(tmp_path, rows)) == (
        f"facilities.csv: column 'is_proxy': 2 values are not true/false ('{values[0]}', "
        f"'{values[1]}') (2 rows, first F01) - write true or false (also accepted: "
        "TRUE/FALSE, True/False, 1/0)"
    )


def test_is_proxy_spellings_read_as_booleans(world: Dataset, tmp_path: Path) -> None:
    spellings = ["true", "false", "True", "False", "TRUE", "FALSE"]
    rows = _edited([(k, {"is_proxy": value}) for k, value in enumerate(spellings)])
    loaded = geodata.load_dataset("liaoning", facilities=_write(tmp_path, rows))
    assert loaded.facilities["is_proxy"].tolist() == [True, False, True, False, True, False]
    assert loaded.summary()["proxy_facilities"] == 3


def test_header_only_file(world: Dataset, tmp_path: Path) -> None:
    assert _error(_write(tmp_path, [])) == (
        "facilities.csv: rows: no facilities (the table has a header but no rows) - "
        "add one row per facility below the header"
    )


def test_one_bad_latitude_names_row_and_column(world: Dataset, tmp_path: Path) -> None:
    message = _error(_write(tmp_path, _edited([(3, {"lat": "400"})])))
    assert message.startswith(
        "facilities.csv: column 'lat': 1 values are outside -90..90 ('400') (1 rows, first F04)"
    )
    assert ": crs: " not in message


def test_point_in_europe_names_row(world: Dataset, tmp_path: Path) -> None:
    message = _error(_write(tmp_path, _edited([(4, {"lon": "10.0", "lat": "50.0"})])))
    assert message.startswith(
        "facilities.csv: columns 'lon'/'lat': 1 points lie outside the province by more than "
        "2 km ('F05') (1 rows, first F05)"
    )


def test_swapped_row_named(world: Dataset, tmp_path: Path) -> None:
    message = _error(_write(tmp_path, _edited([(1, {"lon": "38.918", "lat": "121.640"})])))
    assert message.startswith(
        "facilities.csv: columns 'lon'/'lat': longitude and latitude look swapped (latitude "
        "above 90; lon, lat = '38.918, 121.640') (1 rows, first F02)"
    )


def test_folder_is_one_line(world: Dataset, tmp_path: Path) -> None:
    folder = tmp_path / "facilities.csv"
    folder.mkdir()
    assert _error(folder).startswith(f"{folder}: is a folder, not a file - ")


def test_missing_columns_and_text_in_numbers(world: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "facilities.csv"
    path.write_text(_csv(VALID, [c for c in COLUMNS if c != "tier"]), encoding="utf-8")
    assert "columns: missing required column(s) 'tier'" in _error(path)


def test_bom_header_is_read(world: Dataset, tmp_path: Path) -> None:
    path = _write(tmp_path, VALID, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    loaded = geodata.load_dataset("liaoning", facilities=path).facilities
    assert loaded["facility_id"].tolist()[:2] == ["F01", "F02"]


def test_gbk_file_says_save_as_utf8(world: Dataset, tmp_path: Path) -> None:
    message = _error(_write(tmp_path, VALID, encoding="gbk"))
    assert message.startswith("facilities.csv: cannot read the CSV: it is not UTF-8 text")
    assert "save it as UTF-8" in message


def test_problems_are_gathered(world: Dataset, tmp_path: Path) -> None:
    rows = _edited([(0, {"beds": "inf"}), (1, {"is_proxy": "是"}), (2, {"lat": "400"})])
    message = _error(_write(tmp_path, rows))
    assert "(and 2 more: " in message
    for column in ("beds", "is_proxy", "lat"):
        assert f"column '{column}'" in message


# --- the same rules for GeoPackage layers and demand tables ----------------------------------


def _frame() -> gpd.GeoDataFrame:
    table = pd.DataFrame(VALID)
    points = gpd.points_from_xy(table.pop("lon").astype(float), table.pop("lat").astype(float))
    return gpd.GeoDataFrame(table, geometry=points, crs="EPSG:4326")


def test_geopackage_row_out_of_degrees_named(world: Dataset) -> None:
    frame = _frame()
    frame.loc[2, "geometry"] = Point(122.9, 400.0)
    with pytest.raises(HealthplanDataError) as exc:
        validate_facilities(frame, source="mine.gpkg", province=world.province)
    assert str(exc.value).startswith(
        "mine.gpkg: column 'geometry': 1 points are outside longitude -180..180 or latitude "
        "-90..90 (1 rows, first F03)"
    )


def test_geopackage_flags_and_numbers_typed(world: Dataset) -> None:
    frame = _frame().assign(is_proxy=[1, 0, 1, 0, 1, 0], beds=np.inf)
    with pytest.raises(HealthplanDataError) as exc:
        validate_facilities(frame, source="mine.gpkg")
    assert "column 'beds': 6 values are not finite ('inf')" in str(exc.value)
    out = validate_facilities(frame.assign(beds=1.0), source="mine.gpkg")
    assert out["is_proxy"].tolist() == [True, False, True, False, True, False]


def _demand() -> gpd.GeoDataFrame:
    data = {
        "demand_id": ["210102001", "210102002"],
        "township_code": ["210102001", "210102002"],
        "county_code": ["210102", "210102"],
        "city_code": ["210100", "210100"],
        "population": [1200, 3400],
    }
    return gpd.GeoDataFrame(
        data, geometry=[Point(123.4, 41.8), Point(123.45, 41.85)], crs="EPSG:4326"
    )


def test_demand_checked_the_same_way() -> None:
    frame = _demand().assign(
        population=[np.inf, 10], county_code=["210102", "210103"], demand_id=["", "x"]
    )
    with pytest.raises(HealthplanDataError) as exc:
        validate_demand(frame, source="demand.gpkg")
    message = str(exc.value)
    assert "column 'demand_id': 1 ids are empty (1 rows, first data row 1)" in message
    assert "column 'population': 1 values are not finite ('inf')" in message
    assert (
        "column 'county_code': 1 values do not match township_code (township 210102002 is in "
        "county 210102, not 210103) (1 rows, first x)"
    ) in message


def test_demand_csv_header_only(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_text("demand_id,township_code,county_code,city_code,population,lon,lat\n")
    with pytest.raises(HealthplanDataError) as exc:
        read_demand(path)
    assert str(exc.value).startswith("demand.csv: rows: no demand points")


def test_csv_in_metres_needs_its_crs(tmp_path: Path) -> None:
    metric = _frame().to_crs("EPSG:32651")
    rows = [
        {**row, "lon": str(point.x), "lat": str(point.y)}
        for row, point in zip(VALID, metric.geometry, strict=True)
    ]
    path = _write(tmp_path, rows)
    out = read_facilities(path, crs="EPSG:32651")
    assert out.crs.to_string() == "EPSG:4326"
    assert out.geometry.iloc[0].x == pytest.approx(123.414)
    with pytest.raises(HealthplanDataError) as exc:
        read_facilities(path)
    message = str(exc.value)
    assert message.startswith("facilities.csv: column 'lat': 6 values are outside -90..90")
    assert "column 'lon': 6 values are outside -180..180" in message
