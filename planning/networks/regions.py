"""The four regions of Liaoning's regional medical centres: centre, south, west and east.

The 14th Five-Year health plan and the 2022 implementation plan (seeds in ``shared/seeds``;
NORMS rows N 5.10-5.12) set up "provincial comprehensive and regional centres for specialties
in the centre, south, west and east parts of the province" but do not say which city belongs
to which part. The default below is a documented reading, overridable by the caller:

* **centre** (辽中): 沈阳 Shenyang (anchor), 鞍山 Anshan, 抚顺 Fushun, 辽阳 Liaoyang, 铁岭
  Tieling - the core of the Shenyang metropolitan circle (沈阳现代化都市圈) of the province's
  "one circle, one belt, two zones" (一圈一带两区) layout; each is 23-103 min from Shenyang's
  tertiary hospitals.
* **south** (辽南): 大连 Dalian (anchor), 营口 Yingkou - the southern end of the
  Shenyang-Dalian corridor; Yingkou is the usual second city of 辽南.
* **west** (辽西): 锦州 Jinzhou (anchor), 葫芦岛 Huludao, 朝阳 Chaoyang, 阜新 Fuxin, 盘锦 Panjin
  - Jinzhou, Huludao, Chaoyang and Fuxin form the western zone (辽西融入京津冀协同发展战略
  先导区); Panjin, claimed by both west and south, goes west: 113 min from Jinzhou's tertiary
  hospitals against 274 from Dalian's.
* **east** (辽东): 丹东 Dandong (anchor), 本溪 Benxi - the eastern mountain cities. Benxi is
  76 min from Shenyang but 191 from Dandong; ``DEFAULT_REGIONS.override({"本溪": "centre"})``
  is the travel-time alternative.

The zone memberships are recalled from the provincial 2021 layout, not from a file in
``shared/data/raw`` (ASSUMPTION, to be checked against NORMS gap 7.2).
Minutes are population-weighted means from each city's townships to the nearest general
tertiary hospital of the anchor city (`geodata` approximated roads; the command is in
``docs/networks.md``, "Regions"). Anchors follow NORMS gap 7.2: the policy does not name the
host hospitals; the anchors are the expected host cities, reported, not used by the models.

>>> from planning.networks.regions import DEFAULT_REGIONS
>>> DEFAULT_REGIONS.region_of(["210100", "211100"])
('centre', 'west')
>>> DEFAULT_REGIONS.override({"Benxi": "centre"}).cities("east")
('210600',)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from planning.errors import RuleError

__all__ = [
    "DEFAULT_REGIONS",
    "LIAONING_CITIES",
    "REGIONS",
    "RegionMap",
]

#: Region names in the order the policy lists them, with their Chinese names.
REGIONS: Final[dict[str, str]] = {
    "centre": "中部",
    "south": "南部",
    "west": "西部",
    "east": "东部",
}

#: Liaoning's 14 prefecture-level cities: GB/T 2260 code → (Chinese name, English name).
LIAONING_CITIES: Final[dict[str, tuple[str, str]]] = {
    "210100": ("沈阳市", "Shenyang"),
    "210200": ("大连市", "Dalian"),
    "210300": ("鞍山市", "Anshan"),
    "210400": ("抚顺市", "Fushun"),
    "210500": ("本溪市", "Benxi"),
    "210600": ("丹东市", "Dandong"),
    "210700": ("锦州市", "Jinzhou"),
    "210800": ("营口市", "Yingkou"),
    "210900": ("阜新市", "Fuxin"),
    "211000": ("辽阳市", "Liaoyang"),
    "211100": ("盘锦市", "Panjin"),
    "211200": ("铁岭市", "Tieling"),
    "211300": ("朝阳市", "Chaoyang"),
    "211400": ("葫芦岛市", "Huludao"),
}


@dataclass(frozen=True)
class RegionMap:
    """Which region every city belongs to.

    Attributes
    ----------
    regions
        City code → region name.
    anchors
        Region → the city expected to host its regional centre (reported only).
    reasons
        City code → why it sits in its region (documentation carried into summaries).
    """

    regions: Mapping[str, str]
    anchors: Mapping[str, str] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check every region name is non-empty and every anchor lies in its own region."""
        problems = [
            f"city {code!r} has an empty region name"
            for code, region in self.regions.items()
            if not str(region).strip()
        ]
        problems += [
            f"anchor of region {region!r} is city {code!r}, which is in region "
            f"{self.regions.get(code)!r}"
            for region, code in self.anchors.items()
            if self.regions.get(code) != region
        ]
        if problems:
            raise RuleError("; ".join(problems))

    @property
    def names(self) -> tuple[str, ...]:
        """Region names: the policy's four first, others in name order."""
        used = set(self.regions.values())
        return tuple(r for r in REGIONS if r in used) + tuple(sorted(used - set(REGIONS)))

    def cities(self, region: str) -> tuple[str, ...]:
        """City codes of `region`, sorted."""
        if region not in self.names:
            msg = f"unknown region {region!r} - use one of {', '.join(self.names)}"
            raise RuleError(msg)
        return tuple(sorted(c for c, r in self.regions.items() if r == region))

    def region_of(self, city_codes: Iterable[str]) -> tuple[str, ...]:
        """Region of every city code (raises ValueError naming the unmapped codes)."""
        codes = [str(c) for c in city_codes]
        missing = sorted(set(codes) - set(self.regions))
        if missing:
            msg = (
                f"cities without a region: {', '.join(missing[:5])} - pass "
                "RegionMap.override({city: region}) for each"
            )
            raise RuleError(msg)
        return tuple(self.regions[c] for c in codes)

    def override(self, changes: Mapping[str, str]) -> RegionMap:
        """Return a copy with cities moved to other regions.

        Keys of `changes` are codes, Chinese names (with or without 市) or English names of
        Liaoning's cities; values are region names (new ones allowed).

        An anchor whose city leaves its region is dropped.
        """
        lookup = _name_lookup()
        regions = dict(self.regions)
        reasons = dict(self.reasons)
        unknown = []
        for key, region in changes.items():
            code = lookup.get(str(key).strip().lower(), str(key))
            if code not in regions and code not in LIAONING_CITIES:
                unknown.append(str(key))
                continue
            regions[code] = region
            reasons[code] = "override by the caller"
        if unknown:
            msg = f"unknown cities {unknown} - use a city code, 沈阳/沈阳市 or Shenyang"
            raise RuleError(msg)
        anchors = {r: c for r, c in self.anchors.items() if regions.get(c) == r}
        return RegionMap(regions=regions, anchors=anchors, reasons=reasons)

    def table(self) -> pd.DataFrame:
        """One row per city: city_code, name_zh, name_en, region, region_zh, anchor, reason."""
        rows = [
            {
                "city_code": code,
                "name_zh": LIAONING_CITIES.get(code, ("", ""))[0],
                "name_en": LIAONING_CITIES.get(code, ("", ""))[1],
                "region": region,
                "region_zh": REGIONS.get(region, ""),
                "anchor": self.anchors.get(region) == code,
                "reason": self.reasons.get(code, ""),
            }
            for code, region in sorted(self.regions.items())
        ]
        return pd.DataFrame(rows)


def _name_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, (zh, en) in LIAONING_CITIES.items():
        out[zh.lower()] = code
        out[zh.removesuffix("市").lower()] = code
        out[en.lower()] = code
    return out


_CENTRE = "辽中: Shenyang metropolitan circle core (沈阳现代化都市圈)"
#: The default reading; see the module docstring for the reasoning behind every city.
DEFAULT_REGIONS: Final[RegionMap] = RegionMap(
    regions={
        "210100": "centre",
        "210300": "centre",
        "210400": "centre",
        "211000": "centre",
        "211200": "centre",
        "210200": "south",
        "210800": "south",
        "210700": "west",
        "211400": "west",
        "211300": "west",
        "210900": "west",
        "211100": "west",
        "210600": "east",
        "210500": "east",
    },
    anchors={"centre": "210100", "south": "210200", "west": "210700", "east": "210600"},
    reasons={
        "210100": _CENTRE + "; provincial capital",
        "210300": _CENTRE + "; 99 min from Shenyang",
        "210400": _CENTRE + "; 65 min from Shenyang",
        "211000": _CENTRE + "; 55 min from Shenyang",
        "211200": _CENTRE + "; 103 min from Shenyang",
        "210200": "辽南: southern end of the Shenyang-Dalian corridor",
        "210800": "辽南: coastal city between Anshan and Dalian",
        "210700": "辽西: western zone (辽西融入京津冀 strategic zone)",
        "211400": "辽西: western zone; 95 min from Jinzhou",
        "211300": "辽西: western zone; 137 min from Jinzhou",
        "210900": "辽西: western zone; 143 min from Jinzhou, 165 from Shenyang",
        "211100": "辽西: 113 min from Jinzhou against 274 from Dalian",
        "210600": "辽东: eastern mountain and border city",
        "210500": "辽东: eastern mountain city (76 min from Shenyang; override to centre)",
    },
)
