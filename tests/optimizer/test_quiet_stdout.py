"""Solving prints nothing on stdout (HiGHS's banner would corrupt `--json` output)."""

from __future__ import annotations

import subprocess
import sys


def test_solving_in_a_fresh_process_prints_nothing() -> None:
    code = (
        "from optimizer import Problem, solve\n"
        "plan = solve(Problem.from_matrix([[0, 4], [3, 1]]), 'median', p=1)\n"
        "print(plan.status)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout == "optimal\n"
