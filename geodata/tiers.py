"""Service tiers: the one catalogue of their order, names, colours and what each provides.

Facility tiers are data (the ``tier`` column of every facility table), so the catalogue
lives in the lowest layer; the planning rules (`planning.defaults`), the scenario files, the
maps and the briefings take order, names, colours and nesting from here.

>>> from geodata.tiers import TIERS, providers_of, tier_name
>>> providers_of("county_3a")
('county_3a', 'city_3a')
>>> tier_name("county_3a", "zh")
'县级三甲水平医院'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

__all__ = [
    "CATALOGUE",
    "PLANNED_TIERS",
    "TIERS",
    "Tier",
    "close_serves",
    "providers_of",
    "tier_name",
    "tier_short_name",
]


@dataclass(frozen=True)
class Tier:
    """One service tier.

    Attributes
    ----------
    code
        The ``tier`` value in facility tables.
    name_zh, name_en
        Full names (maps, legends, popups).
    short_zh, short_en
        Short names for table cells.
    color
        Map colour of facilities of this tier that are not the subject of a plan.
    provides
        The planned service tiers a facility of this tier provides (itself included when it
        is one): a county 3A hospital provides county-3A, central-township and community
        service. City tertiary hospitals provide them only when they give general care (a
        rule of `planning.upgrades`).
    planned
        Whether the planning models upgrade sites to this tier.
    """

    code: str
    name_zh: str
    name_en: str
    short_zh: str
    short_en: str
    color: str
    provides: tuple[str, ...] = ()
    planned: bool = False


_PRIMARY: Final = ("township_central", "community_hospital")

#: Low to high. A site providing tier T also provides the tiers in its ``provides``.
CATALOGUE: Final[dict[str, Tier]] = {
    t.code: t
    for t in (
        Tier(
            "township_health_center",
            "乡镇卫生院",
            "township health center",
            "乡镇卫生院",
            "township health center",
            "#8c8c8c",
        ),
        Tier(
            "township_central",
            "中心乡镇卫生院",
            "central township hospital",
            "中心乡镇卫生院",
            "central township",
            "#4d9221",
            provides=("township_central",),
            planned=True,
        ),
        Tier(
            "community_health_center",
            "社区卫生服务中心",
            "community health center",
            "社区卫生服务中心",
            "community health center",
            "#80b1d3",
        ),
        Tier(
            "community_hospital",
            "社区医院",
            "community hospital",
            "社区医院",
            "community hospital",
            "#1f78b4",
            provides=("community_hospital",),
            planned=True,
        ),
        Tier(
            "county_hospital",
            "县级医院",
            "county hospital",
            "县级医院",
            "county hospital",
            "#5e3c99",
            provides=_PRIMARY,
        ),
        Tier(
            "county_3a",
            "县级三甲水平医院",
            "Grade-3A-level county hospital",
            "县级三甲水平",
            "Grade-3A county",
            "#2c7bb6",
            provides=(*_PRIMARY, "county_3a"),
            planned=True,
        ),
        Tier(
            "city_3a",
            "市级三甲医院",
            "city tertiary (3A) hospital",
            "市级三甲医院",
            "city tertiary hospital",
            "#252525",
            provides=(*_PRIMARY, "county_3a"),
        ),
        Tier(
            "regional_center",
            "区域医疗中心",
            "regional medical center",
            "区域医疗中心",
            "regional center",
            "#000000",
        ),
    )
}

#: Tier codes, low to high.
TIERS: Final = tuple(CATALOGUE)
#: The tiers the planning models upgrade sites to, in catalogue order.
PLANNED_TIERS: Final = tuple(code for code, tier in CATALOGUE.items() if tier.planned)


def providers_of(tier: str) -> tuple[str, ...]:
    """Return the facility tiers that provide the service tier `tier`, low to high."""
    return tuple(code for code, entry in CATALOGUE.items() if tier in entry.provides)


def close_serves(serves: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """Return the transitive closure of a "serves" relation: the one rule of nesting.

    A serves B and B serves C means an A provides C: a site upgraded (or designated) to A
    also provides every tier reachable from A. The upgrade plans (`planning.upgrades`, and
    `optimizer.upgrade`, which closes its tiers' ``serves`` the same way) and the designated
    networks (`planning.networks.designation`) both nest tiers by it.

    Parameters
    ----------
    serves
        Tier name -> the tiers it serves directly (names not in the mapping serve none).

    Returns
    -------
    dict[str, tuple[str, ...]]
        Tier name -> every tier it serves, directly or through others, in first-found order,
        never itself.

    >>> close_serves({"a": ["b"], "b": ["c"], "c": []})
    {'a': ('b', 'c'), 'b': ('c',), 'c': ()}
    """
    out: dict[str, tuple[str, ...]] = {}
    for top in serves:
        found: list[str] = []
        stack = list(serves[top])[::-1]
        while stack:
            name = stack.pop()
            if name == top or name in found:
                continue
            found.append(name)
            stack.extend(list(serves.get(name, ()))[::-1])
        out[top] = tuple(found)
    return out


def tier_name(tier: str, language: str) -> str:
    """Return the full name of `tier` in ``"zh"`` or ``"en"`` (the code for unknown tiers)."""
    entry = CATALOGUE.get(tier)
    if entry is None:
        return tier
    return entry.name_zh if language == "zh" else entry.name_en


def tier_short_name(tier: str, language: str) -> str:
    """Return the short name of `tier` for table cells (the code for unknown tiers)."""
    entry = CATALOGUE.get(tier)
    if entry is None:
        return tier
    return entry.short_zh if language == "zh" else entry.short_en
