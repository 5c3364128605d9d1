"""The MILP of `optimizer.chain` (formulation in that module's docstring), built with numpy.

Rows are generated in coordinate form per family; nothing loops in Python over matrix
entries (`duplicates` loops over candidate sites to find identical ones).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.core.milp import Milp, MilpBuilder
from optimizer.errors import InvalidOptionError

if TYPE_CHECKING:
    from optimizer.chain.api import ChainProblem

__all__ = [
    "Built",
    "Limits",
    "build_model",
    "check_limits",
    "duplicates",
    "explain_infeasible",
    "row_of",
]


def row_of(matrix: sp.csr_array) -> IntArray:
    return np.repeat(np.arange(matrix.shape[0], dtype=np.intp), np.diff(matrix.indptr))


@dataclass(frozen=True)
class Limits:
    max_first: int | None
    max_second: int | None
    max_total: int | None
    budget: float | None
    min_second: Mapping[Hashable, int]
    min_open: Mapping[Hashable, int]


def check_limits(problem: ChainProblem, limits: Limits) -> None:
    problems: list[str] = []
    for name, value in (
        ("max_first", limits.max_first),
        ("max_second", limits.max_second),
        ("max_total", limits.max_total),
    ):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0
        ):
            problems.append(f"{name} must be an integer >= 0, got {value!r}")
    if limits.budget is not None and not (math.isfinite(limits.budget) and limits.budget >= 0):
        problems.append(f"budget must be a finite number >= 0, got {limits.budget!r}")
    for name, mins in (
        ("min_second_per_group", limits.min_second),
        ("min_open_per_group", limits.min_open),
    ):
        unknown = [g for g in mins if g not in problem.base.groups]
        if unknown:
            problems.append(f"{name} names unknown groups: {unknown[:5]!r}")
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in mins.values()):
            problems.append(f"{name} must map groups to integers >= 0")
    if problems:
        raise InvalidOptionError("; ".join(problems))


def explain_infeasible(problem: ChainProblem, limits: Limits) -> str:
    """Why no designation can satisfy the limits, from checks that need no solver."""
    reasons: list[str] = []
    level2 = problem.second_free | problem.second_existing
    able = level2 | problem.first_free | problem.first_existing
    need2 = need_any = 0
    for label in sorted(set(limits.min_second) | set(limits.min_open), key=repr):
        members = problem.base.groups[label]
        for mins, mask, what in (
            (limits.min_second, level2, "level-2"),
            (limits.min_open, able, "centres of any level"),
        ):
            want = mins.get(label, 0)
            have = int(mask[members].sum())
            if want > have:
                reasons.append(
                    f"group {label!r} needs {want} {what} but has only {have} "
                    "candidates and existing centres"
                )
        need2 += max(
            0, limits.min_second.get(label, 0) - int(problem.second_existing[members].sum())
        )
        exist_any = problem.first_existing | problem.second_existing
        need_any += max(0, limits.min_open.get(label, 0) - int(exist_any[members].sum()))
    disjoint = _groups_disjoint(problem, set(limits.min_second) | set(limits.min_open))
    if disjoint and limits.max_second is not None and need2 > limits.max_second:
        reasons.append(
            f"the per-group minimums need {need2} new level-2 centres but max_second = "
            f"{limits.max_second}"
        )
    if disjoint and limits.max_total is not None and max(need2, need_any) > limits.max_total:
        reasons.append(
            f"the per-group minimums need {max(need2, need_any)} new centres but max_total = "
            f"{limits.max_total}"
        )
    return "; ".join(reasons)


def _groups_disjoint(problem: ChainProblem, labels: set[Hashable]) -> bool:
    members = [problem.base.groups[g] for g in labels]
    total = sum(m.size for m in members)
    return total == (np.unique(np.concatenate(members)).size if members else 0)


@dataclass(frozen=True)
class Built:
    milp: Milp
    y_sites: IntArray
    y_cols: IntArray
    x_sites: IntArray
    x_cols: IntArray


def _prefix_ends(
    t: FloatArray,
    *,
    lo: IntArray,
    hi: IntArray,
    key_base: FloatArray,
    key: FloatArray,
    hv: FloatArray,
    limit: float,
) -> IntArray:
    """End (exclusive) of the prefix of ``[lo, hi)`` where ``t + hv <= limit``, per entry.

    ``hv`` is sorted within each segment and ``key`` (= segment base + ``hv``) is sorted
    globally; a vectorised search on ``key`` gives a first guess, then the predicate is
    evaluated exactly as `evaluate_chain` evaluates it (``t + (h + τ)``), so the MILP and the
    evaluation agree at the boundary.
    """
    end = np.searchsorted(key, key_base + (limit - t), side="right").astype(np.intp)
    end = np.clip(end, lo, hi)
    while True:
        fail = end > lo
        fail[fail] = ~(t[fail] + hv[end[fail] - 1] <= limit)
        if not fail.any():
            break
        end[fail] -= 1
    while True:
        grow = end < hi
        grow[grow] = t[grow] + hv[end[grow]] <= limit
        if not grow.any():
            break
        end[grow] += 1
    return end


@dataclass(frozen=True)
class _Transfers:
    """Level-2-able sites ``K_j`` of every level-1-able site, sorted by ``h + τ``."""

    site: IntArray  # level-2 site of each element
    hv: FloatArray  # handover + transfer minutes
    key: FloatArray  # owner × span + hv, sorted globally
    span: float
    lo: IntArray  # per site: segment start
    hi: IntArray  # per site: segment end
    first_existing: IntArray  # per site: index of the first existing level-2 site (or hi)


def _transfers(problem: ChainProblem, able1: BoolArray, able2: BoolArray) -> _Transfers:
    hop = problem.transfer
    rows, cols, vals = row_of(hop), hop.indices, hop.data
    keep = able1[rows] & able2[cols] & (rows != cols)
    rows, cols = rows[keep], cols[keep]
    hv = problem.handover_minutes + vals[keep]
    order = np.lexsort((cols, hv, rows))
    rows, cols, hv = rows[order], cols[order], hv[order]
    n = problem.base.n_site
    lo = np.searchsorted(rows, np.arange(n), side="left").astype(np.intp)
    hi = np.searchsorted(rows, np.arange(n), side="right").astype(np.intp)
    span = 2.0 * (float(hv.max(initial=0.0)) + problem.total_minutes + 1.0)
    existing = np.flatnonzero(problem.second_existing[cols])
    first_ex = hi.copy()
    if existing.size:
        at = np.searchsorted(existing, lo)
        found = at < existing.size
        found[found] = existing[at[found]] < hi[found]
        first_ex[found] = existing[at[found]]
    return _Transfers(cols, hv, rows * span + hv, span, lo, hi, first_ex)


def duplicates(problem: ChainProblem, keep: int) -> BoolArray:
    """Free candidates that repeat an earlier identical candidate more than `keep` times.

    Two free sites are identical when they have the same costs at both levels, the same
    minutes from every demand, the same transfer minutes to and from every other site (and
    0 between them) and the same groups: co-located hospitals. Opening a second identical
    site at either level changes no chain, so with per-group minimums of at most `keep`
    some optimal plan uses at most `keep` sites of each class; the rest are left out of the
    program (a symmetry reduction; on Liaoning 58 city hospitals stand at 22 places).
    """
    n = problem.base.n_site
    free = problem.first_free | problem.second_free
    demand_side = sp.csc_array(problem.base.costs)
    demand_side.sort_indices()
    hop_out = problem.transfer
    hop_in = sp.csc_array(hop_out)
    hop_in.sort_indices()
    member: dict[int, list[str]] = {}
    for label, sites in sorted(problem.base.groups.items(), key=lambda kv: repr(kv[0])):
        for j in sites.tolist():
            member.setdefault(j, []).append(repr(label))

    def with_self(indices: NDArray[Any], data: FloatArray, j: int) -> bytes:
        keep_ = indices != j
        idx = np.r_[indices[keep_], j]
        val = np.r_[data[keep_], 0.0]
        order = np.argsort(idx, kind="stable")
        return bytes(idx[order].astype(np.int64).tobytes() + b"|" + val[order].tobytes())

    seen: dict[bytes, int] = {}
    blocked = np.zeros(n, dtype=np.bool_)
    for j in np.flatnonzero(free).tolist():
        lo, hi = demand_side.indptr[j], demand_side.indptr[j + 1]
        o_lo, o_hi = hop_out.indptr[j], hop_out.indptr[j + 1]
        i_lo, i_hi = hop_in.indptr[j], hop_in.indptr[j + 1]
        key = b"||".join(
            [
                np.array([problem.first_cost[j], problem.second_cost[j]]).tobytes(),
                demand_side.indices[lo:hi].astype(np.int64).tobytes(),
                demand_side.data[lo:hi].tobytes(),
                with_self(hop_out.indices[o_lo:o_hi], hop_out.data[o_lo:o_hi], j),
                with_self(hop_in.indices[i_lo:i_hi], hop_in.data[i_lo:i_hi], j),
                "/".join(member.get(j, [])).encode(),
            ]
        )
        count = seen.get(key, 0)
        blocked[j] = count >= keep
        seen[key] = count + 1
    return blocked


def build_model(problem: ChainProblem, limits: Limits) -> Built:  # noqa: PLR0915 - one block per row family
    base = problem.base
    n_site = base.n_site
    free1, free2 = problem.first_free, problem.second_free
    ex1, ex2 = problem.first_existing, problem.second_existing
    able1, able2 = free1 | ex1, free2 | ex2
    able = able1 | able2
    s1, s2 = problem.first_leg_minutes, problem.total_minutes
    b = MilpBuilder()
    y_sites, x_sites = np.flatnonzero(free1), np.flatnonzero(free2)
    y_cols = b.add_vars(y_sites.size, integer=True)
    x_cols = b.add_vars(x_sites.size, integer=True)
    ycol = np.full(n_site, -1, dtype=np.intp)
    xcol = np.full(n_site, -1, dtype=np.intp)
    ycol[y_sites], xcol[x_sites] = y_cols, x_cols

    # Entries that can be a first contact: able site, within S1, not beyond the nearest
    # existing centre, demand with positive weight; sorted by (row, minutes, site).
    costs = base.costs
    rows, cols, t = row_of(costs), costs.indices.astype(np.intp), costs.data
    keep = able[cols] & (t <= s1) & (base.weights[rows] > 0)
    rows, cols, t = rows[keep], cols[keep], t[keep]
    nearest_ex = np.full(base.n_demand, np.inf)
    is_ex = (ex1 | ex2)[cols]
    np.minimum.at(nearest_ex, rows[is_ex], t[is_ex])
    keep = t <= nearest_ex[rows]
    rows, cols, t = rows[keep], cols[keep], t[keep]
    order = np.lexsort((cols, t, rows))
    rows, cols, t = rows[order], cols[order], t[order]
    n_e = rows.size
    new_row = np.ones(n_e, dtype=np.bool_)
    new_row[1:] = rows[1:] != rows[:-1]
    new_level = new_row.copy()
    new_level[1:] |= t[1:] != t[:-1]
    level = np.cumsum(new_level) - 1  # global rank id
    n_level = int(level[-1]) + 1 if n_e else 0
    level_last = np.zeros(n_level, dtype=np.bool_)  # last rank of its demand: needs no c
    if n_level:
        level_last[level[new_row][1:] - 1] = True
        level_last[-1] = True
    level_first = np.zeros(n_level, dtype=np.bool_)
    level_first[level[new_row]] = True

    # c variables (row 6) for every rank that is not the demand's last.
    c_col = np.full(n_level, -1, dtype=np.intp)
    need_c = np.flatnonzero(~level_last)
    c_col[need_c] = b.add_vars(need_c.size)
    e_c = c_col[level] >= 0
    free_e = np.flatnonzero(e_c & (free1 | free2)[cols])
    parts_r, parts_c, parts_v = (
        [np.arange(free_e.size)],
        [c_col[level[free_e]]],
        [np.ones(free_e.size)],
    )
    for colmap in (ycol, xcol):
        has = colmap[cols[free_e]] >= 0
        parts_r.append(np.flatnonzero(has))
        parts_c.append(colmap[cols[free_e[has]]])
        parts_v.append(-np.ones(int(has.sum())))
    b.add_rows(
        free_e.size,
        np.concatenate(parts_r),
        np.concatenate(parts_c),
        np.concatenate(parts_v),
        lo=0.0,
    )
    chained = need_c[~level_first[need_c]]
    k = np.arange(chained.size)
    b.add_rows(
        chained.size,
        np.r_[k, k],
        np.r_[c_col[chained], c_col[chained - 1]],
        np.r_[np.ones(k.size), -np.ones(k.size)],
        lo=0.0,
    )

    # g² (rows 2-3): first contact is a level-2 centre, the chain ends there.
    weight = base.weights[rows]
    e2 = np.flatnonzero(able2[cols] & (t <= s2))
    g2 = b.add_vars(e2.size, cost=-weight[e2])
    f2 = xcol[cols[e2]] >= 0
    k = np.arange(int(f2.sum()))
    b.add_rows(
        k.size,
        np.r_[k, k],
        np.r_[g2[f2], xcol[cols[e2[f2]]]],
        np.r_[np.ones(k.size), -np.ones(k.size)],
        hi=0.0,
    )

    # g¹ (rows 2, 4, 5): first contact is a level-1 centre, transfer within S2 in total.
    tr = _transfers(problem, able1, able2)
    e1_all = np.flatnonzero(able1[cols])
    j1 = cols[e1_all]
    end = _prefix_ends(
        t[e1_all],
        lo=tr.lo[j1],
        hi=tr.hi[j1],
        key_base=j1.astype(np.float64) * tr.span,
        key=tr.key,
        hv=tr.hv,
        limit=s2,
    )
    by_existing = end > tr.first_existing[j1]
    usable = by_existing | (end > tr.lo[j1])
    e1, end, by_existing, j1 = e1_all[usable], end[usable], by_existing[usable], j1[usable]
    g1 = b.add_vars(e1.size, cost=-weight[e1])
    f1 = ycol[j1] >= 0
    k = np.arange(int(f1.sum()))
    b.add_rows(
        k.size,
        np.r_[k, k],
        np.r_[g1[f1], ycol[j1[f1]]],
        np.r_[np.ones(k.size), -np.ones(k.size)],
        hi=0.0,
    )
    owner = np.repeat(np.arange(n_site), tr.hi - tr.lo)
    t_elems = np.flatnonzero(np.arange(tr.site.size) < tr.first_existing[owner])
    t_col = np.full(tr.site.size, -1, dtype=np.intp)
    t_col[t_elems] = b.add_vars(t_elems.size)
    head = tr.lo[owner[t_elems]] == t_elems
    k = np.arange(t_elems.size)
    prev = np.flatnonzero(~head)
    b.add_rows(
        t_elems.size,
        np.r_[k, k, prev],
        np.r_[t_col[t_elems], xcol[tr.site[t_elems]], t_col[t_elems[prev] - 1]],
        np.r_[np.ones(k.size), -np.ones(k.size), -np.ones(prev.size)],
        hi=0.0,
    )
    need_t = np.flatnonzero(~by_existing)
    k = np.arange(need_t.size)
    b.add_rows(
        k.size,
        np.r_[k, k],
        np.r_[g1[need_t], t_col[end[need_t] - 1]],
        np.r_[np.ones(k.size), -np.ones(k.size)],
        hi=0.0,
    )

    # Row 7 (closest assignment) and row 1 (each demand counted once).
    g_entry = np.r_[e2, e1]
    g_cols = np.r_[g2, g1]
    later = ~level_first[level[g_entry]]
    ent = g_entry[later]
    uniq, slot = np.unique(ent, return_inverse=True)
    b.add_rows(
        uniq.size,
        np.r_[slot, np.arange(uniq.size)],
        np.r_[g_cols[later], c_col[level[uniq] - 1]],
        1.0,
        hi=1.0,
    )
    demand, slot = np.unique(rows[g_entry], return_inverse=True)
    b.add_rows(demand.size, slot, g_cols, 1.0, hi=1.0)

    _add_limits(b, problem, limits, ycol, xcol)
    return Built(b.build(), y_sites, y_cols, x_sites, x_cols)


def _add_limits(
    b: MilpBuilder, problem: ChainProblem, limits: Limits, ycol: IntArray, xcol: IntArray
) -> None:
    """Rows 8-10: one level a site, counts, budget, per-group minimums."""
    both = np.flatnonzero((ycol >= 0) & (xcol >= 0))
    k = np.arange(both.size)
    b.add_rows(both.size, np.r_[k, k], np.r_[ycol[both], xcol[both]], 1.0, hi=1.0)
    ys, xs = np.flatnonzero(ycol >= 0), np.flatnonzero(xcol >= 0)
    for cap, cols in (
        (limits.max_first, ycol[ys]),
        (limits.max_second, xcol[xs]),
        (limits.max_total, np.r_[ycol[ys], xcol[xs]]),
    ):
        if cap is not None:
            b.add_rows(1, np.zeros(cols.size, dtype=np.intp), cols, 1.0, hi=float(cap))
    if limits.budget is not None:
        b.add_rows(
            1,
            np.zeros(ys.size + xs.size, dtype=np.intp),
            np.r_[ycol[ys], xcol[xs]],
            np.r_[problem.first_cost[ys], problem.second_cost[xs]],
            hi=limits.budget,
        )
    existing_any = problem.first_existing | problem.second_existing
    for label in sorted(set(limits.min_second) | set(limits.min_open), key=repr):
        members = problem.base.groups[label]
        need2 = limits.min_second.get(label, 0) - int(problem.second_existing[members].sum())
        if need2 > 0:
            cols = xcol[members][xcol[members] >= 0]
            b.add_rows(1, np.zeros(cols.size, dtype=np.intp), cols, 1.0, lo=float(need2))
        need = limits.min_open.get(label, 0) - int(existing_any[members].sum())
        if need > 0:
            cols = np.r_[ycol[members], xcol[members]]
            cols = cols[cols >= 0]
            b.add_rows(1, np.zeros(cols.size, dtype=np.intp), cols, 1.0, lo=float(need))
