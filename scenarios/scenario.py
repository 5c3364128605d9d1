"""Scenario files: TOML settings of one planning run, validated, with `extends` and presets.

>>> from scenarios.scenario import load_scenario, to_planning_rules
>>> resolved = load_scenario("tight_budget")          # a preset name or a path to a .toml
>>> resolved.scenario.budget_cny, [p.name for p in resolved.chain]
(500000000.0, ['tight_budget.toml', 'baseline.toml'])
>>> rules = to_planning_rules(resolved.scenario)

TOML, not YAML: YAML reads ``0701`` as the integer 449 and ``no`` as False, and admin codes
and facility ids must never be mangled. Values are strict: ``true`` is not a number (it would
be a 1 CNY budget), ``"1e9"`` is not a number, ``1`` and ``"yes"`` are not booleans, ``2.0``
is not a count; only an integer counts where a number is expected (``budget_cny =
1500000000``). An unquoted ``exclude = [210224]`` is rejected with a message that says to
quote it. Settings that contradict each other fail at load time: a travel standard above
``travel.cutoff_minutes`` (coverage would be undercounted), a tier or centre type listed
twice, rules that the scenario's kind does not read. `check_against_world` also rejects a
required facility that no planned tier can upgrade.

The argument of `load_scenario` is a preset name when it is a bare name (no folder part, no
``.toml``), else a path. A file may name another one in ``extends`` (a path relative to the
file, or the name of a preset in ``scenarios/presets/``); at most `MAX_EXTENDS` files chain.
Settings merge deeply, the child winning: tables merge, lists and values replace. Paths
(``dataset`` when a ``.gpkg``, ``facilities``, ``centres.existing``) are relative to the file
that sets them and
are made absolute when loaded.

Every user error raises `ScenarioError` with one line ``"<file>: <key>: <problem> - <fix>"``;
``<file>`` is the file of the chain that sets the key (`ResolvedScenario.file_of`). A UTF-8
byte order mark is accepted.
``python -m scenarios.scenario --write-schema`` regenerates ``scenarios/schema.json``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geodata.datasets import available as available_datasets
from geodata.settings import APPROX_SPEEDS_KPH
from planning.defaults import DEFAULT_TIER_RULES
from planning.upgrades import PlanningRules, TierPlan, why_not_candidate
from scenarios._files import (
    MAX_EXTENDS,
    PRESETS_DIR,
    load_layers,
    merge,
    origin,
    scenario_file,
)
from scenarios._messages import translate
from scenarios.errors import ScenarioError

if TYPE_CHECKING:
    from geodata.dataset import Dataset

__all__ = [
    "MAX_EXTENDS",
    "PRESETS_DIR",
    "SCHEMA_PATH",
    "CentresSettings",
    "PopulationSettings",
    "ResolvedScenario",
    "RulesSettings",
    "Scenario",
    "ScenarioError",
    "SolverSettings",
    "SpecialtiesSettings",
    "TierSettings",
    "TravelSettings",
    "check_against_world",
    "load_scenario",
    "scenario_schema",
    "speeds_kph",
    "to_planning_rules",
    "write_schema",
]

#: The generated JSON schema of scenario files (a test fails if it drifts from the model).
SCHEMA_PATH = Path(__file__).parent / "schema.json"

#: Restated from other modules (a test checks they agree): the names must be literal here
#: for the JSON schema.
TierName = Literal["township_central", "county_3a", "community_hospital"]
Objective = Literal["coverage", "median", "minmax", "equity", "lexicographic"]
RoadClass = Literal["expressway", "national", "rural", "ferry"]
CentreName = Literal["chest_pain", "stroke", "maternal", "neonatal_child", "trauma"]
Kind = Literal["upgrade", "centres", "specialties"]
KeyLevelName = Literal["national", "provincial", "municipal", "county"]
CountyType = Literal["district", "county", "county_level_city"]
#: `geodata.projection.YEARS` (checked in `_check_population`: a Literal of integers would
#: take ``2035.0``), ``VARIANTS`` and `optimizer.upgrade.robust.ROBUST_CRITERIA`.
PROJECTION_YEARS = (2020, 2025, 2030, 2035)
ProjectionYear = Annotated[int, Field(strict=True, json_schema_extra={"enum": PROJECTION_YEARS})]
Variant = Literal["low", "central", "high"]
Robust = Literal["worst_case", "min_regret"]
#: Strict types: nothing is coerced (``true`` is not 1, ``"1e9"`` is not a number, ``1`` is
#: not true); an integer counts where a number is expected (``budget_cny = 1500000000``).
Text = Annotated[str, Field(strict=True)]
NonEmptyText = Annotated[str, Field(strict=True, min_length=1)]
#: A facility id or admin code: a string, never a number (``0701`` must not become 449).
Code = Annotated[str, Field(strict=True, min_length=1)]
Flag = Annotated[bool, Field(strict=True)]
NonNegative = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
Share = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True, ge=0)]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class TierSettings(BaseModel):
    """Overrides of one tier's rules (defaults in `planning.defaults.DEFAULT_TIER_RULES`)."""

    model_config = _FROZEN

    standard_minutes: Positive | None = None
    upgrade_cost_cny: NonNegative | None = None
    weight: NonNegative | None = None
    within_county: Flag = False
    every_county: Flag = False
    min_county_coverage: Share | None = None
    min_city_coverage: Share | None = None
    min_upgrades: Count | None = None
    max_upgrades: Count | None = None
    budget_cny: NonNegative | None = None
    min_per_county: Count | None = None
    max_per_county: Count | None = None
    min_per_city: Count | None = None
    max_per_city: Count | None = None
    candidate_county_types: tuple[CountyType, ...] | None = None


class TravelSettings(BaseModel):
    """Travel-time settings: the cutoff and speed factors per road class."""

    model_config = _FROZEN

    cutoff_minutes: Positive = 120.0
    #: Multiplies `geodata.settings.APPROX_SPEEDS_KPH` of the road class.
    speed_factor: dict[RoadClass, Positive] = Field(default_factory=dict)


class SolverSettings(BaseModel):
    """The MIP solver and its limits."""

    model_config = _FROZEN

    name: Literal["highs", "cbc"] = "highs"
    time_limit_s: Positive | None = None
    mip_gap: NonNegative | None = None


class RulesSettings(BaseModel):
    """Facilities that must not / must be upgraded (ids are quoted strings)."""

    model_config = _FROZEN

    exclude: tuple[Code, ...] = ()
    require: tuple[Code, ...] = ()


class PopulationSettings(BaseModel):
    """The population planned for: census 2020 or a projection (`geodata.projection`).

    ``robust`` plans for several projections at once (`planning.futures`); the figures of
    every plan under every projection go to ``futures.csv`` in any case.
    """

    model_config = _FROZEN

    year: ProjectionYear = Field(
        default=2020,
        description="Population year planned for: 2020 (census), 2025, 2030 or 2035 "
        "(cohort-component projection, docs/projections.md).",
    )
    variant: Variant = Field(
        default="central",
        description="Projection variant: low, central or high (2020 is the census in any).",
    )
    robust: Robust | None = Field(
        default=None,
        description="worst_case: the plan whose worst projection covers the most people; "
        "min_regret: the plan that falls least short of the best plan of any projection "
        "(docs/robust_plans.md). Needs objective = coverage and no yearly_budgets_cny.",
    )
    robust_years: tuple[ProjectionYear, ...] | None = Field(
        default=None,
        min_length=1,
        description="Years whose low, central and high projections the robust plan weighs "
        "(default every projection year from population.year on); needs robust.",
    )


class CentresSettings(BaseModel):
    """Time-critical centre designation (``kind = "centres"``; `planning.networks.critical`).

    Each type is planned on its own with its default standard, demand weight and capability
    (`planning.networks.critical.CENTRE_TYPES`).
    """

    model_config = _FROZEN

    types: tuple[CentreName, ...] = Field(
        default=("chest_pain", "stroke", "maternal", "neonatal_child", "trauma"), min_length=1
    )
    #: Most new designations per type (None: no limit, then only the per-city/county rules
    #: and the coverage objective decide).
    max_centres: Count | None = None
    per_city: Flag = False
    per_county: Flag = False
    #: Extra weight of people aged 65+ (stroke, chest pain): 2 counts them three times.
    elderly_weight: NonNegative = 0.0
    #: Two-stage chain: nearest county-level centre, then transfer to a city-level centre.
    chain: Flag = False
    standard_minutes: dict[CentreName, Positive] = Field(default_factory=dict)
    #: CSV of existing centres (facility_id, centre; planning.networks.existing), relative to
    #: the file that sets it: they are open before and after, outside max_centres.
    existing: Text | None = None


class SpecialtiesSettings(BaseModel):
    """Key clinical specialty "3223" allocation (``kind = "specialties"``).

    Solved by `planning.networks.specialties`. Unset values keep the defaults of
    `SpecialtyRules`.
    """

    model_config = _FROZEN

    #: Designations per level (exact counts).
    quota: dict[KeyLevelName, Count] = Field(default_factory=dict)
    standard_minutes: dict[KeyLevelName, Positive] = Field(default_factory=dict)
    min_per_region: dict[KeyLevelName, Count] | None = None
    min_per_city: dict[KeyLevelName, Count] | None = None
    min_per_county: dict[KeyLevelName, Count] | None = None


class Scenario(BaseModel):
    """One planning scenario, as written in a TOML file (see ``scenarios/presets/``)."""

    model_config = _FROZEN

    name: NonEmptyText
    description: Text = ""
    kind: Kind = Field(
        default="upgrade",
        description="upgrade: township central / county 3A upgrades; centres: time-critical "
        "centre designation ([centres] table); specialties: the 3223 key clinical specialty "
        "allocation ([specialties] table).",
    )
    centres: CentresSettings = Field(default_factory=CentresSettings)
    specialties: SpecialtiesSettings = Field(default_factory=SpecialtiesSettings)
    extends: Text | None = Field(
        default=None,
        description="Path (relative to this file) or preset name; resolved by load_scenario.",
    )
    dataset: NonEmptyText = "liaoning"
    facilities: Text | None = None
    cross_border: Flag = Field(
        default=False,
        description="Add the dataset's hospitals just across the border (Liaoning: 8 Grade-3A "
        "hospitals in Qinhuangdao, Chifeng, Siping, Liaoyuan) as existing providers of what a "
        "city tertiary hospital provides; never upgraded or designated, never costed. Upgrade "
        "and centres runs.",
    )
    objective: Objective = "coverage"
    budget_cny: NonNegative | None = None
    yearly_budgets_cny: tuple[NonNegative, ...] | None = Field(default=None, min_length=1)
    carry_over: Flag = False
    equity_group: Literal["county", "city"] = "county"
    demand_weight: Literal[
        "population", "pop_0_14", "pop_15_64", "pop_65plus", "pop_female_15_49"
    ] = "population"
    tiers: tuple[TierName, ...] = Field(default=("township_central", "county_3a"), min_length=1)
    tier: dict[TierName, TierSettings] = Field(default_factory=dict)
    travel: TravelSettings = Field(default_factory=TravelSettings)
    solver: SolverSettings = Field(default_factory=SolverSettings)
    rules: RulesSettings = Field(default_factory=RulesSettings)
    population: PopulationSettings = Field(default_factory=PopulationSettings)


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with where it came from.

    Attributes
    ----------
    scenario
        The validated settings (``extends`` resolved and cleared).
    source_path
        The file loaded.
    sha256
        Hash of the resolved settings as canonical JSON (sorted keys): equal settings, equal
        hash, whichever files they came from.
    chain
        The file and the files it extends, child first.
    layers
        The settings each file of `chain` sets itself (``extends`` removed, data paths made
        absolute), child first; `file_of` uses them.
    """

    scenario: Scenario
    source_path: Path
    sha256: str
    chain: tuple[Path, ...]
    layers: tuple[Mapping[str, Any], ...] = field(default=(), compare=False, repr=False)

    def file_of(self, key: str | Sequence[str | int]) -> Path:
        """Return the file of `chain` that sets `key` (``"tier.county_3a.weight"``).

        The child wins, as in the merge; a key that no file sets (a default) belongs to
        `source_path`.
        """
        parts = key.split(".") if isinstance(key, str) else list(key)
        return origin(tuple(zip(self.chain, self.layers, strict=False)), parts, self.source_path)


def _check_keys(raw: Mapping[str, Any], model: type[BaseModel], prefix: str, file: Path) -> None:
    """Reject unknown keys, suggesting the closest valid one."""
    fields = model.model_fields
    for key, value in raw.items():
        where = f"{prefix}{key}"
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(fields)}"
            raise ScenarioError(file, where, "unknown key", fix)
        annotation = fields[key].annotation
        if (
            isinstance(value, Mapping)
            and isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
        ):
            _check_keys(value, annotation, f"{where}.", file)
        if model is Scenario and key == "tier" and isinstance(value, Mapping):
            for name, settings in value.items():
                if name not in DEFAULT_TIER_RULES:
                    raise ScenarioError(
                        file,
                        f"tier.{name}",
                        f"unknown tier {name!r}",
                        f"use one of {', '.join(DEFAULT_TIER_RULES)}",
                    )
                if isinstance(settings, Mapping):
                    _check_keys(settings, TierSettings, f"tier.{name}.", file)


def _duplicate(values: Sequence[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


#: Raises the `ScenarioError` of (key, problem, fix), naming the file that sets the key (or
#: the key `owner`, when the fault lies there).
Fail = Callable[..., NoReturn]


def _check_rules(scenario: Scenario, file_of: Callable[[str], Path]) -> None:
    """Rules that the model alone cannot see: contradictions and settings nothing reads.

    Each error names the file that sets the key (`file_of`).
    """

    def fail(key: str, problem: str, fix: str, *, owner: str | None = None) -> NoReturn:
        raise ScenarioError(file_of(owner or key), key, problem, fix)

    _check_tier_settings(scenario, fail)
    if scenario.carry_over and scenario.yearly_budgets_cny is None:
        fail("carry_over", "needs phasing", "set yearly_budgets_cny or remove carry_over")
    rules = scenario.rules
    both = set(rules.exclude) & set(rules.require)
    if both:
        fail("rules.require", f"{sorted(both)} also excluded", "remove them from one list")
    if scenario.kind != "upgrade":
        for key, ids in (("rules.require", rules.require), ("rules.exclude", rules.exclude)):
            if ids:
                problem = (
                    f'applies to kind = "upgrade" only, this scenario is kind = "{scenario.kind}"'
                )
                fail(key, problem, "remove it")
    _check_centres(scenario, fail)
    if scenario.cross_border and scenario.kind == "specialties":
        problem = 'applies to kind = "upgrade" or "centres", this scenario is kind = "specialties"'
        fail("cross_border", problem, "remove it")
    _check_standards(scenario, fail)
    _check_data(scenario, fail)
    _check_population(scenario, fail)


def _check_population(scenario: Scenario, fail: Fail) -> None:
    """Reject ``[population]`` settings that other settings contradict."""
    population = scenario.population
    valid = ", ".join(str(y) for y in PROJECTION_YEARS)
    if population.year not in PROJECTION_YEARS:
        fail("population.year", f"{population.year} has no projection", f"use one of {valid}")
    for index, year in enumerate(population.robust_years or ()):
        if year not in PROJECTION_YEARS:
            key = f"population.robust_years.{index}"
            fail(key, f"{year} has no projection", f"use years of {valid}")
    if scenario.kind != "upgrade" and population != PopulationSettings():
        fail(
            "population",
            f'applies to kind = "upgrade" only, this scenario is kind = "{scenario.kind}"',
            "remove it",
        )
    if population.robust_years is not None:
        if population.robust is None:
            fail("population.robust_years", "needs population.robust", "set robust or remove it")
        twice = _duplicate([str(y) for y in population.robust_years])
        if twice is not None:
            fail("population.robust_years", f"{twice} is listed twice", "list each year once")
    if population.robust is not None:
        if scenario.objective != "coverage":
            fail(
                "population.robust",
                f'needs objective = "coverage", this scenario has "{scenario.objective}"',
                'set objective = "coverage" or remove robust',
                owner="objective",
            )
        if scenario.yearly_budgets_cny is not None:
            fail(
                "population.robust",
                "plans one period, this scenario is phased (yearly_budgets_cny)",
                "use budget_cny or remove robust",
            )
    projected = population.year != 2020 or population.robust is not None
    if projected and scenario.dataset.lower().endswith(".gpkg"):
        fail(
            "population.year" if population.year != 2020 else "population.robust",
            "projections exist for the shipped datasets only",
            "plan a .gpkg dataset with year = 2020 and no robust",
        )


def _check_tier_settings(scenario: Scenario, fail: Fail) -> None:
    twice = _duplicate(scenario.tiers)
    if twice is not None:
        fail("tiers", f"{twice!r} is listed twice", "list each tier once")
    for name, settings in scenario.tier.items():
        if name not in scenario.tiers:
            fail(
                f"tier.{name}",
                f"settings for {name} but it is not planned",
                f"add {name!r} to tiers or remove [tier.{name}]",
            )
        for low, high in (
            ("min_upgrades", "max_upgrades"),
            ("min_per_county", "max_per_county"),
            ("min_per_city", "max_per_city"),
        ):
            lo, hi = getattr(settings, low), getattr(settings, high)
            if lo is not None and hi is not None and lo > hi:
                fail(f"tier.{name}.{low}", f"{lo} is above {high} = {hi}", "lower it")


def _check_centres(scenario: Scenario, fail: Fail) -> None:
    centres = scenario.centres
    if scenario.kind != "centres" and centres.existing is not None:
        fail(
            "centres.existing",
            f'applies to kind = "centres" only, this scenario is kind = "{scenario.kind}"',
            "remove it",
        )
    if scenario.kind != "centres":
        return
    twice = _duplicate(centres.types)
    if twice is not None:
        fail("centres.types", f"{twice!r} is listed twice", "list each centre type once")
    for centre in centres.standard_minutes:
        if centre not in centres.types:
            fail(
                f"centres.standard_minutes.{centre}",
                f"set but {centre} is not in centres.types",
                f"add {centre!r} to centres.types or remove it",
            )


def _check_data(scenario: Scenario, fail: Fail) -> None:
    dataset = scenario.dataset
    if dataset.lower().endswith(".gpkg"):
        if not Path(dataset).is_file():
            fail("dataset", f"file {dataset!r} not found", "check the path")
    elif dataset not in available_datasets():
        fail(
            "dataset",
            f"unknown dataset {dataset!r}",
            f"use {', '.join(available_datasets())} or a .gpkg path",
        )
    if scenario.facilities is not None and not Path(scenario.facilities).is_file():
        fail("facilities", f"file {scenario.facilities!r} not found", "check the path")
    existing = scenario.centres.existing
    if existing is not None and not Path(existing).is_file():
        fail("centres.existing", f"file {existing!r} not found", "check the path")


def _check_standards(scenario: Scenario, fail: Fail) -> None:
    """Travel standards that the travel times of the run can see (at most the cutoff).

    Times beyond ``travel.cutoff_minutes`` are not computed, so a standard above it would
    count people between the two as not covered. Upgrade tiers and centre types are planned
    on those times; specialty runs compute their own (up to their largest standard).
    """
    standards: list[tuple[str, float | None, float]] = []
    if scenario.kind == "upgrade":
        for name in scenario.tiers:
            settings = scenario.tier.get(name)
            explicit = settings.standard_minutes if settings is not None else None
            default = DEFAULT_TIER_RULES[name].standard_minutes
            standards.append((f"tier.{name}.standard_minutes", explicit, default))
    elif scenario.kind == "centres":
        # Only centre scenarios need the network models (and their optimizer imports).
        from planning.networks.critical import CENTRE_TYPES

        for centre in scenario.centres.types:
            explicit = scenario.centres.standard_minutes.get(centre)
            default = CENTRE_TYPES[centre].standard_minutes
            standards.append((f"centres.standard_minutes.{centre}", explicit, default))
    cutoff = scenario.travel.cutoff_minutes
    for key, explicit, default in standards:
        minutes = default if explicit is None else explicit
        if minutes > cutoff:
            which = "" if explicit is not None else " (the default)"
            fail(
                key,
                f"{minutes:g} min{which} is above travel.cutoff_minutes = {cutoff:g}, so people "
                f"{cutoff:g}-{minutes:g} min away would count as not covered",
                f"raise travel.cutoff_minutes to at least {minutes:g} or lower the standard",
                owner=key if explicit is not None else "travel.cutoff_minutes",
            )


def load_scenario(path: str | Path) -> ResolvedScenario:
    """Read, resolve and validate a scenario file.

    Parameters
    ----------
    path
        A ``.toml`` file, or the name of a preset (``"baseline"``). A bare name (no folder
        part, no ``.toml``) is a preset first, then a file of that name.

    Returns
    -------
    ResolvedScenario
        The validated scenario, its file, the hash of its settings and its `extends` chain.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file, the key, the problem and the fix; an error
        in a file that this one extends names that file.
    """
    file = scenario_file(path)
    layers = load_layers(file, lambda raw, path: _check_keys(raw, Scenario, "", path))
    raw: dict[str, Any] = {}
    for _, settings in reversed(layers):
        raw = merge(raw, settings)

    def file_of(key: str | Sequence[str | int]) -> Path:
        parts = key.split(".") if isinstance(key, str) else key
        return origin(layers, parts, file)

    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as error:
        raise translate(error, file_of) from None
    _check_rules(scenario, file_of)
    canonical = json.dumps(
        scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return ResolvedScenario(
        scenario=scenario,
        source_path=file,
        sha256=digest,
        chain=tuple(p for p, _ in layers),
        layers=tuple(settings for _, settings in layers),
    )


def to_planning_rules(scenario: Scenario) -> PlanningRules:
    """Return the `PlanningRules` of `scenario`: one `TierPlan` per planned tier.

    Each is taken key for key from the tier's ``[tier.<name>]`` table (unset values keep
    their defaults).
    """
    default = TierSettings()
    plans = tuple(
        TierPlan(name=str(name), **scenario.tier.get(name, default).model_dump())
        for name in scenario.tiers
    )
    return PlanningRules(
        tiers=plans,
        demand_weight=scenario.demand_weight,
        exclude=scenario.rules.exclude,
        require=scenario.rules.require,
    )


def speeds_kph(scenario: Scenario) -> dict[str, float]:
    """Travel speeds per road class: `geodata.settings.APPROX_SPEEDS_KPH` times the factors."""
    factors = {str(road): f for road, f in scenario.travel.speed_factor.items()}
    return {road: kph * factors.get(road, 1.0) for road, kph in APPROX_SPEEDS_KPH.items()}


def check_against_world(resolved: ResolvedScenario, world: Dataset) -> None:
    """Check the facility ids of `resolved` against `world`.

    Every id of ``rules.exclude`` and ``rules.require`` must exist, and every required
    facility must be a candidate of a planned tier: of the tier's candidate facility tiers
    (`planning.defaults.DEFAULT_TIER_RULES`) and, where the tier restricts them, of its
    ``candidate_county_types``, its township's service tier and its county medical
    community area (`planning.upgrades.why_not_candidate`). The planner would silently
    ignore any other requirement.

    Raises
    ------
    ScenarioError
        Naming the file that sets the key, the key and the first bad id.
    """
    facilities = world.facilities.drop_duplicates("facility_id")
    known = set(facilities["facility_id"].astype(str))
    rules = resolved.scenario.rules
    for key, ids in (("rules.exclude", rules.exclude), ("rules.require", rules.require)):
        for facility_id in ids:
            if facility_id not in known:
                close = difflib.get_close_matches(facility_id, sorted(known), n=1)
                fix = f"did you mean {close[0]!r}?" if close else "use an id of the facility table"
                raise ScenarioError(
                    resolved.file_of(key), key, f"unknown facility {facility_id!r}", fix
                )
    if resolved.scenario.kind == "upgrade" and rules.require:
        _check_required(resolved, world)


def _check_required(resolved: ResolvedScenario, world: Dataset) -> None:
    """Every required facility is a candidate of a planned tier (see `check_against_world`)."""
    planning = to_planning_rules(resolved.scenario)
    planned = {name: planning.rule(name) for name in planning.tier_names}
    facilities = world.facilities.drop_duplicates("facility_id")
    sites = facilities.set_index(facilities["facility_id"].astype(str))
    county_type = world.units("county").set_index("code")["county_type"]
    file = resolved.file_of("rules.require")
    for facility_id in resolved.scenario.rules.require:
        site = sites.loc[facility_id]
        tier = str(site["tier"])
        name = site.get("name_zh")
        label = f"facility {facility_id!r}" + (f" ({name})" if isinstance(name, str) else "")
        takers = [n for n, rule in planned.items() if tier in rule.candidates]
        if not takers:
            listing = "; ".join(f"{n}: {', '.join(r.candidates)}" for n, r in planned.items())
            others = [
                n
                for n, r in DEFAULT_TIER_RULES.items()
                if tier in r.candidates and n not in planned
            ]
            fix = (
                f"remove it or plan its tier: add {others[0]!r} to tiers"
                if others
                else f"remove it: no tier upgrades a {tier}"
            )
            problem = f"{label} is a {tier}, not a candidate of any planned tier ({listing})"
            raise ScenarioError(file, "rules.require", problem, fix)
        kind = str(county_type.get(site["county_code"], "unknown county type"))
        allowed = {n: planning.candidate_county_types.get(n) for n in takers}
        if all(types is not None and kind not in types for types in allowed.values()):
            first = takers[0]
            types = allowed[first] or ()
            problem = (
                f"{label} is a {tier} in a {kind}, and tier {first} takes candidates in "
                f"{', '.join(types)} only"
            )
            fix = f"remove it or add {kind!r} to tier.{first}.candidate_county_types"
            raise ScenarioError(file, "rules.require", problem, fix)
        reason = why_not_candidate(world, planning, facility_id)
        if reason:
            problem = f"{label} is a {tier} but no candidate: {reason}"
            unplanned = [n for n in DEFAULT_TIER_RULES if f"the {n} tier" in reason]
            unplanned = [n for n in unplanned if n not in planned]
            fix = (
                f"remove it or plan its tier: add {unplanned[0]!r} to tiers"
                if unplanned
                else "remove it"
            )
            raise ScenarioError(file, "rules.require", problem, fix)


def scenario_schema() -> dict[str, Any]:
    """Return the JSON schema of scenario files."""
    return Scenario.model_json_schema()


def write_schema(path: str | Path = SCHEMA_PATH) -> Path:
    """Write the JSON schema of scenario files to `path` (default ``scenarios/schema.json``)."""
    target = Path(path)
    text = json.dumps(scenario_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    target.write_text(text, encoding="utf-8")
    return target


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-schema"]:
        print(write_schema())
    else:
        sys.exit("usage: python -m scenarios.scenario --write-schema")
