"""One home for tiers: order, names, colours and nesting come from `geodata.tiers`."""

from __future__ import annotations

from typing import get_args

from geodata.schema import TIERS as SCHEMA_TIERS
from geodata.tiers import CATALOGUE, PLANNED_TIERS, TIERS, providers_of, tier_name
from planning.defaults import DEFAULT_TIER_RULES
from scenarios.briefing._text import TIER_SHORT
from scenarios.maps.style import TIER_COLORS, TIER_NAMES
from scenarios.scenario import TierName


def test_nesting_is_the_planning_rule() -> None:
    # the providers the planning rules used before the catalogue existed
    assert providers_of("township_central") == (
        "township_central",
        "county_hospital",
        "county_3a",
        "city_3a",
    )
    assert providers_of("county_3a") == ("county_3a", "city_3a")
    assert providers_of("community_hospital") == (
        "community_hospital",
        "county_hospital",
        "county_3a",
        "city_3a",
    )
    for name, rule in DEFAULT_TIER_RULES.items():
        assert rule.providers == providers_of(name)
        assert name not in rule.serves
        assert set(rule.serves) <= set(CATALOGUE[name].provides)
    assert DEFAULT_TIER_RULES["county_3a"].serves == ("township_central", "community_hospital")


def test_every_restatement_is_the_catalogue() -> None:
    assert SCHEMA_TIERS == TIERS
    assert TIERS.index("township_central") < TIERS.index("county_3a") < TIERS.index("city_3a")
    assert set(get_args(TierName)) == set(PLANNED_TIERS) == set(DEFAULT_TIER_RULES)
    assert {c: {"zh": t.name_zh, "en": t.name_en} for c, t in CATALOGUE.items()} == TIER_NAMES
    assert {c: t.color for c, t in CATALOGUE.items()} == TIER_COLORS
    assert TIER_SHORT["county_3a"] == {"zh": "县级三甲水平", "en": "Grade-3A county"}
    assert tier_name("county_3a", "zh") == "县级三甲水平医院"
    assert tier_name("clinic", "en") == "clinic"
