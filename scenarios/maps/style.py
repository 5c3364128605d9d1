"""Words, colours and classes shared by the plan and comparison maps (both languages).

Every label a map shows comes from `TEXT` through `text`; the two languages have the same keys
(checked by the tests), so switching ``language`` changes every label and nothing else.
"""

from __future__ import annotations

import html
import math
from typing import Final

from geodata import tiers
from geodata.tiers import CATALOGUE

__all__ = [
    "COMPARISON_COLORS",
    "COVERAGE_CHANGE_CLASSES",
    "COVERAGE_CLASSES",
    "FONT_STACK",
    "LANGUAGES",
    "MINUTES_BREAKS",
    "MINUTES_COLORS",
    "STATUS_STYLE",
    "TEXT",
    "TIER_COLORS",
    "TIER_NAMES",
    "coverage_change_color",
    "coverage_color",
    "esc",
    "fmt_int",
    "fmt_minutes",
    "fmt_share",
    "minutes_class",
    "text",
    "tier_name",
    "township_radius",
]

LANGUAGES: Final = ("zh", "en")

#: CJK-capable fonts first: Debian's fonts-wqy-microhei (installed by ``make``) for headless
#: Chromium, then the usual desktop fonts.
FONT_STACK: Final = (
    '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", '
    '"Helvetica Neue", Arial, sans-serif'
)

#: Full tier names in both languages, from the one catalogue (`geodata.tiers`).
TIER_NAMES: Final[dict[str, dict[str, str]]] = {
    code: {"zh": tier.name_zh, "en": tier.name_en} for code, tier in CATALOGUE.items()
}

#: One colour per tier for facilities that are not the subject of the plan.
TIER_COLORS: Final[dict[str, str]] = {code: tier.color for code, tier in CATALOGUE.items()}

#: Facility symbols by plan status: fill, outline, outline width, radius.
STATUS_STYLE: Final[dict[str, dict[str, str | float]]] = {
    "existing": {"fill": "#08306b", "color": "#ffffff", "weight": 1.5, "radius": 5.5},
    "upgraded": {"fill": "#e7298a", "color": "#ffffff", "weight": 2.5, "radius": 8.0},
    #: Hospitals across the provincial border (scenario ``cross_border``): existing providers.
    "cross_border": {"fill": "#ff7f00", "color": "#08306b", "weight": 2.0, "radius": 6.5},
    "candidate": {"fill": "#ffffff", "color": "#6a51a3", "weight": 1.5, "radius": 3.5},
}

#: Travel-time classes as fractions of the tier's standard, with their colours; the last
#: colour is for places that reach no facility of the tier within the matrix cutoff.
MINUTES_BREAKS: Final = (0.5, 1.0, 1.5)
MINUTES_COLORS: Final = ("#1a9850", "#a6d96a", "#fdae61", "#d73027", "#67001f")

#: County coverage share classes (lower bounds) and colours, light = low coverage.
COVERAGE_CLASSES: Final = (
    (0.0, "#f4a582"),
    (0.5, "#fddbc7"),
    (0.7, "#d1e5f0"),
    (0.85, "#92c5de"),
    (0.95, "#4393c3"),
)
#: Change in county coverage share, in percentage points (lower bounds), diverging.
COVERAGE_CHANGE_CLASSES: Final = (
    (-math.inf, "#b2182b"),
    (-10.0, "#ef8a62"),
    (-2.0, "#f7f7f7"),
    (2.0, "#a6dba0"),
    (10.0, "#1b7837"),
)
COMPARISON_COLORS: Final[dict[str, str]] = {
    "gained": "#1b7837",
    "lost": "#c51b7d",
    "kept": "#c7c7c7",
    "never": "#6e6e6e",
}

TEXT: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "city_boundaries": "市界",
        "county_boundaries": "县界",
        "county_coverage": "县域覆盖率",
        "townships": "乡镇(按到达时间)",
        "allocation": "服务分配连线",
        "uncovered": "未覆盖人口",
        "existing": "现有机构(提供{tier}服务)",
        "cross_border": "省外医院(跨省就医,提供{tier}服务)",
        "upgraded": "拟升级为{tier}",
        "candidates": "未入选的候选机构",
        "other_facilities": "其他医疗机构",
        "approximated": "估算数据标记",
        "tiles": "在线底图:{name}",
        "tiles_osm": "OpenStreetMap",
        "tiles_tianditu": "天地图",
        "tiles_gaode": "高德地图(GCJ-02)",
        "name": "名称",
        "county": "县区",
        "tier": "级别",
        "status": "状态",
        "population": "人口",
        "minutes": "到达时间",
        "standard": "标准",
        "serving": "服务机构",
        "covered": "已覆盖",
        "not_covered": "未覆盖",
        "reason": "选址理由",
        "served_population": "服务人口",
        "beds": "床位",
        "coverage_share": "覆盖率",
        "covered_population": "覆盖人口",
        "status_existing": "现有",
        "status_cross_border": "省外现有机构(不可升级)",
        "status_upgraded": "拟升级",
        "status_candidate": "候选(未入选)",
        "status_other": "其他",
        "proxy_facility": "位置为代用点(估算)",
        "synthetic_seat": "乡镇驻地为估算位置",
        "unreachable": "不可达",
        "min": "分钟",
        "people": "人",
        "legend_coverage": "县域覆盖率",
        "legend_minutes": "乡镇到{tier}的时间",
        "legend_size": "圆点大小 = 人口",
        "legend_facilities": "医疗机构",
        "legend_uncovered": "未覆盖乡镇(红圈,升级可覆盖)",
        "legend_no_candidate": "{minutes} 分钟内无可升级机构(黑色虚线圈,任何预算都无法覆盖)",
        "legend_other_tier": "由其他层级服务(不计入本层级)",
        "no_candidate": "无可升级机构",
        "status_no_candidate": "{minutes} 分钟内无可升级机构",
        "status_other_tier": "由其他层级服务",
        "legend_notes": "估算数据",
        "note_roads": "道路为估算路网,非真实道路",
        "note_roads_real": "道路:{source}",
        "note_seats": "{n} 个乡镇驻地为估算位置",
        "note_proxy": "{n} 个医疗机构为代用点",
        "note_population": "乡镇人口由 2020 年普查县级数据拆分估算",
        "note_gcj02": "底图与数据按 GCJ-02 坐标绘制(配合高德)",
        "default_title": "{province}{tier}布局方案",
        "subtitle": "{tier}:{standard} · 覆盖 {covered} / {total} 人({share})· 拟升级 {n} 处",
        "standard_value": "{minutes} 分钟内",
        "attribution": (
            "数据:2020 年人口普查(Dong 等 2022);Vonng/adcode、GeoNames(CC BY 4.0);"
            "© OpenStreetMap 贡献者(ODbL)"
        ),
        "comparison_title": "{a} 与 {b} 对比",
        "comparison_subtitle": "新增覆盖 {gained} 人 · 失去覆盖 {lost} 人 · 净变化 {net} 人",
        "coverage_change": "县域覆盖率变化",
        "legend_change": "覆盖率变化(百分点)",
        "townships_change": "乡镇覆盖变化",
        "change_gained": "新增覆盖",
        "change_lost": "失去覆盖",
        "change_kept": "两方案均覆盖",
        "change_never": "两方案均未覆盖",
        "change": "变化",
        "pp": "个百分点",
    },
    "en": {
        "city_boundaries": "City boundaries",
        "county_boundaries": "County boundaries",
        "county_coverage": "County coverage",
        "townships": "Townships (travel time)",
        "allocation": "Allocation lines",
        "uncovered": "Uncovered population",
        "existing": "Existing providers ({tier})",
        "cross_border": "Across the provincial border ({tier})",
        "upgraded": "Proposed upgrades to {tier}",
        "candidates": "Candidates not chosen",
        "other_facilities": "Other facilities",
        "approximated": "Approximated data",
        "tiles": "Web tiles: {name}",
        "tiles_osm": "OpenStreetMap",
        "tiles_tianditu": "Tianditu",
        "tiles_gaode": "Gaode (GCJ-02)",
        "name": "Name",
        "county": "County",
        "tier": "Tier",
        "status": "Status",
        "population": "Population",
        "minutes": "Travel time",
        "standard": "Standard",
        "serving": "Served by",
        "covered": "covered",
        "not_covered": "not covered",
        "reason": "Why chosen",
        "served_population": "Population served",
        "beds": "Beds",
        "coverage_share": "Coverage",
        "covered_population": "Covered population",
        "status_existing": "existing",
        "status_cross_border": "existing, across the border (never upgraded)",
        "status_upgraded": "proposed upgrade",
        "status_candidate": "candidate (not chosen)",
        "status_other": "other",
        "proxy_facility": "proxy location (approximated)",
        "synthetic_seat": "seat location approximated",
        "unreachable": "unreachable",
        "min": "min",
        "people": "people",
        "legend_coverage": "County coverage",
        "legend_minutes": "Township travel time to {tier}",
        "legend_size": "dot size = population",
        "legend_facilities": "Facilities",
        "legend_uncovered": "Uncovered township (red ring: an upgrade could cover it)",
        "legend_no_candidate": (
            "No candidate within {minutes} min (black dashed ring: no budget can cover it)"
        ),
        "legend_other_tier": "Served by another tier (not counted here)",
        "no_candidate": "No candidate within reach",
        "status_no_candidate": "no candidate within {minutes} min",
        "status_other_tier": "served by another tier",
        "legend_notes": "Approximated data",
        "note_roads": "Roads: approximated network, not real roads",
        "note_roads_real": "Roads: {source}",
        "note_seats": "{n} township seats placed approximately",
        "note_proxy": "{n} facilities are proxy locations",
        "note_population": "Township population split from 2020 county census",
        "note_gcj02": "Drawn in GCJ-02 coordinates to match Gaode tiles",
        "default_title": "{province}: {tier} plan",
        "subtitle": (
            "{tier}: {standard} · covered {covered} of {total} people ({share}) · "
            "{n} proposed upgrades"
        ),
        "standard_value": "within {minutes} min",
        "attribution": (
            "Data: 2020 census (Dong et al. 2022); Vonng/adcode, GeoNames (CC BY 4.0); "
            "© OpenStreetMap contributors (ODbL)"
        ),
        "comparison_title": "{a} compared with {b}",
        "comparison_subtitle": "gained {gained} people · lost {lost} people · net {net} people",
        "coverage_change": "Change in county coverage",
        "legend_change": "Change in coverage (percentage points)",
        "townships_change": "Township coverage change",
        "change_gained": "gained coverage",
        "change_lost": "lost coverage",
        "change_kept": "covered in both",
        "change_never": "covered in neither",
        "change": "Change",
        "pp": "pp",
    },
}


def text(key: str, language: str, **values: str) -> str:
    """Return the label `key` in `language`, with ``{name}`` fields filled.

    Parameters
    ----------
    key
        A key of `TEXT`.
    language
        ``"zh"`` or ``"en"``.
    **values
        The ``{name}`` fields of the label (not escaped).
    """
    template = TEXT[language][key]
    return template.format(**values) if values else template


def esc(value: object) -> str:
    """HTML-escape a value from data (names, reasons) for tooltips, popups and the legend."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def tier_name(tier: str, language: str) -> str:
    """Display name of a tier; unknown tiers show their code (`geodata.tiers.tier_name`)."""
    return tiers.tier_name(tier, language)


def fmt_int(value: float) -> str:
    """Whole number with thousands separators (``48,210``)."""
    return f"{round(value):,}"


def fmt_share(value: float) -> str:
    """Share 0..1 as a percentage with one decimal (``87.5%``); empty for NaN."""
    return "" if math.isnan(value) else f"{100.0 * value:.1f}%"


def fmt_minutes(value: float, language: str) -> str:
    """Whole minutes with the unit, or "unreachable" for inf/NaN."""
    if not math.isfinite(value):
        return text("unreachable", language)
    return f"{value:.0f} {text('min', language)}"


def minutes_class(minutes: float, standard: float) -> int:
    """Index into `MINUTES_COLORS` of a travel time relative to its standard."""
    if not math.isfinite(minutes):
        return len(MINUTES_COLORS) - 1
    ratio = minutes / standard if standard > 0 else math.inf
    for index, bound in enumerate(MINUTES_BREAKS):
        if ratio <= bound:
            return index
    return len(MINUTES_BREAKS)


def coverage_color(share: float) -> str:
    """Fill colour of a county coverage share (grey when unknown)."""
    if math.isnan(share):
        return "#d9d9d9"
    color = COVERAGE_CLASSES[0][1]
    for bound, candidate in COVERAGE_CLASSES:
        if share >= bound:
            color = candidate
    return color


def coverage_change_color(points: float) -> str:
    """Fill colour of a change in coverage share in percentage points."""
    if math.isnan(points):
        return "#d9d9d9"
    color = COVERAGE_CHANGE_CLASSES[0][1]
    for bound, candidate in COVERAGE_CHANGE_CLASSES:
        if points >= bound:
            color = candidate
    return color


def township_radius(population: float) -> float:
    """Circle radius in pixels: area proportional to population, kept small (2-9 px)."""
    if not math.isfinite(population) or population <= 0:
        return 2.0
    return round(min(9.0, 1.5 + 0.02 * math.sqrt(population)), 2)
