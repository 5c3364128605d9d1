"""Tiny hand-made worlds for the network tests: two cities, four counties, a few places."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from shapely.geometry import Point

from geodata.dataset import Dataset
from geodata.travel import TravelTimes

#: county code → (city code, county type)
COUNTIES = {
    "210102": ("210100", "district"),
    "210123": ("210100", "county"),
    "210224": ("210200", "county"),
    "210281": ("210200", "county_level_city"),
}


def make_world(demand: Sequence[dict[str, Any]], facilities: Sequence[dict[str, Any]]) -> Dataset:
    """A `Dataset` with the given demand rows (demand_id, county_code, population, ...) and
    facility rows (facility_id, tier, county_code, hospital_type, ...)."""
    units = [
        {"code": "210000", "level": "province", "parent_code": "", "county_type": None},
        {"code": "210100", "level": "city", "parent_code": "210000", "county_type": None},
        {"code": "210200", "level": "city", "parent_code": "210000", "county_type": None},
    ] + [
        {"code": code, "level": "county", "parent_code": city, "county_type": kind}
        for code, (city, kind) in COUNTIES.items()
    ]
    boundaries = gpd.GeoDataFrame(
        pd.DataFrame(units).assign(name_zh=lambda f: f["code"], name_en=lambda f: f["code"]),
        geometry=[Point(0.0, 0.0)] * len(units),
        crs="EPSG:4326",
    )

    def frame(rows: Sequence[dict[str, Any]]) -> gpd.GeoDataFrame:
        df = pd.DataFrame(list(rows))
        df["city_code"] = df["county_code"].map(lambda c: COUNTIES[c][0])
        return gpd.GeoDataFrame(df, geometry=[Point(0.0, 0.0)] * len(df), crs="EPSG:4326")

    demand_frame = frame(demand)
    for band in ("pop_0_14", "pop_65plus", "pop_female_15_49"):
        if band not in demand_frame.columns:
            demand_frame[band] = demand_frame["population"] / 4
    sites = frame(facilities)
    sites["name_zh"] = sites["facility_id"]
    sites["name_en"] = sites["facility_id"]
    if "hospital_type" not in sites.columns:
        sites["hospital_type"] = "general"
    return Dataset(
        name="tiny",
        boundaries=boundaries,
        townships=demand_frame,
        demand=demand_frame,
        facilities=sites,
        seats=boundaries.iloc[:0],
    )


def make_times(world: Dataset, minutes: Any, cutoff: float = 120.0) -> TravelTimes:
    """`TravelTimes` from a dense demand × facility matrix (inf = unreachable)."""
    dense = np.asarray(minutes, dtype=np.float64)
    rows, cols = np.nonzero(np.isfinite(dense) & (dense <= cutoff))
    matrix = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    matrix.sort_indices()
    return TravelTimes(
        matrix,
        world.demand["demand_id"].astype(str).to_numpy(dtype=str),
        world.facilities["facility_id"].astype(str).to_numpy(dtype=str),
        cutoff,
        "tiny",
    )


def make_transfer(world: Dataset, minutes: Any, cutoff: float = 120.0) -> TravelTimes:
    """Facility × facility `TravelTimes` from a dense matrix (inf = unreachable)."""
    dense = np.asarray(minutes, dtype=np.float64)
    rows, cols = np.nonzero(np.isfinite(dense) & (dense <= cutoff))
    matrix = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    matrix.sort_indices()
    ids = world.facilities["facility_id"].astype(str).to_numpy(dtype=str)
    return TravelTimes(matrix, ids, ids, cutoff, "tiny-transfer")
