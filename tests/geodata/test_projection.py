"""County population projections (issue 13, "Population futures") and their carry-down.

Before this issue the world had one population, the 2020 census (province 42,591,407, 65+
share 17.4 %); the figures asserted below are what the cohort-component projection of
``geodata.projection`` gives now (docs/projections.md).
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geodata
from geodata import projection as proj
from geodata.build.liaoning import DEFAULT_OUT, DEFAULT_RAW
from geodata.errors import HealthplanDataError

REPO = Path(__file__).resolve().parents[2]
RAW = (REPO / DEFAULT_RAW).resolve()
FILE = DEFAULT_OUT / proj.PROJECTIONS_FILE
PROVINCE_POPULATION = 42_591_407
needs_raw = pytest.mark.skipif(
    not (RAW / "census2020_leiii").is_dir(), reason="shared raw data not available"
)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return proj.read_projections(FILE)


@pytest.fixture(scope="module")
def world() -> geodata.Dataset:
    return geodata.load_dataset("liaoning")


@pytest.fixture(scope="module")
def census() -> tuple[pd.DataFrame, pd.DataFrame]:
    from geodata.build.projections import read_census

    return read_census(RAW)


def _province(table: pd.DataFrame, year: int, variant: str) -> pd.Series:
    rows = table[(table["year"] == year) & (table["variant"] == variant)]
    return rows[list(proj.DEMAND_COLUMNS)].sum()


# --- the shipped file -------------------------------------------------------------------------


def test_base_year_is_the_census_exactly(table: pd.DataFrame) -> None:
    """2020 = 42,591,407 in every variant, and every county = the shipped townships' sums."""
    with (DEFAULT_OUT / "townships.csv").open(encoding="utf-8", newline="") as f:
        towns = pd.DataFrame(list(csv.DictReader(f)))
    cols = list(proj.DEMAND_COLUMNS)
    sums = towns.astype(dict.fromkeys(cols, np.int64)).groupby("county_code")[cols].sum()
    assert len(sums) == 100
    for variant in proj.VARIANTS:
        assert int(_province(table, 2020, variant)["population"]) == PROVINCE_POPULATION
        base = table[(table["year"] == 2020) & (table["variant"] == variant)]
        assert base.set_index("county_code")[cols].sort_index().equals(sums.sort_index())
    assert len(table) == 100 * 4 * 3


def test_province_falls_and_ages(table: pd.DataFrame) -> None:
    """Central: 42,591,407 (2020) -> 38,280,528 (2035); 65+ share 17.4 % -> 32.8 %.

    Liaoning lost 1.15 million people 2010-2020 (43,746,323 -> 42,591,407); every variant
    keeps falling and ageing (the high variant falls least: 41,845,748 in 2035).
    """
    central = [int(_province(table, y, "central")["population"]) for y in proj.YEARS]
    assert central == [42_591_407, 41_355_951, 39_936_501, 38_280_528]
    for variant in proj.VARIANTS:
        totals = [_province(table, y, variant) for y in proj.YEARS]
        pops = [int(t["population"]) for t in totals]
        shares = [t["pop_65plus"] / t["population"] for t in totals]
        assert pops == sorted(pops, reverse=True)
        assert shares == sorted(shares)
    share_2035 = _province(table, 2035, "central")
    assert round(100 * share_2035["pop_65plus"] / share_2035["population"], 1) == 32.8
    assert int(_province(table, 2035, "high")["population"]) == 41_845_748
    assert int(_province(table, 2035, "low")["population"]) == 35_022_203


def test_variants_are_ordered_for_every_county(table: pd.DataFrame) -> None:
    wide = table.pivot_table(index=["county_code", "year"], columns="variant", values="population")
    assert ((wide["low"] <= wide["central"]) & (wide["central"] <= wide["high"])).all()
    later = wide.xs(2035, level="year")
    assert (later["low"] < later["high"]).all()


@needs_raw
def test_file_is_a_fresh_build(table: pd.DataFrame) -> None:
    from geodata.build.projections import build_projections

    fresh = build_projections(RAW)
    assert fresh.equals(table), "projections.csv differs: python -m geodata.build.projections"


# --- the method ---------------------------------------------------------------------------------


def test_life_table_reproduces_its_life_expectancy() -> None:
    for sex, e0 in itertools.product(proj.SEXES, (70.0, 76.0, 81.5, 85.0)):
        table = proj.life_table(sex, e0)
        assert table.e0 == pytest.approx(e0, abs=1e-6)
        # person-years of a unit radix add up to e0
        assert table.person_years.sum() == pytest.approx(e0, abs=1e-3)
        ratios = table.survival()
        assert np.all((ratios > 0) & (ratios < 1))
        assert np.all(np.diff(ratios[3:17]) < 0)  # survival falls with age from 15-19 on
    # women outlive men at the stated e0 of 2020: 10-year survival of the 60+
    men, women = (proj.life_table(s, proj.E0_2020[s]) for s in proj.SEXES)
    assert 0.5 < men.survival_10(60) < women.survival_10(60) < 0.75


@needs_raw
def test_intercensal_survival_of_the_elderly_matches_the_census(
    census: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """A check that can fail: the life tables against the two censuses.

    The 2020 census counts of people aged 70+ are the survivors of the 2010 population aged
    60+ (the city panel's 2010 shares) plus a little migration. The model life tables at the
    stated e0 (76.0 / 81.5) predict 2.4 % fewer than the census counts (observed / model =
    1.0243); a life expectancy 1.5 years lower would give 1.089, 1.5 years higher 0.971.
    """
    county, cities = census
    pop = proj.census_age_sex(county)
    city_of = county["区划代码"].str[:4].to_numpy() + "00"
    observed = expected = 0.0
    for city in cities.to_dict("records"):
        city_pop = pop[city_of == city["city_code"]].sum(axis=0)
        p2010 = proj.reconstruct_2010(city_pop, pd.Series(city))
        assert p2010.sum() == pytest.approx(float(city["popu_2010"]), rel=1e-12)
        old = p2010[:, 12:].sum() / p2010.sum()
        assert 100 * old == pytest.approx(float(city["age_60_2010"]), abs=0.05)  # shares rounded
        survivors = proj.survive(
            proj.survive(p2010, proj._tables(2012.5, "central")),
            proj._tables(2017.5, "central"),
        )
        observed += float(city_pop[:, 14:].sum())
        expected += float(survivors[:, 14:].sum())
    assert observed / expected == pytest.approx(1.0243, abs=5e-4)
    assert abs(observed / expected - 1) < 0.05


@needs_raw
def test_migration_residual_2010_2020(census: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Net migrants aged 10+ in 2020: Shenyang +970,125, Dalian +759,852, province -376,185.

    A check that can fail: Liaoning lost people to other provinces in 2010-2020, and only its
    two large cities gained; a life table with too-high mortality (e0 1.5 years lower) turns
    the province residual positive (+57,930).
    """
    county, cities = census
    pop = proj.census_age_sex(county)
    city_of = county["区划代码"].str[:4].to_numpy() + "00"
    residual = {}
    for city in cities.to_dict("records"):
        city_pop = pop[city_of == city["city_code"]].sum(axis=0)
        residual[city["city_code"]] = proj.migration_rate(city_pop, pd.Series(city))
    assert round(residual["210100"][0]) == 970_125
    assert round(residual["210200"][0]) == 759_852
    assert round(sum(m for m, _ in residual.values())) == -376_185
    gaining = sorted(code for code, (m, _) in residual.items() if m > 0)
    assert gaining == ["210100", "210200"]
    assert residual["210500"][1] == pytest.approx(-0.103, abs=5e-4)  # Benxi, -10.3 % per 5 years


def test_children_follow_the_child_woman_ratio() -> None:
    """0-4 of a step = 2020 children per woman 15-49 x factor x women 15-49 at its end."""
    pop = np.zeros((2, 18))
    pop[:, :] = 1000.0
    path = proj.project_county(pop, pop, 0.0, "central")
    for year in proj.YEARS[1:]:
        women = path[year][1, 3:10].sum()
        cwr = 2000.0 / 7000.0
        assert path[year][:, 0].sum() == pytest.approx(cwr * 0.70 * women)
    # closed population without migration: the 85+ open group is the survivors of 80+
    ratios = proj._tables(2022.5, "central")
    assert path[2025][1, 17] == pytest.approx(2000.0 * ratios[1, 16])


# --- carried down to townships --------------------------------------------------------------


def test_with_population_2020_is_today(world: geodata.Dataset) -> None:
    same = world.with_population(2020, "high")
    assert (world.population_year, world.population_variant) == (2020, "census")
    assert (same.population_year, same.population_variant) == (2020, "census")
    for col in proj.DEMAND_COLUMNS:
        assert same.demand[col].equals(world.demand[col])
        assert same.townships[col].equals(world.townships[col])


def test_with_population_carries_the_county_figures_down(
    world: geodata.Dataset, table: pd.DataFrame
) -> None:
    """Every township keeps its 2020 share; county sums equal the projection exactly."""
    cols = list(proj.DEMAND_COLUMNS)
    for year, variant in itertools.product(proj.YEARS[1:], proj.VARIANTS):
        future = world.with_population(year, variant)
        assert (future.population_year, future.population_variant) == (year, variant)
        demand = future.demand
        sums = demand.groupby("county_code")[cols].sum()
        rows = table[(table["year"] == year) & (table["variant"] == variant)]
        assert rows.set_index("county_code")[cols].sort_index().equals(sums.sort_index())
        assert (demand["pop_female_15_49"] <= demand["pop_15_64"]).all()
        bands = demand[list(proj.BAND_COLUMNS)].sum(axis=1)
        assert bands.equals(demand["population"])
        assert future.townships.set_index("code")["population"].equals(
            demand.set_index("township_code")["population"].rename_axis("code")
        )
        assert future.facilities is world.facilities
        # county, city and province polygons carry the same projected totals
        polygons = future.boundaries.set_index("code")
        counties = polygons[polygons["level"] == "county"]["population"]
        assert counties.sort_index().equals(sums["population"].sort_index().rename_axis("code"))
        total = int(sums["population"].sum())
        assert int(polygons.loc[polygons["level"] == "city", "population"].sum()) == total
        assert int(polygons.loc["210000", "population"]) == total
    # shares: a township's 2035 population / its county's is its 2020 share (to rounding)
    future = world.with_population(2035, "central")
    now = world.demand.set_index("demand_id")["pop_65plus"]
    then = future.demand.set_index("demand_id")["pop_65plus"]
    county = world.demand.set_index("demand_id")["county_code"]
    quota = now / now.groupby(county).transform("sum") * then.groupby(county).transform("sum")
    assert (then - quota).abs().max() < 1  # largest remainder: less than one person off
    # the world it came from is untouched, and projecting again starts from 2020
    assert int(world.demand["population"].sum()) == PROVINCE_POPULATION
    again = future.with_population(2025, "low")
    assert again.demand["population"].equals(
        world.with_population(2025, "low").demand["population"]
    )
    restored = future.with_population(2020)
    assert restored.demand["population"].equals(world.demand["population"])
    assert restored.boundaries["population"].equals(world.boundaries["population"])
    assert restored.province is not None
    assert restored.province.equals(world.province)


def test_unknown_year_or_variant_is_one_line(world: geodata.Dataset) -> None:
    with pytest.raises(HealthplanDataError, match=r"year 2040 .* one of 2020, 2025, 2030, 2035$"):
        world.with_population(2040)
    with pytest.raises(
        HealthplanDataError, match=r"variant 'medium' .* one of low, central, high$"
    ):
        world.with_population(2030, "medium")
    with pytest.raises(HealthplanDataError, match="year '2030'"):
        world.with_population("2030")  # type: ignore[arg-type]


def test_user_world_has_only_its_own_population(world: geodata.Dataset, tmp_path: Path) -> None:
    path = world.to_gpkg(tmp_path / "w.gpkg")
    user = geodata.load_dataset(path)
    assert user.with_population(2020).demand["population"].equals(user.demand["population"])
    with pytest.raises(HealthplanDataError, match="shipped datasets only"):
        user.with_population(2035)


def test_largest_remainder_is_exact_and_deterministic() -> None:
    rng = np.random.default_rng(13)
    for _ in range(200):
        weights = rng.integers(0, 50, size=rng.integers(1, 8)).astype(float)
        total = int(rng.integers(0, 1000))
        split = proj.largest_remainder(total, weights)
        assert split.sum() == total
        if weights.sum() > 0:
            quota = total * weights / weights.sum()
            assert np.all(np.abs(split - quota) < 1)
    assert proj.largest_remainder(3, [1, 1, 1, 1]).tolist() == [1, 1, 1, 0]
    assert proj.largest_remainder(5, [0, 0]).tolist() == [3, 2]


def test_bad_projection_file_names_the_column(tmp_path: Path, table: pd.DataFrame) -> None:
    path = tmp_path / "projections.csv"
    table.drop(columns="pop_65plus").to_csv(path, index=False)
    with pytest.raises(HealthplanDataError, match=r"column 'pop_65plus': missing"):
        proj.read_projections(path)
    table.iloc[:-1].to_csv(path, index=False)
    with pytest.raises(HealthplanDataError, match="one row per county, year"):
        proj.read_projections(path)
