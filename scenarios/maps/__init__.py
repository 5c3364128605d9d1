"""Interactive maps of a plan and of a comparison of two plans, saved as offline HTML.

>>> m = plan_map(world, facilities, demand, county_summary, tier="township_central")
>>> save_map(m, "out/map.html")            # one self-contained file, works without internet

The base is drawn from the dataset's own county and city boundaries (simplified); web tiles
(OpenStreetMap, Tianditu, Gaode) are optional overlays, off by default. Every string from data
(names, reasons) is HTML-escaped before it reaches the page, and only as an escaped GeoJSON or
JSON string - never as markup. `save_map` inlines the vendored Leaflet (no CDN), and writes
equal maps as byte-identical files. `scenarios.png.export_png` turns the file into a PNG.

Inputs (written by the scenario runner):

- ``facilities``: ``world.facilities`` plus ``status`` (existing | upgraded | candidate |
  other), ``plan_tier`` and ``reason`` (why a site was chosen; may be empty).
- ``demand``: ``world.demand`` plus ``serving_facility_id``, ``travel_minutes`` (inf/NaN when
  unreachable), ``standard_minutes`` and ``covered``; optionally ``coverage_status``
  (`planning.upgrades.COVERAGE_STATUSES`: ``no_candidate`` places, which no candidate at any
  budget can reach, get their own ring and legend entry; ``other_tier`` places, served by
  another tier, are drawn grey and left out of the subtitle's counts).
- ``county_summary``: ``county_code``, ``coverage_share`` (0..1) and optionally
  ``covered_population`` and ``population``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import folium
import pandas as pd
from branca.element import Figure

from geodata import Dataset, HealthplanDataError
from geodata.schema import TIERS
from scenarios.maps._compare import add_comparison_layers
from scenarios.maps._html import (
    Attribution,
    DotScale,
    ReadyFlag,
    canonical_ids,
    inline_leaflet,
    remote_references,
)
from scenarios.maps._layers import MapFrame, base_layers, new_map
from scenarios.maps._plan import add_plan_layers, title_controls
from scenarios.maps.style import LANGUAGES, esc, text, tier_name

__all__ = ["TILE_SOURCES", "comparison_map", "plan_map", "save_map"]

#: Web tile sources: URL template, subdomains, attribution. ``{lang}`` and ``{key}`` are
#: filled per map. Tianditu (CGCS2000, within a metre of WGS-84) needs a free API key;
#: Gaode is GCJ-02, so a map offering it draws all its data in GCJ-02.
TILE_SOURCES: Final[dict[str, tuple[str, str, str]]] = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "abc",
        "&copy; OpenStreetMap contributors",
    ),
    "tianditu": (
        "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk={key}",
        "01234567",
        "&copy; 天地图 Tianditu",
    ),
    "gaode": (
        (
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang={lang}&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}"
        ),
        "1234",
        "&copy; 高德地图 AutoNavi",
    ),
}

_FACILITY_COLUMNS: Final = ("facility_id", "tier", "status", "plan_tier", "geometry")
_DEMAND_COLUMNS: Final = (
    "demand_id",
    "population",
    "serving_facility_id",
    "travel_minutes",
    "standard_minutes",
    "covered",
    "geometry",
)
_SUMMARY_COLUMNS: Final = ("county_code", "coverage_share")
_STATUSES: Final = ("existing", "upgraded", "candidate", "other")


def plan_map(
    world: Dataset,
    facilities: pd.DataFrame,
    demand: pd.DataFrame,
    county_summary: pd.DataFrame,
    *,
    tier: str,
    language: str = "zh",
    title: str = "",
    tiles: str | Sequence[str] | None = None,
    tianditu_key: str = "",
    network_source: str | None = None,
) -> folium.Map:
    """Draw the map of one plan for one tier.

    Layers: county coverage choropleth, county and city boundaries, allocation lines
    (township -> serving facility), townships sized by population and coloured by travel time
    relative to the standard, red rings on uncovered townships, facilities of the tier
    (existing; proposed upgrades highlighted; candidates and other facilities off by default),
    approximated-data markers (off by default) and optional web tiles (off by default). A
    title box, a legend with the approximations and a scale bar complete it.

    Parameters
    ----------
    world
        The planning world (boundaries, townships).
    facilities, demand, county_summary
        The plan, in the columns listed in the module docstring.
    tier
        The tier the plan is for (one of `geodata.schema.TIERS`).
    language
        ``"zh"`` or ``"en"``: every label, layer name and data name.
    title
        Title shown on the map (escaped); default names the province and the tier.
    tiles
        ``"osm"``, ``"tianditu"``, ``"gaode"`` or several of them: web tile overlays, off by
        default. ``"gaode"`` cannot be combined with the others (GCJ-02 frame, see
        `scenarios.maps._layers.MapFrame`).
    tianditu_key
        API key for Tianditu tiles (required with ``"tianditu"``).
    network_source
        Road network source for the legend's approximation note; default
        ``world.graph().graph["network_source"]`` (the world's default graph, cached on it).

    Returns
    -------
    folium.Map
        Save it with `save_map`.

    Raises
    ------
    ValueError
        On an unknown tier, language or tile source, or missing input columns.
    """
    _check_options(language, tier=tier)
    _require(facilities, _FACILITY_COLUMNS, "facilities")
    _require(demand, _DEMAND_COLUMNS, "demand")
    _require(county_summary, _SUMMARY_COLUMNS, "county_summary")
    unknown = sorted(set(facilities["status"].astype(str)) - set(_STATUSES))
    if unknown:
        msg = f"facilities: column 'status' has unknown values {unknown} - use {_STATUSES}"
        raise ValueError(msg)
    sources = _tile_sources(tiles, tianditu_key)
    frame = MapFrame(gcj02="gaode" in sources)
    if network_source is None:
        network_source = _network_source(world)
    if "coord_source" not in demand and "coord_source" in world.townships:
        seats = world.townships.set_index(world.townships["code"].astype(str))["coord_source"]
        demand = demand.assign(coord_source=demand["demand_id"].astype(str).map(seats))

    base = base_layers(world, frame)
    province = base.province_zh if language == "zh" else base.province_en
    title = title or text(
        "default_title", language, province=province, tier=tier_name(tier, language)
    )
    m = new_map(base, title=title)
    legend, numbers = add_plan_layers(
        m,
        base,
        frame=frame,
        facilities=facilities,
        demand=demand,
        county_summary=county_summary,
        tier=tier,
        language=language,
        network_source=network_source,
    )
    _add_tiles(m, sources, language=language, key=tianditu_key)
    title_controls(m, title, text("subtitle", language, **numbers), legend)
    _finish(m, language=language)
    return m


def comparison_map(
    world: Dataset,
    demand_a: pd.DataFrame,
    demand_b: pd.DataFrame,
    county_a: pd.DataFrame,
    county_b: pd.DataFrame,
    *,
    labels: tuple[str, str] = ("A", "B"),
    language: str = "zh",
    title: str = "",
) -> folium.Map:
    """Difference map of two plans: townships that gain or lose coverage from A to B.

    Layers: county choropleth of the change in coverage share (percentage points, B minus A),
    county and city boundaries, and townships coloured by change (gained, lost, covered in
    both, in neither), sized by population.

    Parameters
    ----------
    world
        The planning world.
    demand_a, demand_b
        Demand of plans A and B (``demand_id``, ``population``, ``covered``,
        ``travel_minutes``, geometry); matched by ``demand_id``.
    county_a, county_b
        County summaries of A and B (``county_code``, ``coverage_share``).
    labels
        Names of the two plans (escaped).
    language
        ``"zh"`` or ``"en"``.
    title
        Title; default "A compared with B".

    Returns
    -------
    folium.Map
        Save it with `save_map`.
    """
    _check_options(language)
    for frame_name, frame_ in (("demand_a", demand_a), ("demand_b", demand_b)):
        _require(frame_, ("demand_id", "population", "covered", "geometry"), frame_name)
    for frame_name, frame_ in (("county_a", county_a), ("county_b", county_b)):
        _require(frame_, _SUMMARY_COLUMNS, frame_name)
    base = base_layers(world, MapFrame())
    title = title or text("comparison_title", language, a=labels[0], b=labels[1])
    m = new_map(base, title=title)
    legend, subtitle = add_comparison_layers(
        m,
        base,
        demand_a=demand_a,
        demand_b=demand_b,
        county_a=county_a,
        county_b=county_b,
        labels=labels,
        language=language,
    )
    title_controls(m, title, subtitle, legend)
    _finish(m, language=language)
    return m


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write `m` as one self-contained, offline HTML file (atomically) and return its path.

    Leaflet's script and stylesheet are inlined from the vendored copy; folium's CDN links
    (Leaflet, jQuery, Bootstrap, ...) are dropped. Random element ids are replaced by
    sequential ones, so equal maps give byte-identical files.

    Raises
    ------
    ValueError
        If the page would still load something from the network (e.g. a folium plugin).
    """
    inline_leaflet(m)
    # The ready flag must run after every layer: keep it last, including on later saves.
    flag = m._children.pop("healthplan_ready", None) or ReadyFlag()
    m.add_child(flag, name="healthplan_ready")
    root = m.get_root()
    if not isinstance(root, Figure):
        msg = "save_map: the map is not inside a page (branca Figure)"
        raise TypeError(msg)
    # folium re-renders are not idempotent: layers add fresh "addTo" scripts on every render,
    # and the figure keeps the previous ones. Start the page's script from empty each time.
    root.script._children.clear()
    page = canonical_ids(root.render())
    remote = remote_references(page)
    if remote:
        msg = f"map would load from the network: {', '.join(remote)} - remove those elements"
        raise ValueError(msg)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(page)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _finish(m: folium.Map, *, language: str) -> None:
    m.add_child(DotScale(), name="healthplan_dot_scale")
    m.add_child(Attribution(esc(text("attribution", language))), name="healthplan_attribution")
    folium.LayerControl(collapsed=True, position="topright").add_to(m)


def _network_source(world: Dataset) -> str | None:
    """``network_source`` of the world's default road graph (built once, cached on it)."""
    try:
        graph = world.graph()
    except HealthplanDataError:
        return None
    return str(graph.graph.get("network_source", "")) or None


def _check_options(language: str, *, tier: str | None = None) -> None:
    if language not in LANGUAGES:
        msg = f"language {language!r}: use one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    if tier is not None and tier not in TIERS:
        msg = f"tier {tier!r}: use one of {', '.join(TIERS)}"
        raise ValueError(msg)


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{name}: missing columns {missing} - see scenarios.maps for the input contract"
        raise ValueError(msg)


def _tile_sources(tiles: str | Sequence[str] | None, key: str) -> list[str]:
    if tiles is None:
        return []
    names = [tiles] if isinstance(tiles, str) else list(tiles)
    unknown = [n for n in names if n not in TILE_SOURCES]
    if unknown:
        msg = f"tiles {unknown}: use any of {', '.join(TILE_SOURCES)}"
        raise ValueError(msg)
    if "gaode" in names and len(set(names)) > 1:
        msg = (
            "tiles: 'gaode' (GCJ-02) cannot be combined with WGS-84 tiles "
            f"{sorted(set(names) - {'gaode'})} - make one map per frame"
        )
        raise ValueError(msg)
    if "tianditu" in names and not key:
        msg = "tiles 'tianditu' needs tianditu_key= (a free key from console.tianditu.gov.cn)"
        raise ValueError(msg)
    return list(dict.fromkeys(names))


def _add_tiles(m: folium.Map, sources: list[str], *, language: str, key: str) -> None:
    for source in sources:
        url, subdomains, attribution = TILE_SOURCES[source]
        url = url.replace("{lang}", "zh_cn" if language == "zh" else "en").replace("{key}", key)
        name = text("tiles", language, name=text(f"tiles_{source}", language))
        folium.TileLayer(
            tiles=url,
            attr=attribution,
            name=name,
            overlay=True,
            show=False,
            subdomains=subdomains,
            max_zoom=18,
        ).add_to(m)
