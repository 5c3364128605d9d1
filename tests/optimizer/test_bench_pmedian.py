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
    assert "| pmed-like n=60 p=5 | 60 | 5 |" in text
    assert "Geometric-mean speed-up" in text
    assert "| yes |" in text
