"""The scenario of a run in words: its settings, rules and what each choice trades off.

Plain text only (the templates escape it). The settings are the resolved scenario of
``summary["scenario"]["settings"]`` (see `scenarios.scenario.Scenario`); the metrics are
``summary["plan"]["tiers"]``. Key figures, upgrades, caveats and sources are in
`scenarios.briefing._figures`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from planning.defaults import DEFAULT_TIER_RULES
from scenarios.briefing._text import (
    COUNTY_TYPE_NAMES,
    GROUP_NAMES,
    OBJECTIVE_NAMES,
    ROAD_NAMES,
    STATUS_NAMES,
    WEIGHT_NAMES,
    fmt_cny,
    fmt_gap,
    text,
)
from scenarios.maps.style import fmt_share, tier_name

__all__ = [
    "join_words",
    "number",
    "objective_name",
    "plan_status_text",
    "plan_tiers",
    "scenario_lines",
    "standard_minutes",
    "status_text",
    "tradeoffs",
]

Row = dict[str, Any]

#: Per-tier rules of `scenarios.scenario.TierSettings` listed under "rules switched on",
#: with how their value is shown.
_COUNT_RULES = (
    "min_upgrades",
    "max_upgrades",
    "min_per_county",
    "max_per_county",
    "min_per_city",
    "max_per_city",
)


def number(value: Any) -> float:
    """Read a JSON number as float; null (NaN or infinite when written) as NaN."""
    return math.nan if value is None else float(value)


def _tier_settings(settings: Mapping[str, Any], tier: str) -> Mapping[str, Any]:
    return dict(settings.get("tier", {}).get(tier) or {})


def standard_minutes(summary: Mapping[str, Any], tier: str) -> float:
    """Return the travel standard of `tier` in the run (metrics, else settings or default)."""
    metrics = summary["plan"]["tiers"].get(tier, {}).get("after", {})
    value = metrics.get("standard_minutes")
    if value is not None:
        return float(value)
    own = _tier_settings(summary["scenario"]["settings"], tier).get("standard_minutes")
    return float(own if own is not None else DEFAULT_TIER_RULES[tier].standard_minutes)


def _unit_cost(settings: Mapping[str, Any], tier: str) -> float | None:
    own = _tier_settings(settings, tier).get("upgrade_cost_cny")
    if own is not None:
        return float(own)
    rule = DEFAULT_TIER_RULES.get(tier)
    return None if rule is None else rule.upgrade_cost_cny


def plan_tiers(summary: Mapping[str, Any]) -> list[str]:
    """Return the planned tiers in the scenario's order (``summary.json`` sorts its keys)."""
    planned = summary["plan"]["tiers"]
    ordered = [t for t in summary["scenario"]["settings"].get("tiers", ()) if t in planned]
    return ordered + sorted(t for t in planned if t not in ordered)


def objective_name(settings: Mapping[str, Any], language: str) -> str:
    """Short name of the scenario's objective."""
    objective = str(settings.get("objective", "coverage"))
    return OBJECTIVE_NAMES.get(objective, {}).get(language, objective)


def status_text(
    status: str, language: str, *, gap: float | None = None, time_limit: bool = False
) -> str:
    """Solver status in words (unknown statuses as given).

    A ``feasible`` plan with a known gap reads "within 1.00% of the best possible" (a looser
    ``mip_gap`` asked for, or a time limit, says so): never plainly "optimal".
    """
    if status == "feasible" and gap is not None and math.isfinite(gap):
        key = "status_time_limit" if time_limit else "status_within"
        return text(key, language, gap=fmt_gap(gap))
    return STATUS_NAMES.get(status, {}).get(language, status)


def plan_status_text(plan: Mapping[str, Any], language: str) -> str:
    """Return the `status_text` of a ``summary.json`` plan.

    It reads the status, the gap, and the plan's message for a time limit.
    """
    gap = plan.get("gap")
    return status_text(
        str(plan.get("status")),
        language,
        gap=float(gap) if isinstance(gap, int | float) else None,
        time_limit="time limit" in str(plan.get("message") or "").lower(),
    )


def _group(settings: Mapping[str, Any], language: str) -> str:
    group = str(settings.get("equity_group", "county"))
    return GROUP_NAMES.get(group, {}).get(language, group)


def join_words(parts: list[str], language: str) -> str:
    """``a、b、c`` in Chinese, ``a, b, c`` in English."""
    return ("、" if language == "zh" else ", ").join(parts)


def _rules(settings: Mapping[str, Any], language: str) -> list[str]:
    """Return the rules switched on, one line each, in a fixed order."""
    lines: list[str] = []
    for tier in settings.get("tiers", ()):
        own = _tier_settings(settings, tier)
        name = tier_name(tier, language)
        for flag in ("within_county", "every_county"):
            if own.get(flag):
                lines.append(text(f"rule_{flag}", language, tier=name))
        for key in ("min_county_coverage", "min_city_coverage"):
            if own.get(key) is not None:
                share = fmt_share(float(own[key]))
                lines.append(text(f"rule_{key}", language, tier=name, share=share))
        lines.extend(
            text(f"rule_{key}", language, tier=name, n=int(own[key]))
            for key in _COUNT_RULES
            if own.get(key) is not None
        )
        if own.get("budget_cny") is not None:
            budget = fmt_cny(float(own["budget_cny"]), language)
            lines.append(text("rule_budget", language, tier=name, budget=budget))
        if own.get("candidate_county_types") is not None:
            types = _county_types(own["candidate_county_types"], language)
            lines.append(text("rule_candidate_types", language, tier=name, types=types))
        if own.get("weight") is not None:
            weight = f"{float(own['weight']):g}"
            lines.append(text("rule_weight", language, tier=name, weight=weight))
    rules = settings.get("rules", {})
    for key in ("exclude", "require"):
        if rules.get(key):
            lines.append(text(f"rule_{key}", language, n=len(rules[key])))
    return lines


def _county_types(types: Any, language: str) -> str:
    return join_words(
        [COUNTY_TYPE_NAMES.get(str(t), {}).get(language, str(t)) for t in types], language
    )


def scenario_lines(summary: Mapping[str, Any], language: str) -> tuple[list[str], list[str]]:
    """Describe the scenario: objective, budget, phasing, tiers, demand, travel; the rules.

    Returns
    -------
    tuple of list of str
        Sentences describing the settings, and the rules switched on (one line each).
    """
    settings = summary["scenario"]["settings"]
    objective = str(settings.get("objective", "coverage"))
    what = text(f"obj_{objective}", language, group=_group(settings, language))
    lines = [text("objective", language, what=what)]
    budget = settings.get("budget_cny")
    lines.append(
        text("budget", language, budget=fmt_cny(float(budget), language))
        if budget is not None
        else text("budget_none", language)
    )
    years = settings.get("yearly_budgets_cny")
    if years:
        carry = text("carry_yes" if settings.get("carry_over") else "carry_no", language)
        if len(set(years)) == 1:
            budget_text = fmt_cny(float(years[0]), language)
            lines.append(
                text("phasing_equal", language, n=len(years), budget=budget_text, carry=carry)
            )
        else:
            amounts = join_words([fmt_cny(float(y), language) for y in years], language)
            lines.append(text("phasing", language, n=len(years), years=amounts, carry=carry))
    for tier in settings.get("tiers", ()):
        cost = _unit_cost(settings, tier)
        minutes = f"{standard_minutes(summary, tier):g}"
        name = tier_name(tier, language)
        if cost is None:
            lines.append(text("tier_line_own_cost", language, tier=name, minutes=minutes))
        else:
            cost_text = fmt_cny(cost, language)
            lines.append(text("tier_line", language, tier=name, minutes=minutes, cost=cost_text))
    weight = str(settings.get("demand_weight", "population"))
    if weight != "population":
        shown = WEIGHT_NAMES.get(weight, {}).get(language, weight)
        lines.append(text("weight_line", language, weight=shown))
    travel = settings.get("travel", {})
    cutoff = f"{float(travel.get('cutoff_minutes', 120.0)):g}"
    lines.append(text("travel_line", language, cutoff=cutoff))
    factors = travel.get("speed_factor") or {}
    if factors:
        shown = join_words(
            [
                f"{ROAD_NAMES.get(road, {}).get(language, road)} ×{float(f):g}"
                for road, f in sorted(factors.items())
            ],
            language,
        )
        lines.append(text("speed_line", language, factors=shown))
    return lines, _rules(settings, language)


def _tier_tradeoffs(tier: str, own: Mapping[str, Any], language: str) -> list[str]:
    """Trade-off sentences of one tier's rules."""
    name = tier_name(tier, language)
    lines: list[str] = []
    for flag in ("within_county", "every_county"):
        if own.get(flag):
            lines.append(text(f"to_{flag}", language, tier=name))
    checks = (
        ("to_min_coverage", ("min_county_coverage", "min_city_coverage")),
        ("to_counts", ("min_upgrades", "max_upgrades")),
        ("to_tier_budget", ("budget_cny",)),
        ("to_per_area", _COUNT_RULES[2:]),
    )
    lines.extend(
        text(key, language, tier=name)
        for key, fields in checks
        if any(own.get(f) is not None for f in fields)
    )
    if own.get("candidate_county_types") is not None:
        types = _county_types(own["candidate_county_types"], language)
        lines.append(text("to_candidate_types", language, tier=name, types=types))
    rule = DEFAULT_TIER_RULES.get(tier)
    minutes = own.get("standard_minutes")
    if minutes is not None and rule is not None and float(minutes) != rule.standard_minutes:
        lines.append(
            text(
                "to_standard",
                language,
                tier=name,
                minutes=f"{float(minutes):g}",
                default=f"{rule.standard_minutes:g}",
            )
        )
    return lines


def tradeoffs(settings: Mapping[str, Any], language: str) -> list[str]:
    """One plain-language sentence per choice the scenario makes (objective first)."""
    objective = str(settings.get("objective", "coverage"))
    lines = [text(f"to_obj_{objective}", language, group=_group(settings, language))]
    if settings.get("budget_cny") is not None:
        lines.append(text("to_budget", language))
    if settings.get("yearly_budgets_cny"):
        carry = "to_phasing_carry" if settings.get("carry_over") else "to_phasing_no_carry"
        lines.append(text("to_phasing", language, carry=text(carry, language)))
    for tier in settings.get("tiers", ()):
        lines.extend(_tier_tradeoffs(tier, _tier_settings(settings, tier), language))
    weight = str(settings.get("demand_weight", "population"))
    if weight != "population":
        shown = WEIGHT_NAMES.get(weight, {}).get(language, weight)
        lines.append(text("to_weight", language, weight=shown))
    factors = settings.get("travel", {}).get("speed_factor") or {}
    if any(float(f) < 1.0 for f in factors.values()):
        lines.append(text("to_speed", language))
    rules = settings.get("rules", {})
    if rules.get("exclude") or rules.get("require"):
        lines.append(text("to_exclude_require", language))
    return lines
