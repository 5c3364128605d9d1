"""Cross-border providers (issue 13, "Real points where they exist"): the scenario option.

Residents near the borders reach hospitals in Qinhuangdao, Chifeng, Siping and Liaoyuan.
``cross_border = true`` adds the dataset's 8 Grade-3A hospitals across the border
(`geodata.Dataset.with_cross_border`) as existing providers of what a city tertiary hospital
provides (general care only); they are never upgrade or designation candidates and never
cost anything. Before issue 13 the option did not exist: the figures "off" below are the
only ones a run could give.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.errors import HealthplanDataError
from optimizer.metrics import plan_metrics
from planning.upgrades import build_problem
from scenarios.errors import ScenarioError
from scenarios.inputs import prepare
from scenarios.runner import run_scenario
from scenarios.scenario import load_scenario

pytestmark = pytest.mark.xdist_group("liaoning")

#: Counties whose townships gain a county-3A provider within 60 min from across the border:
#: 西丰县 (Liaoyuan/Siping side), 绥中县 (Qinhuangdao), 建平县 (Chifeng).
GAINING_COUNTIES = {"211223": 112_911, "211421": 80_062, "211322": 33_028}


def _scenario(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\n{body}', encoding="utf-8")
    return path


def test_county_3a_before_off_and_on(tmp_path: Path) -> None:
    """Liaoning baseline, county 3A tier (60 min), before any upgrade.

    Off (the only figure before issue 13): 31,063,932 people, 72.935 %. On: 31,289,933,
    73.465 %: +226,001 people in 13 townships of Xifeng, Suizhong and Jianping counties, no
    one loses. The township-central tier (30 min) gains no one: no Liaoning township is within
    30 minutes of a cross-border hospital.
    """
    off = prepare(_scenario(tmp_path, "off", 'extends = "baseline"\n'))
    on = prepare(_scenario(tmp_path, "on", 'extends = "baseline"\ncross_border = true\n'))
    assert not off.world.cross_border_on
    assert on.world.cross_border_on
    assert off.rules is not None
    assert on.rules is not None
    before_off = plan_metrics(build_problem(off.world, off.times, off.rules))
    problem_on = build_problem(on.world, on.times, on.rules)
    before_on = plan_metrics(problem_on)
    assert before_off["county_3a"].covered_population == 31_063_932
    assert before_on["county_3a"].covered_population == 31_289_933
    assert before_off["county_3a"].covered_share == pytest.approx(0.72935, abs=5e-6)
    assert before_on["county_3a"].covered_share == pytest.approx(0.73465, abs=5e-6)
    assert (
        before_on["township_central"].covered_population
        == before_off["township_central"].covered_population
    )
    # who gains: recomputed from the nearest minutes, per county
    metric_off, metric_on = before_off["county_3a"], before_on["county_3a"]
    covered_off = metric_off.nearest_minutes <= metric_off.standard_minutes
    covered_on = metric_on.nearest_minutes <= metric_on.standard_minutes
    assert not (covered_off & ~covered_on).any()
    demand = off.world.demand.reset_index(drop=True)
    gained = demand[covered_on & ~covered_off]
    assert len(gained) == 13
    assert gained.groupby("county_code")["population"].sum().to_dict() == GAINING_COUNTIES
    # the gain comes from cross-border sites: each gaining township reaches one within 60 min
    minutes = on.times.subset(
        demand_ids=gained["demand_id"].astype(str).tolist(),
        facility_ids=sorted(on.world.cross_border["facility_id"].astype(str)),
    ).to_dense()
    assert (minutes <= 60.0).any(axis=1).all()
    # never candidates, never costed; existing providers of county 3A when they give general care
    ids = np.array([str(s) for s in problem_on.base.site_ids])
    foreign = np.isin(ids, on.world.cross_border["facility_id"].astype(str))
    assert foreign.sum() == 8
    for tier in problem_on.tiers:
        assert np.isnan(np.asarray(tier.cost, dtype=np.float64)[foreign]).all()
    general = on.world.cross_border.set_index("facility_id")["general_care"].astype(bool)
    county_3a = np.asarray(problem_on.tier("county_3a").existing, dtype=bool)
    assert dict(zip(ids[foreign], county_3a[foreign], strict=True)) == general.to_dict()


def test_run_never_upgrades_a_cross_border_site(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "on", 'extends = "baseline"\ncross_border = true\n')
    run_scenario(scenario, tmp_path / "out", png=False, briefing=False)
    out = tmp_path / "out"
    upgrades = pd.read_csv(out / "upgrades.csv", dtype=str)
    assert len(upgrades) > 0
    assert not upgrades["facility_id"].str.startswith("XB-").any()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"]["settings"]["cross_border"] is True
    providers = summary["data"]["cross_border"]["providers"]
    assert summary["data"]["cross_border"]["on"] is True
    assert [p["facility_id"] for p in providers] == [f"XB-0{i}" for i in range(1, 9)]
    assert {p["province"] for p in providers} == {"河北省", "内蒙古自治区", "吉林省"}
    county_3a = summary["plan"]["tiers"]["county_3a"]
    assert county_3a["before"]["covered_population"] == 31_289_933
    # the briefing says so among its caveats, in both languages
    from scenarios.briefing._figures import caveats

    assert (
        "已启用跨省就医：省外 8 家医院（四平市、秦皇岛市、赤峰市、辽源市，"
        "其中 5 家提供综合医疗服务）计为现有机构，不升级、不计成本。" in caveats(summary, "zh")
    )
    assert any(
        line.startswith("Cross-border providers on: 8 hospitals") for line in caveats(summary, "en")
    )
    # the map draws them as their own layer, with a legend row
    html = (out / "map_en.html").read_text(encoding="utf-8")
    assert len(re.findall(r"Across the provincial border \(", html)) >= 2
    # off: no such layer, no cross_border block in the summary
    off = _scenario(tmp_path, "off", 'extends = "baseline"\n')
    run_scenario(off, tmp_path / "off-out", png=False, briefing=False)
    summary_off = json.loads((tmp_path / "off-out" / "summary.json").read_text(encoding="utf-8"))
    assert summary_off["scenario"]["settings"]["cross_border"] is False
    assert "cross_border" not in summary_off["data"]
    county_3a_off = summary_off["plan"]["tiers"]["county_3a"]
    assert county_3a_off["before"]["covered_population"] == 31_063_932
    # The baseline plan is the same with the option off and on (its one county-3A upgrade,
    # Pulandian, is far from the borders; 32,487,218 -> 32,713,219 after, 76.28 % -> 76.81 %,
    # when measured), so the border townships keep their whole gain after the plan too.
    upgrades_off = pd.read_csv(tmp_path / "off-out" / "upgrades.csv", dtype=str)
    assert sorted(upgrades_off["facility_id"]) == sorted(upgrades["facility_id"])
    gain = county_3a["after"]["covered_population"] - county_3a_off["after"]["covered_population"]
    assert gain == 226_001
    html_off = (tmp_path / "off-out" / "map_en.html").read_text(encoding="utf-8")
    assert "Across the provincial border" not in html_off
    assert not [line for line in caveats(summary_off, "en") if "Cross-border" in line]


def test_centres_never_designate_across_the_border(tmp_path: Path) -> None:
    table = tmp_path / "centres.csv"
    table.write_text("facility_id,centre\nXB-06,chest_pain\nXB-07,chest_pain\n", "utf-8")
    # per_city: a cross-border hospital's city (e.g. Qinhuangdao, 130300) is no city of the plan
    body = (
        'kind = "centres"\ncross_border = true\n[centres]\ntypes = ["chest_pain"]\n'
        'max_centres = 15\nper_city = true\nexisting = "centres.csv"\n'
    )
    run_scenario(_scenario(tmp_path, "on", body), tmp_path / "out", png=False, briefing=False)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    chest = summary["networks"]["chest_pain"]
    assert chest["existing"] == {"existing": ["XB-06", "XB-07"]}
    assert not [f for f in chest["designated"]["chest_pain"] if f.startswith("XB-")]
    assert chest["metrics"]["chest_pain"]["before"]["covered_population"] > 0
    # without the option the table names facilities the world does not have
    off = body.replace("cross_border = true\n", "")
    with pytest.raises(HealthplanDataError, match=r"centres\.csv: row 2: facility_id: unknown"):
        prepare(_scenario(tmp_path, "off", off))
    # nothing but the table makes them centres: without it no XB site is open or designated
    bare = body.replace('existing = "centres.csv"\n', "")
    run_scenario(_scenario(tmp_path, "bare", bare), tmp_path / "bare", png=False, briefing=False)
    centres = pd.read_csv(tmp_path / "bare" / "centres.csv", dtype=str)
    assert not centres["facility_id"].str.startswith("XB-").any()
    # ... and the plan is the plan without the option
    plain = bare.replace("cross_border = true\n", "")
    run_scenario(_scenario(tmp_path, "plain", plain), tmp_path / "plain", png=False, briefing=False)
    networks = {}
    for name in ("bare", "plain"):
        text = (tmp_path / name / "summary.json").read_text(encoding="utf-8")
        networks[name] = json.loads(text)["networks"]["chest_pain"]
    assert networks["bare"]["designated"] == networks["plain"]["designated"]
    # The same people covered; mean minutes may differ slightly: the cross-border hospitals'
    # road links (geodata.approx_roads) also shorten a few paths between Liaoning places.
    for key in ("before", "after", "potential"):
        bare_metrics = networks["bare"]["metrics"]["chest_pain"][key]
        plain_metrics = networks["plain"]["metrics"]["chest_pain"][key]
        assert bare_metrics["covered_population"] == plain_metrics["covered_population"]


def test_scenario_key_is_a_strict_flag(tmp_path: Path) -> None:
    for value in ('"yes"', "1"):
        with pytest.raises(ScenarioError, match="cross_border"):
            load_scenario(_scenario(tmp_path, "bad", f"cross_border = {value}\n"))
    with pytest.raises(
        ScenarioError, match=re.escape('cross_border: applies to kind = "upgrade" or "centres"')
    ):
        load_scenario(_scenario(tmp_path, "spec", 'kind = "specialties"\ncross_border = true\n'))
    assert load_scenario(_scenario(tmp_path, "ok", "")).scenario.cross_border is False


def test_per_city_minimum_with_cross_border(tmp_path: Path) -> None:
    """``min_per_city`` with the option on: the neighbour prefectures are no groups of the plan.

    Before the fix, `validate` said "tier township_central: 4 city groups have fewer than 1
    candidates (130300, 150400, 220300, 220400)". Now each cross-border hospital takes the
    county and city of the nearest Liaoning county for the group rules (it is never upgraded).
    """
    from planning.upgrades import _home_groups, _site_frame
    from scenarios.runner import validate_scenario

    body = 'extends = "baseline"\ncross_border = true\n[tier.township_central]\nmin_per_city = 1\n'
    prepared = validate_scenario(_scenario(tmp_path, "per_city", body))
    sites = _site_frame(prepared.world)
    groups = _home_groups(prepared.world, sites)
    foreign = sites["facility_id"].str.startswith("XB-").to_numpy()
    assert dict(zip(sites["facility_id"][foreign], groups["county"][foreign], strict=True)) == {
        "XB-01": "211224",  # Siping -> 昌图县
        "XB-02": "211224",
        "XB-03": "211421",  # Qinhuangdao -> 绥中县
        "XB-04": "211421",
        "XB-05": "211421",
        "XB-06": "211421",
        "XB-07": "211322",  # Chifeng -> 建平县
        "XB-08": "211223",  # Liaoyuan -> 西丰县
    }
    assert (groups["county"][~foreign] == sites["county_code"][~foreign].to_numpy()).all()
