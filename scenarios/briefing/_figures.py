"""Key figures, upgrade rows, data caveats and sources of a run, as plain text.

Every function reads ``summary.json`` (and county names and shares from ``counties.csv``
through `scenarios.briefing._run.Counties`) and returns strings and small dicts; the
templates escape them. Rows carry raw values for ``data-value`` attributes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scenarios.briefing._model import (
    join_words,
    number,
    plan_status_text,
    plan_tiers,
    standard_minutes,
)
from scenarios.briefing._run import Counties
from scenarios.briefing._text import (
    SOURCES,
    TIER_SHORT,
    fmt_cny,
    fmt_gap,
    fmt_minutes,
    fmt_pp,
    fmt_signed,
    text,
)
from scenarios.maps.style import fmt_int, fmt_share, tier_name

__all__ = [
    "Source",
    "caveats",
    "figure_rows",
    "overall_rows",
    "sources",
    "upgrade_rows",
    "worst_county",
]

Row = dict[str, Any]


def _value(value: Any) -> str:
    """Format a raw value for the ``data-value`` attribute (tests and scripts read it back)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def worst_county(
    metrics: Mapping[str, Any], counties: Counties, tier: str, label: str, language: str
) -> str:
    """``Changtu County 22.6%``, or ``Changhai County and 27 more 0.0%`` when tied."""
    share = number(metrics.get("worst_group_share"))
    name = counties.name(metrics.get("worst_group"), language)
    tied = counties.tied(tier, label, share) if math.isfinite(share) else 0
    if tied > 1:
        name = text("and_others", language, name=name, n=tied - 1, total=tied)
    return f"{name} {fmt_share(share)}"


def figure_rows(summary: Mapping[str, Any], counties: Counties, language: str) -> list[Row]:
    """Key figures per tier: heading rows and rows with before, after and change."""
    cutoff = float(summary["scenario"]["settings"].get("travel", {}).get("cutoff_minutes", 120))
    rows: list[Row] = []
    for tier in plan_tiers(summary):
        metrics = summary["plan"]["tiers"][tier]
        before, after = metrics["before"], metrics["after"]
        minutes = f"{standard_minutes(summary, tier):g}"
        rows.append(
            {
                "kind": "tier",
                "tier": tier,
                "label": text(
                    "tier_heading", language, tier=tier_name(tier, language), minutes=minutes
                ),
            }
        )

        def row(
            key: str,
            label: str,
            shown: tuple[str, str, str],
            *,
            tier: str = tier,
            before: Mapping[str, Any] = before,
            after: Mapping[str, Any] = after,
        ) -> Row:
            return {
                "kind": "row",
                "key": f"{tier}.{key}",
                "label": label,
                "before": shown[0],
                "after": shown[1],
                "change": shown[2],
                "before_value": _value(before.get(key)),
                "after_value": _value(after.get(key)),
            }

        b_pop, a_pop = number(before["covered_population"]), number(after["covered_population"])
        rows.append(
            row(
                "covered_population",
                text("covered_population", language),
                (fmt_int(b_pop), fmt_int(a_pop), fmt_signed(a_pop - b_pop)),
            )
        )
        b_share, a_share = number(before["covered_share"]), number(after["covered_share"])
        rows.append(
            row(
                "covered_share",
                text("covered_share", language),
                (fmt_share(b_share), fmt_share(a_share), fmt_pp(b_share, a_share, language)),
            )
        )
        worst = [
            worst_county(m, counties, tier, label, language)
            for m, label in ((before, "before"), (after, "after"))
        ]
        b_worst, a_worst = (
            number(before.get("worst_group_share")),
            number(after.get("worst_group_share")),
        )
        worst_row = row(
            "worst_group_share",
            text("worst_county", language),
            (worst[0], worst[1], fmt_pp(b_worst, a_worst, language)),
        )
        worst_row["before_group"] = _value(before.get("worst_group"))
        worst_row["after_group"] = _value(after.get("worst_group"))
        rows.append(worst_row)
        for key in ("mean_minutes", "p95_minutes"):
            b_min, a_min = number(before.get(key)), number(after.get(key))
            change = ""
            if math.isfinite(b_min) and math.isfinite(a_min):
                diff = round(a_min - b_min, 1)
                change = (
                    f"{diff:+.1f} {text('min', language)}"
                    if diff
                    else f"0.0 {text('min', language)}"
                )
            rows.append(
                row(
                    key,
                    text(key, language),
                    (
                        fmt_minutes(b_min, language, cutoff=cutoff),
                        fmt_minutes(a_min, language, cutoff=cutoff),
                        change,
                    ),
                )
            )
        b_un, a_un = (
            number(before["unreachable_population"]),
            number(after["unreachable_population"]),
        )
        rows.append(
            row(
                "unreachable_population",
                text("unreachable", language, cutoff=f"{cutoff:g}"),
                (fmt_int(b_un), fmt_int(a_un), fmt_signed(a_un - b_un)),
            )
        )
    return rows


def overall_rows(summary: Mapping[str, Any], language: str) -> list[Row]:
    """Cost (with budget and split by tier and year), upgrade count and solver outcome."""
    plan = summary["plan"]
    sep = text("list_sep", language)
    cost = fmt_cny(number(plan.get("cost_cny")), language)
    budget = plan.get("budget_cny")
    cost_text = (
        text("cost_value", language, cost=cost, budget=fmt_cny(float(budget), language))
        if budget is not None
        else text("cost_value_no_budget", language, cost=cost)
    )
    by_tier = plan.get("cost_by_tier_cny") or {}
    order = [t for t in plan_tiers(summary) if t in by_tier]
    if len(by_tier) > 1:
        parts = [f"{tier_name(t, language)} {fmt_cny(float(by_tier[t]), language)}" for t in order]
        cost_text += f"{sep}{text('cost_by_tier', language)} {join_words(parts, language)}"
    rows: list[Row] = [
        {
            "key": "cost_cny",
            "label": text("cost", language),
            "value": cost_text,
            "raw": _value(plan.get("cost_cny")),
        },
    ]
    years = plan.get("cost_by_year_cny") or []
    if len(years) > 1:
        parts = [
            f"{text('year_n', language, n=i)} {fmt_cny(float(v), language)}"
            for i, v in enumerate(years, start=1)
        ]
        rows.append(
            {
                "key": "cost_by_year_cny",
                "label": text("cost_by_year", language),
                "value": join_words(parts, language),
                "raw": "",
            }
        )
    counts = plan.get("upgrades") or {}
    total = sum(int(n) for n in counts.values())
    shown = text("upgrades_value", language, n=total)
    if len(counts) > 1:
        parts = [
            f"{tier_name(t, language)} {int(counts[t])}" for t in plan_tiers(summary) if t in counts
        ]
        shown += (
            f"（{join_words(parts, language)}）" if language == "zh" else f" ({', '.join(parts)})"
        )
    rows.append(
        {"key": "upgrades", "label": text("upgrades", language), "value": shown, "raw": str(total)}
    )
    solver = text(
        "solver_value",
        language,
        status=plan_status_text(plan, language),
        gap=fmt_gap(plan.get("gap")),
        solver=str(plan.get("solver") or "-"),
    )
    rows.append(
        {
            "key": "status",
            "label": text("solver", language),
            "value": solver,
            "raw": str(plan.get("status")),
        }
    )
    return rows


def upgrade_rows(
    summary: Mapping[str, Any], counties: Counties, language: str, *, top: int
) -> tuple[list[Row], int, bool]:
    """Return the `top` upgrades by year, then newly covered people (ties by facility id).

    Returns
    -------
    tuple
        The rows, how many more upgrades there are, and whether the plan is phased (a year
        column is then shown).
    """
    upgrades = list(summary.get("upgrades") or [])
    upgrades.sort(
        key=lambda u: (
            int(u.get("year") or 1),
            -number(u.get("newly_covered")),
            str(u["facility_id"]),
        )
    )
    phased = bool(summary["scenario"]["settings"].get("yearly_budgets_cny"))
    rows: list[Row] = []
    for rank, u in enumerate(upgrades[:top], start=1):
        name = str(u.get("name_zh") or u["facility_id"])
        if language == "en" and u.get("name_en"):
            name = str(u["name_en"])
        per_person = number(u.get("cost_per_person_cny"))
        rows.append(
            {
                "rank": rank,
                "facility_id": str(u["facility_id"]),
                "name": name,
                "county": counties.name(u.get("county_code"), language),
                "to": TIER_SHORT.get(str(u.get("to_tier")), {}).get(
                    language, tier_name(str(u.get("to_tier")), language)
                ),
                "year": "" if u.get("year") is None else str(int(u["year"])),
                "cost": fmt_cny(number(u.get("upgrade_cost_cny")), language),
                "newly_covered": fmt_int(number(u.get("newly_covered"))),
                "newly_covered_value": _value(u.get("newly_covered")),
                "per_person": fmt_int(per_person) if math.isfinite(per_person) else "-",
            }
        )
    return rows, max(0, len(upgrades) - top), phased


def caveats(summary: Mapping[str, Any], language: str) -> list[str]:
    """Approximations in the data, with counts from ``summary["data"]["summary"]``."""
    data = summary.get("data", {})
    counts = data.get("summary", {})
    lines: list[str] = []
    plan = summary.get("plan", {})
    status = str(plan.get("status", "optimal"))
    if status != "optimal":
        gap = fmt_gap(plan.get("gap"))
        requested = summary.get("scenario", {}).get("settings", {}).get("solver", {})
        requested = requested.get("mip_gap")
        time_limit = "time limit" in str(plan.get("message") or "").lower()
        if requested is not None and not time_limit and status == "feasible":
            lines.append(text("cav_within_gap", language, requested=f"{requested:g}", gap=gap))
        else:
            lines.append(
                text("cav_not_optimal", language, status=plan_status_text(plan, language), gap=gap)
            )
    if "proxy_facilities" in counts and "facilities" in counts:
        lines.append(
            text(
                "cav_proxy",
                language,
                n=fmt_int(float(counts["proxy_facilities"])),
                total=fmt_int(float(counts["facilities"])),
            )
        )
    sources = counts.get("township_coord_source") or {}
    synthetic = sum(int(n) for kind, n in sources.items() if str(kind).startswith("synthetic"))
    if sources:
        lines.append(
            text(
                "cav_seats",
                language,
                n=fmt_int(synthetic),
                total=fmt_int(float(counts.get("townships", sum(sources.values())))),
            )
        )
    graph = str(summary.get("travel", {}).get("graph", ""))
    lines.append(
        text("cav_roads", language)
        if "approximated" in graph
        else text("cav_roads_real", language, graph=graph or "-")
    )
    if "population" in counts and data.get("dataset") == "liaoning":
        lines.append(text("cav_population", language, total=fmt_int(float(counts["population"]))))
    cutoff = summary.get("travel", {}).get("cutoff_minutes", 120)
    extended = (summary.get("plan", {}).get("travel") or {}).get("extended_to_minutes")
    if not extended:
        lines.append(text("cav_minutes", language, cutoff=f"{float(cutoff):g}"))
    lines += _cannot_be_chosen(summary, language)
    lines.append(text("cav_costs", language))
    if data.get("facilities_file"):
        lines.append(text("cav_facilities_file", language, file=data["facilities_file"]))
    providers = (data.get("cross_border") or {}).get("providers") or []
    if providers:
        places = "、".join(dict.fromkeys(str(p.get("city_name_zh", "")) for p in providers))
        general = sum(bool(p.get("general_care")) for p in providers)
        lines.append(
            text("cav_cross_border", language, n=len(providers), places=places, general=general)
        )
    return lines


def _cannot_be_chosen(summary: Mapping[str, Any], language: str) -> list[str]:
    """Sentences on people no plan can cover and on travel times extended past the cutoff.

    The second replaces ``cav_minutes``: with extended times, every township's mean time
    counts.
    """
    plan = summary.get("plan", {})
    lines: list[str] = []
    tiers = plan_tiers(summary) if "tiers" in plan else []
    map_tier = "township_central" if "township_central" in tiers else (tiers or [""])[0]
    for tier in tiers:
        people = number((plan.get("cannot_be_covered") or {}).get(tier))
        if math.isfinite(people) and people > 0:
            sentence = text(
                "cav_no_candidate",
                language,
                n=fmt_int(people),
                tier=tier_name(tier, language),
                minutes=f"{standard_minutes(summary, tier):g}",
            )
            if tier == map_tier:
                sentence += ("" if language == "zh" else " ") + text(
                    "cav_no_candidate_map", language
                )
            lines.append(sentence)
    travel = plan.get("travel") or {}
    if travel.get("extended_to_minutes"):
        capped = sum(number(v) for v in (travel.get("capped_population") or {}).values())
        lines.append(
            text(
                "cav_extended",
                language,
                n=fmt_int(float(travel.get("extended_demand_points", 0))),
                cutoff=f"{number(travel.get('cutoff_minutes')):g}",
                extended=f"{number(travel['extended_to_minutes']):g}",
                capped=fmt_int(capped),
            )
        )
    return lines


@dataclass(frozen=True)
class Source:
    """One data source line: what it gives, where from, licence and attribution."""

    what: str
    source: str
    licence: str


def sources(summary: Mapping[str, Any], language: str) -> tuple[list[Source], str]:
    """List the dataset's sources with their CC BY / ODbL attributions, or a pointer for others."""
    dataset = str(summary.get("data", {}).get("dataset", ""))
    if dataset == "liaoning":
        return [Source(*row) for row in SOURCES[language]], ""
    return [], text("sources_other", language, dataset=dataset or "-")
