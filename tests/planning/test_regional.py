"""Regions and regional specialty centres: hand cases, brute force, messages, Liaoning."""

from __future__ import annotations

import itertools
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from shapely.geometry import Point

import geodata
from geodata.dataset import Dataset
from geodata.travel import TravelTimes
from planning.networks.fields import SpecialtyField
from planning.networks.regional import RegionalRules, plan_regional_centres
from planning.networks.regions import DEFAULT_REGIONS, LIAONING_CITIES, RegionMap

# --- regions -----------------------------------------------------------------------------


def test_default_regions_cover_the_14_cities() -> None:
    assert sorted(DEFAULT_REGIONS.regions) == sorted(LIAONING_CITIES)
    assert DEFAULT_REGIONS.names == ("centre", "south", "west", "east")
    assert DEFAULT_REGIONS.cities("east") == ("210500", "210600")
    assert DEFAULT_REGIONS.cities("south") == ("210200", "210800")
    table = DEFAULT_REGIONS.table()
    assert len(table) == 14
    assert table["reason"].str.len().gt(0).all()
    assert table.loc[table["anchor"], "city_code"].tolist() == [
        "210100",
        "210200",
        "210600",
        "210700",
    ]


def test_override_by_name_and_errors() -> None:
    moved = DEFAULT_REGIONS.override({"本溪": "centre", "Panjin": "south", "211400": "north"})
    assert moved.region_of(["210500", "211100", "211400"]) == ("centre", "south", "north")
    assert moved.names == ("centre", "south", "west", "east", "north")
    assert DEFAULT_REGIONS.region_of(["210500"]) == ("east",)  # the default is untouched
    with pytest.raises(ValueError, match="unknown cities"):
        DEFAULT_REGIONS.override({"Atlantis": "west"})
    with pytest.raises(ValueError, match="cities without a region: 999999"):
        DEFAULT_REGIONS.region_of(["210100", "999999"])
    with pytest.raises(ValueError, match="unknown region 'north'"):
        DEFAULT_REGIONS.cities("north")
    with pytest.raises(ValueError, match="anchor of region"):
        RegionMap(regions={"1": "a"}, anchors={"b": "1"})
    assert DEFAULT_REGIONS.override({"沈阳市": "west"}).anchors.get("centre") is None


# --- a tiny world ------------------------------------------------------------------------


def tiny_world(
    minutes: np.ndarray,
    towns: list[tuple[str, float]],
    hospitals: list[tuple[str, str, str, bool]],
    cutoff: float = 500.0,
) -> tuple[Dataset, TravelTimes]:
    """A world of townships ``(city_code, population)`` and city_3a hospitals
    ``(facility_id, city_code, grade, general_care)`` with the given minutes."""
    n_d = len(towns)
    demand = gpd.GeoDataFrame(
        {
            "demand_id": [f"T{i}" for i in range(n_d)],
            "township_code": [f"T{i}" for i in range(n_d)],
            "county_code": [f"{c}01" for c, _ in towns],
            "city_code": [c for c, _ in towns],
            "population": [p for _, p in towns],
            "pop_0_14": [p / 10 for _, p in towns],
        },
        geometry=[Point(120 + i * 0.01, 40) for i in range(n_d)],
        crs="EPSG:4326",
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [h[0] for h in hospitals],
            "name_zh": [f"医院{h[0]}" for h in hospitals],
            "name_en": [f"Hospital {h[0]}" for h in hospitals],
            "tier": "city_3a",
            "county_code": [f"{h[1]}01" for h in hospitals],
            "city_code": [h[1] for h in hospitals],
            "grade": [h[2] for h in hospitals],
            "general_care": [str(h[3]) for h in hospitals],
        },
        geometry=[Point(121, 40 + j * 0.01) for j in range(len(hospitals))],
        crs="EPSG:4326",
    )
    cities = sorted({c for c, _ in towns})
    boundaries = gpd.GeoDataFrame(
        {
            "code": cities,
            "name_zh": [f"城{c}" for c in cities],
            "name_en": [f"City {c}" for c in cities],
            "level": "city",
            "parent_code": "21",
        },
        geometry=[Point(0, 0)] * len(cities),
        crs="EPSG:4326",
    )
    world = Dataset(
        name="tiny",
        boundaries=boundaries,
        townships=demand,
        demand=demand,
        facilities=facilities,
        seats=boundaries.iloc[:0],
    )
    dense = np.where(minutes <= cutoff, minutes, np.inf)
    rows, cols = np.nonzero(np.isfinite(dense))
    matrix = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    matrix.sort_indices()
    times = TravelTimes(
        matrix,
        demand["demand_id"].to_numpy().astype(str),
        facilities["facility_id"].to_numpy().astype(str),
        cutoff,
        "tiny",
    )
    return world, times


GENERAL = (SpecialtyField("comprehensive", "综合", "Comprehensive"),)


def test_hand_case_two_regions() -> None:
    """Region A: towns of 100 and 50 people, hospitals H1 (10 / 60 min) and H2 (40 / 20 min):
    H1 costs 100*10 + 50*60 = 4000, H2 100*40 + 50*20 = 5000, so H1. Region B: one town,
    one hospital H3 at 30 min."""
    minutes = np.array([[10.0, 40.0, 300.0], [60.0, 20.0, 300.0], [300.0, 300.0, 30.0]])
    world, times = tiny_world(
        minutes,
        [("100", 100.0), ("100", 50.0), ("200", 70.0)],
        [("H1", "100", "3A", True), ("H2", "100", "3A", True), ("H3", "200", "3", True)],
    )
    regions = RegionMap(regions={"100": "centre", "200": "east"})
    result = plan_regional_centres(
        world, RegionalRules(fields=GENERAL, regions=regions, standard_minutes=30), times=times
    )
    assert result.status == "optimal"
    assert result.centres["facility_id"].tolist() == ["H1", "H3"]
    a = result.metrics.set_index("region").loc["centre"]
    assert a["mean_minutes"] == pytest.approx(4000 / 150)
    assert a["covered_share"] == pytest.approx(100 / 150)
    assert a["p95_minutes"] == 60.0
    assert result.plans[("centre", "comprehensive")].objective == 4000
    b = result.metrics.set_index("region").loc["east"]
    assert b["mean_minutes"] == 30.0
    assert b["covered_share"] == 1.0
    served = result.assignments.set_index("demand_id")["facility_id"]
    assert served.to_dict() == {"T0": "H1", "T1": "H1", "T2": "H3"}
    json.dumps(result.summary())


@pytest.mark.parametrize("seed", range(8))
def test_pmedian_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_d, n_h = 9, 6
    minutes = rng.integers(0, 200, (n_d, n_h)).astype(float)
    towns = [("100" if i < 5 else "200", float(rng.integers(10, 90))) for i in range(n_d)]
    city = ["100", "100", "100", "200", "200", "200"]
    general = [True, True, rng.random() < 0.5, True, True, True]
    hospitals = [(f"H{j}", city[j], "3A", general[j]) for j in range(n_h)]
    cutoff = 150.0
    world, times = tiny_world(minutes, towns, hospitals, cutoff=cutoff)
    regions = RegionMap(regions={"100": "centre", "200": "south"})
    p = 1 + seed % 2
    rules = RegionalRules(fields=GENERAL, regions=regions, centres=p)
    result = plan_regional_centres(world, rules, times=times)
    assert result.status == "optimal"
    capped = np.minimum(minutes, cutoff)
    pop = np.array([w for _, w in towns])
    for region, code in (("centre", "100"), ("south", "200")):
        rows = [i for i, (c, _) in enumerate(towns) if c == code]
        cand = [j for j in range(n_h) if city[j] == code and general[j]]
        best = min(
            float(pop[rows] @ capped[np.ix_(rows, list(s))].min(axis=1))
            for s in itertools.combinations(cand, p)
        )
        plan = result.plans[(region, "comprehensive")]
        assert plan.objective == pytest.approx(best)
        row = result.metrics.set_index("region").loc[region]
        assert row["mean_minutes"] == pytest.approx(best / pop[rows].sum())
        assert row["centres"] == p


def test_colocated_hospitals_keep_the_3a_one_and_list_the_others() -> None:
    minutes = np.array([[10.0, 10.0, 10.0, 50.0], [30.0, 30.0, 30.0, 5.0]])
    world, times = tiny_world(
        minutes,
        [("100", 100.0), ("100", 10.0)],
        [
            ("H1", "100", "3B", True),
            ("H2", "100", "3A", True),
            ("H3", "100", "3", True),
            ("H4", "100", "3A", True),
        ],
    )
    regions = RegionMap(regions={"100": "centre"})
    result = plan_regional_centres(
        world, RegionalRules(fields=GENERAL, regions=regions), times=times
    )
    centre = result.centres.iloc[0]
    assert centre["facility_id"] == "H2"
    assert centre["co_located"] == "H1;H3"
    required = RegionalRules(fields=GENERAL, regions=regions, require={"comprehensive": ("H3",)})
    result = plan_regional_centres(world, required, times=times)
    assert result.centres["facility_id"].tolist() == ["H3"]


def test_specialty_hospitals_and_demand_weights() -> None:
    """Paediatrics weighs children and may use the children's hospital (儿童)."""
    minutes = np.array([[5.0, 50.0], [50.0, 5.0]])
    world, times = tiny_world(
        minutes,
        [("100", 100.0), ("100", 10.0)],
        [("H1", "100", "3A", True), ("H2", "100", "3A", False)],
    )
    world.facilities.loc[1, "name_zh"] = "某市儿童医院"
    kids = SpecialtyField("paediatrics", "儿科", "Paediatrics", "pop_0_14", ("儿童",))
    regions = RegionMap(regions={"100": "centre"})
    rules = RegionalRules(fields=(kids,), regions=regions, centres=2)
    result = plan_regional_centres(world, rules, times=times)
    assert sorted(result.centres["facility_id"]) == ["H1", "H2"]
    assert result.metrics["population"].iloc[0] == pytest.approx(11.0)


def test_region_override_changes_the_answer() -> None:
    minutes = np.array([[10.0, 80.0], [80.0, 10.0]])
    towns = [("100", 100.0), ("200", 80.0)]
    world, times = tiny_world(
        minutes, towns, [("H1", "100", "3A", True), ("H2", "200", "3A", True)]
    )
    two = RegionMap(regions={"100": "centre", "200": "east"})
    result = plan_regional_centres(world, RegionalRules(fields=GENERAL, regions=two), times=times)
    assert result.centres["facility_id"].tolist() == ["H1", "H2"]
    one = two.override({"200": "centre"})
    result = plan_regional_centres(world, RegionalRules(fields=GENERAL, regions=one), times=times)
    assert result.centres["facility_id"].tolist() == ["H1"]
    assert result.metrics["mean_minutes"].iloc[0] == pytest.approx((1000 + 6400) / 180)


def test_infeasible_and_bad_rules() -> None:
    minutes = np.array([[10.0, 10.0], [20.0, 20.0]])
    world, times = tiny_world(
        minutes,
        [("100", 1.0), ("100", 1.0)],
        [("H1", "100", "3A", True), ("H2", "100", "3A", True)],
    )
    regions = RegionMap(regions={"100": "centre"})
    rules = RegionalRules(fields=GENERAL, regions=regions, centres=2)
    result = plan_regional_centres(world, rules, times=times)
    assert result.status == "infeasible"
    assert result.metrics["message"].iloc[0] == (
        "region centre, comprehensive: 2 centre(s) requested but the eligible hospitals stand "
        "at only 1 distinct place(s)"
    )
    assert math.isnan(result.metrics["mean_minutes"].iloc[0])
    with pytest.raises(ValueError, match="cities without a region: 100") as err:
        plan_regional_centres(
            world,
            RegionalRules(
                fields=(SpecialtyField("x", "x", "x", demand_weight="pop_99"),),
                regions=RegionMap(regions={"200": "east"}),
                require={"y": ("H9",)},
                centres={"north": 2},
            ),
            times=times,
        )
    text = str(err.value)
    assert "pop_99" in text
    assert "unknown fields ['y']" in text
    assert "centres names unknown regions ['north']" in text
    assert "\n" not in text


# --- Liaoning ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def liaoning() -> geodata.Dataset:
    return geodata.load_dataset("liaoning")


def test_liaoning_default_regional_centres(liaoning: geodata.Dataset) -> None:
    result = plan_regional_centres(liaoning)
    assert result.status == "optimal"
    assert len(result.metrics) == 32
    assert (result.metrics["status"] == "optimal").all()
    assert (result.metrics["beyond_cutoff"] == 0).all()
    centres = result.centres
    assert len(centres) == 32
    regions = DEFAULT_REGIONS.region_of(centres["city_code"])
    assert list(regions) == centres["region"].tolist()
    comprehensive = centres[centres["field"] == "comprehensive"].set_index("region")
    assert comprehensive["city_code"].to_dict() == {
        "centre": "210100",
        "south": "210200",
        "west": "210700",
        "east": "210600",
    }
    shares = result.metrics.set_index(["region", "field"])["covered_share"]
    assert shares.between(0, 1).all()
    assert shares[("centre", "comprehensive")] > shares[("east", "comprehensive")]
    summary = result.summary()
    assert json.loads(json.dumps(summary))["status"] == "optimal"
    assert len(result.assignments) == 8 * len(liaoning.demand)


def test_liaoning_two_centres_in_the_centre_region(liaoning: geodata.Dataset) -> None:
    one = plan_regional_centres(liaoning, RegionalRules(fields=GENERAL))
    two = plan_regional_centres(liaoning, RegionalRules(fields=GENERAL, centres={"centre": 2}))
    m1 = one.metrics.set_index("region")["mean_minutes"]
    m2 = two.metrics.set_index("region")["mean_minutes"]
    assert m2["centre"] < m1["centre"]
    assert m2["east"] == pytest.approx(m1["east"])
    assert (two.centres["region"] == "centre").sum() == 2
    frame = pd.DataFrame(two.summary()["results"])
    assert frame.set_index("region").loc["centre", "centres"].__len__() == 2
