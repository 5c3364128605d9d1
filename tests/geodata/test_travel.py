"""Travel-time matrices: hand-computed graphs, a networkx cross-check, cutoff, zeros, cache."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import Point

from geodata import _network, settings, travel
from geodata.errors import (
    DataValidationError,
    HealthplanDataError,
    UnknownIdError,
    UnreachableError,
)
from geodata.travel import TravelTimes, travel_times

#: Node positions (lon, lat), 8-17 km apart so every place on a node snaps to it.
NODES = {
    1: (123.40, 41.80),
    2: (123.50, 41.80),
    3: (123.50, 41.90),
    4: (123.40, 41.90),
    5: (123.60, 42.00),  # isolated: reaches nothing, nothing reaches it
}
INF = np.inf


@pytest.fixture(autouse=True)
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never write to the home folder: the default cache lives in the test's tmp_path."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("HEALTHPLAN_CACHE_DIR", str(folder))
    return folder


def _graph() -> nx.MultiDiGraph:
    """Hand-made network; travel times in seconds.

    1 -> 2: two parallel edges, 600 s and 300 s (the fastest counts); 2 -> 1: 600 s.
    2 -> 3: one way, 900 s. 3 <-> 4: 1,200 s each way. 1 -> 4: 7,200 s (slower than via 2, 3).
    5: isolated.

    Shortest times (minutes): 1->2 5, 1->3 20, 1->4 40, 2->1 10, 3->4 20, 4->3 20; 3 and 4
    cannot reach 1 or 2 (2 -> 3 is one way).
    """
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in NODES.items():
        graph.add_node(node, x=x, y=y)
    for u, v, seconds in [
        (1, 2, 600.0),
        (1, 2, 300.0),
        (2, 1, 600.0),
        (2, 3, 900.0),
        (3, 4, 1200.0),
        (4, 3, 1200.0),
        (1, 4, 7200.0),
    ]:
        graph.add_edge(u, v, travel_time=seconds, length=seconds * 10.0, highway="primary")
    return graph


def _places(ids: list[str], nodes: list[int], column: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {column: ids}, geometry=[Point(NODES[n]) for n in nodes], crs="EPSG:4326"
    )


def _demand(nodes: list[int]) -> gpd.GeoDataFrame:
    return _places([f"d{n}" for n in nodes], nodes, "demand_id")


def _facilities(nodes: list[int]) -> gpd.GeoDataFrame:
    return _places([f"f{n}" for n in nodes], nodes, "facility_id")


# --- hand-computed values ---------------------------------------------------------------------


def test_hand_computed_times_parallel_edges_one_way_and_isolated_node() -> None:
    tt = travel_times(_graph(), _demand([1, 3, 5]), _facilities([2, 4, 1]), cache=False)
    expected = np.array(
        [
            [5.0, 40.0, 0.0],  # from 1: fastest parallel edge; 1->4 via 2, 3; f1 co-located
            [INF, 20.0, INF],  # from 3: 2 -> 3 is one way, so 1 and 2 are out of reach
            [INF, INF, INF],  # from the isolated node 5
        ]
    )
    np.testing.assert_allclose(tt.to_dense(), expected, atol=1e-9)
    assert tt.minutes.dtype == np.float64
    assert tt.demand_ids.tolist() == ["d1", "d3", "d5"]
    assert tt.facility_ids.tolist() == ["f2", "f4", "f1"]
    assert tt.unreachable_demand().tolist() == ["d5"]
    assert tt.lookup("d1", "f4") == pytest.approx(40.0)
    assert tt.lookup("d3", "f2") == INF
    assert tt.lookup("d1", "f1") == 0.0


@pytest.mark.parametrize(
    ("demand_nodes", "facility_nodes"),
    [
        ([1], [2, 3, 4, 5]),  # fewer demand nodes: Dijkstra from the demand side
        ([1, 2, 3, 4, 5], [4]),  # fewer facility nodes: from facilities on the reversed graph
        ([1, 1, 2, 2], [3, 4, 4]),  # duplicated nodes on both sides
    ],
)
def test_both_directions_and_duplicate_nodes_agree_with_hand_values(
    demand_nodes: list[int], facility_nodes: list[int]
) -> None:
    minutes = {(1, 2): 5, (1, 3): 20, (1, 4): 40, (2, 1): 10, (2, 3): 15, (2, 4): 35}
    minutes |= {(3, 4): 20, (4, 3): 20}
    demand = _places([f"d{i}" for i in range(len(demand_nodes))], demand_nodes, "demand_id")
    facilities = _places(
        [f"f{j}" for j in range(len(facility_nodes))], facility_nodes, "facility_id"
    )
    tt = travel_times(_graph(), demand, facilities, cache=False)
    expected = np.array(
        [
            [0.0 if d == f else minutes.get((d, f), INF) for f in facility_nodes]
            for d in demand_nodes
        ]
    )
    np.testing.assert_allclose(tt.to_dense(), expected, atol=1e-9)


def test_access_legs_are_added_at_both_ends() -> None:
    to_metric = Transformer.from_crs("EPSG:4326", settings.METRIC_CRS, always_xy=True)
    x1, y1 = to_metric.transform(*NODES[1])
    x2, y2 = to_metric.transform(*NODES[2])
    # 1,000 m from node 1 and 500 m from node 2, straight; x 1.3 circuity at 20 km/h.
    demand = gpd.GeoDataFrame(
        {"demand_id": ["a"]}, geometry=[Point(x1 + 600, y1 + 800)], crs=settings.METRIC_CRS
    )
    facilities = gpd.GeoDataFrame(
        {"facility_id": ["b"]}, geometry=[Point(x2 - 300, y2 - 400)], crs=settings.METRIC_CRS
    )
    tt = travel_times(
        _graph(), demand, facilities, access_speed_kph=20.0, circuity=1.3, cache=False
    )
    # 234 s + 300 s + 117 s = 651 s.
    assert tt.lookup("a", "b") == pytest.approx(651.0 / 60.0, abs=1e-9)


def test_places_on_the_same_node_use_their_own_straight_leg() -> None:
    to_metric = Transformer.from_crs("EPSG:4326", settings.METRIC_CRS, always_xy=True)
    x, y = to_metric.transform(*NODES[3])
    demand = gpd.GeoDataFrame(
        {"demand_id": ["a", "b"]},
        geometry=[Point(x + 600, y + 800), Point(x + 600, y + 800)],
        crs=settings.METRIC_CRS,
    )
    facilities = gpd.GeoDataFrame(
        {"facility_id": ["same_spot", "across"]},
        geometry=[Point(x + 600, y + 800), Point(x - 600, y + 800)],
        crs=settings.METRIC_CRS,
    )
    tt = travel_times(_graph(), demand, facilities, circuity=1.3, cache=False)
    # Identical coordinates: 0, not 2 x 1,300 m through the node. 1,200 m apart: 1,560 m.
    np.testing.assert_allclose(tt.to_dense(), [[0.0, 4.68], [0.0, 4.68]], atol=1e-9)
    assert tt.minutes.nnz == 4


# --- cutoff and explicit zeros ----------------------------------------------------------------


def test_entry_exactly_at_cutoff_is_kept_just_above_is_dropped() -> None:
    demand, facilities = _demand([1]), _facilities([2, 4])
    at = travel_times(_graph(), demand, facilities, cutoff_minutes=40.0, cache=False)
    assert at.lookup("d1", "f4") == 40.0
    below = travel_times(_graph(), demand, facilities, cutoff_minutes=39.999, cache=False)
    assert below.lookup("d1", "f4") == INF
    assert below.lookup("d1", "f2") == 5.0
    assert below.cutoff_minutes == 39.999


def test_zero_cutoff_keeps_only_co_located_pairs() -> None:
    tt = travel_times(
        _graph(), _demand([1, 2]), _facilities([1, 2, 3]), cutoff_minutes=0.0, cache=False
    )
    assert tt.minutes.nnz == 2
    assert tt.minutes.data.tolist() == [0.0, 0.0]
    np.testing.assert_array_equal(tt.to_dense(), [[0, INF, INF], [INF, 0, INF]])


def test_explicit_zeros_survive_every_operation(tmp_path: Path) -> None:
    tt = travel_times(_graph(), _demand([1, 3]), _facilities([3, 1, 4]), cache=False)
    assert tt.minutes.nnz == 5
    assert int((tt.minutes.data == 0).sum()) == 2  # d1 at f1, d3 at f3
    np.testing.assert_allclose(tt.to_dense(), [[20.0, 0.0, 40.0], [0.0, INF, 20.0]], atol=1e-9)
    assert tt.lookup("d3", "f3") == 0.0
    sub = tt.subset(facility_ids=["f1", "f3"])
    assert int((sub.minutes.data == 0).sum()) == 2
    np.testing.assert_allclose(sub.to_dense(), [[0.0, 20.0], [INF, 0.0]], atol=1e-9)
    loaded = TravelTimes.load(tt.save(tmp_path / "tt.npz"))
    assert int((loaded.minutes.data == 0).sum()) == 2
    minutes, index = tt.nearest()
    np.testing.assert_array_equal(minutes, [0.0, 0.0])
    np.testing.assert_array_equal(index, [1, 0])


def test_zero_time_edge_gives_a_stored_zero() -> None:
    graph = _graph()
    graph.add_node(6, x=123.45, y=41.85)
    graph.add_edge(1, 6, travel_time=0.0)  # e.g. two OSM nodes joined by a zero-length link
    facilities = gpd.GeoDataFrame(
        {"facility_id": ["f6"]}, geometry=[Point(123.45, 41.85)], crs="EPSG:4326"
    )
    tt = travel_times(graph, _demand([1, 2]), facilities, cache=False)
    assert tt.minutes.nnz == 2
    assert tt.lookup("d1", "f6") == 0.0
    assert tt.lookup("d2", "f6") == 10.0


def test_chunked_dijkstra_gives_the_same_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = _random_graph(seed=3)
    nodes = list(graph.nodes)[::7]
    demand = gpd.GeoDataFrame(
        {"demand_id": [f"d{n}" for n in nodes]},
        geometry=[Point(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in nodes],
        crs="EPSG:4326",
    )
    facilities = demand.rename(columns={"demand_id": "facility_id"}).iloc[::-2]
    whole = travel_times(graph, demand, facilities, cutoff_minutes=60.0, cache=False)
    # Room for 3 sources per Dijkstra call.
    monkeypatch.setattr(_network, "DIJKSTRA_CHUNK_BYTES", 8 * graph.number_of_nodes() * 3)
    chunked = travel_times(graph, demand, facilities, cutoff_minutes=60.0, cache=False)
    assert whole.minutes.nnz > 0
    np.testing.assert_array_equal(chunked.to_dense(), whole.to_dense())


# --- the TravelTimes object -------------------------------------------------------------------


def test_nearest_with_mask_and_unreachable_rows() -> None:
    tt = travel_times(_graph(), _demand([1, 3, 5]), _facilities([2, 4, 1]), cache=False)
    minutes, index = tt.nearest()
    np.testing.assert_allclose(minutes, [0.0, 20.0, INF])
    np.testing.assert_array_equal(index, [2, 1, -1])
    minutes, index = tt.nearest(facility_mask=[True, True, False])
    np.testing.assert_allclose(minutes, [5.0, 20.0, INF])
    np.testing.assert_array_equal(index, [0, 1, -1])
    minutes, index = tt.nearest(facility_mask=np.zeros(3, dtype=bool))
    assert np.isinf(minutes).all()
    assert (index == -1).all()
    with pytest.raises(ValueError, match="facility_mask must have shape"):
        tt.nearest(facility_mask=[True])


def test_nearest_breaks_ties_by_lowest_column() -> None:
    # f2a and f2b are both 5 min from d1.
    facilities = _places(["f4", "f2a", "f2b"], [4, 2, 2], "facility_id")
    tt = travel_times(_graph(), _demand([1]), facilities, cache=False)
    minutes, index = tt.nearest()
    assert minutes.tolist() == [5.0]
    assert index.tolist() == [1]


def test_subset_reorders_rows_and_columns_and_rejects_bad_ids() -> None:
    tt = travel_times(_graph(), _demand([1, 3, 5]), _facilities([2, 4, 1]), cache=False)
    sub = tt.subset(demand_ids=["d3", "d1"], facility_ids=["f4", "f2"])
    assert sub.demand_ids.tolist() == ["d3", "d1"]
    assert sub.facility_ids.tolist() == ["f4", "f2"]
    np.testing.assert_allclose(sub.to_dense(), [[20.0, INF], [40.0, 5.0]], atol=1e-9)
    assert sub.key != tt.key
    assert sub.cutoff_minutes == tt.cutoff_minutes
    assert tt.subset().to_dense().tolist() == tt.to_dense().tolist()
    with pytest.raises(KeyError, match="unknown facility id 'nope'"):
        tt.subset(facility_ids=["nope"])
    with pytest.raises(ValueError, match="must not repeat"):
        tt.subset(facility_ids=["f2", "f2"])


def test_lookup_unknown_id_and_repr() -> None:
    tt = travel_times(_graph(), _demand([1, 3, 5]), _facilities([2, 4, 1]), cache=False)
    with pytest.raises(KeyError, match="unknown demand id 'x'"):
        tt.lookup("x", "f2")
    text = repr(tt)
    assert text.startswith("TravelTimes(3 demand x 3 facilities, 4 reachable pairs <= 120 min")
    assert len(text) < 120


def test_user_errors_are_healthplan_data_errors(tmp_path: Path) -> None:
    tt = travel_times(_graph(), _demand([1, 3, 5]), _facilities([2, 4, 1]), cache=False)
    with pytest.raises(UnknownIdError) as exc:
        tt.lookup("d1", "nope")
    assert isinstance(exc.value, HealthplanDataError)
    assert isinstance(exc.value, KeyError)
    assert str(exc.value) == "unknown facility id 'nope'"
    with pytest.raises(HealthplanDataError, match="must not repeat"):
        tt.subset(demand_ids=["d1", "d1"])
    with pytest.raises(HealthplanDataError, match="cutoff_minutes must be a finite number"):
        travel_times(_graph(), _demand([1]), _facilities([2]), cutoff_minutes=-1, cache=False)
    with pytest.raises(HealthplanDataError, match="circuity must be a number >= 1"):
        travel_times(_graph(), _demand([1]), _facilities([2]), circuity=0.5, cache=False)
    np.savez(tmp_path / "other.npz", x=np.zeros(1))
    with pytest.raises(HealthplanDataError, match="not a travel-time file"):
        TravelTimes.load(tmp_path / "other.npz")


def test_save_load_round_trip(tmp_path: Path) -> None:
    demand = _places(["沈阳-1", "d3", "d5"], [1, 3, 5], "demand_id")
    tt = travel_times(_graph(), demand, _facilities([2, 4, 1]), cache=False)
    path = tt.save(tmp_path / "nested" / "tt.npz")
    assert path.exists()
    assert [p.name for p in path.parent.iterdir()] == ["tt.npz"]  # no temp file left
    loaded = TravelTimes.load(path)
    assert loaded.demand_ids.tolist() == ["沈阳-1", "d3", "d5"]
    assert loaded.facility_ids.tolist() == tt.facility_ids.tolist()
    assert loaded.key == tt.key
    assert loaded.cutoff_minutes == tt.cutoff_minutes
    np.testing.assert_array_equal(loaded.minutes.indptr, tt.minutes.indptr)
    np.testing.assert_array_equal(loaded.minutes.indices, tt.minutes.indices)
    np.testing.assert_array_equal(loaded.minutes.data, tt.minutes.data)
    assert not loaded.from_cache


def test_load_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, a=np.arange(3))
    with pytest.raises(ValueError, match="not a travel-time file"):
        TravelTimes.load(path)


# --- cache ------------------------------------------------------------------------------------


class _Spy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = travel.compute_minutes

        def spy(*args: object, **kwargs: object) -> object:
            self.calls += 1
            return original(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(travel, "compute_minutes", spy)


def test_cache_hit_miss_and_key_change(monkeypatch: pytest.MonkeyPatch, cache_folder: Path) -> None:
    spy = _Spy(monkeypatch)
    demand, facilities = _demand([1, 3, 5]), _facilities([2, 4, 1])
    first = travel_times(_graph(), demand, facilities)
    assert not first.from_cache
    assert spy.calls == 1
    assert (cache_folder / "travel_times" / f"{first.key}.npz").exists()

    second = travel_times(_graph(), demand, facilities)
    assert second.from_cache
    assert spy.calls == 1
    assert second.key == first.key
    np.testing.assert_array_equal(second.to_dense(), first.to_dense())
    assert "from cache" in repr(second)

    slower = _graph()
    slower.edges[2, 3, 0]["travel_time"] = 1000.0  # a changed speed
    third = travel_times(slower, demand, facilities)
    assert third.key != first.key
    assert not third.from_cache
    assert spy.calls == 2
    assert third.lookup("d1", "f4") == pytest.approx(5 + 1000 / 60 + 20)

    for changed in (
        {"cutoff_minutes": 60.0},
        {"access_speed_kph": 30.0},
        {"circuity": 1.5},
    ):
        assert travel_times(_graph(), demand, facilities, **changed).key != first.key  # type: ignore[arg-type]
    moved = demand.copy()
    moved.geometry = [Point(NODES[2]), Point(NODES[3]), Point(NODES[5])]
    assert travel_times(_graph(), moved, facilities).key != first.key
    renamed = _places(["x1", "d3", "d5"], [1, 3, 5], "demand_id")
    assert travel_times(_graph(), renamed, facilities).key != first.key


def test_key_ignores_edge_insertion_order() -> None:
    graph = _graph()
    reordered = nx.MultiDiGraph(crs="EPSG:4326")
    reordered.add_nodes_from(graph.nodes(data=True))
    reordered.add_edges_from(reversed(list(graph.edges(data=True))))
    demand, facilities = _demand([1, 3]), _facilities([2, 4])
    assert (
        travel_times(graph, demand, facilities, cache=False).key
        == travel_times(reordered, demand, facilities, cache=False).key
    )


def test_cache_disabled_writes_nothing_and_explicit_folder(
    tmp_path: Path, cache_folder: Path
) -> None:
    demand, facilities = _demand([1]), _facilities([2])
    travel_times(_graph(), demand, facilities, cache=False)
    assert not cache_folder.exists()
    folder = tmp_path / "elsewhere"
    tt = travel_times(_graph(), demand, facilities, cache_dir=folder)
    assert (folder / f"{tt.key}.npz").exists()
    assert travel_times(_graph(), demand, facilities, cache_dir=folder).from_cache


def test_unreadable_cache_file_is_recomputed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    demand, facilities = _demand([1]), _facilities([2])
    tt = travel_times(_graph(), demand, facilities, cache_dir=tmp_path)
    (tmp_path / f"{tt.key}.npz").write_bytes(b"not a zip file")
    spy = _Spy(monkeypatch)
    again = travel_times(_graph(), demand, facilities, cache_dir=tmp_path)
    assert not again.from_cache
    assert spy.calls == 1
    assert again.lookup("d1", "f2") == 5.0
    assert TravelTimes.load(tmp_path / f"{tt.key}.npz").key == tt.key


# --- validation ---------------------------------------------------------------------------------


def test_missing_id_column_names_the_column_and_the_fix() -> None:
    demand = _demand([1]).rename(columns={"demand_id": "code"})
    with pytest.raises(DataValidationError, match="demand: demand_id: id column is missing") as e:
        travel_times(_graph(), demand, _facilities([2]), cache=False)
    assert "pass demand_id='<your id column>'" in str(e.value)
    assert "\n" not in str(e.value)
    tt = travel_times(_graph(), demand, _facilities([2]), demand_id="code", cache=False)
    assert tt.demand_ids.tolist() == ["d1"]


def test_all_problems_of_both_frames_are_reported_together() -> None:
    demand = _places(["a", "a", "b"], [1, 2, 3], "demand_id")
    facilities = _facilities([2]).set_crs(None, allow_override=True)
    with pytest.raises(DataValidationError) as err:
        travel_times(_graph(), demand, facilities, cache=False)
    text = str(err.value)
    assert "demand: demand_id: 1 ids are not unique ('a')" in text
    assert "facilities: crs: no CRS is set" in text
    assert len(err.value.problems) == 2
    assert "\n" not in text


def test_integer_ids_become_strings() -> None:
    demand = gpd.GeoDataFrame({"demand_id": [11]}, geometry=[Point(NODES[1])], crs="EPSG:4326")
    tt = travel_times(_graph(), demand, _facilities([2]), cache=False)
    assert tt.demand_ids.tolist() == ["11"]
    assert tt.lookup("11", "f2") == 5.0


def test_empty_inputs_and_empty_graph_are_unreachable() -> None:
    with pytest.raises(UnreachableError, match="0 demand places"):
        travel_times(_graph(), _demand([]), _facilities([2]), cache=False)
    with pytest.raises(UnreachableError, match="no nodes"):
        travel_times(nx.MultiDiGraph(), _demand([1]), _facilities([2]), cache=False)


def test_edges_without_travel_time_are_reported() -> None:
    graph = _graph()
    del graph.edges[2, 3, 0]["travel_time"]
    with pytest.raises(DataValidationError, match=r"1 edges lack .*first: 2 -> 3"):
        travel_times(graph, _demand([1]), _facilities([2]), cache=False)


def test_undirected_graph_is_driven_both_ways() -> None:
    graph = nx.Graph(crs="EPSG:4326")
    for node in (1, 2, 3):
        graph.add_node(node, x=NODES[node][0], y=NODES[node][1])
    graph.add_edge(1, 2, travel_time=60.0)
    graph.add_edge(2, 3, travel_time=120.0)
    tt = travel_times(graph, _demand([3]), _facilities([1, 2]), cache=False)
    np.testing.assert_allclose(tt.to_dense(), [[3.0, 2.0]])


# --- cross-check against networkx -------------------------------------------------------------


def _random_graph(seed: int) -> nx.MultiDiGraph:
    """~300-node seeded geometric graph: two-way and one-way roads, parallel edges."""
    rng = np.random.default_rng(seed)
    base = nx.random_geometric_graph(300, 0.09, seed=seed)
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in nx.get_node_attributes(base, "pos").items():
        graph.add_node(node, x=121.0 + 4.0 * x, y=39.5 + 3.0 * y)
    for u, v in base.edges:
        for a, b in ((u, v), (v, u)):
            if rng.random() < 0.1:  # one way: skip this direction
                continue
            graph.add_edge(a, b, travel_time=float(rng.uniform(60, 1800)))
            if rng.random() < 0.3:  # a parallel road, faster or slower
                graph.add_edge(a, b, travel_time=float(rng.uniform(60, 1800)))
    return graph


@pytest.mark.parametrize(("n_demand", "n_facility"), [(40, 80), (90, 25)])
def test_network_times_match_networkx_dijkstra(n_demand: int, n_facility: int) -> None:
    graph = _random_graph(seed=7)
    rng = np.random.default_rng(11)
    nodes = np.array(list(graph.nodes))
    d_nodes = rng.choice(nodes, n_demand, replace=True)  # repeats: duplicate snapped nodes
    f_nodes = rng.choice(nodes, n_facility, replace=False)

    def frame(chosen: np.ndarray, column: str, prefix: str) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {column: [f"{prefix}{i}" for i in range(len(chosen))]},
            geometry=[Point(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in chosen],
            crs="EPSG:4326",
        )

    demand, facilities = frame(d_nodes, "demand_id", "d"), frame(f_nodes, "facility_id", "f")
    cutoff = 90.0
    tt = travel_times(graph, demand, facilities, cutoff_minutes=cutoff, cache=False)
    dense = tt.to_dense()
    checked = reachable = 0
    for i, source in enumerate(d_nodes[:30]):
        lengths = nx.single_source_dijkstra_path_length(graph, source, weight="travel_time")
        for j, target in enumerate(f_nodes):
            expected = lengths.get(target, INF) / 60.0
            if expected <= cutoff:
                assert dense[i, j] == pytest.approx(expected, abs=1e-9, rel=0)
                reachable += 1
            else:
                assert dense[i, j] == INF
            checked += 1
    assert checked >= 30 * 25
    assert 0.1 * checked < reachable < 0.95 * checked  # the cutoff really bites
