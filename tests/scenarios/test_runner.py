"""`healthplan run / validate / compare / sweep` as a planner uses them, on the Liaoning data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import scenarios.runner
from scenarios.cli import app
from scenarios.scenario import PRESETS_DIR

cli = CliRunner()
OUTPUTS = [
    ".healthplan.json",
    "briefing.html",
    "briefing.pdf",
    "briefing_en.html",
    "briefing_en.pdf",
    "counties.csv",
    "futures.csv",
    "map.html",
    "map_en.html",
    "plan.gpkg",
    "rejected.csv",
    "summary.json",
    "timing.json",
    "upgrades.csv",
]


def invoke(*args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def error_line(stderr: str) -> str:
    """The one error line (after any progress lines); no traceback."""
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert lines[-1] == errors[0]
    return errors[0]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """out/baseline and out/double (the baseline copied with its budget doubled), no PNG."""
    root = tmp_path_factory.mktemp("runs")
    code, _, err = invoke("run", "baseline", "-o", str(root / "baseline"), "--no-png")
    assert code == 0, err
    text = (PRESETS_DIR / "baseline.toml").read_text(encoding="utf-8")
    text = text.replace("budget_cny = 1.5e9", "budget_cny = 3e9")
    text = text.replace('name = "Liaoning baseline"', 'name = "Double budget"')
    double = write(root, "double.toml", text)
    code, _, err = invoke("run", str(double), "-o", str(root / "double"), "--no-png")
    assert code == 0, err
    return root


def test_run_writes_every_output(runs: Path) -> None:
    assert sorted(p.name for p in (runs / "baseline").iterdir()) == OUTPUTS
    assert not [p for p in runs.iterdir() if p.name.startswith(".")]  # no temp folder left


def test_summary_agrees_with_tables_and_layers(runs: Path) -> None:
    folder = runs / "baseline"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    plan = summary["plan"]
    assert plan["status"] == "optimal"
    # before the Grade-3A hospital points of issue 13: 40 + 2 county 3A, 1.5e9
    assert plan["upgrades"] == {"township_central": 57, "county_3a": 1}
    assert plan["cost_cny"] == pytest.approx(1.49e9)
    assert summary["scenario"]["name"] == "Liaoning baseline"
    assert len(summary["scenario"]["sha256"]) == 64
    assert summary["data"]["summary"]["population"] == 42_591_407
    assert summary["travel"]["cutoff_minutes"] == 120
    upgrades = pd.read_csv(folder / "upgrades.csv", dtype={"facility_id": str})
    assert len(upgrades) == 58  # 42 before issue 13's hospital points
    assert upgrades["upgrade_cost_cny"].sum() == pytest.approx(plan["cost_cny"])
    assert [u["facility_id"] for u in summary["upgrades"]] == upgrades["facility_id"].tolist()
    facilities = gpd.read_file(folder / "plan.gpkg", layer="facilities")
    assert len(facilities) == 1543
    upgraded = facilities[facilities["status"] == "upgraded"]
    assert sorted(upgraded["facility_id"]) == sorted(upgrades["facility_id"])
    assert set(upgraded["upgrade_year"]) == {1}
    demand = gpd.read_file(folder / "plan.gpkg", layer="demand")
    assert len(demand) == 1406
    counties = gpd.read_file(folder / "plan.gpkg", layer="counties")
    cities = gpd.read_file(folder / "plan.gpkg", layer="cities")
    assert (len(counties), len(cities)) == (100, 14)
    for tier in ("township_central", "county_3a"):
        after = plan["tiers"][tier]["after"]
        before = plan["tiers"][tier]["before"]
        covered = demand.loc[demand[f"{tier}_covered"], "population"].sum()
        assert covered == pytest.approx(after["covered_population"])
        covered_before = demand.loc[demand[f"{tier}_covered_before"], "population"].sum()
        assert covered_before == pytest.approx(before["covered_population"])
        assert counties[f"{tier}_covered_after"].sum() == pytest.approx(covered)
        assert cities[f"{tier}_covered_before"].sum() == pytest.approx(covered_before)
        assert after["covered_share"] > before["covered_share"]
    # figures recorded in benchmarks/RESULTS.md and the README (issue 13: the township tier
    # counts its own 20,253,257 people, was everyone's 42.6 M: 0.8942 -> 0.8690; county 3A
    # on the rebuilt dataset 0.7668 -> 0.7628)
    assert plan["tiers"]["township_central"]["after"]["covered_share"] == pytest.approx(
        0.8690, abs=5e-5
    )
    assert plan["tiers"]["county_3a"]["after"]["covered_share"] == pytest.approx(0.7628, abs=5e-5)


def test_same_inputs_give_byte_identical_outputs(runs: Path, tmp_path: Path) -> None:
    code, _, err = invoke("run", "baseline", "-o", str(tmp_path / "again"), "--no-png")
    assert code == 0, err
    for name in OUTPUTS:
        if name != "timing.json":
            first = (runs / "baseline" / name).read_bytes()
            assert first == (tmp_path / "again" / name).read_bytes(), name


def test_existing_folder_is_kept_without_force(runs: Path) -> None:
    folder = runs / "baseline"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    code, _, err = invoke("run", "baseline", "-o", str(folder), "--no-png")
    assert code == 2
    assert "output folder exists - pass --force" in error_line(err)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_failed_run_leaves_no_folder_and_keeps_the_old_one(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(scenarios.runner, "write_maps", broken)
    code, _, err = invoke("run", "baseline", "-o", str(tmp_path / "new"), "--no-png")
    # named by the user's folder, never the hidden work folder
    expected = f"error: {tmp_path / 'new'}: disk full - choose another -o"
    assert (code, error_line(err)) == (2, expected)
    assert list(tmp_path.iterdir()) == []
    old = tmp_path / "old"
    shutil.copytree(runs / "baseline", old)
    code, _, _ = invoke("run", "baseline", "-o", str(old), "--no-png", "--force")
    assert code == 2
    assert sorted(p.name for p in old.iterdir()) == OUTPUTS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def test_json_on_stdout(tmp_path: Path) -> None:
    code, out, _ = invoke("run", "tight_budget", "-o", str(tmp_path / "t"), "--no-png", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["plan"]["cost_cny"] <= 5e8
    assert payload["scenario"]["extends"] == ["baseline.toml"]
    assert payload["timing"]["total_s"] > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("budget_cny = 1e8\n[tier.county_3a]\nmin_upgrades = 1\n", "budget_cny"),
        ("[tier.county_3a]\nevery_county = true\n", "budget_cny"),
        # the city rule, not the county one (the key was misnamed before)
        ("[tier.county_3a]\nmin_city_coverage = 1.0\n", "tier.county_3a.min_city_coverage"),
        (
            "[tier.township_central]\nmin_upgrades = 2000\n",
            "tier.township_central.min_upgrades",
        ),
    ],
)
def test_infeasible_rules_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "bad.toml", f'name = "bad"\nextends = "baseline"\n{text}')
    for command in ("validate", "run"):
        args = [command, str(path)] + (["-o", str(tmp_path / "out")] if command == "run" else [])
        code, _, err = invoke(*args)
        assert code == 2, err
        line = error_line(err)
        assert line.startswith(f"error: {path}: {expected}: no plan satisfies the rules"), line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('name = "x"\nbudget = 5\n', "budget: unknown key - did you mean 'budget_cny'?"),
        ('name = "x"\nbudget_cny = "lots"\n', "budget_cny"),
        ('name = "x"\nfacilities = "missing.csv"\n', "missing.csv"),
        ('name = "x"\n[rules]\nrequire = ["NOPE-1"]\n', "rules.require: unknown facility"),
        ('name = "x"\ntiers = ["hospice"]\n', "tiers"),
        ('name = "x\n', "bad.toml"),
    ],
)
def test_bad_scenarios_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    code, _, err = invoke("validate", str(path))
    assert code == 2, err
    assert expected in error_line(err)


#: Presets whose full solve takes minutes (equity_first: about 170 s on 2 cores since issue 13,
#: see benchmarks/RESULTS.md): validated with --quick here; their plans are tested in
#: tests/planning/test_service_tiers.py.
SLOW_PRESETS = ("equity_first",)


def test_validate_presets() -> None:
    names = sorted(p.stem for p in PRESETS_DIR.glob("*.toml") if p.stem not in SLOW_PRESETS)
    code, out, err = invoke("validate", *names, "--json")
    assert code == 0, err
    assert [r["status"] for r in json.loads(out)] == ["ok"] * len(names)
    code, out, err = invoke("validate", *SLOW_PRESETS, "--quick", "--json")
    assert code == 0, err
    assert [r["status"] for r in json.loads(out)] == ["ok"] * len(SLOW_PRESETS)


def test_compare_reports_the_differences(runs: Path) -> None:
    out = runs / "cmp"
    code, stdout, err = invoke(
        "compare", str(runs / "baseline"), str(runs / "double"), "-o", str(out), "--json"
    )
    assert code == 0, err
    payload = json.loads(stdout)
    a = json.loads((runs / "baseline" / "summary.json").read_text(encoding="utf-8"))
    b = json.loads((runs / "double" / "summary.json").read_text(encoding="utf-8"))
    share = "township_central covered share after"
    assert (
        payload["metrics"]["baseline"][share]
        == a["plan"]["tiers"]["township_central"]["after"]["covered_share"]
    )
    assert payload["metrics"]["double"]["cost_cny"] == pytest.approx(2.99e9)  # 3e9 before issue 13
    ids_a = {u["facility_id"] for u in a["upgrades"]}
    ids_b = {u["facility_id"] for u in b["upgrades"]}
    assert set(payload["sites"]["added"]) == ids_b - ids_a
    assert set(payload["sites"]["removed"]) == ids_a - ids_b
    counties = pd.read_csv(out / "counties.csv", dtype={"county_code": str})
    gained = counties["township_central change double"].sum()
    before = a["plan"]["tiers"]["township_central"]["after"]["covered_population"]
    after = b["plan"]["tiers"]["township_central"]["after"]["covered_population"]
    assert gained == pytest.approx(after - before, abs=1.0)
    assert (out / "map_double.html").is_file()
    assert (out / "map_double_en.html").is_file()
    for name in ("briefing.html", "briefing.pdf", "briefing_en.html", "briefing_en.pdf"):
        assert (out / name).stat().st_size > 1000, name
    html = (out / "briefing_en.html").read_text(encoding="utf-8")
    assert "Double budget" in html
    assert "Liaoning baseline" in html


def test_compare_bad_folders(runs: Path, tmp_path: Path) -> None:
    code, _, err = invoke("compare", str(runs / "baseline"), "-o", str(tmp_path / "c"))
    assert code == 2
    assert "needs two or more result folders" in err
    code, _, err = invoke(
        "compare", str(runs / "baseline"), str(tmp_path), "-o", str(tmp_path / "c")
    )
    assert code == 2
    assert "no summary.json" in err


def test_sweep_coverage_never_falls_with_budget(tmp_path: Path) -> None:
    code, out, err = invoke(
        "sweep", "baseline", "--budgets", "1e9,0,5e8,2e9", "-o", str(tmp_path / "s"), "--json"
    )
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [r["budget_cny"] for r in rows] == [0.0, 5e8, 1e9, 2e9]
    assert all(r["status"] == "optimal" for r in rows)
    shares = [r["township_central_covered_share"] for r in rows]
    assert shares == sorted(shares)
    assert shares[0] == pytest.approx(rows[0]["township_central_covered_share_before"])
    assert all(r["cost_cny"] <= r["budget_cny"] + 1e-6 for r in rows)
    table = pd.read_csv(tmp_path / "s" / "sweep.csv")
    assert table["budget_cny"].tolist() == [0.0, 5e8, 1e9, 2e9]
    names = {p.name for p in (tmp_path / "s").iterdir()}
    assert {"sweep.png", "sweep_en.png", "briefing.html", "briefing_en.pdf"} <= names
    summary = json.loads((tmp_path / "s" / "summary.json").read_text(encoding="utf-8"))
    assert "plan" not in summary
    assert summary["scenario"]["name"] == "Liaoning baseline"
    code, _, err = invoke("sweep", "baseline", "--budgets", "cheap", "-o", str(tmp_path / "x"))
    assert code == 2
    assert "--budgets" in err


KEYS = st.sampled_from(
    ["name", "budget_cny", "objective", "tiers", "extends", "dataset", "tier", "travel", "x"]
)
VALUES = st.one_of(
    st.integers(-5, 10**10),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=st.dictionaries(KEYS, VALUES, max_size=5))
def test_no_scenario_file_gives_a_traceback(tmp_path: Path, document: dict[str, object]) -> None:
    text = "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in document.items())
    path = write(tmp_path, "fuzz.toml", text)
    result = cli.invoke(app, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.exception
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 2:
        error_line(result.stderr)


def test_five_centres_preset(tmp_path: Path) -> None:
    out = tmp_path / "centres"
    code, stdout, err = invoke("run", "five_centres", "-o", str(out), "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["kind"] == "centres"
    assert summary["status"] == "optimal"
    names = ["chest_pain", "maternal", "neonatal_child", "stroke", "trauma"]
    assert sorted(summary["networks"]) == names
    cities = pd.read_csv(out / "cities.csv", dtype={"city_code": str})
    centres = pd.read_csv(out / "centres.csv", dtype={"facility_id": str})
    for name, network in summary["networks"].items():
        assert network["status"] == "optimal"
        assert 14 <= network["n_designated"][name] <= 20  # per_city, max_centres
        after = network["metrics"][name]["after"]["covered_share"]
        potential = network["metrics"][name]["potential"]["covered_share"]
        assert 0.5 < after <= potential + 1e-12
        rows = cities[cities["centre_type"] == name]
        assert len(rows) == 14
        assert (rows["providers_after"] >= 1).all()  # at least one centre per city
        designated = centres[(centres["centre_type"] == name) & (centres["status"] == "designated")]
        assert sorted(designated["facility_id"]) == sorted(network["designated"][name])
        assert set(designated["facility_tier"]) <= {"county_hospital", "city_3a"}
    code, _, err = invoke("compare", str(out), str(out), "-o", str(tmp_path / "c"))
    assert code == 2
    assert "compare works on upgrade runs" in error_line(err)


def test_key_specialties_preset(tmp_path: Path) -> None:
    out = tmp_path / "3223"
    code, stdout, err = invoke("run", "key_specialties_3223", "-o", str(out), "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert (summary["kind"], summary["status"]) == ("specialties", "optimal")
    levels = {row["level"]: row for row in summary["specialties"]["levels"]}
    assert {k: v["designations"] for k, v in levels.items()} == {
        "national": 30,
        "provincial": 200,
        "municipal": 200,
        "county": 300,
    }
    table = pd.read_csv(out / "designations.csv", dtype=str)
    assert len(table) == 730
    assert not table.duplicated(["facility_id", "field"]).any()  # one level per pair
    by_city = pd.read_csv(out / "by_city.csv")
    assert len(by_city) == 14
    assert (by_city["provincial"] >= 2).all()
    assert (by_city["municipal"] >= 8).all()
    assert by_city[["national", "provincial", "municipal", "county"]].sum().tolist() == [
        30,
        200,
        200,
        300,
    ]
    path = write(tmp_path, "too_many.toml", 'name = "x"\nextends = "key_specialties_3223"\n')
    path.write_text(
        path.read_text(encoding="utf-8") + "[specialties]\nquota = { national = 2000 }\n",
        encoding="utf-8",
    )
    code, _, err = invoke("run", str(path), "-o", str(tmp_path / "x"))
    assert code == 2
    assert "2000 national designations need 2000 eligible" in error_line(err)
