"""Aids for the phased upgrade model: a feasible plan (MIP start) and a floor per year.

The phased model (`optimizer.upgrade`, "Phasing") has a tight LP bound but HiGHS's own
heuristics find poor plans for it: on Liaoning (5 years of 0.3 bn CNY) its incumbent after
two minutes spends 0.42 of 1.5 bn, all in the last years (5.85 % gap). A good start closes
most of that gap at once. Two strategies, the first that keeps every rule wins:

1. **Myopic, year by year.** Year 1 is a single-period model of the same objective with year
   1's money (`Built` of `build_model` without ``yearly_budgets``, plus one spending row);
   its upgrades are fixed, then year 2 with its money (cumulative money with
   ``carry_over``), and so on. Rules that only a finished plan must meet (minimum counts,
   minimum providers or coverage per group, required sites) hold in the last year only; upper
   limits (budgets, maximum counts) hold every year, as in the phased model.
2. **Final plan first, then backwards.** When the myopic plan cannot meet the final-year
   rules (say every county needs a county_3a provider and year 1 spent the money
   elsewhere): the final plan is solved first as one period with all the money and every
   rule, leaving out upgrades that no single year can pay for. Then, from the last year
   back, each year keeps the best subset of the next year's upgrades that leaves the next
   year at most its money to spend (and keeps within its own cumulative money).

Each single-period solve runs with `YEAR_GAP` and a time allowance, so the start is cheap
(about 0.2 s a year for coverage on Liaoning). The plan is a years x pairs boolean matrix in
the column order of `Built.x_cols`; `Built.encode` turns it into a full solution vector.

`year_floors` gives valid inequalities: whatever the phasing, the upgrades in place at the end
of year ``y`` cost at most the money of years ``1 … y`` (with or without ``carry_over``) and
keep every upper limit, so that year's objective is no better than the best single-period plan
with that money (the solver's bound of it, so a solve cut short still gives a valid floor):
``year_cost[y] · v ≥ floor_y`` (minimisation form). The year rows barely move the root bound,
but with them and the start HiGHS proves the five-year Liaoning coverage plan in 16 nodes
instead of 2,277 (21 s instead of 154 s). `optimizer.upgrade` adds them to coverage models
only: over the level variables of median/minmax models they slow HiGHS down
(docs/decisions.md, Upgrade planning).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from optimizer.core.arrays import BoolArray, FloatArray
from optimizer.core.milp import Milp
from optimizer.core.solvers import run_milp
from optimizer.upgrade._model import Built, build_model

if TYPE_CHECKING:
    from optimizer.upgrade.api import UpgradeProblem

__all__ = ["FLOOR_GAP", "YEAR_GAP", "phased_start", "year_floors"]


#: Relative MIP gap of each single-period solve of the heuristic.
YEAR_GAP = 1e-4
#: Relative MIP gap of the single-period solves of `year_floors`: their bound is used, and
#: on Liaoning 1e-3 floors are found twice as fast as 1e-4 ones and helped HiGHS as much
#: or more (docs/decisions.md).
FLOOR_GAP = 1e-3
#: Time allowance of all single-period solves together when no time limit is given (s).
DEFAULT_ALLOWANCE_S = 60.0
#: Relative slack of a year floor (the solver's bound is exact only up to its tolerances).
FLOOR_SLACK = 1e-6


def phased_start(
    problem: UpgradeProblem,
    built: Built,
    *,
    budget: float | None,
    yearly_budgets: Sequence[float],
    carry_over: bool,
    solver: str = "highs",
    allowance_s: float | None = None,
) -> BoolArray | None:
    """Return a feasible phased plan for `built`, or None when neither strategy finds one.

    Parameters
    ----------
    problem
        The upgrade problem `built` was assembled from.
    built
        The phased model (`build_model` with `yearly_budgets`); its ``kind`` is the objective
        of every single-period solve.
    budget, yearly_budgets, carry_over
        As given to `build_model`.
    solver
        Solver of the single-period runs.
    allowance_s
        Seconds for all single-period runs together (default `DEFAULT_ALLOWANCE_S`).

    Returns
    -------
    numpy.ndarray or None
        Boolean years x pairs, ``True`` where pair ``k`` is upgraded by the end of that year
        (upgrades stay, so every row contains the previous one).
    """
    deadline = _deadline(allowance_s)
    early, late = _single_models(problem, built, budget=budget)
    years = [float(v) for v in yearly_budgets]
    plan = _myopic(early, late, years, carry_over=carry_over, solver=solver, deadline=deadline)
    if plan is None:
        plan = _final_first(
            early, late, years, carry_over=carry_over, solver=solver, deadline=deadline
        )
    return plan


def year_floors(
    problem: UpgradeProblem,
    built: Built,
    *,
    budget: float | None,
    yearly_budgets: Sequence[float],
    solver: str = "highs",
    allowance_s: float | None = None,
) -> FloatArray:
    """Least value of each year's part of the phased objective (rows of `Built.year_cost`).

    Parameters
    ----------
    problem, built, budget, yearly_budgets, solver, allowance_s
        As for `phased_start`.

    Returns
    -------
    numpy.ndarray
        One floor per year, in minimisation form without the model's offset; ``-inf`` for a
        year whose single-period run found no bound (no solution within the allowance).
    """
    deadline = _deadline(allowance_s)
    early, late = _single_models(problem, built, budget=budget)
    money = np.cumsum(np.asarray(yearly_budgets, dtype=np.float64))
    floors = np.full(money.size, -np.inf)
    none = np.zeros(built.pair_cost.size, dtype=np.bool_)
    for year, cap in enumerate(money):
        single = late if year == money.size - 1 else early
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        run = run_milp(
            _year_model(single, fixed=none, within=None, cap=float(cap)),
            solver=solver,
            time_limit=left / (money.size - year),
            mip_gap=FLOOR_GAP,
        )
        if run.values is None or not np.isfinite(run.gap):
            continue
        value = float(single.milp.cost @ run.values)  # without the offset
        reference = abs(value + single.milp.offset)
        # The solver's bound: its gap is relative to the incumbent (offset included).
        floors[year] = value - (run.gap + FLOOR_SLACK) * max(1.0, reference)
    return floors


def _deadline(allowance_s: float | None) -> float:
    allowance = DEFAULT_ALLOWANCE_S if allowance_s is None else max(allowance_s, 0.0)
    return time.perf_counter() + allowance


def _single_models(
    problem: UpgradeProblem, built: Built, *, budget: float | None
) -> tuple[Built, Built]:
    """Single-period models of `built`'s kind: upper limits only, and every rule."""
    early, late = (
        build_model(
            rules,
            kind=built.kind,
            budget=budget,
            yearly_budgets=None,
            carry_over=False,
            equity_group=None,
            unreachable=built.unreachable,
        )
        for rules in (_upper_rules_only(problem), problem)
    )
    for single in (early, late):  # both come from the same tiers' costs
        assert np.array_equal(single.pair_site, built.pair_site)
        assert np.array_equal(single.pair_tier, built.pair_tier)
    return early, late


def _upper_rules_only(problem: UpgradeProblem) -> UpgradeProblem:
    """Return the problem without the rules that only a finished plan has to meet."""
    tiers = tuple(
        replace(
            t,
            min_upgrades=0,
            min_group_coverage={},
            min_upgrades_per_group={},
            min_providers_per_group={},
            required=(),
        )
        for t in problem.tiers
    )
    return replace(problem, tiers=tiers)


def _caps(years: list[float], spent: float, year: int, *, carry_over: bool) -> float:
    """Most that the plan may have spent in total by the end of `year`."""
    if carry_over:
        return float(np.sum(years[: year + 1]))
    return spent + years[year]


def _solve_year(
    single: Built,
    *,
    fixed: BoolArray,
    within: BoolArray | None,
    cap: float,
    solver: str,
    deadline: float,
    share: int,
    least: float = -np.inf,
) -> BoolArray | None:
    """Return the best single-period plan keeping `fixed` within the spending limits.

    It uses only `within` (all when None) and spends at most `cap` and at least `least` in
    total; the run gets ``1/share`` of the time left (a run stopped by its limit still gives
    its incumbent).
    """
    left = deadline - time.perf_counter()
    if left <= 0:
        return None
    model = _year_model(single, fixed=fixed, within=within, cap=cap, least=least)
    if (model.col_lo > model.col_hi).any():
        return None
    run = run_milp(model, solver=solver, time_limit=left / share, mip_gap=YEAR_GAP)
    if run.values is None:
        return None
    return np.asarray((run.values[single.x_cols[0]] > 0.5) | fixed, dtype=np.bool_)


def _year_model(
    single: Built,
    *,
    fixed: BoolArray,
    within: BoolArray | None,
    cap: float,
    least: float = -np.inf,
) -> Milp:
    """Return `single` keeping `fixed`, using only `within` (all when None).

    The plan spends in total at least `least` and at most `cap`.
    """
    milp = single.milp
    x = single.x_cols[0]
    lo = milp.col_lo.copy()
    lo[x] = np.maximum(lo[x], fixed.astype(np.float64))
    hi = milp.col_hi.copy()
    if within is not None:
        hi[x] = np.where(within | fixed, hi[x], 0.0)
    spend = sp.csr_array(
        (single.pair_cost, (np.zeros(x.size, dtype=np.intp), x)), shape=(1, milp.n_col)
    )
    return replace(milp, col_lo=lo, col_hi=hi).with_rows(spend, [least], [cap])


def _myopic(
    early: Built,
    late: Built,
    years: list[float],
    *,
    carry_over: bool,
    solver: str,
    deadline: float,
) -> BoolArray | None:
    n_years = len(years)
    chosen = np.zeros((n_years, early.pair_cost.size), dtype=np.bool_)
    fixed = np.zeros(early.pair_cost.size, dtype=np.bool_)
    for year in range(n_years):
        spent = float(early.pair_cost @ fixed)
        cap = _caps(years, spent, year, carry_over=carry_over)
        single = late if year == n_years - 1 else early
        picked = _solve_year(
            single,
            fixed=fixed,
            within=None,
            cap=cap,
            solver=solver,
            deadline=deadline,
            share=n_years - year,
        )
        if picked is None:
            return None
        chosen[year] = fixed = picked
    return chosen


def _final_first(
    early: Built,
    late: Built,
    years: list[float],
    *,
    carry_over: bool,
    solver: str,
    deadline: float,
) -> BoolArray | None:
    cost = late.pair_cost
    money = np.cumsum(years)
    # Upgrades that no single year can pay for are left out of the final plan.
    affordable = cost <= (money[-1] if carry_over else max(years))
    none = np.zeros(cost.size, dtype=np.bool_)
    chosen = np.zeros((len(years), cost.size), dtype=np.bool_)
    final = _solve_year(
        late,
        fixed=none,
        within=affordable,
        cap=float(money[-1]),
        solver=solver,
        deadline=deadline,
        share=len(years),
    )
    if final is None:
        return None
    chosen[-1] = final
    for year in range(len(years) - 2, -1, -1):
        later = chosen[year + 1]
        # Without carry-over the next year adds at most its own money.
        least = -np.inf if carry_over else float(cost @ later) - years[year + 1]
        kept = _solve_year(
            early,
            fixed=none,
            within=later,
            cap=float(money[year]),
            least=least,
            solver=solver,
            deadline=deadline,
            share=year + 1,
        )
        if kept is None:
            return None
        chosen[year] = kept
    return chosen
