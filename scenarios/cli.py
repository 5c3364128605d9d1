"""The ``healthplan`` command line.

Errors a user can cause (bad files, bad data) print one line on stderr and exit with code 2;
``--debug`` shows the traceback instead. Machine-readable output goes to stdout with ``--json``.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from geodata.errors import HealthplanDataError

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
    Console().print(f"{path}: OK ({count:,} rows, {kind})")


@app.command("versions")
def versions(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Versions of the stack: Python packages and solvers found."""
    packages = [
        "healthplan",
        "numpy",
        "scipy",
        "pandas",
        "geopandas",
        "shapely",
        "pyproj",
        "networkx",
        "pulp",
        "highspy",
        "folium",
        "osmnx",
        "pyrosm",
    ]
    found: dict[str, str] = {"python": sys.version.split()[0]}
    for name in packages:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    if as_json:
        _emit_json(found)
        return
    table = Table("component", "version")
    for name, ver in found.items():
        table.add_row(name, ver)
    Console().print(table)
