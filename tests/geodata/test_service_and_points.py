"""Issue 13 in the shipped data: who each tier serves, real hospital points, cross-border
providers, island seats and ferries. Each test records the figure before the change."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

import geodata
from geodata import settings
from geodata.approx_roads import EXTERNAL_LEVEL
from geodata.dataset import Dataset
from geodata.errors import DataValidationError, HealthplanDataError
from geodata.validate import validate_admin_units, validate_facilities

pytestmark = pytest.mark.xdist_group("liaoning")


@pytest.fixture(scope="module")
def world() -> Dataset:
    return geodata.load_dataset("liaoning")


@pytest.fixture(scope="module")
def graph(world: Dataset) -> nx.MultiDiGraph[Any]:
    return world.graph()


def _minutes(graph: nx.MultiDiGraph[Any], source: str) -> dict[str, float]:
    node = {d["code"]: n for n, d in graph.nodes(data=True)}
    dist = nx.single_source_dijkstra_path_length(graph, node[source], weight="travel_time")
    return {graph.nodes[n]["code"]: t / 60 for n, t in dist.items()}


# --- who each tier serves --------------------------------------------------------------------


def test_service_areas_split_core_and_suburban_districts(world: Dataset) -> None:
    counties = world.units("county")
    area = counties["service_area"].to_dict()
    assert area["210102"] == "urban-210100"  # 和平区, 0.0 % rural
    assert area["210211"] == "urban-210200"  # 甘井子区, 0.0 %
    assert area["210212"] == "urban-210200"  # 旅顺口区, 4.7 %
    assert area["210213"] == "210213"  # 金州区, 11.3 %: suburban, its own area
    assert area["210214"] == "210214"  # 普兰店区, 40.8 %
    assert area["210181"] == "210181"  # 新民市, county-level city
    basis = counties.at["210213", "service_area_basis"]
    assert "rural population 11.3 % (census 2020) >= 10 %" in basis
    districts = counties[counties["county_type"] == "district"]
    core = districts["service_area"].str.startswith("urban-")
    assert (int(core.sum()), int((~core).sum())) == (38, 21)
    # one urban area per city, and every non-district is its own area
    assert districts.loc[core, "service_area"].nunique() == 14
    others = counties[counties["county_type"] != "district"]
    assert (others["service_area"] == others["code"]).all()
    # the rule, recomputed from the census shares in the basis text
    share = districts["service_area_basis"].str.extract(r"rural population ([\d.]+) %")[0]
    assert ((share.astype(float) >= 10.0) == ~core).all()


def test_service_tiers_of_townships(world: Dataset) -> None:
    towns = world.townships.set_index("code")
    tier = towns["service_tier"]
    assert (tier[towns["kind"].isin(["town", "township"])] == "township_central").all()
    # the cases: semi-rural subdistricts of 金州区 ...
    names = towns.set_index("name_zh", append=True)["service_tier"]
    for code in ("210213029", "210213017", "210213020"):  # 三十里堡, 登沙河, 杏树
        assert tier[code] == "township_central", code
    assert "5 of 20 committees rural in 2016" in towns.at["210213029", "service_tier_basis"]
    # ... and the core of Shenyang
    heping = towns[towns["county_code"] == "210102"]
    assert len(heping) == 10
    assert (heping["service_tier"] == "community_hospital").all()
    assert names.size == 1406
    # before: every subdistrict was community tier (0 of 510); after: 166 (7,319,244 people)
    sub = towns[towns["kind"] == "subdistrict"]
    moved = sub[sub["service_tier"] == "township_central"]
    assert (len(moved), int(moved["population"].sum())) == (166, 7_319_244)
    dalian = sub[sub["county_code"].isin(["210213", "210214"])]
    rural = dalian[dalian["service_tier"] == "township_central"]
    assert (len(rural), int(rural["population"].sum())) == (33, 1_342_007)
    # brute force: outside the core districts a 2023 village share >= 20 % always gives tc
    area = world.units("county")["service_area"]
    outside = ~towns["county_code"].map(area).str.startswith("urban-")
    n = towns["n_urban_committees"] + towns["n_rural_committees"]
    villages = (towns["n_rural_committees"] >= 0.2 * n) & (n > 0) & (towns["kind"] != "town")
    assert (tier[outside & villages] == "township_central").all()
    core = ~outside & towns["kind"].isin(["subdistrict", "special"])
    assert (tier[core] == "community_hospital").all()
    assert world.demand["service_tier"].tolist() == tier.loc[world.demand["demand_id"]].tolist()


def test_facilities_name_their_township(world: Dataset) -> None:
    f = world.facilities
    primary = f["tier"].isin(["township_health_center", "community_health_center"])
    assert (f.loc[primary, "facility_id"].str[-9:] == f.loc[primary, "township_code"]).all()
    assert (f.loc[primary, "township_code"].str[:6] == f.loc[primary, "county_code"]).all()
    assert (f.loc[~primary, "township_code"] == "").all()
    assert set(f.loc[primary, "township_code"]) <= set(world.townships["code"])


def test_service_columns_are_checked() -> None:
    units = pd.DataFrame(
        {
            "code": ["210102", "210213", "210213029"],
            "name_zh": ["和平区", "金州区", "三十里堡街道"],
            "name_en": ["", "", ""],
            "level": ["county", "county", "township"],
            "parent_code": ["210100", "210200", "210213"],
            "service_area": ["urban-210200", "210213", ""],
            "service_tier": ["", "", "village_clinic"],
        }
    )
    with pytest.raises(DataValidationError) as err:
        validate_admin_units(units, source="units.csv")
    text = str(err.value)
    assert "units.csv: column 'service_area': 1 county rows" in text
    assert "'urban-210200'" in text
    assert "column 'service_tier': 1 township rows" in text
    assert "'village_clinic'" in text


def test_township_code_of_a_facility_is_checked() -> None:
    table = pd.DataFrame(
        {
            "facility_id": ["A", "B", "C"],
            "name_zh": ["甲", "乙", "丙"],
            "tier": ["community_health_center"] * 3,
            "county_code": ["210213"] * 3,
            "city_code": ["210200"] * 3,
            "township_code": ["210213029", "210102001", ""],
            "lon": ["121.78"] * 3,
            "lat": ["39.27"] * 3,
        }
    )
    with pytest.raises(DataValidationError, match=r"'township_code'.*'210102001'.*first B"):
        validate_facilities(table, source="f.csv")
    ok = validate_facilities(table[table["facility_id"] != "B"], source="f.csv")
    assert ok["township_code"].tolist() == ["210213029", ""]


# --- Grade-3A points ---------------------------------------------------------------------------


def test_city_hospitals_at_their_geocoded_points(world: Dataset) -> None:
    city = world.facilities[world.facilities["tier"] == "city_3a"]
    assert len(city) == 93
    sources = city["location_source"].value_counts().to_dict()
    assert sources == {
        "3ahospital_geocoded": 45,
        "city_seat": 31,
        "osm_nominatim": 15,
        "district_seat": 2,
    }
    # before: 74 of 93 on their city's seat point, 17 on one point in Shenyang
    at_seat = city["location_source"].isin(["city_seat", "core_district_seat"])
    assert int(at_seat.sum()) == 31
    points = city.geometry.apply(lambda p: (round(p.x, 6), round(p.y, 6)))
    assert int(points.value_counts().max()) == 10  # the Anshan seat; was 17 (Shenyang)
    seat = world.seats.set_index("code").geometry["210100"]
    assert int(points.value_counts()[(round(seat.x, 6), round(seat.y, 6))]) == 7
    first = city.set_index("name_zh").geometry["中国医科大学附属第一医院"]
    assert (round(first.x, 6), round(first.y, 6)) == (123.405004, 41.792855)
    # the known wrong point is not used, nor the 铁法 point that lies in Fushun
    assert "中国人民解放军沈阳军区总医院（北方医院）" not in set(city["name_zh"])
    tiefa = city.set_index("name_zh").loc["铁法煤业（集团）总医院"]
    assert tiefa["location_source"] == "district_seat"
    # every geocoded point lies in its hospital's city and county
    units = world.boundaries.set_index("code").geometry
    geo = city[city["location_source"] == "3ahospital_geocoded"]
    for row in geo.itertuples():
        assert units[row.city_code].covers(row.geometry), row.facility_id
        assert units[row.county_code].covers(row.geometry), row.facility_id


# --- cross-border providers ----------------------------------------------------------------------


def test_cross_border_providers_are_an_option(world: Dataset, tmp_path: Path) -> None:
    cross = world.cross_border
    assert cross is not None
    assert cross["facility_id"].tolist() == [f"XB-{n:02d}" for n in range(1, 9)]
    assert (cross["tier"] == "city_3a").all()
    assert int(cross["general_care"].sum()) == 5
    assert set(cross["city_code"]) == {"130300", "150400", "220300", "220400"}
    assert not set(cross["facility_id"]) & set(world.facilities["facility_id"])
    province = world.province
    assert province is not None
    assert not shapely.intersects(province, shapely.MultiPoint(list(cross.geometry))).any()

    wider = world.with_cross_border()
    assert wider.with_cross_border() is wider
    assert len(wider.facilities) == len(world.facilities) + 8
    assert len(world.facilities) == 1543  # the world itself is unchanged
    assert wider.facilities["province"].eq("").sum() == 1543
    graph = wider.graph()
    outside = [n for n, d in graph.nodes(data=True) if d["level"] == EXTERNAL_LEVEL]
    assert sorted(graph.nodes[n]["code"] for n in outside) == cross["facility_id"].tolist()
    assert all(graph.out_degree(n) == 3 for n in outside)  # 2 nearest places + nearest seat
    assert graph.graph["build_report"]["border_links"] == 24
    # 昌图县 borders 四平: its nearest township reaches the Siping hospital in 9.9 minutes
    minutes = _minutes(graph, "XB-01")
    assert minutes["211224111"] == pytest.approx(9.85, abs=0.01)
    assert minutes["211421"] == pytest.approx(485, abs=1)  # 绥中 seat, far from Siping
    assert _minutes(graph, "XB-06")["211421"] == pytest.approx(99.5, abs=0.1)  # 秦皇岛 -> 绥中
    times = wider.travel_times(cutoff_minutes=60, cache=False)
    reach = np.isfinite(times.to_dense()[:, -8:])
    assert reach.sum(axis=0).tolist() == [8, 8, 5, 5, 6, 5, 2, 6]  # townships within 60 min
    people = [int(wider.demand["population"][reach[:, j]].sum()) for j in range(8)]
    assert people[5] == 80_062  # 秦皇岛市第一医院: 绥中 residents within an hour

    again = geodata.load_dataset(wider.to_gpkg(tmp_path / "w.gpkg"))
    assert again.cross_border_on is False
    assert len(again.facilities) == 1543
    assert again.cross_border is not None
    assert again.cross_border["facility_id"].tolist() == cross["facility_id"].tolist()
    assert len(again.with_cross_border().facilities) == 1551


def test_cross_border_needs_the_table(world: Dataset) -> None:
    from dataclasses import replace

    bare = replace(world, cross_border=None, _graphs={})
    with pytest.raises(HealthplanDataError, match="no cross-border providers"):
        bare.with_cross_border()


# --- island seats and ferries --------------------------------------------------------------------


def test_island_seats_lie_on_their_islands(world: Dataset) -> None:
    towns = world.townships.set_index("code")
    counties = world.boundaries.set_index("code").geometry
    # the island each seat must lie on, by its cnmaps part's area (km2, rounded)
    islands = {
        "210224100": 26.7,  # 大长山岛
        "210224101": 9.9,  # 獐子岛
        "210224102": 27.8,  # 广鹿岛 (before: on 海洋岛)
        "210224103": 19.3,  # 小长山岛 (before: on 海洋岛)
        "210224104": 31.0,  # 海洋岛 (before: on 广鹿岛)
        "210283120": 7.0,  # 王家岛 (before: inland, 57 km north)
        "210283216": 32.9,  # 石城岛 (before: inland)
        "211481008": 15.4,  # 觉华岛 (before: in 兴城 town)
    }
    frame = gpd.GeoDataFrame(geometry=[towns.geometry[c] for c in islands], crs="EPSG:4326")
    for (code, area), point in zip(islands.items(), frame.geometry, strict=True):
        parts = shapely.get_parts(counties[code[:6]])
        part = next(p for p in parts if p.contains(point))
        km2 = gpd.GeoSeries([part], crs="EPSG:4326").to_crs(settings.METRIC_CRS).area[0] / 1e6
        assert km2 == pytest.approx(area, abs=0.5), code
    lon = {c: towns.geometry[c].x for c in islands}
    assert lon["210224102"] < lon["210224100"] < lon["210224103"] < lon["210224104"]
    assert towns.at["210224102", "coord_source"] == "cnmaps_island_centroid"
    assert towns.at["210224104", "coord_source"] == "vonng_2016_gcj02"


def test_island_travel_times(graph: nx.MultiDiGraph[Any]) -> None:
    """Minutes from Dalian's seat and from 皮口 (the ferry port), before -> after.

    Before: the old seats, ferries at road circuity 1.3, no 长山大桥.
    """
    dalian = _minutes(graph, "210200")
    after = {c: round(dalian[c]) for c in ("210224100", "210224102", "210224103", "210224104")}
    # 大长山 205 -> 193, 广鹿岛 402 -> 191, 小长山 407 -> 211, 海洋岛 199 -> 364
    assert after == {"210224100": 193, "210224102": 191, "210224103": 211, "210224104": 364}
    pikou = _minutes(graph, "210214005")
    # 广鹿岛 is nearer the mainland than 海洋岛: 308 / 132 before, 123 / 270 now
    assert round(pikou["210224102"]) == 123
    assert round(pikou["210224104"]) == 270
    # the ferry 皮口 -> 大长山岛 (county seat) takes 1-2 hours with boarding
    node = {d["code"]: n for n, d in graph.nodes(data=True)}
    ferry = graph.edges[node["210214005"], node["210224"], 0]
    assert ferry["highway"] == "ferry"
    assert 60 <= ferry["travel_time"] / 60 <= 120
    assert ferry["length"] == pytest.approx(
        28_200, rel=0.01
    )  # 25.7 km straight x APPROX_FERRY_CIRCUITY
    # 长山大桥: 大长山岛 and 小长山岛 by road
    bridge = graph.edges[node["210224100"], node["210224103"], 0]
    assert bridge["highway"] == "rural"
    assert graph.graph["build_report"]["bridges"] == 1
    # 觉华岛 from 兴城 (seat): one ferry, about an hour
    assert round(_minutes(graph, "211481")["211481008"]) == 64
    assert re.fullmatch(r"\d+", str(graph.graph["build_report"]["ferry_links"]))
    assert graph.graph["build_report"]["ferry_links"] == 15
