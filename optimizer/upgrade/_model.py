"""Builds the upgrade MILP of `optimizer.upgrade` (formulation in that module's docstring)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from optimizer.core.arrays import BoolArray, FloatArray, IntArray
from optimizer.core.milp import Milp, MilpBuilder
from optimizer.upgrade.evaluate import entry_mask

if TYPE_CHECKING:
    from optimizer.upgrade.api import UpgradeProblem, UpgradeTier

__all__ = ["Built", "build_model", "max_violation"]


@dataclass(frozen=True)
class _Cover:
    """Coverage indicators of one tier and year: ``y = min(1, reach @ x[year])``."""

    year: int
    cols: IntArray
    reach: sp.csr_array  # y rows x pairs
    rows: IntArray | None = None  # demand row of each y column (`optimizer.upgrade.robust`)
    base: BoolArray | None = None  # demand rows an existing provider covers


@dataclass(frozen=True)
class _Levels:
    """Level variables of one tier and year (chained radius form, see `_level_block`).

    Levels are sorted by (demand row, time); ``first`` marks the first level of each row and
    ``hits`` (levels x pairs) the pairs whose time is exactly the level's time.
    """

    year: int
    cols: IntArray
    hits: sp.csr_array
    first: BoolArray


@dataclass(frozen=True)
class _Bound:
    """One column bounded by its rows (worst time ``W`` of a year, worst group share ``s``).

    ``rows`` hold the column with every other column already known, so its tightest value
    (lowest when ``maximise`` is False) follows from the rows' bounds. ``year`` is -1 for a
    column outside the yearly objective (``s``).
    """

    year: int
    col: int
    rows: IntArray
    maximise: bool


@dataclass(frozen=True)
class Built:
    """The assembled model and what reads and writes its solutions.

    A solution is read with `decode`; a plan is written as a full solution vector with
    `encode`.
    """

    milp: Milp
    kind: str
    n_years: int
    unreachable: float
    equity_costs: tuple[FloatArray, ...]  # per tier: minimise -s_t (its worst group share)
    spend_cost: FloatArray
    pair_site: IntArray
    pair_tier: IntArray
    pair_cost: FloatArray
    x_cols: IntArray  # years x pairs
    problem: UpgradeProblem
    aux: tuple[_Cover | _Levels | _Bound, ...] = ()

    def year_cost(self) -> sp.csr_array:
        """Years x columns: each year's part of the objective ``milp.cost`` (rows sum to it).

        Each row is what a single-period model of the same kind minimises for that year's
        upgrades, less its offset.
        """
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        for block in self.aux:
            if isinstance(block, _Bound):
                if block.year >= 0:
                    rows.append(np.array([block.year], dtype=np.intp))
                    cols.append(np.array([block.col], dtype=np.intp))
                continue
            rows.append(np.full(block.cols.size, block.year, dtype=np.intp))
            cols.append(block.cols)
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.intp)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.intp)
        out = sp.csr_array((self.milp.cost[c], (r, c)), shape=(self.n_years, self.milp.n_col))
        out.eliminate_zeros()
        return out

    def encode(self, chosen: ArrayLike) -> FloatArray:
        """Return the full solution vector of a plan: the inverse of `decode`.

        Parameters
        ----------
        chosen
            Boolean years x pairs: pair ``k`` (site ``pair_site[k]`` at tier
            ``pair_tier[k]``) is upgraded by the end of year ``y``. A single year may be
            given as a 1-d array; it is repeated for every year.

        Returns
        -------
        numpy.ndarray
            Every column of ``milp``: the upgrades, coverage indicators (1 where a provider
            is within the standard, else 0), level variables (1 while no chosen provider is
            at or below the level's time), and the worst time / worst group share at their
            tightest values given the rest. The vector is feasible for ``milp`` when the plan
            keeps the model's rules (check with `max_violation`).
        """
        x = np.asarray(chosen, dtype=np.float64)
        if x.ndim == 1:
            x = np.broadcast_to(x, self.x_cols.shape)
        if x.shape != self.x_cols.shape:
            msg = f"chosen needs shape {self.x_cols.shape}, got {x.shape}"
            raise ValueError(msg)
        x = (x > 0.5).astype(np.float64)
        milp = self.milp
        values = np.clip(np.zeros(milp.n_col), milp.col_lo, milp.col_hi)
        values[self.x_cols] = x
        for block in self.aux:
            if isinstance(block, _Cover):
                values[block.cols] = np.minimum(1.0, block.reach @ x[block.year])
            elif isinstance(block, _Levels):
                if block.cols.size == 0:
                    continue
                hits = np.cumsum(block.hits @ x[block.year])
                # Hits from earlier rows' levels: the cumulative count just before each row.
                start = np.flatnonzero(block.first)
                before = np.repeat(
                    np.concatenate([[0.0], hits[start[1:] - 1]]),
                    np.diff(np.append(start, hits.size)),
                )
                values[block.cols] = (hits - before < 0.5).astype(np.float64)
            else:
                values[block.col] = _tightest(milp, block, values)
        return values

    def decode(self, values: FloatArray) -> dict[str, Any]:
        """Upgrades per tier, first year per site, costs, and per-year selections."""
        chosen = values[self.x_cols] > 0.5  # years x pairs
        names = self.problem.tier_names
        site_ids = self.problem.base.site_ids
        final = chosen[-1]
        upgrades: dict[str, tuple[Hashable, ...]] = {}
        cost_by_tier: dict[str, float] = {}
        for ti, name in enumerate(names):
            pick = final & (self.pair_tier == ti)
            order = np.sort(self.pair_site[pick])
            upgrades[name] = tuple(site_ids[j] for j in order)
            cost_by_tier[name] = float(self.pair_cost[pick].sum())
        first_year = np.argmax(chosen, axis=0) + 1
        year = {site_ids[int(self.pair_site[k])]: int(first_year[k]) for k in np.flatnonzero(final)}
        spent = (chosen.astype(np.float64) * self.pair_cost).sum(axis=1)
        per_year = np.diff(np.concatenate([[0.0], spent]))
        n_site = self.problem.base.n_site
        selected: list[dict[str, BoolArray]] = []
        for y in range(self.n_years):
            masks = {}
            for ti, name in enumerate(names):
                mask = np.zeros(n_site, dtype=np.bool_)
                mask[self.pair_site[chosen[y] & (self.pair_tier == ti)]] = True
                masks[name] = mask
            selected.append(masks)
        return {
            "upgrades": upgrades,
            "year": dict(sorted(year.items(), key=lambda kv: str(kv[0]))),
            "cost": float(spent[-1]),
            "cost_by_tier": cost_by_tier,
            "cost_by_year": tuple(float(v) for v in per_year),
            "selected": selected,
        }


def max_violation(milp: Milp, values: ArrayLike) -> float:
    """Largest violation of ``milp``'s row and column bounds and integrality by ``values``.

    Row violations are relative to ``max(1, |bound|)`` so that budget rows in CNY and
    coverage rows in shares compare on one scale.
    """
    v = np.asarray(values, dtype=np.float64)
    activity = milp.matrix @ v
    with np.errstate(invalid="ignore"):
        row = np.maximum(milp.row_lo - activity, 0.0) / np.maximum(1.0, np.abs(milp.row_lo))
        row = np.maximum(
            np.nan_to_num(row),
            np.nan_to_num(np.maximum(activity - milp.row_hi, 0.0))
            / np.maximum(1.0, np.abs(milp.row_hi)),
        )
    col = np.maximum(milp.col_lo - v, 0.0) + np.maximum(v - milp.col_hi, 0.0)
    frac = np.abs(v - np.round(v))[milp.integer]
    return float(max(row.max(initial=0.0), col.max(initial=0.0), frac.max(initial=0.0)))


def _tightest(milp: Milp, block: _Bound, values: FloatArray) -> float:
    """Tightest value of one column given every other column and the block's rows."""
    sub = milp.matrix[block.rows]
    coef = np.asarray(sub[:, [block.col]].toarray()).ravel()
    rest = sub @ values - coef * values[block.col]
    lo, hi = milp.row_lo[block.rows], milp.row_hi[block.rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(coef > 0, (lo - rest) / coef, (hi - rest) / coef)  # value >= a
        b = np.where(coef > 0, (hi - rest) / coef, (lo - rest) / coef)  # value <= b
    if block.maximise:
        upper = b[np.isfinite(b) & (coef != 0)].min(initial=np.inf)
        return float(np.clip(upper, milp.col_lo[block.col], milp.col_hi[block.col]))
    lower = a[np.isfinite(a) & (coef != 0)].max(initial=-np.inf)
    return float(np.clip(lower, milp.col_lo[block.col], milp.col_hi[block.col]))


def build_model(
    problem: UpgradeProblem,
    *,
    kind: str,
    budget: float | None,
    yearly_budgets: Sequence[float] | None,
    carry_over: bool,
    equity_group: str | None,
    unreachable: float,
    all_rows: bool = False,
) -> Built:
    """Assemble the MILP for `kind` (coverage, median or minmax).

    With `all_rows`, coverage variables exist for demand rows of zero weight too (the robust
    objectives weigh them by other demand vectors, `optimizer.upgrade.robust`).
    """
    tiers = problem.tiers
    n_years = len(yearly_budgets) if yearly_budgets is not None else 1
    costs = [np.asarray(t.cost, dtype=np.float64) for t in tiers]
    pair_site = np.concatenate([np.flatnonzero(np.isfinite(c)) for c in costs]).astype(np.intp)
    pair_tier = np.concatenate(
        [np.full(int(np.isfinite(c).sum()), ti, dtype=np.intp) for ti, c in enumerate(costs)]
    )
    pair_cost = np.concatenate([c[np.isfinite(c)] for c in costs])
    n_pairs = pair_site.size
    b = MilpBuilder()
    lo_final = np.zeros(n_pairs)
    position = {sid: j for j, sid in enumerate(problem.base.site_ids)}
    for ti, tier in enumerate(tiers):
        for sid in tier.required:
            lo_final[(pair_site == position[sid]) & (pair_tier == ti)] = 1.0
    x_cols = np.vstack(
        [
            b.add_vars(n_pairs, integer=True, lo=lo_final if y == n_years - 1 else 0.0)
            for y in range(n_years)
        ]
    ).reshape(n_years, n_pairs)
    _site_and_time_rows(
        b,
        x_cols,
        pair_site=pair_site,
        pair_cost=pair_cost,
        budget=budget,
        yearly_budgets=yearly_budgets,
        carry_over=carry_over,
    )
    final = x_cols[-1]
    _tier_limit_rows(
        b, problem, final=final, pair_site=pair_site, pair_tier=pair_tier, pair_cost=pair_cost
    )
    needs_y = (
        kind == "coverage" or equity_group is not None or any(t.min_group_coverage for t in tiers)
    )
    equity_terms: list[tuple[IntArray, IntArray, BoolArray, float]] = []
    aux: list[_Cover | _Levels | _Bound] = []
    for tier in tiers:
        provides = np.array(
            [tier.name == t.name or tier.name in t.serves for t in tiers], dtype=np.bool_
        )[pair_tier]
        sites_to_pairs = sp.csr_array(
            (np.ones(int(provides.sum())), (pair_site[provides], np.flatnonzero(provides))),
            shape=(problem.base.n_site, n_pairs),
        )
        if needs_y:
            for y in range(n_years):
                terms, reach = _coverage_block(
                    b,
                    problem,
                    tier,
                    sites_to_pairs=sites_to_pairs,
                    x=x_cols[y],
                    in_objective=kind == "coverage",
                    all_rows=all_rows,
                )
                aux.append(_Cover(y, terms[0], reach, terms[1], terms[2]))
                if y == n_years - 1:
                    _group_coverage_rows(b, problem, tier, terms)
                    equity_terms.append((*terms, tier.weight))
        if kind in ("median", "minmax"):
            for y in range(n_years):
                aux.extend(
                    _level_block(
                        b,
                        problem,
                        tier,
                        sites_to_pairs=sites_to_pairs,
                        x=x_cols[y],
                        year=y,
                        kind=kind,
                        unreachable=unreachable,
                    )
                )
    s_cols: list[int] = []
    if equity_group is not None:
        for tier, terms_t in zip(tiers, equity_terms, strict=True):
            s_col = b.add_vars(1, lo=0.0, hi=1.0)
            s_rows = _equity_rows(b, problem, equity_group, tier, s_col=s_col, terms=terms_t)
            aux.append(_Bound(-1, int(s_col[0]), s_rows, maximise=True))
            s_cols.append(int(s_col[0]))
    milp = b.build()
    equity_costs = []
    for col in s_cols:
        cost = np.zeros(milp.n_col)
        cost[col] = -1.0
        equity_costs.append(cost)
    spend_cost = np.zeros(milp.n_col)
    spend_cost[final] = pair_cost
    return Built(
        milp=milp,
        kind=kind,
        n_years=n_years,
        unreachable=unreachable,
        equity_costs=tuple(equity_costs),
        spend_cost=spend_cost,
        pair_site=pair_site,
        pair_tier=pair_tier,
        pair_cost=pair_cost,
        x_cols=x_cols,
        problem=problem,
        aux=tuple(aux),
    )


def _site_and_time_rows(
    b: MilpBuilder,
    x_cols: IntArray,
    *,
    pair_site: IntArray,
    pair_cost: FloatArray,
    budget: float | None,
    yearly_budgets: Sequence[float] | None,
    carry_over: bool,
) -> None:
    n_years, n_pairs = x_cols.shape
    # One upgrade per site per year (only sites with several candidate tiers need a row).
    _, inverse, counts = np.unique(pair_site, return_inverse=True, return_counts=True)
    multi = counts[inverse] > 1
    if multi.any():
        _, row_of = np.unique(inverse[multi], return_inverse=True)
        n_rows = int(row_of.max()) + 1
        for y in range(n_years):
            b.add_rows(n_rows, row_of, x_cols[y][multi], 1.0, hi=1.0)
    # An upgrade stays: x[y] - x[y-1] >= 0.
    for y in range(1, n_years):
        rows = np.concatenate([np.arange(n_pairs), np.arange(n_pairs)])
        cols = np.concatenate([x_cols[y], x_cols[y - 1]])
        vals = np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)])
        b.add_rows(n_pairs, rows, cols, vals, lo=0.0)
    zeros = np.zeros(n_pairs, dtype=np.intp)
    if yearly_budgets is not None:
        cumulative = np.cumsum(yearly_budgets)
        for y in range(n_years):
            if carry_over:
                b.add_rows(1, zeros, x_cols[y], pair_cost, hi=float(cumulative[y]))
            elif y == 0:
                b.add_rows(1, zeros, x_cols[0], pair_cost, hi=float(yearly_budgets[0]))
            else:
                rows = np.zeros(2 * n_pairs, dtype=np.intp)
                cols = np.concatenate([x_cols[y], x_cols[y - 1]])
                vals = np.concatenate([pair_cost, -pair_cost])
                b.add_rows(1, rows, cols, vals, hi=float(yearly_budgets[y]))
    if budget is not None:
        b.add_rows(1, zeros, x_cols[-1], pair_cost, hi=float(budget))


def _tier_limit_rows(
    b: MilpBuilder,
    problem: UpgradeProblem,
    *,
    final: IntArray,
    pair_site: IntArray,
    pair_tier: IntArray,
    pair_cost: FloatArray,
) -> None:
    for ti, tier in enumerate(problem.tiers):
        mine = pair_tier == ti
        cols = final[mine]
        zeros = np.zeros(cols.size, dtype=np.intp)
        if tier.budget is not None:
            b.add_rows(1, zeros, cols, pair_cost[mine], hi=float(tier.budget))
        if tier.min_upgrades > 0 or tier.max_upgrades is not None:
            hi = np.inf if tier.max_upgrades is None else float(tier.max_upgrades)
            b.add_rows(1, zeros, cols, 1.0, lo=float(tier.min_upgrades), hi=hi)
        for grouping in sorted({*tier.min_upgrades_per_group, *tier.max_upgrades_per_group}):
            labels = _labels(problem, grouping)
            site_label = np.searchsorted(labels, problem.site_groups[grouping].astype(str))
            lo = float(tier.min_upgrades_per_group.get(grouping, 0))
            hi_value = tier.max_upgrades_per_group.get(grouping)
            hi = np.inf if hi_value is None else float(hi_value)
            b.add_rows(labels.size, site_label[pair_site[mine]], cols, 1.0, lo=lo, hi=hi)
        for grouping, needed in sorted(tier.min_providers_per_group.items()):
            labels = _labels(problem, grouping)
            site_label = np.searchsorted(labels, problem.site_groups[grouping].astype(str))
            existing = np.bincount(
                site_label[np.asarray(tier.existing, dtype=np.bool_)], minlength=labels.size
            )
            # An existing provider upgraded to a tier that serves this one stays one provider.
            provides = (
                np.array([tier.name == t.name or tier.name in t.serves for t in problem.tiers])[
                    pair_tier
                ]
                & ~np.asarray(tier.existing, dtype=np.bool_)[pair_site]
            )
            short = np.maximum(needed - existing, 0).astype(np.float64)
            b.add_rows(labels.size, site_label[pair_site[provides]], final[provides], 1.0, lo=short)


def _labels(problem: UpgradeProblem, grouping: str) -> NDArray[Any]:
    both = np.concatenate([problem.demand_groups[grouping], problem.site_groups[grouping]]).astype(
        str
    )
    return np.unique(both)


def _coverage_block(
    b: MilpBuilder,
    problem: UpgradeProblem,
    tier: UpgradeTier,
    *,
    sites_to_pairs: sp.csr_array,
    x: IntArray,
    in_objective: bool,
    all_rows: bool = False,
) -> tuple[tuple[IntArray, IntArray, BoolArray], sp.csr_array]:
    """Add the ``y`` variables and rows for one tier and year.

    Returns (y cols, their rows' demand, base) and the pairs within reach of each y row.
    """
    costs = problem.base.costs
    ok = entry_mask(problem, tier) & (costs.data <= tier.standard_minutes)
    cover = sp.csr_array((ok.astype(np.float64), costs.indices, costs.indptr), shape=costs.shape)
    existing = np.asarray(tier.existing, dtype=np.float64)
    base = np.asarray(cover @ existing, dtype=np.float64) > 0
    weight = np.asarray(tier.demand_weight, dtype=np.float64)
    reach = sp.csr_array(cover @ sites_to_pairs)
    reach.eliminate_zeros()
    open_rows = np.flatnonzero(~base & (np.diff(reach.indptr) > 0) & ((weight > 0) | all_rows))
    block = sp.csr_array(reach[open_rows])
    objective = -tier.weight * weight[open_rows] if in_objective else np.zeros(open_rows.size)
    y = b.add_vars(open_rows.size, cost=objective, lo=0.0, hi=1.0)
    if in_objective:
        b.offset -= tier.weight * float(weight[base].sum())
    n = open_rows.size
    row_of = np.repeat(np.arange(n), np.diff(block.indptr))
    rows = np.concatenate([np.arange(n), row_of])
    cols = np.concatenate([y, x[block.indices]])
    vals = np.concatenate([np.ones(n), -np.ones(block.indices.size)])
    b.add_rows(n, rows, cols, vals, hi=0.0)
    return (y, open_rows, base), block


def _group_coverage_rows(
    b: MilpBuilder,
    problem: UpgradeProblem,
    tier: UpgradeTier,
    terms: tuple[IntArray, IntArray, BoolArray],
) -> None:
    y, open_rows, base = terms
    weight = np.asarray(tier.demand_weight, dtype=np.float64)
    for grouping, share in sorted(tier.min_group_coverage.items()):
        labels = _labels(problem, grouping)
        demand_label = np.searchsorted(labels, problem.demand_groups[grouping].astype(str))
        total = np.bincount(demand_label, weights=weight, minlength=labels.size)
        covered = np.bincount(demand_label[base], weights=weight[base], minlength=labels.size)
        need = share * total - covered
        rows_needed = need > 1e-9
        row_id = np.cumsum(rows_needed) - 1
        label_of_y = demand_label[open_rows]
        take = rows_needed[label_of_y]
        b.add_rows(
            int(rows_needed.sum()),
            row_id[label_of_y[take]],
            y[take],
            weight[open_rows][take],
            lo=need[rows_needed],
        )


def _equity_rows(
    b: MilpBuilder,
    problem: UpgradeProblem,
    grouping: str,
    tier: UpgradeTier,
    *,
    s_col: IntArray,
    terms: tuple[IntArray, IntArray, BoolArray, float],
) -> IntArray:
    """Rows ``s_t <= share of tier t in group g`` for every group with demand of the tier.

    ``s_t`` is then the lowest covered share of any group at tier ``t``: equity per tier,
    never a mix of tiers (tier weights play no part here).
    """
    y, open_rows, base, _ = terms
    labels = _labels(problem, grouping)
    demand_label = np.searchsorted(labels, problem.demand_groups[grouping].astype(str))
    weight = np.asarray(tier.demand_weight, dtype=np.float64)
    total = np.bincount(demand_label, weights=weight, minlength=labels.size)
    base_total = np.bincount(demand_label[base], weights=weight[base], minlength=labels.size)
    active = total > 0
    row_id = np.cumsum(active) - 1
    n_active = int(active.sum())
    mine = demand_label[open_rows]
    keep = active[mine]
    # Rows are divided by the group's total so every coefficient is a share (well scaled).
    return b.add_rows(
        n_active,
        np.concatenate([row_id[active], row_id[mine[keep]]]),
        np.concatenate([np.full(n_active, s_col[0]), y[keep]]),
        np.concatenate([np.ones(n_active), -weight[open_rows][keep] / total[mine[keep]]]),
        hi=base_total[active] / total[active],
    )


def _level_block(
    b: MilpBuilder,
    problem: UpgradeProblem,
    tier: UpgradeTier,
    *,
    sites_to_pairs: sp.csr_array,
    x: IntArray,
    year: int,
    kind: str,
    unreachable: float,
) -> list[_Levels | _Bound]:
    """Add radius (level) variables for the median/minmax objectives, chained form.

    Returns how to compute them from the upgrades (`Built.encode`).
    """
    costs = problem.base.costs
    weight = np.asarray(tier.demand_weight, dtype=np.float64)
    ok = entry_mask(problem, tier)
    existing = np.asarray(tier.existing, dtype=np.bool_)
    row_of = np.repeat(np.arange(costs.shape[0]), np.diff(costs.indptr))
    near = np.full(costs.shape[0], unreachable)
    at_existing = ok & existing[costs.indices]
    np.minimum.at(near, row_of[at_existing], costs.data[at_existing])
    # Candidate entries strictly nearer than the nearest existing provider.
    cand = ok & (costs.data < near[row_of]) & (weight[row_of] > 0)
    shifted = sp.csr_array(
        (np.where(cand, costs.data + 1.0, 0.0), costs.indices, costs.indptr), shape=costs.shape
    )
    pair_times = sp.coo_array(shifted @ sites_to_pairs)
    keep = pair_times.data > 0
    i = np.asarray(pair_times.row[keep], dtype=np.intp)
    k = np.asarray(pair_times.col[keep], dtype=np.intp)
    t = np.asarray(pair_times.data[keep], dtype=np.float64) - 1.0
    levels, level_of = np.unique(np.stack([i.astype(np.float64), t]), axis=1, return_inverse=True)
    level_row = levels[0].astype(np.intp)
    level_time = levels[1]
    n_levels = level_row.size
    first = np.ones(n_levels, dtype=np.bool_)
    first[1:] = level_row[1:] != level_row[:-1]
    last = np.ones(n_levels, dtype=np.bool_)
    last[:-1] = first[1:]
    next_time = np.where(last, near[level_row], np.roll(level_time, -1))
    delta = next_time - level_time
    w = tier.weight * weight[level_row]
    z = b.add_vars(n_levels, cost=w * delta if kind == "median" else 0.0, lo=0.0, hi=np.inf)
    chain = np.flatnonzero(~first)
    b.add_rows(
        n_levels,
        np.concatenate([np.arange(n_levels), chain, level_of.ravel()]),
        np.concatenate([z, z[chain - 1], x[k]]),
        np.concatenate([np.ones(n_levels), -np.ones(chain.size), np.ones(k.size)]),
        lo=first.astype(np.float64),
    )
    hits = sp.csr_array(
        (np.ones(k.size), (level_of.ravel(), k)), shape=(n_levels, sites_to_pairs.shape[1])
    )
    blocks: list[_Levels | _Bound] = [_Levels(year, z, hits, first)]
    has_levels = np.zeros(costs.shape[0], dtype=np.bool_)
    has_levels[level_row] = True
    start_time = np.where(has_levels, np.inf, near)
    np.minimum.at(start_time, level_row[first], level_time[first])
    live = weight > 0
    if kind == "median":
        b.offset += float((tier.weight * weight * start_time).sum())
        return blocks
    # minmax: W >= start + sum(delta z) for every demand with weight.
    fixed_worst = float(start_time[live & ~has_levels].max(initial=0.0))
    w_col = b.add_vars(1, cost=tier.weight, lo=fixed_worst, hi=np.inf)
    rows_with = np.flatnonzero(live & has_levels)
    row_index = np.full(costs.shape[0], -1, dtype=np.intp)
    row_index[rows_with] = np.arange(rows_with.size)
    lv = row_index[level_row] >= 0
    w_rows = b.add_rows(
        rows_with.size,
        np.concatenate([np.arange(rows_with.size), row_index[level_row[lv]]]),
        np.concatenate([np.full(rows_with.size, w_col[0]), z[lv]]),
        np.concatenate([np.ones(rows_with.size), -delta[lv]]),
        lo=start_time[rows_with],
    )
    return [*blocks, _Bound(year, int(w_col[0]), w_rows, maximise=False)]
