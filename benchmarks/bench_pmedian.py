"""p-median speed: `optimizer.solve` (HiGHS, Benders on the radius formulation) against
PySAL spopt's `PMedian` solved by CBC, on OR-Library-like instances.

Instances follow Beasley's OR-Library ``pmed`` recipe (J. E. Beasley 1990): a random connected
undirected graph on ``n`` nodes with ``n²/50`` edges (a random spanning tree, then uniformly
random extra edges), integer edge costs uniform in 1…100, all-pairs shortest paths
(``scipy.sparse.csgraph``) as the cost matrix, every node a demand point (weight 1) and a
candidate site. Each instance is seeded by its (n, p) and a draw number ``s`` (rows
``n:p#s``; draw 0 is shown as ``n:p``): random draws of one recipe differ a lot in difficulty,
so the hardest size, n = 900 with p = 5, is run on four draws.

Timing is wall-clock from the cost matrix to the solved plan, model building included, for
both sides; medians of ``runs`` runs. spopt+CBC runs in a child process with a CBC time limit
of ``cap_s`` seconds (default 120). CBC checks that limit only between phases (on n = 900,
p = 5 it once stayed in its root LP for 832 s), so the child is also stopped from outside at
``cap_s`` plus a grace period. A capped run is shown as ``> cap`` and not repeated; its elapsed
time (at least the cap) is a lower bound of its time, so its ratio is a lower bound too.
Run ``python -m benchmarks.bench_pmedian`` (``--quick`` for the small instances used by the
tests, ``--case n:p`` or ``--case n:p#s`` for chosen instances).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import signal
import statistics
import time
import warnings
from collections.abc import Sequence
from multiprocessing.connection import Connection

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from benchmarks import machine_line
from optimizer import Problem, solve

__all__ = ["FULL", "QUICK", "instance", "main", "parse_case"]

Case = tuple[int, int, int]
"""(n, p, draw)."""

# (n, p, draw) in the OR-Library pmed ranges: n = 100…900, p = 5…n/3.
FULL: tuple[Case, ...] = (
    (100, 5, 0),
    (100, 33, 0),
    (200, 10, 0),
    (200, 67, 0),
    (300, 5, 0),
    (300, 100, 0),
    (400, 5, 0),
    (400, 40, 0),
    (500, 10, 0),
    (500, 167, 0),
    (600, 60, 0),
    (700, 7, 0),
    (800, 80, 0),
    (900, 90, 0),
    (900, 5, 0),
    (900, 5, 1),
    (900, 5, 2),
    (900, 5, 3),
)
QUICK: tuple[Case, ...] = ((60, 5, 0), (80, 10, 0))
_GRACE_S = 30.0


def parse_case(text: str, seed: int = 0) -> Case:
    """``"n:p"``, ``"n:p#2"`` or ``"n:p#s2"`` → (n, p, draw); ``seed`` when none is given."""
    head, _, draw = text.partition("#")
    n, p = (int(v) for v in head.split(":"))
    return n, p, int(draw.removeprefix("s")) if draw else seed


def _name(case: Case) -> str:
    n, p, draw = case
    return f"{n}:{p}" + (f"#s{draw}" if draw else "")


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


def _spopt_child(costs: np.ndarray, p: int, cap_s: float, out: Connection) -> None:
    """Child process: build and solve spopt's PMedian with CBC, send (elapsed, objective,
    capped). It leads its own process group so that CBC is stopped with it."""
    os.setpgrp()
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
            # spopt raises when CBC stops without any solution; PuLP when CBC was killed.
            out.send((time.perf_counter() - start, math.nan, True))
            return
    elapsed = time.perf_counter() - start
    capped = model.problem.sol_status != pulp.LpSolutionOptimal
    out.send((elapsed, float(pulp.value(model.problem.objective)), capped))


def _spopt(costs: np.ndarray, p: int, cap_s: float) -> tuple[float, float, bool]:
    """One spopt+CBC run, stopped from outside ``_GRACE_S`` after the cap at the latest."""
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_spopt_child, args=(costs, p, cap_s, send), daemon=True)
    start = time.perf_counter()
    child.start()
    send.close()
    if receive.poll(cap_s + _GRACE_S):
        result: tuple[float, float, bool] = receive.recv()
        child.join()
        return result
    assert child.pid is not None
    os.killpg(child.pid, signal.SIGKILL)
    child.join()
    return time.perf_counter() - start, math.nan, True


def main(
    *,
    quick: bool = False,
    runs: int = 3,
    cap_s: float = 120.0,
    cases: Sequence[Case] | None = None,
) -> str:
    """Run the comparison; return (and print) a markdown section with the table."""
    chosen = tuple(cases) if cases is not None else (QUICK if quick else FULL)
    rows: list[str] = []
    ratios: list[float] = []
    slowest = 0.0
    for case in chosen:
        n, p, draw = case
        costs = instance(n, p, draw)
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
        name = _name(case)
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
    parser.add_argument("--case", action="append", default=None, help="n:p or n:p#sK (repeatable)")
    parser.add_argument("--seed", type=int, default=0, help="draw for --case without #s")
    args = parser.parse_args()
    picked = [parse_case(c, args.seed) for c in args.case] if args.case else None
    main(quick=args.quick, runs=args.runs, cap_s=args.cap, cases=picked)
