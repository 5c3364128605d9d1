"""Validation helpers of `optimizer.allocation.AllocationProblem.from_matrix`.

Each helper appends what is wrong to ``problems``; the caller raises once with all of them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from optimizer.core.arrays import BoolArray, FloatArray

if TYPE_CHECKING:
    from optimizer.allocation.api import Designation, DesignationLevel

__all__ = [
    "group_limits",
    "hospital_labels",
    "level_eligibility",
    "readiness",
    "required",
    "vector",
    "weights",
]


def vector(
    values: ArrayLike | None,
    shape: tuple[int, ...],
    name: str,
    problems: list[str],
    *,
    default: float,
) -> FloatArray:
    """Return a finite, non-negative float array of ``shape`` (``default`` when None)."""
    if values is None:
        return np.full(shape, default)
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != shape:
        problems.append(f"{name} has shape {arr.shape}, expected {shape}")
        return np.full(shape, default)
    if not np.isfinite(arr).all() or (arr < 0).any():
        problems.append(f"{name} must be finite and >= 0")
    return arr


def weights(
    weights: ArrayLike | None, n_spec: int, n_demand: int, problems: list[str]
) -> FloatArray:
    """``(n_spec, n_demand)`` demand weights from one shared vector or a matrix."""
    if weights is not None and np.ndim(weights) == 2:
        return vector(weights, (n_spec, n_demand), "weights", problems, default=1.0)
    base = vector(weights, (n_demand,), "weights", problems, default=1.0)
    return np.tile(base, (n_spec, 1))


def readiness(values: ArrayLike | None, n_h: int, n_s: int, problems: list[str]) -> FloatArray:
    """``(n_h, n_s)`` readiness from one score per hospital or a matrix."""
    if values is not None and np.ndim(values) == 1:
        column = vector(values, (n_h,), "readiness", problems, default=1.0)
        return np.tile(column[:, None], (1, n_s))
    return vector(values, (n_h, n_s), "readiness", problems, default=1.0)


def level_eligibility(
    levels: Sequence[DesignationLevel], n_h: int, n_s: int, problems: list[str]
) -> BoolArray:
    """``(n_level, n_h, n_s)`` eligibility; checks names, standards, weights and quotas."""
    eligible = np.zeros((len(levels), n_h, n_s), dtype=np.bool_)
    names = [level.name for level in levels]
    if not levels:
        problems.append("at least one level is needed")
    if len(set(names)) != len(names):
        problems.append(f"level names repeat: {names}")
    for k, level in enumerate(levels):
        label = f"level {level.name!r}"
        if not (np.isfinite(level.standard) and level.standard >= 0):
            problems.append(f"{label}: standard must be a finite number >= 0")
        if not (np.isfinite(level.weight) and level.weight >= 0):
            problems.append(f"{label}: weight must be a finite number >= 0")
        counts = [level.min_count] + ([] if level.max_count is None else [level.max_count])
        if any(isinstance(c, bool) or not isinstance(c, int | np.integer) or c < 0 for c in counts):
            problems.append(f"{label}: min_count and max_count must be integers >= 0")
        elif level.max_count is not None and level.min_count > level.max_count:
            problems.append(
                f"{label}: min_count {level.min_count} exceeds max_count {level.max_count}"
            )
        if level.eligible is None:
            eligible[k] = True
            continue
        mask = np.asarray(level.eligible, dtype=np.bool_)
        if mask.shape == (n_h,):
            eligible[k] = mask[:, None]
        elif mask.shape == (n_h, n_s):
            eligible[k] = mask
        else:
            problems.append(
                f"{label}: eligible has shape {mask.shape}, expected ({n_h},) or ({n_h}, {n_s})"
            )
    return eligible


def hospital_labels(labels: Any, n_h: int, name: str, problems: list[str]) -> tuple[Hashable, ...]:
    """One label per hospital, as a tuple."""
    out = tuple(np.asarray(labels, dtype=object).reshape(-1).tolist())
    if len(out) != n_h:
        problems.append(f"hospital_groups[{name!r}] has {len(out)} labels, expected {n_h}")
    return out


def group_limits(
    levels: Sequence[DesignationLevel],
    groups: Mapping[str, tuple[Hashable, ...]],
    attr: str,
    problems: list[str],
) -> dict[tuple[int, str], dict[Hashable, int]]:
    """``(level index, grouping)`` → label → limit from every level's ``attr``."""
    out: dict[tuple[int, str], dict[Hashable, int]] = {}
    for k, level in enumerate(levels):
        for grouping, limit in getattr(level, attr).items():
            where = f"level {level.name!r}: {attr}[{grouping!r}]"
            if grouping not in groups:
                problems.append(f"{where} names a grouping missing from hospital_groups")
                continue
            known = sorted(set(groups[grouping]), key=str)
            if isinstance(limit, Mapping):
                unknown = [g for g in limit if g not in set(known)]
                if unknown:
                    problems.append(f"{where} names unknown groups {unknown[:5]!r}")
                    continue
                values = dict(limit)
            else:
                values = dict.fromkeys(known, limit)
            if any(
                isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0
                for v in values.values()
            ):
                problems.append(f"{where} must be integers >= 0")
                continue
            out[(k, grouping)] = {g: int(v) for g, v in sorted(values.items(), key=_str_key)}
    return out


def _str_key(item: tuple[Hashable, Any]) -> str:
    return str(item[0])


def required(  # noqa: PLR0917 - validation context
    required: Sequence[tuple[Hashable, Hashable, str]],
    levels: Sequence[DesignationLevel],
    h_ids: tuple[Hashable, ...],
    s_ids: tuple[Hashable, ...],
    eligible: BoolArray,
    problems: list[str],
) -> tuple[Designation, ...]:
    """Check the required designations: known ids, eligible, one level per pair."""
    from optimizer.allocation.api import Designation

    h_pos = {h: j for j, h in enumerate(h_ids)}
    s_pos = {s: j for j, s in enumerate(s_ids)}
    l_pos = {level.name: j for j, level in enumerate(levels)}
    out: list[Designation] = []
    pairs: dict[tuple[Hashable, Hashable], str] = {}
    for item in required:
        hospital, specialty, level = item
        if hospital not in h_pos or specialty not in s_pos or level not in l_pos:
            problems.append(f"required designation {tuple(item)!r} names an unknown id or level")
            continue
        if not eligible[l_pos[level], h_pos[hospital], s_pos[specialty]]:
            problems.append(f"required designation {tuple(item)!r} is not eligible")
            continue
        other = pairs.setdefault((hospital, specialty), level)
        if other != level:
            problems.append(
                f"required designations give {hospital!r} {specialty!r} two levels "
                f"({other}, {level}); one level per hospital-specialty pair"
            )
            continue
        out.append(Designation(hospital, specialty, level))
    return tuple(dict.fromkeys(out))
