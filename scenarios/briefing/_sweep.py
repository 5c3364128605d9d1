"""Budget sweeps: the coverage-vs-budget trade-off chart and its briefing page.

>>> sweep_chart(rows, "out/sweep/sweep.png", language="zh")
>>> write_sweep_briefing("out/sweep", language="en")   # sweep_en.png + briefing_en.html/.pdf

The chart is drawn with matplotlib's object API (no pyplot state) and saved without the
``Software`` PNG text, so the same rows give the same bytes. Chinese labels need the font
WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``); English uses matplotlib's own DejaVu Sans.
Both are re-exported by `scenarios.briefing`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from scenarios.briefing._figures import caveats, sources
from scenarios.briefing._model import number, status_text
from scenarios.briefing._render import (
    BriefingError,
    briefing_names,
    check_language,
    data_uri,
    package_version,
    page_context,
    render,
    write_atomic,
    write_pages,
)
from scenarios.briefing._text import capital, fmt_cny, fmt_gap, fmt_signed, money_unit, text
from scenarios.maps.style import TIER_COLORS, fmt_int, fmt_share, tier_name
from scenarios.rundir import SUMMARY, read_summary

__all__ = ["sweep_chart", "write_sweep_briefing"]

#: Statuses whose rows have a plan to draw.
_SOLVED: Final = ("optimal", "feasible")


def _sweep_frame(rows: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if "budget_cny" not in frame.columns or not _sweep_tiers(frame):
        msg = "sweep rows need budget_cny and at least one <tier>_covered_share column"
        raise ValueError(msg)
    if frame.empty:
        msg = "sweep rows: no rows"
        raise ValueError(msg)
    frame["budget_cny"] = pd.to_numeric(frame["budget_cny"], errors="raise")
    if "status" not in frame.columns:
        frame["status"] = "optimal"
    frame["status"] = frame["status"].fillna("").astype(str)
    return frame.sort_values("budget_cny", kind="stable").reset_index(drop=True)


def _sweep_tiers(frame: pd.DataFrame) -> list[str]:
    suffix = "_covered_share"
    return [str(c)[: -len(suffix)] for c in frame.columns if str(c).endswith(suffix)]


def _chart_fonts(language: str) -> list[str]:
    """Font families of the chart; Chinese needs WenQuanYi Micro Hei (checked, not guessed)."""
    if language != "zh":
        return ["DejaVu Sans"]
    from matplotlib import font_manager

    family = "WenQuanYi Micro Hei"
    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except ValueError as exc:
        msg = f"Chinese charts need the font {family}: apt-get install fonts-wqy-microhei"
        raise BriefingError(msg) from exc
    return [family, "DejaVu Sans"]


def sweep_chart(
    rows: pd.DataFrame | Sequence[Mapping[str, Any]],
    png_path: str | os.PathLike[str],
    *,
    language: str = "zh",
) -> Path:
    """Draw covered share against budget, one line per tier, as a deterministic PNG.

    Parameters
    ----------
    rows
        One row per budget with ``budget_cny`` and ``<tier>_covered_share`` (0..1) per tier;
        ``status`` optional: rows not ``optimal``/``feasible`` are left out, ``feasible``
        ones drawn hollow (not proven optimal).
    png_path
        Output file (1,500 x 780 pixels).
    language
        ``"zh"`` or ``"en"``: labels, tier names and money units (亿元 / billion CNY).

    Returns
    -------
    pathlib.Path
        `png_path`.
    """
    check_language(language)
    frame = _sweep_frame(rows)
    fonts = _chart_fonts(language)
    import matplotlib
    from matplotlib.figure import Figure

    divisor, unit = money_unit(float(frame["budget_cny"].max()), language)
    x = frame["budget_cny"].to_numpy(dtype=float) / divisor
    solved = frame["status"].isin(_SOLVED).to_numpy()
    hollow = (frame["status"] == "feasible").to_numpy()
    with matplotlib.rc_context(
        {
            "font.family": fonts,
            "font.size": 9.0,
            "axes.unicode_minus": False,
            "svg.hashsalt": "healthplan",
        }
    ):
        figure = Figure(figsize=(7.5, 3.9), dpi=200, layout="constrained")
        ax = figure.add_subplot()
        highest = 0.0
        for tier in _sweep_tiers(frame):
            share = pd.to_numeric(frame[f"{tier}_covered_share"], errors="coerce").to_numpy()
            keep = solved & ~np.isnan(share)
            color = TIER_COLORS.get(tier, "#333333")
            y = 100.0 * share
            ax.plot(
                x[keep],
                y[keep],
                color=color,
                marker="o",
                markersize=4.5,
                linewidth=1.8,
                label=capital(tier_name(tier, language)),
            )
            open_points = keep & hollow
            if open_points.any():
                ax.plot(
                    x[open_points],
                    y[open_points],
                    linestyle="none",
                    marker="o",
                    markersize=4.5,
                    markerfacecolor="white",
                    markeredgecolor=color,
                )
            if keep.any():
                highest = max(highest, float(y[keep].max()))
        ax.set_xlabel(text("sweep_x", language, unit=unit))
        ax.set_ylabel(text("sweep_y", language))
        ax.set_title(text("sweep_chart_title", language), loc="left", fontsize=10.5)
        ax.grid(visible=True, color="#dddddd", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.margins(x=0.03, y=0.12)
        if highest > 0:
            low, high = ax.get_ylim()
            ax.set_ylim(low, min(high, 101.0))
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(loc="lower right", frameon=False)
        if hollow.any():
            ax.text(
                0.0,
                -0.16,
                text("sweep_not_optimal", language),
                transform=ax.transAxes,
                fontsize=7.5,
                color="#555555",
            )
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return write_atomic(Path(png_path), buffer.getvalue())


def _sweep_lines(frame: pd.DataFrame, language: str) -> list[str]:
    solved = frame[frame["status"].isin(_SOLVED)]
    lines = []
    for tier in _sweep_tiers(frame):
        rows = solved[solved[f"{tier}_covered_share"].notna()]
        if len(rows) < 2:
            continue
        first, last, previous = rows.iloc[0], rows.iloc[-1], rows.iloc[-2]
        column = f"{tier}_covered_population"
        step = (
            fmt_signed(float(last[column]) - float(previous[column]))
            if column in rows.columns
            else "-"
        )
        lines.append(
            text(
                "sweep_tier_line",
                language,
                tier=tier_name(tier, language),
                b0=fmt_cny(float(first["budget_cny"]), language),
                b1=fmt_cny(float(last["budget_cny"]), language),
                b_prev=fmt_cny(float(previous["budget_cny"]), language),
                s0=fmt_share(float(first[f"{tier}_covered_share"])),
                s1=fmt_share(float(last[f"{tier}_covered_share"])),
                last=step,
            )
        )
    return lines


def _sweep_table(frame: pd.DataFrame, language: str) -> tuple[list[str], list[list[str]]]:
    tiers = _sweep_tiers(frame)
    head = [text(f"th_{k}", language) for k in ("budget", "status", "gap", "cost", "upgrades")]
    head += [text("th_share", language, tier=tier_name(t, language)) for t in tiers]
    body = []
    for _, row in frame.iterrows():
        cells = [
            fmt_cny(float(row["budget_cny"]), language),
            status_text(
                str(row["status"]),
                language,
                gap=number(row.get("gap")) if pd.notna(row.get("gap")) else None,
            ),
            fmt_gap(number(row.get("gap")) if pd.notna(row.get("gap")) else None),
            fmt_cny(
                number(row.get("cost_cny")) if pd.notna(row.get("cost_cny")) else None, language
            ),
            "-" if pd.isna(row.get("upgrades")) else f"{int(row['upgrades'])}",
        ]
        for tier in tiers:
            share = row.get(f"{tier}_covered_share")
            people = row.get(f"{tier}_covered_population")
            shown = "-" if pd.isna(share) else fmt_share(float(share))
            if people is not None and pd.notna(people):
                shown += f" · {fmt_int(float(people))}"
            cells.append(shown)
        body.append(cells)
    return head, body


def write_sweep_briefing(
    sweep_dir: str | os.PathLike[str],
    *,
    language: str = "zh",
    pdf: bool = True,
    title: str | None = None,
) -> list[Path]:
    """Write the trade-off chart and briefing of a budget sweep into `sweep_dir`.

    Reads ``sweep_dir/sweep.csv`` (columns ``budget_cny``, ``status``, ``gap``, ``cost_cny``,
    ``upgrades`` and per tier ``<tier>_covered_share`` and ``<tier>_covered_population``)
    and, when present, ``sweep_dir/summary.json`` (the summary of one of the sweep's runs:
    scenario name, data caveats and sources; without it the shipped Liaoning dataset's
    sources are credited). Writes ``sweep.png`` and ``briefing.html``/``.pdf``
    (``sweep_en.png`` and ``briefing_en.*`` in English).

    Parameters
    ----------
    sweep_dir
        The sweep's folder.
    language
        ``"zh"`` or ``"en"``.
    pdf
        Also write the PDF.
    title
        Page title (default: "Budget vs coverage" and the scenario name when known).

    Returns
    -------
    list of pathlib.Path
        The chart, the HTML and the PDF.
    """
    check_language(language)
    folder = Path(sweep_dir)
    table = folder / "sweep.csv"
    if not table.is_file():
        msg = f"{folder}: no sweep.csv - run healthplan sweep first"
        raise FileNotFoundError(msg)
    frame = _sweep_frame(pd.read_csv(table, dtype={"status": str}))
    chart = sweep_chart(
        frame,
        folder / ("sweep.png" if language == "zh" else f"sweep_{language}.png"),
        language=language,
    )
    summary: dict[str, Any] = {}
    if (folder / SUMMARY).is_file():
        summary = read_summary(folder)
    name = summary.get("scenario", {}).get("name")
    heading = title or text("sweep_title", language) + (
        f"{text('colon', language)}{name}" if name else ""
    )
    head, body = _sweep_table(frame, language)
    source_rows, sources_note = (
        sources(summary, language)
        if summary
        else sources({"data": {"dataset": "liaoning"}}, language)
    )
    context = page_context(
        language,
        heading,
        meta=text("sweep_intro", language),
        footer=f"healthplan {summary.get('healthplan', package_version())}",
        chart_uri=data_uri(chart),
        tier_lines=_sweep_lines(frame, language),
        head=head,
        body=body,
        caveats=caveats(summary, language) if summary else [],
        sources=source_rows,
        sources_note=sources_note,
    )
    html = render("sweep.html.j2", context)
    return [chart, *write_pages(html, folder, briefing_names(language, pdf=pdf))]
