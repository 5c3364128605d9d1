"""Scenario files: presets, extends, one-line errors, strict ids, schema drift, fuzzing."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geodata
from geodata.settings import APPROX_SPEEDS_KPH
from optimizer.upgrade import UPGRADE_OBJECTIVES
from planning.defaults import DEFAULT_TIER_RULES
from planning.upgrades import PlanningRules, TierPlan
from scenarios.scenario import (
    PRESETS_DIR,
    SCHEMA_PATH,
    Objective,
    RoadClass,
    ScenarioError,
    TierName,
    check_against_world,
    load_scenario,
    scenario_schema,
    speeds_kph,
    to_planning_rules,
    write_schema,
)

PRESETS = {
    "baseline",
    "tight_budget",
    "equity_first",
    "county_medical_community",
    "winter_speeds",
    "five_year_phased",
    "five_centres",
    "key_specialties_3223",
    "aging_2035",
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path | str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_literal_names_agree_with_their_owners() -> None:
    assert set(get_args(Objective)) == set(UPGRADE_OBJECTIVES)
    assert set(get_args(TierName)) == set(DEFAULT_TIER_RULES)
    assert set(get_args(RoadClass)) == set(APPROX_SPEEDS_KPH)


def test_presets_shipped() -> None:
    assert {p.stem for p in PRESETS_DIR.glob("*.toml")} == PRESETS


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_loads_with_name_and_description(name: str) -> None:
    resolved = load_scenario(PRESETS_DIR / f"{name}.toml")
    scenario = resolved.scenario
    assert scenario.name
    assert scenario.description.endswith(".")
    assert scenario.dataset == "liaoning"
    assert scenario.extends is None
    assert resolved.chain[0] == PRESETS_DIR / f"{name}.toml"
    assert len(resolved.sha256) == 64
    rules = to_planning_rules(scenario)
    assert isinstance(rules, PlanningRules)
    assert rules.tier_names == ("township_central", "county_3a")


def test_baseline_values() -> None:
    resolved = load_scenario("baseline")
    scenario = resolved.scenario
    assert resolved.chain == (PRESETS_DIR / "baseline.toml",)
    assert (scenario.objective, scenario.budget_cny) == ("coverage", 1.5e9)
    assert (scenario.solver.name, scenario.solver.time_limit_s) == ("highs", 120.0)
    assert scenario.travel.cutoff_minutes == 120.0
    assert to_planning_rules(scenario) == PlanningRules()
    assert speeds_kph(scenario) == APPROX_SPEEDS_KPH


def test_derived_presets() -> None:
    tight = load_scenario("tight_budget")
    assert tight.scenario.budget_cny == 5e8
    assert [p.name for p in tight.chain] == ["tight_budget.toml", "baseline.toml"]
    assert load_scenario("equity_first").scenario.objective == "equity"
    community = load_scenario("county_medical_community").scenario
    assert community.budget_cny == 2.5e10
    rules = to_planning_rules(community)
    assert rules.within_county == ("county_3a",)
    assert rules.every_county == ("county_3a",)
    assert rules.candidate_county_types == PlanningRules().candidate_county_types
    winter = load_scenario("winter_speeds").scenario
    assert speeds_kph(winter) == pytest.approx(
        {"expressway": 81.0, "national": 51.0, "rural": 28.0, "ferry": 25.0}
    )
    phased = load_scenario("five_year_phased").scenario
    assert phased.yearly_budgets_cny == (3e8,) * 5
    assert phased.carry_over is False


def test_equal_settings_equal_hash(tmp_path: Path) -> None:
    copy = write(tmp_path, "copy.toml", 'extends = "baseline"\n')
    assert load_scenario(copy).sha256 == load_scenario("baseline").sha256
    other = write(tmp_path, "other.toml", 'extends = "baseline"\nbudget_cny = 1.4e9\n')
    assert load_scenario(other).sha256 != load_scenario("baseline").sha256


def test_extends_chain_deep_merge(tmp_path: Path) -> None:
    write(
        tmp_path,
        "base.toml",
        'name = "base"\ntiers = ["township_central", "county_3a"]\n'
        "[tier.county_3a]\nstandard_minutes = 50\nmax_upgrades = 9\n"
        "[travel]\nspeed_factor = { rural = 0.5, national = 0.9 }\n"
        '[rules]\nexclude = ["A", "B"]\n',
    )
    (tmp_path / "sub").mkdir()
    write(
        tmp_path / "sub",
        "middle.toml",
        'extends = "../base.toml"\nname = "middle"\n'
        "[tier.county_3a]\nmax_upgrades = 4\n"
        "[travel]\nspeed_factor = { rural = 0.8 }\n"
        '[rules]\nexclude = ["C"]\n',
    )
    child = write(tmp_path, "child.toml", 'extends = "sub/middle.toml"\nbudget_cny = 1e8\n')
    resolved = load_scenario(child)
    scenario = resolved.scenario
    assert [p.name for p in resolved.chain] == ["child.toml", "middle.toml", "base.toml"]
    assert scenario.name == "middle"
    assert scenario.budget_cny == 1e8
    assert scenario.tier["county_3a"].standard_minutes == 50.0  # tables merge
    assert scenario.tier["county_3a"].max_upgrades == 4  # child wins
    assert scenario.travel.speed_factor == {"rural": 0.8, "national": 0.9}
    assert scenario.rules.exclude == ("C",)  # lists replace
    rules = to_planning_rules(scenario)
    # one representation per tier (issue 12): the merged [tier.county_3a] table, key for key
    assert rules.plan("county_3a").standard_minutes == 50.0
    assert rules.plan("county_3a").max_upgrades == 4
    assert rules.plan("township_central") == TierPlan("township_central")


def test_data_paths_are_relative_to_their_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sites.csv").write_text("facility_id\n", encoding="utf-8")
    write(tmp_path / "data", "base.toml", 'name = "b"\nfacilities = "sites.csv"\n')
    child = write(tmp_path, "child.toml", 'extends = "data/base.toml"\n')
    facilities = load_scenario(child).scenario.facilities
    assert facilities == str((tmp_path / "data" / "sites.csv").resolve())


def test_extends_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "a.toml", 'name = "a"\nextends = "b.toml"\n')
    write(tmp_path, "b.toml", 'name = "b"\nextends = "a.toml"\n')
    message = error_of(a)
    assert message == (
        f"{tmp_path.resolve() / 'b.toml'}: extends: cycle a.toml -> b.toml -> a.toml "
        "- remove one of the extends"
    )
    itself = write(tmp_path, "self.toml", 'name = "s"\nextends = "self.toml"\n')
    assert "cycle self.toml -> self.toml" in error_of(itself)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('name = "x"\nbudjet_cny = 5\n', "budjet_cny: unknown key - did you mean 'budget_cny'?"),
        (
            'name = "x"\n[travel]\ncutof_minutes = 5\n',
            "travel.cutof_minutes: unknown key - did you mean 'cutoff_minutes'?",
        ),
        (
            'name = "x"\n[tier.county_3a]\nstandard_minute = 5\n',
            "tier.county_3a.standard_minute: unknown key - did you mean 'standard_minutes'?",
        ),
        (
            'name = "x"\n[tier.county3a]\nweight = 1\n',
            (
                "tier.county3a: unknown tier 'county3a' - use one of township_central, county_3a, "
                "community_hospital"
            ),
        ),
        (
            'name = "x"\ntiers = ["county_3a", "clinic"]\n',
            (
                "tiers.1: unknown value 'clinic' - use 'township_central', 'county_3a' or "
                "'community_hospital'"
            ),
        ),
        (
            'name = "x"\nobjective = "max"\n',
            (
                "objective: unknown value 'max' - use 'coverage', 'median', 'minmax', 'equity' or "
                "'lexicographic'"
            ),
        ),
        ('name = "x"\nbudget_cny = -5\n', "budget_cny: -5 is out of range - use a value >= 0"),
        (
            'name = "x"\nbudget_cny = "lots"\n',
            "budget_cny: 'lots' is text, expected a number - write a number without quotes",
        ),
        ('description = "x"\n', "name: required key missing - add name = ..."),
        (
            'name = "x"\n[rules]\nexclude = [210224]\n',
            'rules.exclude.0: 210224 is a number, ids and codes are text - quote it: "210224"',
        ),
        (
            'name = "x"\ntiers = ["county_3a"]\n[tier.township_central]\nweight = 2\n',
            (
                "tier.township_central: settings for township_central but it is not planned - add "
                "'township_central' to tiers or remove [tier.township_central]"
            ),
        ),
        (
            'name = "x"\n[tier.county_3a]\nmin_upgrades = 5\nmax_upgrades = 2\n',
            "tier.county_3a.min_upgrades: 5 is above max_upgrades = 2 - lower it",
        ),
        (
            'name = "x"\ncarry_over = true\n',
            "carry_over: needs phasing - set yearly_budgets_cny or remove carry_over",
        ),
        (
            'name = "x"\ndataset = "atlantis"\n',
            "dataset: unknown dataset 'atlantis' - use liaoning or a .gpkg path",
        ),
        (
            'name = "x"\nextends = "nope"\n',
            (
                "extends: unknown preset 'nope' - use one of aging_2035, baseline, "
                "county_medical_community, "
                "equity_first, five_centres, five_year_phased, key_specialties_3223, "
                "tight_budget, winter_speeds"
            ),
        ),
        ('name = "x\n', "(toml): Illegal character '\\n' (at line 1, column 10)"),
    ],
)
def test_one_line_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    message = error_of(path)
    assert message.startswith(f"{path.resolve()}: ")
    assert expected in message


def test_missing_files(tmp_path: Path) -> None:
    missing = tmp_path / "nothere.toml"
    assert (
        error_of(missing) == f"{missing}: (file): file not found - check the path or use a preset"
    )
    child = write(tmp_path, "child.toml", 'name = "x"\nextends = "gone.toml"\n')
    assert error_of(child) == (
        f"{child}: extends: file {str(tmp_path / 'gone.toml')!r} not found - check the path"
    )
    gpkg = write(tmp_path, "gpkg.toml", 'name = "x"\ndataset = "world.gpkg"\n')
    assert error_of(gpkg) == (
        f"{gpkg}: dataset: file {str(tmp_path / 'world.gpkg')!r} not found - check the path"
    )


def test_error_parts_and_pickling(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", 'name = "x"\nbudjet_cny = 5\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    error = info.value
    assert (error.file, error.key, error.problem) == (str(path), "budjet_cny", "unknown key")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_ids_must_be_quoted(tmp_path: Path) -> None:
    quoted = write(tmp_path, "ok.toml", 'name = "x"\n[rules]\nrequire = ["0701"]\n')
    assert load_scenario(quoted).scenario.rules.require == ("0701",)
    bare = write(tmp_path, "bare.toml", 'name = "x"\n[rules]\nrequire = [701]\n')
    assert 'quote it: "701"' in error_of(bare)


def test_unknown_key_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = write(tmp_path, "parent.toml", 'name = "p"\nbudget = 5\n')
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\n')
    assert error_of(child).startswith(f"{parent}: budget: unknown key")


def test_check_against_world(tmp_path: Path) -> None:
    world = geodata.load_dataset("liaoning")
    known = str(world.facilities["facility_id"].iloc[0])
    ok = write(tmp_path, "ok.toml", f'name = "x"\n[rules]\nexclude = ["{known}"]\n')
    check_against_world(load_scenario(ok), world)
    for preset in sorted(PRESETS):
        check_against_world(load_scenario(preset), world)
    bad = write(tmp_path, "bad.toml", f'name = "x"\n[rules]\nrequire = ["{known}X"]\n')
    with pytest.raises(ScenarioError) as info:
        check_against_world(load_scenario(bad), world)
    assert str(info.value) == (
        f"{bad}: rules.require: unknown facility '{known}X' - did you mean '{known}'?"
    )


def test_schema_does_not_drift(tmp_path: Path) -> None:
    fresh = write_schema(tmp_path / "schema.json")
    assert SCHEMA_PATH.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
        "scenarios/schema.json is stale - run python -m scenarios.scenario --write-schema"
    )
    assert json.loads(fresh.read_text(encoding="utf-8")) == scenario_schema()


KEYS = [
    "name",
    "extends",
    "objective",
    "budget_cny",
    "yearly_budgets_cny",
    "carry_over",
    "tiers",
    "dataset",
    "facilities",
    "demand_weight",
    "bogus",
    "0701",
]
TABLES = ["", "[tier.county_3a]", "[tier.nope]", "[travel]", "[solver]", "[rules]", "[tier]"]
VALUES = [
    '"x"',
    '"baseline"',
    '"fuzz.toml"',
    '"a\\u0000.gpkg"',
    '"../x.toml"',
    '"county_3a"',
    '"coverage"',
    "0701",
    "-1",
    "1e9",
    "nan",
    "inf",
    "true",
    "[]",
    '["county_3a"]',
    "[210224]",
    '["A", 1]',
    "{ rural = 0.7 }",
    "{ a = { b = 1 } }",
    "1979-05-27",
    '"',
    "",
]
LINES = st.one_of(
    st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES)).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.sampled_from(TABLES),
    st.sampled_from(
        ["cutoff_minutes = 0", "speed_factor = { rural = 0 }", 'exclude = ["X"]', "weight = 2"]
    ),
)


def fails_cleanly(path: Path, tmp_path: Path) -> None:
    """Loading `path` either works or raises one line that names the file."""
    try:
        load_scenario(path)
    except ScenarioError as error:
        message = str(error)
    else:
        return
    assert "\n" not in message
    assert message.startswith(str(tmp_path.resolve()))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(LINES, max_size=8))
def test_malformed_documents_fail_cleanly(tmp_path: Path, lines: list[str]) -> None:
    path = write(tmp_path, "fuzz.toml", "\n".join(lines) + "\n")
    fails_cleanly(path, tmp_path)


def test_bad_paths_are_scenario_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "nul.toml", 'name = "x"\nextends = "a\\u0000.toml"\n')
    assert error_of(path) == (
        f"{path}: extends: bad path 'a\\x00.toml' (embedded null byte) - fix the path"
    )


def test_tier_settings_convert(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tiers.toml",
        'name = "x"\ntiers = ["community_hospital"]\n[tier.community_hospital]\n'
        "standard_minutes = 20\nupgrade_cost_cny = 1e7\nbudget_cny = 5e7\nmin_per_city = 1\n"
        'candidate_county_types = ["district"]\n',
    )
    rules = to_planning_rules(load_scenario(path).scenario)
    assert rules.tier_names == ("community_hospital",)
    plan = rules.plan("community_hospital")
    assert plan.standard_minutes == 20.0
    assert plan.upgrade_cost_cny == 1e7
    assert plan.budget_cny == 5e7
    assert plan.min_per_city == 1
    # county types of the planned tiers; county_3a has no county-type default since issue 13
    # (was county, county_level_city): its candidates are the hospitals of areas that are their
    # own service area (planning.upgrades.own_area_candidates)
    assert rules.candidate_county_types == {"community_hospital": ("district",)}
    assert PlanningRules().candidate_county_types == {}


SCALARS = st.one_of(
    st.sampled_from(["x", "0701", "baseline", "county_3a", "rural", "highs", "equity"]),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
)
FIELDS = st.sampled_from(
    [
        "name",
        "tier",
        "tiers",
        "travel",
        "speed_factor",
        "rural",
        "solver",
        "rules",
        "exclude",
        "county_3a",
        "budget_cny",
        "weight",
        "x",
        "extends",
    ]
)
DOCUMENTS = st.dictionaries(
    FIELDS,
    st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELDS, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=6,
)


def to_toml(value: object) -> str:
    """Inline TOML of a generated value (JSON strings are valid TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {to_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(to_toml(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value) if "." in repr(value) or "e" in repr(value) else f"{value}.0"
    return json.dumps(value)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=DOCUMENTS)
def test_random_settings_fail_cleanly(tmp_path: Path, document: dict[str, object]) -> None:
    text = "".join(f"{json.dumps(k)} = {to_toml(v)}\n" for k, v in document.items())
    path = write(tmp_path, "random.toml", text)
    fails_cleanly(path, tmp_path)
