"""Upgrade planning: which sites to raise to which tier, under one budget, with nesting.

The planner's model (issue 4) on top of the optimizer core: demand points, sites and one travel
time matrix; several *tiers* (e.g. ``township_central`` with a 30-minute standard and
``county_3a`` with 60 minutes), each with the sites that already provide it, the candidates that
can be upgraded to it and their costs. A site upgraded to a tier also provides the tiers listed
in its ``serves`` (a county_3a hospital is a township-central-level provider).

Formulation (one period; phasing repeats the blocks per year, see below)
-----------------------------------------------------------------------
Sets and parameters

=================  ===========================================================================
``I``               demand points, weight ``d_it`` (population or an age band) per tier ``t``
``J``               sites; ``K`` candidate pairs ``k = (j, t')`` with cost ``c_k``
``K_t``             candidate pairs that provide tier ``t`` (``t' = t`` or ``t`` in serves(t'))
``a_itj``           1 if site ``j`` is within tier ``t``'s standard of ``i`` (and, with
                    ``within_group``, in the same group, e.g. county: 医共体)
``E_it``            1 if an existing provider of ``t`` already covers ``i``
``w_t``             tier weight in the objective
=================  ===========================================================================

Variables: ``x_k ∈ {0,1}`` upgrade pair ``k``; ``y_it ∈ [0,1]`` demand ``i`` covered at tier
``t`` (only where ``E_it = 0``); ``z_itl ≥ 0`` level variables of the median/minmax objectives;
``s_t`` worst group share of tier ``t`` (equity); ``W_t`` worst time (minmax).

Objectives

* ``coverage``: max ``Σ_t w_t Σ_i d_it y_it`` (population covered within each tier's
  standard, weighted across tiers).
* ``median``: min ``Σ_t w_t Σ_i d_it T_it`` with ``T_it`` the time to the nearest provider,
  written with sorted distinct candidate times ``v_1 < … < v_m`` below the nearest existing
  provider's time ``e_it`` (Elloumi 2010's radius formulation in chained form):
  ``T_it = v_1 + Σ_l (v_{l+1} - v_l) z_itl`` with ``v_{m+1} = e_it``.
* ``minmax``: min ``Σ_t w_t W_t`` with ``W_t ≥ T_it`` for every ``i`` with ``d_it > 0``.
* ``equity``: equity per tier, lexicographically in the order the tiers are given (low to
  high): first max ``s_1``, the worst group's covered share at the first tier; then, keeping
  ``s_1 ≥ s_1*``, max ``s_2``, the worst group's share at the second tier; and so on; then
  max coverage subject to every ``s_t ≥ s_t*``. Each tier's worst county is lifted as far as
  the earlier tiers allow; tier weights play no part in these stages (stages
  ``worst_group_share_<tier>``).
* ``lexicographic``: equity's two stages, then min cost subject to both optima.

Constraints

1. ``y_it ≤ Σ_{k∈K_t} a_it,site(k) x_k``                            (coverage, ``E_it = 0``)
2. ``z_it1 + Σ_{k∈K_t: time=v_1} x_k ≥ 1``;
   ``z_itl - z_it,l-1 + Σ_{k∈K_t: time=v_l} x_k ≥ 0``              (levels, median/minmax)
3. ``Σ_{t'} x_(j,t') ≤ 1``                                          (one upgrade per site)
4. ``Σ_k c_k x_k ≤ B``; per tier ``Σ_{k∈t} c_k x_k ≤ B_t``           (budgets)
5. ``min_t ≤ Σ_{k∈t} x_k ≤ max_t``                                  (counts per tier)
6. ``lo_g ≤ Σ_{k∈t, site in g} x_k ≤ hi_g``                          (upgrades per group)
7. ``Σ_{k∈K_t, site in g, site not E_t} x_k ≥ m_g - |E_t ∩ g|``        (providers per group;
   ``E_t`` the existing providers of ``t``: upgrading one of them adds no provider)
8. ``Σ_{i∈g} d_it y_it ≥ σ_g D_gt - base_gt``                        (coverage share per group)
9. ``s_t · D_gt - Σ_{i∈g} d_it y_it ≤ base_gt`` for every group ``g`` with ``D_gt > 0``
                                                                   (equity, per tier ``t``)

Phasing: with yearly budgets ``B_1 … B_Y`` every variable gets a year index; ``x_k,τ ≥
x_k,τ-1`` (an upgrade stays, so ``x_k,τ`` means "upgraded by the end of year τ"), spending
``Σ_k c_k (x_k,τ - x_k,τ-1) ≤ B_τ`` (or cumulative spending ≤ cumulative budget with
``carry_over``), the objective sums over years (coverage-years: early upgrades where they
matter most), and rules 5-8 hold for the final year. With HiGHS and two or more years, two
aids from `optimizer.upgrade._heuristic` come first: a myopic year-by-year plan handed to
HiGHS as a full MIP start (`Built.encode`), and, for the coverage objectives, a floor per
year ``Σ_{cols of τ} c v ≥ f_τ`` from the bound of the best single-period plan with the
money of years ``1 … τ`` (valid inequalities: they remove no plan, and they let HiGHS prove
the optimum with far fewer nodes).
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from optimizer.core.arrays import FloatArray
from optimizer.core.milp import Milp
from optimizer.core.options import SolverOptions, check_choice, solver_options
from optimizer.core.problem import Problem
from optimizer.core.solvers import run_milp, worst_status
from optimizer.errors import InvalidOptionError, InvalidProblemError
from optimizer.result import Status
from optimizer.upgrade._checks import explain_infeasible, explain_solver_infeasible
from optimizer.upgrade._heuristic import phased_start, year_floors
from optimizer.upgrade._model import Built, build_model, max_violation
from optimizer.upgrade.robust import DemandScenarios, solve_robust

__all__ = [
    "UPGRADE_OBJECTIVES",
    "UpgradePlan",
    "UpgradeProblem",
    "UpgradeTier",
    "check_upgrades",
    "close_serves",
    "solve_upgrades",
]


UPGRADE_OBJECTIVES = ("coverage", "median", "minmax", "equity", "lexicographic")
#: Relative slack when a lexicographic stage fixes an earlier stage's optimum.
STAGE_TOLERANCE = 1e-7
#: Share of `time_limit` that the phased aids (MIP start, year floors) may use; without a
#: time limit they get `optimizer.upgrade._heuristic.DEFAULT_ALLOWANCE_S`. The first solver
#: run's time limit is shortened by the time they took.
PHASED_AID_SHARE = 0.25
#: Largest violation of the model's rows (relative) for the heuristic start to be used.
START_TOLERANCE = 1e-9


@dataclass(frozen=True)
class UpgradeTier:
    """One service tier of an upgrade problem (all per-site arrays in site order).

    Attributes
    ----------
    name
        Tier name, e.g. ``"township_central"``.
    standard_minutes
        Travel-time standard: demand within it of a provider is covered.
    existing
        Sites that already provide this tier (including higher tiers that nest it).
    cost
        Upgrade cost of each site to this tier; NaN (or None for all) = not a candidate.
    serves
        Lower tiers that a site upgraded to this tier also provides; closed transitively by
        `UpgradeProblem.from_matrix` (A serves B and B serves C: an A upgrade provides C).
    weight
        Weight of this tier in the objective.
    demand_weight
        Demand weight for this tier (e.g. population 65+); default the problem's population.
    within_group
        Name of a grouping (e.g. ``"county"``): only sites of a demand's own group count for
        it at this tier (county medical community, 医共体).
    budget, min_upgrades, max_upgrades
        Per-tier budget and count limits.
    min_group_coverage
        Grouping → minimum covered share of every group's demand (e.g. ``{"county": 0.8}``).
    min_upgrades_per_group, max_upgrades_per_group
        Grouping → at least / at most this many upgrades to this tier in every group.
    min_providers_per_group
        Grouping → every group ends with at least this many providers of this tier
        (e.g. ``{"county": 1}``: every county has a county_3a-level hospital).
    required, excluded
        Site ids that must / must not be upgraded to this tier.
    """

    name: str
    standard_minutes: float
    existing: ArrayLike
    cost: ArrayLike | None = None
    serves: Sequence[str] = ()
    weight: float = 1.0
    demand_weight: ArrayLike | None = None
    within_group: str | None = None
    budget: float | None = None
    min_upgrades: int = 0
    max_upgrades: int | None = None
    min_group_coverage: Mapping[str, float] = field(default_factory=dict)
    min_upgrades_per_group: Mapping[str, int] = field(default_factory=dict)
    max_upgrades_per_group: Mapping[str, int] = field(default_factory=dict)
    min_providers_per_group: Mapping[str, int] = field(default_factory=dict)
    required: Sequence[Hashable] = ()
    excluded: Sequence[Hashable] = ()


@dataclass(frozen=True, eq=False)
class UpgradeProblem:
    """A validated upgrade problem; build it with `UpgradeProblem.from_matrix`.

    Attributes
    ----------
    base
        The core `Problem` holding the travel-time matrix, population and ids.
    tiers
        Tiers in the order given, with arrays normalised (``existing`` bool, ``cost`` float
        with NaN for non-candidates, ``demand_weight`` float).
    demand_groups, site_groups
        Grouping name → label of every demand point / site (e.g. county codes).
    """

    base: Problem
    tiers: tuple[UpgradeTier, ...]
    demand_groups: Mapping[str, NDArray[Any]]
    site_groups: Mapping[str, NDArray[Any]]

    @classmethod
    def from_matrix(
        cls,
        minutes: ArrayLike | sp.sparray | sp.spmatrix,
        *,
        tiers: Sequence[UpgradeTier],
        population: ArrayLike | None = None,
        demand_ids: Sequence[Hashable] | ArrayLike | None = None,
        site_ids: Sequence[Hashable] | ArrayLike | None = None,
        demand_groups: Mapping[str, ArrayLike] | None = None,
        site_groups: Mapping[str, ArrayLike] | None = None,
    ) -> UpgradeProblem:
        """Validate the travel-time matrix, the tiers and the groupings.

        Parameters
        ----------
        minutes
            Demand × site travel minutes: dense (``inf``/NaN unreachable) or sparse (stored
            entries reachable, explicit zeros included).
        tiers
            The tiers to plan, each an `UpgradeTier`.
        population
            Demand weights (default 1 each); a tier's ``demand_weight`` overrides it.
        demand_ids, site_ids
            Ids kept in plans and explanations.
        demand_groups, site_groups
            Grouping name → labels (e.g. ``{"county": county_code_per_row}``), needed by
            every rule that names a grouping.

        Raises
        ------
        InvalidProblemError
            One line listing every problem found.
        """
        base = Problem.from_matrix(minutes, population, demand_ids=demand_ids, site_ids=site_ids)
        problems: list[str] = []
        d_groups = {k: np.asarray(v) for k, v in (demand_groups or {}).items()}
        s_groups = {k: np.asarray(v) for k, v in (site_groups or {}).items()}
        for name, labels in d_groups.items():
            if labels.shape != (base.n_demand,):
                problems.append(f"demand_groups[{name!r}] needs {base.n_demand} labels")
        for name, labels in s_groups.items():
            if labels.shape != (base.n_site,):
                problems.append(f"site_groups[{name!r}] needs {base.n_site} labels")
        names = [t.name for t in tiers]
        if not tiers:
            problems.append("at least one tier is needed")
        if len(set(names)) != len(names):
            problems.append(f"tier names repeat: {names}")
        closed = close_serves({t.name: t.serves for t in tiers})
        normalised = [
            _normalise_tier(
                replace(t, serves=closed[t.name]),
                base,
                names=names,
                d_groups=d_groups,
                s_groups=s_groups,
                problems=problems,
            )
            for t in tiers
        ]
        if problems:
            raise InvalidProblemError("; ".join(problems))
        return cls(base=base, tiers=tuple(normalised), demand_groups=d_groups, site_groups=s_groups)

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Names of the tiers, in order."""
        return tuple(t.name for t in self.tiers)

    def tier(self, name: str) -> UpgradeTier:
        """Return the tier called `name`."""
        for t in self.tiers:
            if t.name == name:
                return t
        msg = f"unknown tier {name!r}; tiers: {', '.join(self.tier_names)}"
        raise InvalidOptionError(msg)

    def providing(self, name: str) -> list[str]:
        """Tiers whose upgrades provide tier `name` (itself and those that serve it)."""
        return [t.name for t in self.tiers if t.name == name or name in t.serves]


def close_serves(serves: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Return the transitive closure of the tiers' ``serves``: A serves B serves C → A serves C.

    The rule of `geodata.tiers.close_serves` (which the planning layer and the designated
    networks use; the optimizer imports no geodata): a site upgraded to A provides every
    tier reachable from A, in first-found order, never A itself.

    Parameters
    ----------
    serves
        Tier name -> the tiers it serves directly.
    """
    out: dict[str, tuple[str, ...]] = {}
    for top in serves:
        found: list[str] = []
        stack = list(serves[top])[::-1]
        while stack:
            name = stack.pop()
            if name == top or name in found:
                continue
            found.append(name)
            stack.extend(list(serves.get(name, ()))[::-1])
        out[top] = tuple(found)
    return out


def _normalise_tier(  # noqa: PLR0912 - one branch per documented rule
    tier: UpgradeTier,
    base: Problem,
    *,
    names: Sequence[str],
    d_groups: Mapping[str, NDArray[Any]],
    s_groups: Mapping[str, NDArray[Any]],
    problems: list[str],
) -> UpgradeTier:
    label = f"tier {tier.name!r}"
    existing = np.asarray(tier.existing, dtype=np.bool_)
    if existing.shape != (base.n_site,):
        problems.append(f"{label}: existing needs {base.n_site} values")
        existing = np.zeros(base.n_site, dtype=np.bool_)
    cost = (
        np.full(base.n_site, np.nan)
        if tier.cost is None
        else np.asarray(tier.cost, dtype=np.float64)
    )
    if cost.shape != (base.n_site,):
        problems.append(f"{label}: cost needs {base.n_site} values")
        cost = np.full(base.n_site, np.nan)
    if (cost[np.isfinite(cost)] < 0).any():
        problems.append(f"{label}: upgrade costs must not be negative")
    cost = np.where(existing, np.nan, cost)  # an existing provider is not a candidate
    position = {sid: j for j, sid in enumerate(base.site_ids)}
    for sid in tier.excluded:
        if sid in position:
            cost[position[sid]] = np.nan
        else:
            problems.append(f"{label}: excluded names unknown site {sid!r}")
    for sid in tier.required:
        if sid not in position:
            problems.append(f"{label}: required names unknown site {sid!r}")
        elif not np.isfinite(cost[position[sid]]):
            problems.append(f"{label}: required site {sid!r} is not a candidate for this tier")
    weight = (
        base.weights
        if tier.demand_weight is None
        else np.asarray(tier.demand_weight, dtype=np.float64)
    )
    if weight.shape != (base.n_demand,) or not np.isfinite(weight).all() or (weight < 0).any():
        problems.append(f"{label}: demand_weight needs {base.n_demand} finite values >= 0")
        weight = base.weights
    if not tier.standard_minutes > 0:
        problems.append(f"{label}: standard_minutes must be positive")
    for other in tier.serves:
        if other not in names:
            problems.append(f"{label}: serves unknown tier {other!r}")
    groupings = {
        *tier.min_group_coverage,
        *tier.min_upgrades_per_group,
        *tier.max_upgrades_per_group,
        *tier.min_providers_per_group,
    }
    if tier.within_group:
        groupings.add(tier.within_group)
    for grouping in sorted(groupings):
        if grouping not in d_groups or grouping not in s_groups:
            problems.append(
                f"{label}: grouping {grouping!r} needs demand_groups and site_groups entries"
            )
    for grouping, share in tier.min_group_coverage.items():
        if not 0 <= share <= 1:
            problems.append(f"{label}: min_group_coverage[{grouping!r}] must be in [0, 1]")
    return replace(tier, existing=existing, cost=cost, demand_weight=weight)


@dataclass(frozen=True)
class UpgradePlan:
    """The outcome of `solve_upgrades`.

    Attributes
    ----------
    status
        `Status` read from the solver (worst over lexicographic stages); ``optimal`` only when
        every stage is proven within `optimizer.result.DEFAULT_MIP_GAP`.
    objective
        Value of the requested objective, recomputed from the chosen upgrades: weighted
        population covered (coverage/equity/lexicographic), weighted person-minutes (median),
        weighted worst minutes (minmax); summed over years when phased.
    gap
        Largest relative MIP gap over the solver runs.
    upgrades
        Tier name → upgraded site ids (site order).
    year
        Site id → first year (1-based) of its upgrade; every upgrade is year 1 when not phased.
    cost
        Total upgrade cost; ``cost_by_tier`` splits it; ``cost_by_year`` per year.
    stages
        Objective value of each lexicographic stage, by name.
    runtime_s, solver, message
        As in `optimizer.Plan`.
    """

    status: Status
    objective: float
    gap: float
    upgrades: Mapping[str, tuple[Hashable, ...]]
    year: Mapping[Hashable, int]
    cost: float
    cost_by_tier: Mapping[str, float]
    cost_by_year: tuple[float, ...]
    stages: Mapping[str, float]
    runtime_s: float
    solver: str
    message: str = ""

    @property
    def upgraded_sites(self) -> tuple[Hashable, ...]:
        """All upgraded site ids, tier by tier."""
        return tuple(s for sites in self.upgrades.values() for s in sites)


def check_upgrades(
    problem: UpgradeProblem,
    *,
    budget: float | None = None,
    yearly_budgets: Sequence[float] | None = None,
) -> str:
    """Say why no plan can exist, found without solving (``""`` when the checks pass).

    The same checks `solve_upgrades` runs first: required sites against budgets and count
    limits, minimum counts against candidates, group rules against the candidates in reach,
    minimum coverage shares against what upgrading every candidate would reach. Passing them
    does not prove feasibility; the solver has the last word.

    Parameters
    ----------
    problem
        The upgrade problem.
    budget
        Shared budget over all tiers, as for `solve_upgrades`.
    yearly_budgets
        Budget of each plan year, as for `solve_upgrades`.
    """
    years = list(yearly_budgets) if yearly_budgets is not None else None
    return explain_infeasible(problem, budget=budget, yearly_budgets=years)


def solve_upgrades(
    problem: UpgradeProblem,
    *,
    objective: str = "coverage",
    budget: float | None = None,
    yearly_budgets: Sequence[float] | None = None,
    carry_over: bool = False,
    equity_group: str = "county",
    unreachable_minutes: float | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    robust: str | None = None,
    demand_scenarios: DemandScenarios | None = None,
) -> UpgradePlan:
    """Choose upgrades that optimise `objective` under the problem's rules.

    Parameters
    ----------
    problem
        The `UpgradeProblem`.
    objective
        One of `UPGRADE_OBJECTIVES` (see the module docstring for each formulation).
    budget
        Shared budget over all tiers (same unit as the tiers' costs).
    yearly_budgets
        Budget of each plan year: turns on phasing (coverage-years objective).
    carry_over
        With phasing, unspent money carries to later years.
    equity_group
        Grouping whose worst-off member the ``equity``/``lexicographic`` objectives lift.
    unreachable_minutes
        Time counted for demand that no provider reaches within the matrix (median/minmax);
        default the largest time in the matrix plus one minute.
    solver, time_limit, mip_gap
        ``"highs"`` (default) or ``"cbc"``; time limit and relative gap of every solver run
        (default gap `optimizer.result.DEFAULT_MIP_GAP`). A plan proven only within a larger
        gap (a looser ``mip_gap``, or a time limit) is ``feasible``, never ``optimal``.
    robust, demand_scenarios
        ``"worst_case"`` or ``"min_regret"`` over `demand_scenarios` (name → demand weights,
        the tie-breaking reference first): coverage objective, one period only
        (`optimizer.upgrade.robust.solve_robust`).
    """
    if robust is not None:
        return _robust(
            problem,
            objective=objective,
            robust=robust,
            scenarios=demand_scenarios,
            budget=budget,
            yearly_budgets=yearly_budgets,
            solver=solver,
            time_limit=time_limit,
            mip_gap=mip_gap,
        )
    start = time.perf_counter()
    check_choice("objective", objective, UPGRADE_OBJECTIVES)
    options = solver_options(solver, time_limit, mip_gap)
    if objective in ("equity", "lexicographic") and (equity_group not in problem.demand_groups):
        msg = f"objective {objective!r} needs demand_groups[{equity_group!r}]"
        raise InvalidOptionError(msg)
    years = list(yearly_budgets) if yearly_budgets is not None else None
    if years is not None and (not years or min(years) < 0):
        msg = "yearly_budgets needs at least one non-negative budget"
        raise InvalidOptionError(msg)
    if budget is not None and budget < 0:
        msg = f"budget {budget:g} must not be negative"
        raise InvalidOptionError(msg)
    stored = problem.base.costs.data
    unreachable = (
        float(unreachable_minutes)
        if unreachable_minutes is not None
        else (float(stored.max()) + 1.0 if stored.size else 1.0)
    )
    reason = explain_infeasible(problem, budget=budget, yearly_budgets=years)
    if reason:
        return _empty_plan(
            problem, Status.INFEASIBLE, message=reason, start=start, n_years=len(years or [0])
        )
    kind = "coverage" if objective in ("equity", "lexicographic") else objective
    built = build_model(
        problem,
        kind=kind,
        budget=budget,
        yearly_budgets=years,
        carry_over=carry_over,
        equity_group=equity_group if objective in ("equity", "lexicographic") else None,
        unreachable=unreachable,
    )
    initial: FloatArray | None = None
    first_limit = options.time_limit
    if years is not None and len(years) > 1 and options.solver == "highs":
        aided = time.perf_counter()
        built, initial = _phased_aids(
            problem,
            built,
            budget=budget,
            yearly_budgets=years,
            carry_over=carry_over,
            allowance_s=(
                None if options.time_limit is None else PHASED_AID_SHARE * options.time_limit
            ),
        )
        if options.time_limit is not None:
            first_limit = max(options.time_limit - (time.perf_counter() - aided), 0.0)
    runs: list[tuple[str, Milp]] = []
    if objective in ("equity", "lexicographic"):
        runs += [
            (f"worst_group_share_{name}", replace(built.milp, cost=cost, offset=0.0))
            for name, cost in zip(problem.tier_names, built.equity_costs, strict=True)
        ]
    runs.append(("objective", built.milp))
    if objective == "lexicographic":
        runs.append(("cost", replace(built.milp, cost=built.spend_cost, offset=0.0)))
    return _run_stages(
        problem,
        built,
        runs,
        options=options,
        start=start,
        objective=objective,
        initial=initial,
        first_limit=first_limit,
        infeasible=explain_solver_infeasible(
            problem, budget=budget, yearly_budgets=years, carry_over=carry_over
        ),
    )


def _robust(
    problem: UpgradeProblem,
    *,
    objective: str,
    robust: str,
    scenarios: DemandScenarios | None,
    budget: float | None,
    yearly_budgets: Sequence[float] | None,
    solver: str,
    time_limit: float | None,
    mip_gap: float | None,
) -> UpgradePlan:
    """Check the options a robust plan cannot take, then `solve_robust`."""
    if objective != "coverage":
        msg = f"robust = {robust!r} needs objective 'coverage', not {objective!r}"
        raise InvalidOptionError(msg)
    if yearly_budgets is not None:
        msg = f"robust = {robust!r} plans one period - remove yearly_budgets"
        raise InvalidOptionError(msg)
    if not scenarios:
        msg = f"robust = {robust!r} needs demand_scenarios (name -> demand weights)"
        raise InvalidOptionError(msg)
    return solve_robust(
        problem,
        scenarios,
        criterion=robust,
        budget=budget,
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
    )


def _phased_aids(
    problem: UpgradeProblem,
    built: Built,
    *,
    budget: float | None,
    yearly_budgets: Sequence[float],
    carry_over: bool,
    allowance_s: float | None,
) -> tuple[Built, FloatArray | None]:
    """Add a floor row per year (coverage models) and give the heuristic plan as a start.

    Returns `built` with the rows and the heuristic plan as a full start vector.

    The start is None when the heuristic finds no plan keeping every rule in its allowance
    (or, as a safeguard, when its vector breaks a row of the model by more than
    `START_TOLERANCE`).
    """
    began = time.perf_counter()
    chosen = phased_start(
        problem,
        built,
        budget=budget,
        yearly_budgets=yearly_budgets,
        carry_over=carry_over,
        allowance_s=allowance_s,
    )
    if built.kind == "coverage":
        left = None if allowance_s is None else allowance_s - (time.perf_counter() - began)
        floors = year_floors(
            problem, built, budget=budget, yearly_budgets=yearly_budgets, allowance_s=left
        )
    else:  # dense rows over the level variables slow HiGHS down (docs/decisions.md)
        floors = np.full(built.n_years, -np.inf)
    known = np.isfinite(floors)
    if known.any():
        rows = sp.csr_array(built.year_cost()[np.flatnonzero(known)])
        built = replace(
            built,
            milp=built.milp.with_rows(rows, floors[known], np.full(int(known.sum()), np.inf)),
        )
    if chosen is None:
        return built, None
    values = built.encode(chosen)
    if max_violation(built.milp, values) > START_TOLERANCE:  # pragma: no cover - safeguard
        return built, None
    return built, values


def _run_stages(
    problem: UpgradeProblem,
    built: Built,
    runs: list[tuple[str, Milp]],
    *,
    options: SolverOptions,
    start: float,
    objective: str,
    initial: FloatArray | None = None,
    first_limit: float | None = None,
    infeasible: str = "",
) -> UpgradePlan:
    """Solve the stages in order, each fixing its optimum before the next.

    ``initial`` is a full solution vector handed to the first run as a MIP start (later runs
    start from the previous stage's solution); ``first_limit`` replaces `time_limit` for the
    first run (phased plans spend part of the limit on the heuristic); ``infeasible`` is the
    message when the solver proves that no plan exists. Every run uses ``options.mip_gap``
    (default `DEFAULT_MIP_GAP`).
    """
    fixed: Milp | None = None
    stages: dict[str, float] = {}
    gaps: list[float] = []
    statuses: list[Status] = []
    values: FloatArray | None = initial
    label = ""
    messages: list[str] = []
    for index, (name, stage) in enumerate(runs):
        model = stage if fixed is None else replace(fixed, cost=stage.cost, offset=stage.offset)
        limit = first_limit if index == 0 and first_limit is not None else options.time_limit
        run = run_milp(
            model, solver=options.solver, time_limit=limit, mip_gap=options.mip_gap, start=values
        )
        label = run.solver
        statuses.append(run.status)
        if run.status is Status.INFEASIBLE:
            messages.append(infeasible)
        elif run.reason:
            messages.append(f"{name}: {run.reason}")
        if run.values is None:
            return _empty_plan(
                problem,
                run.status,
                message="; ".join(messages),
                start=start,
                n_years=built.n_years,
                solver=label,
            )
        values = run.values
        gaps.append(run.gap)
        value = float(model.cost @ values + model.offset)
        stages[name] = -value if name != "cost" else value
        # Fix this stage's optimum (minimisation form) before the next stage.
        slack = STAGE_TOLERANCE * max(1.0, abs(value))
        row = sp.csr_array(model.cost.reshape(1, -1))
        fixed = model.with_rows(row, [-np.inf], [value - model.offset + slack])
    assert values is not None
    status = worst_status(statuses)
    plan = built.decode(values)
    from optimizer.upgrade.evaluate import objective_value

    objective_value_ = objective_value(
        problem, plan["selected"], kind=built.kind, unreachable=built.unreachable
    )
    return UpgradePlan(
        status=status,
        objective=objective_value_,
        gap=max((g for g in gaps if not math.isnan(g)), default=math.nan),
        upgrades=plan["upgrades"],
        year=plan["year"],
        cost=plan["cost"],
        cost_by_tier=plan["cost_by_tier"],
        cost_by_year=plan["cost_by_year"],
        stages=stages if objective in ("equity", "lexicographic") else {},
        runtime_s=time.perf_counter() - start,
        solver=label,
        message="; ".join(messages),
    )


def _empty_plan(
    problem: UpgradeProblem,
    status: Status,
    *,
    message: str,
    start: float,
    n_years: int,
    solver: str = "",
) -> UpgradePlan:
    return UpgradePlan(
        status=status,
        objective=math.nan,
        gap=math.nan,
        upgrades={t.name: () for t in problem.tiers},
        year={},
        cost=0.0,
        cost_by_tier={t.name: 0.0 for t in problem.tiers},
        cost_by_year=tuple(0.0 for _ in range(n_years)),
        stages={},
        runtime_s=time.perf_counter() - start,
        solver=solver,
        message=message,
    )
