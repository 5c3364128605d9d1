"""Byte for byte: the map PNG and the briefing PDF do not depend on when, where or how.

A baseline run folder (no images) is copied into three working directories; each copy gets
its ``map.png`` and ``briefing.pdf`` from a subprocess with another locale, time zone and
working directory. Before the fixes the PDFs differed with ``LC_ALL=zh_CN.UTF-8`` (localised font
names) and the PNG now and then caught the map in the middle of its opening zoom animation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios import png
from scenarios.maps._html import READY_FLAG
from scenarios.runner import run_scenario

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

RUN_FILES = ("summary.json", "counties.csv", "map.html")
ENVIRONMENTS = {
    "zh_CN": {"LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8", "TZ": "Asia/Shanghai"},
    "en_US": {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8", "TZ": "America/New_York"},
    "C": {"LANG": "C.UTF-8", "TZ": "UTC"},
}
# Run with a path relative to the working directory, as a user in a shell would.
_RENDER_SCRIPT = """
import sys
from pathlib import Path
from scenarios.briefing import write_briefing
from scenarios.png import export_png
run = Path(sys.argv[1])
export_png(run / "map.html", run / "map.png", width=800, height=500, scale=1)
write_briefing(run, language="zh")
"""
# Records the map's state at the moment the page reports itself ready.
_RECORD_READY_JS = f"""
Object.defineProperty(window, "{READY_FLAG}", {{
    configurable: true,
    get() {{ return window.__ready === true; }},
    set(value) {{
        const pane = document.querySelector(".leaflet-map-pane");
        const map = window[document.querySelector(".folium-map").id];
        window.__atReady = {{
            animating: pane.classList.contains("leaflet-zoom-anim"),
            zoom: map.getZoom(),
            transform: pane.style.transform,
        }};
        window.__ready = value;
    }},
}});
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A solved baseline folder with its map page (no images, no briefing)."""
    folder = tmp_path_factory.mktemp("determinism") / "baseline"
    run_scenario("baseline", folder, png=False, briefing=False)
    return folder


def _render(run_dir: Path, cwd: Path, environment: dict[str, str]) -> tuple[bytes, bytes]:
    """``map.png`` and ``briefing.pdf`` of a copy of `run_dir` made in `cwd` under `environment`."""
    (cwd / "run").mkdir(parents=True)
    for name in RUN_FILES:
        shutil.copy2(run_dir / name, cwd / "run" / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "TZ"))}
    subprocess.run(
        [sys.executable, "-c", _RENDER_SCRIPT, "run"],
        cwd=cwd,
        env={**env, "PYTHONPATH": os.pathsep.join(sys.path), **environment},
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (cwd / "run" / "map.png").read_bytes(), (cwd / "run" / "briefing.pdf").read_bytes()


def test_png_and_pdf_bytes_do_not_depend_on_locale_time_zone_or_directory(
    run_dir: Path, tmp_path: Path
) -> None:
    outputs = {
        name: _render(run_dir, tmp_path / name / ("deeper" * i), environment)
        for i, (name, environment) in enumerate(ENVIRONMENTS.items())
    }
    first_png, first_pdf = outputs["zh_CN"]
    assert first_png.startswith(b"\x89PNG")
    assert first_pdf.startswith(b"%PDF-")
    for name, (png_bytes, pdf_bytes) in outputs.items():
        assert png_bytes == first_png, f"map.png differs between zh_CN and {name}"
        assert pdf_bytes == first_pdf, f"briefing.pdf differs between zh_CN and {name}"


def test_map_reports_ready_only_when_the_view_is_final(run_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(png.CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.add_init_script(_RECORD_READY_JS)
            page.goto((run_dir / "map.html").as_uri())
            page.wait_for_function(f"() => window.{READY_FLAG} === true")
            at_ready = page.evaluate("() => window.__atReady")
            page.wait_for_timeout(600)  # longer than Leaflet's 250 ms zoom animation
            later = page.evaluate(
                "() => window[document.querySelector('.folium-map').id].getZoom()"
            )
        finally:
            browser.close()
    assert at_ready["animating"] is False, "ready flag set during a zoom animation"
    assert at_ready["zoom"] == later, "the map zoomed after it reported itself ready"
    assert "scale" not in at_ready["transform"]


def test_a_whole_run_is_the_same_in_any_locale_time_zone_and_folder(tmp_path: Path) -> None:
    """Every file of a run folder but ``timing.json``, from two shells that differ in locale,
    time zone and working directory (the GeoPackage, CSVs, JSON, maps and briefings)."""
    healthplan = str(Path(sys.executable).with_name("healthplan"))
    folders = {}
    for name in ("zh_CN", "C"):
        cwd = tmp_path / f"shell-{name}"
        cwd.mkdir()
        env = {**os.environ, **ENVIRONMENTS[name]}
        done = subprocess.run(
            [healthplan, "run", "tight_budget", "-o", "out/run", "--no-png"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        folders[name] = cwd / "out" / "run"
    names = sorted(p.name for p in folders["C"].iterdir())
    assert sorted(p.name for p in folders["zh_CN"].iterdir()) == names
    assert {"plan.gpkg", "briefing.pdf", "briefing_en.pdf", "map.html"} <= set(names)
    differ = [
        n
        for n in names
        if n != "timing.json"
        and (folders["C"] / n).read_bytes() != (folders["zh_CN"] / n).read_bytes()
    ]
    assert differ == []
