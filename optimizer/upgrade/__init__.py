"""Upgrade planning: which facilities of each tier to upgrade, under budgets and phasing.

`solve_upgrades` and `check_upgrades` are the entry points (formulations in
`optimizer.upgrade.api`); `optimizer.upgrade.evaluate` scores any set of upgrades exactly.
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

__all__ = [
    "UPGRADE_OBJECTIVES",
    "UpgradePlan",
    "UpgradeProblem",
    "UpgradeTier",
    "check_upgrades",
    "close_serves",
    "solve_upgrades",
]
