"""Issue 11: scenario inputs are checked strictly.

Wrong types are errors (no coercion of ``true`` to 1 or ``"1e9"`` to a number), settings that
contradict each other fail at load time, odd paths fail in one line, and every error names
the file that holds the bad key. A seeded generator derives bad files from the presets.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import geodata
from scenarios.scenario import (
    MAX_EXTENDS,
    PRESETS_DIR,
    ScenarioError,
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
    # The total is a cap on the sum of the years (optimizer/_upgrade_model.py): any
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
        "a candidate of any planned tier (township_central: township_health_center; "
        "county_3a: county_hospital) - remove it: no tier upgrades a city_3a"
    )


def test_required_community_centre_needs_its_tier(
    tmp_path: Path, liaoning: geodata.Dataset
) -> None:
    path = scenario(tmp_path, '[rules]\nrequire = ["CHC-210102001"]\n')
    assert world_error(path, liaoning) == (
        f"{path}: rules.require: facility 'CHC-210102001' (浑河湾街道社区卫生服务中心) is a "
        "community_health_center, not a candidate of any planned tier (township_central: "
        "township_health_center; county_3a: county_hospital) - remove it or plan its tier: "
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
        f"{path}: rules.require: facility 'CH-210102' (和平区人民医院) is a county_hospital in a "
        "district, and tier county_3a takes candidates in county, county_level_city only "
        "- remove it or add 'district' to tier.county_3a.candidate_county_types"
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
