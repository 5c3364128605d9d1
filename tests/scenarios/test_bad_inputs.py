"""Bad input through the command line, as a planner types it: never a traceback, one line.

Two seeded generators (issue 11):

* every bad scenario file of `test_scenario_strict.bad_cases` (240 files: wrong types, ranges,
  unknown keys, broken TOML, BOMs, contradictions, bad ``extends`` chains, errors in parent
  files) through ``healthplan validate --quick`` and ``healthplan run``;
* `cli_cases`: bad command lines (unknown options, missing arguments, bad ``--budgets``,
  output folders that must not be written, folders and files that are not runs, scenarios or
  datasets, Rich markup in user text).

The facility-table generator (161 files through ``healthplan data validate`` and the loader)
is in ``tests/geodata/test_strict_tables.py``. Every case must exit with code 2 and print
exactly one line, ``error: ...``, on stderr, naming the file or option at fault.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_scenario_strict import BAD as BAD_SCENARIOS
from typer.testing import CliRunner

from scenarios.cli import app
from scenarios.scenario import PRESETS_DIR

cli = CliRunner()
SEED = 7
N_CLI = 120


def error_line(stderr: str, label: str) -> str:
    """The one ``error:`` line of `stderr` (progress lines ``- ...`` aside)."""
    assert "Traceback" not in stderr, label
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("- ")]
    assert len(lines) == 1, f"{label}: {stderr}"
    assert lines[0].startswith("error: "), f"{label}: {stderr}"
    return lines[0]


def check(args: list[str], label: str) -> str:
    result = cli.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{label}: {result.exception!r}"
    )
    assert result.exit_code == 2, f"{label}: exit {result.exit_code}: {result.output}"
    return error_line(result.stderr, label)


@pytest.mark.parametrize("case", BAD_SCENARIOS, ids=[f"{i:03d}" for i in range(240)])
def test_bad_scenario_files_through_the_cli(tmp_path: Path, case: object) -> None:
    entry = case.make(tmp_path)  # type: ignore[attr-defined]
    label = case.label  # type: ignore[attr-defined]
    expected = f"error: {tmp_path / case.expect_file}: {case.expect_key}: "  # type: ignore[attr-defined]
    for command in (["validate", "--quick"], ["run", "-o", str(tmp_path / "out")]):
        line = check([*command, str(entry)], label)
        assert line.startswith(expected), f"{label}: {line}"
    assert not (tmp_path / "out").exists()


@dataclass(frozen=True)
class CliCase:
    """A bad command line; `expect` is a fragment the error line must contain."""

    label: str
    args: tuple[str, ...]
    expect: str
    setup: Callable[[Path], None] = field(default=lambda folder: None, compare=False)


def _files(contents: dict[str, str | bytes]) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        for name, data in contents.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")

    return make


_SUMMARIES: list[tuple[str, str]] = [
    ("a list", "[1, 2]"),
    ("a number", "5"),
    ("an empty object", "{}"),
    ("not JSON", "{plan: "),
    ("plan a list", '{"plan": [], "scenario": {}}'),
    ("tiers a list", '{"plan": {"tiers": []}, "scenario": {"settings": {"dataset": "x"}}}'),
    ("tier not a table", '{"plan": {"tiers": {"a": 1}}, "scenario": {"settings": {}}}'),
    ("kind centres", '{"kind": "centres"}'),
    ("binary", "\udcff"),
]
_BUDGETS = ["", ",", "x", "1e9,x", "nan", "inf", "-1", "1e9,,", "1e9;2e9", "1 000", "[1e9]"]
_OPTIONS = ["--bogus", "-x", "--forse", "--jsn", "--budget", "--output"]
_COMMANDS = [["run", "baseline"], ["validate"], ["compare"], ["sweep", "baseline"], ["data"]]


def cli_cases(seed: int = SEED, n: int = N_CLI) -> list[CliCase]:
    """`n` bad command lines, the same for the same seed."""
    rng = random.Random(seed)
    makers: list[Callable[[], CliCase]] = [
        lambda: CliCase(
            "unknown option",
            (*rng.choice(_COMMANDS), rng.choice(_OPTIONS), "x"),
            "",
        ),
        lambda: CliCase(
            "sweep --budgets",
            ("sweep", "baseline", "--budgets", rng.choice(_BUDGETS), "-o", "{d}/s"),
            "--budgets",
        ),
        lambda: CliCase("missing argument", (rng.choice(["run", "sweep", "compare"]),), "Missing"),
        lambda: _output_case(rng),
        lambda: CliCase(
            "not a healthplan folder",
            ("run", "baseline", "-o", "{d}/mine", "--force"),
            "not a result folder written by healthplan",
            _files({"mine/report.docx": b"my own work"}),
        ),
        lambda: CliCase(
            "compare a run onto itself",
            ("compare", "{d}/a", "{d}/b", "-o", rng.choice(["{d}/a", "{d}/b", "{d}"]), "--force"),
            "holds an input of this command",
            _files({"a/summary.json": "{}", "b/summary.json": "{}"}),
        ),
        lambda: _summary_case_with(rng),
        lambda: CliCase(
            "compare: not a run",
            ("compare", "{d}/x", "{d}/y", "-o", "{d}/c"),
            "no summary.json",
            _files({"x/notes.txt": "x", "y/notes.txt": "y"}),
        ),
        lambda: CliCase("compare: one run", ("compare", "{d}/x", "-o", "{d}/c"), "two or more"),
        lambda: CliCase(
            "scenario is a folder",
            (rng.choice(["run", "validate"]), "{d}/plan.toml"),
            "is a folder, not a scenario file",
            _files({"plan.toml/x": "x"}),
        ),
        lambda: CliCase(
            "no such scenario",
            ("validate", rng.choice(["nosuch", "{d}/nosuch.toml", "basline", "Baseline"])),
            "(file)",
        ),
        lambda: CliCase(
            "markup in the file name",
            ("validate", rng.choice(["{d}/[/x].toml", "{d}/[bold]b.toml", "{d}/[red"])),
            "[",
        ),
        lambda: CliCase(
            "data info",
            ("data", "info", rng.choice(["atlantis", "{d}/not.gpkg", "{d}/x.gpkg", "{d}"])),
            "",
            _files({"not.gpkg": "plain text, not a GeoPackage"}),
        ),
        lambda: CliCase(
            "data validate",
            (
                "data",
                "validate",
                rng.choice(["{d}/gone.csv", "{d}", "{d}/empty.csv", "{d}/t.csv"]),
                *rng.choice([(), ("--kind", "bogus"), ("--kind", "demand")]),
            ),
            "",
            _files({"empty.csv": "", "t.csv": "facility_id,name_zh\n"}),
        ),
    ]
    return [makers[i % len(makers)]() for i in range(n)]


def _output_case(rng: random.Random) -> CliCase:
    target, expect = rng.choice(
        [
            (".", "is the working directory"),
            ("{d}", "is the working directory"),
            ("~", "is the working directory"),  # HOME is the working directory here
            ("/", "holds the working directory"),
            ("", "-o: empty path"),
        ]
    )
    command = rng.choice([["run", "baseline"], ["sweep", "baseline", "--budgets", "1e9"]])
    return CliCase("output in the way", (*command, "-o", target, "--force"), expect)


def _summary_case_with(rng: random.Random) -> CliCase:
    what, text = rng.choice(_SUMMARIES)
    data = text.encode("utf-8", "surrogateescape")
    return CliCase(
        f"compare: summary.json {what}",
        ("compare", "{d}/a", "{d}/b", "-o", "{d}/c"),
        "summary",
        _files({"a/summary.json": data, "b/summary.json": data}),
    )


CLI_CASES = cli_cases()


def test_cli_generator_is_seeded_and_large() -> None:
    assert len(CLI_CASES) >= 100
    assert [(c.label, c.args) for c in cli_cases()] == [(c.label, c.args) for c in CLI_CASES]
    assert len(BAD_SCENARIOS) + len(CLI_CASES) >= 250


@pytest.mark.parametrize("case", CLI_CASES, ids=[f"{i:03d}" for i in range(N_CLI)])
def test_bad_command_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: CliCase) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    case.setup(tmp_path)
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    args = [arg.replace("{d}", str(tmp_path)) for arg in case.args]
    line = check(args, f"{case.label}: {args}")
    assert case.expect in line, f"{case.label}: {line}"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def test_markup_in_a_scenario_name_is_printed_literally(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('name = "[/x] [bold]b[/bold]"\nextends = "baseline"\n', encoding="utf-8")
    result = cli.invoke(app, ["validate", "--quick", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: OK ([/x] [bold]b[/bold])"


def test_a_summary_that_is_a_list_is_one_line(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps([1, 2]), encoding="utf-8")
    line = check(
        ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(tmp_path / "c")], "list"
    )
    assert line == (
        f"error: {tmp_path / 'a'}/summary.json: not a healthplan run summary (a JSON list) - "
        "pass a folder written by 'healthplan run'"
    )


def test_presets_are_never_written(tmp_path: Path) -> None:
    line = check(["run", "baseline", "-o", str(PRESETS_DIR), "--force"], "presets")
    assert "holds an input of this command" in line or "not a result folder" in line


def test_every_error_class_of_the_planner_layer_is_caught_by_the_cli() -> None:
    """One error base per package: an error class added anywhere in `scenarios` or
    `planning` cannot be forgotten by the CLI (``NetworkSpecError`` was: a traceback)."""
    import importlib
    import inspect
    import pkgutil

    import planning
    import scenarios
    from planning.errors import PlanningError
    from scenarios.cli import _user_errors
    from scenarios.errors import ScenariosError

    found = []
    for package, base in ((scenarios, ScenariosError), (planning, PlanningError)):
        prefix = f"{package.__name__}."
        for info in pkgutil.walk_packages(package.__path__, prefix):
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, Exception) and cls.__module__ == info.name:
                    found.append(cls)
                    assert issubclass(cls, base), cls
                    assert issubclass(cls, _user_errors()), cls
    names = {cls.__name__ for cls in found}
    expected = {"ScenarioError", "NetworkSpecError", "CompareError", "OutputError", "RuleError"}
    assert expected <= names


def test_an_infeasible_rule_set_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = tmp_path / "parent.toml"
    parent.write_text(
        'name = "p"\nextends = "baseline"\n[tier.township_central]\nmin_per_city = 60\n',
        encoding="utf-8",
    )
    child = tmp_path / "child.toml"
    child.write_text('name = "c"\nextends = "parent.toml"\n', encoding="utf-8")
    line = check(["validate", "--quick", str(child)], "parent")
    assert line.startswith(f"error: {parent}: tier.township_central.min_per_city: no plan"), line
    # a key only a shipped preset sets is named in the user's own file, where the fix goes
    child.write_text(
        'name = "c"\nextends = "baseline"\n[tier.township_central]\nmin_upgrades = 2000\n',
        encoding="utf-8",
    )
    line = check(["validate", "--quick", str(child)], "child")
    assert line.startswith(f"error: {child}: tier.township_central.min_upgrades: no plan"), line
