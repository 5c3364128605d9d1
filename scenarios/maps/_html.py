"""Offline, deterministic HTML for folium maps: inlined Leaflet, map controls, stable ids.

folium's default page loads Leaflet, jQuery and Bootstrap from CDNs and renders blank without
internet. `inline_leaflet` drops those links and puts the vendored Leaflet 1.9.4
(``scenarios/_assets/leaflet``, BSD-2-Clause, licence kept beside it) into the page instead;
only Leaflet itself is needed for GeoJson, CircleMarker, PolyLine, tooltips, the layer control
and the scale bar. `canonical_ids` replaces branca's random element ids by sequential ones so
equal inputs give byte-identical files.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from scenarios.maps.style import FONT_STACK

__all__ = [
    "LEAFLET_DIR",
    "READY_FLAG",
    "Attribution",
    "DotScale",
    "HtmlControl",
    "MapStyle",
    "ReadyFlag",
    "canonical_ids",
    "inline_leaflet",
    "remote_references",
]

LEAFLET_DIR: Final = Path(__file__).parents[1] / "_assets" / "leaflet"
#: Global JS flag a page sets once Leaflet has drawn every overlay (read by `scenarios.png`).
READY_FLAG: Final = "healthplanMapReady"

# branca ids: 16 random bytes as lowercase hex.
_ID_PATTERN: Final = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


def _asset(name: str) -> str:
    path = LEAFLET_DIR / name
    if not path.is_file():
        msg = f"{path}: vendored Leaflet file missing - reinstall healthplan (package data)"
        raise FileNotFoundError(msg)
    return path.read_text(encoding="utf-8")


def _leaflet_css() -> str:
    """leaflet.css with the layer-control icons as data URIs (no relative image requests)."""
    css = _asset("leaflet.css")
    for image in ("layers.png", "layers-2x.png"):
        data = base64.b64encode((LEAFLET_DIR / "images" / image).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{data})")
    return css


def inline_leaflet(m: folium.Map) -> None:
    """Replace the map's CDN script and stylesheet links by the vendored Leaflet, inline.

    Idempotent: the inline elements are keyed by name in the page header.
    """
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    if not isinstance(root, Figure):
        msg = "inline_leaflet: the map is not inside a page (branca Figure)"
        raise TypeError(msg)
    header = root.header
    header.add_child(Element(f"<style>{_leaflet_css()}</style>"), name="leaflet_css_inline")
    header.add_child(Element(f"<script>{_asset('leaflet.js')}</script>"), name="leaflet_js_inline")


def canonical_ids(page: str) -> str:
    """Replace branca's random 32-hex element ids by sequential ones, in order of appearance."""
    seen: dict[str, str] = {}

    def _replace(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"{len(seen) + 1:04d}")

    return _ID_PATTERN.sub(_replace, page)


class _RemoteRefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        for key, value in attrs:
            if key == attr and value and re.match(r"^(https?:)?//", value.strip()):
                self.found.append(f"<{tag} {key}={value}>")


def remote_references(page: str) -> list[str]:
    """Tags of `page` that load a script, stylesheet, image or frame from the network."""
    parser = _RemoteRefs()
    parser.feed(page)
    parser.close()
    return parser.found


class MapStyle(MacroElement):
    """Page CSS: neutral background, CJK-capable fonts, title and legend boxes."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .folium-map { background: #e8edf1; }
        .leaflet-container, .leaflet-tooltip { font-family: {{ this.fonts }}; }
        .hp-box { background: rgba(255, 255, 255, 0.93); border-radius: 4px;
                  box-shadow: 0 1px 5px rgba(0, 0, 0, 0.35); color: #222; }
        .hp-title { padding: 8px 14px; max-width: 52vw; }
        .hp-title h1 { font-size: 21px; margin: 0 0 3px 0; line-height: 1.25; }
        .hp-title p { font-size: 13px; margin: 0; color: #333; line-height: 1.35; }
        .hp-legend { padding: 7px 10px; font-size: 12px; line-height: 1.4; width: 260px; }
        .hp-legend h4 { font-size: 12px; margin: 6px 0 2px 0; }
        .hp-legend h4:first-child { margin-top: 0; }
        .hp-legend .hp-row { display: flex; align-items: center; }
        .hp-legend .hp-sw { display: inline-block; flex: none; width: 16px; height: 11px;
                            margin-right: 6px; border: 1px solid #888; vertical-align: -1px; }
        .hp-legend .hp-dot { display: inline-block; border-radius: 50%; vertical-align: middle;
                             box-sizing: border-box; }
        .hp-legend .hp-dotcell { display: inline-block; flex: none; width: 18px;
                                 margin-right: 4px; text-align: center; }
        .hp-legend .hp-note { color: #8c2d04; white-space: normal; font-size: 11px; }
        .leaflet-container .leaflet-control-attribution { font-size: 10px; max-width: 75vw; }
        .leaflet-container .leaflet-control-layers { font-size: 13px; }
        .leaflet-top.leaflet-right { z-index: 1001; }
        .hp-tip b { font-size: 13px; }
        .hp-tip { font-size: 12px; line-height: 1.4; width: max-content; max-width: 320px;
                  white-space: normal; }
        @media (max-width: 1000px) {
          .hp-title h1 { font-size: 16px; } .hp-title p { font-size: 11px; }
          .hp-legend { font-size: 10px; line-height: 1.3; width: 200px; padding: 5px 7px; }
          .hp-legend h4 { font-size: 10px; } .hp-legend .hp-note { font-size: 9px; }
          .leaflet-container .leaflet-control-attribution { font-size: 8px; }
        }
        </style>
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MapStyle"
        self.fonts = FONT_STACK


class HtmlControl(MacroElement):
    """A Leaflet control holding ready-made HTML (title, legend) in one corner of the map.

    `html` must already be escaped where it holds data; it reaches the page as a JSON string
    (``<``, ``>``, ``&`` encoded) and is set with ``innerHTML``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, *, position: str, css_class: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "HtmlControl"
        self.html = html
        self.position = position
        self.css_class = css_class


class Attribution(MacroElement):
    """Data attribution in Leaflet's attribution control (`text` is HTML: escape data)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution(
            {{ this.text|tojson }}
        );
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Attribution"
        self.text = text


class DotScale(MacroElement):
    """Scale circle markers with the zoom: sizes are set for `reference_zoom`.

    Each marker keeps its own radius in ``feature.properties.style.radius``; on every zoom
    (and when a layer is switched on) it becomes ``radius * 2 ** ((zoom - reference) / 2)``,
    the factor kept within [0.5, 2]. Small exports stay uncluttered and zooming in separates
    neighbouring places.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            function rescale() {
                var f = Math.pow(2, (map.getZoom() - {{ this.reference_zoom }}) / 2);
                f = Math.min(2, Math.max(0.5, f));
                map.eachLayer(function (layer) {
                    var style = layer.feature && layer.feature.properties.style;
                    if (layer instanceof L.CircleMarker && style && style.radius) {
                        layer.setRadius(style.radius * f);
                    }
                });
            }
            map.on("zoomend overlayadd", rescale);
            rescale();
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, *, reference_zoom: float = 7.5) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "DotScale"
        self.reference_zoom = reference_zoom


class ReadyFlag(MacroElement):
    """Sets ``window.healthplanMapReady`` once the map is ready, still and painted.

    After Leaflet's ``whenReady``, any zoom animation in progress (``leaflet-zoom-anim`` on
    the map pane, e.g. a ``fitBounds`` by a later script) is waited for, then two frames are
    painted: the flag never reports a map caught between two zoom levels. Added last, so
    every overlay of the page has been added by the time it runs.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            function settle() {
                requestAnimationFrame(function () {
                    if (L.DomUtil.hasClass(map.getPane("mapPane"), "leaflet-zoom-anim")) {
                        map.once("zoomend", settle);
                        return;
                    }
                    requestAnimationFrame(function () { window.{{ this.flag }} = true; });
                });
            }
            map.whenReady(settle);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "ReadyFlag"
        self.flag = READY_FLAG
