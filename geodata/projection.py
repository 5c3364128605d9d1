"""County population projections by age band, carried down to townships.

The shipped Liaoning dataset holds ``projections.csv``: one row per county, year
(`YEARS`) and variant (`VARIANTS`) with the demand columns (`DEMAND_COLUMNS`), built by
`geodata.build.projections` with the cohort-component method of this module (method,
assumptions and figures: ``docs/projections.md``). `Dataset.with_population` swaps a world's
township demand for one projection:

>>> import geodata
>>> world = geodata.load_dataset("liaoning")
>>> future = world.with_population(2035, "central")
>>> future.population_year, future.population_variant
(2035, 'central')

Townships keep their 2020 share of their county in every band (the way the 2020 county census
figures are split today, ``population_source = census2020_county_split_by_committees``);
integers by largest remainder, so every county sums to its projected figure exactly.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from geodata.errors import HealthplanDataError

if TYPE_CHECKING:
    from geodata.dataset import Dataset

__all__ = [
    "BAND_COLUMNS",
    "BASE_YEAR",
    "CENSUS_VARIANT",
    "DEMAND_COLUMNS",
    "PROJECTIONS_FILE",
    "PROJECTION_COLUMNS",
    "VARIANTS",
    "YEARS",
    "carry_down",
    "check_choice",
    "largest_remainder",
    "read_projections",
    "with_population",
]

#: Projection variants, low to high population.
VARIANTS: Final = ("low", "central", "high")
#: Projection years; 2020 is the census base (identical in every variant).
YEARS: Final = (2020, 2025, 2030, 2035)
#: The census year the projections start from.
BASE_YEAR: Final = 2020
#: `Dataset.population_variant` of a world with the 2020 census population.
CENSUS_VARIANT: Final = "census"
#: Age bands that add up to ``population`` (``pop_female_15_49`` is part of ``pop_15_64``).
BAND_COLUMNS: Final = ("pop_0_14", "pop_15_64", "pop_65plus")
#: Township demand columns a projection replaces.
DEMAND_COLUMNS: Final = ("population", *BAND_COLUMNS, "pop_female_15_49")
#: File of the shipped dataset that holds the county projections.
PROJECTIONS_FILE: Final = "projections.csv"
#: Columns of ``projections.csv``.
PROJECTION_COLUMNS: Final = ("county_code", "year", "variant", *DEMAND_COLUMNS)


def check_choice(year: object, variant: object) -> tuple[int, str]:
    """Return ``(year, variant)`` when both are valid projection choices, else raise.

    Parameters
    ----------
    year
        One of `YEARS`.
    variant
        One of `VARIANTS`.

    Returns
    -------
    tuple
        The year as ``int`` and the variant.

    Raises
    ------
    geodata.errors.HealthplanDataError
        One line naming the bad value and the valid ones.
    """
    if isinstance(year, bool) or not isinstance(year, int | np.integer) or int(year) not in YEARS:
        msg = (
            f"population year {year!r} has no projection - use one of "
            f"{', '.join(str(y) for y in YEARS)}"
        )
        raise HealthplanDataError(msg)
    if not isinstance(variant, str) or variant not in VARIANTS:
        msg = f"population variant {variant!r} is unknown - use one of {', '.join(VARIANTS)}"
        raise HealthplanDataError(msg)
    return int(year), variant


def largest_remainder(total: int, weights: ArrayLike) -> NDArray[np.int64]:
    """Split a non-negative integer in proportion to weights by largest remainder (Hamilton).

    Ties in the remainders go to the earlier element (the result depends only on the order of
    `weights`); if every weight is zero the total is split equally. The same rule as the
    dataset build's 2020 split (`geodata.build.common.hamilton`).

    Parameters
    ----------
    total
        Non-negative integer to distribute.
    weights
        Non-negative weights, one per recipient.

    Returns
    -------
    numpy.ndarray
        Integers summing exactly to `total`.
    """
    w = np.asarray(weights, dtype=np.float64)
    if total < 0 or np.any(w < 0):
        msg = "largest_remainder: weights and total must be non-negative"
        raise ValueError(msg)
    if w.size == 0:
        if total:
            msg = f"largest_remainder: cannot split {total} over no recipients"
            raise ValueError(msg)
        return np.zeros(0, dtype=np.int64)
    if w.sum() <= 0:
        w = np.ones_like(w)
    quota = total * w / w.sum()
    base = np.floor(quota).astype(np.int64)
    short = int(total - base.sum())
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:short]] += 1
    result: NDArray[np.int64] = base
    return result


def read_projections(path: str | Path) -> pd.DataFrame:
    """Read and check a ``projections.csv`` (columns `PROJECTION_COLUMNS`).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    pandas.DataFrame
        ``county_code`` and ``variant`` as text, ``year`` and the demand columns as int64.

    Raises
    ------
    geodata.errors.HealthplanDataError
        A missing column, a non-integer or negative figure, bands that do not add up, or a
        missing county/year/variant combination (one line naming file, field and fix).
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: file: projections missing - rebuild: python -m geodata.build.projections"
        raise HealthplanDataError(msg)
    frame = pd.read_csv(path, dtype={"county_code": str, "variant": str}, encoding="utf-8")
    missing = [c for c in PROJECTION_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"{path.name}: column {missing[0]!r}: missing - rebuild the projections"
        raise HealthplanDataError(msg)
    for col in ("year", *DEMAND_COLUMNS):
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any() or (values % 1 != 0).any() or (values < 0).any():
            msg = f"{path.name}: column {col!r}: not a non-negative integer - rebuild"
            raise HealthplanDataError(msg)
        frame[col] = values.astype(np.int64)
    if (frame[list(BAND_COLUMNS)].sum(axis=1) != frame["population"]).any():
        msg = (
            f"{path.name}: column 'population': not the sum of {', '.join(BAND_COLUMNS)} - rebuild"
        )
        raise HealthplanDataError(msg)
    counties = frame["county_code"].unique()
    expected = len(counties) * len(YEARS) * len(VARIANTS)
    keys = frame[["county_code", "year", "variant"]].drop_duplicates()
    if len(keys) != len(frame) or len(frame) != expected or not keys["year"].isin(YEARS).all():
        msg = (
            f"{path.name}: columns county_code/year/variant: need exactly one row per county, "
            f"year ({', '.join(map(str, YEARS))}) and variant ({', '.join(VARIANTS)}) - rebuild"
        )
        raise HealthplanDataError(msg)
    return frame[list(PROJECTION_COLUMNS)].reset_index(drop=True)


def carry_down(
    base: pd.DataFrame, county_totals: pd.DataFrame, *, source: str = PROJECTIONS_FILE
) -> pd.DataFrame:
    """Split county band totals over townships by their base-year share of each band.

    Each township keeps its share of its county in every band of `BAND_COLUMNS` and in
    ``pop_female_15_49``; the integers come from `largest_remainder` in the row order of
    `base` (deterministic), so every county sums to its figure exactly. ``population`` is the
    sum of the three bands, as in the 2020 split.

    Parameters
    ----------
    base
        Base-year townships: ``county_code`` and the band columns (integers).
    county_totals
        Target figures indexed by county code, with the band columns.
    source
        Name used in error messages.

    Returns
    -------
    pandas.DataFrame
        The `DEMAND_COLUMNS` (int64), same index and order as `base`.

    Raises
    ------
    geodata.errors.HealthplanDataError
        A county of `base` without figures.
    """
    bands = [*BAND_COLUMNS, "pop_female_15_49"]
    missing = sorted(set(base["county_code"]) - set(county_totals.index))
    if missing:
        msg = (
            f"{source}: column 'county_code': no projection for {len(missing)} counties of the "
            f"world (first {missing[0]}) - use the dataset the projections were built for"
        )
        raise HealthplanDataError(msg)
    out = np.zeros((len(base), len(bands)), dtype=np.int64)
    codes = base["county_code"].to_numpy()
    targets = county_totals[bands].to_numpy(dtype=np.int64)
    position = {code: i for i, code in enumerate(county_totals.index)}
    for county in sorted(set(codes)):
        rows = np.flatnonzero(codes == county)
        for j, band in enumerate(bands):
            weights = base[band].to_numpy(dtype=np.float64)[rows]
            out[rows, j] = largest_remainder(int(targets[position[county], j]), weights)
    result = pd.DataFrame(out, columns=bands, index=base.index)
    result.insert(0, "population", result[list(BAND_COLUMNS)].sum(axis=1))
    return result


def _projection_table(world: Dataset) -> pd.DataFrame:
    from geodata.datasets import available, get_path

    if world.name not in available():
        msg = (
            f"{world.name}: population projections exist for the shipped datasets only "
            f"({', '.join(available())}) - plan this world with its own population (year "
            f"{BASE_YEAR})"
        )
        raise HealthplanDataError(msg)
    return read_projections(get_path(world.name) / PROJECTIONS_FILE)


def with_population(world: Dataset, year: int, variant: str = "central") -> Dataset:
    """Return `world` with its townships' demand columns replaced by one projection.

    The implementation of `Dataset.with_population` (see there).

    Parameters
    ----------
    world
        A loaded world (the shipped dataset for any year other than 2020).
    year
        One of `YEARS`.
    variant
        One of `VARIANTS`.

    Returns
    -------
    geodata.Dataset
        A new world sharing boundaries, facilities, seats and road graphs with `world`.
    """
    year, variant = check_choice(year, variant)
    if year == BASE_YEAR and world.population_year == BASE_YEAR:
        return dataclasses.replace(
            world,
            townships=world.townships.copy(),
            demand=world.demand.copy(),
            population_variant=CENSUS_VARIANT,
        )
    table = None if year == BASE_YEAR else _projection_table(world)
    census = world.census_population
    if table is None:
        figures = census[list(DEMAND_COLUMNS)]
    else:
        rows = table[(table["year"] == year) & (table["variant"] == variant)]
        base_rows = table[(table["year"] == BASE_YEAR) & (table["variant"] == variant)]
        base_sums = census.groupby("county_code")[list(DEMAND_COLUMNS)].sum().astype(np.int64)
        expected = base_rows.set_index("county_code")[list(DEMAND_COLUMNS)]
        if not expected.reindex(base_sums.index).equals(base_sums):
            msg = (
                f"{world.name}/{PROJECTIONS_FILE}: year {BASE_YEAR}: county figures differ "
                "from the townships' census sums - rebuild the dataset (make data)"
            )
            raise HealthplanDataError(msg)
        source = f"{world.name}/{PROJECTIONS_FILE}"
        figures = carry_down(census, rows.set_index("county_code"), source=source)
    by_code = figures.set_axis(census["code"].to_numpy())
    townships = world.townships.copy()
    demand = world.demand.copy()
    for col in DEMAND_COLUMNS:
        townships[col] = by_code[col].reindex(townships["code"]).to_numpy()
        demand[col] = by_code[col].reindex(demand["township_code"]).to_numpy()
    return dataclasses.replace(
        world,
        townships=townships,
        demand=demand,
        population_year=year,
        population_variant=CENSUS_VARIANT if year == BASE_YEAR else variant,
        _census=census,
    )
