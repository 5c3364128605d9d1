"""Briefings for leaders: one plan, several plans side by side, or a budget sweep.

>>> from scenarios.briefing import write_briefing, write_comparison_briefing
>>> write_briefing("out/baseline")                        # briefing.html + briefing.pdf
>>> write_briefing("out/baseline", language="en")         # briefing_en.html + briefing_en.pdf
>>> write_comparison_briefing(["out/baseline", "out/tight"], "out/compare", language="en")

A plan briefing is one or two A4 pages read from a run folder (`scenarios.runner`): the
scenario in words, key figures before → after per tier (covered population and share, the
worst-covered county, population-weighted mean and 95th-percentile minutes), cost and solver
outcome, the map image, a sentence per choice explaining its trade-off, the upgrade list,
data caveats with their counts and the sources with their CC BY / ODbL attributions.

It reads ``summary.json`` (all figures and the upgrade rows), ``counties.csv`` (county names)
and ``map.png`` (``map_en.png`` first for English, when the run has one). The HTML is one
self-contained file (the image is a base64 data URI); the PDF is made from the same HTML by
WeasyPrint with the CJK font *WenQuanYi Micro Hei* (Debian ``fonts-wqy-microhei``). The same
run folder always gives byte-identical HTML and PDF. Every string from data is escaped.
The page is laid out by WeasyPrint even for the HTML alone: when it runs past two pages the
map is made smaller (page 1) or fewer upgrades are listed (page 2), so HTML and PDF agree.

`sweep_chart` and `write_sweep_briefing` (from `scenarios.briefing._sweep`) draw and brief a
budget sweep's coverage-vs-budget trade-off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from scenarios.briefing._figures import (
    caveats,
    figure_rows,
    overall_rows,
    sources,
    upgrade_rows,
    worst_county,
)
from scenarios.briefing._futures import futures_context
from scenarios.briefing._model import (
    number,
    objective_name,
    plan_status_text,
    plan_tiers,
    scenario_lines,
    tradeoffs,
)
from scenarios.briefing._render import (
    BriefingError,
    briefing_names,
    check_language,
    data_uri,
    layout,
    page_context,
    page_of,
    render,
    write_pages,
)
from scenarios.briefing._run import Run, load_run, map_png
from scenarios.briefing._sweep import sweep_chart, write_sweep_briefing
from scenarios.briefing._text import (
    TIER_SHORT,
    capital,
    fmt_cny,
    fmt_gap,
    fmt_minutes,
    fmt_pp,
    fmt_signed,
    text,
)
from scenarios.maps.style import fmt_int, fmt_share, tier_name

__all__ = [
    "TOP_UPGRADES",
    "BriefingError",
    "briefing_names",
    "sweep_chart",
    "write_briefing",
    "write_comparison_briefing",
    "write_sweep_briefing",
]

#: Upgrades listed in a plan briefing; the rest are counted and left to ``upgrades.csv``.
TOP_UPGRADES: Final = 20
#: Names of added / removed sites shown per scenario in a comparison.
_LIST_SITES: Final = 5
#: A plan briefing is at most this many A4 pages ...
_PAGES: Final = 2
#: ... tried with these map heights (mm), largest first, while page 1 (scenario, figures,
#: map) overflows ...
_MAP_HEIGHTS: Final = (98.0, 86.0, 74.0, 64.0)
#: ... and these upgrade counts while page 2 (trade-offs, upgrades, caveats, sources) does.
_LISTED: Final = (TOP_UPGRADES, 14, 8)


def write_briefing(
    run_dir: str | os.PathLike[str],
    *,
    language: str = "zh",
    pdf: bool = True,
    top: int = TOP_UPGRADES,
    run: Run | None = None,
) -> list[Path]:
    """Write the briefing of one run into its folder.

    Parameters
    ----------
    run_dir
        A run folder written by `scenarios.runner.run_scenario` (``summary.json``,
        ``counties.csv``, ``map.png``). Without ``map.png`` the briefing says so instead.
    language
        ``"zh"`` writes ``briefing.html``/``.pdf``, ``"en"`` ``briefing_en.html``/``.pdf``.
    pdf
        Also write the PDF (WeasyPrint).
    top
        Upgrades listed at most (fewer if page 2 would overflow); the rest are counted.
    run
        The run's summary and county shares in memory (what `scenarios.runner` passes while
        it writes the folder); None reads them from `run_dir`.

    Returns
    -------
    list of pathlib.Path
        The files written, HTML first.

    Raises
    ------
    FileNotFoundError
        If `run` is None and `run_dir` has no ``summary.json``.
    BriefingError
        If WeasyPrint or Pango is missing (the layout needs them, even with ``pdf=False``).
    """
    check_language(language)
    if run is None:
        run = load_run(run_dir)
    summary = run.summary
    scenario = summary["scenario"]
    lines, rules = scenario_lines(summary, language)
    source_rows, sources_note = sources(summary, language)
    png = map_png(run.folder, language)
    tiers = plan_tiers(summary)
    map_tier = "township_central" if "township_central" in tiers else (tiers or [""])[0]
    context = page_context(
        language,
        text("title", language, name=scenario["name"]),
        meta=text(
            "meta",
            language,
            dataset=summary["data"]["dataset"],
            version=summary.get("healthplan", "-"),
            file=scenario.get("file", "-"),
            sha=str(scenario.get("sha256", ""))[:12],
        ),
        footer=text(
            "footer", language, version=summary.get("healthplan", "-"), sha=scenario["sha256"]
        ),
        description=scenario.get("description", ""),
        scenario_lines=lines,
        rules=rules,
        figure_rows=figure_rows(summary, run.counties, language),
        overall_rows=overall_rows(summary, language),
        map_uri=data_uri(png) if png else "",
        map_caption=text("map_caption", language, tier=tier_name(map_tier, language)),
        tradeoffs=tradeoffs(scenario["settings"], language),
        caveats=caveats(summary, language),
        futures=futures_context(summary, language),
        sources=source_rows,
        sources_note=sources_note,
    )
    # Fit two pages: shrink the map while page 1 overflows, list fewer upgrades while
    # page 2 does; keep the last layout if nothing fits (very long scenario text).
    heights, counts = list(_MAP_HEIGHTS), [min(top, n) for n in _LISTED]
    while True:
        rows, more, phased = upgrade_rows(summary, run.counties, language, top=counts[0])
        html = render(
            "briefing.html.j2",
            {
                **context,
                "map_height_mm": heights[0],
                "upgrades": rows,
                "more": text("more_upgrades", language, n=more) if more else "",
                "phased": phased,
            },
        )
        document = layout(html)
        if len(document.pages) <= _PAGES:
            break
        if page_of(document, "tradeoffs") >= _PAGES and len(heights) > 1:
            heights.pop(0)
        elif len(counts) > 1:
            counts.pop(0)
        else:
            break
    return write_pages(html, run.folder, briefing_names(language, pdf=pdf), document)


def _cell(*lines: str, value: object = "") -> dict[str, Any]:
    return {"lines": [line for line in lines if line], "value": "" if value is None else value}


def _site_names(summary: Mapping[str, Any], language: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for u in summary.get("upgrades") or []:
        name = u.get("name_en") if language == "en" and u.get("name_en") else u.get("name_zh")
        names[str(u["facility_id"])] = str(name or u["facility_id"])
    return names


def _site_list(ids: list[str], names: Mapping[str, str], language: str) -> dict[str, Any]:
    if not ids:
        return _cell(text("none", language), value=0)
    shown = [names.get(i, i) for i in ids[:_LIST_SITES]]
    tail = [text("and_more", language, n=len(ids))] if len(ids) > _LIST_SITES else []
    return {"lines": [str(len(ids))], "sub": [*shown, *tail], "value": len(ids)}


def _comparison_rows(runs: list[Run], language: str) -> list[dict[str, Any]]:
    summaries = [r.summary for r in runs]
    plans = [s["plan"] for s in summaries]
    rows: list[dict[str, Any]] = []

    def add(key: str, label: str, cells: list[dict[str, Any]]) -> None:
        rows.append({"kind": "row", "key": key, "label": label, "cells": cells})

    add(
        "objective",
        text("row_objective", language),
        [_cell(capital(objective_name(s["scenario"]["settings"], language))) for s in summaries],
    )
    add(
        "budget_cny",
        text("row_budget", language),
        [
            _cell(
                fmt_cny(p["budget_cny"], language)
                if p.get("budget_cny") is not None
                else text("none", language),
                value=p.get("budget_cny"),
            )
            for p in plans
        ],
    )
    add(
        "cost_cny",
        text("row_cost", language),
        [_cell(fmt_cny(p.get("cost_cny"), language), value=p.get("cost_cny")) for p in plans],
    )
    upgrade_cells = []
    for summary in summaries:
        counts = summary["plan"].get("upgrades") or {}
        total = sum(int(n) for n in counts.values())
        split = [
            f"{TIER_SHORT.get(t, {}).get(language, t)} {int(counts[t])}"
            for t in plan_tiers(summary)
            if t in counts
        ]
        cell = _cell(str(total), value=total)
        if len(split) > 1:
            cell["sub"] = split
        upgrade_cells.append(cell)
    add("upgrades", text("row_upgrades", language), upgrade_cells)
    tiers = list(dict.fromkeys(t for s in summaries for t in plan_tiers(s)))
    for tier in tiers:
        minutes = next(
            p["tiers"][tier]["after"]["standard_minutes"] for p in plans if tier in p["tiers"]
        )
        rows.append(
            {
                "kind": "tier",
                "label": text(
                    "tier_heading",
                    language,
                    tier=tier_name(tier, language),
                    minutes=f"{float(minutes):g}",
                ),
            }
        )
        cells: dict[str, list[dict[str, Any]]] = {
            k: [] for k in ("before", "after", "change", "worst", "minutes")
        }
        for run in runs:
            metrics = run.summary["plan"]["tiers"].get(tier)
            if metrics is None:
                for column in cells.values():
                    column.append(_cell("-"))
                continue
            before, after = metrics["before"], metrics["after"]
            cutoff = float(run.summary.get("travel", {}).get("cutoff_minutes", 120))
            cells["before"].append(
                _cell(
                    fmt_int(before["covered_population"]),
                    fmt_share(before["covered_share"]),
                    value=before["covered_population"],
                )
            )
            cells["after"].append(
                _cell(
                    fmt_int(after["covered_population"]),
                    fmt_share(after["covered_share"]),
                    value=after["covered_population"],
                )
            )
            cells["change"].append(
                _cell(
                    fmt_signed(after["covered_population"] - before["covered_population"]),
                    fmt_pp(before["covered_share"], after["covered_share"], language),
                )
            )
            cells["worst"].append(
                _cell(
                    worst_county(after, run.counties, tier, "after", language),
                    value=after.get("worst_group_share"),
                )
            )
            mean = fmt_minutes(number(after.get("mean_minutes")), language, cutoff=cutoff)
            p95 = fmt_minutes(number(after.get("p95_minutes")), language, cutoff=cutoff)
            cells["minutes"].append(_cell(mean, p95))
        for key, label in (
            ("before", "row_covered_before"),
            ("after", "row_covered_after"),
            ("change", "row_change"),
            ("worst", "row_worst"),
            ("minutes", "row_minutes"),
        ):
            add(f"{tier}.{key}", text(label, language), cells[key])
    first = {str(u["facility_id"]) for u in summaries[0].get("upgrades") or []}
    first_names = _site_names(summaries[0], language)
    added, removed = [], []
    for index, s in enumerate(summaries):
        ids = [str(u["facility_id"]) for u in s.get("upgrades") or []]
        if index == 0:
            added.append(_cell(text("reference", language)))
            removed.append(_cell(text("reference", language)))
            continue
        names = _site_names(s, language)
        added.append(_site_list(sorted(set(ids) - first), names, language))
        removed.append(_site_list(sorted(first - set(ids)), first_names, language))
    rows.append({"kind": "tier", "label": text("overall", language)})
    add("added", text("row_added", language), added)
    add("removed", text("row_removed", language), removed)
    add(
        "status",
        text("row_solver", language),
        [
            _cell(
                plan_status_text(p, language),
                fmt_gap(p.get("gap")),
                value=p.get("status"),
            )
            for p in plans
        ],
    )
    return rows


def write_comparison_briefing(
    run_dirs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    language: str = "zh",
    labels: Sequence[str] | None = None,
    pdf: bool = True,
) -> list[Path]:
    """Write one briefing comparing several runs side by side into `out_dir`.

    Columns are the runs in the given order; sites added and removed are relative to the
    first. Rows: objective, budget, cost, upgrades; per tier covered population before and
    after, the change, the worst-covered county, mean and 95th-percentile minutes; the sites
    added and removed; the solver outcome. Below the table each scenario is described with
    its trade-offs, then the data caveats and sources (of the first run). More than four runs
    are laid out on landscape pages.

    Parameters
    ----------
    run_dirs
        Two or more run folders.
    out_dir
        Folder for ``briefing.html``/``.pdf`` (``briefing_en.*`` in English); created.
    language
        ``"zh"`` or ``"en"``.
    labels
        Column headings, one per run (default: the scenario names).
    pdf
        Also write the PDF.

    Raises
    ------
    ValueError
        Fewer than two runs, or `labels` of another length.
    FileNotFoundError
        A folder without ``summary.json``.
    """
    check_language(language)
    if len(run_dirs) < 2:
        msg = f"a comparison needs at least two run folders, got {len(run_dirs)}"
        raise ValueError(msg)
    runs = [load_run(d) for d in run_dirs]
    names = [str(r.summary["scenario"]["name"]) for r in runs]
    if labels is not None and len(labels) != len(runs):
        msg = f"labels: {len(labels)} given for {len(runs)} run folders - give one per run"
        raise ValueError(msg)
    heads = [str(label) for label in labels] if labels is not None else names
    # Each scenario's trade-offs, less those it shares with the first (said once there).
    reference = tradeoffs(runs[0].summary["scenario"]["settings"], language)
    described = [
        {
            "label": head,
            "name": name,
            "description": r.summary["scenario"].get("description", ""),
            "tradeoffs": [
                line
                for line in tradeoffs(r.summary["scenario"]["settings"], language)
                if index == 0 or line not in reference
            ],
        }
        for index, (head, name, r) in enumerate(zip(heads, names, runs, strict=True))
    ]
    first = runs[0].summary
    source_rows, sources_note = sources(first, language)
    context = page_context(
        language,
        text("comparison_title", language),
        meta=text("comparison_intro", language, n=len(runs), first=heads[0]),
        footer=f"healthplan {first.get('healthplan', '-')}",
        page_size="A4 landscape" if len(runs) > 4 else "A4",
        body_class="wide-table" if len(runs) > 4 else "",
        columns=heads,
        rows=_comparison_rows(runs, language),
        scenarios=described,
        caveats=caveats(first, language),
        sources=source_rows,
        sources_note=sources_note,
    )
    html = render("comparison.html.j2", context)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return write_pages(html, folder, briefing_names(language, pdf=pdf))
