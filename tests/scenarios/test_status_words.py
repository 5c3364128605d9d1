"""A plan's status in words: "optimal" only when proven within the default tolerance.

Before issue 11 a plan solved to a looser ``mip_gap`` (the phased preset's 1 %) or stopped by
a time limit read "optimal" or "feasible (not proven optimal)" with a time-limit caveat; now
every output says "within 0.34 % of the best possible" and why.
"""

from __future__ import annotations

from typing import Any

import pytest

from optimizer.result import status_text
from scenarios.briefing._figures import caveats, overall_rows
from scenarios.briefing._model import plan_status_text


def summary(status: str, gap: float, message: str = "", mip_gap: float | None = None) -> Any:
    return {
        "plan": {"status": status, "gap": gap, "message": message, "tiers": {}, "upgrades": {}},
        "scenario": {"settings": {"solver": {"mip_gap": mip_gap}}},
        "data": {"summary": {}},
    }


@pytest.mark.parametrize(
    ("status", "gap", "message", "en", "zh"),
    [
        ("optimal", 0.0, "", "optimal", "最优解"),
        (
            "feasible",
            0.0034,
            "objective: proven within 0.34 % of the best possible (a looser mip_gap)",
            "within 0.34% of the best possible",
            "与最优方案相差不超过 0.34%",
        ),
        (
            "feasible",
            0.05,
            "HiGHS: time limit reached",
            "time limit: within 5.00% of the best possible",
            "达到时限，与最优方案相差不超过 5.00%",
        ),
        ("infeasible", float("nan"), "", "infeasible", "无可行方案"),
    ],
)
def test_briefing_status_words(status: str, gap: float, message: str, en: str, zh: str) -> None:
    plan = summary(status, gap, message)["plan"]
    assert plan_status_text(plan, "en") == en
    assert plan_status_text(plan, "zh") == zh


def test_a_looser_gap_is_named_as_asked_not_as_a_time_limit() -> None:
    words = caveats(summary("feasible", 0.0034, "proven within 0.34 %", mip_gap=0.01), "en")
    assert words[0] == (
        "Solved to the requested tolerance (mip_gap = 0.01): the plan's objective is within "
        "0.34% of the best possible."
    )
    limited = caveats(summary("feasible", 0.05, "time limit reached", mip_gap=0.01), "en")
    assert limited[0].startswith("The solver stopped before proving this plan best (time limit")
    assert all("optimal" not in line.lower() for line in words)
    assert caveats(summary("optimal", 0.0), "en")[:1] != words[:1]


def test_the_solver_row_never_says_optimal_for_a_gap() -> None:
    rows = overall_rows(summary("feasible", 0.0034, "", mip_gap=0.01), "en")
    solver = " ".join(str(r.get("value")) for r in rows)
    assert "within 0.34% of the best possible" in solver.lower()


@pytest.mark.parametrize(
    ("status", "gap", "time_limit", "words"),
    [
        ("optimal", 0.0, False, "optimal"),
        ("optimal", 1e-7, False, "optimal"),
        ("optimal", 0.01, False, "within 1.00 % of the best possible"),
        ("feasible", 0.0034, False, "within 0.34 % of the best possible"),
        ("feasible", 0.2, True, "time limit: within 20.00 % of the best possible"),
    ],
)
def test_optimizer_status_text(status: str, gap: float, time_limit: bool, words: str) -> None:
    assert status_text(status, gap, time_limit=time_limit) == words
