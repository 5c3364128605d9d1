"""p-median speed: `optimizer.solve` (HiGHS, Benders on the radius formulation) against
PySAL spopt's `PMedian` solved by CBC, on OR-Library-like instances.

Instances follow Beasley's OR-Library ``pmed`` recipe (J. E. Beasley 1990): a random connected
undirected graph on ``n`` nodes with ``n²/50`` edges (a random spanning tree, then uniformly
random extra edges), integer edge costs uniform in 1…100, all-pairs shortest paths
(``scipy.sparse.csgraph``) as the cost matrix, every node a demand point (weight 1) and a
candidate site. Each instance is seeded by its (n, p).

Timing is wall-clock from the cost matrix to the solved plan, model building included, for
both sides; medians of ``runs`` runs. spopt+CBC gets a CBC time limit of ``cap_s`` seconds
(default 120); a run stopped by it is shown as ``> cap`` and not repeated, and its elapsed time
up to the stop (model building included, so at least the cap) is a lower bound of its time, so
its ratio is a lower bound too. CBC checks its limit only between phases: on n = 900, p = 5 it
stayed in its root LP for 832 s (stopped by hand), so the full run can take well over an hour.
Run ``python -m benchmarks.bench_pmedian`` (``--quick`` for the small instances used by the
tests, ``--case n:p`` for chosen instances).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from benchmarks import machine_line
from optimizer import Problem, solve

__all__ = ["FULL", "QUICK", "instance", "main"]

# (n, p) pairs in the OR-Library pmed ranges: n = 100…900, p = 5…n/3.
FULL: tuple[tuple[int, int], ...] = (
    (100, 5),
    (100, 33),
    (200, 10),
    (200, 67),
    (300, 5),
    (300, 100),
    (400, 5),
    (400, 40),
    (500, 10),
    (500, 167),
    (600, 60),
    (700, 7),
    (800, 80),
    (900, 90),
    (900, 5),
)
QUICK: tuple[tuple[int, int], ...] = ((60, 5), (80, 10))


def instance(n: int, p: int, seed: int = 0) -> np.ndarray:
    """All-pairs shortest-path costs of the seeded OR-Library-like graph for (n, p).

    ``seed`` picks another graph of the same recipe (0 is the benchmark's).
    """
    rng = np.random.default_rng(1000 * n + p + 1_000_000 * seed)
    order = rng.permutation(n)
    parents = order[(rng.random(n - 1) * np.arange(1, n)).astype(np.intp)]
    edges = {(min(a, b), max(a, b)) for a, b in zip(order[1:], parents, strict=True)}
    target = max(n * n // 50, n - 1)
    while len(edges) < target:
        a, b = rng.integers(0, n, size=2)
        if a != b:
            edges.add((int(min(a, b)), int(max(a, b))))
    pairs = np.array(sorted(edges), dtype=np.intp)
    cost = rng.integers(1, 101, size=len(pairs)).astype(np.float64)
    graph = sp.csr_array((cost, (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return np.asarray(shortest_path(graph, directed=False), dtype=np.float64)


def _ours(costs: np.ndarray, p: int) -> tuple[float, float, str]:
    start = time.perf_counter()
    plan = solve(Problem.from_matrix(costs), "median", p=p)
    return time.perf_counter() - start, plan.objective, str(plan.status)


def _spopt(costs: np.ndarray, p: int, cap_s: float) -> tuple[float, float, bool]:
    import pulp
    from pulp.apis.coin_api import pulp_cbc_path
    from spopt.locate import PMedian

    start = time.perf_counter()
    with warnings.catch_warnings():
        # spopt builds its model with PuLP 3 calls that PuLP announces as removed in 4.0.
        warnings.simplefilter("ignore", DeprecationWarning)
        model = PMedian.from_cost_matrix(costs, np.ones(costs.shape[0]), p_facilities=p)
        cbc = pulp.COIN_CMD(path=pulp_cbc_path, msg=False, timeLimit=cap_s, threads=1)
        try:
            model.solve(cbc, results=False)
        except (RuntimeError, pulp.PulpSolverError):
            # spopt raises when CBC stops without any solution; PuLP when CBC was killed
            # (CBC checks its time limit only between phases and can overrun it).
            return time.perf_counter() - start, math.nan, True
    elapsed = time.perf_counter() - start
    capped = model.problem.sol_status != pulp.LpSolutionOptimal
    return elapsed, float(pulp.value(model.problem.objective)), capped


def main(
    *,
    quick: bool = False,
    runs: int = 3,
    cap_s: float = 300.0,
    cases: Sequence[tuple[int, int]] | None = None,
    seed: int = 0,
) -> str:
    """Run the comparison; return (and print) a markdown section with the table."""
    chosen = tuple(cases) if cases is not None else (QUICK if quick else FULL)
    rows: list[str] = []
    ratios: list[float] = []
    slowest = 0.0
    for n, p in chosen:
        costs = instance(n, p, seed)
        ours = [_ours(costs, p) for _ in range(runs)]
        our_time = statistics.median(t for t, _, _ in ours)
        slowest = max(slowest, *(t for t, _, _ in ours))
        statuses = {s for _, _, s in ours}
        theirs: list[tuple[float, float, bool]] = []
        for _ in range(runs):
            theirs.append(_spopt(costs, p, cap_s))
            if theirs[-1][2]:
                break
        capped = any(c for _, _, c in theirs)
        their_time = (
            max(cap_s, theirs[-1][0]) if capped else statistics.median(t for t, _, _ in theirs)
        )
        agree = "yes" if not capped and math.isclose(theirs[-1][1], ours[0][1]) else "—"
        ratio = their_time / our_time
        ratios.append(ratio)
        shown = f"> {cap_s:.0f}" if capped else f"{their_time:.2f}"
        status = "/".join(sorted(statuses))
        bound = "≥ " if capped else ""
        name = f"pmed-like n={n} p={p}" + (f" seed={seed}" if seed else "")
        rows.append(
            f"| {name} | {n} | {p} | {ours[0][1]:.0f} | {status} "
            f"| {our_time:.2f} | {shown} | {bound}{ratio:.1f} | {agree} |"
        )
        print(rows[-1], flush=True)
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    machine = machine_line()
    any_capped = any("> " in r for r in rows)
    text = "\n".join(
        [
            "## pmedian - p-median: optimizer (HiGHS) vs PySAL spopt PMedian + CBC",
            "",
            (
                f"OR-Library-like instances (see `benchmarks/bench_pmedian.py`); {runs} runs "
                f"each, medians; spopt+CBC capped at {cap_s:.0f} s (a capped run is not "
                f"repeated; its ratio is a lower bound, marked ≥). Machine: {machine}."
            ),
            "",
            (
                "| instance | n | p | objective | our status | ours (s) | spopt+CBC (s) "
                "| ratio | same objective |"
            ),
            "|---|---:|---:|---:|---|---:|---:|---:|---|",
            *rows,
            "",
            (
                f"Geometric-mean speed-up: {'≥ ' if any_capped else ''}{geo:.1f}x (target ≥ 10x)."
                f" Slowest run of ours: {slowest:.1f} s (target ≤ 60 s)."
            ),
        ]
    )
    print(text)
    return text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small instances only")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cap", type=float, default=120.0, help="spopt+CBC time limit (s)")
    parser.add_argument("--case", action="append", default=None, help="n:p (repeatable)")
    parser.add_argument("--seed", type=int, default=0, help="other graphs of the same recipe")
    args = parser.parse_args()
    picked = [tuple(int(v) for v in c.split(":")) for c in args.case] if args.case else None
    main(quick=args.quick, runs=args.runs, cap_s=args.cap, cases=picked, seed=args.seed)  # type: ignore[arg-type]
