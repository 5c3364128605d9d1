"""Runs of ``kind = "specialties"`` scenarios: the "3223" key clinical specialty allocation.

Writes atomically: ``designations.csv`` (one row per hospital, field and level),
``by_city.csv``, ``by_field.csv``, ``reach.csv`` (people reaching each field within each
level's standard), ``summary.json`` (deterministic) and ``timing.json``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.inputs import context_summary, run_inputs
from scenarios.rundir import atomic_folder, jsonable, write_csv, write_summary, write_timing
from scenarios.scenario import ScenarioError

if TYPE_CHECKING:
    from planning.networks.specialties import SpecialtyResult
    from scenarios.inputs import Prepared, Progress

__all__ = ["run_specialties"]


def solve_specialties(prepared: Prepared, progress: Progress) -> SpecialtyResult:
    """Allocate the designations; infeasible quotas raise `ScenarioError`."""
    from planning.networks.specialties import SpecialtyRules, allocate_specialties

    s = prepared.resolved.scenario
    settings = s.specialties
    quota: dict[str, int | tuple[int, int]] = {str(k): v for k, v in settings.quota.items()}
    minutes = {str(k): v for k, v in settings.standard_minutes.items()}
    rules = SpecialtyRules(quota=quota, standard_minutes=minutes)
    if settings.min_per_region is not None:
        rules = replace(
            rules, min_per_region={str(k): v for k, v in settings.min_per_region.items()}
        )
    if settings.min_per_city is not None:
        rules = replace(rules, min_per_city={str(k): v for k, v in settings.min_per_city.items()})
    if settings.min_per_county is not None:
        rules = replace(
            rules, min_per_county={str(k): v for k, v in settings.min_per_county.items()}
        )
    progress("allocating key clinical specialties")
    result = allocate_specialties(
        prepared.world,
        rules,
        solver=s.solver.name,
        time_limit_s=s.solver.time_limit_s,
        mip_gap=s.solver.mip_gap,
    )
    status = str(result.allocation.status)
    if status == "infeasible":
        raise ScenarioError(
            prepared.resolved.source_path,
            "specialties.quota",
            f"no allocation satisfies the rules: {result.allocation.message or 'infeasible'}",
            "lower specialties.quota or the specialties.min_per_* rules",
        )
    if status == "no_solution":
        raise ScenarioError(
            prepared.resolved.source_path,
            "solver.time_limit_s",
            "the solver found no allocation in time",
            "raise solver.time_limit_s or set solver.mip_gap (e.g. 0.01)",
        )
    return result


def run_specialties(
    prepared: Prepared, folder: Path, *, force: bool, progress: Progress, wall: float
) -> tuple[dict[str, Any], dict[str, Any], SpecialtyResult]:
    """Solve and write a specialties run; returns (summary, timing, result)."""
    start = time.perf_counter()
    result = solve_specialties(prepared, progress)
    solve_s = time.perf_counter() - start
    summary = context_summary(prepared)
    summary["kind"] = "specialties"
    allocation = jsonable(result.summary())
    allocation.pop("runtime_s", None)  # wall-clock: timing.json
    summary["specialties"] = allocation
    summary["status"] = str(result.allocation.status)
    with atomic_folder(folder, force=force, inputs=run_inputs(prepared)) as work:
        progress("writing designations.csv and tables")
        tables = {
            "designations.csv": result.designations_table(),
            "by_city.csv": result.by_city(),
            "by_field.csv": result.by_field(),
            "reach.csv": result.reach(),
        }
        for name, frame in tables.items():
            write_csv(frame, work / name)
        write_summary(work, summary)
        seconds = {
            **prepared.seconds,
            "solve_s": solve_s,
            "solver_runtime_s": result.allocation.runtime_s,
        }
        timing = write_timing(work, seconds, wall=wall)
    return summary, timing, result
