"""Layers and legend of the difference map of two plans (`scenarios.maps.comparison_map`)."""

from __future__ import annotations

import math
from typing import Any

import folium
import numpy as np
import pandas as pd

from scenarios.maps._layers import (
    Base,
    MapFrame,
    dot,
    legend_html,
    point_layer,
    shape_layer,
    swatch,
    tooltip_html,
)
from scenarios.maps._plan import county_layers, display_names
from scenarios.maps.style import (
    COMPARISON_COLORS,
    COVERAGE_CHANGE_CLASSES,
    coverage_change_color,
    esc,
    fmt_int,
    fmt_minutes,
    fmt_share,
    text,
    township_radius,
)

__all__ = ["add_comparison_layers", "coverage_change"]

#: Drawing order, bottom to top: unchanged places first so changes stay visible.
_ORDER = {"kept": 0, "never": 1, "lost": 2, "gained": 3}


def coverage_change(demand_a: pd.DataFrame, demand_b: pd.DataFrame) -> pd.DataFrame:
    """Per demand place: population, covered in A / B and the change class.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``demand_id`` in the order of `demand_b`: ``population``, ``covered_a``,
        ``covered_b``, ``change`` (gained | lost | kept | never). Places missing from A count
        as not covered there.
    """
    a = demand_a.set_index(demand_a["demand_id"].astype(str))
    b = demand_b.set_index(demand_b["demand_id"].astype(str))
    covered_a = a["covered"].astype(bool).reindex(b.index, fill_value=False)
    covered_b = b["covered"].astype(bool)
    change = np.select(
        [covered_b & ~covered_a, covered_a & ~covered_b, covered_a & covered_b],
        ["gained", "lost", "kept"],
        default="never",
    )
    return pd.DataFrame(
        {
            "population": b["population"].astype(float),
            "covered_a": covered_a,
            "covered_b": covered_b,
            "change": change,
        },
        index=b.index,
    )


def add_comparison_layers(
    m: folium.Map,
    base: Base,
    *,
    demand_a: pd.DataFrame,
    demand_b: pd.DataFrame,
    county_a: pd.DataFrame,
    county_b: pd.DataFrame,
    labels: tuple[str, str],
    language: str,
) -> tuple[str, str]:
    """Add the difference layers to `m`; return the legend HTML and the subtitle."""
    label_a, label_b = esc(labels[0]), esc(labels[1])
    _change_choropleth(m, base, county_a, county_b, labels=(label_a, label_b), language=language)
    county_layers(m, base, language=language)

    change = coverage_change(demand_a, demand_b)
    b = demand_b.set_index(demand_b["demand_id"].astype(str))
    a_minutes = _minutes(demand_a).reindex(b.index)
    b_minutes = _minutes(demand_b)
    names = display_names(b, language)
    order = sorted(
        range(len(b)),
        key=lambda i: (_ORDER[str(change["change"].iloc[i])], -change["population"].iloc[i]),
    )
    frame = MapFrame()
    points, styles, tips = [], [], []
    for i in order:
        idx = b.index[i]
        kind = str(change["change"].iloc[i])
        population = float(change["population"].iloc[i])
        radius = township_radius(population)
        if kind in ("kept", "never"):
            radius = min(radius, 2.5)
        points.append(frame.point(b.geometry.iloc[i]))
        styles.append(
            {
                "radius": radius,
                "fillColor": COMPARISON_COLORS[kind],
                "fill": True,
                "fillOpacity": 0.95,
                "color": "#ffffff" if kind in ("kept", "never") else "#1a1a1a",
                "weight": 0.6 if kind in ("kept", "never") else 0.9,
            }
        )
        rows = [
            (text("population", language), fmt_int(population)),
            (text("change", language), text(f"change_{kind}", language)),
            (
                text("minutes", language),
                (
                    f"{label_a} {fmt_minutes(float(a_minutes[idx]), language)} → "
                    f"{label_b} {fmt_minutes(float(b_minutes[idx]), language)}"
                ),
            ),
        ]
        tips.append(tooltip_html(esc(names[idx]), rows))
    m.add_child(point_layer(points, styles, tips, name=text("townships_change", language)))

    gained = float(change.loc[change["change"] == "gained", "population"].sum())
    lost = float(change.loc[change["change"] == "lost", "population"].sum())
    subtitle = text(
        "comparison_subtitle",
        language,
        gained=fmt_int(gained),
        lost=fmt_int(lost),
        net=("+" if gained >= lost else "−") + fmt_int(abs(gained - lost)),
    )
    return _legend(language), subtitle


def _minutes(demand: pd.DataFrame) -> pd.Series[Any]:
    index = demand["demand_id"].astype(str)
    if "travel_minutes" not in demand:
        return pd.Series(math.nan, index=index)
    return pd.Series(demand["travel_minutes"].astype(float).to_numpy(), index=index)


def _change_choropleth(
    m: folium.Map,
    base: Base,
    county_a: pd.DataFrame,
    county_b: pd.DataFrame,
    *,
    labels: tuple[str, str],
    language: str,
) -> None:
    counties = base.counties
    share_a = _shares(county_a).reindex(counties.index)
    share_b = _shares(county_b).reindex(counties.index)
    names = display_names(counties, language)
    styles, tips = [], []
    for code in counties.index:
        a, b = float(share_a[code]), float(share_b[code])
        points = 100.0 * (b - a)
        styles.append(
            {"stroke": False, "fillColor": coverage_change_color(points), "fillOpacity": 0.5}
        )
        change = "" if math.isnan(points) else f"{points:+.1f} {text('pp', language)}"
        rows = [
            (
                text("coverage_share", language),
                f"{labels[0]} {fmt_share(a)} → {labels[1]} {fmt_share(b)}",
            ),
            (text("change", language), change),
        ]
        tips.append(tooltip_html(esc(names[code]), rows))
    m.add_child(
        shape_layer(list(counties.geometry), styles, tips, name=text("coverage_change", language))
    )


def _shares(summary: pd.DataFrame) -> pd.Series[Any]:
    return pd.Series(
        summary["coverage_share"].astype(float).to_numpy(),
        index=summary["county_code"].astype(str),
    )


def _legend(language: str) -> str:
    rows = []
    bounds = [bound for bound, _ in COVERAGE_CHANGE_CLASSES]
    for i, (bound, color) in enumerate(COVERAGE_CHANGE_CLASSES):
        if i == 0:
            label = f"&lt; {bounds[1]:+g}"
        elif i + 1 < len(bounds):
            label = f"{bound:+g} … {bounds[i + 1]:+g}"
        else:
            label = f"≥ {bound:+g}"
        rows.append(swatch(color, label, opacity=0.5))
    townships = [
        dot(
            text(f"change_{kind}", language),
            fill=color,
            color="#ffffff" if kind in ("kept", "never") else "#1a1a1a",
            radius=5,
            weight=0.9,
        )
        for kind, color in COMPARISON_COLORS.items()
    ]
    townships.append(f'<span class="hp-dotcell"></span>{text("legend_size", language)}')
    return legend_html(
        [(text("townships_change", language), townships), (text("legend_change", language), rows)],
        [],
    )
