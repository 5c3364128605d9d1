"""Briefings of a real baseline run, of a comparison and of a hand-written budget sweep.

One run folder is solved and drawn per module (``run_scenario("baseline", png=True)``: the
map image needs headless Chromium, installed by ``make test``); the other folders are copies
of it with edited ``summary.json`` / ``counties.csv``. PDFs are rendered to PNG with
poppler's ``pdftoppm`` (also installed by ``make test``) and checked for pages and ink.
"""

from __future__ import annotations

import base64
import csv
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from scenarios import briefing
from scenarios.briefing import (
    briefing_names,
    sweep_chart,
    write_briefing,
    write_comparison_briefing,
    write_sweep_briefing,
)
from scenarios.briefing._model import tradeoffs
from scenarios.briefing._text import SOURCES, TEXT, fmt_cny
from scenarios.runner import run_scenario

EVIL = "<script>alert(1)</script>"
RUN_FILES = ("summary.json", "counties.csv", "map.png")
SWEEP_ROWS = [
    {
        "budget_cny": 0.0,
        "status": "optimal",
        "gap": 0.0,
        "cost_cny": 0.0,
        "upgrades": 0,
        "township_central_covered_share": 0.7946,
        "township_central_covered_population": 33_841_905,
        "county_3a_covered_share": 0.7096,
        "county_3a_covered_population": 30_222_256,
    },
    {
        "budget_cny": 5e8,
        "status": "optimal",
        "gap": 0.0,
        "cost_cny": 5e8,
        "upgrades": 25,
        "township_central_covered_share": 0.8688,
        "township_central_covered_population": 37_001_567,
        "county_3a_covered_share": 0.7096,
        "county_3a_covered_population": 30_222_256,
    },
    {
        "budget_cny": 1.5e9,
        "status": "feasible",
        "gap": 0.004,
        "cost_cny": 1.5e9,
        "upgrades": 42,
        "township_central_covered_share": 0.8942,
        "township_central_covered_population": 38_086_223,
        "county_3a_covered_share": 0.7668,
        "county_3a_covered_population": 32_659_332,
    },
    {
        "budget_cny": 3e9,
        "status": "infeasible",
        "gap": None,
        "cost_cny": None,
        "upgrades": None,
        "township_central_covered_share": None,
        "township_central_covered_population": None,
        "county_3a_covered_share": None,
        "county_3a_covered_population": None,
    },
]


# --- helpers --------------------------------------------------------------------------------


class Page(HTMLParser):
    """Tags, attributes and text of a briefing page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self.headings: dict[str, list[str]] = {"h1": [], "h2": []}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._stack and self._stack[-1] in self.headings:
            self.headings[self._stack[-1]].append(data.strip())

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def _copy_run(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for name in RUN_FILES:
        shutil.copy2(source / name, target / name)
    return target


def _summary(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _save_summary(folder: Path, summary: dict[str, Any]) -> None:
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), "utf-8")


def _pdf_pages(pdf: Path, out: Path) -> list[Path]:
    """The pages of `pdf` as PNG files at 50 dpi."""
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(pdf), str(out / pdf.stem)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return sorted(out.glob(f"{pdf.stem}-*.png"))


def _colours(png: Path) -> tuple[int, float, tuple[int, int]]:
    """Distinct colours, share of the most common one, and the size of an image."""
    with Image.open(png) as image:
        size = image.size
        rgb = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(np.int64)
    packed = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    return len(values), float(counts.max() / len(packed)), size


def _check_a4_pages(pdf: Path, out: Path, *, pages: tuple[int, int], first_colours: int) -> None:
    """`pdf` has `pages` portrait A4 pages with ink; the first has `first_colours` colours."""
    files = _pdf_pages(pdf, out)
    assert pages[0] <= len(files) <= pages[1], f"{pdf.name}: {len(files)} pages"
    for number, page in enumerate(files, start=1):
        distinct, common, (width, height) = _colours(page)
        assert height / width == pytest.approx(297 / 210, rel=0.01), f"page {number} not A4"
        assert common < 0.97, f"page {number} is blank"
        assert distinct > 20, f"page {number} has too few colours"
        if number == 1:
            assert distinct > first_colours, f"first page: only {distinct} colours"


def _pdf_fonts(pdf: Path) -> str:
    return subprocess.run(
        ["pdffonts", str(pdf)], check=True, capture_output=True, text=True, timeout=30
    ).stdout


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The baseline run folder (solved once per module, with its map.png)."""
    folder = tmp_path_factory.mktemp("briefing") / "baseline"
    run_scenario("baseline", folder, png=True)
    return folder


@pytest.fixture
def run_copy(run_dir: Path, tmp_path: Path) -> Path:
    """A copy of the run folder's briefing inputs, free to edit."""
    return _copy_run(run_dir, tmp_path / "run")


# --- plan briefing --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.browser
@pytest.mark.xdist_group("briefing")
def test_briefing_structure(run_copy: Path, language: str) -> None:
    summary = _summary(run_copy)
    written = write_briefing(run_copy, language=language, pdf=False)
    assert [p.name for p in written] == briefing_names(language, pdf=False)
    html = written[0].read_text(encoding="utf-8")
    page = Page(html)
    labels = TEXT[language]
    assert page.headings["h1"] == [labels["title"].format(name=summary["scenario"]["name"])]
    assert page.headings["h2"] == [
        labels[k]
        for k in (
            "h_scenario",
            "h_figures",
            "h_map",
            "h_tradeoffs",
            "h_futures",
            "h_upgrades",
            "h_caveats",
            "h_sources",
        )
    ]
    # Key figures carry the summary's values, before and after, per tier.
    for tier, metrics in summary["plan"]["tiers"].items():
        for key in ("covered_population", "covered_share", "mean_minutes", "worst_group_share"):
            assert len(page.all("tr", **{"data-key": f"{tier}.{key}"})) == 1
            cells = _row_values(html, f"{tier}.{key}")
            for label, value in zip(("before", "after"), cells, strict=True):
                expected = metrics[label][key]
                assert value == pytest.approx(expected), (tier, key, label)
        after = metrics["after"]["covered_population"]
        assert f"{round(after):,}" in page.plain
    assert _wide_value(html, "cost_cny") == pytest.approx(summary["plan"]["cost_cny"])
    assert _wide_value(html, "status") == summary["plan"]["status"]
    assert fmt_cny(summary["plan"]["cost_cny"], language) in page.plain
    # The upgrade list: the top 20 by newly covered people, the rest counted.
    upgrades = sorted(
        summary["upgrades"], key=lambda u: (u["year"], -u["newly_covered"], u["facility_id"])
    )
    listed = [a["data-facility"] for a in page.all("tr") if "data-facility" in a]
    assert listed == [u["facility_id"] for u in upgrades[:20]]
    assert len(upgrades) > 20
    assert labels["more_upgrades"].format(n=len(upgrades) - 20) in page.plain
    # Caveats with the data's counts, sources with the CC BY attributions.
    counts = summary["data"]["summary"]
    assert f"{counts['proxy_facilities']:,}" in page.plain
    synthetic = sum(n for k, n in counts["township_coord_source"].items() if k.startswith("syn"))
    assert f"{synthetic:,}" in page.plain
    for licence in ("CC BY 4.0 — © Vonng/adcode", "CC BY 4.0 — © GeoNames", "ODbL 1.0"):
        assert licence in page.plain
    # Self-contained: the map is the run's map.png as a data URI, nothing else is loaded.
    images = page.all("img")
    assert len(images) == 1
    prefix = "data:image/png;base64,"
    assert images[0]["src"].startswith(prefix)
    assert base64.b64decode(images[0]["src"][len(prefix) :]) == (run_copy / "map.png").read_bytes()
    assert not [a for t, a in page.tags if t in ("script", "link")]
    assert "http://" not in html
    assert "https://" not in html


def _row_values(html: str, key: str) -> list[float]:
    """``data-value`` of the before and after cells of a key-figure row."""
    row = html.split(f'data-key="{key}"', 1)[1].split("</tr>", 1)[0]
    parts = row.split('data-value="')[1:]
    return [float(part.split('"', 1)[0]) for part in parts]


def _wide_value(html: str, key: str) -> Any:
    row = html.split(f'data-key="{key}"', 1)[1].split("</tr>", 1)[0]
    raw = row.split('data-value="', 1)[1].split('"', 1)[0]
    try:
        return float(raw)
    except ValueError:
        return raw


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.browser
@pytest.mark.xdist_group("briefing")
def test_briefing_escapes_data(run_copy: Path, language: str) -> None:
    summary = _summary(run_copy)
    summary["scenario"]["name"] = "<b>Plan</b> & co"
    summary["scenario"]["description"] = '<img src=x onerror="alert(1)">'
    top = max(summary["upgrades"], key=lambda u: u["newly_covered"])
    top["name_zh"] = top["name_en"] = EVIL
    _save_summary(run_copy, summary)
    with (run_copy / "counties.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        if row["county_code"] == top["county_code"]:
            row["name_zh"] = row["name_en"] = "<i>county</i>"
    with (run_copy / "counties.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    (html_path,) = write_briefing(run_copy, language=language, pdf=False)
    html = html_path.read_text(encoding="utf-8")
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Plan&lt;/b&gt; &amp; co" in html
    assert "&lt;i&gt;county&lt;/i&gt;" in html
    page = Page(html)
    assert not page.all("script")
    assert not page.all("b")
    assert not page.all("i")
    assert len(page.all("img")) == 1  # the map, not the description's
    assert EVIL in page.plain  # shown as text


@pytest.mark.browser
@pytest.mark.xdist_group("briefing")
def test_briefing_pdf_renders_and_is_deterministic(run_dir: Path, tmp_path: Path) -> None:
    first = _copy_run(run_dir, tmp_path / "a")
    second = _copy_run(run_dir, tmp_path / "elsewhere" / "b")
    for language in ("zh", "en"):
        one = write_briefing(first, language=language)
        assert [p.name for p in one] == briefing_names(language)
        if language == "zh":  # both languages share the code; one repeat checks the bytes
            two = write_briefing(second, language=language)
            for a, b in zip(one, two, strict=True):
                assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two writes"
        pdf = one[1]
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert b"/CreationDate" not in pdf.read_bytes()
        assert b"/ID" in pdf.read_bytes()
        assert "WenQuanYi" in _pdf_fonts(pdf)
        pages = tmp_path / f"pages_{language}"
        pages.mkdir()
        _check_a4_pages(pdf, pages, pages=(1, 2), first_colours=1000)  # the map


@pytest.mark.browser
@pytest.mark.xdist_group("briefing")
def test_briefing_without_map_says_so(run_copy: Path) -> None:
    (run_copy / "map.png").unlink()
    (html_path,) = write_briefing(run_copy, language="en", pdf=False)
    page = Page(html_path.read_text(encoding="utf-8"))
    assert not page.all("img")
    assert TEXT["en"]["map_missing"] in page.plain


@pytest.mark.browser
@pytest.mark.xdist_group("briefing")
def test_long_scenario_text_shrinks_the_map_to_keep_two_pages(run_copy: Path) -> None:
    summary = _summary(run_copy)
    summary["scenario"]["description"] = " ".join([summary["scenario"]["description"]] * 5)
    _save_summary(run_copy, summary)
    (html_path,) = write_briefing(run_copy, language="en", pdf=False)
    html = html_path.read_text(encoding="utf-8")
    (style,) = [a["style"] for a in Page(html).all("img")]
    assert style == "max-height: 74.0mm"  # 98 and 86 mm pushed the map to page 2
    assert html.count("data-facility=") == 20  # page 2 was never the problem


def test_briefing_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no summary\.json"):
        write_briefing(tmp_path)
    with pytest.raises(ValueError, match="language 'fr'"):
        write_briefing(tmp_path, language="fr")
    with pytest.raises(ValueError, match="at least two"):
        write_comparison_briefing([tmp_path], tmp_path / "out")


# --- comparison -----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.xdist_group("briefing")
def test_comparison_briefing(run_dir: Path, tmp_path: Path) -> None:
    base = _copy_run(run_dir, tmp_path / "base")
    variant = _copy_run(run_dir, tmp_path / "variant")
    summary = _summary(variant)
    summary["scenario"]["name"] = "Variant"
    dropped = summary["upgrades"][:2]
    summary["upgrades"] = summary["upgrades"][2:]
    summary["plan"]["cost_cny"] = 1.2e9
    _save_summary(variant, summary)

    out = tmp_path / "compare"
    written = write_comparison_briefing([base, variant], out, language="en")
    assert [p.name for p in written] == ["briefing_en.html", "briefing_en.pdf"]
    html = written[0].read_text(encoding="utf-8")
    page = Page(html)
    head = [a for t, a in page.tags if t == "th"]
    assert head  # table present
    assert "Liaoning baseline" in page.plain
    assert "Variant" in page.plain
    # the baseline spent 1.5e9 before the Grade-3A hospital points of issue 13
    assert _cells(html, "cost_cny") == ["1490000000.0", "1200000000.0"]
    assert _cells(html, "removed")[1] == "2"
    assert _cells(html, "added")[1] == "0"
    for upgrade in dropped:
        assert upgrade["name_en"] in page.plain
    tiers = summary["plan"]["tiers"]
    after = [str(tiers["township_central"]["after"]["covered_population"])] * 2
    assert _cells(html, "township_central.after") == after
    pages = tmp_path / "pages"
    pages.mkdir()
    _check_a4_pages(written[1], pages, pages=(1, 2), first_colours=20)

    labelled = write_comparison_briefing(
        [base, variant], out, language="zh", labels=["甲", "乙"], pdf=False
    )
    assert "甲" in Page(labelled[0].read_text(encoding="utf-8")).plain
    with pytest.raises(ValueError, match="one per run"):
        write_comparison_briefing([base, variant], out, labels=["only one"])


def _cells(html: str, key: str) -> list[str]:
    row = html.split(f'data-key="{key}"', 1)[1].split("</tr>", 1)[0]
    return [part.split('"', 1)[0] for part in row.split('data-value="')[1:]]


# --- budget sweep ---------------------------------------------------------------------------


def test_sweep_chart_is_deterministic(tmp_path: Path) -> None:
    one = sweep_chart(SWEEP_ROWS, tmp_path / "one.png", language="zh")
    two = sweep_chart(SWEEP_ROWS, tmp_path / "two.png", language="zh")
    assert one.read_bytes() == two.read_bytes()
    english = sweep_chart(SWEEP_ROWS, tmp_path / "en.png", language="en")
    assert english.read_bytes() != one.read_bytes()
    for chart in (one, english):
        distinct, common, size = _colours(chart)
        assert size == (1500, 780)
        assert distinct > 20
        assert common < 0.95
    with pytest.raises(ValueError, match="budget_cny"):
        sweep_chart([{"cost_cny": 1.0}], tmp_path / "bad.png")


def test_sweep_briefing(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    folder.mkdir()
    with (folder / "sweep.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(SWEEP_ROWS[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(SWEEP_ROWS)
    for language in ("zh", "en"):
        written = write_sweep_briefing(folder, language=language)
        chart = "sweep.png" if language == "zh" else "sweep_en.png"
        assert [p.name for p in written] == [chart, *briefing_names(language)]
        html = written[1].read_text(encoding="utf-8")
        page = Page(html)
        assert len(page.all("tr")) == 1 + len(SWEEP_ROWS)
        assert page.all("img")[0]["src"].startswith("data:image/png;base64,")
        assert "89.4%" in page.plain
        assert TEXT[language]["sweep_title"] in page.headings["h1"][0]
        pages = tmp_path / f"pages_{language}"
        pages.mkdir()
        _check_a4_pages(written[2], pages, pages=(1, 1), first_colours=100)  # the chart
    # With a run summary beside it: the scenario's name (escaped) and the data caveats.
    summary = {
        "healthplan": "0.1.0",
        "scenario": {"name": "Demo <x>"},
        "data": {"dataset": "liaoning", "summary": {"facilities": 10, "proxy_facilities": 7}},
        "travel": {"graph": "approximated roads", "cutoff_minutes": 120},
        "plan": {"status": "optimal"},
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (html_path,) = write_sweep_briefing(folder, language="en", pdf=False)[1:]
    page = Page(html_path.read_text(encoding="utf-8"))
    assert page.headings["h1"] == ["Budget vs coverage: Demo <x>"]
    assert "7 of 10 facilities are proxies" in page.plain
    with pytest.raises(FileNotFoundError, match=r"sweep\.csv"):
        write_sweep_briefing(tmp_path)


# --- words ----------------------------------------------------------------------------------


def test_text_has_the_same_keys_in_both_languages() -> None:
    assert set(TEXT["zh"]) == set(TEXT["en"])
    assert len(SOURCES["zh"]) == len(SOURCES["en"])


@pytest.mark.parametrize(
    ("settings", "zh", "en"),
    [
        ({"objective": "equity", "equity_group": "county"}, "公平优先", "Equity first"),
        ({"tier": {"county_3a": {"within_county": True}}}, "医共体", "county medical community"),
        ({"tier": {"county_3a": {"every_county": True}}}, "每县一所", "Every county gets"),
        ({"yearly_budgets_cny": [3e8, 3e8], "carry_over": False}, "分年度", "Phasing"),
        ({"travel": {"speed_factor": {"rural": 0.7}}}, "冬季", "Winter"),
        ({"demand_weight": "pop_65plus"}, "65 岁及以上", "aged 65 and over"),
        ({"rules": {"exclude": ["THC-1"]}}, "排除", "excluded"),
    ],
)
def test_every_choice_explains_its_trade_off(settings: dict[str, Any], zh: str, en: str) -> None:
    full = {"objective": "coverage", "tiers": ["township_central", "county_3a"], **settings}
    assert any(zh in line for line in tradeoffs(full, "zh"))
    assert any(en in line for line in tradeoffs(full, "en"))
    assert len(tradeoffs(full, "zh")) == len(tradeoffs(full, "en"))


def test_module_exports() -> None:
    assert set(briefing.__all__) >= {
        "write_briefing",
        "write_comparison_briefing",
        "sweep_chart",
        "write_sweep_briefing",
    }
