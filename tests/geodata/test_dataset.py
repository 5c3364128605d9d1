"""The shipped Liaoning world, loaded as a user would: counts, totals, flags, graph, times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import geodata
from geodata.dataset import Dataset
from geodata.errors import DataValidationError, HealthplanDataError
from geodata.schema import DEMAND_AGE_BANDS

pytestmark = pytest.mark.xdist_group("liaoning")


@pytest.fixture(scope="module")
def world() -> Dataset:
    return geodata.load_dataset("liaoning")


@pytest.fixture(scope="module")
def graph(world: Dataset) -> nx.MultiDiGraph[Any]:
    return world.graph()


def test_counts_and_census_total(world: Dataset) -> None:
    summary = world.summary()
    assert summary["cities"] == 14
    assert summary["counties"] == 100
    assert summary["townships"] == 1406
    assert summary["population"] == 42_591_407
    bands = world.demand[["pop_0_14", "pop_15_64", "pop_65plus"]].sum(axis=1)
    assert (bands == world.demand["population"]).all()


def test_county_totals_reproduce_census(world: Dataset) -> None:
    census = world.units("county")["population"].astype(int)
    split = world.demand.groupby("county_code")["population"].sum()
    pd.testing.assert_series_equal(
        split.sort_index(), census.sort_index(), check_names=False, check_index_type=False
    )


def test_codes_are_strings_and_nested(world: Dataset) -> None:
    units = world.admin_units
    assert units["code"].map(type).eq(str).all()
    lengths = units.groupby("level")["code"].apply(lambda s: set(s.str.len()))
    assert lengths.to_dict() == {"city": {6}, "county": {6}, "province": {6}, "township": {9}}
    county_codes = set(world.units("county")["code"])
    assert set(world.demand["county_code"]) <= county_codes
    # every township code starts with its county code
    assert (world.demand["township_code"].str[:6] == world.demand["county_code"]).all()


def test_facility_tiers_and_flags(world: Dataset) -> None:
    tiers = world.facilities["tier"].value_counts()
    kinds = world.townships["kind"].value_counts()
    assert tiers["township_health_center"] == kinds["town"] + kinds["township"]
    assert tiers["community_health_center"] == kinds["subdistrict"]
    assert tiers["county_hospital"] == 100
    assert (
        world.facilities.loc[world.facilities["tier"] == "county_hospital", "county_code"].nunique()
        == 100
    )
    city_3a = world.facilities[world.facilities["tier"] == "city_3a"]
    general = city_3a[city_3a["general_care"].astype(bool)]
    assert general["city_code"].nunique() == 14
    assert not city_3a["is_proxy"].astype(bool).all()  # real named hospitals
    for column in ("is_proxy", "location_source"):
        assert world.facilities[column].notna().all()
    assert world.townships["coord_source"].notna().all()
    assert world.townships["population_source"].notna().all()


def test_townships_inside_province(world: Dataset) -> None:
    province = world.province
    assert province is not None
    inside = world.townships.geometry.within(province.buffer(0.02))
    assert inside.all(), world.townships.loc[~inside, "code"].tolist()


def test_graph_is_one_strongly_connected_component(
    world: Dataset, graph: nx.MultiDiGraph[Any]
) -> None:
    assert graph.graph["network_source"] == "approximated"
    assert nx.is_strongly_connected(graph)
    classes = {d["highway"] for _, _, d in graph.edges(data=True)}
    assert {"expressway", "national", "rural", "ferry"} <= classes
    boarding_s = 30.0 * 60.0  # settings.APPROX_FERRY_BOARDING_MIN
    for _, _, d in graph.edges(data=True):
        extra = boarding_s if d["highway"] == "ferry" else 0.0
        assert d["travel_time"] == pytest.approx(d["length"] / (d["speed_kph"] / 3.6) + extra)


def test_travel_times_on_liaoning(
    world: Dataset, graph: nx.MultiDiGraph[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEALTHPLAN_CACHE_DIR", str(tmp_path))
    times = world.travel_times(graph=graph, cutoff_minutes=120)
    assert times.minutes.shape == (len(world.demand), len(world.facilities))
    # every township reaches its own health centre (same seat point) in no time
    demand_ids = list(times.demand_ids)
    fac_ids = list(times.facility_ids)
    town = world.townships[world.townships["kind"] == "town"].iloc[0]
    assert times.lookup(town["code"], f"THC-{town['code']}") == pytest.approx(0.0, abs=1e-9)
    # Changhai's island towns need the ferry: nothing on the mainland within 30 minutes
    islands = world.demand[world.demand["county_code"] == "210224"]
    mainland = world.facilities[world.facilities["county_code"] != "210224"]
    cols = [fac_ids.index(f) for f in mainland["facility_id"]]
    for demand_id in islands["demand_id"]:
        row = times.minutes[[demand_ids.index(demand_id)], :].toarray()[0, cols]
        reachable = row[row > 0]
        assert reachable.size == 0 or reachable.min() > 30.0
    # nearly everybody reaches some county-level hospital within two hours
    county = world.facilities["tier"].isin(["county_hospital", "county_3a", "city_3a"])
    dense = times.to_dense()[:, county.to_numpy()]
    covered = np.isfinite(dense).any(axis=1)
    share = world.demand["population"].to_numpy()[covered].sum() / 42_591_407
    assert share > 0.99


def test_gpkg_round_trip(world: Dataset, tmp_path: Path) -> None:
    path = world.to_gpkg(tmp_path / "liaoning.gpkg")
    again = geodata.load_dataset(path)
    assert again.summary()["population"] == 42_591_407
    assert len(again.facilities) == len(world.facilities)
    assert again.units("county")["code"].tolist() == world.units("county")["code"].tolist()


def _same_frame(loaded: pd.DataFrame, original: pd.DataFrame, columns: list[str]) -> None:
    """Same rows, values and dtypes in `columns` (geometry compared exactly)."""
    pd.testing.assert_frame_equal(
        pd.DataFrame(loaded[columns]).reset_index(drop=True),
        pd.DataFrame(original[columns]).reset_index(drop=True),
    )


def test_gpkg_round_trip_keeps_the_world_and_its_plan(world: Dataset, tmp_path: Path) -> None:
    from geodata.travel import travel_times
    from planning.upgrades import PlanningRules, plan_upgrades

    again = geodata.load_dataset(world.to_gpkg(tmp_path / "w.gpkg"))
    for frame in ("demand", "facilities", "seats"):
        columns = list(getattr(world, frame).columns)
        _same_frame(getattr(again, frame), getattr(world, frame), columns)
    _same_frame(again.boundaries, world.boundaries, list(world.boundaries.columns))
    township_columns = [c for c in world.townships.columns if c in again.townships.columns]
    # the census age bands and population sources of a township live in the demand layer
    assert set(world.townships.columns) - set(township_columns) == {
        *DEMAND_AGE_BANDS,
        "population_source",
        "n_urban_committees",
        "n_rural_committees",
    }
    _same_frame(again.townships, world.townships, township_columns)
    assert world.corridors is not None
    assert again.corridors is not None
    pd.testing.assert_frame_equal(again.corridors, world.corridors)
    for frame in (again.admin_units, again.demand, again.facilities, again.seats):
        for column in ("code", "parent_code", "township_code", "county_code", "city_code"):
            if column in frame:
                assert frame[column].map(type).eq(str).all(), column
    assert again.units("county")["county_type"].value_counts().to_dict() == {
        "district": 59,
        "county": 25,
        "county_level_city": 16,
    }
    assert {**again.summary(), "dataset": "liaoning"} == world.summary()

    plans = [
        plan_upgrades(
            w,
            PlanningRules(),
            budget_cny=1.5e9,
            times=travel_times(
                w.graph(), w.demand, w.facilities, cutoff_minutes=120, cache_dir=tmp_path / key
            ),
        )
        for key, w in (("shipped", world), ("round_trip", again))
    ]
    assert plans[1].plan.upgrades == plans[0].plan.upgrades
    assert plans[0].plan.upgrades["county_3a"]  # the planning reads county_type
    pd.testing.assert_frame_equal(plans[1].upgrades_table(), plans[0].upgrades_table())


def test_user_facility_table_replaces_proxies(world: Dataset, tmp_path: Path) -> None:
    table = world.facilities[world.facilities["tier"] == "city_3a"].head(3)
    csv = pd.DataFrame(table.drop(columns="geometry"))
    csv["lon"], csv["lat"] = table.geometry.x, table.geometry.y
    path = tmp_path / "real.csv"
    csv.to_csv(path, index=False)
    mine = geodata.load_dataset("liaoning", facilities=path)
    assert mine.facilities["facility_id"].tolist() == table["facility_id"].tolist()
    csv.loc[csv.index[0], "county_code"] = "219999"
    csv.to_csv(path, index=False)
    with pytest.raises(DataValidationError, match="name counties not in the dataset"):
        geodata.load_dataset("liaoning", facilities=path)


def test_unknown_dataset_lists_names() -> None:
    with pytest.raises(ValueError, match="available: liaoning"):
        geodata.load_dataset("atlantis")
    with pytest.raises(HealthplanDataError, match="dataset file not found"):
        geodata.load_dataset("missing.gpkg")
