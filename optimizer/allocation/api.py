r"""Designation allocation: which hospital holds which specialty at which level.

The model behind Liaoning's key clinical specialty project "3223" (by 2025 at least 30 national,
about 200 provincial, 200 municipal and 300 county-level key specialties), written on ids,
vectors and a sparse travel-time matrix only. A *designation* is a triple (hospital ``h``,
specialty ``s``, level ``l``). Levels are ordered from the highest (national) to the lowest
(county): a designation at a level also serves every lower level, as a national cardiology
specialty is a provincial-standard one too. Each level has a travel standard ``T_l``; person
``i`` *reaches* specialty ``s`` at level ``l`` when a hospital within ``T_l`` of ``i`` holds
``s`` at ``l`` or above.

Formulation
-----------
Sets and parameters

====================  =========================================================================
``H, S, L, I``         hospitals, specialties, levels (``l' ⪯ l``: ``l'`` is ``l`` or above it),
                       demand points
``E``                  eligible triples: hospital ``h`` may hold ``s`` at ``l``
``C``, ``H_c``         locations and their hospitals: hospitals share a location when their
                       travel times within the largest standard and their group labels are
                       identical (co-located hospitals; one with a required designation
                       stands alone)
``n_csl``              hospitals at ``c`` eligible for ``s`` at ``l``
``N_i^l``              locations within ``T_l`` of ``i`` (``d_ic <= T_l``)
``w_si``               weight of demand ``i`` for specialty ``s`` (population or an age band)
``v_s``, ``ω_l``       specialty and level weights in the objective (default 1)
``r_hs``               readiness of hospital ``h`` in specialty ``s`` (default 1)
``[q_l^-, q_l^+]``     quota of level ``l`` (``q^+ = ∞`` when open)
``[m_gl^-, m_gl^+]``   designations at level ``l`` among the hospitals of group ``g`` (a city,
                       a region, …; a location lies in one group of every grouping)
``R``                  required (already awarded) designations
====================  =========================================================================

Variables: ``X_csl ∈ {0, …, n_csl}`` designations of ``s`` at level ``l`` at location ``c``;
``z_csl ∈ [0,1]`` location ``c`` offers ``s`` at ``l`` or above; ``u_isl ∈ [0,1]`` demand ``i``
reaches ``s`` at ``l`` (integral at the optimum once ``X`` is); ``x_hsl ∈ {0,1}`` hospital
``h`` holds ``s`` at ``l`` (stage 2 and the split).

Stage 1, reach (maximal covering summed over specialties and levels):

.. math:: \max \; \sum_{l} ω_l \sum_{s} v_s \sum_{i} w_{si} \, u_{isl}

subject to

1. ``u_isl <= Σ_{c∈N_i^l} z_csl``                                  (reach within the standard)
2. ``z_csl <= Σ_{l'⪯l} X_csl'``                                    (nesting: higher serves lower)
3. ``Σ_{l∈Λ} X_csl <= |{h ∈ H_c : (h,s,l) ∈ E for some l ∈ Λ}|`` for every set ``Λ`` of two
   or more levels (Hall's condition: the counts can be given to distinct hospitals, one level
   per hospital-specialty pair; rows only where they bind)
4. ``q_l^- <= Σ_{c,s} X_csl <= q_l^+``                               (quotas)
5. ``m_gl^- <= Σ_{c∈g} Σ_s X_csl <= m_gl^+``                         (balance per group)
6. ``X_csl >= |{(h,s,l) ∈ R : h ∈ H_c}|``                            (required designations)
7. ``Σ_c X_csl₁ >= Σ_c X_cs'l₁`` for consecutive members ``s < s'`` of a class of
   interchangeable specialties (same eligibility, weights and readiness, nothing required),
   ``l₁`` the highest level: symmetry breaking, valid because any allocation can be relabelled
   within a class

Split: with the counts fixed, ``x_hsl`` with ``Σ_{h∈H_c} x_hsl = X_csl``, ``Σ_l x_hsl <= 1``
and ``x = 1`` on ``R`` is a bipartite b-matching (an LP with an integral optimum); it maximises
readiness, then gives the highest levels to the hospitals listed first.

Stage 2, readiness (tie-break among reach-optimal allocations): the stage-1 program with the
``x_hsl`` of the split as binaries, maximising ``Σ r_hs x_hsl`` subject to 1–7 and stage 1's
objective at least its optimum less a relative ``1e-7`` (`STAGE_TOLERANCE`). With uniform
readiness it prefers more designations within quota ranges; when quotas are exact and
readiness uniform, ``Σ r x`` is fixed and the stage is skipped.

Reductions: demand rows with identical ``N_i^l`` (over the locations that can offer level
``l``) are merged per level, weights summed per specialty; ``u`` exists only where the weight
is positive and a location in ``N_i^l`` can offer ``s`` at ``l``; ``z`` only where a hospital
at ``c`` is eligible for ``s`` at ``l`` or above. Everything is built with numpy and sparse
products (no Python loop over matrix entries) and solved by the core's `run_milp`, so
statuses are HiGHS's own: ``optimal`` means proven within `optimizer.result.DEFAULT_MIP_GAP`
(a looser ``mip_gap`` or a time limit gives ``feasible`` with the gap).

>>> import numpy as np
>>> from optimizer.allocation import AllocationProblem, DesignationLevel, solve_allocation
>>> minutes = np.array([[10.0, 90.0], [90.0, 10.0], [95.0, 20.0]])
>>> problem = AllocationProblem.from_matrix(
...     minutes, weights=[5, 3, 4], specialty_ids=["cardiology"],
...     levels=[DesignationLevel("provincial", standard=30, min_count=1, max_count=1)])
>>> result = solve_allocation(problem)
>>> result.status, result.objective
(<Status.OPTIMAL: 'optimal'>, 7.0)
>>> result.designations
(Designation(hospital=1, specialty='cardiology', level='provincial'),)
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from optimizer.allocation import _inputs as inputs
from optimizer.allocation._checks import explain_infeasible
from optimizer.allocation._model import (
    Counts,
    HospitalBlock,
    add_hospital_block,
    build_reach_model,
)
from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.core.milp import Milp
from optimizer.core.options import SolverOptions, solver_options
from optimizer.core.problem import caller_ids, cost_matrix
from optimizer.core.solvers import SolverRun, solver_label, worst_status
from optimizer.errors import InvalidProblemError
from optimizer.result import Status

__all__ = [
    "STAGE_TOLERANCE",
    "Allocation",
    "AllocationProblem",
    "Designation",
    "DesignationLevel",
    "reach",
    "solve_allocation",
]

GroupLimits = Mapping[str, int | Mapping[Hashable, int]]

#: Relative slack when stage 2 keeps stage 1's reach (as in `optimizer.upgrade`).
STAGE_TOLERANCE = 1e-7


class Designation(NamedTuple):
    """One designation: ``hospital`` holds ``specialty`` at ``level``."""

    hospital: Hashable
    specialty: Hashable
    level: str


@dataclass(frozen=True)
class DesignationLevel:
    """One designation level (national, provincial, …), highest first in a problem.

    Attributes
    ----------
    name
        Level name, e.g. ``"national"``.
    standard
        Travel standard in the matrix's unit (minutes): within it a designation reaches people.
    min_count, max_count
        Quota: at least / at most this many designations at this level (``max_count=None``:
        no upper limit). Equal values make the quota exact.
    eligible
        Which hospitals may hold designations at this level: ``(n_hospital,)`` or
        ``(n_hospital, n_specialty)`` booleans; None = every hospital in every specialty.
    weight
        Weight ``ω_l`` of this level's reach in the objective.
    holders
        Words for the eligible hospitals in messages (``"tertiary hospital"`` gives "30
        national designations need 30 eligible tertiary hospital-specialty pairs, …").
    group_min, group_max
        Grouping name → least / most designations at this level among the hospitals of every
        group (one int for every group, or ``{label: int}``).
    """

    name: str
    standard: float
    min_count: int = 0
    max_count: int | None = None
    eligible: ArrayLike | None = None
    weight: float = 1.0
    holders: str = "hospital"
    group_min: GroupLimits = field(default_factory=dict)
    group_max: GroupLimits = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """A validated allocation problem; build it with `AllocationProblem.from_matrix`.

    Attributes
    ----------
    minutes
        Demand × hospital CSR matrix; stored entries are reachable pairs (explicit zeros kept).
    weights
        ``(n_specialty, n_demand)`` demand weights per specialty.
    specialty_weight
        ``(n_specialty,)`` weights ``v_s``.
    readiness
        ``(n_hospital, n_specialty)`` readiness scores ``r_hs``.
    levels
        The levels, highest first.
    eligible
        ``(n_level, n_hospital, n_specialty)`` eligibility.
    demand_ids, hospital_ids, specialty_ids
        Caller ids.
    hospital_groups
        Grouping name → label of every hospital.
    group_min, group_max
        ``(level index, grouping)`` → label → limit, for the labels that have one.
    required
        Required designations.
    """

    minutes: sp.csr_array
    weights: FloatArray
    specialty_weight: FloatArray
    readiness: FloatArray
    levels: tuple[DesignationLevel, ...]
    eligible: BoolArray
    demand_ids: tuple[Hashable, ...]
    hospital_ids: tuple[Hashable, ...]
    specialty_ids: tuple[Hashable, ...]
    hospital_groups: Mapping[str, tuple[Hashable, ...]]
    group_min: Mapping[tuple[int, str], Mapping[Hashable, int]]
    group_max: Mapping[tuple[int, str], Mapping[Hashable, int]]
    required: tuple[Designation, ...]

    @classmethod
    def from_matrix(
        cls,
        minutes: ArrayLike | sp.sparray | sp.spmatrix,
        *,
        levels: Sequence[DesignationLevel],
        specialty_ids: Sequence[Hashable],
        weights: ArrayLike | None = None,
        specialty_weight: ArrayLike | None = None,
        readiness: ArrayLike | None = None,
        demand_ids: Sequence[Hashable] | None = None,
        hospital_ids: Sequence[Hashable] | None = None,
        hospital_groups: Mapping[str, Sequence[Hashable] | ArrayLike] | None = None,
        required: Sequence[tuple[Hashable, Hashable, str]] = (),
    ) -> AllocationProblem:
        """Validate the matrix, the levels and the rules.

        Parameters
        ----------
        minutes
            Demand × hospital travel minutes: dense (``inf``/NaN unreachable) or sparse (stored
            entries reachable, explicit zeros included).
        levels
            The designation levels, highest first (national before county).
        specialty_ids
            The specialties (fields) to allocate.
        weights
            Demand weights: ``(n_demand,)`` shared by every specialty (population), or
            ``(n_specialty, n_demand)`` per specialty (children for paediatrics); default 1.
        specialty_weight
            ``(n_specialty,)`` weight ``v_s`` of each specialty's reach; default 1.
        readiness
            ``(n_hospital, n_specialty)`` or ``(n_hospital,)`` readiness scores ``>= 0``,
            default 1: the stage-2 tie-break.
        demand_ids, hospital_ids
            Ids kept in results; default ``0 … n-1``.
        hospital_groups
            Grouping name → label of every hospital (``{"city": city_code_per_hospital}``),
            needed by every group limit that names the grouping.
        required
            ``(hospital_id, specialty_id, level)`` designations that must be made.

        Raises
        ------
        InvalidProblemError
            One line listing every problem found.
        """
        csr, problems = cost_matrix(minutes)
        n_demand, n_hospital = csr.shape
        d_ids = caller_ids(demand_ids, n_demand, "demand_ids")
        h_ids = caller_ids(hospital_ids, n_hospital, "hospital_ids")
        s_ids = tuple(specialty_ids)
        n_spec = len(s_ids)
        if not s_ids:
            problems.append("at least one specialty is needed")
        elif len(set(s_ids)) != n_spec:
            problems.append("specialty_ids must be unique")
        w = inputs.weights(weights, n_spec, n_demand, problems)
        v = inputs.vector(specialty_weight, (n_spec,), "specialty_weight", problems, default=1.0)
        r = inputs.readiness(readiness, n_hospital, n_spec, problems)
        eligible = inputs.level_eligibility(levels, n_hospital, n_spec, problems)
        groups = {
            name: inputs.hospital_labels(labels, n_hospital, name, problems)
            for name, labels in (hospital_groups or {}).items()
        }
        gmin = inputs.group_limits(levels, groups, "group_min", problems)
        gmax = inputs.group_limits(levels, groups, "group_max", problems)
        for key, limits in gmin.items():
            bad = [g for g, lo in limits.items() if lo > gmax.get(key, {}).get(g, lo)]
            if bad:
                problems.append(
                    f"level {levels[key[0]].name!r}: {key[1]} group_min exceeds group_max for "
                    f"{bad[:5]!r}"
                )
        req = inputs.required(required, levels, h_ids, s_ids, eligible, problems)
        if problems:
            raise InvalidProblemError("; ".join(problems))
        return cls(
            minutes=csr,
            weights=w,
            specialty_weight=v,
            readiness=r,
            levels=tuple(levels),
            eligible=eligible,
            demand_ids=d_ids,
            hospital_ids=h_ids,
            specialty_ids=s_ids,
            hospital_groups=groups,
            group_min=gmin,
            group_max=gmax,
            required=req,
        )

    @property
    def level_names(self) -> tuple[str, ...]:
        """Level names, highest first."""
        return tuple(level.name for level in self.levels)

    @property
    def population(self) -> dict[Hashable, float]:
        """Total demand weight of each specialty."""
        return dict(zip(self.specialty_ids, self.weights.sum(axis=1).tolist(), strict=True))


@dataclass(frozen=True)
class Allocation:
    """The outcome of `solve_allocation`.

    Attributes
    ----------
    status
        `Status` read from the solver (the worse of the two stages).
    objective
        ``Σ_l ω_l Σ_s v_s reached(s, l)``, recomputed from the designations (NaN without a
        plan).
    gap
        Largest relative MIP gap over the solver runs.
    designations
        The designations, ordered by level (highest first), specialty, hospital.
    reached
        ``(specialty id, level name)`` → demand weight within the level's standard of a
        designation of the specialty at that level or above.
    readiness
        ``Σ r_hs`` over the designations.
    stages
        Objective of each solved stage (``"reach"``, ``"readiness"``).
    runtime_s, solver, message
        As in `optimizer.Plan`.
    """

    status: Status
    objective: float
    gap: float
    designations: tuple[Designation, ...]
    reached: Mapping[tuple[Hashable, str], float]
    readiness: float
    stages: Mapping[str, float]
    runtime_s: float
    solver: str
    message: str = ""


def reach(
    problem: AllocationProblem, designations: Sequence[tuple[Hashable, Hashable, str]]
) -> dict[tuple[Hashable, str], float]:
    """Demand weight reaching each (specialty, level) under ``designations``.

    Person ``i`` reaches ``s`` at ``l`` when a hospital within ``T_l`` holds ``s`` at ``l`` or
    above. Computed with one sparse product per level.
    """
    n_l, n_h, n_s = problem.eligible.shape
    h_pos = {h: j for j, h in enumerate(problem.hospital_ids)}
    s_pos = {s: j for j, s in enumerate(problem.specialty_ids)}
    l_pos = {name: j for j, name in enumerate(problem.level_names)}
    hold = np.zeros((n_l, n_h, n_s), dtype=np.bool_)
    for hospital, specialty, name in designations:
        hold[l_pos[name], h_pos[hospital], s_pos[specialty]] = True
    out: dict[tuple[Hashable, str], float] = {}
    costs = problem.minutes
    for k, lv in enumerate(problem.levels):
        within = sp.csr_array(
            ((costs.data <= lv.standard).astype(np.float64), costs.indices, costs.indptr),
            shape=costs.shape,
        )
        holds = np.asarray(hold[: k + 1].any(axis=0), dtype=np.float64)
        covered = np.asarray(within @ holds) > 0
        totals = (problem.weights * covered.T).sum(axis=1)
        for s, value in zip(problem.specialty_ids, totals.tolist(), strict=True):
            out[(s, lv.name)] = float(value)
    return out


def solve_allocation(
    problem: AllocationProblem,
    *,
    tiebreak: bool = True,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
) -> Allocation:
    """Allocate designations that maximise reach, then readiness (see the module docstring).

    Parameters
    ----------
    problem
        The `AllocationProblem`.
    tiebreak
        Run stage 2 (maximise readiness among reach-optimal allocations) when it can change
        the answer.
    solver, time_limit, mip_gap
        ``"highs"`` (default) or ``"cbc"``; seconds and relative gap per solver run (default
        gap ``1e-6``).

    Returns
    -------
    Allocation
        ``status == "infeasible"`` with a one-line ``message`` when no allocation satisfies the
        quotas, balance rules and required designations.

    Raises
    ------
    InvalidOptionError
        For a solver, time limit or gap that cannot be used.
    InvalidProblemError
        When no hospital-specialty pair is eligible at any level (nothing to allocate).
    """
    start = time.perf_counter()
    options = solver_options(solver, time_limit, mip_gap)
    if not problem.eligible.any():
        msg = (
            "no hospital-specialty pair is eligible at any level: give at least one level an "
            "`eligible` mask with a True entry (or leave it None for every hospital)"
        )
        raise InvalidProblemError(msg)
    reason = explain_infeasible(problem)
    if reason:
        label = f"{solver_label(options.solver)} (not run: pre-solve checks)"
        return _no_plan(Status.INFEASIBLE, reason, start, label)
    counts = build_reach_model(problem)
    reach_milp = counts.builder.build()
    run = options.run(reach_milp)
    if run.values is None:
        return _no_plan(run.status, _failure(run), start, run.solver)
    runs = [run]
    stages = {"reach": -float(reach_milp.cost @ run.values + reach_milp.offset)}
    block, full, values, failed = _split(problem, counts, reach_milp, run.values, options)
    if failed is not None:
        return _no_plan(failed.status, _failure(failed), start, run.solver)
    exact = all(lv.max_count is not None and lv.min_count == lv.max_count for lv in problem.levels)
    uniform = bool(np.ptp(problem.readiness) == 0) if problem.readiness.size else True
    if tiebreak and not (exact and uniform):
        ready = np.zeros(full.n_col)
        ready[block.cols] = -problem.readiness[block.hospital, block.specialty]
        kept = np.zeros(full.n_col)
        kept[: reach_milp.n_col] = reach_milp.cost
        slack = STAGE_TOLERANCE * max(1.0, abs(stages["reach"]))
        second = replace(
            full,
            cost=ready,
            offset=0.0,
            integer=full.integer | _mask(full.n_col, block.cols),
        ).with_rows(sp.csr_array(kept.reshape(1, -1)), [-np.inf], [-stages["reach"] + slack])
        stage = options.run(second, start=values)
        if stage.values is None:
            return _no_plan(stage.status, _failure(stage), start, run.solver)
        runs.append(stage)
        values = stage.values
        stages["readiness"] = -float(ready @ values)
    on = values[block.cols] > 0.5
    designations = _designations(problem, block.level[on], block.hospital[on], block.specialty[on])
    reached = reach(problem, designations)
    return Allocation(
        status=worst_status(r.status for r in runs),
        objective=_objective(problem, reached),
        gap=max((r.gap for r in runs if not math.isnan(r.gap)), default=math.nan),
        designations=designations,
        reached=reached,
        readiness=float(problem.readiness[block.hospital[on], block.specialty[on]].sum()),
        stages=stages,
        runtime_s=time.perf_counter() - start,
        solver=run.solver,
        message="; ".join(r.reason for r in runs if r.reason),
    )


def _split(
    problem: AllocationProblem,
    counts: Counts,
    reach_milp: Milp,
    reach_values: FloatArray,
    options: SolverOptions,
) -> tuple[HospitalBlock, Milp, FloatArray, SolverRun | None]:
    """Give the location counts of stage 1 to hospitals (an LP with an integral optimum).

    Within a location, readiness first; then the hospital listed first takes the highest
    level (the weights ``(n_h - h)(n_l - l)`` match sorted hospitals to sorted levels).
    Returns the hospital block, the full program (stage 1 plus the block), a complete
    solution vector, and the failed run if the LP found none.
    """
    n_l, n_h, _ = problem.eligible.shape
    level, hospital, specialty = np.nonzero(problem.eligible)
    rank = ((n_h - hospital) * (n_l - level)).astype(np.float64)
    split_cost = -(problem.readiness[hospital, specialty] * (rank.max() + 1) + rank)
    block = add_hospital_block(counts.builder, problem, counts, cost=split_cost, integer=False)
    full = counts.builder.build()
    fixed = np.rint(reach_values[counts.cols])
    col_lo, col_hi = full.col_lo.copy(), full.col_hi.copy()
    col_lo[counts.cols] = fixed
    col_hi[counts.cols] = fixed
    cost = np.zeros(full.n_col)
    cost[block.cols] = split_cost
    split = replace(
        full,
        cost=cost,
        offset=0.0,
        col_lo=col_lo,
        col_hi=col_hi,
        integer=np.zeros(full.n_col, dtype=np.bool_),
    )
    run = options.run(split)
    values = np.zeros(full.n_col)
    values[: reach_milp.n_col] = reach_values
    if run.values is None:
        return block, full, values, run
    values[block.cols] = np.rint(run.values[block.cols])
    return block, full, values, None


def _mask(n: int, cols: IntArray) -> BoolArray:
    out = np.zeros(n, dtype=np.bool_)
    out[cols] = True
    return out


def _failure(run: SolverRun) -> str:
    if run.status is Status.INFEASIBLE:
        return (
            "no allocation satisfies the quotas, balance rules and required designations "
            "together, though each passes its own check - relax one"
        )
    return run.reason


def _designations(
    problem: AllocationProblem, level: IntArray, hospital: IntArray, specialty: IntArray
) -> tuple[Designation, ...]:
    order = np.lexsort((hospital, specialty, level))
    return tuple(
        Designation(
            problem.hospital_ids[hospital[k]],
            problem.specialty_ids[specialty[k]],
            problem.levels[level[k]].name,
        )
        for k in order.tolist()
    )


def _objective(problem: AllocationProblem, reached: Mapping[tuple[Hashable, str], float]) -> float:
    v = dict(zip(problem.specialty_ids, problem.specialty_weight.tolist(), strict=True))
    return float(sum(lv.weight * v[s] * reached[(s, lv.name)] for lv in problem.levels for s in v))


def _no_plan(status: Status, message: str, start: float, solver: str) -> Allocation:
    return Allocation(
        status=status,
        objective=math.nan,
        gap=math.nan,
        designations=(),
        reached={},
        readiness=math.nan,
        stages={},
        runtime_s=time.perf_counter() - start,
        solver=solver,
        message=message,
    )
