"""A scenario's inputs, loaded and checked: what every command starts from.

`prepare` loads a scenario file (or preset), its dataset and facility table, checks them
against each other, and builds the road graph and the travel times (cached); `run_inputs`
lists the files a command reads (a result folder may never hold one of them);
`context_summary` is the part of ``summary.json`` that says what a result was made from.
`scenarios.runner`, `scenarios.sweep` and the designation runs all start here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geodata
from scenarios import __version__
from scenarios.rundir import jsonable
from scenarios.scenario import (
    PRESETS_DIR,
    ResolvedScenario,
    ScenarioError,
    check_against_world,
    load_scenario,
    speeds_kph,
    to_planning_rules,
)

if TYPE_CHECKING:
    import networkx as nx

    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes
    from planning.networks.existing import ExistingCentres
    from planning.upgrades import PlanningRules

__all__ = [
    "Prepared",
    "Progress",
    "check_tiers",
    "context_summary",
    "cross_border_ids",
    "cross_border_summary",
    "key_file",
    "prepare",
    "quiet",
    "run_inputs",
]

#: Called with a short line before each step (the CLI prints it on stderr).
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Prepared:
    """A validated scenario with its world and travel times, ready to solve."""

    resolved: ResolvedScenario
    world: Dataset
    graph: nx.MultiDiGraph[Any]
    times: TravelTimes
    seconds: dict[str, float] = field(default_factory=dict)
    #: The planning rules of an upgrade scenario, converted once (None for other kinds).
    rules: PlanningRules | None = None
    #: The checked table of existing centres of a centres scenario (``centres.existing``).
    existing_centres: ExistingCentres | None = None


def quiet(_: str) -> None:
    """Say nothing: the `Progress` of a quiet run."""
    return


def prepare(scenario: str | Path | ResolvedScenario, *, progress: Progress = quiet) -> Prepared:
    """Load and check a scenario, its dataset, road graph and travel times (cached).

    Raises
    ------
    ScenarioError, geodata.errors.HealthplanDataError
        One-line messages naming the file, the key and the fix.
    """
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    resolved = scenario if isinstance(scenario, ResolvedScenario) else load_scenario(scenario)
    s = resolved.scenario
    progress(f"loading dataset {s.dataset}")
    world = geodata.load_dataset(s.dataset, facilities=s.facilities)
    if s.cross_border:
        world = world.with_cross_border()
    check_against_world(resolved, world)
    rules = to_planning_rules(s) if s.kind == "upgrade" else None
    if rules is not None:
        check_tiers(resolved, world, rules)
    existing = None
    if s.kind == "centres" and s.centres.existing is not None:
        from planning.networks.existing import read_existing_centres

        existing = read_existing_centres(s.centres.existing, world)
    seconds["load_s"] = time.perf_counter() - start
    start = time.perf_counter()
    progress("building the road graph and travel times")
    graph = world.graph(speeds_kph=speeds_kph(s) if s.travel.speed_factor else None)
    times = world.travel_times(graph=graph, cutoff_minutes=s.travel.cutoff_minutes)
    seconds["travel_s"] = time.perf_counter() - start
    return Prepared(
        resolved=resolved,
        world=world,
        graph=graph,
        times=times,
        seconds=seconds,
        rules=rules,
        existing_centres=existing,
    )


def run_inputs(prepared: Prepared) -> tuple[Path, ...]:
    """Return the files a run reads (a result folder may never hold one of them).

    They are the scenario and the files it extends, the facility table, the table of
    existing centres and a dataset GeoPackage.
    """
    s = prepared.resolved.scenario
    paths = list(prepared.resolved.chain)
    if s.facilities:
        paths.append(Path(s.facilities))
    if prepared.existing_centres is not None:
        paths.append(prepared.existing_centres.path)
    if s.dataset.lower().endswith(".gpkg"):
        paths.append(Path(s.dataset))
    return tuple(paths)


def check_tiers(resolved: ResolvedScenario, world: Dataset, rules: PlanningRules) -> None:
    """Check that every planned tier has candidates in the facility table.

    Parameters
    ----------
    resolved
        The scenario (for the file to name).
    world
        Its dataset.
    rules
        Its planning rules (`scenarios.scenario.to_planning_rules`).
    """
    tiers = set(world.facilities["tier"].astype(str))
    for name in rules.tier_names:
        if not tiers & set(rules.rule(name).candidates):
            wanted = ", ".join(rules.rule(name).candidates)
            raise ScenarioError(
                key_file(resolved, "tiers"),
                "tiers",
                f"tier {name!r} has no candidate facilities ({wanted}) in the facility table",
                f"remove {name!r} from tiers or add {wanted} facilities to the data",
            )


def key_file(resolved: ResolvedScenario, key: str) -> Path:
    """Return the file to name for `key` in a message: the one where the fix goes.

    That is the file of the extends chain that sets `key`, unless it is a shipped preset the
    user extends (then the user's own file).
    """
    file = resolved.file_of(key)
    if file.parent == PRESETS_DIR and resolved.source_path.parent != PRESETS_DIR:
        return resolved.source_path
    return file


def cross_border_ids(world: Dataset) -> set[str]:
    """Return the facility ids of the cross-border providers of `world` (none when off)."""
    if not world.cross_border_on or world.cross_border is None:
        return set()
    return set(world.cross_border["facility_id"].astype(str))


def cross_border_summary(world: Dataset) -> dict[str, Any]:
    """Say that the cross-border providers are on, and which they are (``summary.json``)."""
    rows = world.facilities[
        world.facilities["facility_id"].astype(str).isin(cross_border_ids(world))
    ]
    return {
        "on": True,
        "providers": [
            {
                "facility_id": str(r["facility_id"]),
                "name_zh": str(r["name_zh"]),
                "province": str(r.get("province", "")),
                "city_name_zh": str(r.get("city_name_zh", "")),
                "hospital_type": str(r.get("hospital_type", "")),
                "general_care": str(r.get("general_care", "")).lower() in ("true", "1"),
            }
            for _, r in rows.sort_values("facility_id").iterrows()
        ],
    }


def context_summary(prepared: Prepared) -> dict[str, Any]:
    """Summarise what a run was made from.

    Keys: ``healthplan`` (version), ``scenario`` (name, description, file, extends chain,
    sha256, resolved settings), ``data`` (dataset summary, source and file hashes, facility
    file, the table of existing centres: name, SHA-256, rows per type; the cross-border
    providers when on) and ``travel`` (graph source, speeds, cutoff, graph size).
    """
    resolved, world = prepared.resolved, prepared.world
    s = resolved.scenario
    data: dict[str, Any] = {
        "dataset": world.name,
        "summary": world.summary(),
        "source_sha256": world.manifest.get("inputs", {}),
        "files_sha256": world.manifest.get("files", {}),
    }
    if s.facilities:
        data["facilities_file"] = Path(s.facilities).name
    if prepared.existing_centres is not None:
        data["existing_centres"] = prepared.existing_centres.summary()
    if world.cross_border_on:
        data["cross_border"] = cross_border_summary(world)
    graph = prepared.graph
    travel = {
        "graph": "approximated roads (geodata.approx_roads)",
        "speeds_kph": speeds_kph(s),
        "speed_factor": {str(k): v for k, v in s.travel.speed_factor.items()},
        "cutoff_minutes": s.travel.cutoff_minutes,
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
    }
    summary: dict[str, Any] = jsonable(
        {
            "healthplan": __version__,
            "scenario": {
                "name": s.name,
                "description": s.description,
                "file": resolved.source_path.name,
                "extends": [p.name for p in resolved.chain[1:]],
                "sha256": resolved.sha256,
                "settings": s.model_dump(mode="json"),
            },
            "data": data,
            "travel": travel,
        }
    )
    return summary
