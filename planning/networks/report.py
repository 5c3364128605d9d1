"""What every designated network reports: metrics, centres, tables by city and county, summary.

The metrics are the upgrade plan's (`optimizer.metrics.TierMetrics`): covered population and
share, population-weighted mean and p95 minutes, the worst county, the spread and the Gini of
county shares. `optimizer.metrics.tier_metrics` builds them from per-demand arrays for models
whose coverage is not "nearest provider within the standard" (the two-stage chain).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optimizer.metrics import TierMetrics
from optimizer.result import Status

if TYPE_CHECKING:
    from geodata.dataset import Dataset

__all__ = ["NetworkResult", "metrics_table_inputs"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]


def metrics_table_inputs(
    before: Mapping[str, TierMetrics], after: Mapping[str, TierMetrics]
) -> tuple[dict[str, BoolArray], dict[str, BoolArray]]:
    """Covered masks (nearest provider within the standard) of every tier, before and after."""
    return (
        {k: m.nearest_minutes <= m.standard_minutes for k, m in before.items()},
        {k: m.nearest_minutes <= m.standard_minutes for k, m in after.items()},
    )


def _jsonable(value: Any) -> Any:
    """Numbers as plain floats/ints, non-finite floats as None, containers recursively."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


@dataclass(frozen=True)
class NetworkResult:
    """A designated network, solved and reported.

    Attributes
    ----------
    network
        Name of the network (``"stroke"``, ``"stroke_chain"``, ``"public_health_labs"``).
    world
        The planning world.
    status, objective, gap, runtime_s, solver, message
        From the solver (``status == "optimal"`` is the solver's proof); ``objective`` is the
        covered weight summed over the levels.
    designated
        Level → newly designated facility ids (site order).
    dropped
        Designations the solver returned that add no coverage and no rule needs (removed).
    cost_cny
        Designation cost of the new sites.
    before, after, potential
        Metrics per reported key (a tier, or a chain and its first contact): with the
        existing designations only, with the plan, and with every eligible site designated
        (empty where that is not an upper bound, as for chains).
    weights, covered_before, covered_after
        Per key: the demand weight and the covered masks (demand order).
    providers_before, providers_after
        Per key: facility ids that provide it (existing, and existing plus plan).
    centres
        One row per existing or designated site and level: facility_id, level, status
        (existing | designated), cost_cny and what it does for the plan.
    settings
        The resolved settings (standards, limits), JSON-friendly.
    plan
        The raw optimizer plan (`optimizer.upgrade.UpgradePlan` or `optimizer.chain.ChainPlan`).
    """

    network: str
    world: Dataset
    status: Status
    objective: float
    gap: float
    runtime_s: float
    solver: str
    message: str
    designated: Mapping[str, tuple[str, ...]]
    dropped: tuple[str, ...]
    cost_cny: float
    before: Mapping[str, TierMetrics]
    after: Mapping[str, TierMetrics]
    potential: Mapping[str, TierMetrics]
    weights: Mapping[str, FloatArray] = field(repr=False)
    covered_before: Mapping[str, BoolArray] = field(repr=False)
    covered_after: Mapping[str, BoolArray] = field(repr=False)
    providers_before: Mapping[str, tuple[str, ...]] = field(repr=False)
    providers_after: Mapping[str, tuple[str, ...]] = field(repr=False)
    centres: pd.DataFrame = field(repr=False)
    settings: Mapping[str, Any] = field(repr=False)
    plan: Any = field(repr=False)

    def centres_table(self) -> pd.DataFrame:
        """Existing and designated sites with name, facility tier, county and city."""
        info = pd.DataFrame(self.world.facilities.drop(columns="geometry"))
        info = info[["facility_id", "name_zh", "name_en", "tier", "county_code", "city_code"]]
        info = info.rename(columns={"tier": "facility_tier"})
        table = self.centres.merge(info, on="facility_id", how="left", validate="many_to_one")
        front = ["facility_id", "name_zh", "name_en", "facility_tier", "county_code", "city_code"]
        table = table[front + [c for c in self.centres.columns if c != "facility_id"]]
        order = {name: k for k, name in enumerate(self.designated)}
        table = table.assign(_level=table["level"].map(order).fillna(len(order)))
        table = table.sort_values(["_level", "status", "facility_id"], kind="stable")
        return table.drop(columns="_level").reset_index(drop=True)

    def city_table(self) -> pd.DataFrame:
        """Per city and key: population, covered before/after, shares, providers."""
        return self._group_table("city_code", "city")

    def county_table(self) -> pd.DataFrame:
        """Per county and key: population, covered before/after, shares, providers."""
        return self._group_table("county_code", "county")

    def _group_table(self, column: str, level: str) -> pd.DataFrame:
        units = self.world.units(level)[["code", "name_zh", "name_en"]]
        units = pd.DataFrame(units).reset_index(drop=True).rename(columns={"code": column})
        labels = self.world.demand[column].astype(str).to_numpy()
        site_unit = self.world.facilities.set_index("facility_id")[column].astype(str)
        frames = []
        for key, weight in self.weights.items():
            frame = pd.DataFrame(
                {
                    column: labels,
                    "population": weight,
                    "covered_before": np.where(self.covered_before[key], weight, 0.0),
                    "covered_after": np.where(self.covered_after[key], weight, 0.0),
                }
            )
            sums = frame.groupby(column, as_index=False, sort=True).sum()
            table = units.merge(sums, on=column, how="left").fillna(
                {"population": 0.0, "covered_before": 0.0, "covered_after": 0.0}
            )
            table.insert(3, "key", key)
            population = table["population"].to_numpy()
            for label in ("before", "after"):
                covered = table[f"covered_{label}"].to_numpy()
                table[f"share_{label}"] = np.divide(
                    covered, population, out=np.full(population.size, np.nan), where=population > 0
                )
                providers = getattr(self, f"providers_{label}")[key]
                counts = site_unit.loc[list(providers)].value_counts()
                table[f"providers_{label}"] = (
                    table[column].map(counts).fillna(0).astype(np.int64).to_numpy()
                )
            frames.append(table)
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> dict[str, Any]:
        """Return a JSON-friendly summary of the designation.

        Status, designations, metrics before/after per key (with the worst city), the
        settings used. Non-finite numbers become None.
        """
        cities = self.city_table()
        keys: dict[str, Any] = {}
        for key in self.after:
            rows = cities[(cities["key"] == key) & (cities["population"] > 0)]
            worst = rows.sort_values(["share_after", "city_code"], kind="stable").head(1)
            keys[key] = {
                "before": self.before[key].as_dict(),
                "after": self.after[key].as_dict(),
                "potential": self.potential[key].as_dict() if key in self.potential else None,
                "worst_city": str(worst["city_code"].iloc[0]) if len(worst) else None,
                "worst_city_share": float(worst["share_after"].iloc[0]) if len(worst) else None,
            }
        out: dict[str, Any] = _jsonable(
            {
                "network": self.network,
                "status": str(self.status),
                "objective": self.objective,
                "gap": self.gap,
                "runtime_s": self.runtime_s,
                "solver": self.solver,
                "message": self.message,
                "cost_cny": self.cost_cny,
                "designated": {k: list(v) for k, v in self.designated.items()},
                "n_designated": {k: len(v) for k, v in self.designated.items()},
                "dropped": list(self.dropped),
                "metrics": keys,
                "settings": self.settings,
            }
        )
        return out
