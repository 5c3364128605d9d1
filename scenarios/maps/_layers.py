"""Building blocks of the maps: map coordinates, simplified boundaries, GeoJSON layers, legend.

Data reach the page only as GeoJSON properties that are numbers, style objects or HTML built
here from escaped strings (`scenarios.maps.style.esc`); raw names never do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure
from folium.map import FitBounds
from folium.utilities import JsCode
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geodata import Dataset
from geodata.gcj02 import wgs84_to_gcj02
from scenarios.maps._html import MapStyle
from scenarios.maps.style import esc

__all__ = [
    "Base",
    "MapFrame",
    "base_layers",
    "column_or",
    "dot",
    "feature",
    "legend_html",
    "new_map",
    "point_layer",
    "shape_layer",
    "swatch",
    "tooltip_html",
]

#: Coverage simplification tolerance (degrees, roughly the square root of the area of the
#: triangles removed): ~0.2 MB of county outlines instead of 1.8 MB, shared edges kept exact.
SIMPLIFY_TOLERANCE: Final = 0.006
#: Coordinate decimals written to the page: 1e-5 deg is about 1 m.
DECIMALS: Final = 5

_TOOLTIP_JS: Final = JsCode(
    """function (feature, layer) {
        var tip = feature.properties.tip;
        if (tip) {
            layer.bindTooltip('<div class="hp-tip">' + tip + '</div>', {sticky: true});
        }
    }"""
)


@dataclass(frozen=True)
class MapFrame:
    """The coordinate frame of a map: WGS-84 (the data's own), or GCJ-02 to match Gaode tiles.

    Gaode (AMap) tiles are drawn in GCJ-02, offset from WGS-84 by a few hundred metres in
    Liaoning. A map that offers Gaode tiles therefore draws *all* its data shifted to GCJ-02
    (`geodata.gcj02.wgs84_to_gcj02`) so that data and tiles line up; the shift is invisible
    between our own layers, which all move together.
    """

    gcj02: bool = False

    def coords(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        """Shift (when GCJ-02) and round an ``(n, 2)`` lon/lat array."""
        if self.gcj02 and len(xy):
            lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
            xy = np.column_stack([lon, lat])
        return np.round(xy, DECIMALS)

    def geometries(self, geoms: Iterable[BaseGeometry]) -> NDArray[Any]:
        """Geometries in this frame, coordinates rounded."""
        array = np.asarray(list(geoms), dtype=object)
        return np.asarray(shapely.transform(array, self.coords), dtype=object)

    def point(self, geom: BaseGeometry) -> list[float]:
        """``[lon, lat]`` of a point in this frame."""
        xy = self.coords(np.array([[geom.x, geom.y]], dtype=np.float64))
        return [float(xy[0, 0]), float(xy[0, 1])]


@dataclass(frozen=True)
class Base:
    """Simplified boundaries in a map frame.

    Attributes
    ----------
    counties
        County polygons indexed by code, with ``name_zh``, ``name_en``, ``parent_code``.
    cities
        City outlines: the union of their simplified counties (edges match exactly).
    bounds
        ``[[south, west], [north, east]]`` of everything, for ``fitBounds``.
    province_zh, province_en
        Province name (or empty).
    """

    counties: gpd.GeoDataFrame
    cities: gpd.GeoDataFrame
    bounds: list[list[float]]
    province_zh: str
    province_en: str


def base_layers(world: Dataset, frame: MapFrame) -> Base:
    """Coverage-simplified county polygons and the city outlines dissolved from them."""
    counties = world.units("county")
    simplified = shapely.coverage_simplify(counties.geometry.to_numpy(), SIMPLIFY_TOLERANCE)
    counties = counties.assign(geometry=frame.geometries(simplified))
    counties = gpd.GeoDataFrame(counties, geometry="geometry", crs=counties.crs)
    cities = counties.dissolve(by="parent_code", as_index=True)[["geometry"]]
    cities = cities.assign(geometry=shapely.make_valid(cities.geometry.to_numpy()))
    west, south, east, north = (float(v) for v in counties.total_bounds)
    province = world.boundaries[world.boundaries["level"] == "province"]
    return Base(
        counties=counties,
        cities=cities,
        bounds=[[south, west], [north, east]],
        province_zh=str(province["name_zh"].iloc[0]) if len(province) else "",
        province_en=str(province["name_en"].iloc[0]) if len(province) else "",
    )


def new_map(base: Base, *, title: str) -> folium.Map:
    """Make an empty, tile-less map with scale bar and page style.

    It is fitted to the boundaries at once (not animated).
    """
    (south, west), (north, east) = base.bounds
    m = folium.Map(
        location=[(south + north) / 2.0, (west + east) / 2.0],
        zoom_start=7,
        tiles=None,
        control_scale=True,
        zoom_control="bottomright",
        zoomSnap=0.25,
        zoomDelta=0.5,
    )
    root = m.get_root()
    if isinstance(root, Figure):
        root.title = esc(title)
    m.add_child(MapStyle(), name="healthplan_style")
    # Room on the right for the legend (bottom right, 260 px wide).
    fit = FitBounds(base.bounds, padding_top_left=(8, 8), padding_bottom_right=(250, 8))
    # Not animated: an animated fit would still be zooming (and the township dots not yet
    # rescaled) when the page reports itself drawn, so PNG exports caught it half-way.
    fit.options["animate"] = False
    m.add_child(fit, name="healthplan_fit_bounds")
    return m


def feature(geometry: dict[str, Any], style: dict[str, Any], tip: str = "") -> dict[str, Any]:
    """One GeoJSON feature carrying its Leaflet style and (escaped) tooltip HTML."""
    properties: dict[str, Any] = {"style": style}
    if tip:
        properties["tip"] = tip
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def shape_layer(
    geoms: Sequence[BaseGeometry],
    styles: Sequence[dict[str, Any]],
    tips: Sequence[str] | None,
    *,
    name: str,
    show: bool = True,
) -> folium.GeoJson:
    """Polygons or lines (already in the map frame) as one layer; no tooltips -> inert."""
    features = [
        feature(shapely.geometry.mapping(geom), style, tips[i] if tips else "")
        for i, (geom, style) in enumerate(zip(geoms, styles, strict=True))
    ]
    return _geojson(features, name=name, show=show, points=False, interactive=tips is not None)


def point_layer(
    points: Sequence[list[float]],
    styles: Sequence[dict[str, Any]],
    tips: Sequence[str] | None,
    *,
    name: str,
    show: bool = True,
) -> folium.GeoJson:
    """Circle markers at ``[lon, lat]`` points (in the map frame) as one layer."""
    features = [
        feature({"type": "Point", "coordinates": point}, style, tips[i] if tips else "")
        for i, (point, style) in enumerate(zip(points, styles, strict=True))
    ]
    return _geojson(features, name=name, show=show, points=True, interactive=tips is not None)


def _geojson(
    features: list[dict[str, Any]], *, name: str, show: bool, points: bool, interactive: bool
) -> folium.GeoJson:
    # Without a style_function folium applies ``feature.properties.style`` with setStyle;
    # CircleMarker.setStyle also takes ``radius``, so one layer holds differently sized dots.
    options: dict[str, Any] = {} if interactive else {"interactive": False}
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        show=show,
        overlay=True,
        control=True,
        marker=folium.CircleMarker(radius=3) if points else None,
        on_each_feature=_TOOLTIP_JS if interactive else None,
        **options,
    )


def tooltip_html(heading: str, rows: Iterable[tuple[str, str]]) -> str:
    """Tooltip HTML from an escaped heading and ``(label, value)`` rows of escaped text.

    Rows with an empty value are left out; an empty label shows the value alone.
    """
    lines = [f"<b>{heading}</b>"]
    lines += [f"{label}: {value}" if label else value for label, value in rows if value]
    return "<br>".join(lines)


def legend_html(sections: Sequence[tuple[str, Sequence[str]]], notes: Sequence[str]) -> str:
    """Legend HTML: titled sections of ready-made rows, then notes (all already escaped)."""
    parts: list[str] = []
    for heading, rows in sections:
        parts.append(f"<h4>{heading}</h4>")
        parts += [f'<div class="hp-row">{row}</div>' for row in rows]
    parts += [f'<div class="hp-note">{note}</div>' for note in notes]
    return "".join(parts)


def swatch(color: str, label: str, *, opacity: float = 0.6) -> str:
    """Draw a rectangle filled like a choropleth class (same opacity) and its (escaped) label."""
    return f'<span class="hp-sw" style="background:{color};opacity:{opacity:g}"></span>{label}'


def dot(
    label: str,
    *,
    fill: str,
    color: str,
    radius: float,
    weight: float = 1.0,
    dashed: bool = False,
) -> str:
    """Draw a circle like the map's circle markers and its (escaped) label."""
    size = round(2 * radius + weight, 1)
    background = "transparent" if fill == "none" else fill
    line = "dashed" if dashed else "solid"
    return (
        f'<span class="hp-dotcell"><span class="hp-dot" style="width:{size}px;height:{size}px;'
        f'background:{background};border:{weight}px {line} {color}"></span></span>{label}'
    )


def column_or(frame: pd.DataFrame, column: str, default: object) -> pd.Series[Any]:
    """Return a column of `frame`, or a constant Series on its index if it is missing."""
    if column in frame:
        return frame[column]
    return pd.Series([default] * len(frame), index=frame.index, dtype=object)
