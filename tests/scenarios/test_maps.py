"""Structure of the offline plan and comparison maps (no browser: see test_png.py)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import pytest
import shapely
from branca.element import JavascriptLink
from map_inputs import EVIL_NAME, TIER, Plan, make_plan

import geodata
from geodata.gcj02 import wgs84_to_gcj02
from geodata.schema import TIERS
from scenarios.maps import comparison_map, plan_map, save_map
from scenarios.maps._compare import coverage_change
from scenarios.maps._html import LEAFLET_DIR, READY_FLAG, remote_references
from scenarios.maps.style import TEXT, TIER_NAMES

PLAN_LAYERS = {
    "zh": [
        "县域覆盖率",
        "县界",
        "市界",
        "服务分配连线",
        "乡镇(按到达时间)",
        "未覆盖人口",
        "未入选的候选机构",
        "其他医疗机构",
        "现有机构(提供县级三甲水平医院服务)",
        "拟升级为县级三甲水平医院",
        "估算数据标记",
    ],
    "en": [
        "County coverage",
        "County boundaries",
        "City boundaries",
        "Allocation lines",
        "Townships (travel time)",
        "Uncovered population",
        "Candidates not chosen",
        "Other facilities",
        "Existing providers (Grade-3A-level county hospital)",
        "Proposed upgrades to Grade-3A-level county hospital",
        "Approximated data",
    ],
}
HIDDEN = {"未入选的候选机构", "其他医疗机构", "估算数据标记"} | {
    "Candidates not chosen",
    "Other facilities",
    "Approximated data",
}


def _map(plan: Plan, **options: object) -> folium.Map:
    return plan_map(
        plan.world, plan.facilities, plan.demand, plan.county_summary, tier=TIER, **options
    )


def _layers(m: folium.Map) -> dict[str, folium.map.Layer]:
    return {
        child.layer_name: child
        for child in m._children.values()
        if isinstance(child, folium.map.Layer) and child.control
    }


def _decoded(page: str) -> str:
    """The page with jinja's JSON escapes (\\u003c \\u003e \\u0026 \\u0027) undone."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda mt: chr(int(mt.group(1), 16)), page)


@pytest.fixture(scope="module")
def maps(plan: Plan) -> dict[str, folium.Map]:
    return {language: _map(plan, language=language) for language in ("zh", "en")}


@pytest.fixture(scope="module")
def pages(maps: dict[str, folium.Map], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("maps")
    return {
        language: save_map(m, folder / f"{language}.html").read_text(encoding="utf-8")
        for language, m in maps.items()
    }


@pytest.mark.parametrize("language", ["zh", "en"])
def test_plan_map_has_every_layer_by_name(maps: dict[str, folium.Map], language: str) -> None:
    layers = _layers(maps[language])
    assert sorted(layers) == sorted(PLAN_LAYERS[language])
    for name, layer in layers.items():
        assert layer.show is (name not in HIDDEN), name
        assert layer.overlay


def test_layer_names_title_and_legend_reach_the_page(pages: dict[str, str]) -> None:
    for language, page in pages.items():
        decoded = _decoded(page)
        for name in PLAN_LAYERS[language]:
            assert json.dumps(name) in page or name in decoded, name
        assert '"hp-box hp-legend"' in decoded
        assert '"hp-box hp-title"' in decoded
        assert "L.control.scale" in page
        assert "L.control.layers" in page
        assert f"window.{READY_FLAG} = true" in page
    assert "<title>辽宁省县级三甲水平医院布局方案</title>" in pages["zh"]
    assert "<title>Liaoning: Grade-3A-level county hospital plan</title>" in pages["en"]
    assert "县域覆盖率" in _decoded(pages["zh"])
    assert "道路为估算路网" in _decoded(pages["zh"])
    assert "Roads: approximated network" in _decoded(pages["en"])


def test_language_switches_labels_and_names(plan: Plan, pages: dict[str, str]) -> None:
    zh, en = _decoded(pages["zh"]), _decoded(pages["en"])
    town = plan.demand.iloc[0]
    assert town["name_zh"] in zh
    assert town["name_zh"] not in en
    assert town["name_en"] in en
    for key in ("legend_coverage", "legend_facilities", "population", "reason"):
        assert TEXT["zh"][key] in zh
        assert TEXT["en"][key] in en
    assert "Township travel time" not in zh
    assert "县域覆盖率" not in en


def test_text_tables_match() -> None:
    assert set(TEXT["zh"]) == set(TEXT["en"])
    assert set(TIER_NAMES) == set(TIERS)


def test_data_strings_are_escaped(evil_plan: Plan, tmp_path: Path) -> None:
    m = _map(evil_plan, language="en", title="<b>Plan</b> & co")
    page = save_map(m, tmp_path / "evil.html").read_text(encoding="utf-8")
    decoded = _decoded(page)
    # Raw markup from data appears nowhere: neither in the source nor in any JS string.
    assert EVIL_NAME not in decoded
    assert "<img src=x" not in decoded
    assert "alert(1)" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in decoded
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt; &amp; more" in decoded
    assert "<title>&lt;b&gt;Plan&lt;/b&gt; &amp; co</title>" in page
    assert "&lt;b&gt;Plan&lt;/b&gt; &amp;amp; co" not in decoded
    assert "<h1>&lt;b&gt;Plan&lt;/b&gt; &amp; co</h1>" in decoded


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("src", "href") and value:
                self.refs.append((tag, value))


def test_page_is_offline(pages: dict[str, str]) -> None:
    for page in pages.values():
        tags = _Tags()
        tags.feed(page)
        assert [ref for ref in tags.refs if ref[0] in ("script", "link")] == []
        assert remote_references(page) == []
        for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "bootstrapcdn", "cdnjs"):
            assert cdn not in page
        assert "Leaflet 1.9.4" in page
        assert "url(images/layers.png)" not in page
    assert (LEAFLET_DIR / "LICENSE").read_text(encoding="utf-8").startswith("BSD 2-Clause")


def test_save_map_rejects_remote_scripts(plan: Plan, tmp_path: Path) -> None:
    m = _map(plan)
    m.get_root().header.add_child(JavascriptLink("https://example.org/x.js"), name="x")
    with pytest.raises(ValueError, match=r"example\.org/x\.js"):
        save_map(m, tmp_path / "remote.html")
    assert not (tmp_path / "remote.html").exists()


def test_saved_html_is_byte_identical(
    world: geodata.Dataset,
    maps: dict[str, folium.Map],
    pages: dict[str, str],
    tmp_path: Path,
) -> None:
    first = pages["en"].encode("utf-8")
    again = save_map(maps["en"], tmp_path / "again.html").read_bytes()
    fresh = _map(make_plan(world), language="en")
    other = save_map(fresh, tmp_path / "other.html").read_bytes()
    assert first == again == other
    assert re.search(rb"[0-9a-f]{32}", first) is None


def test_tiles_are_optional_and_off_by_default(plan: Plan, maps: dict[str, folium.Map]) -> None:
    plain = maps["zh"]
    assert not [c for c in plain._children.values() if isinstance(c, folium.TileLayer)]
    m = _map(plan, tiles="osm", language="en")
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1
    assert tiles[0].show is False
    assert tiles[0].overlay is True
    assert tiles[0].layer_name == "Web tiles: OpenStreetMap"
    page = m.get_root().render()
    assert "tile.openstreetmap.org" in page


def test_gaode_tiles_draw_data_in_gcj02(plan: Plan) -> None:
    m = _map(plan, tiles="gaode", language="en")
    towns = _layers(m)["Townships (travel time)"]
    first = plan.demand.sort_values("population", ascending=False, kind="stable").iloc[0]
    lon, lat = wgs84_to_gcj02(first.geometry.x, first.geometry.y)
    drawn = towns.data["features"][0]["geometry"]["coordinates"]
    assert drawn == pytest.approx([float(lon), float(lat)], abs=1e-5)
    assert abs(drawn[0] - first.geometry.x) > 1e-3  # hundreds of metres, not rounding
    assert "GCJ-02" in _decoded(m.get_root().render())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tiles": ["gaode", "osm"]}, "cannot be combined"),
        ({"tiles": "tianditu"}, "tianditu_key"),
        ({"tiles": "google"}, "use any of"),
        ({"language": "fr"}, "language 'fr'"),
        ({"tier": "clinic"}, "tier 'clinic'"),
    ],
)
def test_bad_options_fail_clearly(plan: Plan, options: dict[str, object], message: str) -> None:
    kwargs: dict[str, object] = {"tier": TIER, **options}
    with pytest.raises(ValueError, match=message):
        plan_map(plan.world, plan.facilities, plan.demand, plan.county_summary, **kwargs)  # type: ignore[arg-type]


def test_missing_columns_fail_clearly(plan: Plan) -> None:
    with pytest.raises(ValueError, match=r"demand: missing columns \['covered'\]"):
        plan_map(
            plan.world,
            plan.facilities,
            plan.demand.drop(columns="covered"),
            plan.county_summary,
            tier=TIER,
        )


def test_tianditu_with_key(plan: Plan) -> None:
    m = _map(plan, tiles="tianditu", tianditu_key="abc123")
    page = m.get_root().render()
    assert "tianditu.gov.cn" in page
    assert "tk=abc123" in page


def test_coverage_change_classes() -> None:
    point = shapely.Point(123.0, 41.0)
    a = pd.DataFrame(
        {"demand_id": ["1", "2", "3", "4"], "population": [1, 2, 3, 4], "covered": [1, 1, 0, 0]}
    ).assign(geometry=point)
    b = a.assign(covered=[1, 0, 1, 0])
    change = coverage_change(a, b)
    assert change["change"].tolist() == ["kept", "lost", "gained", "never"]
    assert change.loc["3", "population"] == 3.0


def test_comparison_map(world: geodata.Dataset, plan: Plan, tmp_path: Path) -> None:
    other = make_plan(world, every=5)
    for language, layer_names in (
        ("zh", {"县域覆盖率变化", "县界", "市界", "乡镇覆盖变化"}),
        (
            "en",
            {
                "Change in county coverage",
                "County boundaries",
                "City boundaries",
                "Township coverage change",
            },
        ),
    ):
        m = comparison_map(
            world,
            plan.demand,
            other.demand,
            plan.county_summary,
            other.county_summary,
            labels=("<A>", "B"),
            language=language,
        )
        assert set(_layers(m)) == layer_names
        page = save_map(m, tmp_path / f"cmp_{language}.html").read_text(encoding="utf-8")
        assert remote_references(page) == []
        decoded = _decoded(page)
        assert "&lt;A&gt;" in decoded
        assert "<A>" not in decoded
    change = coverage_change(plan.demand, other.demand)
    towns = _layers(m)["Township coverage change"]
    assert len(towns.data["features"]) == len(plan.demand)
    gained = int(change.loc[change["change"] == "gained", "population"].sum())
    assert f"gained {gained:,} people" in _decoded(page)
    assert np.isin(change["change"], ["gained", "lost", "kept", "never"]).all()
