"""The planning layer: what a province's rules mean as optimisation problems.

Between the world (`geodata`) and the decisions (`optimizer`) on one side and the planner's
application (`scenarios`: scenario files, runs, maps, briefings, the CLI) on the other. It
depends only on `geodata` and `optimizer`:

`planning.upgrades`
    Upgrade planning: `PlanningRules` (tiers, standards, costs, county medical community,
    balance rules), `build_problem` (world + travel times -> `optimizer.upgrade` problem),
    `plan_upgrades` and its `PlanResult` (plan, metrics before and after, tables).
`planning.defaults`
    The default rule of each planned tier (standard, cost, candidates) with its source.
`planning.networks`
    Designated networks: the five time-critical centres (with a two-stage chain), public
    health laboratories, regional specialty centres and the 3223 key clinical specialties.
`planning.errors`
    `PlanningError`, the base of this layer's user errors.
"""

from __future__ import annotations

__all__: list[str] = []
