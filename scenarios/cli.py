"""The ``healthplan`` command line.

Errors a user can cause (bad files, bad data) print one line on stderr and exit with code 2;
``--debug`` shows the traceback instead. Machine-readable output goes to stdout with ``--json``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from geodata.errors import HealthplanDataError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["app"]

app = typer.Typer(
    name="healthplan",
    help="Plan health-facility upgrades for a province: data, scenarios, maps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect and validate datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")

_err = Console(stderr=True)
_state: dict[str, bool] = {"debug": False}


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _fail(exc: Exception) -> None:
    if _state["debug"]:
        raise exc
    message = str(exc).replace("\n", " ")
    _err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors a user causes and gets one line for (bugs keep their traceback)."""
    from optimizer.errors import OptimizerError
    from scenarios.briefing import BriefingError
    from scenarios.compare import CompareError
    from scenarios.png import ExportError
    from scenarios.scenario import ScenarioError

    return (
        ScenarioError,
        HealthplanDataError,
        CompareError,
        OptimizerError,
        ExportError,
        BriefingError,
        OSError,
    )


def _progress() -> Callable[[str], None]:
    def show(line: str) -> None:
        _err.print(f"[dim]- {line}[/]", highlight=False)

    return show


def _default_out(scenario: str, kind: str = "") -> Path:
    stem = Path(scenario).stem if scenario.endswith(".toml") else Path(scenario).name
    return Path("out") / f"{stem}{kind}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _minutes(value: float | None) -> str:
    return "beyond cutoff" if value is None else f"{value:.1f}"


_OUTPUT_HELP = "Result folder (default out/<scenario name>)."
_FORCE_HELP = "Replace the output folder if it exists."
_JSON_HELP = "Print JSON on stdout."


@app.command("run")
def run(  # noqa: PLR0917 - typer reads options from the parameters
    scenario: Annotated[
        str, typer.Argument(help="Scenario file (.toml) or preset name, e.g. baseline.")
    ],
    output: Annotated[Path | None, typer.Option("-o", "--output", help=_OUTPUT_HELP)] = None,
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    png: Annotated[
        bool, typer.Option("--png/--no-png", help="Render map.png in headless Chromium.")
    ] = True,
    briefing: Annotated[
        bool, typer.Option("--briefing/--no-briefing", help="Write briefing.html/.pdf (zh, en).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Solve a scenario and write its result folder: plan.gpkg, upgrades.csv, summary.json,
    maps and briefings. An existing folder is kept unless --force."""
    from scenarios.runner import run_scenario

    folder = output or _default_out(scenario)
    try:
        done = run_scenario(
            scenario, folder, force=force, png=png, briefing=briefing, progress=_progress()
        )
    except _user_errors() as exc:
        _fail(exc)
        return
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
        title=f"{done.summary['scenario']['name']}: {plan['status']}",
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
    console = Console()
    console.print(table)
    gap = plan["gap"] or 0.0
    console.print(
        f"cost {plan['cost_cny'] / 1e9:.3f} bn CNY, gap {gap:.2%}, "
        f"solved in {done.timing['solver_runtime_s']:.1f} s"
    )
    console.print(f"results: {done.folder} (map: {done.folder / 'map.html'})", soft_wrap=True)


def _print_centres(summary: dict[str, Any], folder: Path) -> None:
    table = Table(
        title=f"{summary['scenario']['name']}: {summary['status']}",
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
    console = Console()
    console.print(table)
    console.print(f"results: {folder} (centres.csv, cities.csv)", soft_wrap=True)


def _print_specialties(summary: dict[str, Any], folder: Path) -> None:
    allocation = summary["specialties"]
    table = Table(
        title=f"{summary['scenario']['name']}: {summary['status']}",
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
    console = Console()
    console.print(table)
    console.print(f"results: {folder} (designations.csv, by_city.csv)", soft_wrap=True)


@app.command("validate")
def validate(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario files (.toml) or preset names.")],
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Check scenario files, their data and whether their rules can be met, without solving."""
    from scenarios.runner import validate_scenario

    report = []
    for name in scenarios:
        try:
            prepared = validate_scenario(name)
        except _user_errors() as exc:
            _fail(exc)
            return
        report.append(
            {
                "file": str(prepared.resolved.source_path),
                "name": prepared.resolved.scenario.name,
                "sha256": prepared.resolved.sha256,
                "status": "ok",
            }
        )
        if not as_json:
            Console().print(
                f"{prepared.resolved.source_path}: OK ({prepared.resolved.scenario.name})"
            )
    if as_json:
        _emit_json(report)


@app.command("compare")
def compare(
    folders: Annotated[
        list[Path], typer.Argument(help="Result folders; the first is the reference.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Comparison folder.")] = Path(
        "out/compare"
    ),
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    tier: Annotated[str | None, typer.Option(help="Tier drawn on the difference maps.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Compare result folders: key metrics side by side, sites added and removed, population
    gaining or losing coverage by county, and difference maps."""
    from scenarios.compare import compare_runs

    try:
        done = compare_runs(list(folders), output, force=force, tier=tier)
    except _user_errors() as exc:
        _fail(exc)
        return
    if as_json:
        payload = json.loads((done.folder / "comparison.json").read_text(encoding="utf-8"))
        _emit_json({**payload, "folder": str(done.folder)})
        return
    table = Table("metric", *done.labels, title="comparison")
    keep = [m for m in done.metrics.index if not m.endswith(" before") or "covered share" in m]
    for metric in keep:
        values = done.metrics.loc[metric]
        table.add_row(metric, *(_cell(values[label]) for label in done.labels))
    console = Console()
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
    output: Annotated[Path | None, typer.Option("-o", "--output", help=_OUTPUT_HELP)] = None,
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Solve a scenario at several budgets: the coverage-versus-budget trade-off."""
    from scenarios.scenario import ScenarioError
    from scenarios.sweep import sweep_budgets

    folder = output or _default_out(scenario, "-sweep")
    try:
        try:
            values = [float(b) for b in budgets.split(",") if b.strip()]
        except ValueError:
            problem = f"{budgets!r} is not a list of numbers"
            raise ScenarioError(
                scenario, "--budgets", problem, "pass e.g. --budgets 5e8,1e9"
            ) from None
        done = sweep_budgets(scenario, values, folder, force=force, progress=_progress())
    except _user_errors() as exc:
        _fail(exc)
        return
    if as_json:
        _emit_json({"folder": str(done.folder), "rows": done.table.to_dict(orient="records")})
        return
    shares = [c for c in done.table.columns if c.endswith("_covered_share")]
    table = Table("budget (bn CNY)", "status", "upgrades", *shares, title="budget sweep")
    for row in done.table.to_dict(orient="records"):
        table.add_row(
            f"{row['budget_cny'] / 1e9:.2f}",
            str(row["status"]),
            str(row["upgrades"]),
            *(_share(row[c]) for c in shares),
        )
    Console().print(table)
    Console().print(f"results: {done.folder}", soft_wrap=True)


@data_app.command("info")
def data_info(
    source: Annotated[
        str, typer.Argument(help="Built-in dataset name (liaoning) or a GeoPackage path.")
    ] = "liaoning",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """What a dataset holds: units, population, facilities by tier, data flags."""
    import geodata

    try:
        world = geodata.load_dataset(source)
    except (HealthplanDataError, ValueError) as exc:
        _fail(exc)
        return
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
    Console().print(table)


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

    try:
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
    except (HealthplanDataError, ValueError) as exc:
        _fail(exc)
        return
    Console(soft_wrap=True).print(f"{path}: OK ({count:,} rows, {kind})")


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
    Console().print(table)


def _output(command: list[str]) -> str:
    """Standard output of `command`, or ``""`` if it cannot run or fails."""
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
    """The solver binaries, the browser and the CJK font the outputs depend on."""
    import shutil

    out: dict[str, str] = {}
    try:
        from optimizer._solvers import solver_label

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
