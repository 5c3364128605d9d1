"""Worked example (README): a 1.5 bn CNY two-tier upgrade plan for Liaoning.

Run: .venv/bin/python examples/liaoning_upgrade_plan.py
"""

from __future__ import annotations

import geodata
from planning.upgrades import PlanningRules, plan_upgrades

world = geodata.load_dataset("liaoning")
result = plan_upgrades(world, PlanningRules(), objective="coverage", budget_cny=1.5e9)
plan = result.plan
print(f"status {plan.status}, gap {plan.gap:.1e}, solved in {plan.runtime_s:.2f} s ({plan.solver})")
print(
    f"cost {plan.cost / 1e9:.2f} bn CNY: "
    + ", ".join(f"{k} {len(v)}" for k, v in plan.upgrades.items())
)
for name in plan.upgrades:
    b, a = result.before[name], result.after[name]
    print(
        f"{name:17s} covered {b.covered_share:6.1%} -> {a.covered_share:6.1%} "
        f"(+{a.covered_population - b.covered_population:,.0f} people), "
        f"mean {b.mean_minutes:.1f} -> {a.mean_minutes:.1f} min, "
        f"worst county {a.worst_group} {a.worst_group_share:.0%}, "
        f"spread {b.spread:.2f} -> {a.spread:.2f}, Gini {b.gini:.3f} -> {a.gini:.3f}"
    )
table = result.upgrades_table()
print(
    table[["facility_id", "name_zh", "to_tier", "newly_covered", "cost_per_person_cny"]]
    .head(5)
    .to_string(index=False)
)
