"""The briefing's population-futures section: the plan under every projection.

Read from the ``futures`` and ``population`` blocks of ``summary.json``
(`scenarios._futures`): one row per projection with each tier's people covered and share
and the people aged 65+ covered, the projection planned for, and for a plan made for
another year than 2020 one sentence comparing it with the 2020-based plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from scenarios.briefing._text import text
from scenarios.maps.style import fmt_int, fmt_share, tier_name

__all__ = ["futures_context"]

#: Projection variants in words.
_VARIANTS: Final[dict[str, dict[str, str]]] = {
    "census": {"zh": "普查", "en": "census"},
    "low": {"zh": "低方案", "en": "low"},
    "central": {"zh": "中方案", "en": "central"},
    "high": {"zh": "高方案", "en": "high"},
}
#: Sites named per list (added, dropped); the rest are counted.
_LISTED: Final = 5
#: Robust criteria in words.
_ROBUST: Final[dict[str, dict[str, str]]] = {
    "worst_case": {"zh": "最坏情形最优", "en": "best worst case"},
    "min_regret": {"zh": "最大遗憾最小", "en": "least regret"},
}


def projection_name(label: str, language: str) -> str:
    """Return ``"2035 central"`` as ``"2035 年（中方案）"`` or ``"2035 (central)"``."""
    year, _, variant = label.partition(" ")
    words = _VARIANTS.get(variant, {}).get(language, variant)
    return f"{year} 年（{words}）" if language == "zh" else f"{year} ({words})"


def futures_context(summary: Mapping[str, Any], language: str) -> dict[str, Any] | None:
    """Return the section's template values, or None for a run without futures.

    Keys: ``intro`` (lines: the projection planned for, the robust criterion), ``columns``
    (2020 census, then each later year's central projection, then the last year's low and
    high), ``rows`` (per tier: the covered share, then the people aged 65+ covered),
    ``note`` and ``comparison`` (sentences, none for a plan made for 2020's people).
    """
    futures = summary.get("futures")
    if not futures or not futures.get("rows"):
        return None
    rows = [r for r in futures["rows"] if r["plan"] == "plan"]
    found = {(str(r["projection"]), str(r["tier"])): r for r in rows}
    tiers = list(dict.fromkeys(str(r["tier"]) for r in rows))
    labels = list(dict.fromkeys(str(r["projection"]) for r in rows))
    central = [x for x in labels if x.endswith((" census", " central"))]
    last = max(int(x.split(" ")[0]) for x in labels)
    spread = [f"{last} low", f"{last} high"]
    columns = [projection_name(x, language) for x in central]
    if all(x in labels for x in spread):
        columns.append(f"{projection_name(spread[0], language)} / {text('futures_high', language)}")
    table = []
    for tier in tiers:
        name = tier_name(tier, language)
        shares, elderly = [], []
        for label in central:
            r = found.get((label, tier))
            shares.append(fmt_share(float(r["share"])) if r else "-")
            elderly.append(fmt_int(r["pop_65plus_covered"]) if r else "-")
        if len(columns) > len(central):
            low, high = (found[(x, tier)] for x in spread)
            shares.append(f"{fmt_share(float(low['share']))} / {fmt_share(float(high['share']))}")
            elderly.append(
                f"{fmt_int(low['pop_65plus_covered'])} / {fmt_int(high['pop_65plus_covered'])}"
            )
        table.append({"label": text("futures_share", language, tier=name), "cells": shares})
        table.append({"label": text("futures_elderly", language, tier=name), "cells": elderly})
    planned = str(futures.get("projection", ""))
    population = summary.get("population") or {}
    intro = []
    if not planned.endswith(" census") or population.get("robust"):
        intro.append(text("futures_intro", language, projection=projection_name(planned, language)))
    if population.get("robust"):
        intro.append(
            text(
                "futures_robust",
                language,
                criterion=_ROBUST[population["robust"]][language],
                projections=text("list_sep", language).join(
                    projection_name(p, language) for p in population["robust_projections"]
                ),
            )
        )
    return {
        "intro": intro,
        "columns": columns,
        "rows": table,
        "note": text("futures_note", language),
        "comparison": _comparison(futures.get("comparison"), language),
    }


def _comparison(comparison: Mapping[str, Any] | None, language: str) -> list[str]:
    """Sentences comparing the plan with the 2020-based plan (none without a comparison)."""
    if not comparison:
        return []
    lines = [
        text(
            "futures_sites",
            language,
            added=len(comparison["added"]),
            removed=len(comparison["removed"]),
            kept=comparison["kept"],
        )
    ]
    name = "name_en" if language == "en" else "name_zh"
    sep = text("list_sep", language)
    for key, label in (("added", "futures_added"), ("removed", "futures_removed")):
        sites = comparison[key]
        if sites:
            names = [str(s[name]) for s in sites[:_LISTED]]
            if len(sites) > _LISTED:
                names.append(text("and_more", language, n=len(sites)))
            lines.append(text(label, language, names=sep.join(names)))
    projection = projection_name(str(comparison["projection"]), language)
    for tier, figures in comparison["tiers"].items():
        lines.append(
            text(
                "futures_covered",
                language,
                tier=tier_name(tier, language),
                projection=projection,
                covered=fmt_int(figures["covered"]),
                covered_2020=fmt_int(figures["covered_2020_plan"]),
                change=f"{figures['covered'] - figures['covered_2020_plan']:+,.0f}",
            )
        )
    return lines
