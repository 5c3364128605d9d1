"""Tests for geodata.osm on small real OpenStreetMap files (tests/data, © OSM contributors)."""

from __future__ import annotations

import bz2
import logging
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from geodata import settings
from geodata.errors import OSMReadError
from geodata.osm import graph_from_osm

DATA = Path(__file__).parents[1] / "data"
PBF = DATA / "test.osm.pbf"
XML_BZ2 = DATA / "test_clean.osm.bz2"

pytest.importorskip("osmnx")
pytest.importorskip("pyrosm")


@pytest.fixture(scope="module")
def pbf_graph() -> nx.MultiDiGraph[Any]:
    return graph_from_osm(PBF)


@pytest.fixture(scope="module")
def xml_graph() -> nx.MultiDiGraph[Any]:
    return graph_from_osm(XML_BZ2)


def _check_structure(graph: nx.MultiDiGraph[Any]) -> None:
    assert graph.graph["crs"] == "EPSG:4326"
    assert graph.graph["network_source"] == "osm"
    assert nx.is_strongly_connected(graph)
    for _, data in graph.nodes(data=True):
        assert 26.9 < data["x"] < 27.0
        assert 60.5 < data["y"] < 60.6
    for _, _, data in graph.edges(data=True):
        assert isinstance(data["highway"], str)
        for key in ("length", "speed_kph", "travel_time"):
            assert type(data[key]) is float
            assert data[key] > 0
        assert data["travel_time"] == pytest.approx(
            data["length"] / (data["speed_kph"] / 3.6), abs=1e-6
        )
    report = graph.graph["build_report"]
    assert report["nodes_after"] == graph.number_of_nodes()
    assert report["edges_after"] == graph.number_of_edges()
    assert report["nodes_before"] - report["nodes_after"] == report["nodes_dropped"]
    assert report["edges_before"] - report["edges_after"] == report["edges_dropped"]
    assert sum(report["edges_by_highway"].values()) == graph.number_of_edges()


def test_pbf_loads(pbf_graph: nx.MultiDiGraph[Any]) -> None:
    _check_structure(pbf_graph)
    report = pbf_graph.graph["build_report"]
    assert report["format"] == "pbf"
    assert report["source_file"] == "test.osm.pbf"
    # pyrosm 0.25.0 "driving": 252 nodes, 520 edges after simplification, in 12 components
    assert (report["nodes_before"], report["edges_before"]) == (252, 520)
    assert (report["nodes_after"], report["edges_after"]) == (225, 478)
    assert report["components_dropped"] == 11
    assert report["edges_by_highway"] == {
        "motorway": 2,
        "motorway_link": 10,
        "residential": 348,
        "secondary": 33,
        "tertiary": 81,
        "unclassified": 4,
    }


def test_xml_loads_and_agrees_with_pbf(
    xml_graph: nx.MultiDiGraph[Any], pbf_graph: nx.MultiDiGraph[Any]
) -> None:
    _check_structure(xml_graph)
    report = xml_graph.graph["build_report"]
    assert report["format"] == "xml"
    # osmnx's drive filter on the XML copy: no cycleways, footways, service roads, buildings
    assert (report["nodes_before"], report["edges_before"]) == (249, 514)
    assert (report["nodes_after"], report["edges_after"]) == (224, 476)
    assert report["components_dropped"] == 11
    pbf_classes = pbf_graph.graph["build_report"]["edges_by_highway"]
    assert set(report["edges_by_highway"]) == set(pbf_classes)
    total = sum(d["length"] for *_, d in xml_graph.edges(data=True))
    pbf_total = sum(d["length"] for *_, d in pbf_graph.edges(data=True))
    assert total == pytest.approx(pbf_total, rel=0.01)


def test_speeds_follow_tags_then_table(pbf_graph: nx.MultiDiGraph[Any]) -> None:
    speeds = Counter(
        (d["highway"], d["speed_kph"], d.get("maxspeed")) for *_, d in pbf_graph.edges(data=True)
    )
    for (highway, speed, maxspeed), _ in speeds.items():
        if maxspeed is None:
            assert speed == settings.OSM_HIGHWAY_SPEEDS_KPH[highway]
        else:
            assert speed == float(maxspeed)


def test_custom_speeds_and_service_roads() -> None:
    slow = {**settings.OSM_HIGHWAY_SPEEDS_KPH, "residential": 10.0}
    graph = graph_from_osm(PBF, speeds_kph=slow, network_type="drive_service")
    residential = [d for *_, d in graph.edges(data=True) if d["highway"] == "residential"]
    assert residential
    assert all(d["speed_kph"] == 10.0 for d in residential if d.get("maxspeed") is None)
    assert graph.graph["build_report"]["edges_by_highway"]["service"] > 0
    assert graph.graph["build_report"]["network_type"] == "drive_service"


def test_report_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="geodata.osm"):
        graph_from_osm(PBF)
    assert "test.osm.pbf: kept 225 of 252 nodes" in caplog.text


def _one_line_error(path: Path) -> str:
    with pytest.raises(OSMReadError) as err:
        graph_from_osm(path)
    text = str(err.value)
    assert str(path) in text
    assert "\n" not in text
    return text


def test_missing_file(tmp_path: Path) -> None:
    assert "file not found" in _one_line_error(tmp_path / "nowhere.osm.pbf")


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    path.write_text("{}")
    assert "unknown OpenStreetMap file type" in _one_line_error(path)


def test_garbage_pbf(tmp_path: Path) -> None:
    path = tmp_path / "garbage.osm.pbf"
    path.write_bytes(b"this is a text file, not a protocol buffer\n" * 20)
    text = _one_line_error(path)
    assert "cannot read OpenStreetMap data" in text
    assert "download it again" in text


def test_truncated_pbf(tmp_path: Path) -> None:
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(PBF.read_bytes()[:60_000])
    assert "cannot read OpenStreetMap data" in _one_line_error(path)


def test_truncated_bz2(tmp_path: Path) -> None:
    path = tmp_path / "cut.osm.bz2"
    path.write_bytes(XML_BZ2.read_bytes()[:50_000])
    text = _one_line_error(path)
    assert "cannot read OpenStreetMap data" in text
    assert "EOFError" in text


def test_not_xml(tmp_path: Path) -> None:
    path = tmp_path / "notes.osm"
    path.write_text("just some notes")
    assert "cannot read OpenStreetMap data" in _one_line_error(path)


def test_no_drivable_ways(tmp_path: Path) -> None:
    path = tmp_path / "footpath.osm.bz2"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '<node id="1" lat="60.52" lon="26.93"/><node id="2" lat="60.53" lon="26.94"/>\n'
        '<way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>\n'
        "</osm>\n"
    )
    path.write_bytes(bz2.compress(xml.encode()))
    assert "no drivable ways" in _one_line_error(path)


def test_plain_xml_suffix_and_tiny_network(tmp_path: Path) -> None:
    path = tmp_path / "triangle.osm.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '<node id="1" lat="60.520" lon="26.930"/><node id="2" lat="60.530" lon="26.930"/>\n'
        '<node id="3" lat="60.525" lon="26.950"/><node id="4" lat="60.521" lon="26.931"/>\n'
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>'
        '<tag k="highway" v="residential"/></way>\n'
        '<way id="11"><nd ref="1"/><nd ref="4"/><tag k="highway" v="service"/></way>\n'
        "</osm>\n",
        encoding="utf-8",
    )
    graph = graph_from_osm(path)
    report = graph.graph["build_report"]
    assert report["edges_by_highway"] == {"residential": report["edges_after"]}
    assert 4 not in graph.nodes  # the service road is not part of "drive"
    assert nx.is_strongly_connected(graph)
    assert all(d["speed_kph"] == 25.0 for *_, d in graph.edges(data=True))


def test_bad_arguments(tmp_path: Path) -> None:
    copy = tmp_path / "x.osm.pbf"
    shutil.copy(PBF, copy)
    with pytest.raises(ValueError, match="network_type 'walk'"):
        graph_from_osm(copy, network_type="walk")
    with pytest.raises(ValueError, match="positive"):
        graph_from_osm(copy, speeds_kph={"residential": 0.0})


@pytest.mark.parametrize(("module", "path"), [("pyrosm", PBF), ("osmnx", XML_BZ2)])
def test_missing_optional_dependency(
    monkeypatch: pytest.MonkeyPatch, module: str, path: Path
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=r'pip install "healthplan\[osm\]"'):
        graph_from_osm(path)


def test_osmnx_settings_are_restored(xml_graph: nx.MultiDiGraph[Any]) -> None:
    import osmnx

    assert "motorcar" not in osmnx.settings.useful_tags_way
    assert xml_graph.number_of_edges() > 0
