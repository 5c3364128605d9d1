"""Snapping places to a road graph: nearest node and access legs, checked by hand."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point

from geodata import settings
from geodata.errors import DataValidationError, UnreachableError
from geodata.snap import snap_points

#: Node positions (lon, lat) around Shenyang, roughly 8-17 km apart.
NODES = {1: (123.40, 41.80), 2: (123.50, 41.80), 3: (123.40, 41.90)}
TO_METRIC = Transformer.from_crs("EPSG:4326", settings.METRIC_CRS, always_xy=True)


def _graph(ids: dict[object, tuple[float, float]] | None = None) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in (ids or NODES).items():
        graph.add_node(node, x=x, y=y)
    return graph


def _metric(node: int) -> tuple[float, float]:
    x, y = TO_METRIC.transform(*NODES[node])
    return float(x), float(y)


def test_places_on_nodes_have_no_access_leg() -> None:
    points = gpd.GeoDataFrame(
        geometry=[Point(NODES[3]), Point(NODES[1])], index=["a", "b"], crs="EPSG:4326"
    )
    out = snap_points(_graph(), points)
    assert list(out.index) == ["a", "b"]
    assert list(out.columns) == ["node", "access_length_m", "access_time_s"]
    assert out["node"].tolist() == [3, 1]
    assert out["node"].dtype == np.int64
    np.testing.assert_allclose(out["access_length_m"], 0.0, atol=1e-6)
    np.testing.assert_allclose(out["access_time_s"], 0.0, atol=1e-6)


def test_access_leg_is_straight_line_times_circuity_at_access_speed() -> None:
    # 600 m east and 800 m north of node 2 in the metric CRS: 1,000 m straight.
    x, y = _metric(2)
    points = gpd.GeoDataFrame(geometry=[Point(x + 600, y + 800)], crs=settings.METRIC_CRS)
    out = snap_points(_graph(), points, access_speed_kph=20.0, circuity=1.3)
    assert out["node"].iloc[0] == 2
    # 1,000 m x 1.3 = 1,300 m; at 20 km/h (5.555... m/s) that is 234 s.
    assert out["access_length_m"].iloc[0] == pytest.approx(1300.0, abs=1e-6)
    assert out["access_time_s"].iloc[0] == pytest.approx(234.0, abs=1e-6)


def test_result_does_not_depend_on_the_points_crs() -> None:
    x, y = _metric(1)
    metric = gpd.GeoDataFrame(
        geometry=[Point(x + 300, y - 400), Point(x + 5_000, y + 9_000)], crs=settings.METRIC_CRS
    )
    lonlat = metric.to_crs("EPSG:4326")
    a, b = snap_points(_graph(), metric), snap_points(_graph(), lonlat)
    assert a["node"].tolist() == b["node"].tolist() == [1, 3]
    np.testing.assert_allclose(a["access_length_m"], b["access_length_m"], rtol=1e-9)
    assert a["access_length_m"].iloc[0] == pytest.approx(500 * settings.ACCESS_CIRCUITY)


def test_graph_in_metric_crs_is_projected_from_its_crs_attribute() -> None:
    graph = nx.MultiDiGraph(crs=settings.METRIC_CRS)
    for node in NODES:
        x, y = _metric(node)
        graph.add_node(node, x=x, y=y)
    points = gpd.GeoDataFrame(geometry=[Point(NODES[2])], crs="EPSG:4326")
    out = snap_points(graph, points)
    assert out["node"].iloc[0] == 2
    assert out["access_length_m"].iloc[0] == pytest.approx(0.0, abs=1e-6)


def test_string_node_ids_are_kept() -> None:
    graph = _graph({"west": NODES[1], "east": NODES[2]})
    points = gpd.GeoDataFrame(geometry=[Point(123.49, 41.8)], crs="EPSG:4326")
    assert snap_points(graph, points)["node"].tolist() == ["east"]


def test_no_points_gives_an_empty_frame() -> None:
    points = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    out = snap_points(_graph(), points)
    assert len(out) == 0
    assert list(out.columns) == ["node", "access_length_m", "access_time_s"]


def test_missing_crs_is_a_one_line_error() -> None:
    points = gpd.GeoDataFrame(geometry=[Point(NODES[1])])
    with pytest.raises(DataValidationError, match="crs: no CRS is set") as err:
        snap_points(_graph(), points)
    assert "\n" not in str(err.value)


def test_empty_and_missing_geometries_name_their_rows() -> None:
    points = gpd.GeoDataFrame(
        geometry=[Point(NODES[1]), None, Point(), Point(NODES[2])],
        index=["ok", "none", "empty", "fine"],
        crs="EPSG:4326",
    )
    with pytest.raises(DataValidationError, match=r"2 rows .*'none', 'empty'"):
        snap_points(_graph(), points)


def test_non_points_and_nan_coordinates_are_rejected() -> None:
    lines = gpd.GeoDataFrame(
        geometry=[LineString([NODES[1], NODES[2]])], index=[7], crs="EPSG:4326"
    )
    with pytest.raises(DataValidationError, match=r"not Points \(rows 7\)"):
        snap_points(_graph(), lines)
    nan = gpd.GeoDataFrame(geometry=[Point(np.nan, 41.0)], crs="EPSG:4326")
    with pytest.raises(
        DataValidationError, match=r"1 Points have NaN or infinite coordinates \(rows 0\)"
    ):
        snap_points(_graph(), nan)


def test_graph_without_nodes_is_unreachable() -> None:
    points = gpd.GeoDataFrame(geometry=[Point(NODES[1])], crs="EPSG:4326")
    with pytest.raises(UnreachableError, match="no nodes"):
        snap_points(nx.MultiDiGraph(crs="EPSG:4326"), points)


def test_nodes_without_coordinates_are_reported() -> None:
    graph = _graph()
    graph.add_node(99)
    points = gpd.GeoDataFrame(geometry=[Point(NODES[1])], crs="EPSG:4326")
    with pytest.raises(DataValidationError, match=r"node x/y: 1 nodes .*\(nodes 99\)"):
        snap_points(graph, points)


@pytest.mark.parametrize(
    ("speed", "circuity"), [(0.0, 1.3), (-5.0, 1.3), (np.nan, 1.3), (20.0, 0.9)]
)
def test_bad_access_parameters(speed: float, circuity: float) -> None:
    points = gpd.GeoDataFrame(geometry=[Point(NODES[1])], crs="EPSG:4326")
    with pytest.raises(ValueError, match=r"access_speed_kph|circuity"):
        snap_points(_graph(), points, access_speed_kph=speed, circuity=circuity)
