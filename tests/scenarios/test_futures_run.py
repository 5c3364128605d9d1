"""`healthplan run aging_2035` end to end, and the [population] keys through run and validate.

Before issue 13 a run planned for the 2020 census only and reported nothing about later
years. Now (HEAD of this commit, default rules on the shipped data) the aging_2035 preset plans
for the 2035 central projection (38,280,528 people) and its briefing compares it with the
plan the same rules give for 2020's people.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from planning.futures import FUTURES_COLUMNS
from scenarios.cli import app

pytestmark = pytest.mark.xdist_group("liaoning")

cli = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture(scope="module")
def aging(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "aging"
    code, _, err = invoke("run", "aging_2035", "-o", str(out), "--no-png")
    assert code == 0, err
    return out


def test_aging_run_plans_for_2035_and_writes_futures(aging: Path) -> None:
    summary = json.loads((aging / "summary.json").read_text(encoding="utf-8"))
    assert summary["population"] == {
        "year": 2035,
        "variant": "central",
        "robust": None,
        "robust_projections": [],
    }
    assert "futures.csv" in summary["files"]
    table = pd.read_csv(aging / "futures.csv")
    assert list(table.columns) == list(FUTURES_COLUMNS)
    assert set(table["plan"]) == {"plan", "plan_2020"}
    tiers = list(summary["plan"]["tiers"])
    assert len(table) == 2 * 10 * len(tiers)
    mine = table[(table["plan"] == "plan") & (table["projection"] == "2035 central")]
    for tier in tiers:
        row = mine[mine["tier"] == tier].iloc[0]
        after = summary["plan"]["tiers"][tier]["after"]
        assert row["covered"] == pytest.approx(after["covered_population"])
        assert row["demand"] == pytest.approx(after["population"])
    county = table[(table["tier"] == "county_3a") & (table["plan"] == "plan")]
    assert county.set_index("projection").at["2035 central", "population"] == 38_280_528
    comparison = summary["futures"]["comparison"]
    assert comparison["projection"] == "2035 central"
    ids_2035 = {str(u["facility_id"]) for u in summary["upgrades"]}
    added = {s["facility_id"] for s in comparison["added"]}
    removed = {s["facility_id"] for s in comparison["removed"]}
    assert added <= ids_2035
    assert not removed & ids_2035
    assert comparison["kept"] == len(ids_2035) - len(added)
    # The plan made for 2035's people covers at least as many of them as the 2020-based plan
    # (same rules and budget, both optimal): the weighted sums over tiers compare.
    ours = sum(t["covered"] for t in comparison["tiers"].values())
    theirs = sum(t["covered_2020_plan"] for t in comparison["tiers"].values())
    assert ours >= theirs - 1e-6 * ours
    for tier, figures in comparison["tiers"].items():
        other = table[
            (table["plan"] == "plan_2020")
            & (table["projection"] == "2035 central")
            & (table["tier"] == tier)
        ]
        assert figures["covered_2020_plan"] == pytest.approx(float(other["covered"].iloc[0]))


def test_aging_briefings_report_every_projection_and_the_comparison(aging: Path) -> None:
    summary = json.loads((aging / "summary.json").read_text(encoding="utf-8"))
    comparison = summary["futures"]["comparison"]
    zh = (aging / "briefing.html").read_text(encoding="utf-8")
    en = (aging / "briefing_en.html").read_text(encoding="utf-8")
    assert 'id="futures"' in zh
    assert 'id="futures"' in en
    assert "2035 年（中方案）" in zh
    assert "2020 年（普查）" in zh
    assert "2035 (central)" in en
    assert "2030 (central)" in en
    assert "2035 (low) / high" in en
    assert "2035 年（低方案） / 高方案" in zh
    assert "people 65+ covered" in en
    assert "futures.csv" in en
    added, removed = len(comparison["added"]), len(comparison["removed"])
    assert f"新增 {added} 处，不再升级 {removed} 处" in zh
    assert f"{added} sites added, {removed} dropped" in en
    figures = comparison["tiers"]["county_3a"]
    assert f"{round(figures['covered']):,}" in en
    assert f"{round(figures['covered_2020_plan']):,}" in en
    assert "by the 2020-based plan" in en


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[population]\nyear = 2040\n", "population.year: 2040 has no projection"),
        ("[population]\nyear = 2035.0\n", "population.year: 2035.0 is a decimal number"),
        ('[population]\nvariant = "middle"\n', "population.variant: unknown value 'middle'"),
        (
            '[population]\nrobust = "best"\n',
            "population.robust: unknown value 'best' - use 'worst_case' or 'min_regret'",
        ),
        ("[population]\nrobust_years = [2035]\n", "population.robust_years: needs"),
        (
            'objective = "median"\n[population]\nrobust = "worst_case"\n',
            'population.robust: needs objective = "coverage"',
        ),
        (
            'yearly_budgets_cny = [1e8, 1e8]\n[population]\nrobust = "min_regret"\n',
            "population.robust: plans one period",
        ),
    ],
)
def test_validate_and_run_reject_bad_population_keys_alike(
    tmp_path: Path, body: str, expected: str
) -> None:
    scenario = write(tmp_path, "s.toml", 'name = "x"\nextends = "tight_budget"\n' + body)
    code, _, err = invoke("validate", str(scenario), "--quick")
    assert code != 0
    line = error_line(err)
    assert expected in line
    code, _, err = invoke("run", str(scenario), "-o", str(tmp_path / "out"), "--no-png")
    assert code != 0
    assert error_line(err) == line


def test_validate_and_run_a_robust_scenario(tmp_path: Path) -> None:
    scenario = write(
        tmp_path,
        "robust.toml",
        'name = "Robust"\nextends = "tight_budget"\n'
        '[population]\nyear = 2030\nrobust = "min_regret"\nrobust_years = [2030, 2035]\n',
    )
    code, out, err = invoke("validate", str(scenario))
    assert code == 0, err
    assert "ok" in (out + err).lower()
    code, _, err = invoke("run", str(scenario), "-o", str(tmp_path / "out"), "--no-png")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    weighed = ["2030 central", "2030 low", "2030 high", "2035 low", "2035 central", "2035 high"]
    assert summary["population"] == {
        "year": 2030,
        "variant": "central",
        "robust": "min_regret",
        "robust_projections": weighed,
    }
    plan = summary["plan"]
    assert plan["status"] == "optimal"
    stages = plan["stages"]
    regrets = [stages[f"best:{p}"] - stages[f"coverage:{p}"] for p in weighed]
    assert plan["objective"] == pytest.approx(max(regrets))
    assert min(regrets) >= 0
    assert stages["reference_coverage"] == stages["coverage:2030 central"]
    en = (tmp_path / "out" / "briefing_en.html").read_text(encoding="utf-8")
    assert "Robust plan (least regret) over: 2030 (central); 2030 (low)" in en
    zh = (tmp_path / "out" / "briefing.html").read_text(encoding="utf-8")
    assert "稳健规划（最大遗憾最小）" in zh


def test_scenario_restates_the_projection_choices_exactly() -> None:
    """The scenario model writes the choices as literals (for the schema): they must agree."""
    from typing import get_args

    from geodata.projection import VARIANTS, YEARS
    from optimizer.upgrade.robust import ROBUST_CRITERIA
    from scenarios.scenario import PROJECTION_YEARS, Robust, Variant

    assert PROJECTION_YEARS == YEARS
    assert get_args(Variant) == VARIANTS
    assert get_args(Robust) == ROBUST_CRITERIA
