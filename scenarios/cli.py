"""The ``healthplan`` command line.

Errors a user can cause (bad files, bad data, bad usage) print one line on stderr and exit
with code 2; ``--debug`` shows the traceback instead. Ctrl-C or SIGTERM prints one line and
exits with 130, leaving every folder as it was. Machine-readable output goes to stdout with
``--json``. User text (names, paths) is printed literally, never read as Rich markup.
"""

from __future__ import annotations

import json
import math
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from geodata.errors import HealthplanDataError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["app"]


class _OneLineErrors(TyperGroup):
    """Usage errors (unknown option, missing argument) as one line ``error: ...``, exit 2."""

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except typer.TyperException as error:  # click's usage errors (vendored by typer)
            if type(error).__name__ == "NoArgsIsHelpError":
                sys.stdout.write(error.format_message() + "\n")
            else:
                where = getattr(getattr(error, "ctx", None), "command_path", "healthplan")
                message = " ".join(error.format_message().split())
                _print_error(f"{message} - see '{where} --help'")
            code = getattr(error, "exit_code", 2)
        except typer.Abort:
            _print_error("aborted")
            code = 1
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="healthplan",
    help="Plan health-facility upgrades for a province: data, scenarios, maps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect and validate datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")

_err = Console(stderr=True, markup=False, highlight=False)
_state: dict[str, bool] = {"debug": False}


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _print_error(message: str) -> None:
    """``error: <message>`` on stderr, on one line, the message printed literally."""
    line = " ".join(str(message).split())
    _err.print(Text.assemble(("error:", "bold red"), " ", line), soft_wrap=True)


def _fail(exc: Exception) -> None:
    if _state["debug"]:
        raise exc
    _print_error(str(exc))
    raise typer.Exit(code=2)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    from scenarios.rundir import request_interrupt

    request_interrupt()
    raise KeyboardInterrupt


def _interrupted(done: tuple[Path, ...]) -> NoReturn:
    """Report an interrupt in one line and exit with 130."""
    if done:
        _err.print(f"interrupted; {done[-1]} had already been written in full", soft_wrap=True)
    else:
        _err.print("interrupted; nothing was changed")
    raise typer.Exit(code=130) from None


@contextmanager
def _command() -> Iterator[None]:
    """Run a command body, reporting user errors and interrupts as one line.

    User errors exit with code 2, Ctrl-C and SIGTERM with 130. SIGTERM is turned into
    `KeyboardInterrupt` so every clean-up runs.
    """
    from scenarios.rundir import committed, interrupt_requested, request_interrupt

    before = len(committed())
    request_interrupt(False)
    previous = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[number] = signal.signal(number, _interrupt)
        except ValueError:  # not the main thread: leave signals alone
            break
    hook, sys.unraisablehook = sys.unraisablehook, _quiet_interrupts
    try:
        yield
    except KeyboardInterrupt:
        if _state["debug"]:
            raise
        _interrupted(committed()[before:])
    except Exception as exc:
        # A signal that lands inside a C extension's import or callback surfaces as that
        # library's own error (highspy: "ImportError: initialization failed"); the flag set
        # by the handler tells it apart from a real failure.
        if interrupt_requested() and not _state["debug"]:
            _interrupted(committed()[before:])
        if isinstance(exc, _user_errors()):
            _fail(exc)
        raise
    finally:
        sys.unraisablehook = hook
        for number, handler in previous.items():
            signal.signal(number, handler)


def _emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def _user_errors() -> tuple[type[Exception], ...]:
    """Return the errors a user causes and gets one line for (bugs keep their traceback).

    They are the error base of each package, and `OSError` (files).
    """
    from optimizer.errors import OptimizerError
    from planning.errors import PlanningError
    from scenarios.errors import ScenariosError

    return (ScenariosError, PlanningError, HealthplanDataError, OptimizerError, OSError)


def _progress() -> Callable[[str], None]:
    def show(line: str) -> None:
        from scenarios.rundir import interrupt_requested

        if interrupt_requested():  # an interrupt some library swallowed: stop here
            raise KeyboardInterrupt
        _err.print(Text(f"- {line}", style="dim"))

    return show


def _quiet_interrupts(unraisable: Any) -> None:
    """Drop a `KeyboardInterrupt` raised inside ``__del__``; report anything else as usual.

    A `sys.unraisablehook`: the interrupt is the signal handler's, and the run stops at the
    next step.
    """
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    sys.__unraisablehook__(unraisable)


def _console() -> Console:
    """Return the stdout console: user text is never read as markup."""
    return Console(markup=False, highlight=False)


def _default_out(scenario: str, kind: str = "") -> Path:
    stem = Path(scenario).stem if scenario.endswith(".toml") else Path(scenario).name
    return Path("out") / f"{stem}{kind}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _minutes(value: float | None) -> str:
    return "beyond cutoff" if value is None else f"{value:.1f}"


_OUTPUT_HELP = "Result folder (default out/<scenario name>)."
_FORCE_HELP = (
    "Replace the output folder if healthplan wrote it and it holds nothing else "
    "(never the working or home folder, or one holding an input)."
)
_JSON_HELP = "Print JSON on stdout."


@app.command("run")
def run(  # noqa: PLR0917 - typer reads options from the parameters
    scenario: Annotated[
        str, typer.Argument(help="Scenario file (.toml) or preset name, e.g. baseline.")
    ],
    output: Annotated[str | None, typer.Option("-o", "--output", help=_OUTPUT_HELP)] = None,
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    png: Annotated[
        bool, typer.Option("--png/--no-png", help="Render map.png in headless Chromium.")
    ] = True,
    briefing: Annotated[
        bool, typer.Option("--briefing/--no-briefing", help="Write briefing.html/.pdf (zh, en).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Solve a scenario and write its result folder.

    The folder holds plan.gpkg, upgrades.csv, summary.json, maps and briefings. An existing
    folder is kept unless --force, which replaces only a result folder healthplan wrote.
    """
    from scenarios.runner import run_scenario

    folder = _default_out(scenario) if output is None else output
    with _command():
        done = run_scenario(
            scenario, folder, force=force, png=png, briefing=briefing, progress=_progress()
        )
    if as_json:
        _emit_json({**done.summary, "folder": str(done.folder), "timing": done.timing})
        return
    if done.summary.get("kind") == "centres":
        _print_centres(done.summary, done.folder)
        return
    if done.summary.get("kind") == "specialties":
        _print_specialties(done.summary, done.folder)
        return
    plan = done.summary["plan"]
    table = Table(
        title=Text(f"{done.summary['scenario']['name']}: {plan['status_text']}"),
        caption="covered share of the population within the tier's standard",
    )
    for column in ("tier", "upgrades", "before", "after", "mean min", "worst county"):
        table.add_column(column, justify="left" if column in ("tier", "worst county") else "right")
    for tier, metrics in plan["tiers"].items():
        after = metrics["after"]
        table.add_row(
            tier,
            str(plan["upgrades"].get(tier, 0)),
            _share(metrics["before"]["covered_share"]),
            _share(after["covered_share"]),
            _minutes(after["mean_minutes"]),
            f"{after['worst_group_name_en'] or after['worst_group']} "
            f"({_share(after['worst_group_share'])})",
        )
    console = _console()
    console.print(table)
    gap = plan["gap"] or 0.0
    console.print(
        f"cost {plan['cost_cny'] / 1e9:.3f} bn CNY, gap {gap:.2%}, "
        f"solved in {done.timing['solver_runtime_s']:.1f} s"
    )
    console.print(f"results: {done.folder} (map: {done.folder / 'map.html'})", soft_wrap=True)


def _print_centres(summary: dict[str, Any], folder: Path) -> None:
    table = Table(
        title=Text(f"{summary['scenario']['name']}: {summary['status']}"),
        caption="covered share of the type's demand within its standard",
    )
    for column in ("centre type", "status", "designated", "before", "after", "all eligible"):
        table.add_column(column, justify="left" if column == "centre type" else "right")
    for network in summary["networks"].values():
        for key, metrics in network["metrics"].items():
            potential = metrics.get("potential") or {}
            table.add_row(
                key,
                network["status"],
                str(network["n_designated"].get(key, sum(network["n_designated"].values()))),
                _share(metrics["before"]["covered_share"]),
                _share(metrics["after"]["covered_share"]),
                _share(potential.get("covered_share")),
            )
    console = _console()
    console.print(table)
    console.print(f"results: {folder} (centres.csv, cities.csv)", soft_wrap=True)


def _print_specialties(summary: dict[str, Any], folder: Path) -> None:
    allocation = summary["specialties"]
    table = Table(
        title=Text(f"{summary['scenario']['name']}: {summary['status']}"),
        caption="share of each field's people within the level's standard (lowest-highest field)",
    )
    for column in ("level", "designations", "quota", "standard min", "reach"):
        table.add_column(column, justify="left" if column == "level" else "right")
    for level in allocation["levels"]:
        shares = [r["share"] for r in allocation["reach"] if r["level"] == level["level"]]
        low, high = level["quota"]
        table.add_row(
            level["level"],
            str(level["designations"]),
            str(low) if low == high else f"{low}-{high}",
            f"{level['standard_minutes']:g}",
            f"{_share(min(shares))}-{_share(max(shares))}" if shares else "-",
        )
    console = _console()
    console.print(table)
    console.print(f"results: {folder} (designations.csv, by_city.csv)", soft_wrap=True)


@app.command("validate")
def validate(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario files (.toml) or preset names.")],
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="Pre-checks only, no solve: faster, but cannot prove that a plan exists.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Check scenario files, their data and their rules exactly as 'run' does.

    The check includes the solve, so a scenario that passes runs; nothing is written.
    """
    from scenarios.runner import validate_scenario

    report = []
    for name in scenarios:
        with _command():
            prepared = validate_scenario(name, quick=quick)
        report.append(
            {
                "file": str(prepared.resolved.source_path),
                "name": prepared.resolved.scenario.name,
                "sha256": prepared.resolved.sha256,
                "status": "ok",
            }
        )
        if not as_json:
            _console().print(
                f"{prepared.resolved.source_path}: OK ({prepared.resolved.scenario.name})",
                soft_wrap=True,
            )
    if as_json:
        _emit_json(report)


@app.command("compare")
def compare(
    folders: Annotated[
        list[Path], typer.Argument(help="Result folders; the first is the reference.")
    ],
    output: Annotated[str, typer.Option("-o", "--output", help="Comparison folder.")] = (
        "out/compare"
    ),
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    tier: Annotated[str | None, typer.Option(help="Tier drawn on the difference maps.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Compare result folders.

    Shows key metrics side by side, sites added and removed, population gaining or losing
    coverage by county, and difference maps.
    """
    from scenarios.compare import compare_runs

    with _command():
        done = compare_runs(list(folders), output, force=force, tier=tier)
    if as_json:
        payload = json.loads((done.folder / "comparison.json").read_text(encoding="utf-8"))
        _emit_json({**payload, "folder": str(done.folder)})
        return
    table = Table("metric", *done.labels, title="comparison")
    keep = [m for m in done.metrics.index if not m.endswith(" before") or "covered share" in m]
    for metric in keep:
        values = done.metrics.loc[metric]
        table.add_row(metric, *(_cell(values[label]) for label in done.labels))
    console = _console()
    console.print(table)
    counts = done.sites["change"].value_counts()
    console.print(
        f"sites against {done.labels[0]}: {int(counts.get('added', 0))} added, "
        f"{int(counts.get('removed', 0))} removed, {int(counts.get('in all', 0))} in all"
    )
    console.print(f"results: {done.folder}", soft_wrap=True)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1e4:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


@app.command("sweep")
def sweep(
    scenario: Annotated[str, typer.Argument(help="Scenario file (.toml) or preset name.")],
    budgets: Annotated[
        str, typer.Option(help="Comma-separated budgets in CNY, e.g. 5e8,1e9,1.5e9,3e9.")
    ],
    output: Annotated[str | None, typer.Option("-o", "--output", help=_OUTPUT_HELP)] = None,
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Solve a scenario at several budgets: the coverage-versus-budget trade-off."""
    from optimizer.result import status_text
    from scenarios.sweep import sweep_budgets

    folder = _default_out(scenario, "-sweep") if output is None else output
    with _command():
        values = _budgets(scenario, budgets)
        done = sweep_budgets(scenario, values, folder, force=force, progress=_progress())
    if as_json:
        _emit_json({"folder": str(done.folder), "rows": done.table.to_dict(orient="records")})
        return
    shares = [c for c in done.table.columns if c.endswith("_covered_share")]
    table = Table("budget (bn CNY)", "status", "upgrades", *shares, title="budget sweep")
    for row in done.table.to_dict(orient="records"):
        table.add_row(
            f"{row['budget_cny'] / 1e9:.2f}",
            status_text(str(row["status"]), _gap(row.get("gap"))),
            str(row["upgrades"]),
            *(_share(row[c]) for c in shares),
        )
    _console().print(table)
    _console().print(f"results: {done.folder}", soft_wrap=True)


def _gap(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def _budgets(scenario: str, text: str) -> list[float]:
    """Parse the budgets of ``--budgets``: finite, non-negative numbers, at least one."""
    from scenarios.scenario import ScenarioError

    parts = [part.strip() for part in text.split(",")]
    fix = "pass e.g. --budgets 5e8,1e9,1.5e9"
    if not any(parts):
        raise ScenarioError(scenario, "--budgets", "no budgets given", fix)
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise ScenarioError(scenario, "--budgets", f"{part!r} is not a number", fix) from None
        if not math.isfinite(value) or value < 0:
            problem = f"{part!r} is not a finite, non-negative amount in CNY"
            raise ScenarioError(scenario, "--budgets", problem, fix)
        values.append(value)
    return values


@data_app.command("info")
def data_info(
    source: Annotated[
        str, typer.Argument(help="Built-in dataset name (liaoning) or a GeoPackage path.")
    ] = "liaoning",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Show what a dataset holds: units, population, facilities by tier, data flags."""
    import geodata

    with _command():
        world = geodata.load_dataset(source)
    summary = world.summary()
    if as_json:
        _emit_json(summary)
        return
    table = Table(title=f"dataset {summary['dataset']}", show_header=False)
    for key, value in summary.items():
        if key == "dataset":
            continue
        if isinstance(value, dict):
            text = ", ".join(f"{k} {v:,}" for k, v in value.items())
        else:
            text = f"{value:,}" if isinstance(value, int) else str(value)
        table.add_row(key, text)
    _console().print(table)


@data_app.command("validate")
def data_validate(
    path: Annotated[Path, typer.Argument(help="A facility table (CSV/GeoPackage) or dataset.")],
    kind: Annotated[
        str, typer.Option(help="What the file holds: facilities | demand | dataset.")
    ] = "facilities",
    layer: Annotated[str | None, typer.Option(help="GeoPackage layer.")] = None,
) -> None:
    """Check a file against the data contract without solving anything."""
    import geodata
    from geodata.io import read_demand, read_facilities

    with _command():
        if kind == "dataset":
            world = geodata.load_dataset(path)
            count = len(world.demand) + len(world.facilities)
        else:
            world = geodata.load_dataset("liaoning")
            counties = world.units("county")["code"]
            if kind == "facilities":
                frame = read_facilities(
                    path, layer=layer, province=world.province, counties=counties
                )
            elif kind == "demand":
                frame = read_demand(path, layer=layer, province=world.province)
            else:
                msg = f"--kind {kind!r}: unknown - use facilities, demand or dataset"
                raise HealthplanDataError(msg)
            count = len(frame)
    _console().print(f"{path}: OK ({count:,} rows, {kind})", soft_wrap=True)


@app.command("versions")
def versions(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Versions of the stack: Python packages, solver binaries, browser and fonts found."""
    packages = [
        "healthplan",
        "numpy",
        "scipy",
        "pandas",
        "geopandas",
        "shapely",
        "pyproj",
        "pyogrio",
        "networkx",
        "pulp",
        "highspy",
        "folium",
        "pydantic",
        "playwright",
        "weasyprint",
        "matplotlib",
        "osmnx",
        "pyrosm",
    ]
    found: dict[str, str] = {"python": sys.version.split()[0]}
    for name in packages:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found.update(_binaries())
    if as_json:
        _emit_json(found)
        return
    table = Table("component", "version")
    for name, ver in found.items():
        table.add_row(name, ver)
    _console().print(table)


def _output(command: list[str]) -> str:
    """Return the standard output of `command`, or ``""`` if it cannot run or fails."""
    import subprocess

    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def _first_line(command: list[str]) -> str:
    lines = [line.strip() for line in _output(command).splitlines() if line.strip()]
    return lines[0] if lines else "not found"


def _binaries() -> dict[str, str]:
    """Find the solver binaries, the browser and the CJK font the outputs depend on."""
    import shutil

    out: dict[str, str] = {}
    try:
        from optimizer.core.solvers import solver_label

        out["HiGHS solver"] = solver_label("highs")
    except Exception as exc:  # report, never fail, in a diagnostics command
        out["HiGHS solver"] = f"unavailable ({type(exc).__name__})"
    try:
        from pulp.apis.coin_api import pulp_cbc_path  # the binary bundled with PuLP

        found = re.search(r"Version:\s*(\S+)", _output([str(pulp_cbc_path), "-quit"]))
        out["CBC solver"] = f"CBC {found.group(1)} ({pulp_cbc_path})" if found else "not found"
    except Exception as exc:
        out["CBC solver"] = f"unavailable ({type(exc).__name__})"
    from scenarios.png import CHROMIUM

    out["chromium"] = _first_line([str(CHROMIUM), "--version"])
    fonts = (
        _first_line(["fc-list", "WenQuanYi Micro Hei", "file"]) if shutil.which("fc-list") else ""
    )
    out["CJK font (WenQuanYi Micro Hei)"] = fonts.rstrip(":") or "not found"
    return out
