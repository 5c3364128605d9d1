"""Run a scenario file end to end and write its result folder.

>>> from scenarios.runner import run_scenario
>>> run = run_scenario("baseline", "out/baseline", force=True)     # a preset or a .toml path
>>> run.summary["plan"]["status"], sorted(p.name for p in run.folder.iterdir())[:3]
('optimal', ['briefing.html', 'briefing.pdf', 'briefing_en.html'])

One folder per run, written atomically (built in a hidden sibling folder, renamed into place;
an existing folder is replaced only with ``force=True``):

``plan.gpkg``
    Layers ``facilities`` (tier, decision ``status`` existing | upgraded | candidate | other,
    ``plan_tier``, ``upgrade_year``, reason), ``demand`` (per tier: serving facility and
    minutes before and after, covered flags), ``counties`` and ``cities`` (polygons with
    population and covered share per tier before and after). Opens in QGIS.
``upgrades.csv`` / ``rejected.csv``
    The proposed upgrades with their marginal gain and reason; the candidates left out and why.
``counties.csv``
    Covered share per county and tier, before and after.
``futures.csv``
    The plan under every population projection (2020 census; 2025-2035 low, central,
    high): per tier the people served, covered before and after, not covered, and those
    aged 65+ covered (`planning.futures.futures_table`); a plan for another year than 2020
    adds the rows of the same rules' 2020-based plan (``plan = plan_2020``).
``summary.json``
    Metrics per tier before and after, solver status, gap, cost, the scenario's hash and
    resolved settings, the travel settings and the data provenance. Deterministic.
``timing.json``
    Wall-clock seconds per step and the solver's runtime (the only file that differs between
    two runs of the same inputs).
``map.html`` / ``map_en.html`` / ``map.png`` / ``map_en.png``
    The offline plan map in Chinese and English, and both as slide images.
``briefing.html`` / ``briefing.pdf`` / ``briefing_en.html`` / ``briefing_en.pdf``
    One- or two-page briefings for leaders (`scenarios.briefing`).

Same inputs give byte-identical files except ``timing.json``. Every user error (bad scenario,
bad data, infeasible rules, existing folder) raises a `ValueError` or `OSError` subclass with
a one-line message; nothing is written then.
"""

from __future__ import annotations

import errno
import re
import resource
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors

from optimizer.upgrade import check_upgrades
from planning.futures import Projection, plan_for_population
from planning.upgrades import PlanningRules, PlanResult, build_problem
from scenarios._centres_run import run_centres, solve_centres
from scenarios._futures import population_summary, run_futures
from scenarios._specialties_run import run_specialties, solve_specialties
from scenarios.briefing import briefing_names, write_briefing
from scenarios.briefing._run import Counties, Run
from scenarios.inputs import (
    Prepared,
    Progress,
    context_summary,
    key_file,
    prepare,
    quiet,
    run_inputs,
)
from scenarios.maps import plan_map, save_map
from scenarios.rundir import (
    FUTURES,
    atomic_folder,
    canonical,
    check_target,
    jsonable,
    rounded,
    write_csv,
    write_json,
    write_summary,
    write_timing,
)
from scenarios.scenario import (
    PopulationSettings,
    ResolvedScenario,
    ScenarioError,
)

if TYPE_CHECKING:
    from planning.networks.report import NetworkResult
    from planning.networks.specialties import SpecialtyResult

__all__ = [
    "MAP_TIER",
    "Prepared",
    "RunResult",
    "build_summary",
    "context_summary",
    "infeasible_error",
    "prepare",
    "run_inputs",
    "run_scenario",
    "solve_plan",
    "validate_scenario",
    "write_json",
]

#: The tier drawn on ``map.html`` when the scenario plans it (else the scenario's first tier).
MAP_TIER = "township_central"
#: GeoPackage timestamps are pinned so two runs give the same bytes.
_GPKG_DATE = "2000-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class RunResult:
    """What `run_scenario` wrote: the folder, its summary and timings, and the solved plan."""

    folder: Path
    summary: dict[str, Any]
    timing: dict[str, Any]
    #: The solved plan; for ``kind = "centres"`` the `NetworkResult` per centre type, for
    #: ``kind = "specialties"`` the `SpecialtyResult`.
    result: PlanResult | dict[str, NetworkResult] | SpecialtyResult


def run_scenario(
    scenario: str | Path | ResolvedScenario,
    out: str | Path,
    *,
    force: bool = False,
    png: bool = True,
    briefing: bool = True,
    progress: Progress = quiet,
) -> RunResult:
    """Solve a scenario and write its result folder `out` (see the module docstring).

    Parameters
    ----------
    scenario
        A scenario file, a preset name (``"baseline"``) or a loaded scenario.
    out
        The result folder; must not exist unless `force`.
    force
        Replace an existing `out` (only once the new folder is complete).
    png
        Also render ``map.png`` and ``map_en.png`` in headless Chromium (needs
        ``/usr/bin/chromium``).
    briefing
        Also write the briefings (``briefing.html``/``.pdf`` in Chinese, ``briefing_en.*`` in
        English; `scenarios.briefing`), with the map image when `png`.
    progress
        Called with a short line before each step (the CLI prints it on stderr).

    Raises
    ------
    ScenarioError
        Bad scenario, or rules no plan can satisfy (the message says which and how to fix it).
    scenarios.rundir.OutputExistsError
        If `out` exists and `force` is false.
    """
    given = Path(scenario) if isinstance(scenario, str | Path) else scenario.source_path
    folder = check_target(out, force=force, inputs=[given] if given.exists() else [])
    wall = time.perf_counter()
    prepared = prepare(scenario, progress=progress)
    check_target(folder, force=force, inputs=run_inputs(prepared))
    s = prepared.resolved.scenario
    if s.kind == "centres":
        summary, timing, networks = run_centres(
            prepared, folder, force=force, progress=progress, wall=wall
        )
        return RunResult(folder=folder, summary=summary, timing=timing, result=networks)
    if s.kind == "specialties":
        summary, timing, allocation = run_specialties(
            prepared, folder, force=force, progress=progress, wall=wall
        )
        return RunResult(folder=folder, summary=summary, timing=timing, result=allocation)
    start = time.perf_counter()
    result = solve_plan(prepared, progress=progress)
    futures, summary_futures = run_futures(
        prepared,
        result,
        solve_2020=lambda: solve_plan(for_2020(prepared), strict=False),
        progress=progress,
    )
    solve_s = time.perf_counter() - start
    summary = build_summary(prepared, result)
    summary["futures"] = summary_futures
    with atomic_folder(folder, force=force, inputs=run_inputs(prepared)) as work:
        progress("writing plan.gpkg and tables")
        write_tables(result, work)
        write_csv(futures, work / FUTURES)
        write_gpkg(result, work / "plan.gpkg")
        progress("drawing maps")
        tier = MAP_TIER if MAP_TIER in result.problem.tier_names else result.problem.tier_names[0]
        write_maps(result, work, tier=tier, title=s.name, png=png)
        briefings = [n for language in ("zh", "en") for n in briefing_names(language)]
        write_summary(work, summary, also=briefings if briefing else ())
        if briefing:
            progress("writing briefings")
            run = Run(
                folder=work,
                summary=canonical(summary),
                counties=Counties.from_frame(result.county_table()),
            )
            for language in ("zh", "en"):
                write_briefing(work, language=language, run=run)
        seconds = {**prepared.seconds, "solve_s": solve_s}
        seconds["solver_runtime_s"] = result.plan.runtime_s
        timing = write_timing(work, seconds, wall=wall)
    return RunResult(folder=folder, summary=summary, timing=timing, result=result)


def for_2020(prepared: Prepared) -> Prepared:
    """Return `prepared` planning for 2020's people (census), not robust: the comparison."""
    s = prepared.resolved.scenario
    scenario = s.model_copy(update={"population": PopulationSettings()})
    return replace(prepared, resolved=replace(prepared.resolved, scenario=scenario))


def upgrade_rules(prepared: Prepared) -> PlanningRules:
    """Return the planning rules of an upgrade scenario (converted once, by `prepare`)."""
    if prepared.rules is None:
        msg = f"{prepared.resolved.source_path}: not an upgrade scenario"
        raise TypeError(msg)
    return prepared.rules


def solve_plan(
    prepared: Prepared, *, strict: bool = True, progress: Progress = quiet
) -> PlanResult:
    """Solve the upgrade scenario of `prepared`.

    This is what `run_scenario`, `validate_scenario` and each case of a sweep do.

    Parameters
    ----------
    prepared
        The prepared scenario.
    strict
        Raise when no plan was found (a sweep records such cases as rows instead).
    progress
        Called with a short line before the solve.

    Raises
    ------
    ScenarioError
        With `strict`: rules no plan satisfies, or no plan found in the time limit.
    """
    s = prepared.resolved.scenario
    progress(f"solving ({s.objective}, {s.solver.name})")
    population = s.population
    result = plan_for_population(
        prepared.world,
        upgrade_rules(prepared),
        year=population.year,
        variant=population.variant,
        robust=population.robust,
        robust_years=population.robust_years,
        objective=s.objective,
        budget_cny=s.budget_cny,
        yearly_budgets_cny=list(s.yearly_budgets_cny) if s.yearly_budgets_cny else None,
        carry_over=s.carry_over,
        equity_group=s.equity_group,
        times=prepared.times,
        graph=prepared.graph,
        cutoff_minutes=s.travel.cutoff_minutes,
        solver=s.solver.name,
        time_limit_s=s.solver.time_limit_s,
        mip_gap=s.solver.mip_gap,
    )
    if strict:
        _raise_unsolved(prepared.resolved, result)
    return result


_TIER_KEY = re.compile(r"tier (\w+): .*?(min_upgrades|max_upgrades|coverage|provider|candidates)")


def infeasible_error(resolved: ResolvedScenario, reason: str) -> ScenarioError:
    """Make a `ScenarioError` for rules no plan satisfies, naming the key most likely to change.

    The first reason decides: one about money names ``budget_cny``, else the tier rule it
    mentions.
    """
    reason = reason or "the rules contradict each other"
    key, fix = "budget_cny", "raise budget_cny or relax the tier rules"
    first = reason.split("; ")[0]  # the first reason decides the key
    found = _TIER_KEY.search(first)
    tier = re.match(r"tier (\w+):", first)
    if "budget" in first or "cost" in first:
        if tier:
            fix = f"raise budget_cny or relax the tier.{tier.group(1)} rules"
    elif found:
        name, what = found.groups()
        level = "city" if "city group" in first else "county"
        key = {
            "min_upgrades": f"tier.{name}.min_upgrades",
            "max_upgrades": f"tier.{name}.max_upgrades",
            "coverage": f"tier.{name}.min_{level}_coverage",
            "provider": f"tier.{name}.every_county",
            "candidates": f"tier.{name}.min_per_{level}",
        }[what]
        fix = f"relax {key}"
    problem = f"no plan satisfies the rules: {reason}"
    return ScenarioError(key_file(resolved, key), key, problem, fix)


def validate_scenario(
    scenario: str | Path | ResolvedScenario,
    *,
    quick: bool = False,
    progress: Progress = quiet,
) -> Prepared:
    """Check a scenario, its data and its rules exactly as `run_scenario` does, writing nothing.

    The checks are the run's own: loading, the data, the rules' quick pre-checks and then
    the solve itself, so a scenario that passes runs, and one that fails gives the same
    message as ``run``. Some combinations of rules are infeasible only together, and only
    the solver can tell (e.g. at least 3 upgrades but at most 0 per city).

    Parameters
    ----------
    scenario
        A scenario file, a preset name or a loaded scenario.
    quick
        Skip the solve: the pre-checks find most contradictions in a fraction of a second,
        but passing them does not prove that a plan exists.
    progress
        Called with a short line before each step.

    Raises
    ------
    ScenarioError, geodata.errors.HealthplanDataError
        One-line messages; rules that no plan can satisfy are reported like `run_scenario`.
    """
    prepared = prepare(scenario, progress=progress)
    s = prepared.resolved.scenario
    if quick:
        if s.kind == "upgrade":  # the solve runs the same pre-checks first
            progress("checking the rules")
            planned = Projection.of(s.population.year, s.population.variant)
            world = planned.world(prepared.world)  # the people the plan is for, as the solve
            problem = build_problem(world, prepared.times, upgrade_rules(prepared))
            budgets = s.yearly_budgets_cny
            reason = check_upgrades(problem, budget=s.budget_cny, yearly_budgets=budgets)
            if reason:
                raise infeasible_error(prepared.resolved, reason)
        return prepared
    if s.kind == "centres":
        solve_centres(prepared, progress)
    elif s.kind == "specialties":
        solve_specialties(prepared, progress)
    else:
        solve_plan(prepared, progress=progress)
    return prepared


def _raise_unsolved(resolved: ResolvedScenario, result: PlanResult) -> None:
    """Turn an infeasible or unsolved plan into a `ScenarioError` naming the key to change."""
    plan = result.plan
    status = str(plan.status)
    file = key_file(resolved, "solver.time_limit_s")
    if status == "infeasible":
        raise infeasible_error(resolved, plan.message)
    if status == "no_solution":
        limit = resolved.scenario.solver.time_limit_s
        raise ScenarioError(
            file,
            "solver.time_limit_s",
            f"the solver found no plan within {limit:g} s" if limit else "no plan found",
            "raise solver.time_limit_s or set solver.mip_gap (e.g. 0.01)",
        )


def build_summary(prepared: Prepared, result: PlanResult) -> dict[str, Any]:
    """Build the ``summary.json`` contract (deterministic: no wall-clock times or absolute paths).

    The keys of `context_summary`, with ``plan`` (status, objective, gap, cost, budget,
    counts and metrics per tier before and after with the worst county's names; see
    `PlanResult.summary`), ``upgrades`` (the rows of ``upgrades.csv``) and ``files``.
    """
    s = prepared.resolved.scenario
    plan = {k: v for k, v in result.summary().items() if k != "runtime_s"}
    names = prepared.world.boundaries.set_index("code")
    for tier_metrics in plan["tiers"].values():
        for metrics in tier_metrics.values():
            code = metrics.get("worst_group")
            known = code is not None and code in names.index
            metrics["worst_group_name_zh"] = names.at[code, "name_zh"] if known else None
            metrics["worst_group_name_en"] = names.at[code, "name_en"] if known else None
    plan["budget_cny"] = s.budget_cny
    plan["yearly_budgets_cny"] = list(s.yearly_budgets_cny) if s.yearly_budgets_cny else None
    summary = context_summary(prepared)
    summary["kind"] = "upgrade"
    summary["population"] = population_summary(prepared, result)
    summary["plan"] = jsonable(plan)
    summary["upgrades"] = jsonable(rounded(result.upgrades_table()).to_dict(orient="records"))
    return summary


def write_tables(result: PlanResult, folder: Path) -> None:
    """``upgrades.csv``, ``rejected.csv`` and ``counties.csv``."""
    write_csv(result.upgrades_table(), folder / "upgrades.csv")
    write_csv(result.rejected_table(), folder / "rejected.csv")
    write_csv(result.county_table(), folder / "counties.csv")


def demand_layer(result: PlanResult) -> gpd.GeoDataFrame:
    """Demand points with, per tier, serving facility, minutes and coverage before and after.

    ``<tier>_status`` (and ``_before``): `planning.upgrades.COVERAGE_STATUSES` - covered,
    not_chosen, no_candidate (no existing provider or candidate within the standard: no
    budget covers it) or other_tier (demand of another tier).
    """
    demand = result.world.demand.copy()
    site_ids = np.array([str(i) for i in result.problem.base.site_ids], dtype=object)
    for tier in result.problem.tier_names:
        for label, metrics in (("before", result.before[tier]), ("after", result.after[tier])):
            nearest = np.asarray(metrics.nearest_site)
            minutes = np.asarray(metrics.nearest_minutes, dtype=np.float64)
            serving = site_ids[np.maximum(nearest, 0)]
            serving[nearest < 0] = None
            suffix = "" if label == "after" else "_before"
            demand[f"{tier}_facility_id{suffix}"] = serving
            demand[f"{tier}_minutes{suffix}"] = np.where(np.isfinite(minutes), minutes, np.nan)
            status = result.coverage_statuses(tier, label)
            demand[f"{tier}_covered{suffix}"] = status == "covered"  # demand of this tier
            demand[f"{tier}_status{suffix}"] = status
    return demand


def _area_layer(result: PlanResult, level: str, demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    units = result.world.units(level)[["code", "name_zh", "name_en", "parent_code", "geometry"]]
    units = units.reset_index(drop=True)
    key = "county_code" if level == "county" else "city_code"
    grouped = demand.groupby(key)
    table = pd.DataFrame({"population": grouped["population"].sum()})
    for tier in result.problem.tier_names:
        weight = pd.Series(
            np.asarray(result.problem.tier(tier).demand_weight, dtype=np.float64),
            index=demand.index,
        )
        total = weight.groupby(demand[key]).sum()
        for suffix in ("_before", ""):
            covered = weight.where(demand[f"{tier}_covered{suffix}"], 0.0)
            covered_sum = covered.groupby(demand[key]).sum()
            label = "after" if suffix == "" else "before"
            table[f"{tier}_covered_{label}"] = covered_sum
            table[f"{tier}_share_{label}"] = (covered_sum / total).where(total > 0)
    merged = units.merge(table, left_on="code", right_index=True, how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=result.world.boundaries.crs)


def facility_layer(result: PlanResult) -> gpd.GeoDataFrame:
    """Facilities with the plan's decision, target tier, year and reason."""
    sites = result.facility_status()
    year = {str(k): v for k, v in result.plan.year.items()}
    upgraded = sites["status"] == "upgraded"
    sites["upgrade_year"] = sites["facility_id"].map(year).where(upgraded).astype("Int64")
    return sites


def write_gpkg(result: PlanResult, path: Path) -> None:
    """``plan.gpkg`` with layers facilities, demand, counties and cities (fixed timestamps)."""
    demand = demand_layer(result)
    layers = {
        "facilities": facility_layer(result),
        "demand": demand,
        "counties": _area_layer(result, "county", demand),
        "cities": _area_layer(result, "city", demand),
    }
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
    try:
        for name, frame in layers.items():
            frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise _write_error(path, error) from None
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def _write_error(path: Path, error: Exception) -> OSError:
    """GDAL's failure to write `path` as an `OSError` with the likely cause.

    GDAL reports a full disk or a file-size limit only as "Failed to commit transaction":
    the limit and the free space tell them apart.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY:
        return OSError(errno.EFBIG, f"File too large (limit {soft:,} bytes)", str(path))
    if shutil.disk_usage(path.parent).free < 16 * 2**20:
        return OSError(errno.ENOSPC, "No space left on device", str(path))
    return OSError(errno.EIO, f"could not be written ({error})", str(path))


def write_maps(
    result: PlanResult, folder: Path, *, tier: str, title: str, png: bool = True
) -> None:
    """Write ``map.html`` (Chinese), ``map_en.html`` (English) and, with `png`, their images.

    The images are ``map.png`` and ``map_en.png`` (1600 x 1000).

    Parameters
    ----------
    result
        The plan to draw.
    folder
        The folder the maps are written into.
    tier
        The tier drawn (one of the plan's tiers).
    title
        The title shown on both maps.
    png
        Also export the images (needs headless Chromium, see `scenarios.png.export_png`).
    """
    for language, name in (("zh", "map.html"), ("en", "map_en.html")):
        m = plan_map(
            result.world,
            result.facility_status(),
            result.demand_status(tier),
            result.county_summary(tier),
            tier=tier,
            language=language,
            title=title,
        )
        save_map(m, folder / name)
    if png:
        from scenarios.png import export_png

        for name in ("map", "map_en"):
            export_png(
                folder / f"{name}.html", folder / f"{name}.png", width=1600, height=1000, scale=1
            )
