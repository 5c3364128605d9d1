"""Upgrade planning: which facilities of each tier to upgrade, under budgets and phasing.

`solve_upgrades` and `check_upgrades` are the entry points (formulations in
`optimizer.upgrade.api`); `optimizer.upgrade.evaluate` scores any set of upgrades exactly;
`optimizer.upgrade.robust` holds the robust criteria over several demand vectors
(``solve_upgrades(robust=..., demand_scenarios=...)``).
"""

from __future__ import annotations

from optimizer.upgrade.api import (
    UPGRADE_OBJECTIVES,
    UpgradePlan,
    UpgradeProblem,
    UpgradeTier,
    check_upgrades,
    close_serves,
    solve_upgrades,
)
from optimizer.upgrade.robust import ROBUST_CRITERIA

__all__ = [
    "ROBUST_CRITERIA",
    "UPGRADE_OBJECTIVES",
    "UpgradePlan",
    "UpgradeProblem",
    "UpgradeTier",
    "check_upgrades",
    "close_serves",
    "solve_upgrades",
]
