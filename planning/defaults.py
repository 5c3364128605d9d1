"""Documented defaults of the upgrade planning rules: standards, costs, beds, nesting.

Each value names its source row in ``shared/data/raw/planning_norms/NORMS.md`` (``N x.y``) or
says ``ASSUMPTION`` with the reason. A scenario overrides any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from geodata.tiers import CATALOGUE, close_serves, providers_of

__all__ = [
    "DEFAULT_BEDS",
    "DEFAULT_TIER_RULES",
    "TierRule",
]


@dataclass(frozen=True)
class TierRule:
    """How one planning tier is built from the facility table.

    Attributes
    ----------
    tier
        The tier planned (``township_central``, ``county_3a``, ``community_hospital``).
    standard_minutes
        Travel-time standard of the tier.
    candidates
        Facility tiers that can be upgraded to it (further limited by the flags below).
    providers
        Facility tiers that already provide it (higher tiers nest lower ones). City tertiary
        hospitals count only when they give general care (``general_care``).
    upgrade_cost_cny
        Cost of one upgrade; None uses each facility's ``upgrade_cost_cny``.
    serves
        Lower planned tiers that an upgrade to this tier also provides.
    candidate_county_types
        County types whose facilities may be upgraded (None: all).
    by_service_tier
        A primary-care tier: its demand is the people of the township-level units whose
        ``service_tier`` (townships.csv) is this tier, and its primary-care candidates
        (facilities with a ``township_code``) are those of such units. False: everyone is
        demand and candidates are not limited by township.
    own_area_candidates
        Candidates only in counties that are their own county medical community area
        (``service_area`` equal to the county code: counties, county-level cities and
        suburban districts), not in the core urban districts that a city's hospitals serve.
    source
        Where the standard and the cost come from.
    """

    tier: str
    standard_minutes: float
    candidates: tuple[str, ...]
    providers: tuple[str, ...]
    upgrade_cost_cny: float | None = None
    serves: tuple[str, ...] = ()
    candidate_county_types: tuple[str, ...] | None = None
    by_service_tier: bool = False
    own_area_candidates: bool = False
    source: str = ""


def _serves(tier: str) -> tuple[str, ...]:
    """Return the other planned tiers an upgrade to `tier` also provides (`geodata.tiers`).

    Closed transitively (`geodata.tiers.close_serves`), the one rule of nesting.
    """
    direct = {code: [t for t in entry.provides if t != code] for code, entry in CATALOGUE.items()}
    return close_serves(direct)[tier]


#: The three upgrade tiers of the 14th Five-Year plan, with their defaults. Who provides a
#: tier and what an upgrade also provides come from the catalogue of `geodata.tiers`.
DEFAULT_TIER_RULES: Final[dict[str, TierRule]] = {
    # Demand: towns, townships and the subdistricts of suburban districts (service_tier of
    # townships.csv). Candidates: their township health centres and, in those subdistricts,
    # their community health centres. District and county hospitals already provide
    # township-central service (geodata.tiers), so they are existing providers, not
    # candidates.
    "township_central": TierRule(
        tier="township_central",
        standard_minutes=30.0,
        candidates=("township_health_center", "community_health_center"),
        providers=providers_of("township_central"),
        upgrade_cost_cny=20_000_000.0,
        by_service_tier=True,
        source=(
            "standard 30 min: ASSUMPTION (N 6a; no national radius for central THCs, N 1.21; "
            "rural EMS radius 10-20 km, N 1.19); cost 2,000 万: N 6c anchored to N 4.7"
        ),
    ),
    "county_3a": TierRule(
        tier="county_3a",
        standard_minutes=60.0,
        candidates=("county_hospital",),
        providers=providers_of("county_3a"),
        upgrade_cost_cny=350_000_000.0,
        serves=_serves("county_3a"),
        # 千县工程 targets county hospitals: those of every county medical community area of
        # its own (counties, county-level cities, suburban districts); core urban districts
        # are served by the city's tertiary hospitals.
        own_area_candidates=True,
        source=(
            "standard 60 min: derived (N 6a from N 1.11 千县工程 and N 2.11 stroke-map 1-hour "
            "rule); cost 3.5 亿: N 6c, ASSUMPTION anchored to N 4.1-4.4"
        ),
    ),
    "community_hospital": TierRule(
        tier="community_hospital",
        standard_minutes=15.0,
        candidates=("community_health_center",),
        providers=providers_of("community_hospital"),
        upgrade_cost_cny=30_000_000.0,
        serves=(),
        by_service_tier=True,
        source=(
            "standard 15 min: sourced (N 1.1 15-minute service circle, N 1.4); cost 3,000 万: "
            "N 6c anchored to N 4.9-4.10"
        ),
    ),
}

#: Beds per facility tier when the facility table gives none (E2SFCA supply).
DEFAULT_BEDS: Final[dict[str, float]] = {
    "township_health_center": 30.0,  # ASSUMPTION: typical Liaoning THC, N 1.15 standardised
    "township_central": 60.0,  # ASSUMPTION: county sub-centre size
    "community_health_center": 20.0,  # ASSUMPTION
    "community_hospital": 30.0,  # N 1.23: community hospital standard >= 30 beds
    "county_hospital": 500.0,  # N 1.17: county general hospital about 500 beds
    "county_3a": 800.0,  # ASSUMPTION: tertiary-level county hospital
    "city_3a": 1_000.0,  # N 1.17: prefecture about 800, province about 1,000
    "regional_center": 1_500.0,  # N 1.17: upper end for province-run hospitals
}
