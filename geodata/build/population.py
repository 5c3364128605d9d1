"""Township population estimates: 2020 census county totals split by committee counts.

No township-level 2020 population is published for Liaoning, so each county's census figures
are split over its 2023 township-level units:

1. Weight of a unit = county urban population x (its residents'-type committees / county total)
   + county rural population x (its village committees / county total). Residents'-type
   committees are names ending in 社区/居委会/居民委员会 plus the 124 "other" committees (farm
   生活区, 家委会, 渔委会: non-village living areas); village committees end in 村/村委会/
   村民委员会. If a county has urban (rural) population but no such committee, that part is
   split by the other kind of committee instead.
2. The census county totals of the age bands 0-14, 15-64 and 65+ (sums of the 5-year sex
   bands, which add up to 人口数_合计 exactly) are each distributed over the units by largest
   remainder (Hamilton) with the unrounded weights; ``population`` is the sum of the three
   bands, so per-unit bands add up and every county total equals the census exactly.
3. Women 15-49 are distributed the same way (never more than the unit's 15-64 total; checked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geodata.build.common import PROVINCE_POPULATION, fail, hamilton, read_raw_csv

__all__ = ["POPULATION_SOURCE", "add_population", "classify_committee"]

#: Value of ``population_source`` for every township row.
POPULATION_SOURCE: Final = "census2020_county_split_by_committees"

_VILLAGES: Final = "modood_china_division/liaoning_villages_2023.csv"
_CENSUS: Final = "census2020_leiii/liaoning_census_county_2020.csv"
_URBAN_ENDINGS: Final = ("社区", "居委会", "居民委员会")
_RURAL_ENDINGS: Final = ("村委会", "村民委员会", "村")
_AGES_0_14: Final = ("0岁", "1到4岁", "5到9岁", "10到14岁")
_AGES_15_64: Final = tuple(f"{a}到{a + 4}岁" for a in range(15, 65, 5))
_AGES_65_PLUS: Final = ("65到69岁", "70到74岁", "75到79岁", "80到84岁", "85岁以上")
_AGES_15_49: Final = tuple(f"{a}到{a + 4}岁" for a in range(15, 50, 5))


def classify_committee(name: str) -> str:
    """``urban`` (社区/居委会), ``rural`` (村) or ``other`` for a village-level committee name."""
    if name.endswith(_URBAN_ENDINGS):
        return "urban"
    if name.endswith(_RURAL_ENDINGS):
        return "rural"
    return "other"


def _band_totals(census: pd.DataFrame) -> pd.DataFrame:
    def total(ages: tuple[str, ...], sexes: tuple[str, ...] = ("男", "女")) -> pd.Series:
        cols = [f"{s}_{a}" for s in sexes for a in ages]
        missing = [c for c in cols if c not in census.columns]
        if missing:
            fail(
                _CENSUS, f"column {missing[0]!r}", "age-sex band missing", "re-extract all columns"
            )
        values = census[cols].apply(pd.to_numeric, errors="coerce")
        if values.isna().any().any() or (values % 1 != 0).any().any():
            fail(_CENSUS, "男_0岁 … 女_85岁以上", "non-integer age-sex counts", "re-extract")
        summed: pd.Series = values.astype(np.int64).sum(axis=1)
        return summed

    bands = pd.DataFrame(
        {
            "pop_0_14": total(_AGES_0_14),
            "pop_15_64": total(_AGES_15_64),
            "pop_65plus": total(_AGES_65_PLUS),
            "pop_female_15_49": total(_AGES_15_49, ("女",)),
        }
    )
    total_pop = census["人口数_合计"].astype(np.int64)
    bad = bands.index[bands[["pop_0_14", "pop_15_64", "pop_65plus"]].sum(axis=1) != total_pop]
    if len(bad):
        fail(
            _CENSUS,
            "男_0岁 … 女_85岁以上",
            f"bands do not sum to 人口数_合计 for {list(bad)[:5]}",
            "re-extract",
        )
    return bands


def _split_weights(group: pd.DataFrame, urban: int, rural: int) -> tuple[np.ndarray, int]:
    """Unrounded population weight per unit; also how many parts needed the fallback."""
    u = group["n_urban_committees"].to_numpy(dtype=np.float64)
    r = group["n_rural_committees"].to_numpy(dtype=np.float64)
    fallbacks = 0
    weights = np.zeros(len(group))
    for pop, own, other in ((urban, u, r), (rural, r, u)):
        if pop == 0:
            continue
        basis = own if own.sum() > 0 else other
        if own.sum() == 0:
            fallbacks += 1
        if basis.sum() == 0:
            basis = np.ones_like(basis)
        weights += pop * basis / basis.sum()
    return weights, fallbacks


def add_population(raw: Path, towns: pd.DataFrame, census: pd.DataFrame) -> dict[str, int]:
    """Add committee counts and population columns to ``towns`` (in place).

    Parameters
    ----------
    raw
        The raw-data folder.
    towns
        Township table sorted by code (``code``, ``county_code``).
    census
        County census table indexed by 6-digit code.

    Returns
    -------
    dict
        Counts for the provenance: committees by class, fallback county parts, zero units.
    """
    villages = read_raw_csv(raw, _VILLAGES, ["code", "name", "streetCode"])
    unknown = sorted(set(villages["streetCode"]) - set(towns["code"]))
    if unknown:
        fail(
            _VILLAGES, "streetCode", f"{len(unknown)} committees in unknown townships", "re-extract"
        )
    cls = villages["name"].map(classify_committee)
    counts = pd.crosstab(villages["streetCode"], cls).reindex(towns["code"], fill_value=0)
    for col in ("urban", "rural", "other"):
        if col not in counts.columns:
            counts[col] = 0
    towns["n_urban_committees"] = (counts["urban"] + counts["other"]).to_numpy(dtype=np.int64)
    towns["n_rural_committees"] = counts["rural"].to_numpy(dtype=np.int64)
    bands = _band_totals(census)
    band_cols = list(bands.columns)
    out = np.zeros((len(towns), len(band_cols)), dtype=np.int64)
    fallbacks = 0
    urban_of = {str(k): int(v) for k, v in census["城镇人口"].items()}
    rural_of = {str(k): int(v) for k, v in census["乡村人口"].items()}
    band_of = {col: {str(k): int(v) for k, v in bands[col].items()} for col in band_cols}
    for county, group in towns.groupby("county_code", sort=True):
        urban = urban_of[str(county)]
        rural = rural_of[str(county)]
        weights, fb = _split_weights(group, urban, rural)
        fallbacks += fb
        rows = towns.index.get_indexer(group.index)
        for j, col in enumerate(band_cols):
            out[rows, j] = hamilton(band_of[col][str(county)], weights)
    for j, col in enumerate(band_cols):
        towns[col] = out[:, j]
    towns["population"] = towns["pop_0_14"] + towns["pop_15_64"] + towns["pop_65plus"]
    towns["population_source"] = POPULATION_SOURCE
    _check(towns, census)
    return {
        "committees_urban": int((cls == "urban").sum()),
        "committees_rural": int((cls == "rural").sum()),
        "committees_other": int((cls == "other").sum()),
        "fallback_county_parts": fallbacks,
        "zero_population_units": int((towns["population"] == 0).sum()),
    }


def _check(towns: pd.DataFrame, census: pd.DataFrame) -> None:
    sums = towns.groupby("county_code")["population"].sum()
    expected = census.loc[sums.index, "人口数_合计"].astype(np.int64)
    bad = sums.index[sums.to_numpy() != expected.to_numpy()]
    if len(bad):
        fail(
            "townships.csv",
            "population",
            f"county sums differ from the census for {list(bad)[:5]}",
            "report a bug",
        )
    total = int(towns["population"].sum())
    if total != PROVINCE_POPULATION:
        fail(
            "townships.csv",
            "population",
            f"province total {total:,} != {PROVINCE_POPULATION:,}",
            "report a bug",
        )
    over = towns[towns["pop_female_15_49"] > towns["pop_15_64"]]
    if len(over):
        fail(
            "townships.csv",
            "pop_female_15_49",
            f"exceeds pop_15_64 for {over['code'].tolist()[:5]}",
            "report a bug",
        )
