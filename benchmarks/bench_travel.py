"""Benchmark `geodata.travel.travel_times` at Liaoning size.

``python -m benchmarks.bench_travel`` (or ``python -m benchmarks.run travel``) builds a
synthetic network the size of the approximated Liaoning graph and times the full computation
(snapping, Dijkstra, sparse assembly) with the cache disabled, plus a cache hit. To time the
real network instead, replace `synthetic_world` with a function returning the Liaoning graph,
demand and facilities and pass it to `run`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable

import geopandas as gpd
import networkx as nx
import numpy as np
from pyproj import Transformer
from scipy.spatial import Delaunay

from benchmarks import machine_line
from geodata import settings
from geodata.travel import travel_times

__all__ = ["World", "main", "run", "synthetic_world"]

World = tuple["nx.MultiDiGraph[int]", gpd.GeoDataFrame, gpd.GeoDataFrame]

#: Liaoning-sized box in `settings.METRIC_CRS` (UTM 51N): 700 km east-west, 500 km north-south.
_BOX_M = ((80_000.0, 780_000.0), (4_250_000.0, 4_750_000.0))
_SPEED_KPH = 50.0
_CUTOFF_MINUTES = 120.0
_REPEATS = 5
_TARGET_S = 2.0


def synthetic_world(
    *,
    n_seats: int = 1_520,
    n_demand: int = 1_406,
    n_facilities: int = 1_560,
    n_off_network: int = 40,
    seed: int = 2020,
) -> World:
    """A seeded stand-in for the Liaoning graph, demand and facilities.

    Seats are uniform random points in a 700 km x 500 km box, linked both ways along their
    Delaunay triangulation at 50 km/h. Demand sits on the first `n_demand` seats (township
    seats); facilities are one per township seat (township health centres, co-located with
    demand), the remaining seats (county seats), and `n_off_network` points off the network
    (city hospitals located by address).
    """
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = _BOX_M
    xy = np.column_stack([rng.uniform(x0, x1, n_seats), rng.uniform(y0, y1, n_seats)])
    to_lonlat = Transformer.from_crs(settings.METRIC_CRS, settings.STORAGE_CRS, always_xy=True)
    lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])

    simplices = Delaunay(xy).simplices
    pairs = np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [2, 0]]])
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    length = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    seconds = length / (_SPEED_KPH / 3.6)

    graph: nx.MultiDiGraph[int] = nx.MultiDiGraph(crs=settings.STORAGE_CRS)
    graph.add_nodes_from((i, {"x": lon[i], "y": lat[i]}) for i in range(n_seats))
    for (a, b), metres, secs in zip(pairs.tolist(), length, seconds, strict=True):
        attrs = {
            "length": float(metres),
            "highway": "primary",
            "speed_kph": _SPEED_KPH,
            "travel_time": float(secs),
        }
        graph.add_edge(a, b, **attrs)
        graph.add_edge(b, a, **attrs)

    demand = gpd.GeoDataFrame(
        {"demand_id": [f"d{i:04d}" for i in range(n_demand)]},
        geometry=gpd.points_from_xy(lon[:n_demand], lat[:n_demand]),
        crs=settings.STORAGE_CRS,
    )
    n_on_network = n_facilities - n_off_network
    off_xy = np.column_stack(
        [rng.uniform(x0, x1, n_off_network), rng.uniform(y0, y1, n_off_network)]
    )
    off_lon, off_lat = to_lonlat.transform(off_xy[:, 0], off_xy[:, 1])
    facilities = gpd.GeoDataFrame(
        {"facility_id": [f"f{j:04d}" for j in range(n_facilities)]},
        geometry=gpd.points_from_xy(
            np.concatenate([lon[:n_on_network], off_lon]),
            np.concatenate([lat[:n_on_network], off_lat]),
        ),
        crs=settings.STORAGE_CRS,
    )
    return graph, demand, facilities


def liaoning_world() -> World:
    """The shipped Liaoning dataset on its approximated road graph (all townships x all
    facilities)."""
    import geodata

    world = geodata.load_dataset("liaoning")
    return world.graph(), world.demand, world.facilities


def run(
    world: Callable[[], World] = synthetic_world,
    *,
    repeats: int = _REPEATS,
    label: str = "synthetic Liaoning-sized Delaunay graph",
) -> str:
    """Time `travel_times` on `world()` and return a markdown section."""
    start = time.perf_counter()
    graph, demand, facilities = world()
    setup_s = time.perf_counter() - start
    cold: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = travel_times(
            graph, demand, facilities, cutoff_minutes=_CUTOFF_MINUTES, cache=False
        )
        cold.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as folder:
        travel_times(graph, demand, facilities, cutoff_minutes=_CUTOFF_MINUTES, cache_dir=folder)
        warm: list[float] = []
        for _ in range(repeats):
            start = time.perf_counter()
            cached = travel_times(
                graph, demand, facilities, cutoff_minutes=_CUTOFF_MINUTES, cache_dir=folder
            )
            warm.append(time.perf_counter() - start)
        if not cached.from_cache:
            raise RuntimeError("the second call with equal inputs missed the cache")

    n_d, n_f = result.shape
    machine = machine_line()
    lines = [
        f"### {label}",
        "",
        (
            f"Loading the world and building its graph: {setup_s:.2f} s (once). "
            f"Graph: {graph.number_of_nodes():,} nodes, "
            f"{graph.number_of_edges():,} directed edges; "
            f"{n_d:,} demand places x {n_f:,} facilities, cutoff {_CUTOFF_MINUTES:g} min; "
            f"{result.minutes.nnz:,} reachable pairs ({result.minutes.nnz / (n_d * n_f):.1%}), "
            f"{len(result.unreachable_demand())} demand places reach nothing. "
            f"{repeats} repeats on {machine}."
        ),
        "",
        "| case | median (s) | min (s) | target (s) |",
        "|---|---:|---:|---:|",
        (
            f"| compute (cache disabled) | {statistics.median(cold):.3f} | {min(cold):.3f} "
            f"| < {_TARGET_S:g} |"
        ),
        f"| cache hit (load .npz) | {statistics.median(warm):.3f} | {min(warm):.3f} | |",
        "",
    ]
    return "\n".join(lines)


def main() -> str:
    """Run the benchmark on the real Liaoning world and a synthetic one; print and return it."""
    text = "\n".join(
        [
            "## travel - demand x facility travel times (`geodata.travel.travel_times`)",
            "",
            run(liaoning_world, label="Liaoning: shipped dataset, approximated road graph"),
            run(),
        ]
    )
    print(text)
    return text


if __name__ == "__main__":
    main()
