"""The CLI as a user meets it: JSON on stdout, one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scenarios.cli import app

runner = CliRunner()


def test_versions_json() -> None:
    result = runner.invoke(app, ["versions", "--json"])
    assert result.exit_code == 0
    found = json.loads(result.stdout)
    assert found["pulp"].startswith("3.")
    assert found["highspy"] != "not installed"


def test_data_info_json() -> None:
    result = runner.invoke(app, ["data", "info", "liaoning", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["cities"] == 14
    assert info["counties"] == 100
    assert info["townships"] >= 1350
    assert info["population"] == 42_591_407


def test_unknown_dataset_is_one_line_exit_2() -> None:
    result = runner.invoke(app, ["data", "info", "atlantis"])
    assert result.exit_code == 2
    assert "no built-in dataset named 'atlantis' - available: liaoning" in result.stderr
    assert "Traceback" not in result.output


HEADER = "facility_id,name_zh,tier,county_code,city_code,lon,lat\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (HEADER + "F1,甲,clinic,210102,210100,123.4,41.8\n", "unknown tiers ('clinic')"),
        (HEADER + "F1,甲,city_3a,210102,210100,116.4,39.9\n", "outside the province"),
        ("facility_id,tier,lon,lat\nF1,city_3a,123.4,41.8\n", "missing required column(s)"),
    ],
)
def test_validate_bad_facility_tables(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["data", "validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: mine.csv: ")
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_validate_good_facility_table(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        "facility_id,name_zh,tier,county_code,city_code,lon,lat\n"
        "F1,沈阳某医院,city_3a,210102,210100,123.40,41.80\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["data", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "OK (1 rows, facilities)" in result.stdout


def test_versions_report_solvers_browser_and_font() -> None:
    result = runner.invoke(app, ["versions", "--json"])
    found = json.loads(result.stdout)
    assert found["HiGHS solver"].startswith("HiGHS 1.")
    assert found["CBC solver"].startswith("CBC 2.")
    assert found["chromium"].startswith("Chromium ")  # make test installs it
    assert "wqy" in found["CJK font (WenQuanYi Micro Hei)"]
