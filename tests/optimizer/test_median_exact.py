"""The exact p-median path (Benders + reduction + branch-and-cut) and its swap heuristic.

Instances are large enough for the master LP to be fractional (so the tree branches) but small
enough to enumerate every selection with numpy.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import optimizer.classic._benders as benders
import optimizer.classic._branch as branch
from optimizer import Problem, solve
from optimizer.classic._heuristic import interchange, selection_cost


def _all_selections(n: int, k: int, allowed: list[int] | None = None) -> np.ndarray:
    pool = list(range(n)) if allowed is None else allowed
    return np.array(list(itertools.combinations(pool, k)), dtype=np.intp).reshape(-1, k)


def _median_values(
    costs: np.ndarray, weights: np.ndarray, combos: np.ndarray, fixed: list[int]
) -> np.ndarray:
    """Σ w · nearest cost for every row of ``combos`` (plus the always-open ``fixed`` sites)."""
    near = costs[:, combos].min(axis=2) if combos.shape[1] else np.full((costs.shape[0], 1), np.inf)
    if fixed:
        near = np.minimum(near, costs[:, fixed].min(axis=1)[:, None])
    return weights @ near


def _random(seed: int, m: int = 30, n: int = 22) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(1, 101, size=(m, n)).astype(float), rng.integers(1, 10, m).astype(float)


@pytest.fixture
def node_count(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the nodes the branch-and-cut solves."""
    seen = {"nodes": 0}
    solve_node = branch._solve_node

    def counting(tree: branch._Tree) -> branch._NodeResult:
        seen["nodes"] += 1
        return solve_node(tree)

    monkeypatch.setattr(branch, "_solve_node", counting)
    return seen


@pytest.mark.parametrize("seed", range(8))
def test_branch_and_cut_matches_enumeration(seed: int, node_count: dict[str, int]) -> None:
    costs, weights = _random(seed)
    p = 3 + seed % 2
    plan = solve(Problem.from_matrix(costs, weights), "median", p=p)
    values = _median_values(costs, weights, _all_selections(costs.shape[1], p), [])
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(values.min())
    assert len(plan.selected) == p
    if seed == 1:
        assert node_count["nodes"] > 1  # the tree really branches on these instances


@pytest.mark.parametrize("seed", range(4))
def test_fixed_sites_and_exclusions(seed: int) -> None:
    costs, weights = _random(50 + seed, m=26, n=18)
    existing, required, excluded = [0], [1], [2, 3]
    p = 4
    plan = solve(
        Problem.from_matrix(costs, weights, existing=existing),
        "median",
        p=p,
        required=required,
        excluded=excluded,
    )
    free = [j for j in range(18) if j not in existing + required + excluded]
    values = _median_values(costs, weights, _all_selections(18, p - 1, free), [0, 1])
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(values.min())
    assert 1 in plan.selected
    assert not set(plan.selected) & {0, 2, 3}


@pytest.mark.parametrize("seed", range(3))
def test_without_reduction_same_optimum(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rebuilt (reduced) master and the full master give the same optimum."""
    costs, weights = _random(70 + seed)
    reduced = solve(Problem.from_matrix(costs, weights), "median", p=4)
    monkeypatch.setattr(benders, "_REDUCE_SHARE", 2.0)
    full = solve(Problem.from_matrix(costs, weights), "median", p=4)
    assert reduced.status == full.status == "optimal"
    assert reduced.objective == pytest.approx(full.objective)


def test_alternatives_through_branch_and_cut() -> None:
    costs, weights = _random(7, m=24, n=14)
    plan = solve(Problem.from_matrix(costs, weights), "median", p=3, alternatives=3)
    values = np.sort(_median_values(costs, weights, _all_selections(14, 3), []))
    found = [plan.objective] + [alt.objective for alt in plan.alternatives]
    assert [alt.status for alt in plan.alternatives] == ["optimal"] * 3
    assert found == pytest.approx(values[:4])
    assert len({plan.selected} | {alt.selected for alt in plan.alternatives}) == 4


def test_sparse_costs_with_unreachable_pairs() -> None:
    rng = np.random.default_rng(11)
    costs = rng.integers(1, 101, size=(28, 16)).astype(float)
    costs[rng.random(costs.shape) < 0.5] = np.inf
    costs[:, 0] = 100.0  # every demand reaches something
    plan = solve(Problem.from_matrix(costs), "median", p=3)
    values = _median_values(costs, np.ones(28), _all_selections(16, 3), [])
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(values.min())


def test_time_limit_reports_honest_status() -> None:
    from benchmarks.bench_pmedian import instance

    costs = instance(250, 5, seed=2)
    plan = solve(Problem.from_matrix(costs), "median", p=5, time_limit=0.5)
    assert plan.status in ("optimal", "feasible", "no_solution")
    if plan.status != "no_solution":
        assert len(plan.selected) == 5
        nearest = costs[:, list(plan.selected)].min(axis=1).sum()
        assert plan.objective == pytest.approx(nearest)
    if plan.status == "feasible":
        assert plan.gap > 0


# --- the swap heuristic ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_interchange_is_a_swap_local_optimum(seed: int) -> None:
    costs, weights = _random(200 + seed, m=25, n=15)
    rng = np.random.default_rng(seed)
    base = np.where(rng.random(25) < 0.3, 60.0, 1e9)  # some demands have a fixed open site
    k = 3
    start = np.sort(rng.choice(15, size=k, replace=False)).astype(np.intp)
    found = interchange(costs, weights, base, start)
    value = selection_cost(costs, weights, base, found)
    assert found.size == k
    assert np.unique(found).size == k
    assert value <= selection_cost(costs, weights, base, start) + 1e-9
    for out, into in itertools.product(range(k), sorted(set(range(15)) - set(found.tolist()))):
        swapped = found.copy()
        swapped[out] = into
        assert selection_cost(costs, weights, base, swapped) >= value - 1e-9
    optimum = min(
        selection_cost(costs, weights, base, np.array(c, dtype=np.intp))
        for c in itertools.combinations(range(15), k)
    )
    assert value >= optimum - 1e-9


def test_interchange_keeps_trivial_selections() -> None:
    costs, weights = _random(301, m=5, n=4)
    base = np.full(5, 1e9)
    assert interchange(costs, weights, base, np.zeros(0, dtype=np.intp)).size == 0
    assert interchange(costs, weights, base, np.arange(4)).tolist() == [0, 1, 2, 3]
