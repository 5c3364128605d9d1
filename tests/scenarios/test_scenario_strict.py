"""Issue 11: scenario inputs are checked strictly.

Wrong types are errors (no coercion of ``true`` to 1 or ``"1e9"`` to a number), settings that
contradict each other fail at load time, odd paths fail in one line, and every error names
the file that holds the bad key. A seeded generator derives bad files from the presets.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import geodata
from scenarios.errors import ScenariosError
from scenarios.scenario import (
    MAX_EXTENDS,
    PRESETS_DIR,
    CentresSettings,
    RulesSettings,
    Scenario,
    ScenarioError,
    SolverSettings,
    SpecialtiesSettings,
    TierSettings,
    TravelSettings,
    check_against_world,
    load_scenario,
)

PRESET_NAMES = sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))
PRESET_LIST = ", ".join(PRESET_NAMES)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path | str) -> str:
    """The one-line message of loading `path` (which must fail with a `ScenarioError`)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert "\r" not in message
    return message


def scenario(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    return write(tmp_path, name, f'name = "x"\n{text}')


# --- wrong types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "budget_cny = true",
            "budget_cny: true is a boolean, expected a number - write a number, not true/false",
        ),
        (
            "[travel]\ncutoff_minutes = true",
            (
                "travel.cutoff_minutes: true is a boolean, expected a number - write a number, "
                "not true/false"
            ),
        ),
        (
            'budget_cny = "1e9"',
            "budget_cny: '1e9' is text, expected a number - remove the quotes: budget_cny = 1e9",
        ),
        (
            'budget_cny = "lots"',
            "budget_cny: 'lots' is text, expected a number - write a number without quotes",
        ),
        (
            'carry_over = "yes"\nyearly_budgets_cny = [1e8]',
            (
                "carry_over: 'yes' is text, expected true or false - write true or false "
                "without quotes"
            ),
        ),
        (
            "[tier.county_3a]\nwithin_county = 1",
            (
                "tier.county_3a.within_county: 1 is an integer, expected true or false "
                "- write true or false"
            ),
        ),
        (
            "[tier.county_3a]\nevery_county = 0",
            "tier.county_3a.every_county: 0 is an integer, expected true or false",
        ),
        (
            "[tier.county_3a]\nmax_upgrades = 2.0",
            (
                "tier.county_3a.max_upgrades: 2.0 is a decimal number, expected a whole number "
                "- write 2"
            ),
        ),
        (
            "[tier.county_3a]\nmax_upgrades = 2.5",
            (
                "tier.county_3a.max_upgrades: 2.5 is a decimal number, expected a whole number "
                "- write a whole number"
            ),
        ),
        (
            "[tier.county_3a]\nmax_upgrades = true",
            "tier.county_3a.max_upgrades: true is a boolean, expected a whole number",
        ),
        (
            "[travel]\nspeed_factor = { rural = true }",
            "travel.speed_factor.rural: true is a boolean, expected a number",
        ),
        (
            "[travel]\nspeed_factor = { snow = 0.5 }",
            (
                "travel.speed_factor.snow: unknown key 'snow' - use 'expressway', 'national', "
                "'rural' or 'ferry'"
            ),
        ),
        (
            "yearly_budgets_cny = [1e8, true]",
            "yearly_budgets_cny.1: true is a boolean, expected a number",
        ),
        (
            "yearly_budgets_cny = 1e8",
            (
                "yearly_budgets_cny: 100000000.0 is a decimal number, expected a list "
                "- write a list: yearly_budgets_cny = [100000000.0]"
            ),
        ),
        ('tiers = "county_3a"', "tiers: 'county_3a' is text, expected a list"),
        (
            "budget_cny = [1e9]",
            (
                "budget_cny: [1000000000.0] is a list, expected a number - write one number, not a "
                "list"
            ),
        ),
        (
            "budget_cny = { a = 1 }",
            "budget_cny: { a = 1 } is a table, expected a number - write one number, not a table",
        ),
        ("budget_cny = 1979-05-27", "budget_cny: 1979-05-27 is a date, expected a number"),
        ("travel = 5", "travel: 5 is an integer, expected a table - write a [travel] table"),
        ("[tier]\ncounty_3a = 5", "tier.county_3a: 5 is an integer, expected a table"),
        ("description = 5", 'description: 5 is an integer, expected text - quote it: "5"'),
        ("objective = 5", "objective: 5 is an integer, expected one of 'coverage', "),
        ("[solver]\nname = true", "solver.name: true is a boolean, expected one of 'highs' or"),
        ("extends = 5", "extends: 5 is an integer, expected a file or preset name"),
        ('[specialties]\nquota = { national = "30" }', "specialties.quota.national: '30' is text"),
        ("[specialties]\nmin_per_city = { county = 1.5 }", "specialties.min_per_city.county"),
        (
            "[centres]\nstandard_minutes = { stroke = false }",
            "centres.standard_minutes.stroke: false is a boolean, expected a number",
        ),
        ("[centres]\nper_city = 1", "centres.per_city: 1 is an integer, expected true or false"),
        ("[centres]\nelderly_weight = true", "centres.elderly_weight: true is a boolean"),
        ("budget_cny = nan", "budget_cny: nan is not a finite number - write a finite number"),
        ("[solver]\nmip_gap = inf", "solver.mip_gap: inf is not a finite number"),
        ("tiers = []", "tiers: [] is an empty list - list at least one value"),
        ('name = ""', "name: '' is empty text - write some text"),
        (
            "[tier.county_3a]\nmin_county_coverage = nan",
            "tier.county_3a.min_county_coverage: nan is not a finite number",
        ),
    ],
)
def test_wrong_types_are_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = scenario(tmp_path, text + "\n")
    if text.startswith("name ="):
        path = write(tmp_path, "s.toml", text + "\n")
    message = error_of(path)
    assert message.startswith(f"{path}: ")
    assert expected in message, message


def test_ints_count_where_numbers_are_expected(tmp_path: Path) -> None:
    ints = scenario(
        tmp_path,
        "budget_cny = 1500000000\nyearly_budgets_cny = [300000000, 0]\n"
        "[travel]\ncutoff_minutes = 120\nspeed_factor = { rural = 1 }\n"
        "[tier.county_3a]\nstandard_minutes = 60\nweight = 2\nmin_county_coverage = 0\n"
        "[solver]\ntime_limit_s = 60\nmip_gap = 0\n",
        "ints.toml",
    )
    floats = scenario(
        tmp_path,
        "budget_cny = 1.5e9\nyearly_budgets_cny = [3e8, 0.0]\n"
        "[travel]\ncutoff_minutes = 120.0\nspeed_factor = { rural = 1.0 }\n"
        "[tier.county_3a]\nstandard_minutes = 60.0\nweight = 2.0\nmin_county_coverage = 0.0\n"
        "[solver]\ntime_limit_s = 60.0\nmip_gap = 0.0\n",
        "floats.toml",
    )
    a, b = load_scenario(ints), load_scenario(floats)
    assert a.scenario == b.scenario
    assert a.sha256 == b.sha256
    assert isinstance(a.scenario.budget_cny, float)
    assert isinstance(a.scenario.travel.speed_factor["rural"], float)


# --- contradictions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[travel]\ncutoff_minutes = 45",
            (
                "tier.county_3a.standard_minutes: 60 min (the default) is above "
                "travel.cutoff_minutes = 45, so people 45-60 min away would count as not covered "
                "- raise travel.cutoff_minutes to at least 60 or lower the standard"
            ),
        ),
        (
            "[travel]\ncutoff_minutes = 90\n[tier.township_central]\nstandard_minutes = 100",
            "tier.township_central.standard_minutes: 100 min is above travel.cutoff_minutes = 90",
        ),
        (
            'kind = "centres"\n[centres]\nstandard_minutes = { stroke = 150 }',
            "centres.standard_minutes.stroke: 150 min is above travel.cutoff_minutes = 120",
        ),
        (
            'kind = "centres"\n[travel]\ncutoff_minutes = 50',
            (
                "centres.standard_minutes.chest_pain: 60 min (the default) is above "
                "travel.cutoff_minutes = 50"
            ),
        ),
        (
            'tiers = ["county_3a", "township_central", "county_3a"]',
            "tiers: 'county_3a' is listed twice - list each tier once",
        ),
        (
            'kind = "centres"\n[centres]\ntypes = ["stroke", "stroke"]',
            "centres.types: 'stroke' is listed twice - list each centre type once",
        ),
        (
            'kind = "centres"\n[rules]\nrequire = ["H-001"]',
            (
                'rules.require: applies to kind = "upgrade" only, this scenario is '
                'kind = "centres" - remove it'
            ),
        ),
        (
            'kind = "specialties"\n[rules]\nexclude = ["H-001"]',
            'rules.exclude: applies to kind = "upgrade" only',
        ),
    ],
)
def test_contradictions_fail_at_load_time(tmp_path: Path, text: str, expected: str) -> None:
    path = scenario(tmp_path, text + "\n")
    message = error_of(path)
    assert message.startswith(f"{path}: ")
    assert expected in message, message


def test_standards_are_checked_only_where_they_are_used(tmp_path: Path) -> None:
    # A centres run does not plan the upgrade tiers, a specialties run computes its own times.
    centres = scenario(
        tmp_path,
        'kind = "centres"\n[travel]\ncutoff_minutes = 50\n'
        "[centres]\nstandard_minutes = { chest_pain = 45, stroke = 45, maternal = 45, "
        "neonatal_child = 45, trauma = 50 }\n",
        "centres.toml",
    )
    assert load_scenario(centres).scenario.travel.cutoff_minutes == 50.0
    specialties = scenario(
        tmp_path, 'kind = "specialties"\n[travel]\ncutoff_minutes = 20\n', "spec.toml"
    )
    load_scenario(specialties)
    equal = scenario(tmp_path, "[travel]\ncutoff_minutes = 60\n", "equal.toml")
    load_scenario(equal)


def test_total_and_yearly_budgets_combine(tmp_path: Path) -> None:
    # The total is a cap on the sum of the years (optimizer/upgrade/_model.py): any
    # combination is a plan the model can solve, so none is rejected.
    for total, years in (("1e8", "[3e8, 3e8]"), ("1e10", "[3e8]"), ("0", "[0, 0]")):
        path = scenario(tmp_path, f"budget_cny = {total}\nyearly_budgets_cny = {years}\n")
        load_scenario(path)


# --- tracebacks ---------------------------------------------------------------------------


def test_long_extends_chain(tmp_path: Path) -> None:
    n = 1500
    for i in range(n):
        extends = f'extends = "c{i + 1}.toml"\n' if i < n - 1 else ""
        write(tmp_path, f"c{i}.toml", f'name = "c{i}"\n{extends}')
    message = error_of(tmp_path / "c0.toml")
    assert message == (
        f"{tmp_path / f'c{MAX_EXTENDS - 1}.toml'}: extends: more than {MAX_EXTENDS} files in "
        "the extends chain - shorten the chain (a preset counts too)"
    )
    ok = MAX_EXTENDS
    assert len(load_scenario(tmp_path / f"c{n - ok}.toml").chain) == ok


def test_symlink_loops(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b.toml", tmp_path / "a.toml")
    os.symlink(tmp_path / "a.toml", tmp_path / "b.toml")
    message = error_of(tmp_path / "a.toml")
    assert message == (
        f"{tmp_path / 'a.toml'}: (file): symlink loop - point the link at a scenario file"
    )
    child = scenario(tmp_path, 'extends = "a.toml"\n', "child.toml")
    assert error_of(child) == (
        f"{child}: extends: 'a.toml' is a symlink loop - point the link at a scenario file"
    )


def test_a_folder_is_not_a_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plans.toml").mkdir()
    assert error_of(tmp_path / "plans.toml") == (
        f"{tmp_path / 'plans.toml'}: (file): is a folder, not a scenario file - give a .toml "
        f"file or one of the presets: {PRESET_LIST}"
    )
    child = scenario(tmp_path, 'extends = "plans.toml"\n', "child.toml")
    assert error_of(child) == (
        f"{child}: extends: {str(tmp_path / 'plans.toml')!r} is a folder, not a scenario file "
        "- check the path"
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    assert error_of("mine") == (
        f"{tmp_path / 'mine'}: (file): is a folder, not a scenario file - give a .toml file "
        f"or one of the presets: {PRESET_LIST}"
    )


def test_bare_names_are_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").mkdir()
    assert load_scenario("baseline").source_path == PRESETS_DIR / "baseline.toml"
    assert load_scenario(Path("baseline")).source_path == PRESETS_DIR / "baseline.toml"
    assert error_of("./baseline").endswith(
        f"(file): is a folder, not a scenario file - give a .toml file or one of the presets: "
        f"{PRESET_LIST}"
    )
    assert error_of("baselin") == (
        f"{tmp_path / 'baselin'}: (file): no preset or file named 'baselin' - did you mean "
        f"'baseline'? The presets: {PRESET_LIST}"
    )
    assert error_of("zzz") == (
        f"{tmp_path / 'zzz'}: (file): no preset or file named 'zzz' - use a .toml file or "
        f"one of the presets: {PRESET_LIST}"
    )
    # A file without a suffix still loads when no preset has its name.
    write(tmp_path, "mine", 'name = "mine"\n')
    assert load_scenario("mine").scenario.name == "mine"


# --- messages -----------------------------------------------------------------------------


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "bom"\nextends = "baseline"\n')
    assert load_scenario(path).scenario.name == "bom"
    bad = tmp_path / "bombad.toml"
    bad.write_bytes('\ufeffname = "x"\nbudget_cny = true\n'.encode())
    assert "budget_cny: true is a boolean" in error_of(bad)
    broken = tmp_path / "bomsyntax.toml"
    broken.write_bytes('\ufeffname = "x\n'.encode())
    assert error_of(broken) == (
        f"{broken}: (toml): Illegal character '\\n' (at line 1, column 10) "
        "- fix the TOML syntax there"
    )


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes('name = "x"\ndescription = "é"\n'.encode("latin-1"))
    assert error_of(path) == (
        f"{path}: (file): not UTF-8 text (byte 0xe9 at line 2, column 16) "
        "- save it as UTF-8 (Notepad: Save as, Encoding UTF-8)"
    )
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + 'name = "\xe9"\n'.encode("latin-1"))
    assert "(file): not UTF-8 text (byte 0xe9 at line 1, column 9)" in error_of(bom)


def test_toml_syntax_errors_are_one_line(tmp_path: Path) -> None:
    path = scenario(tmp_path, "budget_cny = = 5\n")
    message = error_of(path)
    assert re.fullmatch(
        rf"{re.escape(str(path))}: \(toml\): .+ \(at line 2, column \d+\) - fix the TOML "
        "syntax there",
        message,
    ), message


@pytest.mark.parametrize(
    ("parent_text", "key"),
    [
        ("budget_cny = -5\n", "budget_cny"),
        ("budget_cny = true\n", "budget_cny"),
        ('[tier.county_3a]\nmax_upgrades = "3"\n', "tier.county_3a.max_upgrades"),
        ("[rules]\nexclude = [1]\n", "rules.exclude.0"),
        ("[travel]\nspeed_factor = { national = true }\n", "travel.speed_factor.national"),
        ("[travel]\ncutoff_minutes = 45\n", "tier.county_3a.standard_minutes"),
        ('tiers = ["county_3a", "county_3a"]\n', "tiers"),
        ("[tier.county_3a]\nmin_upgrades = 5\nmax_upgrades = 2\n", "tier.county_3a.min_upgrades"),
    ],
)
def test_errors_in_a_parent_name_the_parent(tmp_path: Path, parent_text: str, key: str) -> None:
    parent = write(tmp_path, "parent.toml", f'name = "p"\n{parent_text}')
    child = write(
        tmp_path,
        "child.toml",
        'extends = "parent.toml"\nname = "c"\n[tier.county_3a]\nweight = 2\n'
        "[travel]\nspeed_factor = { rural = 0.9 }\n",
    )
    message = error_of(child)
    assert message.startswith(f"{parent}: {key}: "), message


def test_child_fixes_a_parent_value(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", 'name = "p"\n[travel]\ncutoff_minutes = 45\n')
    child = write(
        tmp_path, "child.toml", 'extends = "parent.toml"\n[travel]\ncutoff_minutes = 90\n'
    )
    assert load_scenario(child).scenario.travel.cutoff_minutes == 90.0


def test_errors_in_a_child_name_the_child(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", 'name = "p"\n[tier.county_3a]\nmax_upgrades = 3\n')
    child = write(
        tmp_path, "child.toml", 'extends = "parent.toml"\n[tier.county_3a]\nweight = "2"\n'
    )
    assert error_of(child).startswith(f"{child}: tier.county_3a.weight: '2' is text")
    lowered = write(
        tmp_path, "low.toml", 'extends = "parent.toml"\n[travel]\ncutoff_minutes = 50\n'
    )
    assert error_of(lowered).startswith(f"{lowered}: tier.county_3a.standard_minutes: ")


def test_markup_in_user_text_is_plain_text(tmp_path: Path) -> None:
    path = write(tmp_path, "rich.toml", 'name = "[/x]"\ndescription = "[bold]b[/]"\n')
    assert load_scenario(path).scenario.name == "[/x]"
    bad = write(tmp_path, "richbad.toml", 'name = "x"\nbudget_cny = "[/x]"\n')
    assert "budget_cny: '[/x]' is text, expected a number" in error_of(bad)
    odd = write(tmp_path, "odd.toml", 'name = "x"\nobjective = "[red]\\nmax"\n')
    message = error_of(odd)
    assert "objective: unknown value '[red]\\nmax'" in message


# --- rules.require against the world ------------------------------------------------------


@pytest.fixture(scope="module")
def liaoning() -> geodata.Dataset:
    return geodata.load_dataset("liaoning")


def world_error(path: Path, world: geodata.Dataset) -> str:
    with pytest.raises(ScenarioError) as info:
        check_against_world(load_scenario(path), world)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_required_city_hospital_is_not_a_candidate(
    tmp_path: Path, liaoning: geodata.Dataset
) -> None:
    path = scenario(tmp_path, '[rules]\nrequire = ["H-001"]\n')
    assert world_error(path, liaoning) == (
        f"{path}: rules.require: facility 'H-001' (中国医科大学附属口腔医院) is a city_3a, not "
        "a candidate of any planned tier (township_central: township_health_center, "
        "community_health_center; county_3a: county_hospital) - remove it: no tier upgrades "
        "a city_3a"
    )


def test_required_community_centre_needs_its_tier(
    tmp_path: Path, liaoning: geodata.Dataset
) -> None:
    path = scenario(tmp_path, '[rules]\nrequire = ["CHC-210102001"]\n')
    assert world_error(path, liaoning) == (
        f"{path}: rules.require: facility 'CHC-210102001' (浑河湾街道社区卫生服务中心) is a "
        "community_health_center but no candidate: its township is served by the "
        "community_hospital tier, not township_central - remove it or plan its tier: "
        "add 'community_hospital' to tiers"
    )
    planned = scenario(
        tmp_path,
        'tiers = ["township_central", "county_3a", "community_hospital"]\n'
        '[rules]\nrequire = ["CHC-210102001"]\n',
        "planned.toml",
    )
    check_against_world(load_scenario(planned), liaoning)


def test_required_site_outside_the_county_types(tmp_path: Path, liaoning: geodata.Dataset) -> None:
    path = scenario(tmp_path, '[rules]\nrequire = ["CH-210102"]\n')
    assert world_error(path, liaoning) == (
        f"{path}: rules.require: facility 'CH-210102' (和平区人民医院) is a county_hospital but "
        "no candidate: it stands in a core urban district (urban-210100), and tier county_3a "
        "takes candidates of areas that are their own county medical community area only - "
        "remove it"
    )
    allowed = scenario(
        tmp_path,
        '[tier.county_3a]\ncandidate_county_types = ["district", "county"]\n'
        '[rules]\nrequire = ["CH-210102"]\n',
        "allowed.toml",
    )
    check_against_world(load_scenario(allowed), liaoning)


def test_required_ids_that_are_candidates_pass(tmp_path: Path, liaoning: geodata.Dataset) -> None:
    path = scenario(tmp_path, '[rules]\nrequire = ["THC-210115101"]\nexclude = ["H-001"]\n')
    check_against_world(load_scenario(path), liaoning)


def test_require_error_names_the_file_that_sets_it(
    tmp_path: Path, liaoning: geodata.Dataset
) -> None:
    parent = write(tmp_path, "parent.toml", 'name = "p"\n[rules]\nrequire = ["H-002"]\n')
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\nbudget_cny = 1e9\n')
    assert world_error(child, liaoning).startswith(f"{parent}: rules.require: facility 'H-002'")
    unknown = write(tmp_path, "unknown.toml", 'name = "p"\n[rules]\nexclude = ["NOPE"]\n')
    kid = write(tmp_path, "kid.toml", 'extends = "unknown.toml"\n')
    assert world_error(kid, liaoning).startswith(f"{unknown}: rules.exclude: unknown facility")


# --- a seeded generator of bad scenario files ---------------------------------------------
#
# Each case starts from a preset (parsed, mutated, written back as TOML) and names the file
# and the key that its error must name. Families: wrong types for every field, values out of
# range, unknown keys, broken TOML, a byte order mark before an error, non-UTF-8 bytes,
# contradictions, bad extends and bad paths. The error may sit in the file loaded or in a
# parent that it extends.

SEED = 11
N_BAD = 240


class Raw(str):
    """A value written into the TOML verbatim (a wrong type, a broken literal)."""


def toml_string(text: str) -> str:
    """A TOML basic string (JSON escapes all control characters but DEL)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: object) -> str:  # noqa: PLR0911 - one return per TOML type
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, dt.date):
        return value.isoformat()
    msg = f"cannot write {value!r}"
    raise TypeError(msg)


def dump(doc: dict[str, Any]) -> str:
    """`doc` as TOML: values first, then one ``[table]`` per nested table."""
    lines: list[str] = []

    def emit(table: dict[str, Any], prefix: tuple[str, ...]) -> None:
        if prefix:
            lines.append(f"[{'.'.join(prefix)}]")
        for key, value in table.items():
            if not isinstance(value, dict):
                lines.append(f"{key} = {toml_value(value)}")
        for key, value in table.items():
            if isinstance(value, dict):
                emit(value, (*prefix, key))

    emit(doc, ())
    return "\n".join(lines) + "\n"


def preset_doc(name: str) -> dict[str, Any]:
    with (PRESETS_DIR / f"{name}.toml").open("rb") as stream:
        return tomllib.load(stream)


def set_path(doc: dict[str, Any], path: tuple[str | int, ...], value: object) -> None:
    """Set `path` in `doc`, making tables on the way (an int part makes a one-item list)."""
    if isinstance(path[-1], int):
        set_path(doc, path[:-1], Raw(f"[{toml_value(value)}]"))
        return
    node = doc
    for part in path[:-1]:
        child = node.get(str(part))
        if not isinstance(child, dict):
            child = {}
            node[str(part)] = child
        node = child
    node[str(path[-1])] = value


def strip(tp: Any) -> Any:
    """`tp` without Annotated and None."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            tp = args[0]
        else:
            return tp


def scalar_kind(tp: Any) -> str:
    tp = strip(tp)
    if get_origin(tp) is Literal:
        return "literal"
    return {bool: "bool", int: "int", float: "float", str: "text"}[tp]


def slots(model: type[BaseModel] = Scenario, prefix: tuple[str | int, ...] = ()) -> list[Slot]:
    """Every value a scenario file can set, with its kind: all fields of all settings models,
    the values of their tables and the items of their lists."""
    out: list[Slot] = []
    for name, info in model.model_fields.items():
        if model is Scenario and name == "extends":
            continue  # resolved before validation: the extends family covers it
        path = (*prefix, name)
        tp = strip(info.annotation)
        origin = get_origin(tp)
        if model is Scenario and name == "tier":
            out.append((path, "table"))
            out.append(((*path, "county_3a"), "table"))
            out.extend(slots(TierSettings, (*path, "county_3a")))
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            out.append((path, "table"))
            out.extend(slots(tp, path))
        elif origin is dict:
            key_type, value_type = get_args(tp)
            out.append((path, "table"))
            out.append(((*path, get_args(strip(key_type))[0]), scalar_kind(value_type)))
        elif origin is tuple:
            out.append((path, "list"))
            out.append(((*path, 0), scalar_kind(get_args(tp)[0])))
        else:
            out.append((path, scalar_kind(tp)))
    return out


Slot = tuple[tuple[str | int, ...], str]
SLOTS = slots()
#: Values of the wrong type for each kind of slot, as written in TOML.
WRONG = {
    "float": ["true", "false", '"1e9"', '"60"', '"lots"', "[1]", "{ a = 1 }", "1979-05-27"],
    "int": ["true", "2.5", "2.0", '"3"', "[3]", "{ a = 1 }", "07:32:00"],
    "bool": ["1", "0", '"yes"', '"true"', "[true]", "1.0", "{ a = true }"],
    "text": ["5", "1.5", "true", '["x"]', "{ a = 1 }", "2024-01-01"],
    "literal": ["5", "true", '["coverage"]', '"nope"', "1.0", '"[/x]"'],
    "list": ['"x"', "5", "true", "{ a = 1 }"],
    "table": ["5", '"x"', "[1]", "true", "1979-05-27T07:32:00Z"],
}
#: Values of the right type out of range, per kind (every number here is non-negative).
OUT_OF_RANGE = {"float": ["-1", "nan", "inf", "-inf", "-0.5"], "int": ["-1", "-7"]}
BROKEN_TOML = [
    'name = "duplicate"',
    "budget_cny = = 5",
    "[travel",
    'description = "unterminated',
    "[solver]\n[solver]",
    'name = "a\x01b"',
    "x = 1979-13-45",
    "key with space = 1",
    'tiers = ["county_3a",',
    "= 5",
    # Not "[[tier]]": valid TOML (an array of tables) where no [tier.*] table precedes it.
    "[[name]]",
    "a = { b = 1, b = 2 }",
    "budget_cny = 1_",
    "budget_cny = 0x",
]
UPGRADE_PRESETS = [n for n in PRESET_NAMES if preset_doc(n).get("kind", "upgrade") == "upgrade"]


@dataclass(frozen=True)
class Case:
    """A bad scenario: its files and what its error must name."""

    label: str
    files: tuple[tuple[str, bytes], ...]
    expect_key: str
    entry: str = "s.toml"
    expect_file: str = "s.toml"
    links: tuple[tuple[str, str], ...] = ()
    dirs: tuple[str, ...] = ()

    def make(self, folder: Path) -> Path:
        for name in self.dirs:
            (folder / name).mkdir()
        for name, data in self.files:
            (folder / name).write_bytes(data)
        for name, target in self.links:
            os.symlink(folder / target, folder / name)
        return folder / self.entry


def one(label: str, doc: dict[str, Any], key: str, *, text: str | None = None) -> Case:
    body = dump(doc) if text is None else text
    return Case(label, (("s.toml", body.encode()),), key)


def wrong_type(rng: random.Random, base: str) -> Case:
    path, kind = rng.choice(SLOTS)
    value = rng.choice(WRONG[kind])
    doc = preset_doc(base)
    set_path(doc, path, Raw(value))
    return one(f"{base}: {path} = {value}", doc, ".".join(map(str, path)))


def out_of_range(rng: random.Random, base: str) -> Case:
    path, kind = rng.choice([s for s in SLOTS if s[1] in OUT_OF_RANGE])
    value = rng.choice(OUT_OF_RANGE[kind])
    doc = preset_doc(base)
    set_path(doc, path, Raw(value))
    return one(f"{base}: {path} = {value}", doc, ".".join(map(str, path)))


def unknown_key(rng: random.Random, base: str) -> Case:
    tables: dict[str, type[BaseModel]] = {
        "": Scenario,
        "travel": TravelSettings,
        "solver": SolverSettings,
        "rules": RulesSettings,
        "centres": CentresSettings,
        "specialties": SpecialtiesSettings,
        "tier.county_3a": TierSettings,
    }
    table = rng.choice(sorted(tables))
    fields = list(tables[table].model_fields)
    word = rng.choice(fields)
    cut = rng.randrange(len(word))
    bogus = word[:cut] + word[cut + 1 :]
    while bogus in fields or not bogus:
        bogus += "x"
    doc = preset_doc(base)
    path = (*table.split("."), bogus) if table else (bogus,)
    set_path(doc, path, 1)
    return one(f"{base}: unknown {path}", doc, ".".join(path))


def unknown_tier(rng: random.Random, base: str) -> Case:
    name = rng.choice(["county3a", "clinic", "township", "tertiary", "County_3a"])
    doc = preset_doc(base)
    set_path(doc, ("tier", name, "weight"), 2)
    return one(f"{base}: tier.{name}", doc, f"tier.{name}")


def broken_toml(rng: random.Random, base: str) -> Case:
    line = rng.choice(BROKEN_TOML)
    text = dump(preset_doc(base)) + line + "\n"
    if rng.random() < 0.5:  # the same in the middle of the file
        head, _, tail = text.partition("\n")
        text = f"{head}\n{line}\n{tail}"
    return one(f"{base}: broken {line!r}", {}, "(toml)", text=text)


def bom_and_error(rng: random.Random, base: str) -> Case:
    inner = rng.choice([wrong_type, out_of_range, unknown_key, broken_toml, contradiction])
    case = inner(rng, base)
    name, data = case.files[0]
    return replace(case, label=f"BOM + {case.label}", files=((name, b"\xef\xbb\xbf" + data),))


def not_utf8(rng: random.Random, base: str) -> Case:
    text = dump(preset_doc(base))
    choice = rng.randrange(3)
    if choice == 0:
        data = (text + 'description = "Liaoning é"\n').replace("description", "#", 1)
        data_bytes = data.encode("latin-1", errors="replace")
    elif choice == 1:
        data_bytes = text.encode("utf-16")
    else:
        data_bytes = text.encode() + b'name2 = "\xff\xfe"\n'
    return Case(f"{base}: not UTF-8 ({choice})", (("s.toml", data_bytes),), "(file)")


def contradiction(  # noqa: PLR0911 - one return per mutation
    rng: random.Random, base: str
) -> Case:
    doc = preset_doc(base)
    kind = doc.get("kind", "upgrade")
    if kind == "centres":
        return centre_contradiction(rng, base, doc)
    if kind == "specialties":
        ids = rng.choice(["require", "exclude"])
        set_path(doc, ("rules", ids), ["H-001"])
        return one(f"{base}: rules on specialties", doc, f"rules.{ids}")
    tiers = list(doc.get("tiers", ["township_central", "county_3a"]))
    choice = rng.randrange(6)
    if choice == 0:
        cutoff = round(rng.uniform(1, 59.5), 1)
        set_path(doc, ("travel", "cutoff_minutes"), cutoff)
        first = next(t for t in tiers if {"township_central": 30, "county_3a": 60}[t] > cutoff)
        return one(f"{base}: cutoff {cutoff}", doc, f"tier.{first}.standard_minutes")
    if choice == 1:
        tier = rng.choice(tiers)
        set_path(doc, ("tier", tier, "standard_minutes"), rng.randint(121, 600))
        return one(f"{base}: standard above cutoff", doc, f"tier.{tier}.standard_minutes")
    if choice == 2:
        doc["tiers"] = [*tiers, rng.choice(tiers)]
        return one(f"{base}: repeated tier", doc, "tiers")
    if choice == 3:
        tier = rng.choice(tiers)
        low, high = rng.choice([("min_upgrades", "max_upgrades"), ("min_per_city", "max_per_city")])
        set_path(doc, ("tier", tier, low), 5)
        set_path(doc, ("tier", tier, high), rng.randint(0, 4))
        return one(f"{base}: {low} above {high}", doc, f"tier.{tier}.{low}")
    if choice == 4:
        doc["rules"] = {"exclude": ["THC-210115101"], "require": ["THC-210115101"]}
        return one(f"{base}: excluded and required", doc, "rules.require")
    doc["tiers"] = ["county_3a"]
    doc.pop("tier", None)
    set_path(doc, ("tier", "township_central", "weight"), 2)
    return one(f"{base}: settings of an unplanned tier", doc, "tier.township_central")


def centre_contradiction(rng: random.Random, base: str, doc: dict[str, Any]) -> Case:
    types = list(doc["centres"]["types"])
    choice = rng.randrange(4)
    if choice == 0:
        centre = rng.choice(types)
        set_path(doc, ("centres", "standard_minutes", centre), rng.randint(121, 300))
        return one(f"{base}: centre standard", doc, f"centres.standard_minutes.{centre}")
    if choice == 1:
        set_path(doc, ("travel", "cutoff_minutes"), rng.randint(10, 59))
        return one(f"{base}: low cutoff", doc, f"centres.standard_minutes.{types[0]}")
    if choice == 2:
        doc["centres"]["types"] = [*types, rng.choice(types)]
        return one(f"{base}: repeated centre type", doc, "centres.types")
    set_path(doc, ("rules", "require"), ["H-001"])
    return one(f"{base}: rules on centres", doc, "rules.require")


def bad_extends(rng: random.Random, base: str) -> Case:
    doc = preset_doc(base)
    choice = rng.randrange(8)
    values = ['"nopreset"', '"missing.toml"', "5", "true", "[]", '""', '"folder.toml"']
    if choice < len(values) - 1:
        doc["extends"] = Raw(values[choice])
        return one(f"{base}: extends = {values[choice]}", doc, "extends")
    if choice == len(values) - 1:
        doc["extends"] = "folder.toml"
        case = one(f"{base}: extends a folder", doc, "extends")
        return replace(case, dirs=("folder.toml",))
    doc["extends"] = "loop.toml"
    case = one(f"{base}: extends a symlink loop", doc, "extends")
    return replace(case, links=(("loop.toml", "loop2.toml"), ("loop2.toml", "loop.toml")))


def cycle(rng: random.Random, base: str) -> Case:
    n = rng.randint(1, 4)
    files = []
    for i in range(n):
        doc = preset_doc(base) if i == 0 else {"name": f"f{i}"}
        doc["extends"] = f"f{(i + 1) % n}.toml"
        files.append((f"f{i}.toml", dump(doc).encode()))
    return Case(f"{base}: cycle of {n}", tuple(files), "extends", "f0.toml", f"f{n - 1}.toml")


def long_chain(rng: random.Random, base: str) -> Case:
    n = rng.randint(MAX_EXTENDS + 1, MAX_EXTENDS + 30)
    files = []
    for i in range(n):
        doc = {"name": f"c{i}", "extends": f"c{i + 1}.toml"} if i < n - 1 else preset_doc(base)
        files.append((f"c{i}.toml", dump(doc).encode()))
    last = f"c{MAX_EXTENDS - 1}.toml"
    return Case(f"{base}: chain of {n}", tuple(files), "extends", "c0.toml", last)


def in_parent(rng: random.Random, base: str) -> Case:
    inner = rng.choice([wrong_type, out_of_range, unknown_key, broken_toml, contradiction])
    case = inner(rng, base)
    child = b'extends = "parent.toml"\ndescription = "A child."\n'
    files = (("parent.toml", case.files[0][1]), ("s.toml", child))
    return replace(case, label=f"parent: {case.label}", files=files, expect_file="parent.toml")


def bad_entry(rng: random.Random, base: str) -> Case:
    choice = rng.randrange(3)
    if choice == 0:
        return Case(
            f"{base}: a folder",
            (),
            "(file)",
            entry="plan.toml",
            expect_file="plan.toml",
            dirs=("plan.toml",),
        )
    if choice == 1:
        links = (("s.toml", "t.toml"), ("t.toml", "s.toml"))
        return Case(f"{base}: symlink loop", (), "(file)", links=links)
    return Case(f"{base}: missing", (), "(file)", entry="gone.toml", expect_file="gone.toml")


FAMILIES: list[Callable[[random.Random, str], Case]] = [
    wrong_type,
    wrong_type,
    wrong_type,
    out_of_range,
    unknown_key,
    unknown_tier,
    broken_toml,
    bom_and_error,
    not_utf8,
    contradiction,
    contradiction,
    bad_extends,
    cycle,
    long_chain,
    in_parent,
    in_parent,
    bad_entry,
]


def bad_cases(seed: int = SEED, n: int = N_BAD) -> list[Case]:
    """`n` bad scenarios, the same for the same seed."""
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        family = FAMILIES[i % len(FAMILIES)]
        base = rng.choice(UPGRADE_PRESETS if family is cycle else PRESET_NAMES)
        cases.append(family(rng, base))
    return cases


BAD = bad_cases()


def test_generator_is_seeded_and_large() -> None:
    assert len(BAD) >= 150
    assert [c.label for c in bad_cases()] == [c.label for c in BAD]
    assert {c.label.split(":")[0] for c in BAD} >= set(PRESET_NAMES)


@pytest.mark.parametrize("case", BAD, ids=[f"{i:03d}" for i in range(len(BAD))])
def test_generated_bad_scenario(tmp_path: Path, case: Case) -> None:
    entry = case.make(tmp_path)
    try:
        load_scenario(entry)
    except ScenarioError as error:
        message = str(error)
    else:
        pytest.fail(f"{case.label}: loaded")
    assert "\n" not in message, case.label
    prefix = f"{tmp_path / case.expect_file}: {case.expect_key}: "
    assert message.startswith(prefix), f"{case.label}: {message}"


def test_every_field_rejects_every_wrong_type(tmp_path: Path) -> None:
    """Not sampled: each slot of each settings model with each wrong value of its kind."""
    wrong = []
    for path, kind in SLOTS:
        for value in [*WRONG[kind], *OUT_OF_RANGE.get(kind, [])]:
            doc = preset_doc("baseline")
            set_path(doc, path, Raw(value))
            file = write(tmp_path, "s.toml", dump(doc))
            key = ".".join(map(str, path))
            try:
                load_scenario(file)
            except ScenarioError as error:
                if not str(error).startswith(f"{file}: {key}: "):
                    wrong.append(f"{key} = {value}: {error}")
            else:
                wrong.append(f"{key} = {value}: loaded")
    assert not wrong, "\n".join(wrong)
    assert len(SLOTS) > 60


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_valid_mutations_still_load(tmp_path: Path, name: str) -> None:
    original = load_scenario(name)
    doc = preset_doc(name)
    for key, value in list(doc.items()):  # ints for integral floats (1.5e9 -> 1500000000)
        if isinstance(value, float) and value.is_integer():
            doc[key] = int(value)
    shuffled = dict(reversed(list(doc.items())))
    text = "# a comment\n" + dump(shuffled)
    variants = {
        "ints.toml": text.encode(),
        "bom.toml": b"\xef\xbb\xbf" + text.encode(),
        "crlf.toml": text.replace("\n", "\r\n").encode(),
    }
    for file, data in variants.items():
        (tmp_path / file).write_bytes(data)
        loaded = load_scenario(tmp_path / file)
        assert loaded.scenario == original.scenario, file
        assert loaded.sha256 == original.sha256, file


def test_a_child_may_fix_its_parent(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", 'extends = "baseline"\n[travel]\ncutoff_minutes = 30\n')
    child = write(
        tmp_path, "child.toml", 'extends = "parent.toml"\n[travel]\ncutoff_minutes = 60\n'
    )
    assert load_scenario(child).scenario.travel.cutoff_minutes == 60.0


# --- hypothesis ---------------------------------------------------------------------------

NUMBER_KEYS = [".".join(map(str, p)) for p, kind in SLOTS if kind == "float" and 0 not in p]
NOT_NUMBERS = st.one_of(
    st.booleans(),
    st.text(max_size=6).map(toml_string),
    st.lists(st.integers(0, 9), max_size=2).map(str),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.sampled_from(NUMBER_KEYS), value=NOT_NUMBERS)
def test_nothing_else_passes_as_a_number(tmp_path: Path, key: str, value: object) -> None:
    raw = Raw(toml_value(value) if isinstance(value, bool) else str(value))
    doc = preset_doc("baseline")
    set_path(doc, tuple(key.split(".")), raw)
    path = write(tmp_path, "h.toml", dump(doc))
    message = error_of(path)
    assert message.startswith(f"{path}: {key}: "), message


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    budget=st.one_of(
        st.integers(0, 10**15), st.floats(0, 1e15, allow_nan=False, allow_infinity=False)
    )
)
def test_any_finite_budget_loads(tmp_path: Path, budget: float) -> None:
    path = write(tmp_path, "h.toml", f'extends = "baseline"\nbudget_cny = {toml_value(budget)}\n')
    assert load_scenario(path).scenario.budget_cny == float(budget)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(st.characters(codec="utf-8"), min_size=1, max_size=20))
def test_any_name_is_kept_verbatim(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, "h.toml", f'extends = "baseline"\nname = {toml_string(name)}\n')
    assert load_scenario(path).scenario.name == name


def test_scenario_errors_are_user_errors() -> None:
    # The CLI prints any ScenariosError as one line; callers catch ValueError.
    assert issubclass(ScenarioError, ScenariosError)
    assert issubclass(ScenarioError, ValueError)
