"""County population projections 2020-2035 of the shipped dataset (``projections.csv``).

Run on its own from the repository root (the full build ``python -m geodata.build.liaoning``
calls it too)::

    python -m geodata.build.projections --raw ../shared/data/raw [--out geodata/datasets/liaoning]

Reads the 2020 county census (age-sex bands) and the 2010/2020 city census panel of
``census2020_leiii``, projects every county with `geodata.projection.project_counties`
(cohort-component, three variants; method and assumptions in ``docs/projections.md``) and
writes ``projections.csv``: one row per county, year and variant with the demand columns.
Deterministic: the same raw files give the same bytes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from geodata import projection as proj
from geodata.build.common import PROVINCE_POPULATION, fail, read_raw_csv, write_csv

__all__ = [
    "CITY_FILE",
    "COUNTY_FILE",
    "build_projections",
    "main",
    "parameters",
    "province_table",
    "read_census",
    "render_section",
    "write_projections",
]

#: The 2020 county census table (age-sex bands), relative to the raw-data folder.
COUNTY_FILE: Final = "census2020_leiii/liaoning_census_county_2020.csv"
#: The 2010/2020 city panel (totals, broad age shares, sex ratios).
CITY_FILE: Final = "census2020_leiii/liaoning_census_city_2010_2020.csv"
_CITY_COLUMNS: Final = (
    "city_code",
    "popu_2010",
    "popu_2020",
    "male_female_2010",
    "age_0_14_2010",
    "age_15_59_2010",
    "age_60_2010",
    "age_65_2010",
)
_N_COUNTIES: Final = 100
_DEFAULT_OUT: Final = Path(__file__).resolve().parents[1] / "datasets" / "liaoning"


def read_census(raw: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the county rows of the 2020 census and the 2010/2020 city panel.

    Parameters
    ----------
    raw
        The shared raw-data folder.

    Returns
    -------
    tuple
        County rows (``区划代码`` of a county: not ending in ``00``), sorted by code; the
        city panel. Every column is text.

    Raises
    ------
    geodata.errors.HealthplanDataError
        A missing file or column, a county count other than 100, or a city whose 2020 total
        differs from the sum of its counties.
    """
    county = read_raw_csv(raw, COUNTY_FILE, ["区划代码", "人口数_合计"])
    county = county[~county["区划代码"].str.endswith("00")].sort_values("区划代码")
    if len(county) != _N_COUNTIES:
        fail(COUNTY_FILE, "区划代码", f"{len(county)} county rows, expected 100", "re-extract")
    cities = read_raw_csv(raw, CITY_FILE, _CITY_COLUMNS)
    sums = county.groupby(county["区划代码"].str[:4] + "00")["人口数_合计"].apply(
        lambda s: int(s.astype(np.int64).sum())
    )
    panel = cities.set_index("city_code")["popu_2020"].astype(np.int64)
    bad = [c for c in sums.index if c not in panel.index or int(panel[c]) != int(sums[c])]
    if bad:
        fail(
            CITY_FILE,
            "popu_2020",
            f"city {bad[0]} differs from the sum of its counties in {COUNTY_FILE}",
            "use the files of one extraction (see census2020_leiii/PROVENANCE.md)",
        )
    return county.reset_index(drop=True), cities


def build_projections(raw: Path) -> pd.DataFrame:
    """Project every county for every year and variant (`geodata.projection.project_counties`).

    Parameters
    ----------
    raw
        The shared raw-data folder.

    Returns
    -------
    pandas.DataFrame
        `geodata.projection.PROJECTION_COLUMNS`.

    Raises
    ------
    geodata.errors.HealthplanDataError
        Bad raw files, or a 2020 province total other than the census's 42,591,407.
    """
    county, cities = read_census(raw)
    frame = proj.project_counties(county, cities)
    base = frame[(frame["year"] == proj.BASE_YEAR)]
    for variant, rows in base.groupby("variant"):
        total = int(rows["population"].sum())
        if total != PROVINCE_POPULATION:
            fail(
                "projections.csv",
                "population",
                f"2020 {variant} total {total:,} != {PROVINCE_POPULATION:,}",
                "report a bug",
            )
    census = county.set_index("区划代码")["人口数_合计"].astype(np.int64)
    own = base[base["variant"] == "central"].set_index("county_code")["population"]
    if not own.reindex(census.index).astype(np.int64).equals(census):
        fail(
            "projections.csv",
            "population",
            "2020 county rows differ from 人口数_合计",
            "report a bug",
        )
    return frame


def write_projections(frame: pd.DataFrame, path: Path) -> int:
    """Write ``projections.csv``; returns the number of data rows.

    Parameters
    ----------
    frame
        From `build_projections`.
    path
        The file.
    """
    cols = list(proj.PROJECTION_COLUMNS)
    return write_csv(path, cols, frame[cols].itertuples(index=False))


def province_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Province totals and the 65+ share per year and variant.

    Parameters
    ----------
    frame
        From `build_projections` (or `geodata.projection.read_projections`).

    Returns
    -------
    pandas.DataFrame
        One row per year and variant: the demand columns summed, ``share_65plus`` in %.
    """
    cols = list(proj.DEMAND_COLUMNS)
    order = {v: i for i, v in enumerate(proj.VARIANTS)}
    table = frame.groupby(["year", "variant"], sort=False)[cols].sum().reset_index()
    table = table.sort_values(
        ["year", "variant"], key=lambda s: s.map(order) if s.name == "variant" else s
    )
    table["share_65plus"] = 100.0 * table["pop_65plus"] / table["population"]
    return table.reset_index(drop=True)


def parameters() -> dict[str, Any]:
    """Every assumption of the projection, for the dataset manifest."""
    return {
        "e0_2020": dict(proj.E0_2020),
        "e0_gain_per_5y": dict(proj.E0_GAIN),
        "e0_gain_per_5y_2010_2020": proj.E0_GAIN_PAST,
        "hazard_shape": {k: dict(v) for k, v in proj.HAZARD_SHAPE.items()},
        "fertility_factor": dict(proj.FERTILITY_FACTOR),
        "migration_factor_out": dict(proj.MIGRATION_FACTOR_OUT),
        "migration_factor_in": dict(proj.MIGRATION_FACTOR_IN),
        "migration_profile_5_9_to_85plus": list(proj.MIGRATION_PROFILE),
    }


def render_section(frame: pd.DataFrame) -> str:
    """Render the ``projections.csv`` section of the dataset's PROVENANCE.md.

    Parameters
    ----------
    frame
        From `build_projections`.
    """
    table = province_table(frame)
    lines = [
        "| year | variant | population | 0-14 | 15-64 | 65+ | women 15-49 | 65+ share |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples(index=False):
        if r.year == proj.BASE_YEAR and r.variant != proj.VARIANTS[0]:
            continue  # the census, the same in every variant
        variant = proj.CENSUS_VARIANT if r.year == proj.BASE_YEAR else str(r.variant)
        lines.append(
            f"| {r.year} | {variant} | {r.population:,} | {r.pop_0_14:,} | {r.pop_15_64:,} | "
            f"{r.pop_65plus:,} | {r.pop_female_15_49:,} | {r.share_65plus:.1f} % |"
        )
    body = "\n".join(lines)
    e0 = proj.E0_2020
    return f"""
## projections.csv - county population projections (model, not census)

One row per county, year (2020, 2025, 2030, 2035) and variant (low, central, high) with
`population`, `pop_0_14`, `pop_15_64`, `pop_65plus`, `pop_female_15_49`
(`python -m geodata.build.projections`, method `geodata.projection`, documented with every
assumption in the repository's `docs/projections.md`; the assumptions are the `projections`
build parameter below). 2020 is the census itself (every variant); `population` = the sum of
the three bands. Cohort-component by sex and 5-year age from
`{COUNTY_FILE}`: model life tables (Gompertz-Makeham) at e0
{e0["male"]} (men) / {e0["female"]} (women) in 2020 (ASSUMPTION), children 0-4 from each
county's 2020 child-woman ratio x a variant factor, net migration per city from the 2010-2020
residual of `{CITY_FILE}`. `geodata.Dataset.with_population(year, variant)`
carries a projection down to townships by their 2020 share of each band (largest remainder).
Province totals:

{body}
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (``python -m geodata.build.projections``)."""
    parser = argparse.ArgumentParser(
        prog="python -m geodata.build.projections", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--raw",
        type=Path,
        default=Path("../shared/data/raw"),
        help="shared raw-data folder (default %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=_DEFAULT_OUT,
        help="output folder (default: the packaged dataset)",
    )
    args = parser.parse_args(argv)
    frame = build_projections(args.raw)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = write_projections(frame, args.out / proj.PROJECTIONS_FILE)
    print(f"{proj.PROJECTIONS_FILE:<20} {rows:>6} rows")
    for r in province_table(frame).itertuples(index=False):
        print(f"{r.year} {r.variant:<8} {r.population:>11,}  65+ {r.share_65plus:5.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
