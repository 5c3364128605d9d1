"""Runs of ``kind = "centres"`` scenarios: time-critical centre designation per type.

Existing centres (the scenario's ``centres.existing`` table,
`planning.networks.existing`) are open before and after, outside ``max_centres``. With
``cross_border`` the hospitals across the border are never designated; the table may list
them as existing centres. Writes,
atomically like an upgrade run: ``centres.csv`` (existing and designated sites per type and
level), ``cities.csv`` and ``counties.csv`` (covered population and share per unit,
type and level, before and after), ``summary.json`` (the run's context, and per type the
solver status, gap, designations and metrics; deterministic) and ``timing.json``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from optimizer.core import worst_status
from optimizer.result import Status
from scenarios.inputs import context_summary, cross_border_ids, run_inputs
from scenarios.rundir import atomic_folder, write_csv, write_summary, write_timing
from scenarios.scenario import ScenarioError

if TYPE_CHECKING:
    from planning.networks.report import NetworkResult
    from scenarios.inputs import Prepared, Progress

__all__ = ["ELDERLY_TYPES", "run_centres"]

#: Centre types for which `CentresSettings.elderly_weight` applies.
ELDERLY_TYPES = ("chest_pain", "stroke")


def solve_centres(prepared: Prepared, progress: Progress) -> dict[str, NetworkResult]:
    """Designate every centre type of the scenario; infeasible rules raise `ScenarioError`."""
    from planning.networks.critical import plan_centres

    s = prepared.resolved.scenario
    c = s.centres
    results: dict[str, NetworkResult] = {}
    # Cross-border hospitals are never designated: they are centres only when the table of
    # existing centres lists them.
    foreign = cross_border_ids(prepared.world)
    ids = prepared.world.facilities["facility_id"].astype(str)
    eligible = sorted(set(ids) - foreign) if foreign else None
    for name in c.types:
        progress(f"designating {name} centres")
        existing = _existing(prepared, name)
        result = plan_centres(
            prepared.world,
            name,
            existing=existing.get("existing"),
            existing_city_level=existing.get("existing_city_level"),
            eligible=eligible,
            max_centres=c.max_centres,
            per_city=c.per_city,
            per_county=c.per_county,
            standard_minutes=c.standard_minutes.get(name),
            elderly_weight=c.elderly_weight if name in ELDERLY_TYPES else 0.0,
            chain=c.chain,
            times=prepared.times,
            solver=s.solver.name,
            time_limit_s=s.solver.time_limit_s,
            mip_gap=s.solver.mip_gap,
        )
        status = str(result.status)
        if status == "infeasible":
            raise ScenarioError(
                prepared.resolved.source_path,
                "centres.max_centres",
                f"no {name} plan satisfies the rules: {result.message or 'infeasible'}",
                "raise centres.max_centres or drop centres.per_city / centres.per_county",
            )
        if status == "no_solution":
            raise ScenarioError(
                prepared.resolved.source_path,
                "solver.time_limit_s",
                f"the solver found no {name} plan in time",
                "raise solver.time_limit_s or set solver.mip_gap (e.g. 0.01)",
            )
        results[name] = result
    return results


def _existing(prepared: Prepared, centre: str) -> dict[str, tuple[str, ...]]:
    """Return the ``existing`` (with the chain also ``existing_city_level``) ids of `centre`."""
    table = prepared.existing_centres
    if table is None:
        return {}
    if not prepared.resolved.scenario.centres.chain:
        return {"existing": table.ids(centre)}
    first, city = table.chain_levels(centre, prepared.world)
    return {"existing": first, "existing_city_level": city}


def _stacked(results: dict[str, NetworkResult], table: str) -> pd.DataFrame:
    frames: list[pd.DataFrame] = []
    for name, result in results.items():
        frame: pd.DataFrame = getattr(result, table)()
        frame.insert(0, "centre_type", name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def run_centres(
    prepared: Prepared, folder: Path, *, force: bool, progress: Progress, wall: float
) -> tuple[dict[str, Any], dict[str, Any], dict[str, NetworkResult]]:
    """Solve and write a centres run; returns (summary, timing, results)."""
    start = time.perf_counter()
    results = solve_centres(prepared, progress)
    solve_s = time.perf_counter() - start
    summary = context_summary(prepared)
    summary["kind"] = "centres"
    networks = {name: r.summary() for name, r in results.items()}
    for name, network in networks.items():
        network.pop("runtime_s", None)  # wall-clock: timing.json
        network["existing"] = {k: list(v) for k, v in _existing(prepared, name).items()}
    summary["networks"] = networks
    statuses = [Status(str(n["status"])) for n in networks.values()]
    summary["status"] = str(worst_status(statuses))
    with atomic_folder(folder, force=force, inputs=run_inputs(prepared)) as work:
        progress("writing centres.csv and tables")
        for name, table in (
            ("centres.csv", "centres_table"),
            ("cities.csv", "city_table"),
            ("counties.csv", "county_table"),
        ):
            write_csv(_stacked(results, table), work / name)
        write_summary(work, summary)
        seconds = {
            **prepared.seconds,
            "solve_s": solve_s,
            "solver_runtime_s": {n: r.runtime_s for n, r in results.items()},
        }
        timing = write_timing(work, seconds, wall=wall)
    return summary, timing, results
