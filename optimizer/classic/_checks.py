"""Pre-solve checks that explain an infeasible model in a planner's terms.

Each check looks at one cause on its own (count, budget, a group, reachability, capacity) so
that the message can name it; combinations that only the solver can refute get a message
listing the active constraints.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from optimizer.classic._selection import Selection
from optimizer.core.problem import Problem

__all__ = ["explain_infeasible", "explain_solver_infeasible", "number"]


def number(value: float) -> str:
    """Compact number for messages: ``2e8``, ``3.1e8``, ``1500``."""
    text = f"{value:.3g}"
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


def _are(k: int) -> str:
    return "is" if k == 1 else "are"


def _have(k: int) -> str:
    return "has" if k == 1 else "have"


def _ids(ids: Sequence[Hashable], limit: int = 5) -> str:
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f" … ({len(ids)} in all)" if len(ids) > limit else "")


def _count_checks(problem: Problem, sel: Selection) -> list[str]:
    n_req = sel.required.size
    out: list[str] = []
    if sel.p is not None and n_req > sel.p:
        out.append(
            f"{_plural(n_req, 'site')} {_are(n_req)} required but p = {sel.p} additional sites"
        )
    if sel.p is not None and sel.p_exact and sel.p > n_req + sel.free.size:
        out.append(
            f"p = {sel.p} additional sites requested but only {n_req + sel.free.size} "
            f"candidate sites are available ({problem.n_site} sites: "
            f"{int(problem.existing.sum())} existing, {sel.excluded.size} excluded)"
        )
    if sel.budget is not None and problem.site_cost is not None:
        spent = float(problem.site_cost[sel.required].sum())
        if spent > sel.budget:
            out.append(
                f"budget {number(sel.budget)} CNY cannot cover the "
                f"{_plural(n_req, 'required site')} costing {number(spent)} CNY"
            )
    return out


def _group_checks(problem: Problem, sel: Selection) -> list[str]:
    out: list[str] = []
    required = np.zeros(problem.n_site, dtype=np.bool_)
    required[sel.required] = True
    free = np.zeros(problem.n_site, dtype=np.bool_)
    free[sel.free] = True
    for label in sorted(set(sel.group_min) | set(sel.group_max), key=repr):
        members = problem.groups[label]
        n_req = int(required[members].sum())
        n_free = int(free[members].sum())
        lo = sel.group_min.get(label, 0)
        hi = sel.group_max.get(label)
        if sel.p is not None and lo > sel.p:
            out.append(f"group {label!r} needs at least {lo} selected sites but p = {sel.p}")
        elif lo > n_req + n_free:
            out.append(
                f"group {label!r} needs at least {lo} selected sites but only "
                f"{n_req + n_free} of its sites can be selected"
            )
        elif sel.budget is not None and problem.site_cost is not None and lo > n_req:
            cost = problem.site_cost
            cheapest = np.sort(cost[members[free[members]]])[: lo - n_req].sum()
            need = float(cost[sel.required].sum() + cheapest)
            if need > sel.budget:
                out.append(
                    f"budget {number(sel.budget)} CNY cannot pay for the {lo} sites group "
                    f"{label!r} needs (cheapest choice with the required sites: "
                    f"{number(need)} CNY)"
                )
        if hi is not None and n_req > hi:
            out.append(
                f"group {label!r} allows at most {hi} selected sites but "
                f"{_plural(n_req, 'required site')} {_are(n_req)} in it"
            )
    return out


def _service_checks(
    problem: Problem, sel: Selection, objective: str, threshold: float | None
) -> list[str]:
    if objective == "coverage":
        return []
    costs = problem.costs
    ok = sel.allowed[costs.indices]
    if objective == "set_cover":
        assert threshold is not None
        ok &= costs.data <= threshold
    rows = np.repeat(np.arange(problem.n_demand), np.diff(costs.indptr))
    served = np.zeros(problem.n_demand, dtype=np.bool_)
    served[rows[ok]] = True
    stranded = [problem.demand_ids[i] for i in np.flatnonzero(~served)]
    if not stranded:
        return []
    k = len(stranded)
    if objective == "set_cover" and threshold is not None:
        what = f"{_have(k)} no site that may open within {number(threshold)}"
    else:
        what = "cannot reach any site that may open"
    return [f"{_plural(k, 'demand point')} {what}: {_ids(stranded)}"]


def _capacity_checks(problem: Problem, sel: Selection, objective: str) -> list[str]:
    if problem.capacity is None or objective == "coverage":
        return []
    cap = problem.capacity
    fixed_cap = float(cap[sel.fixed_open].sum())
    free_cap = np.sort(cap[sel.free])[::-1]
    if sel.p is not None:
        n_pick = max(sel.p - sel.required.size, 0)
        free_cap = free_cap[:n_pick]
        scope = f"the open and required sites plus the {n_pick} largest candidates"
    else:
        scope = "all sites that may open"
    total = float(problem.weights.sum())
    best = fixed_cap + float(free_cap.sum())
    if total > best:
        return [f"total demand {number(total)} exceeds the capacity {number(best)} of {scope}"]
    return []


def explain_infeasible(
    problem: Problem, sel: Selection, objective: str, threshold: float | None
) -> str | None:
    """One message naming every cause of infeasibility found before solving, or None."""
    found = (
        _count_checks(problem, sel)
        + _group_checks(problem, sel)
        + _service_checks(problem, sel, objective, threshold)
        + _capacity_checks(problem, sel, objective)
    )
    return "; ".join(found) if found else None


def explain_solver_infeasible(problem: Problem, sel: Selection, threshold: float | None) -> str:
    """Message for a model the solver proved infeasible after the checks passed."""
    active: list[str] = []
    if sel.p is not None:
        active.append(f"{'exactly' if sel.p_exact else 'at most'} p = {sel.p} additional sites")
    if sel.budget is not None:
        active.append(f"budget {number(sel.budget)} CNY")
    if sel.required.size:
        active.append(_plural(sel.required.size, "required site"))
    if sel.group_min or sel.group_max:
        active.append("group limits")
    if threshold is not None:
        active.append(f"service standard {number(threshold)}")
    if problem.capacity is not None:
        active.append("site capacities")
    return (
        "no plan satisfies all constraints together (" + ", ".join(active) + "); each holds "
        "on its own, so relax one of them"
    )
