"""Road graphs from OpenStreetMap files (``.osm.pbf``, ``.osm``, ``.osm.xml``, ``.osm.bz2``).

`graph_from_osm` reads a local OSM extract into an osmnx-compatible `networkx.MultiDiGraph`
(``docs/data_contract.md``, "Road graph"): nodes carry ``x``/``y`` (WGS-84
longitude/latitude), edges carry ``length`` (m), ``highway`` (one string), ``speed_kph`` and
``travel_time`` (s).

Pipeline:

1. Read. ``.osm.pbf`` / ``.pbf`` files are read with pyrosm's driving filter (``"drive"`` →
   ``"driving"``, ``"drive_service"`` → ``"driving+service"``). XML files are read with
   ``osmnx.graph_from_xml`` unsimplified; ways are then kept with the same rules as osmnx's
   ``"drive"`` / ``"drive_service"`` Overpass filters (highway classes, ``area``, ``access``,
   ``motor_vehicle``, ``motorcar``, ``service``), and the graph is simplified.
2. ``highway``: simplification can merge classes into a list; the most important class
   (order of the speed table, i.e. motorway first) is kept so every edge has one string.
3. Speeds: ``osmnx.routing.add_edge_speeds`` with the speed table
   (`geodata.settings.OSM_HIGHWAY_SPEEDS_KPH` unless the caller gives one): tagged
   ``maxspeed`` values are used; untagged edges of a class in the table get its value, other
   classes the mean of their tagged edges, else the table's ``road`` speed (OSM's "road of
   unknown class"). Then ``add_edge_travel_times``.
4. Only the largest strongly connected component is kept, so every node can reach every other.

``G.graph["build_report"]`` records the file, node and edge counts before and after step 4,
the number of dropped components and edges by highway class.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx

from geodata import settings
from geodata.errors import HealthplanDataError, OSMReadError

__all__ = ["graph_from_osm"]

logger = logging.getLogger("geodata.osm")

_PBF_SUFFIXES = (".osm.pbf", ".pbf")
_XML_SUFFIXES = (".osm", ".osm.xml", ".osm.bz2", ".osm.xml.bz2")
_PYROSM_NETWORK_TYPES = {"drive": "driving", "drive_service": "driving+service"}

# osmnx's "drive" Overpass filter (osmnx._overpass._get_network_filter), applied to parsed ways.
_EXCLUDED_HIGHWAY = frozenset(
    {
        "abandoned",
        "bridleway",
        "bus_guideway",
        "construction",
        "corridor",
        "cycleway",
        "elevator",
        "escalator",
        "footway",
        "no",
        "path",
        "pedestrian",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
        "steps",
        "track",
    }
)
_EXCLUDED_SERVICE = {
    "drive": frozenset(
        {"alley", "driveway", "emergency_access", "parking", "parking_aisle", "private"}
    ),
    "drive_service": frozenset({"emergency_access", "parking", "parking_aisle", "private"}),
}
_EXTRA_WAY_TAGS = ("motor_vehicle", "motorcar")


def graph_from_osm(
    path: str | Path,
    *,
    speeds_kph: Mapping[str, float] | None = None,
    network_type: str = "drive",
) -> nx.MultiDiGraph[Any]:
    """Read a drivable road graph from a local OpenStreetMap file.

    Parameters
    ----------
    path
        ``.osm.pbf`` (or ``.pbf``) file, read with pyrosm; or ``.osm``, ``.osm.xml``,
        ``.osm.bz2`` file, read with osmnx.
    speeds_kph
        Speed (km/h) by OSM ``highway`` class for edges without a usable ``maxspeed`` tag;
        defaults to `geodata.settings.OSM_HIGHWAY_SPEEDS_KPH`. Its ``road`` entry (or else
        its lowest speed) is the fallback for classes it does not list.
    network_type
        ``"drive"`` (osmnx's definition: no service roads) or ``"drive_service"``.

    Returns
    -------
    networkx.MultiDiGraph
        The largest strongly connected component, with graph attributes ``crs``
        (``"EPSG:4326"``), ``network_source`` (``"osm"``) and ``build_report``.

    Raises
    ------
    OSMReadError
        The file is missing, has an unknown suffix, cannot be parsed or holds no drivable
        way. The message is one line naming the file, the problem and the fix.
    ImportError
        osmnx or pyrosm is not installed (``pip install "healthplan[osm]"``).
    HealthplanDataError
        Unknown ``network_type`` or an empty or non-positive speed table.
    """
    path = Path(path)
    if network_type not in _PYROSM_NETWORK_TYPES:
        msg = f"network_type {network_type!r} is not supported - use 'drive' or 'drive_service'"
        raise HealthplanDataError(msg)
    speeds = dict(settings.OSM_HIGHWAY_SPEEDS_KPH if speeds_kph is None else speeds_kph)
    if not speeds or not all(math.isfinite(v) and v > 0 for v in speeds.values()):
        msg = f"speeds_kph must map highway classes to positive km/h values, got {speeds!r}"
        raise HealthplanDataError(msg)

    name = path.name.lower()
    if name.endswith(_PBF_SUFFIXES):
        file_format = "pbf"
    elif name.endswith(_XML_SUFFIXES):
        file_format = "xml"
    else:
        msg = (
            f"{path}: unknown OpenStreetMap file type - use a .osm.pbf, .osm, .osm.xml or "
            ".osm.bz2 file (for example a Geofabrik extract)"
        )
        raise OSMReadError(msg)
    if not path.is_file():
        msg = f"{path}: file not found - check the path or download the OpenStreetMap extract"
        raise OSMReadError(msg)

    read = _read_pbf if file_format == "pbf" else _read_xml
    graph = read(path, network_type)
    if graph.number_of_edges() == 0:
        msg = (
            f"{path}: no drivable ways ({network_type!r}) in the file - use an extract that "
            "covers the study area's roads"
        )
        raise OSMReadError(msg)

    _set_single_highway(graph, speeds)
    _add_speeds(graph, speeds)
    return _keep_largest_component(graph, path=path, file_format=file_format, net=network_type)


@contextmanager
def _quiet_third_party() -> Iterator[None]:
    """Silence pandas/geopandas deprecation notices raised inside pyrosm and osmnx calls.

    They concern the libraries' own use of pandas and cannot be acted on here; with pytest's
    ``filterwarnings = error`` they would otherwise fail every load.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _import_osmnx() -> Any:
    try:
        import osmnx
    except ImportError as exc:
        msg = 'reading OpenStreetMap files needs osmnx: pip install "healthplan[osm]"'
        raise ImportError(msg) from exc
    return osmnx


def _read_failed(path: Path, exc: BaseException) -> OSMReadError:
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    msg = (
        f"{path}: cannot read OpenStreetMap data ({type(exc).__name__}: {detail}) - the file "
        "is damaged, truncated or not OSM data; download it again"
    )
    return OSMReadError(msg)


def _read_pbf(path: Path, network_type: str) -> nx.MultiDiGraph[Any]:
    try:
        import pyrosm
    except ImportError as exc:
        msg = 'reading .osm.pbf files needs pyrosm: pip install "healthplan[osm]"'
        raise ImportError(msg) from exc
    _import_osmnx()
    try:
        with _quiet_third_party():
            osm = pyrosm.OSM(str(path))
            network = osm.get_network(network_type=_PYROSM_NETWORK_TYPES[network_type], nodes=True)
            if network is None or network[1] is None or len(network[1]) == 0:
                return nx.MultiDiGraph()
            nodes, edges = network
            graph = osm.to_graph(
                nodes, edges, graph_type="networkx", osmnx_compatible=True, retain_all=True
            )
    except Exception as exc:  # pyrosm raises protobuf, ValueError, OSError, ... on bad files
        raise _read_failed(path, exc) from exc
    if not isinstance(graph, nx.MultiDiGraph):  # pragma: no cover - pyrosm contract
        msg = f"{path}: pyrosm returned {type(graph).__name__} - upgrade pyrosm"
        raise OSMReadError(msg)
    return graph


def _read_xml(path: Path, network_type: str) -> nx.MultiDiGraph[Any]:
    ox = _import_osmnx()
    saved_tags = list(ox.settings.useful_tags_way)
    try:
        ox.settings.useful_tags_way = sorted({*saved_tags, "highway", *_EXTRA_WAY_TAGS})
        with _quiet_third_party():
            raw = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception as exc:  # ParseError, EOFError, OSError, UnicodeDecodeError, ...
        raise _read_failed(path, exc) from exc
    finally:
        ox.settings.useful_tags_way = saved_tags

    drop = [
        (u, v, k)
        for u, v, k, data in raw.edges(keys=True, data=True)
        if not _drivable(data, network_type)
    ]
    raw.remove_edges_from(drop)
    raw.remove_nodes_from([n for n, degree in raw.degree() if degree == 0])
    if raw.number_of_edges() == 0:
        return nx.MultiDiGraph()
    for _, _, data in raw.edges(data=True):
        for tag in _EXTRA_WAY_TAGS:
            data.pop(tag, None)
    with _quiet_third_party():
        graph: nx.MultiDiGraph[Any] = ox.simplify_graph(raw, remove_rings=False)
    return graph


def _values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _drivable(data: Mapping[str, Any], network_type: str) -> bool:
    """Whether one unsimplified edge passes osmnx's drive filter (its ``!~`` = substring)."""
    highway = _values(data.get("highway"))
    if not highway or any(h in _EXCLUDED_HIGHWAY for h in highway):
        return False
    if network_type == "drive" and "service" in highway:
        return False
    checks = (
        ("area", frozenset({"yes"})),
        ("access", frozenset({"private"})),
        ("motor_vehicle", frozenset({"no"})),
        ("motorcar", frozenset({"no"})),
        ("service", _EXCLUDED_SERVICE[network_type]),
    )
    for tag, closed in checks:
        if any(c in value for value in _values(data.get(tag)) for c in closed):
            return False
    return True


def _set_single_highway(graph: nx.MultiDiGraph[Any], speeds: Mapping[str, float]) -> None:
    """Reduce merged ``highway`` lists to their most important class, deterministically."""
    rank = {cls: i for i, cls in enumerate(speeds)}
    for _, _, data in graph.edges(data=True):
        classes = sorted(set(_values(data.get("highway"))), key=lambda c: (rank.get(c, 1e9), c))
        data["highway"] = classes[0] if classes else "road"


def _add_speeds(graph: nx.MultiDiGraph[Any], speeds: Mapping[str, float]) -> None:
    ox = _import_osmnx()
    fallback = float(speeds.get("road", min(speeds.values())))
    with _quiet_third_party():
        ox.routing.add_edge_speeds(graph, hwy_speeds=dict(speeds), fallback=fallback)
    for _, _, data in graph.edges(data=True):
        speed = float(data["speed_kph"])
        if not math.isfinite(speed) or speed <= 0:
            speed = fallback
        length = float(data["length"])
        data["length"] = length
        data["speed_kph"] = speed
        data["travel_time"] = length / (speed / 3.6)


def _keep_largest_component(
    graph: nx.MultiDiGraph[Any], *, path: Path, file_format: str, net: str
) -> nx.MultiDiGraph[Any]:
    nodes_before = graph.number_of_nodes()
    edges_before = graph.number_of_edges()
    components = list(nx.strongly_connected_components(graph))
    largest = max(components, key=lambda c: (len(c), -min(c)))
    result: nx.MultiDiGraph[Any] = graph.subgraph(largest).copy()
    by_highway = Counter(str(d["highway"]) for _, _, d in result.edges(data=True))
    report: dict[str, Any] = {
        "source_file": path.name,
        "format": file_format,
        "network_type": net,
        "nodes_before": nodes_before,
        "edges_before": edges_before,
        "nodes_after": result.number_of_nodes(),
        "edges_after": result.number_of_edges(),
        "nodes_dropped": nodes_before - result.number_of_nodes(),
        "edges_dropped": edges_before - result.number_of_edges(),
        "components_dropped": len(components) - 1,
        "edges_by_highway": dict(sorted(by_highway.items())),
    }
    result.graph = {
        **graph.graph,
        "crs": settings.STORAGE_CRS,
        "network_source": "osm",
        "build_report": report,
    }
    logger.info(
        "%s: kept %d of %d nodes and %d of %d edges (largest strongly connected component; "
        "%d smaller components dropped)",
        path.name,
        report["nodes_after"],
        nodes_before,
        report["edges_after"],
        edges_before,
        report["components_dropped"],
    )
    return result
