"""Build the programs of `optimizer.allocation` as sparse blocks.

Rows are numbered as in the module docstring of `optimizer.allocation`. Every block is built
from index arrays and sparse products, never by looping over matrix entries.

* `build_reach_model` — stage 1 on location counts ``X_csl`` (integer), rows 1-7;
* `add_hospital_block` — hospital variables ``x_hsl`` tied to the counts, used by the split of
  the counts over co-located hospitals and by stage 2 (readiness).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.core.milp import MilpBuilder
from optimizer.core.reduce import merge_identical_rows

if TYPE_CHECKING:
    from optimizer.allocation.api import AllocationProblem

__all__ = [
    "Counts",
    "HospitalBlock",
    "add_hospital_block",
    "build_reach_model",
    "identical_specialties",
    "locations",
    "required_mask",
]


def _positions(problem: AllocationProblem) -> tuple[dict[object, int], ...]:
    """Positions of level names, hospital ids and specialty ids."""
    return (
        {name: k for k, name in enumerate(problem.level_names)},
        {h: j for j, h in enumerate(problem.hospital_ids)},
        {s: j for j, s in enumerate(problem.specialty_ids)},
    )


def required_mask(problem: AllocationProblem) -> BoolArray:
    """``(n_level, n_hospital, n_specialty)`` mask of the required designations."""
    l_pos, h_pos, s_pos = _positions(problem)
    mask = np.zeros(problem.eligible.shape, dtype=np.bool_)
    for d in problem.required:
        mask[l_pos[d.level], h_pos[d.hospital], s_pos[d.specialty]] = True
    return mask


def locations(problem: AllocationProblem) -> tuple[IntArray, IntArray]:
    """``(first hospital of each location, location of each hospital)``.

    Hospitals share a location when their travel times within the largest standard are
    identical and they carry the same label in every grouping; a hospital with a required
    designation is a location of its own, so the counts can always be split over hospitals.
    """
    largest = max(level.standard for level in problem.levels)
    costs = problem.minutes
    keep = costs.data <= largest
    rows = np.repeat(np.arange(costs.shape[0], dtype=np.intp), np.diff(costs.indptr))
    columns = sp.csr_array(
        (costs.data[keep], (costs.indices[keep], rows[keep])),
        shape=(costs.shape[1], costs.shape[0]),
    )
    columns.sort_indices()
    n_h = costs.shape[1]
    key = np.zeros((n_h, len(problem.hospital_groups) + 1))
    for g, labels in enumerate(problem.hospital_groups.values()):
        index = {label: k for k, label in enumerate(dict.fromkeys(labels))}
        key[:, g] = [index[label] for label in labels]
    own = required_mask(problem).any(axis=(0, 2))
    key[own, -1] = 1 + np.flatnonzero(own)
    return merge_identical_rows(columns, key)


def _within(costs: sp.csr_array, standard: float) -> sp.csr_array:
    """0/1 matrix of the stored entries ``<= standard`` (explicit zeros count as reachable)."""
    keep = costs.data <= standard
    rows = np.repeat(np.arange(costs.shape[0], dtype=np.intp), np.diff(costs.indptr))
    out = sp.csr_array(
        (np.ones(int(keep.sum())), (rows[keep], costs.indices[keep])), shape=costs.shape
    )
    out.sort_indices()
    return out


@dataclass(frozen=True)
class Counts:
    """Stage 1 and the meaning of its count columns ``X_csl``."""

    builder: MilpBuilder
    cols: IntArray
    level: IntArray
    location: IntArray
    specialty: IntArray
    reps: IntArray
    location_of: IntArray


def _count_vars(
    builder: MilpBuilder, problem: AllocationProblem, location_of: IntArray, n_c: int
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]:
    """``X_csl`` with bounds [required, eligible hospitals]; returns cols, l, c, s and caps."""
    n_l, n_h, _ = problem.eligible.shape
    member = sp.csr_array((np.ones(n_h), (location_of, np.arange(n_h))), shape=(n_c, n_h))
    cap = np.stack(
        [np.asarray(member @ problem.eligible[k].astype(np.float64)) for k in range(n_l)]
    )
    need = np.stack([np.asarray(member @ m.astype(np.float64)) for m in required_mask(problem)])
    level, loc, spec = (a.astype(np.intp) for a in np.nonzero(cap > 0))
    cols = builder.add_vars(
        level.size, lo=need[level, loc, spec], hi=cap[level, loc, spec], integer=True
    )
    _hall_rows(builder, problem, member, cap, level, loc, spec, cols)
    return cols, level, loc, spec, cap


def _hall_rows(  # noqa: PLR0917 - the count block's index arrays
    builder: MilpBuilder,
    problem: AllocationProblem,
    member: sp.csr_array,
    cap: FloatArray,
    level: IntArray,
    loc: IntArray,
    spec: IntArray,
    cols: IntArray,
) -> None:
    """Add row 3 at location level (Hall's condition on the level counts).

    For every set ``Λ`` of two or more levels,
    ``Σ_{l∈Λ} X_csl <= |{h at c eligible for s at some l∈Λ}|`` where that is binding, so the
    counts can be split over the hospitals, one level per pair.
    """
    n_l = problem.eligible.shape[0]
    col_of = np.full(cap.shape, -1, dtype=np.intp)
    col_of[level, loc, spec] = cols
    for size in range(2, n_l + 1):
        for subset in itertools.combinations(range(n_l), size):
            any_level = np.asarray(problem.eligible[list(subset)].any(axis=0), dtype=np.float64)
            union = np.asarray(member @ any_level)
            total = cap[list(subset)].sum(axis=0)
            binding = (union < total) & ((cap[list(subset)] > 0).sum(axis=0) >= 2)
            c, s = np.nonzero(binding)
            if c.size == 0:
                continue
            entries = col_of[list(subset)][:, c, s]  # (size, rows)
            row = np.broadcast_to(np.arange(c.size), entries.shape)
            ok = entries >= 0
            builder.add_rows(c.size, row[ok], entries[ok], 1.0, hi=union[c, s])


def _quota_rows(
    builder: MilpBuilder,
    problem: AllocationProblem,
    level: IntArray,
    hospital: IntArray,
    cols: IntArray,
) -> None:
    """Add rows 4 (quotas) and 5 (group limits) on columns counting designations.

    The columns count designations at ``hospital``; a location's first hospital carries the
    location's labels.
    """
    lo = np.array([lv.min_count for lv in problem.levels], dtype=np.float64)
    hi = np.array(
        [np.inf if lv.max_count is None else lv.max_count for lv in problem.levels],
        dtype=np.float64,
    )
    builder.add_rows(len(problem.levels), level, cols, 1.0, lo=lo, hi=hi)
    for k, grouping in sorted(set(problem.group_min) | set(problem.group_max)):
        gmin = problem.group_min.get((k, grouping), {})
        gmax = problem.group_max.get((k, grouping), {})
        labels = sorted(set(gmin) | set(gmax), key=str)
        position = {g: j for j, g in enumerate(labels)}
        of_hospital = np.array(
            [position.get(g, -1) for g in problem.hospital_groups[grouping]], dtype=np.intp
        )
        mine = level == k
        row = of_hospital[hospital[mine]]
        keep = row >= 0
        builder.add_rows(
            len(labels),
            row[keep],
            cols[mine][keep],
            1.0,
            lo=[float(gmin.get(g, 0)) for g in labels],
            hi=[float(gmax[g]) if g in gmax else np.inf for g in labels],
        )


def identical_specialties(problem: AllocationProblem) -> list[IntArray]:
    """Find the classes (two or more members, ascending) of interchangeable specialties.

    Interchangeable: same eligibility at every level, demand weights, specialty weight and
    readiness, and no required designation.
    """
    fixed = required_mask(problem).any(axis=(0, 1))
    classes: dict[bytes, list[int]] = {}
    for s in np.flatnonzero(~fixed).tolist():
        key = b"|".join(
            (
                np.ascontiguousarray(problem.eligible[:, :, s]).tobytes(),
                problem.weights[s].tobytes(),
                problem.specialty_weight[s : s + 1].tobytes(),
                np.ascontiguousarray(problem.readiness[:, s]).tobytes(),
            )
        )
        classes.setdefault(key, []).append(s)
    return [np.asarray(m, dtype=np.intp) for m in classes.values() if len(m) > 1]


def _symmetry_rows(
    builder: MilpBuilder, problem: AllocationProblem, level: IntArray, spec: IntArray, x: IntArray
) -> None:
    """Add row 7, which orders interchangeable specialties.

    Within a class of interchangeable specialties, each holds at least as many designations
    at the highest level as the next (any solution can be relabelled so).
    """
    top = level == 0
    firsts: list[IntArray] = []
    seconds: list[IntArray] = []
    for members in identical_specialties(problem):
        firsts.append(members[:-1])
        seconds.append(members[1:])
    if not firsts:
        return
    a, b = np.concatenate(firsts), np.concatenate(seconds)
    row_of = np.full(problem.eligible.shape[2], -1, dtype=np.intp)
    row_of[a] = np.arange(a.size)
    minus = np.full(problem.eligible.shape[2], -1, dtype=np.intp)
    minus[b] = np.arange(b.size)
    plus_rows = row_of[spec[top]]
    minus_rows = minus[spec[top]]
    p, m = plus_rows >= 0, minus_rows >= 0
    builder.add_rows(
        a.size,
        np.concatenate([plus_rows[p], minus_rows[m]]),
        np.concatenate([x[top][p], x[top][m]]),
        np.concatenate([np.ones(int(p.sum())), -np.ones(int(m.sum()))]),
        lo=0.0,
    )


def build_reach_model(problem: AllocationProblem) -> Counts:
    """Stage 1 of `optimizer.allocation` (reach) on location counts, minimisation form."""
    n_s = problem.eligible.shape[2]
    reps, location_of = locations(problem)
    n_c = reps.size
    builder = MilpBuilder()
    x, level, loc, spec, cap = _count_vars(builder, problem, location_of, n_c)
    _quota_rows(builder, problem, level, reps[loc], x)
    _symmetry_rows(builder, problem, level, spec, x)
    loc_minutes = sp.csr_array(problem.minutes[:, reps])
    weights_t = problem.weights.T
    for k, lv in enumerate(problem.levels):
        # z_csl where a hospital at c is eligible for s at level k or above.
        up = level <= k
        offers = cap[: k + 1].sum(axis=0) > 0  # (n_c, n_s)
        z_of = np.full((n_c, n_s), -1, dtype=np.intp)
        z_loc, z_spec = np.nonzero(offers)
        z = builder.add_vars(z_loc.size, hi=1.0)
        z_of[z_loc, z_spec] = np.arange(z_loc.size)
        # Row 2: z_csl - Σ_{l' ⪯ l} X_csl' <= 0.
        x_row = z_of[loc[up], spec[up]]
        builder.add_rows(
            z.size,
            np.concatenate([np.arange(z.size, dtype=np.intp), x_row]),
            np.concatenate([z, x[up]]),
            np.concatenate([np.ones(z.size), -np.ones(x_row.size)]),
            hi=0.0,
        )
        # Row 1 on demand rows merged over the offering locations: u - Σ_{c∈N} z <= 0.
        offering = np.flatnonzero(offers.any(axis=1))
        within = sp.csr_array(_within(loc_minutes, lv.standard)[:, offering])
        nonempty = np.flatnonzero(np.diff(within.indptr) > 0)
        within = sp.csr_array(within[nonempty])
        within.sort_indices()
        merged, inverse = merge_identical_rows(within)
        sets = sp.csr_array(within[merged])
        weight = np.zeros((merged.size, n_s))
        np.add.at(weight, inverse, weights_t[nonempty])
        can = np.asarray(sets @ offers[offering].astype(np.float64)) > 0
        cost = lv.weight * weight * problem.specialty_weight[None, :]
        u_row, u_spec = np.nonzero(can & (cost > 0))
        u = builder.add_vars(u_row.size, cost=-cost[u_row, u_spec], hi=1.0)
        expanded = sp.csr_array(sp.kron(sets, sp.identity(n_s, format="csr"), format="csr"))
        block = sp.csr_array(expanded[u_row * n_s + u_spec]).tocoo()
        z_col = z_of[offering].reshape(-1)[block.col]
        hit = z_col >= 0
        m = u.size
        builder.add_rows(
            m,
            np.concatenate([np.arange(m, dtype=np.intp), block.row[hit].astype(np.intp)]),
            np.concatenate([u, z[z_col[hit]]]),
            np.concatenate([np.ones(m), -np.ones(int(hit.sum()))]),
            hi=0.0,
        )
    return Counts(builder, x, level, loc, spec, reps, location_of)


@dataclass(frozen=True)
class HospitalBlock:
    """Hospital designation columns ``x_hsl`` (eligible triples, in (l, h, s) order)."""

    cols: IntArray
    level: IntArray
    hospital: IntArray
    specialty: IntArray


def add_hospital_block(
    builder: MilpBuilder,
    problem: AllocationProblem,
    counts: Counts,
    *,
    cost: FloatArray,
    integer: bool,
) -> HospitalBlock:
    """Add ``x_hsl`` with ``Σ_{h at c} x_hsl = X_csl``, one level per pair, required ones.

    ``cost`` is indexed by the eligible triples in (l, h, s) order.
    """
    level, hospital, specialty = (a.astype(np.intp) for a in np.nonzero(problem.eligible))
    required = required_mask(problem)[level, hospital, specialty]
    x = builder.add_vars(level.size, cost=cost, lo=required.astype(np.float64), integer=integer)
    n_l, _, n_s = problem.eligible.shape
    n_c = counts.reps.size
    count_of = np.full((n_l, n_c, n_s), -1, dtype=np.intp)
    count_of[counts.level, counts.location, counts.specialty] = np.arange(counts.cols.size)
    row = count_of[level, counts.location_of[hospital], specialty]
    m = counts.cols.size
    builder.add_rows(
        m,
        np.concatenate([row, np.arange(m, dtype=np.intp)]),
        np.concatenate([x, counts.cols]),
        np.concatenate([np.ones(x.size), -np.ones(m)]),
        lo=0.0,
        hi=0.0,
    )
    key = hospital * n_s + specialty
    multi = np.bincount(key)[key] >= 2
    if multi.any():
        pairs, pair_row = np.unique(key[multi], return_inverse=True)
        builder.add_rows(pairs.size, pair_row, x[multi], 1.0, hi=1.0)
    return HospitalBlock(x, level, hospital, specialty)
