"""Who each tier serves (issue 13), on the shipped Liaoning world: now and after.

Each test records the figure the issue reported (or that the code before issue 13 gave on the
dataset of that time) and asserts the figure of today's code on today's dataset.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geodata
from geodata.dataset import Dataset
from geodata.travel import TravelTimes
from optimizer.upgrade import UpgradeProblem, UpgradeTier, solve_upgrades
from planning.upgrades import (
    PlanningRules,
    PlanResult,
    TierPlan,
    build_problem,
    extend_times,
    plan_upgrades,
    service_areas,
    status_quo,
)
from scenarios.briefing._figures import caveats
from scenarios.maps import plan_map, save_map
from scenarios.maps.style import TEXT

TC = "township_central"
C3 = "county_3a"
JINZHOU, PULANDIAN = "210213", "210214"

pytestmark = pytest.mark.xdist_group("liaoning")


@pytest.fixture(scope="module")
def world() -> Dataset:
    return geodata.load_dataset("liaoning")


@pytest.fixture(scope="module")
def times(world: Dataset) -> TravelTimes:
    return world.travel_times(cutoff_minutes=120)


@pytest.fixture(scope="module")
def baseline(world: Dataset, times: TravelTimes) -> PlanResult:
    return plan_upgrades(world, PlanningRules(), budget_cny=1.5e9, times=times)


@pytest.fixture(scope="module")
def county_only(world: Dataset, times: TravelTimes) -> PlanResult:
    return plan_upgrades(world, PlanningRules(tiers=(C3,)), budget_cny=1.5e9, times=times)


def test_dalian_suburban_subdistricts_are_township_tier_demand(baseline: PlanResult) -> None:
    """Dalian's 金州区 and 普兰店区: their semi-rural subdistricts can now be covered.

    Before (code and data of the issue, baseline plan): 28 subdistricts (1,036,087 people)
    were "uncovered by a township central hospital", 21 of them (907,799) with no candidate at
    any budget; 19 (889,125) in 金州区 and 普兰店区, 18 (858,513) of those uncoverable. After:
    166 subdistricts (7,319,244 people) are township-tier demand, their community health
    centres candidates; nobody is left that no budget can cover, and in the two districts
    one subdistrict (30,612 people, not chosen) stays uncovered.
    """
    demand = baseline.demand_status(TC)
    subdistrict = demand["kind"].eq("subdistrict")
    mine = subdistrict & demand["in_tier"]
    assert int(mine.sum()) == 166
    assert float(demand.loc[mine, "population"].sum()) == 7_319_244
    assert baseline.after[TC].uncoverable_population == 0.0
    assert baseline.summary()["cannot_be_covered"][TC] == 0.0
    status = demand.loc[mine].groupby("coverage_status")["population"].agg(["count", "sum"])
    assert status.loc["not_chosen"].tolist() == [10, 160_456]
    two = mine & demand["county_code"].isin([JINZHOU, PULANDIAN])
    counts = demand.loc[two, "coverage_status"].value_counts().to_dict()
    assert counts == {"covered": 32, "not_chosen": 1}
    assert (
        float(demand.loc[two & (demand["coverage_status"] == "not_chosen"), "population"].sum())
        == 30_612
    )
    for name in ("三十里堡", "登沙河", "杏树"):
        row = demand[demand["name_zh"].str.startswith(name)].iloc[0]
        assert row["service_tier"] == TC
        assert row["coverage_status"] == "covered"
    # Core urban subdistricts are community-tier demand, not the township tier's.
    heping = demand[demand["county_code"] == "210102"]
    assert (heping["coverage_status"] == "other_tier").all()
    assert not heping["covered"].any()
    # The township-tier candidates of those subdistricts are their community health centres.
    tier = baseline.problem.tier(TC)
    candidate = np.isfinite(np.asarray(tier.cost, dtype=np.float64))
    ids = pd.Series([str(s) for s in baseline.problem.base.site_ids])
    assert int(ids[candidate].str.startswith("CHC-").sum()) > 0
    chc = world_sites(baseline).set_index("facility_id")
    assert set(chc.loc[ids[candidate & ids.str.startswith("CHC-")], "county_code"]) >= {
        JINZHOU,
        PULANDIAN,
    }


def world_sites(result: PlanResult) -> pd.DataFrame:
    return pd.DataFrame(result.world.facilities.drop(columns="geometry"))


def test_cannot_be_chosen_in_every_output(county_only: PlanResult, tmp_path: Path) -> None:
    """A place no candidate at any budget reaches has its own status everywhere.

    Before: such places were "not covered" like any other (no column, no summary figure, the
    same red ring). After, at the county 3A tier (60 min): 184 townships, 2,632,236 people.
    """
    from scenarios.runner import demand_layer

    result = county_only
    demand = result.demand_status(C3)
    blocked = demand["coverage_status"] == "no_candidate"
    assert int(blocked.sum()) == 184
    assert float(demand.loc[blocked, "population"].sum()) == 2_632_236
    assert not demand.loc[blocked, "reachable"].any()
    assert not demand.loc[blocked, "covered"].any()
    # The status agrees with brute force: no existing provider or candidate within 60 min.
    problem = status_quo(result.problem)
    tier = problem.tier(C3)
    possible = np.asarray(tier.existing) | np.isfinite(np.asarray(tier.cost, dtype=np.float64))
    csr = problem.base.costs
    near = np.full(csr.shape[0], np.inf)
    for i in range(csr.shape[0]):
        cols = csr.indices[csr.indptr[i] : csr.indptr[i + 1]]
        vals = csr.data[csr.indptr[i] : csr.indptr[i + 1]]
        ok = possible[cols]
        if ok.any():
            near[i] = vals[ok].min()
    assert (blocked.to_numpy() == (near > 60)).all()
    # summary.json, counties.csv and plan.gpkg's demand layer
    summary = result.summary()
    assert summary["cannot_be_covered"][C3] == 2_632_236
    assert summary["tiers"][C3]["after"]["uncoverable_population"] == 2_632_236
    counties = result.county_table()
    assert counties[f"{C3}_cannot_be_covered"].sum() == 2_632_236
    layer = demand_layer(result)
    assert (layer[f"{C3}_status"] == "no_candidate").sum() == 184
    assert (layer[f"{C3}_status_before"] == "no_candidate").sum() == 184
    # The map: its own dashed ring layer and legend entry, in both languages
    for language in ("zh", "en"):
        m = plan_map(
            result.world,
            result.facility_status(),
            demand,
            result.county_summary(C3),
            tier=C3,
            language=language,
            title="t",
        )
        path = tmp_path / f"map_{language}.html"
        save_map(m, path)
        page = path.read_text(encoding="utf-8")
        legend = TEXT[language]["legend_no_candidate"].format(minutes="60")
        assert json.dumps(legend)[1:-1] in page  # the legend reaches the page as JSON
        assert page.count('"dashArray": "3,2"') == 184
        assert json.dumps(TEXT[language]["no_candidate"])[1:-1] in page  # the layer's name
    # The briefing: a sentence with the figure in both languages
    briefing = json.loads(json.dumps({"plan": summary, "scenario": {"settings": {"tiers": [C3]}}}))
    for language, words in (("zh", "60 分钟内无可升级机构"), ("en", "no candidate within 60 min")):
        lines = [line for line in caveats(briefing, language) if words in line]
        assert len(lines) == 1
        assert "2,632,236" in lines[0]


def test_one_county_grouping(world: Dataset, times: TravelTimes) -> None:
    """普兰店区 is its own county medical community area for every county rule.

    Before: 普兰店区 counted as Dalian's urban area for one rule and its own county for the
    other, had no county 3A candidate and stayed at 0 % county-3A coverage under the county
    medical community preset. After: it is its own area (a suburban district) for
    within_county, every_county and the candidates, gets a county 3A hospital and 87.0 %.
    """
    areas = service_areas(world)
    assert areas[PULANDIAN] == PULANDIAN
    assert areas["210202"] == "urban-210200"  # 中山区, a core urban district
    rules = PlanningRules(
        tiers=(TC, TierPlan(C3, within_county=True, every_county=True)),
    )
    problem = build_problem(world, times, rules)
    tier = problem.tier(C3)
    assert tier.within_group == "service_area"
    assert dict(tier.min_providers_per_group) == {"service_area": 1}
    sites = world_sites_frame(world)
    candidate = np.isfinite(np.asarray(tier.cost, dtype=np.float64))
    assert "CH-210214" in set(sites.loc[candidate, "facility_id"])
    # Candidates: county hospitals of own areas only (no core urban district's).
    own = sites["county_code"].astype(str).map(areas) == sites["county_code"].astype(str)
    assert (own[candidate]).all()
    result = plan_upgrades(world, rules, budget_cny=2.5e10, times=times)
    assert result.plan.status == "optimal"
    assert len(result.plan.upgrades[C3]) == 62
    share = result.after[C3].group_shares[PULANDIAN]
    assert result.before[C3].group_shares[PULANDIAN] == 0.0
    assert share == pytest.approx(0.869943, abs=1e-6)


def world_sites_frame(world: Dataset) -> pd.DataFrame:
    return pd.DataFrame(world.facilities.drop(columns="geometry")).reset_index(drop=True)


def test_before_is_the_status_quo_whatever_the_rule(world: Dataset, times: TravelTimes) -> None:
    """With within_county on, the "before" figures no longer change.

    Before: 16.2 million people (17,303,844 on the dataset of that time) were reported as
    having no county 3A provider within 120 min although one stood across a county line.
    After: the before figures equal those without the rule; nobody is unreachable (travel
    times extended past the cutoff), 31,063,932 people are within 60 min today.
    """
    free = build_problem(world, times, PlanningRules())
    community = build_problem(
        world, times, PlanningRules(tiers=(TC, TierPlan(C3, within_county=True)))
    )
    from optimizer.metrics import plan_metrics

    ruled = plan_metrics(community)[C3]  # what the before figures used to be
    assert ruled.unreachable_population > 10e6
    before = plan_metrics(status_quo(community))[C3]
    assert before.as_dict() == plan_metrics(status_quo(free))[C3].as_dict()
    assert before.covered_population == 31_063_932
    result = plan_upgrades(
        world,
        PlanningRules(tiers=(TC, TierPlan(C3, within_county=True))),
        budget_cny=1.5e9,
        times=times,
    )
    assert result.before[C3].unreachable_population == 0.0
    assert result.before[C3].covered_population == 31_063_932


def test_cutoff_extended_for_demand_without_a_provider(world: Dataset, times: TravelTimes) -> None:
    """The 120-minute cutoff no longer decides plans silently.

    Before: 2,998,992 people reached no county 3A provider within 120 min and the minmax
    objective counted them all at exactly 120, so it spent nothing on county 3A. After: the
    rows of the 190 townships without a provider are computed up to 480 min; every one
    reaches a provider (nobody capped), and the summary says so.
    """
    extended, info = extend_times(world, times, PlanningRules())
    assert info == {
        "cutoff_minutes": 120.0,
        "extended_to_minutes": 480.0,
        "extended_demand_points": 190,
    }
    assert extended.minutes.nnz > times.minutes.nnz
    problem = build_problem(world, extended, PlanningRules())
    from optimizer.metrics import plan_metrics

    for metrics in plan_metrics(status_quo(problem)).values():
        assert metrics.unreachable_population == 0.0
    # Rows with a provider within the cutoff are unchanged.
    old = times.minutes
    new = extended.minutes
    same = [
        i
        for i in range(old.shape[0])
        if old.indptr[i + 1] - old.indptr[i] == new.indptr[i + 1] - new.indptr[i]
    ]
    assert len(same) == old.shape[0] - 190


def test_minmax_cutoff_no_longer_decides_the_plan() -> None:
    """A hand case of the Liaoning minmax failure: far people all counted at the cutoff.

    County tier (``c3``): its one demand point is 300 min from the existing hospital and
    200 min from a candidate. Township tier (``tc``): its point is 90 min from the existing
    provider, 10 from a candidate. One upgrade is affordable. With times cut at 120 (the
    former behaviour) the county point counts "at 120" whatever is chosen, so minmax spends
    on the township tier (worst times 120 + 10); with the true times it upgrades the county
    candidate (200 + 90 < 300 + 10).
    """
    inf = np.inf
    cut = np.array([[inf, inf, inf], [90.0, inf, 10.0]])
    true = np.array([[300.0, 200.0, inf], [90.0, inf, 10.0]])
    for minutes, unreachable, expected in (
        (cut, 120.0, {"tc": (2,), "c3": ()}),
        (true, 480.0, {"tc": (), "c3": (1,)}),
    ):
        tiers = [
            UpgradeTier(
                "tc", 30.0, [True, False, False], [np.nan, np.nan, 1.0], demand_weight=[0, 1]
            ),
            UpgradeTier(
                "c3", 60.0, [True, False, False], [np.nan, 1.0, np.nan], demand_weight=[1, 0]
            ),
        ]
        problem = UpgradeProblem.from_matrix(minutes, tiers=tiers)
        plan = solve_upgrades(
            problem, objective="minmax", budget=1.0, unreachable_minutes=unreachable
        )
        assert dict(plan.upgrades) == expected


@pytest.mark.slow
def test_minmax_spends_on_county_3a(world: Dataset, times: TravelTimes) -> None:
    """Liaoning minmax: before, 0 county 3A upgrades (75 township ones); after, some."""
    result = plan_upgrades(
        world,
        PlanningRules(),
        objective="minmax",
        budget_cny=1.5e9,
        times=times,
        time_limit_s=60,
    )
    assert result.plan.status in ("optimal", "feasible")
    assert len(result.plan.upgrades[C3]) >= 1
    assert result.summary()["travel"]["capped_population"] == {TC: 0.0, C3: 0.0}


@pytest.mark.slow
def test_equity_per_tier_on_liaoning(
    world: Dataset, times: TravelTimes, baseline: PlanResult
) -> None:
    """equity_first: the township tier's worst county is lifted, never below the baseline's.

    Before: equity maximised one share per county mixed across tiers (s = 46.2 %, shown
    nowhere); its township-tier worst county (211321, 30.5 %) was worse than the coverage
    baseline's (211223, 43.4 %). After: the township tier first, then county 3A (81.0 % and
    0 %; at county 3A the worst counties cannot be lifted once the township floor is kept);
    the baseline's township worst county is 26.7 %.
    """
    result = plan_upgrades(
        world,
        PlanningRules(),
        objective="equity",
        budget_cny=1.5e9,
        times=times,
        mip_gap=0.1,
        time_limit_s=60,
    )
    equity = result.summary()["equity"]
    assert set(equity["lifted"]) == {TC, C3}
    worst = result.after[TC].worst_group_share
    assert worst >= baseline.after[TC].worst_group_share
    assert baseline.after[TC].worst_group_share == pytest.approx(0.266696, abs=1e-6)
    assert worst > 0.7
    assert equity["per_tier"][TC]["after"] == pytest.approx(worst)


def test_required_site_of_a_core_urban_district_is_refused(
    world: Dataset, times: TravelTimes
) -> None:
    """A county hospital of a core urban district is no county 3A candidate: say so.

    Before, ``candidate_county_types`` named the county types and the scenario check caught a
    district hospital; with the service-area rule nothing did and the requirement was
    silently dropped. 中山区 (210202) is a core district of Dalian (urban-210200).
    """
    from planning.errors import RuleError

    rules = PlanningRules(require=("CH-210202",))
    with pytest.raises(RuleError, match=r"rules.require: facility 'CH-210202' is not a candidate"):
        build_problem(world, times, rules)
    assert build_problem(world, times, PlanningRules(require=("CH-210214",))).tier(C3).required == [
        "CH-210214"
    ]


def test_designated_networks_nest_by_the_same_rule() -> None:
    """Designation and upgrades close `serves` by one rule (`geodata.tiers.close_serves`)."""
    from types import SimpleNamespace

    from geodata.tiers import close_serves
    from planning.networks.designation import _existing_masks

    levels = [
        SimpleNamespace(name="a", serves=("b",)),
        SimpleNamespace(name="b", serves=("c",)),
        SimpleNamespace(name="c", serves=()),
    ]
    ids = pd.Series(["s0", "s1"])
    masks = _existing_masks(levels, ids, {"a": ["s0"]})  # type: ignore[arg-type]
    assert {k: v.tolist() for k, v in masks.items()} == {
        "a": [True, False],
        "b": [True, False],
        "c": [True, False],
    }
    assert close_serves({lv.name: lv.serves for lv in levels})["a"] == ("b", "c")
    # planning.defaults: a county 3A upgrade provides both primary tiers.
    from planning.defaults import DEFAULT_TIER_RULES

    assert set(DEFAULT_TIER_RULES["county_3a"].serves) == {TC, "community_hospital"}
