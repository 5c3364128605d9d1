"""Names shared by every layer: service tiers, admin levels and the columns of each frame.

The spelling here is the spelling everywhere (scenario files, outputs, maps). The full data
contract (every layer, column, type, unit and allowed value) is ``docs/data_contract.md``.
"""

from __future__ import annotations

from typing import Final

from geodata.tiers import TIERS as CATALOGUE_TIERS

__all__ = [
    "ADMIN_LEVELS",
    "ADMIN_UNIT_COLUMNS",
    "ADMIN_UNIT_OPTIONAL_COLUMNS",
    "CODE_LENGTHS",
    "COUNTY_TYPES",
    "DEMAND_AGE_BANDS",
    "DEMAND_COLUMNS",
    "FACILITY_COLUMNS",
    "FACILITY_OPTIONAL_COLUMNS",
    "SERVICE_TIERS",
    "TIERS",
    "TOWNSHIP_KINDS",
    "URBAN_AREA_PREFIX",
    "county_type_of",
]

#: Service tiers, low to high: the catalogue of `geodata.tiers` (names, colours, nesting).
TIERS: Final = CATALOGUE_TIERS

#: Administrative levels and the length of their GB/T 2260 / NBS codes.
ADMIN_LEVELS: Final = ("province", "city", "county", "township")
CODE_LENGTHS: Final[dict[str, int]] = {"province": 6, "city": 6, "county": 6, "township": 9}

#: Township-level unit kinds: 街道 subdistrict, 镇 town, 乡 township, and `special` for state
#: farms, development zones, prisons and "飞地经济区" units of the NBS list.
TOWNSHIP_KINDS: Final = ("subdistrict", "town", "township", "special")

#: County-level unit types: 区 district, 县 county (also 自治县), 市 county-level city.
#: Planning rules choose candidate sites by county type (a county hospital in a district is
#: not a county_3a candidate by default).
COUNTY_TYPES: Final = ("district", "county", "county_level_city")

ADMIN_UNIT_COLUMNS: Final = ("code", "name_zh", "name_en", "level", "parent_code")
#: Optional admin-unit columns: ``kind`` (township rows, one of `TOWNSHIP_KINDS`),
#: ``county_type`` (county rows, one of `COUNTY_TYPES`; derived with `county_type_of` when the
#: column is absent), ``population`` (census residents) and ``coord_source`` (township rows:
#: where the seat point comes from).
#: ``service_area`` and ``service_area_basis`` (county rows: the county medical community area,
#: the county's own code or ``urban-<city code>``, and why), ``service_tier`` and
#: ``service_tier_basis`` (township rows: one of `SERVICE_TIERS`, and why).
ADMIN_UNIT_OPTIONAL_COLUMNS: Final = (
    "kind",
    "county_type",
    "population",
    "coord_source",
    "service_area",
    "service_area_basis",
    "service_tier",
    "service_tier_basis",
)
#: Primary-care tiers a township-level unit can be meant to be served by (``service_tier``).
SERVICE_TIERS: Final = ("township_central", "community_hospital")
#: Prefix of the ``service_area`` shared by the core urban districts of a city.
URBAN_AREA_PREFIX: Final = "urban-"

DEMAND_COLUMNS: Final = ("demand_id", "township_code", "county_code", "city_code", "population")
#: Optional demand columns carried from the census (weights for specialised services).
DEMAND_AGE_BANDS: Final = ("pop_0_14", "pop_15_64", "pop_65plus", "pop_female_15_49")

FACILITY_COLUMNS: Final = ("facility_id", "name_zh", "tier", "county_code", "city_code")
FACILITY_OPTIONAL_COLUMNS: Final = (
    "name_en",
    "beds",
    "upgrade_cost_cny",
    "is_proxy",
    "location_source",
    "grade",
    "hospital_type",
    "general_care",
    "township_code",
)


def county_type_of(name_zh: str) -> str:
    """Return the county type a county-level name implies (the rule of the shipped dataset).

    Parameters
    ----------
    name_zh
        Full Chinese name of a county-level unit, e.g. ``"新民市"``.

    Returns
    -------
    str
        ``"district"`` for a name ending in 区, ``"county_level_city"`` for 市, else
        ``"county"`` (县, 自治县).
    """
    if name_zh.endswith("区"):
        return "district"
    if name_zh.endswith("市"):
        return "county_level_city"
    return "county"
