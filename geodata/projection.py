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
import functools
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
    `weights`); if every weight is zero the total is split equally. The dataset build's 2020
    split (`geodata.build.common.hamilton`) calls this function.

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


def _boundary_population(boundaries: pd.DataFrame, townships: pd.DataFrame) -> pd.DataFrame:
    """Boundaries with ``population`` of counties, cities and province summed from townships."""
    if "population" not in boundaries.columns:
        return boundaries
    county = townships.groupby("county_code")["population"].sum()
    city = county.groupby(county.index.str[:4] + "00").sum()
    totals = {**county.to_dict(), **city.to_dict()}
    out = boundaries.copy()
    level = out["level"]
    summed = out["code"].map(totals)
    sub = level.isin(["county", "city"]) & summed.notna()
    out.loc[sub, "population"] = summed[sub].astype(np.int64)
    out.loc[level == "province", "population"] = int(county.sum())
    return out


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
    boundaries = _boundary_population(world.boundaries, townships)
    return dataclasses.replace(
        world,
        boundaries=boundaries,
        _province=[(boundaries, world.province)],  # same outline, own cache
        townships=townships,
        demand=demand,
        population_year=year,
        population_variant=CENSUS_VARIANT if year == BASE_YEAR else variant,
        _census=census,
    )


# --- the cohort-component method -----------------------------------------------------------
# Every number below is an assumption of the projection, stated with its basis in
# docs/projections.md (the build copies them into the dataset's manifest).

#: First age of the 18 five-year groups 0-4 ... 80-84, 85+ (85 is the open group).
AGE_STARTS: Final = tuple(range(0, 90, 5))
#: Sexes, in the order of the arrays (axis 1 of `census_age_sex`).
SEXES: Final = ("male", "female")
#: Life expectancy at birth in Liaoning, 2020, by sex (ASSUMPTION, see docs/projections.md).
E0_2020: Final = {"male": 76.0, "female": 81.5}
#: Gain in life expectancy at birth per 5 years, 2010-2020 (back-cast of the migration residual).
E0_GAIN_PAST: Final = 1.5
#: Gain in life expectancy at birth per 5 years after 2020, by variant (ASSUMPTION).
E0_GAIN: Final = {"low": 0.4, "central": 0.7, "high": 1.0}
#: Hazard shape of the model life table: child term a*exp(-b*x), Makeham constant c,
#: Gompertz slope beta (per year); the Gompertz level is solved to give the sex's e0.
HAZARD_SHAPE: Final = {
    "male": {"child_a": 0.006, "child_b": 1.5, "makeham": 0.0005, "beta": 0.090},
    "female": {"child_a": 0.005, "child_b": 1.5, "makeham": 0.0002, "beta": 0.100},
}
#: Children 0-4 per woman 15-49 after 2020, as a multiple of each county's 2020 ratio.
FERTILITY_FACTOR: Final = {"low": 0.55, "central": 0.70, "high": 0.85}
#: Multiple of a city's 2010-2020 net migration rate, for cities that lost migrants.
MIGRATION_FACTOR_OUT: Final = {"low": 1.5, "central": 1.0, "high": 0.5}
#: Multiple of a city's 2010-2020 net migration rate, for cities that gained migrants.
MIGRATION_FACTOR_IN: Final = {"low": 0.5, "central": 1.0, "high": 1.5}
#: Relative intensity of net migration by age at the end of a period (groups 5-9 ... 85+;
#: 0-4 come from the child-woman ratio): a Rogers-Castro-like labour-migration peak at 20-29.
MIGRATION_PROFILE: Final = (
    0.5, 0.5, 1.5, 3.0, 2.6, 1.7, 1.1, 0.8, 0.6, 0.5, 0.4, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3,
)  # fmt: skip

_N_AGES: Final = len(AGE_STARTS)
_GRID_STEP: Final = 0.01
_GRID_END: Final = 130.0
#: Census column stems of the 5-year groups (0-4 is 0岁 + 1到4岁).
_CENSUS_AGES: Final = (
    ("0岁", "1到4岁"),
    *((f"{a}到{a + 4}岁",) for a in range(5, 85, 5)),
    ("85岁以上",),
)
_SEX_PREFIX: Final = {"male": "男", "female": "女"}


@dataclasses.dataclass(frozen=True)
class LifeTable:
    """A model life table: survivorship on a 0.01-year grid and 5-year person-years.

    Attributes
    ----------
    sex
        ``"male"`` or ``"female"``.
    e0
        Life expectancy at birth (years).
    gompertz_level
        The solved Gompertz level alpha of the hazard ``alpha * exp(beta * x)``.
    person_years
        ``L`` of the groups 0-4 ... 80-84 and ``T`` of 85+ (per unit radix).
    """

    sex: str
    e0: float
    gompertz_level: float
    person_years: NDArray[np.float64]

    def survival(self) -> NDArray[np.float64]:
        """Five-year survival ratios of the 18 groups (a stationary population's).

        Element ``a`` (``a`` < 16) moves group ``a`` into group ``a + 1``; element 16 moves
        the 80-84 and 85+ groups together into 85+ (``T85 / T80``); element 17 repeats it.
        """
        py = self.person_years
        ratios = np.empty(_N_AGES)
        ratios[:16] = py[1:17] / py[:16]
        ratios[16] = ratios[17] = py[17] / (py[16] + py[17])
        return ratios

    def survival_10(self, start: int) -> float:
        """Ten-year survival of everyone aged `start` or more (open group into `start` + 10).

        Parameters
        ----------
        start
            A multiple of 5, at most 75.
        """
        py = self.person_years
        i = start // 5
        return float(py[i + 2 :].sum() / py[i:].sum())


def _cumulative_hazard(x: NDArray[np.float64], sex: str, level: float) -> NDArray[np.float64]:
    shape = HAZARD_SHAPE[sex]
    a, b, c, beta = shape["child_a"], shape["child_b"], shape["makeham"], shape["beta"]
    child = a / b * (1.0 - np.exp(-b * x))
    senescent = level / beta * np.expm1(beta * x)
    result: NDArray[np.float64] = child + c * x + senescent
    return result


@functools.lru_cache(maxsize=512)
def life_table(sex: str, e0: float) -> LifeTable:
    """Model life table of one sex with life expectancy `e0` at birth.

    Hazard ``a exp(-b x) + c + alpha exp(beta x)`` with the shape of `HAZARD_SHAPE` (a
    Gompertz-Makeham law with a child term); alpha is found by bisection so that the life
    expectancy at birth is `e0` (to 1e-9 years).

    Parameters
    ----------
    sex
        ``"male"`` or ``"female"``.
    e0
        Target life expectancy at birth, between 40 and 100 years.

    Returns
    -------
    LifeTable
        The table.
    """
    if sex not in HAZARD_SHAPE or not 40.0 <= e0 <= 100.0:
        msg = f"life_table: sex {sex!r} / e0 {e0} out of range (male/female, 40-100 years)"
        raise ValueError(msg)
    x = np.arange(0.0, _GRID_END + _GRID_STEP / 2, _GRID_STEP)

    def expectancy(level: float) -> tuple[float, NDArray[np.float64]]:
        lx = np.exp(-_cumulative_hazard(x, sex, level))
        return float(np.trapezoid(lx, x)), lx

    lo, hi = -30.0, 0.0  # log alpha: e0 falls as alpha grows
    for _ in range(200):
        mid = (lo + hi) / 2
        value, _lx = expectancy(float(np.exp(mid)))
        if value > e0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    level = float(np.exp((lo + hi) / 2))
    value, lx = expectancy(level)
    steps = round(5 / _GRID_STEP)
    seg = (lx[:-1] + lx[1:]) / 2 * _GRID_STEP
    person_years = np.array([seg[i * steps : (i + 1) * steps].sum() for i in range(17)])
    person_years = np.append(person_years, seg[17 * steps :].sum())
    return LifeTable(sex=sex, e0=value, gompertz_level=level, person_years=person_years)


def e0_at(sex: str, year: float, variant: str = "central") -> float:
    """Life expectancy at birth of `sex` in `year` (mid-period) under `variant`.

    ``E0_2020[sex] + gain * (year - 2020) / 5`` with the variant's gain `E0_GAIN` after 2020
    and the past gain `E0_GAIN_PAST` before.

    Parameters
    ----------
    sex
        ``"male"`` or ``"female"``.
    year
        Calendar year (fractional: 2022.5 is the middle of 2020-2025).
    variant
        One of `VARIANTS`.
    """
    gain = E0_GAIN[variant] if year >= BASE_YEAR else E0_GAIN_PAST
    return E0_2020[sex] + gain * (year - BASE_YEAR) / 5.0


def census_age_sex(census: pd.DataFrame) -> NDArray[np.float64]:
    """Return the population by county, sex and 5-year age group of the census county table.

    Parameters
    ----------
    census
        Rows of ``liaoning_census_county_2020.csv`` (columns ``男_0岁`` ... ``女_85岁以上``).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(census), 2, 18)``: sexes `SEXES`, groups `AGE_STARTS`; whole numbers.

    Raises
    ------
    geodata.errors.HealthplanDataError
        A missing age-sex column or a non-integer count.
    """
    out = np.zeros((len(census), len(SEXES), _N_AGES))
    for s, sex in enumerate(SEXES):
        for a, stems in enumerate(_CENSUS_AGES):
            for stem in stems:
                col = f"{_SEX_PREFIX[sex]}_{stem}"
                if col not in census.columns:
                    msg = f"liaoning_census_county_2020.csv: column {col!r}: missing - re-extract"
                    raise HealthplanDataError(msg)
                values = pd.to_numeric(census[col], errors="coerce").to_numpy(dtype=np.float64)
                if np.isnan(values).any() or (values % 1 != 0).any() or (values < 0).any():
                    msg = (
                        f"liaoning_census_county_2020.csv: column {col!r}: not a count - re-extract"
                    )
                    raise HealthplanDataError(msg)
                out[:, s, a] += values
    return out


def demand_bands(pop: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Return the demand columns of populations by sex and 5-year age (unrounded).

    Parameters
    ----------
    pop
        Array ``(..., 2, 18)`` as from `census_age_sex`.

    Returns
    -------
    dict
        `DEMAND_COLUMNS` -> array of the leading shape.
    """
    both = pop.sum(axis=-2)
    bands = {
        "pop_0_14": both[..., 0:3].sum(axis=-1),
        "pop_15_64": both[..., 3:13].sum(axis=-1),
        "pop_65plus": both[..., 13:].sum(axis=-1),
        "pop_female_15_49": pop[..., 1, 3:10].sum(axis=-1),
    }
    return {"population": both.sum(axis=-1), **bands}


def _tables(year_mid: float, variant: str) -> NDArray[np.float64]:
    """Survival ratios ``(2, 18)`` for the period centred on `year_mid`."""
    return np.stack([life_table(sex, e0_at(sex, year_mid, variant)).survival() for sex in SEXES])


def reconstruct_2010(pop2020: NDArray[np.float64], city: pd.Series) -> NDArray[np.float64]:
    """Rebuild a city's 2010 population by sex and 5-year age from its 2010 census figures.

    The 2020 groups 10-14 ... 85+ are reverse-survived ten years (the life tables of
    2010-2015 and 2015-2020) to give the shape within each broad band; the 75+ group is split
    into 75-79, 80-84, 85+ by the stationary population of the 2010-2015 table. Then each
    broad band (0-14, 15-59, 60-64, 65+) is scaled to its 2010 share (``age_0_14_2010``,
    ``age_15_59_2010``, ``age_60_2010`` - ``age_65_2010``, ``age_65_2010``) of
    ``popu_2010`` and the sexes to ``male_female_2010``.

    Parameters
    ----------
    pop2020
        The city's 2020 population ``(2, 18)``.
    city
        Its row of ``liaoning_census_city_2010_2020.csv``.

    Returns
    -------
    numpy.ndarray
        ``(2, 18)``, summing to ``popu_2010``.
    """
    early = _tables(BASE_YEAR - 7.5, "central")
    late = _tables(BASE_YEAR - 2.5, "central")
    shape = np.zeros_like(pop2020)
    # Groups 0-4 ... 70-74 of 2010 are groups 10-14 ... 80-84 of 2020 over two survivals.
    shape[:, :15] = pop2020[:, 2:17] / (early[:, :15] * late[:, 1:16])
    # 2010's 75+ into 2020's 85+: ten-year survival of the open group.
    tables = [life_table(sex, e0_at(sex, BASE_YEAR - 7.5)) for sex in SEXES]
    for s, table in enumerate(tables):
        open75 = pop2020[s, 17] / table.survival_10(75)
        py = table.person_years
        shape[s, 15:] = open75 * np.array([py[15], py[16], py[17]]) / py[15:].sum()
    total = float(city["popu_2010"])
    shares = {
        (0, 3): float(city["age_0_14_2010"]),
        (3, 12): float(city["age_15_59_2010"]),
        (12, 13): float(city["age_60_2010"]) - float(city["age_65_2010"]),
        (13, 18): float(city["age_65_2010"]),
    }
    norm = sum(shares.values())
    for (lo, hi), share in shares.items():
        shape[:, lo:hi] *= total * share / norm / shape[:, lo:hi].sum()
    ratio = float(city["male_female_2010"]) / 100.0
    males = total * ratio / (1.0 + ratio)
    shape[0] *= males / shape[0].sum()
    shape[1] *= (total - males) / shape[1].sum()
    return shape


def survive(pop: NDArray[np.float64], ratios: NDArray[np.float64]) -> NDArray[np.float64]:
    """Age a population ``(..., 2, 18)`` by five years (group 0-4 of the result is zero).

    Parameters
    ----------
    pop
        Population by sex and 5-year group.
    ratios
        Survival ratios ``(2, 18)`` (`LifeTable.survival` per sex).

    Returns
    -------
    numpy.ndarray
        The survivors, one group older; 85+ holds the survivors of 80-84 and 85+.
    """
    out = np.zeros_like(pop)
    out[..., 1:17] = pop[..., 0:16] * ratios[:, 0:16]
    out[..., 17] = (pop[..., 16] + pop[..., 17]) * ratios[:, 16]
    return out


def migration_rate(pop2020: NDArray[np.float64], city: pd.Series) -> tuple[float, float]:
    """Return a city's net migration 2010-2020 (residual) and its rate per five years.

    Net migrants = the 2020 census population aged 10+ minus the survivors of the 2010
    population (`reconstruct_2010`) over ten years; the rate per five years ``r`` solves
    ``(1 + r) ** 2 = census 10+ / survivors``.

    Parameters
    ----------
    pop2020
        The city's 2020 population ``(2, 18)`` (sum of its counties).
    city
        Its row of ``liaoning_census_city_2010_2020.csv``.

    Returns
    -------
    tuple
        Net migrants 2010-2020 (people aged 10+ in 2020) and the five-year rate.
    """
    p2010 = reconstruct_2010(pop2020, city)
    survivors = survive(survive(p2010, _tables(2012.5, "central")), _tables(2017.5, "central"))
    observed = float(pop2020[:, 2:].sum())
    expected = float(survivors.sum())
    return observed - expected, float(np.sqrt(observed / expected) - 1.0)


def migration_factor(rate: float, variant: str) -> float:
    """Multiple of the 2010-2020 migration rate of `variant` (fewer leavers is higher).

    Parameters
    ----------
    rate
        The city's five-year net migration rate.
    variant
        One of `VARIANTS`.
    """
    return (MIGRATION_FACTOR_IN if rate > 0 else MIGRATION_FACTOR_OUT)[variant]


def project_county(
    pop2020: NDArray[np.float64],
    city_pop2020: NDArray[np.float64],
    rate: float,
    variant: str,
) -> dict[int, NDArray[np.float64]]:
    """Project one county from 2020 to 2035 in five-year steps.

    Each step: survive the population five years (life tables of the period's middle year,
    `e0_at`); apply the city's net migration rate to the groups 5-9 ... 85+ with the age
    profile `MIGRATION_PROFILE`, scaled so that on the city's 2020 age structure it moves
    ``rate`` times the population aged 5+; children 0-4 = the county's 2020 children per
    woman 15-49 x `FERTILITY_FACTOR` x the women 15-49 at the end of the step, split by sex as
    the county's 2020 children.

    Parameters
    ----------
    pop2020
        The county's census population ``(2, 18)``.
    city_pop2020
        Its city's ``(2, 18)`` (normalises the migration profile).
    rate
        The city's five-year net migration rate (`migration_rate`).
    variant
        One of `VARIANTS`.

    Returns
    -------
    dict
        Year (`YEARS`) -> population ``(2, 18)``; 2020 is `pop2020` itself.
    """
    profile = np.asarray(MIGRATION_PROFILE)
    city_5plus = city_pop2020[:, 1:].sum(axis=0)
    scale = city_5plus.sum() / float((profile * city_5plus).sum())
    factor = 1.0 + rate * migration_factor(rate, variant) * scale * profile
    women = pop2020[1, 3:10].sum()
    cwr = pop2020[:, 0].sum() / women if women > 0 else 0.0
    child_sex = pop2020[:, 0] / pop2020[:, 0].sum() if pop2020[:, 0].sum() > 0 else np.full(2, 0.5)
    out = {BASE_YEAR: pop2020}
    pop = pop2020
    for year in YEARS[1:]:
        nxt = survive(pop, _tables(year - 2.5, variant))
        nxt[:, 1:] *= factor
        births = cwr * FERTILITY_FACTOR[variant] * nxt[1, 3:10].sum()
        nxt[:, 0] = births * child_sex
        out[year] = nxt
        pop = nxt
    return out


def project_counties(census: pd.DataFrame, cities: pd.DataFrame) -> pd.DataFrame:
    """County projections of the demand columns for every year and variant.

    Parameters
    ----------
    census
        County rows of ``liaoning_census_county_2020.csv`` (6-digit ``区划代码`` not ending in
        ``00``), with their age-sex columns.
    cities
        ``liaoning_census_city_2010_2020.csv`` (``city_code``, ``popu_2010``, 2010 shares).

    Returns
    -------
    pandas.DataFrame
        `PROJECTION_COLUMNS`, sorted by county, year and variant (`VARIANTS` order); integers
        (2020: the census sums exactly; later years rounded half to even per band).

    Raises
    ------
    geodata.errors.HealthplanDataError
        A county whose city has no 2010-2020 row.
    """
    codes = census["区划代码"].astype(str).to_numpy()
    pop = census_age_sex(census)
    city_of = np.array([c[:4] + "00" for c in codes])
    city_rows = cities.assign(city_code=cities["city_code"].astype(str)).set_index("city_code")
    missing = sorted(set(city_of) - set(city_rows.index))
    if missing:
        msg = (
            f"liaoning_census_city_2010_2020.csv: column 'city_code': no row for city "
            f"{missing[0]} - re-extract the city file"
        )
        raise HealthplanDataError(msg)
    rates = {}
    city_pop = {}
    for code in sorted(set(city_of)):
        city_pop[code] = pop[city_of == code].sum(axis=0)
        rates[code] = migration_rate(city_pop[code], city_rows.loc[code])[1]
    records = []
    for i in np.argsort(codes, kind="stable"):
        code, city = str(codes[i]), str(city_of[i])
        for variant in VARIANTS:
            path = project_county(pop[i], city_pop[city], rates[city], variant)
            for year, arr in path.items():
                bands = demand_bands(arr)
                row = {k: int(np.rint(v)) for k, v in bands.items()}
                row["population"] = row["pop_0_14"] + row["pop_15_64"] + row["pop_65plus"]
                records.append({"county_code": code, "year": year, "variant": variant, **row})
    frame = pd.DataFrame.from_records(records, columns=list(PROJECTION_COLUMNS))
    order = {v: i for i, v in enumerate(VARIANTS)}
    frame = frame.sort_values(
        ["county_code", "year", "variant"], key=lambda s: s.map(order) if s.name == "variant" else s
    )
    return frame.reset_index(drop=True)
