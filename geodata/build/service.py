"""Who each tier serves: the county medical community area and the primary-care tier of a place.

Two decisions of the Liaoning build, both taken from data (thresholds documented in
``docs/decisions.md`` and written into ``PROVENANCE.md``):

1. **County medical community area** (``service_area`` of a county row). A county (县), a
   county-level city (市) and a *suburban* district form their own area (their own code); the
   *core urban* districts of a city form one area ``urban-<city code>``. A district is
   suburban when at least `SUBURBAN_RURAL_SHARE` of its 2020 census residents are rural
   (乡村人口 / 人口数_合计). In Liaoning the district shares fall into two groups with a gap
   between 9.0 % (东洲区) and 11.3 % (金州区); 10 % lies in that gap.
2. **Primary-care tier of a township-level unit** (``service_tier``): towns (镇) and townships
   (乡) are served by a ``township_central`` hospital. Subdistricts (街道) and special units of
   a core urban district are served by a ``community_hospital``. Subdistricts and special
   units elsewhere (suburban districts, counties, county-level cities) are served by a
   ``township_central`` hospital when at least `RURAL_COMMITTEE_SHARE` of their committees are
   rural, else by a ``community_hospital``. The rural share is the larger of two figures: the
   2023 village committees (村民委员会, `n_rural_committees`) over all committees, and the 2016
   committees of the same unit (Vonng/adcode, matched by the seat join) whose NBS
   urban-rural class (城乡分类代码) is rural (2xx: 乡中心区, 村庄). The 2016 figure keeps
   subdistricts whose villages were renamed 社区 without ceasing to be villages (金州区
   三十里堡街道: 0 village committees in 2023, 5 of 20 committees rural in 2016).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pandas as pd

from geodata.build.common import read_raw_csv

__all__ = [
    "RURAL_COMMITTEE_SHARE",
    "SUBURBAN_RURAL_SHARE",
    "add_service_areas",
    "add_service_tiers",
]

#: A district with at least this share of rural census residents is suburban (own area).
SUBURBAN_RURAL_SHARE: Final = 0.10
#: A subdistrict outside the core urban districts with at least this share of rural
#: committees is served by a township central hospital.
RURAL_COMMITTEE_SHARE: Final = 0.20

_VONNG: Final = "vonng_adcode/liaoning_adcode_2016.csv"
_TYPE_WORDS: Final = {"county": "county (县)", "county_level_city": "county-level city (市)"}


def add_service_areas(units: pd.DataFrame) -> None:
    """Add ``service_area`` and ``service_area_basis`` to the county rows (in place).

    Parameters
    ----------
    units
        The province, city and county units with ``code``, ``parent_code``, ``level``,
        ``county_type``, ``population`` and ``rural`` (census 乡村人口).
    """
    areas, bases = [], []
    for row in units.itertuples(index=False):
        if row.level != "county":
            areas.append("")
            bases.append("")
            continue
        if row.county_type != "district":
            areas.append(str(row.code))
            bases.append(f"{_TYPE_WORDS[str(row.county_type)]}: its own county medical community")
            continue
        rural_people, people = int(str(row.rural)), int(str(row.population))
        share = rural_people / people if people else 0.0
        figure = f"rural population {100 * share:.1f} % (census 2020)"
        if share >= SUBURBAN_RURAL_SHARE:
            areas.append(str(row.code))
            bases.append(f"suburban district, {figure} >= {100 * SUBURBAN_RURAL_SHARE:.0f} %")
        else:
            areas.append(f"urban-{row.parent_code}")
            bases.append(f"core urban district, {figure} < {100 * SUBURBAN_RURAL_SHARE:.0f} %")
    units["service_area"] = areas
    units["service_area_basis"] = bases


def _rural_2016(raw: Path) -> dict[str, tuple[int, int]]:
    """2016 unit code (9 digits) -> (rural committees, all committees) by NBS class."""
    vonng = read_raw_csv(raw, _VONNG, ["code", "level", "ur_code"])
    villages = vonng[vonng["level"] == "village"]
    unit = villages["code"].str[:9]
    rural = villages["ur_code"].str.startswith("2")
    counts = pd.DataFrame({"unit": unit, "rural": rural}).groupby("unit")["rural"]
    return {
        str(k): (int(r), int(n))
        for k, r, n in zip(counts.sum().index, counts.sum(), counts.size(), strict=True)
    }


def add_service_tiers(raw: Path, towns: pd.DataFrame, units: pd.DataFrame) -> None:
    """Add ``service_tier`` and ``service_tier_basis`` to the township rows (in place).

    Parameters
    ----------
    raw
        The raw-data folder (Vonng/adcode for the 2016 urban-rural classes).
    towns
        Township table with ``kind``, ``county_code``, ``n_urban_committees``,
        ``n_rural_committees`` and ``vonng_code`` (the matched 2016 unit, or empty).
    units
        The units after `add_service_areas`.
    """
    by_code = units.set_index("code")
    rural_2016 = _rural_2016(raw)
    tiers, bases = [], []
    for t in towns.itertuples(index=False):
        county = by_code.loc[str(t.county_code)]
        if t.kind in ("town", "township"):
            tiers.append("township_central")
            bases.append("town (镇)" if t.kind == "town" else "township (乡)")
            continue
        what = "subdistrict" if t.kind == "subdistrict" else "special unit"
        if str(county["service_area"]).startswith("urban-"):
            tiers.append("community_hospital")
            bases.append(f"{what} of core urban district {county['name_zh']}")
            continue
        urban, rural = int(str(t.n_urban_committees)), int(str(t.n_rural_committees))
        share_2023 = rural / (urban + rural) if urban + rural else 0.0
        old_rural, old_all = (
            rural_2016.get(str(t.vonng_code)[:9], (0, 0)) if t.vonng_code else (0, 0)
        )
        share_2016 = old_rural / old_all if old_all else 0.0
        if share_2016 > share_2023:
            figure = f"{old_rural} of {old_all} committees rural in 2016 (NBS class 2xx)"
        else:
            figure = f"{rural} of {urban + rural} committees rural in 2023"
        limit = f"{100 * RURAL_COMMITTEE_SHARE:.0f} %"
        if max(share_2016, share_2023) >= RURAL_COMMITTEE_SHARE:
            tiers.append("township_central")
            bases.append(f"{what} of {county['name_zh']}, {figure} (>= {limit})")
        else:
            tiers.append("community_hospital")
            bases.append(f"{what} of {county['name_zh']}, {figure} (< {limit})")
    towns["service_tier"] = tiers
    towns["service_tier_basis"] = bases
