"""Pre-solve checks that explain an infeasible allocation in a planner's words.

Each check looks at one rule against the eligible hospital-specialty pairs: a quota alone,
several quotas that compete for the same pairs (one level per pair: Hall's condition over the
levels, which is exact for the quotas alone), a group's minimum against its pairs, the group
minimums against the quota, the group maximums against the quota, required designations
against maximums. Only the solver can refute the rules together.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimizer.allocation.api import AllocationProblem

__all__ = ["explain_infeasible"]


def _listed(labels: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(labels[:limit])
    return shown + (f" (and {len(labels) - limit} more)" if len(labels) > limit else "")


def _joined(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _quota_checks(problem: AllocationProblem) -> list[str]:
    levels = problem.levels
    pairs = problem.eligible.sum(axis=(1, 2))
    out: list[str] = []
    short: set[frozenset[int]] = set()
    for k, lv in enumerate(levels):
        if lv.min_count > pairs[k]:
            short.add(frozenset([k]))
            out.append(
                f"{lv.min_count} {lv.name} designations need {lv.min_count} eligible "
                f"{lv.holders}-specialty pairs, only {int(pairs[k])} exist"
            )
    for size in range(2, len(levels) + 1):
        for subset in itertools.combinations(range(len(levels)), size):
            if any(s <= frozenset(subset) for s in short):
                continue
            need = sum(levels[k].min_count for k in subset)
            have = int(problem.eligible[list(subset)].any(axis=0).sum())
            if need > have:
                short.add(frozenset(subset))
                names = [levels[k].name for k in subset]
                out.append(
                    f"the {_joined(names)} quotas need at least {need} designations together, "
                    f"only {have} hospital-specialty pairs are eligible for them (one level per "
                    "pair)"
                )
    return out


def _required_counts(problem: AllocationProblem) -> dict[tuple[int, Hashable], int]:
    """``(level index, hospital id)`` → required designations."""
    position = {name: k for k, name in enumerate(problem.level_names)}
    out: dict[tuple[int, Hashable], int] = {}
    for d in problem.required:
        key = (position[d.level], d.hospital)
        out[key] = out.get(key, 0) + 1
    return out


def _required_checks(problem: AllocationProblem) -> list[str]:
    out: list[str] = []
    per_level = np.zeros(len(problem.levels), dtype=np.intp)
    for (k, _), n in _required_counts(problem).items():
        per_level[k] += n
    for k, lv in enumerate(problem.levels):
        if lv.max_count is not None and per_level[k] > lv.max_count:
            out.append(
                f"{per_level[k]} required {lv.name} designations exceed the quota of at most "
                f"{lv.max_count}"
            )
    return out


def _group_checks(problem: AllocationProblem) -> list[str]:
    out: list[str] = []
    per_hospital = problem.eligible.sum(axis=2)  # (n_level, n_hospital)
    required = _required_counts(problem)
    keys = sorted(set(problem.group_min) | set(problem.group_max))
    for k, grouping in keys:
        lv = problem.levels[k]
        labels = problem.hospital_groups[grouping]
        pairs: dict[Hashable, int] = {}
        fixed: dict[Hashable, int] = {}
        for j, (h, g) in enumerate(zip(problem.hospital_ids, labels, strict=True)):
            pairs[g] = pairs.get(g, 0) + int(per_hospital[k, j])
            fixed[g] = fixed.get(g, 0) + required.get((k, h), 0)
        gmin = problem.group_min.get((k, grouping), {})
        gmax = problem.group_max.get((k, grouping), {})
        short = [
            f"{g} needs {lo}, has {pairs.get(g, 0)}"
            for g, lo in gmin.items()
            if lo > pairs.get(g, 0)
        ]
        if short:
            out.append(
                f"{lv.name}: {len(short)} {grouping} group(s) lack eligible {lv.holders}-specialty "
                f"pairs for their minimum: {_listed(short)}"
            )
        total = sum(gmin.values())
        if lv.max_count is not None and total > lv.max_count:
            out.append(
                f"{lv.name}: the {grouping} minimums need {total} designations together but the "
                f"quota allows at most {lv.max_count}"
            )
        over = [f"{g} allows {hi}, requires {fixed[g]}" for g, hi in gmax.items() if fixed[g] > hi]
        if over:
            out.append(
                f"{lv.name}: required designations exceed the {grouping} maximum in {_listed(over)}"
            )
        capped = all(g in gmax for g, n in pairs.items() if n > 0)
        if capped and gmax:
            room = sum(min(hi, pairs.get(g, 0)) for g, hi in gmax.items())
            if room < lv.min_count:
                out.append(
                    f"{lv.name}: the {grouping} maximums allow at most {room} designations but "
                    f"the quota needs at least {lv.min_count}"
                )
    out += _group_hall(problem)
    return out


def _group_hall(problem: AllocationProblem) -> list[str]:
    """Minimums of one group at several levels compete for its pairs (one level per pair)."""
    out: list[str] = []
    groupings = sorted({grouping for _, grouping in problem.group_min})
    for grouping in groupings:
        levels = [k for k in range(len(problem.levels)) if (k, grouping) in problem.group_min]
        labels = np.array([str(g) for g in problem.hospital_groups[grouping]], dtype=object)
        found: list[str] = []
        for label in sorted({str(g) for g in problem.hospital_groups[grouping]}):
            mine = labels == label
            mins = {
                k: lo
                for k in levels
                for g, lo in problem.group_min[(k, grouping)].items()
                if str(g) == label and lo > 0
            }
            short = [  # reported by _group_checks already
                frozenset([k])
                for k, lo in mins.items()
                if lo > int(problem.eligible[k][mine].sum())
            ]
            for size in range(2, len(mins) + 1):
                for subset in itertools.combinations(sorted(mins), size):
                    if any(s <= frozenset(subset) for s in short):
                        continue
                    need = sum(mins[k] for k in subset)
                    have = int(problem.eligible[list(subset)][:, mine].any(axis=0).sum())
                    if need > have:
                        short.append(frozenset(subset))
                        names = _joined([problem.levels[k].name for k in subset])
                        found.append(f"{label} needs {need} ({names}), has {have}")
        if found:
            out.append(
                f"{len(found)} {grouping} minimum(s) across levels exceed the group's eligible "
                f"hospital-specialty pairs (one level per pair): {_listed(found)}"
            )
    return out


def explain_infeasible(problem: AllocationProblem) -> str:
    """Why no allocation exists, found without solving (``""`` when the checks pass)."""
    return "; ".join(_quota_checks(problem) + _required_checks(problem) + _group_checks(problem))
