"""Budget sweeps: one scenario solved at several budgets, for the coverage-versus-budget curve.

>>> from scenarios.sweep import sweep_budgets
>>> sweep = sweep_budgets("baseline", [0.5e9, 1e9, 1.5e9, 3e9], "out/sweep", force=True)
>>> sweep.table[["budget_cny", "township_central_covered_share"]]

The folder (written atomically) holds ``sweep.csv`` (one row per budget: status, gap, cost,
upgrades per tier, and per tier covered population and share, mean and 95th-percentile
minutes), ``sweep.json`` (the scenario's hash and settings with the rows), ``summary.json``
(what the sweep was made from: scenario, data, travel; no plan) and, unless
``briefing=False``, the trade-off chart ``sweep.png`` / ``sweep_en.png`` with the briefings
``briefing.html`` / ``.pdf`` and ``briefing_en.*`` (`scenarios.briefing`). The data, graph
and travel times are prepared once; each budget is a separate proven-optimal solve (or says
its status and gap).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from scenarios.briefing import write_sweep_briefing
from scenarios.inputs import Progress, context_summary, prepare, quiet, run_inputs
from scenarios.rundir import SUMMARY, atomic_folder, check_target, write_json
from scenarios.runner import solve_plan
from scenarios.scenario import ResolvedScenario, ScenarioError

__all__ = ["Sweep", "sweep_budgets"]


@dataclass(frozen=True)
class Sweep:
    """What `sweep_budgets` wrote."""

    folder: Path
    table: pd.DataFrame


def sweep_budgets(
    scenario: str | Path | ResolvedScenario,
    budgets_cny: Sequence[float],
    out: str | Path,
    *,
    force: bool = False,
    briefing: bool = True,
    progress: Progress = quiet,
) -> Sweep:
    """Solve `scenario` once per budget (replacing its ``budget_cny``) and write `out`.

    Parameters
    ----------
    scenario
        A scenario file, a preset name (``"baseline"``) or a loaded scenario.
    budgets_cny
        The budgets to solve at, in CNY (repeats are solved once, in increasing order).
    out
        The sweep folder (see the module docstring); must not exist unless `force`.
    force
        Replace an existing `out` (only once the new folder is complete).
    briefing
        Also draw the trade-off chart and write the briefings.
    progress
        Called with a short line before each step (the CLI prints it on stderr).

    Raises
    ------
    ScenarioError
        For a bad scenario, no budgets, a negative budget, or a phased scenario (a sweep
        varies one total budget; sweep yearly budgets by writing one scenario per variant).
    scenarios.rundir.OutputExistsError
        If `out` exists and `force` is false.
    """
    folder = check_target(out, force=force)
    prepared = prepare(scenario, progress=progress)
    check_target(folder, force=force, inputs=run_inputs(prepared))
    resolved = prepared.resolved
    s = resolved.scenario
    values = sorted({float(b) for b in budgets_cny})
    if not values or any(not math.isfinite(b) or b < 0 for b in values):
        raise ScenarioError(
            resolved.source_path,
            "--budgets",
            f"needs non-negative budgets, got {list(budgets_cny)}",
            "pass e.g. --budgets 5e8,1e9,1.5e9",
        )
    if s.yearly_budgets_cny:
        raise ScenarioError(
            resolved.source_path,
            "yearly_budgets_cny",
            "a budget sweep varies one total budget, not yearly ones",
            "sweep a scenario without yearly_budgets_cny",
        )
    rows: list[dict[str, Any]] = []
    for budget in values:
        progress(f"solving at {budget:,.0f} CNY")
        case = s.model_copy(update={"budget_cny": budget})
        result = solve_plan(
            replace(prepared, resolved=replace(resolved, scenario=case)), strict=False
        )
        plan = result.plan
        row: dict[str, Any] = {
            "budget_cny": budget,
            "status": str(plan.status),
            "gap": plan.gap,
            "cost_cny": plan.cost,
            "upgrades": len(plan.upgraded_sites),
        }
        for tier in result.problem.tier_names:
            row[f"{tier}_upgrades"] = len(plan.upgrades.get(tier, ()))
        for tier in result.problem.tier_names:
            after = result.after[tier] if str(plan.status) != "infeasible" else None
            before = result.before[tier]
            metrics = after or before
            row[f"{tier}_covered_population"] = metrics.covered_population
            row[f"{tier}_covered_share"] = metrics.covered_share
            row[f"{tier}_covered_share_before"] = before.covered_share
            row[f"{tier}_mean_minutes"] = metrics.mean_minutes
            row[f"{tier}_p95_minutes"] = metrics.p95_minutes
        rows.append(row)
    table = pd.DataFrame(rows)
    with atomic_folder(folder, force=force, kind="sweep", inputs=run_inputs(prepared)) as work:
        rounded = table.copy()
        for column in rounded.columns:
            if pd.api.types.is_float_dtype(rounded[column]):
                rounded[column] = rounded[column].round(6)
        rounded.to_csv(work / "sweep.csv", index=False, lineterminator="\n")
        write_json(
            work / "sweep.json",
            {
                "scenario": {
                    "name": s.name,
                    "file": resolved.source_path.name,
                    "sha256": resolved.sha256,
                    "settings": s.model_dump(mode="json"),
                },
                "rows": rounded.to_dict(orient="records"),
            },
        )
        # what the sweep was made from (no "plan": it is not one run), read by the briefing
        write_json(work / SUMMARY, {**context_summary(prepared), "kind": "sweep"})
        if briefing:
            progress("drawing the trade-off chart and briefings")
            for language in ("zh", "en"):
                write_sweep_briefing(work, language=language)
    return Sweep(folder=folder, table=table)
