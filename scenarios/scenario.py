"""Scenario files: TOML settings of one planning run, validated, with `extends` and presets.

>>> from scenarios.scenario import load_scenario, to_planning_rules
>>> resolved = load_scenario("tight_budget")          # a preset name or a path to a .toml
>>> resolved.scenario.budget_cny, [p.name for p in resolved.chain]
(500000000.0, ['tight_budget.toml', 'baseline.toml'])
>>> rules = to_planning_rules(resolved.scenario)

TOML, not YAML: YAML reads ``0701`` as the integer 449 and ``no`` as False, and admin codes
and facility ids must never be mangled. Facility ids are strict strings, so an unquoted
``exclude = [210224]`` is rejected with a message that says to quote it.

A file may name another one in ``extends`` (a path relative to the file, or the name of a
preset in ``scenarios/presets/``); settings merge deeply, the child winning: tables merge,
lists and values replace. Paths (``dataset`` when a ``.gpkg``, ``facilities``) are relative
to the file that sets them and are made absolute when loaded.

Every user error raises `ScenarioError` with one line ``"<file>: <key>: <problem> - <fix>"``.
``python -m scenarios.scenario --write-schema`` regenerates ``scenarios/schema.json``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geodata.datasets import available as available_datasets
from geodata.settings import APPROX_SPEEDS_KPH
from scenarios.defaults import DEFAULT_TIER_RULES
from scenarios.planning import PlanningRules

if TYPE_CHECKING:
    from geodata.dataset import Dataset

__all__ = [
    "PRESETS_DIR",
    "SCHEMA_PATH",
    "CentresSettings",
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

#: Folder of the shipped presets (``extends = "baseline"`` means ``baseline.toml`` here).
PRESETS_DIR = Path(__file__).parent / "presets"
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
#: A facility id or admin code: a string, never a number (``0701`` must not become 449).
Code = Annotated[str, Field(strict=True, min_length=1)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0)]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class ScenarioError(ValueError):
    """A scenario file the planner cannot use: ``"<file>: <key>: <problem> - <fix>"``.

    The message is always one line (line breaks of quoted input are flattened); the parts
    stay available as attributes for callers that format them otherwise.
    """

    def __init__(self, file: str | Path, key: str, problem: str, fix: str) -> None:
        self.file, self.key, self.problem, self.fix = str(file), key, problem, fix
        text = f"{file}: {key}: {problem} - {fix}"
        super().__init__(" ".join(text.splitlines()))

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str, str, str, str]]:
        return type(self), (self.file, self.key, self.problem, self.fix)


class TierSettings(BaseModel):
    """Overrides of one tier's rules (defaults in `scenarios.defaults.DEFAULT_TIER_RULES`)."""

    model_config = _FROZEN

    standard_minutes: Positive | None = None
    upgrade_cost_cny: NonNegative | None = None
    weight: NonNegative | None = None
    within_county: bool = False
    every_county: bool = False
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


class CentresSettings(BaseModel):
    """Time-critical centre designation (``kind = "centres"``; `scenarios.networks.critical`).

    Each type is planned on its own with its default standard, demand weight and capability
    (`scenarios.networks.critical.CENTRE_TYPES`).
    """

    model_config = _FROZEN

    types: tuple[CentreName, ...] = Field(
        default=("chest_pain", "stroke", "maternal", "neonatal_child", "trauma"), min_length=1
    )
    #: Most new designations per type (None: no limit, then only the per-city/county rules
    #: and the coverage objective decide).
    max_centres: Count | None = None
    per_city: bool = False
    per_county: bool = False
    #: Extra weight of people aged 65+ (stroke, chest pain): 2 counts them three times.
    elderly_weight: NonNegative = 0.0
    #: Two-stage chain: nearest county-level centre, then transfer to a city-level centre.
    chain: bool = False
    standard_minutes: dict[CentreName, Positive] = Field(default_factory=dict)


class SpecialtiesSettings(BaseModel):
    """Key clinical specialty "3223" allocation (``kind = "specialties"``;
    `scenarios.networks.specialties`). Unset values keep the defaults of `SpecialtyRules`."""

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

    name: Annotated[str, Field(strict=True, min_length=1)]
    description: str = ""
    kind: Kind = Field(
        default="upgrade",
        description="upgrade: township central / county 3A upgrades; centres: time-critical "
        "centre designation ([centres] table); specialties: the 3223 key clinical specialty "
        "allocation ([specialties] table).",
    )
    centres: CentresSettings = Field(default_factory=CentresSettings)
    specialties: SpecialtiesSettings = Field(default_factory=SpecialtiesSettings)
    extends: str | None = Field(
        default=None,
        description="Path (relative to this file) or preset name; resolved by load_scenario.",
    )
    dataset: str = "liaoning"
    facilities: str | None = None
    objective: Objective = "coverage"
    budget_cny: NonNegative | None = None
    yearly_budgets_cny: tuple[NonNegative, ...] | None = Field(default=None, min_length=1)
    carry_over: bool = False
    equity_group: Literal["county", "city"] = "county"
    demand_weight: Literal[
        "population", "pop_0_14", "pop_15_64", "pop_65plus", "pop_female_15_49"
    ] = "population"
    tiers: tuple[TierName, ...] = Field(default=("township_central", "county_3a"), min_length=1)
    tier: dict[TierName, TierSettings] = Field(default_factory=dict)
    travel: TravelSettings = Field(default_factory=TravelSettings)
    solver: SolverSettings = Field(default_factory=SolverSettings)
    rules: RulesSettings = Field(default_factory=RulesSettings)


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
    """

    scenario: Scenario
    source_path: Path
    sha256: str
    chain: tuple[Path, ...]


def _preset_path(name: str) -> Path:
    return PRESETS_DIR / f"{name}.toml"


def _presets() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def _read_toml(path: Path, *, referrer: Path | None) -> dict[str, Any]:
    if not path.is_file():
        if referrer is not None:
            raise ScenarioError(
                referrer, "extends", f"file {str(path)!r} not found", "check the path"
            )
        raise ScenarioError(path, "(file)", "file not found", "check the path or use a preset")
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(path, "(toml)", str(error), "fix the TOML syntax there") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(path, "(file)", str(error), "save it as UTF-8 TOML") from None


def _resolve_extends(value: object, file: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise ScenarioError(
            file, "extends", f"{value!r} is not a file or preset name", 'write extends = "baseline"'
        )
    if not value.endswith(".toml") and "/" not in value and "\\" not in value:
        if value not in _presets():
            raise ScenarioError(
                file, "extends", f"unknown preset {value!r}", f"use one of {', '.join(_presets())}"
            )
        return _preset_path(value)
    return _relative(file, "extends", value)


def _relative(file: Path, key: str, value: str) -> Path:
    """`value`, a path relative to `file`, made absolute."""
    try:
        return (file.parent / value).resolve()
    except (OSError, ValueError) as error:
        raise ScenarioError(file, key, f"bad path {value!r} ({error})", "fix the path") from None


def _absolute_paths(raw: dict[str, Any], file: Path) -> dict[str, Any]:
    """Make the relative data paths of `raw` absolute (they are relative to `file`)."""
    out = dict(raw)
    dataset = out.get("dataset")
    if isinstance(dataset, str) and dataset.lower().endswith(".gpkg"):
        out["dataset"] = str(_relative(file, "dataset", dataset))
    facilities = out.get("facilities")
    if isinstance(facilities, str) and facilities:
        out["facilities"] = str(_relative(file, "facilities", facilities))
    return out


def _merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge, anything else in `child` replaces."""
    out = dict(base)
    for key, value in child.items():
        old = out.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            out[key] = _merge(old, value)
        else:
            out[key] = value
    return out


def _load_raw(path: Path, stack: tuple[Path, ...]) -> tuple[dict[str, Any], tuple[Path, ...]]:
    raw = _absolute_paths(_read_toml(path, referrer=stack[-1] if stack else None), path)
    chain = (path,)
    parent = raw.pop("extends", None)
    _check_keys(raw, Scenario, "", path)
    if parent is None:
        return raw, chain
    target = _resolve_extends(parent, path)
    if target in (*stack, path):
        loop = " -> ".join(p.name for p in (*stack, path, target))
        raise ScenarioError(path, "extends", f"cycle {loop}", "remove one of the extends")
    base, base_chain = _load_raw(target, (*stack, path))
    return _merge(base, raw), chain + base_chain


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


def _translate(error: ValidationError, file: Path) -> ScenarioError:
    """The first pydantic error as a one-line `ScenarioError`."""
    first = error.errors(include_url=False)[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top)"
    kind, value, ctx = first["type"], first.get("input"), first.get("ctx", {})
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        return ScenarioError(
            file, key, f"{value!r} is a number, ids and codes are text", f'quote it: "{value}"'
        )
    if kind == "literal_error":
        return ScenarioError(file, key, f"unknown value {value!r}", f"use {ctx.get('expected')}")
    if kind == "missing":
        return ScenarioError(file, key, "required key missing", f"add {key} = ...")
    bounds = {"ge": ">=", "gt": ">", "le": "<="}
    limits = [f"{sign} {ctx[b]:g}" for b, sign in bounds.items() if b in ctx]
    if limits:
        return ScenarioError(file, key, f"{value!r} is out of range", f"use a value {limits[0]}")
    return ScenarioError(
        file, key, f"{first['msg']} (got {value!r})", "see scenarios/schema.json for the type"
    )


def _check_rules(scenario: Scenario, file: Path) -> None:
    """Rules that the model alone cannot see: settings for unplanned tiers, min above max."""
    for name, settings in scenario.tier.items():
        if name not in scenario.tiers:
            raise ScenarioError(
                file,
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
                raise ScenarioError(
                    file, f"tier.{name}.{low}", f"{lo} is above {high} = {hi}", "lower it"
                )
    if scenario.carry_over and scenario.yearly_budgets_cny is None:
        raise ScenarioError(
            file, "carry_over", "needs phasing", "set yearly_budgets_cny or remove carry_over"
        )
    both = set(scenario.rules.exclude) & set(scenario.rules.require)
    if both:
        raise ScenarioError(
            file, "rules.require", f"{sorted(both)} also excluded", "remove them from one list"
        )
    dataset = scenario.dataset
    if dataset.lower().endswith(".gpkg"):
        if not Path(dataset).is_file():
            raise ScenarioError(file, "dataset", f"file {dataset!r} not found", "check the path")
    elif dataset not in available_datasets():
        raise ScenarioError(
            file,
            "dataset",
            f"unknown dataset {dataset!r}",
            f"use {', '.join(available_datasets())} or a .gpkg path",
        )
    if scenario.facilities is not None and not Path(scenario.facilities).is_file():
        raise ScenarioError(
            file, "facilities", f"file {scenario.facilities!r} not found", "check the path"
        )


def load_scenario(path: str | Path) -> ResolvedScenario:
    """Read, resolve and validate a scenario file.

    Parameters
    ----------
    path
        A ``.toml`` file, or the name of a preset (``"baseline"``).

    Returns
    -------
    ResolvedScenario
        The validated scenario, its file, the hash of its settings and its `extends` chain.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file, the key, the problem and the fix.
    """
    file = Path(path)
    if not file.exists() and file.suffix == "" and _preset_path(str(path)).is_file():
        file = _preset_path(str(path))
    file = file.resolve()
    raw, chain = _load_raw(file, ())
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as error:
        raise _translate(error, file) from None
    _check_rules(scenario, file)
    canonical = json.dumps(
        scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return ResolvedScenario(scenario=scenario, source_path=file, sha256=digest, chain=chain)


def to_planning_rules(scenario: Scenario) -> PlanningRules:
    """The `PlanningRules` of `scenario` (tier settings left unset keep their defaults)."""

    def per_tier(field: str) -> dict[str, Any]:
        values = {name: getattr(s, field) for name, s in scenario.tier.items()}
        return {name: value for name, value in values.items() if value is not None}

    county_types = dict(PlanningRules().candidate_county_types)
    county_types.update(per_tier("candidate_county_types"))
    return PlanningRules(
        tiers=scenario.tiers,
        standard_minutes=per_tier("standard_minutes"),
        upgrade_cost_cny=per_tier("upgrade_cost_cny"),
        weight=per_tier("weight"),
        demand_weight=scenario.demand_weight,
        within_county=tuple(n for n, s in scenario.tier.items() if s.within_county),
        every_county=tuple(n for n, s in scenario.tier.items() if s.every_county),
        min_county_coverage=per_tier("min_county_coverage"),
        min_city_coverage=per_tier("min_city_coverage"),
        min_upgrades=per_tier("min_upgrades"),
        max_upgrades=per_tier("max_upgrades"),
        tier_budget_cny=per_tier("budget_cny"),
        min_per_county=per_tier("min_per_county"),
        max_per_county=per_tier("max_per_county"),
        min_per_city=per_tier("min_per_city"),
        max_per_city=per_tier("max_per_city"),
        candidate_county_types=county_types,
        exclude=scenario.rules.exclude,
        require=scenario.rules.require,
    )


def speeds_kph(scenario: Scenario) -> dict[str, float]:
    """Travel speeds per road class: `geodata.settings.APPROX_SPEEDS_KPH` times the factors."""
    factors = {str(road): f for road, f in scenario.travel.speed_factor.items()}
    return {road: kph * factors.get(road, 1.0) for road, kph in APPROX_SPEEDS_KPH.items()}


def check_against_world(resolved: ResolvedScenario, world: Dataset) -> None:
    """Check that the facility ids of `resolved` exist in `world`.

    Raises
    ------
    ScenarioError
        Naming the key and the first unknown id.
    """
    known = set(world.facilities["facility_id"].astype(str))
    rules = resolved.scenario.rules
    for key, ids in (("rules.exclude", rules.exclude), ("rules.require", rules.require)):
        for facility_id in ids:
            if facility_id not in known:
                close = difflib.get_close_matches(facility_id, sorted(known), n=1)
                fix = f"did you mean {close[0]!r}?" if close else "use an id of the facility table"
                raise ScenarioError(
                    resolved.source_path, key, f"unknown facility {facility_id!r}", fix
                )


def scenario_schema() -> dict[str, Any]:
    """The JSON schema of scenario files."""
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
