"""Public-health laboratory network (issue 7A): levels as configuration, nesting, Liaoning."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from network_worlds import make_times, make_world

from geodata.dataset import Dataset
from geodata.travel import TravelTimes
from planning.networks.labs import DEFAULT_LAB_LEVELS, LabNetworkSpec, plan_lab_network
from planning.networks.levels import NetworkSpecError

INF = math.inf

DEMAND = [
    {"demand_id": "d1", "county_code": "210102", "population": 100.0},
    {"demand_id": "d2", "county_code": "210123", "population": 60.0},
    {"demand_id": "d3", "county_code": "210224", "population": 50.0},
    {"demand_id": "d4", "county_code": "210281", "population": 40.0},
    {"demand_id": "d5", "county_code": "210281", "population": 30.0},
]
SITES = [
    {"facility_id": "A3", "tier": "city_3a", "county_code": "210102"},
    {"facility_id": "AD", "tier": "county_hospital", "county_code": "210102"},  # district
    {"facility_id": "AC", "tier": "county_hospital", "county_code": "210123"},
    {"facility_id": "BC", "tier": "county_hospital", "county_code": "210224"},
    {"facility_id": "BK", "tier": "county_hospital", "county_code": "210281"},
    {"facility_id": "BM", "tier": "city_3a", "county_code": "210281"},
    {"facility_id": "TH", "tier": "township_health_center", "county_code": "210123"},
]
#          A3    AD    AC    BC    BK    BM    TH
MINUTES = [
    [10.0, 5.0, 70.0, INF, INF, INF, 50.0],  # d1
    [50.0, 40.0, 10.0, INF, INF, INF, 0.0],  # d2
    [INF, INF, INF, 20.0, 55.0, 50.0, INF],  # d3
    [INF, INF, INF, 70.0, 10.0, 10.0, INF],  # d4
    [INF, INF, 90.0, 55.0, 45.0, 30.0, INF],  # d5
]

TINY_TOML = """
name = "tiny_labs"

[[levels]]
name = "province_lab"
standard_minutes = 100
candidate_tiers = ["city_3a"]
max_new = 1
serves = ["city_lab", "county_lab"]

[[levels]]
name = "city_lab"
standard_minutes = 60
candidate_tiers = ["city_3a"]
min_per_city = 1
serves = ["county_lab"]

[[levels]]
name = "county_lab"
standard_minutes = 30
candidate_tiers = ["county_hospital", "county_3a"]
"""


@pytest.fixture
def tiny() -> tuple[Dataset, TravelTimes]:
    world = make_world(DEMAND, SITES)
    return world, make_times(world, MINUTES)


def test_fewest_labs_by_hand(tiny: tuple[Dataset, TravelTimes]) -> None:
    world, times = tiny
    spec = LabNetworkSpec.from_toml(TINY_TOML)
    result = plan_lab_network(world, spec, times=times)
    # Province (100 min, one lab): A3 reaches d1, d2 (160) and BM d3-d5 (120): A3.
    # City (60 min, one per city): A3 already provides city level in 210100; BM for 210200.
    # County (30 min): d2 only from AC, d3 only from BC; d1 from A3, d4 and d5 from BM.
    assert result.status == "optimal"
    assert result.designated == {
        "province_lab": ("A3",),
        "city_lab": ("BM",),
        "county_lab": ("AC", "BC"),
    }
    assert result.after["province_lab"].covered_population == 160.0
    assert result.after["city_lab"].covered_population == 280.0
    assert result.after["county_lab"].covered_population == 280.0
    assert result.objective == 160.0 + 280.0 + 280.0
    # the province lab provides the lower levels too (nesting)
    assert "A3" in result.providers_after["county_lab"]
    cities = result.city_table()
    city_level = cities[cities["key"] == "city_lab"].set_index("city_code")
    assert city_level["providers_after"].to_dict() == {"210100": 1, "210200": 1}


def test_coverage_objective_and_limits(tiny: tuple[Dataset, TravelTimes]) -> None:
    world, times = tiny
    spec = LabNetworkSpec.from_toml(TINY_TOML)
    county = replace(spec.levels[2], max_new=1)
    limited = replace(spec, objective="coverage", levels=(*spec.levels[:2], county))
    result = plan_lab_network(world, limited, times=times)
    # one county lab: AC adds d2 (60), BC adds d3 (50): AC
    assert result.status == "optimal"
    assert result.designated["county_lab"] == ("AC",)
    assert result.after["county_lab"].covered_population == 230.0
    with pytest.raises(NetworkSpecError, match="objective 'fewest' minimises the number"):
        plan_lab_network(world, replace(spec, budget_cny=1e6), times=times)


def test_existing_labs_serve_lower_levels(tiny: tuple[Dataset, TravelTimes]) -> None:
    world, times = tiny
    spec = LabNetworkSpec.from_toml(TINY_TOML)
    result = plan_lab_network(world, spec, existing={"city_lab": ["BM"]}, times=times)
    # before: the existing city lab BM covers d3, d4, d5 at 60 min and d4, d5 at 30 min
    assert result.before["province_lab"].covered_population == 0.0
    assert result.before["city_lab"].covered_population == 120.0
    assert result.before["county_lab"].covered_population == 70.0
    assert result.designated["city_lab"] == ()
    table = result.centres_table()
    assert table[table["status"] == "existing"][["facility_id", "level"]].values.tolist() == [
        ["BM", "city_lab"]
    ]
    with pytest.raises(NetworkSpecError, match="existing names unknown tiers"):
        plan_lab_network(world, spec, existing={"cdc": ["BM"]}, times=times)
    with pytest.raises(NetworkSpecError, match=r"unknown facility ids \['XX'\]"):
        plan_lab_network(world, spec, existing={"city_lab": ["XX"]}, times=times)


def test_a_new_level_is_configuration(tiny: tuple[Dataset, TravelTimes]) -> None:
    world, times = tiny
    text = (
        TINY_TOML
        + """
[[levels]]
name = "sampling_point"
standard_minutes = 15
candidate_tiers = ["township_health_center"]
hospital_types = []
max_new = 5
[levels.demand_weights]
population = 1.0
pop_65plus = 1.0
"""
    )
    spec = LabNetworkSpec.from_toml(text)
    result = plan_lab_network(world, spec, times=times)
    assert result.status == "optimal"
    assert result.designated["sampling_point"] == ("TH",)
    # weight = population + pop_65plus (a quarter of it in this world): d2 = 60 + 15
    assert result.after["sampling_point"].covered_population == 75.0
    summary = json.loads(json.dumps(result.summary(), allow_nan=False))
    assert summary["n_designated"]["sampling_point"] == 1
    assert summary["settings"]["tiers"][3]["standard_minutes"] == 15.0


def test_spec_round_trip_and_one_line_errors() -> None:
    default = LabNetworkSpec()
    assert default.levels == DEFAULT_LAB_LEVELS
    assert LabNetworkSpec.from_dict(default.to_dict()) == default
    with pytest.raises(
        NetworkSpecError,
        match=r"^labs.toml: levels\.0\.standrd_minutes: unknown key - remove it",
    ):
        LabNetworkSpec.from_toml(
            '[[levels]]\nname = "x"\nstandard_minutes = 5\nstandrd_minutes = 5\n',
            source="labs.toml",
        )
    with pytest.raises(NetworkSpecError, match=r"level 'x' serves unknown levels \['y'\]"):
        LabNetworkSpec.from_toml('[[levels]]\nname = "x"\nstandard_minutes = 5\nserves = ["y"]\n')
    with pytest.raises(NetworkSpecError, match="not valid TOML"):
        LabNetworkSpec.from_toml("[[levels]\n")
    with pytest.raises(NetworkSpecError, match="objective: Input should be 'coverage' or 'fewest'"):
        LabNetworkSpec.from_dict({"objective": "cheapest"})
    with pytest.raises(
        NetworkSpecError, match=r"^lab network: name: Input should be a valid string"
    ):
        LabNetworkSpec.from_dict({"name": 7})


@pytest.mark.slow
@pytest.mark.xdist_group("liaoning")
def test_liaoning_default_lab_network(world: Dataset, times_240: TravelTimes) -> None:
    result = plan_lab_network(world, times=times_240)
    assert result.status == "optimal"
    counts = {k: len(v) for k, v in result.designated.items()}
    assert counts["province_lab"] == 1
    assert counts["city_lab"] >= 13  # one per city; the province lab's city may need none
    # "fewest" keeps the best achievable coverage at every level
    for level in ("city_lab", "county_lab"):
        assert result.after[level].covered_population == pytest.approx(
            result.potential[level].covered_population
        )
    assert result.after["province_lab"].covered_share > 0.85
    cities = result.city_table()
    assert (cities[cities["key"] == "city_lab"]["providers_after"] >= 1).all()
    # minimal: every laboratory covers someone no other one does, or holds its city
    table = result.centres_table()
    designated = table[table["status"] == "designated"]
    only_in_city = designated.groupby(["level", "city_code"])["facility_id"].transform("size") == 1
    holds_city = (designated["level"] == "city_lab") & only_in_city
    assert ((designated["loss_if_dropped"] > 0) | holds_city).all()
    # county laboratories sit in counties and county-level cities, never in districts
    county_types = world.units("county")["county_type"]
    county_labs = designated[designated["level"] == "county_lab"]
    assert set(county_labs["county_code"].map(county_types)) <= {"county", "county_level_city"}
    assert np.isfinite(result.after["county_lab"].p95_minutes)
