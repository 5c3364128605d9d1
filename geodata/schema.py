"""Names shared by every layer: service tiers, admin levels and the columns of each frame.

The spelling here is the spelling everywhere (scenario files, outputs, maps).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ADMIN_LEVELS",
    "ADMIN_UNIT_COLUMNS",
    "CODE_LENGTHS",
    "DEMAND_AGE_BANDS",
    "DEMAND_COLUMNS",
    "FACILITY_COLUMNS",
    "FACILITY_OPTIONAL_COLUMNS",
    "TIERS",
    "TOWNSHIP_KINDS",
]

#: Service tiers, low to high (DESIGN.md). A site providing tier T also provides every tier
#: below it in its branch (the upgrade models in `scenarios` define the nesting they use).
TIERS: Final = (
    "township_health_center",
    "township_central",
    "community_health_center",
    "community_hospital",
    "county_hospital",
    "county_3a",
    "city_3a",
    "regional_center",
)

#: Administrative levels and the length of their GB/T 2260 / NBS codes.
ADMIN_LEVELS: Final = ("province", "city", "county", "township")
CODE_LENGTHS: Final[dict[str, int]] = {"province": 6, "city": 6, "county": 6, "township": 9}

#: Township-level unit kinds: 街道 subdistrict, 镇 town, 乡 township, and `special` for state
#: farms, development zones, prisons and "飞地经济区" units of the NBS list.
TOWNSHIP_KINDS: Final = ("subdistrict", "town", "township", "special")

ADMIN_UNIT_COLUMNS: Final = ("code", "name_zh", "name_en", "level", "parent_code")

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
)
