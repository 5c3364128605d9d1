"""Layers, legend and title of one plan's map (used by `scenarios.maps.plan_map`)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely

from scenarios.maps._html import HtmlControl
from scenarios.maps._layers import (
    Base,
    MapFrame,
    column_or,
    dot,
    legend_html,
    point_layer,
    shape_layer,
    swatch,
    tooltip_html,
)
from scenarios.maps.style import (
    COVERAGE_CLASSES,
    MINUTES_BREAKS,
    MINUTES_COLORS,
    STATUS_STYLE,
    TIER_COLORS,
    coverage_color,
    esc,
    fmt_int,
    fmt_minutes,
    fmt_share,
    minutes_class,
    text,
    tier_name,
    township_radius,
)

__all__ = ["add_plan_layers", "county_layers", "display_names", "title_controls"]

_UNCOVERED_RING = "#b2182b"
#: Places no existing provider or candidate reaches within the standard ("cannot be chosen").
_NO_CANDIDATE_RING = "#000000"
_NO_CANDIDATE_DASH = "3,2"
#: Places that are demand of another tier (e.g. core urban subdistricts on the township map).
_OTHER_TIER_FILL = "#bdbdbd"
_APPROX_COLOR = "#ff7f00"


def _statuses(dem: pd.DataFrame) -> list[str]:
    """``coverage_status`` of every row (from ``covered`` when the column is missing)."""
    if "coverage_status" in dem:
        return [str(v) for v in dem["coverage_status"].tolist()]
    return ["covered" if bool(v) else "not_chosen" for v in dem["covered"].tolist()]


def display_names(frame: pd.DataFrame, language: str) -> pd.Series[str]:
    """Names in the map's language (English falls back to Chinese), not yet escaped."""
    zh = column_or(frame, "name_zh", "").fillna("").astype(str)
    if language == "zh":
        return zh
    en = column_or(frame, "name_en", "").fillna("").astype(str)
    return en.where(en.str.len() > 0, zh)


def county_layers(m: folium.Map, base: Base, *, language: str) -> None:
    """County and city boundary lines (inert, drawn above the choropleth)."""
    n_counties, n_cities = len(base.counties), len(base.cities)
    county_style = {"color": "#7a7a7a", "weight": 0.6, "fill": False}
    city_style = {"color": "#252525", "weight": 1.6, "fill": False}
    m.add_child(
        shape_layer(
            list(base.counties.geometry),
            [county_style] * n_counties,
            None,
            name=text("county_boundaries", language),
        )
    )
    m.add_child(
        shape_layer(
            list(base.cities.geometry),
            [city_style] * n_cities,
            None,
            name=text("city_boundaries", language),
        )
    )


def _coverage_layer(
    m: folium.Map, base: Base, county_summary: pd.DataFrame, *, language: str
) -> None:
    summary = county_summary.set_index(county_summary["county_code"].astype(str))
    counties = base.counties
    share = summary["coverage_share"].reindex(counties.index).astype(float)
    covered = column_or(summary, "covered_population", np.nan).reindex(counties.index)
    population = column_or(summary, "population", np.nan).reindex(counties.index)
    names = display_names(counties, language)
    styles, tips = [], []
    for code in counties.index:
        value = float(share[code])
        styles.append({"stroke": False, "fillColor": coverage_color(value), "fillOpacity": 0.6})
        rows = [(text("coverage_share", language), fmt_share(value))]
        if _finite(covered[code]) and _finite(population[code]):
            counts = f"{fmt_int(float(covered[code]))} / {fmt_int(float(population[code]))}"
            rows.append((text("covered_population", language), counts))
        tips.append(tooltip_html(esc(names[code]), rows))
    layer = shape_layer(
        list(counties.geometry), styles, tips, name=text("county_coverage", language)
    )
    m.add_child(layer)


def _finite(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and math.isfinite(value)


def add_plan_layers(
    m: folium.Map,
    base: Base,
    *,
    frame: MapFrame,
    facilities: pd.DataFrame,
    demand: pd.DataFrame,
    county_summary: pd.DataFrame,
    tier: str,
    language: str,
    network_source: str | None,
) -> tuple[str, dict[str, str]]:
    """Add every plan layer to `m`; return the legend HTML and the subtitle's numbers."""
    _coverage_layer(m, base, county_summary, language=language)
    county_layers(m, base, language=language)

    fac = facilities.set_index(facilities["facility_id"].astype(str), drop=False)
    fac_points = {fid: frame.point(geom) for fid, geom in zip(fac.index, fac.geometry, strict=True)}
    fac_names = dict(zip(fac.index.astype(str), display_names(fac, language), strict=True))
    # Big dots first so small ones stay visible on top of them.
    dem = demand.sort_values("population", ascending=False, kind="stable")
    dem_points = [frame.point(geom) for geom in dem.geometry]
    serving = [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        for v in dem["serving_facility_id"].tolist()
    ]

    _allocation_layer(m, dem_points, serving, fac_points, language=language)
    _township_layers(
        m, base, dem, points=dem_points, serving=serving, fac_names=fac_names, language=language
    )
    _facility_layers(m, fac, fac_points, fac_names, demand, tier=tier, language=language)
    notes = _approximated_layer(m, fac, fac_points, dem, dem_points, language=language)
    notes = _notes(notes, dem, network_source, frame, language=language)

    sections = _legend_sections(dem, tier=tier, language=language)
    _cross_border_legend(sections, fac, tier=tier, language=language)
    legend = legend_html(sections, notes)
    standards = dem["standard_minutes"].astype(float)
    standard = float(standards.median()) if standards.notna().any() else math.nan
    mine = np.array([s != "other_tier" for s in _statuses(dem)], dtype=bool)
    population = float(dem.loc[mine, "population"].sum())
    covered = float(dem.loc[mine & dem["covered"].astype(bool).to_numpy(), "population"].sum())
    numbers = {
        "tier": tier_name(tier, language),
        "standard": text("standard_value", language, minutes=f"{standard:g}"),
        "covered": fmt_int(covered),
        "total": fmt_int(population),
        "share": fmt_share(covered / population if population else math.nan),
        "n": str(int((fac["status"] == "upgraded").sum())),
    }
    return legend, numbers


def _allocation_layer(
    m: folium.Map,
    points: list[list[float]],
    serving: list[str | None],
    fac_points: dict[str, list[float]],
    *,
    language: str,
) -> None:
    style = {"color": "#4d4d4d", "weight": 0.6, "opacity": 0.3}
    lines = [
        shapely.LineString([point, fac_points[fid]])
        for point, fid in zip(points, serving, strict=True)
        if fid is not None and fid in fac_points
    ]
    m.add_child(shape_layer(lines, [style] * len(lines), None, name=text("allocation", language)))


def _township_layers(
    m: folium.Map,
    base: Base,
    dem: pd.DataFrame,
    *,
    points: list[list[float]],
    serving: list[str | None],
    fac_names: dict[str, str],
    language: str,
) -> None:
    names = display_names(dem, language).tolist()
    county_names = display_names(base.counties, language).to_dict()
    counties = column_or(dem, "county_code", "").astype(str).tolist()
    coord_source = column_or(dem, "coord_source", "").fillna("").astype(str)
    synthetic = coord_source.str.startswith("synth").tolist()
    minutes_all = dem["travel_minutes"].astype(float).to_numpy()
    standards = dem["standard_minutes"].astype(float).to_numpy()
    populations = dem["population"].astype(float).to_numpy()
    statuses = _statuses(dem)
    styles, tips, rings, ring_points = [], [], [], []
    blocked, blocked_points = [], []
    for i in range(len(dem)):
        minutes, standard = float(minutes_all[i]), float(standards[i])
        radius = township_radius(float(populations[i]))
        status = statuses[i]
        other = status == "other_tier"
        styles.append(
            {
                "radius": radius,
                "fillColor": _OTHER_TIER_FILL
                if other
                else MINUTES_COLORS[minutes_class(minutes, standard)],
                "fill": True,
                "fillOpacity": 0.5 if other else 0.9,
                "color": "#ffffff",
                "weight": 0.6,
            }
        )
        fid = serving[i]
        county = esc(county_names.get(counties[i], ""))
        heading = esc(names[i]) + (f" · {county}" if county else "")
        time_text = (
            f"{fmt_minutes(minutes, language)} ({text('standard', language)} "
            f"{standard:g} {text('min', language)})"
        )
        rows = [
            (text("population", language), fmt_int(float(populations[i]))),
            (text("minutes", language), time_text),
            (text("serving", language), esc(fac_names.get(fid, fid)) if fid else ""),
            (text("status", language), _status_text(status, standard, language)),
            ("", "⚠ " + text("synthetic_seat", language) if synthetic[i] else ""),
        ]
        tips.append(tooltip_html(heading, rows))
        if status == "not_chosen":
            ring_points.append(points[i])
            rings.append(
                {"radius": radius + 1.5, "fill": False, "color": _UNCOVERED_RING, "weight": 1.0}
            )
        elif status == "no_candidate":
            blocked_points.append(points[i])
            blocked.append(
                {
                    "radius": radius + 2.0,
                    "fill": False,
                    "color": _NO_CANDIDATE_RING,
                    "weight": 1.5,
                    "dashArray": _NO_CANDIDATE_DASH,
                }
            )
    m.add_child(point_layer(points, styles, tips, name=text("townships", language)))
    m.add_child(point_layer(ring_points, rings, None, name=text("uncovered", language)))
    if blocked_points:
        m.add_child(point_layer(blocked_points, blocked, None, name=text("no_candidate", language)))


def _status_text(status: str, standard: float, language: str) -> str:
    """Return the tooltip's status of a township at the map's tier."""
    if status == "no_candidate":
        return text("status_no_candidate", language, minutes=f"{standard:g}")
    if status == "other_tier":
        return text("status_other_tier", language)
    return text("covered" if status == "covered" else "not_covered", language)


def _facility_tip(row: Mapping[Hashable, Any], name: str, served: float, *, language: str) -> str:
    tier, plan_tier = str(row["tier"]), str(row.get("plan_tier") or row["tier"])
    tiers = tier_name(tier, language)
    if plan_tier != tier:
        tiers += f" → {tier_name(plan_tier, language)}"
    beds: Any = row.get("beds")
    reason: Any = row.get("reason")
    rows = [
        (text("tier", language), esc(tiers)),
        (text("status", language), text(f"status_{row['status']}", language)),
        (text("beds", language), fmt_int(float(beds)) if _finite(beds) else ""),
        (text("served_population", language), fmt_int(served) if served > 0 else ""),
        (text("reason", language), esc(reason) if isinstance(reason, str) else ""),
        ("", "⚠ " + text("proxy_facility", language) if bool(row.get("is_proxy", False)) else ""),
    ]
    return tooltip_html(esc(name), rows)


def _facility_layers(
    m: folium.Map,
    fac: pd.DataFrame,
    fac_points: dict[str, list[float]],
    fac_names: dict[str, str],
    demand: pd.DataFrame,
    *,
    tier: str,
    language: str,
) -> None:
    served = demand.groupby(demand["serving_facility_id"].astype(str))["population"].sum()
    fac = fac.assign(status=fac["status"].where(~_cross_border(fac), "cross_border"))
    layers = (
        ("other", text("other_facilities", language), False),
        ("candidate", text("candidates", language), False),
        ("existing", text("existing", language, tier=tier_name(tier, language)), True),
        ("cross_border", text("cross_border", language, tier=tier_name(tier, language)), True),
        ("upgraded", text("upgraded", language, tier=tier_name(tier, language)), True),
    )
    for status, name, show in layers:
        rows = fac[fac["status"] == status]
        if rows.empty and status in ("other", "candidate", "cross_border"):
            continue
        styles, tips = [], []
        records = rows.drop(columns="geometry").to_dict("records")
        for fid, row in zip(rows.index.astype(str), records, strict=True):
            if status == "other":
                color = TIER_COLORS.get(str(row["tier"]), "#737373")
                style: dict[str, Any] = {
                    "radius": 2.5,
                    "fillColor": color,
                    "fill": True,
                    "fillOpacity": 0.8,
                    "color": color,
                    "weight": 0.5,
                }
            else:
                look = STATUS_STYLE[status]
                style = {
                    "radius": look["radius"],
                    "fillColor": look["fill"],
                    "fill": True,
                    "fillOpacity": 1.0,
                    "color": look["color"],
                    "weight": look["weight"],
                }
            styles.append(style)
            tips.append(
                _facility_tip(row, fac_names[fid], float(served.get(fid, 0.0)), language=language)
            )
        points = [fac_points[str(fid)] for fid in rows.index]
        m.add_child(point_layer(points, styles, tips, name=name, show=show))


def _cross_border(fac: pd.DataFrame) -> pd.Series[bool]:
    """Existing providers across the provincial border (a non-empty ``province``)."""
    foreign = column_or(fac, "province", "").fillna("").astype(str).ne("")
    return foreign & fac["status"].eq("existing")


def _cross_border_legend(
    sections: list[tuple[str, list[str]]], fac: pd.DataFrame, *, tier: str, language: str
) -> None:
    """Add the cross-border providers to the facilities section when the map shows any."""
    if not _cross_border(fac).any():
        return
    look = STATUS_STYLE["cross_border"]
    row = dot(
        text("cross_border", language, tier=tier_name(tier, language)),
        fill=str(look["fill"]),
        color=str(look["color"]),
        radius=float(look["radius"]) - 1,
    )
    for title, rows in sections:
        if title == text("legend_facilities", language):
            rows.insert(1, row)


def _approximated_layer(
    m: folium.Map,
    fac: pd.DataFrame,
    fac_points: dict[str, list[float]],
    dem: pd.DataFrame,
    dem_points: list[list[float]],
    *,
    language: str,
) -> list[str]:
    """Rings on synthetic township seats and proxy facilities (off by default)."""
    synthetic = column_or(dem, "coord_source", "").fillna("").astype(str).str.startswith("synth")
    shown = fac[fac["status"].isin(["existing", "upgraded", "candidate"])]
    proxies = shown[column_or(shown, "is_proxy", False).fillna(False).astype(bool)]
    points = [p for p, flag in zip(dem_points, synthetic, strict=True) if flag]
    seat_style = {"radius": 5, "fill": False, "color": _APPROX_COLOR, "weight": 1.2}
    styles: list[dict[str, Any]] = [{**seat_style, "dashArray": "2,2"}] * len(points)
    points += [fac_points[str(fid)] for fid in proxies.index]
    styles += [{**seat_style, "radius": 9}] * len(proxies)
    tips = [text("synthetic_seat", language)] * int(synthetic.sum())
    tips += [text("proxy_facility", language)] * len(proxies)
    m.add_child(point_layer(points, styles, tips, name=text("approximated", language), show=False))
    notes = []
    if synthetic.any():
        notes.append(text("note_seats", language, n=fmt_int(float(synthetic.sum()))))
    if len(proxies):
        notes.append(text("note_proxy", language, n=fmt_int(float(len(proxies)))))
    return notes


def _notes(
    notes: list[str],
    dem: pd.DataFrame,
    network_source: str | None,
    frame: MapFrame,
    *,
    language: str,
) -> list[str]:
    out = []
    if network_source:
        if network_source == "approximated":
            out.append(text("note_roads", language))
        else:
            out.append(text("note_roads_real", language, source=esc(network_source)))
    out += notes
    sources = column_or(dem, "population_source", "").fillna("").astype(str)
    if sources.str.contains("split").any():
        out.append(text("note_population", language))
    if frame.gcj02:
        out.append(text("note_gcj02", language))
    return [f"⚠ {note}" for note in out]


def _legend_sections(dem: pd.DataFrame, *, tier: str, language: str) -> list[tuple[str, list[str]]]:
    standards = dem["standard_minutes"].astype(float).dropna().unique()
    unit = text("min", language)
    if len(standards) == 1:
        s = float(standards[0])
        bounds = [f"{b * s:g}" for b in MINUTES_BREAKS]
        labels = [
            f"≤ {bounds[0]} {unit}",
            f"{bounds[0]}–{bounds[1]} {unit}",
            f"{bounds[1]}–{bounds[2]} {unit}",
            f"&gt; {bounds[2]} {unit}",
        ]
    else:
        std = text("standard", language)
        labels = [f"≤ ½ {std}", f"½–1 × {std}", f"1–1.5 × {std}", f"&gt; 1.5 × {std}"]
    labels.append(text("unreachable", language))
    minutes_rows = [
        dot(label, fill=color, color="#ffffff", radius=5, weight=0.6)
        for label, color in zip(labels, MINUTES_COLORS, strict=True)
    ]
    minutes_rows.append(
        dot(
            text("legend_uncovered", language),
            fill="none",
            color=_UNCOVERED_RING,
            radius=6,
            weight=1.0,
        )
    )
    statuses = set(_statuses(dem))
    if "no_candidate" in statuses:
        minutes_rows.append(
            dot(
                text("legend_no_candidate", language, minutes=f"{_standard(dem):g}"),
                fill="none",
                color=_NO_CANDIDATE_RING,
                radius=6,
                weight=1.5,
                dashed=True,
            )
        )
    if "other_tier" in statuses:
        minutes_rows.append(
            dot(
                text("legend_other_tier", language),
                fill=_OTHER_TIER_FILL,
                color="#ffffff",
                radius=5,
                weight=0.6,
            )
        )
    minutes_rows.append(f'<span class="hp-dotcell"></span>{text("legend_size", language)}')
    tier_label = tier_name(tier, language)
    existing, upgraded = STATUS_STYLE["existing"], STATUS_STYLE["upgraded"]
    facility_rows = [
        dot(
            text("existing", language, tier=tier_label),
            fill=str(existing["fill"]),
            color="#555555",
            radius=float(existing["radius"]) - 1,
        ),
        dot(
            text("upgraded", language, tier=tier_label),
            fill=str(upgraded["fill"]),
            color="#555555",
            radius=float(upgraded["radius"]) - 1,
        ),
    ]
    coverage_rows = []
    for i, (bound, color) in enumerate(COVERAGE_CLASSES):
        upper = COVERAGE_CLASSES[i + 1][0] if i + 1 < len(COVERAGE_CLASSES) else None
        label = f"{bound * 100:g}–{upper * 100:g}%" if upper is not None else f"≥ {bound * 100:g}%"
        if i == 0:
            label = f"&lt; {COVERAGE_CLASSES[1][0] * 100:g}%"
        coverage_rows.append(swatch(color, label))
    return [
        (text("legend_minutes", language, tier=tier_label), minutes_rows),
        (text("legend_facilities", language), facility_rows),
        (text("legend_coverage", language), coverage_rows),
    ]


def _standard(dem: pd.DataFrame) -> float:
    standards = dem["standard_minutes"].astype(float).dropna()
    return float(standards.median()) if len(standards) else math.nan


def title_controls(m: folium.Map, title: str, subtitle: str, legend: str) -> None:
    """Title box (top left) and legend (bottom right); `title` is escaped here."""
    head = f"<h1>{esc(title)}</h1><p>{subtitle}</p>"
    m.add_child(HtmlControl(head, position="topleft", css_class="hp-box hp-title"))
    m.add_child(HtmlControl(legend, position="bottomright", css_class="hp-box hp-legend"))
