"""The p-median benchmark runs end to end in quick mode (needs the `bench` extra)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.bench_pmedian import instance, main


def test_instances_are_connected_shortest_paths() -> None:
    costs = instance(50, 5)
    assert costs.shape == (50, 50)
    assert np.isfinite(costs).all()  # connected: every pair has a path
    assert (np.diag(costs) == 0).all()
    assert np.allclose(costs, costs.T)
    assert costs.max() > 100  # shortest paths, not single edges


@pytest.mark.slow
def test_quick_benchmark_table() -> None:
    pytest.importorskip("spopt")
    text = main(quick=True, runs=1, cap_s=60.0)
    assert "| 60:5 | 60 | 5 |" in text
    assert "Geometric-mean speed-up" in text
    assert "| yes |" in text


def test_cases_name_their_draw() -> None:
    from benchmarks.bench_pmedian import FULL, parse_case

    assert parse_case("900:5") == (900, 5, 0)
    assert parse_case("900:5#2") == (900, 5, 2)
    assert parse_case("900:5#s1") == (900, 5, 1)
    assert parse_case("900:5", seed=3) == (900, 5, 3)
    assert sum(1 for n, p, _ in FULL if (n, p) == (900, 5)) >= 4
