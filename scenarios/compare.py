"""Compare result folders of `scenarios.runner.run_scenario`, side by side.

>>> from scenarios.compare import compare_runs
>>> comparison = compare_runs(["out/baseline", "out/tight"], "out/compare", force=True)
>>> comparison.metrics.loc["township_central covered share after"]

The first folder is the reference: differences (sites added and removed, population gaining
and losing coverage by county) are taken against it. The output folder (written atomically)
holds ``comparison.csv`` (key metrics, one column per run), ``comparison.json``, ``sites.csv``
(every upgraded site and the runs proposing it), ``counties.csv`` (covered population per
county, tier and run, with the change against the reference) and one difference map per other
run, ``map_<run>.html`` (Chinese) and ``map_<run>_en.html`` (English), and the comparison
briefing ``briefing.html`` / ``.pdf`` (``briefing_en.*`` in English).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

import geodata
from scenarios.briefing import write_comparison_briefing
from scenarios.errors import ScenariosError
from scenarios.maps import comparison_map, save_map
from scenarios.rundir import SUMMARY, atomic_folder, check_target, read_summary, write_json
from scenarios.runner import MAP_TIER

__all__ = ["CompareError", "Comparison", "compare_runs", "read_run"]


class CompareError(ScenariosError, ValueError):
    """A folder that is not a complete run, or runs that cannot be compared."""


@dataclass(frozen=True)
class Run:
    """One result folder as read back."""

    folder: Path
    label: str
    summary: dict[str, Any]
    upgrades: pd.DataFrame


@dataclass(frozen=True)
class Comparison:
    """What `compare_runs` wrote, as frames."""

    folder: Path
    labels: tuple[str, ...]
    metrics: pd.DataFrame
    sites: pd.DataFrame
    counties: pd.DataFrame


def read_run(folder: str | Path) -> Run:
    """Read ``summary.json`` and ``upgrades.csv`` of a result folder.

    Raises
    ------
    CompareError
        If the folder or one of its files is missing or unreadable.
    """
    path = Path(folder)
    summary_path = path / SUMMARY
    summary = read_summary(path)
    if summary.get("kind", "upgrade") != "upgrade":
        msg = (
            f"{summary_path}: a {summary.get('kind')} run - compare works on upgrade runs; "
            "read the cities.csv of each run side by side"
        )
        raise CompareError(msg)
    if not _run_summary_shape(summary):
        msg = f"{summary_path}: not a healthplan run summary - run the scenario again"
        raise CompareError(msg)
    try:
        upgrades = pd.read_csv(path / "upgrades.csv", dtype={"facility_id": str})
    except (OSError, ValueError) as exc:
        msg = f"{path}: unreadable result ({exc}) - run the scenario again"
        raise CompareError(" ".join(msg.splitlines())) from exc
    return Run(folder=path, label=path.name, summary=summary, upgrades=upgrades)


def _run_summary_shape(summary: dict[str, Any]) -> bool:
    """Tell whether `summary` has the parts a comparison reads (plan tiers, scenario settings)."""
    plan, scenario = summary.get("plan"), summary.get("scenario")
    if not isinstance(plan, dict) or not isinstance(scenario, dict):
        return False
    tiers, settings = plan.get("tiers"), scenario.get("settings")
    if not isinstance(tiers, dict) or not tiers or not isinstance(settings, dict):
        return False
    if not isinstance(settings.get("dataset"), str):
        return False
    return all(
        isinstance(t, dict) and all(isinstance(t.get(k), dict) for k in ("before", "after"))
        for t in tiers.values()
    )


_METRICS = (
    ("covered_share", "covered share"),
    ("covered_population", "covered population"),
    ("mean_minutes", "mean minutes"),
    ("p95_minutes", "p95 minutes"),
    ("worst_group", "worst county"),
    ("worst_group_share", "worst county share"),
    ("spread", "spread"),
    ("gini", "gini"),
)


def _metrics(runs: list[Run]) -> pd.DataFrame:
    rows: dict[str, dict[str, Any]] = {}

    def put(name: str, label: str, value: Any) -> None:
        rows.setdefault(name, {})[label] = value

    for run in runs:
        plan = run.summary["plan"]
        put("scenario", run.label, run.summary["scenario"]["name"])
        put("objective", run.label, run.summary["scenario"]["settings"]["objective"])
        put("status", run.label, plan["status"])
        put("gap", run.label, plan["gap"])
        put("budget_cny", run.label, plan.get("budget_cny"))
        put("cost_cny", run.label, plan["cost_cny"])
        for tier, count in sorted(plan["upgrades"].items()):
            put(f"{tier} upgrades", run.label, count)
    tiers = sorted({t for run in runs for t in run.summary["plan"]["tiers"]})
    for tier in tiers:
        for key, text in _METRICS:
            for when in ("before", "after"):
                for run in runs:
                    metrics = run.summary["plan"]["tiers"].get(tier)
                    value = metrics[when].get(key) if metrics else None
                    put(f"{tier} {text} {when}", run.label, value)
    return pd.DataFrame.from_dict(rows, orient="index")[[r.label for r in runs]]


def _sites(runs: list[Run]) -> pd.DataFrame:
    columns = ["facility_id", "name_zh", "name_en", "county_code", "to_tier"]
    frames = [run.upgrades[columns].assign(run=run.label) for run in runs]
    stacked = pd.concat(frames, ignore_index=True)
    if stacked.empty:
        return pd.DataFrame(columns=[*columns, *(r.label for r in runs), "change"])
    table = stacked.pivot_table(
        index=columns, columns="run", values="facility_id", aggfunc="size", fill_value=0
    )
    table = (table > 0).reindex(columns=[r.label for r in runs], fill_value=False)
    table = table.reset_index()
    table.columns.name = None
    reference = runs[0].label
    others = [r.label for r in runs[1:]]
    in_others = table[others].any(axis=1) if others else table[reference]
    in_all = table[[r.label for r in runs]].all(axis=1)
    table["change"] = "varies"
    table.loc[in_all, "change"] = "in all"
    table.loc[table[reference] & ~in_others, "change"] = "removed"
    table.loc[~table[reference] & table[others].all(axis=1), "change"] = "added"
    return table.sort_values(["to_tier", "facility_id"]).reset_index(drop=True)


def _layers(run: Run, name: str) -> gpd.GeoDataFrame:
    path = run.folder / "plan.gpkg"
    try:
        return gpd.read_file(path, layer=name, engine="pyogrio")
    except Exception as exc:
        msg = f"{path}: layer {name!r} unreadable ({exc}) - run the scenario again"
        raise CompareError(" ".join(msg.splitlines())) from exc


def _counties(runs: list[Run], layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    base = layers[runs[0].label]
    table = pd.DataFrame(base[["code", "name_zh", "name_en", "parent_code", "population"]])
    table = table.rename(columns={"code": "county_code", "parent_code": "city_code"})
    tiers = sorted({t for run in runs for t in run.summary["plan"]["tiers"]})
    reference = runs[0].label
    for tier in tiers:
        column = f"{tier}_covered_after"
        for run in runs:
            frame = layers[run.label].set_index("code")
            if column in frame:
                table[f"{tier} {run.label}"] = table["county_code"].map(frame[column]).round(3)
        for run in runs[1:]:
            a, b = f"{tier} {reference}", f"{tier} {run.label}"
            if a in table and b in table:
                table[f"{tier} change {run.label}"] = (table[b] - table[a]).round(3)
    return table.sort_values("county_code").reset_index(drop=True)


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_") or "run"


def _unique_labels(runs: list[Run]) -> list[Run]:
    seen: dict[str, int] = {}
    out = []
    for run in runs:
        label = run.label
        if label in seen:
            seen[label] += 1
            label = f"{label}-{seen[label]}"
        else:
            seen[label] = 1
        out.append(Run(run.folder, label, run.summary, run.upgrades))
    return out


def _check_same_data(runs: list[Run]) -> None:
    reference = runs[0].summary.get("data", {}).get("files_sha256")
    for run in runs[1:]:
        if run.summary.get("data", {}).get("files_sha256") != reference:
            msg = (
                f"{run.folder}: planned on another dataset than {runs[0].folder} - "
                "compare runs of one dataset"
            )
            raise CompareError(msg)


def _world(runs: list[Run]) -> geodata.Dataset:
    source = runs[0].summary["scenario"]["settings"]["dataset"]
    return geodata.load_dataset(source)


def compare_runs(
    folders: list[str | Path],
    out: str | Path,
    *,
    force: bool = False,
    tier: str | None = None,
    maps: bool = True,
    briefing: bool = True,
) -> Comparison:
    """Compare two or more result folders and write the comparison folder `out`.

    Parameters
    ----------
    folders
        Result folders of ``healthplan run``; the first is the reference.
    out
        The comparison folder (must not exist unless `force`).
    force
        Replace an existing `out` (only once the new folder is complete).
    tier
        Tier drawn on the difference maps (default: township_central if planned).
    maps
        Also write the difference maps.
    briefing
        Also write the comparison briefing (``briefing.html``/``.pdf``, ``briefing_en.*``):
        the runs side by side in one table (`scenarios.briefing.write_comparison_briefing`).

    Raises
    ------
    CompareError
        Fewer than two folders, a folder that is not a run, runs of different datasets.
    scenarios.rundir.OutputExistsError
        If `out` exists and `force` is false.
    """
    if len(folders) < 2:
        msg = "compare: needs two or more result folders - pass e.g. out/baseline out/tight"
        raise CompareError(msg)
    target = check_target(out, force=force, inputs=folders)
    runs = _unique_labels([read_run(f) for f in folders])
    _check_same_data(runs)
    layers = {run.label: _layers(run, "counties") for run in runs}
    metrics = _metrics(runs)
    sites = _sites(runs)
    counties = _counties(runs, layers)
    with atomic_folder(target, force=force, kind="compare", inputs=folders) as work:
        metrics.to_csv(work / "comparison.csv", index_label="metric", lineterminator="\n")
        sites.to_csv(work / "sites.csv", index=False, lineterminator="\n")
        counties.to_csv(work / "counties.csv", index=False, lineterminator="\n")
        payload = {
            "runs": [{"label": r.label, "folder": r.folder.name} for r in runs],
            "metrics": {
                label: {k: v for k, v in column.items() if not pd.isna(v)}
                for label, column in metrics.to_dict(orient="dict").items()
            },
            "sites": {
                "added": sites.loc[sites["change"] == "added", "facility_id"].tolist(),
                "removed": sites.loc[sites["change"] == "removed", "facility_id"].tolist(),
            },
        }
        write_json(work / "comparison.json", payload)
        if maps:
            _write_maps(runs, work, tier=tier)
        if briefing:
            for language in ("zh", "en"):
                write_comparison_briefing([r.folder for r in runs], work, language=language)
    return Comparison(
        folder=target,
        labels=tuple(r.label for r in runs),
        metrics=metrics,
        sites=sites,
        counties=counties,
    )


def _write_maps(runs: list[Run], folder: Path, *, tier: str | None) -> None:
    world = _world(runs)
    planned = set(runs[0].summary["plan"]["tiers"])
    chosen = tier or (MAP_TIER if MAP_TIER in planned else sorted(planned)[0])
    demand = {r.label: _demand(r, chosen) for r in runs}
    county = {r.label: _county(r, chosen) for r in runs}
    a = runs[0].label
    for run in runs[1:]:
        b = run.label
        for language, suffix in (("zh", ""), ("en", "_en")):
            m = comparison_map(
                world,
                demand[a],
                demand[b],
                county[a],
                county[b],
                labels=(a, b),
                language=language,
            )
            save_map(m, folder / f"map_{_slug(b)}{suffix}.html")


def _demand(run: Run, tier: str) -> gpd.GeoDataFrame:
    frame = _layers(run, "demand")
    if f"{tier}_covered" not in frame:
        msg = f"{run.folder}: tier {tier!r} was not planned - pass --tier with a planned tier"
        raise CompareError(msg)
    return frame.assign(
        covered=frame[f"{tier}_covered"].astype(bool),
        travel_minutes=frame[f"{tier}_minutes"],
    )


def _county(run: Run, tier: str) -> pd.DataFrame:
    frame = _layers(run, "counties")
    return pd.DataFrame(
        {
            "county_code": frame["code"],
            "coverage_share": frame[f"{tier}_share_after"],
            "covered_population": frame[f"{tier}_covered_after"],
            "population": frame["population"],
        }
    )
