"""Plan inputs for the map tests, built cheaply from the real Liaoning dataset.

Kept out of conftest.py so test modules can import them under a unique module name.

The scenario runner (issue 5) will produce these frames; until then a county_3a "plan" is
made by hand: city tertiary hospitals exist, every 12th county hospital is upgraded, each
township is served by the nearest of those within the travel-time matrix cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

import geodata

TIER = "county_3a"
STANDARD_MINUTES = 60.0
CUTOFF_MINUTES = 90.0
EVIL_NAME = "<script>alert(1)</script>"


@dataclass(frozen=True)
class Plan:
    """Inputs of `scenarios.maps.plan_map` for one plan."""

    world: geodata.Dataset
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    county_summary: pd.DataFrame


def make_plan(world: geodata.Dataset, *, every: int = 12, evil: bool = False) -> Plan:
    """A county_3a plan upgrading every `every`-th county hospital (sorted by id)."""
    facilities = world.facilities.copy()
    county = facilities.index[facilities["tier"] == "county_hospital"]
    county = facilities.loc[county].sort_values("facility_id").index
    upgraded = county[::every]
    status = pd.Series("other", index=facilities.index)
    status[facilities["tier"] == "city_3a"] = "existing"
    status[county] = "candidate"
    status[upgraded] = "upgraded"
    facilities["status"] = status
    facilities["plan_tier"] = facilities["tier"].where(status != "upgraded", TIER)
    facilities["reason"] = ""

    times = world.travel_times(cutoff_minutes=CUTOFF_MINUTES, cache=False)
    order = pd.Index(world.facilities["facility_id"]).get_indexer(times.facility_ids)
    mask = status.to_numpy()[order]
    minutes, column = times.nearest(np.isin(mask, ["existing", "upgraded"]))
    demand = world.demand.copy()
    row = pd.Index(times.demand_ids).get_indexer(demand["demand_id"])
    minutes, column = minutes[row], column[row]
    demand["serving_facility_id"] = [str(times.facility_ids[c]) if c >= 0 else None for c in column]
    demand["travel_minutes"] = minutes
    demand["standard_minutes"] = STANDARD_MINUTES
    demand["covered"] = minutes <= STANDARD_MINUTES

    served = demand[demand["covered"]].groupby("serving_facility_id")["population"].sum()
    for idx in upgraded:
        people = int(served.get(facilities.at[idx, "facility_id"], 0))
        facilities.at[idx, "reason"] = f"covers {people:,} people within 60 min"
    if evil:
        first = upgraded[0]
        facilities.at[first, "name_zh"] = EVIL_NAME
        facilities.at[first, "name_en"] = EVIL_NAME
        facilities.at[first, "reason"] = '<img src=x onerror="alert(2)"> & more'

    pop = demand.groupby("county_code")["population"].sum()
    cov = demand[demand["covered"]].groupby("county_code")["population"].sum()
    summary = pd.DataFrame(
        {
            "county_code": pop.index.astype(str),
            "population": pop.to_numpy(),
            "covered_population": cov.reindex(pop.index, fill_value=0).to_numpy(),
        }
    )
    summary["coverage_share"] = summary["covered_population"] / summary["population"]
    return Plan(world, facilities, demand, summary)
