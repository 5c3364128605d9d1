"""PNG export of real plan maps with headless Debian Chromium (marker: browser).

Not skipped when Chromium is missing: `make test` installs it (and the CJK font) with apt,
and CI must render for real.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from map_inputs import TIER, Plan
from PIL import Image

from scenarios import png
from scenarios.maps import plan_map, save_map
from scenarios.png import ExportError, export_png

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def map_files(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("png")
    return {
        language: save_map(
            plan_map(
                plan.world,
                plan.facilities,
                plan.demand,
                plan.county_summary,
                tier=TIER,
                language=language,
            ),
            folder / f"map_{language}.html",
        )
        for language in ("zh", "en")
    }


def _check_image(path: Path, size: tuple[int, int]) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == size
        rgb = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(np.int64)
    packed = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    assert len(values) > 50, "image has too few colours: blank or unstyled map"
    most_common_share = counts.max() / len(packed)
    assert most_common_share < 0.6, f"one colour covers {most_common_share:.0%} of the image"
    # Township dots of the first travel-time class (#1a9850, within half the standard).
    colours = np.column_stack([values >> 16, (values >> 8) & 0xFF, values & 0xFF])
    distance = np.abs(colours - np.array([0x1A, 0x98, 0x50])).sum(axis=1)
    assert (distance < 40).any(), "no township dots in the image"


def test_export_png_scale_1(map_files: dict[str, Path], tmp_path: Path) -> None:
    out = export_png(map_files["zh"], tmp_path / "map.png", width=800, height=500, scale=1)
    assert out == tmp_path / "map.png"
    _check_image(out, (800, 500))


def test_export_png_scale_2(map_files: dict[str, Path], tmp_path: Path) -> None:
    out = export_png(map_files["en"], tmp_path / "sub" / "map.png", width=800, height=500, scale=2)
    _check_image(out, (1600, 1000))


def test_cjk_font_is_installed() -> None:
    fc_list = shutil.which("fc-list")
    assert fc_list, "fontconfig missing: apt-get install chromium fonts-wqy-microhei"
    fonts = subprocess.run([fc_list], capture_output=True, text=True, check=True).stdout
    assert "wqy" in fonts.lower(), "CJK font missing: apt-get install fonts-wqy-microhei"


def test_missing_chromium_says_what_to_install(
    map_files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(png, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(ExportError, match=r"apt-get install chromium fonts-wqy-microhei"):
        export_png(map_files["zh"], tmp_path / "x.png")


def test_missing_html_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="save_map"):
        export_png(tmp_path / "nope.html", tmp_path / "x.png")


def test_escaped_names_show_as_text_in_the_browser(evil_plan: Plan, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    m = plan_map(
        evil_plan.world,
        evil_plan.facilities,
        evil_plan.demand,
        evil_plan.county_summary,
        tier=TIER,
        language="en",
    )
    page_path = save_map(m, tmp_path / "evil.html")
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(png.CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 800, "height": 500})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(page_path.as_uri())
            page.wait_for_function("() => window.healthplanMapReady === true")
            shown = page.evaluate(
                """() => {
                    const map = window[document.querySelector(".folium-map").id];
                    let text = null;
                    map.eachLayer((layer) => {
                        const tip = layer.feature && layer.feature.properties.tip;
                        if (tip && tip.includes("alert(2)")) {
                            layer.openTooltip(layer.getLatLng());
                            text = document.querySelector(".leaflet-tooltip").textContent;
                        }
                    });
                    return text;
                }"""
            )
            injected = page.evaluate("() => document.querySelectorAll('.hp-tip script').length")
        finally:
            browser.close()
    assert shown is not None
    assert "<script>alert(1)</script>" in shown
    assert '<img src=x onerror="alert(2)"> & more' in shown
    assert injected == 0
    assert dialogs == []
    assert errors == []


def test_export_reports_a_page_that_never_draws(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<html><body><script>window.healthplanMapReady = false; undefinedCall();</script>"
        "</body></html>",
        encoding="utf-8",
    )
    with pytest.raises(ExportError, match=r"PNG export failed: .*undefinedCall"):
        export_png(page, tmp_path / "x.png", width=200, height=100, scale=1, timeout_s=2)


# --- browser profiles: interrupts and stale folders ----------------------------------------

# Exports a map, exits 130 on KeyboardInterrupt (as the CLI does, which also turns SIGTERM
# into one) and prints nothing else.
_EXPORT_SCRIPT = """
import sys
from scenarios.png import export_png
try:
    export_png(sys.argv[1], sys.argv[2], width=1600, height=1000, scale=2)
except KeyboardInterrupt:
    sys.exit(130)
"""


def _start_export(map_file: Path, tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    """An export in a subprocess (own session, temp dir `tmp_path`), once Chromium runs."""
    export = subprocess.Popen(
        [sys.executable, "-c", _EXPORT_SCRIPT, str(map_file), str(tmp_path / "map.png")],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        profiles = list(tmp_path.glob("healthplan-chromium-*"))
        if profiles and png._profile_processes(profiles[0]):
            return export, profiles[0]
        assert export.poll() is None, export.communicate()
        time.sleep(0.05)
    export.kill()
    pytest.fail("Chromium did not start within 60 s")


@pytest.mark.slow
@pytest.mark.parametrize(("target", "delay_s"), [("process", 0.5), ("group", 0.3), ("group", 1.5)])
def test_interrupted_export_leaves_no_profile_or_browser(
    map_files: dict[str, Path], tmp_path: Path, target: str, delay_s: float
) -> None:
    # "process": SIGINT to Python alone, like the CLI's SIGTERM; "group": Ctrl-C in a
    # terminal, which also stops Playwright's driver and Chromium's parent.
    export, profile = _start_export(map_files["zh"], tmp_path)
    time.sleep(delay_s)
    if target == "group":
        os.killpg(export.pid, signal.SIGINT)
    else:
        export.send_signal(signal.SIGINT)
    try:
        _, stderr = export.communicate(timeout=60)
    finally:
        export.kill()
    assert export.returncode == 130, stderr
    assert stderr == ""  # no traceback, no asyncio "Future exception was never retrieved"
    assert not list(tmp_path.glob("healthplan-chromium-*"))
    assert png._profile_processes(profile) == []


def test_stale_profiles_are_removed(map_files: dict[str, Path], tmp_path: Path) -> None:
    export, killed = _start_export(map_files["zh"], tmp_path)
    export.kill()  # kill -9: nothing can clean up
    export.communicate(timeout=30)
    assert killed.is_dir()
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = tmp_path / f"healthplan-chromium-{finished.stdout.strip()}-abcdefgh"
    live = tmp_path / f"healthplan-chromium-{os.getpid()}-abcdefgh"
    unknown = tmp_path / "healthplan-chromium-abcdefgh"
    for folder in (gone, live, unknown):
        folder.mkdir()

    removed = png.remove_stale_profiles(tmp_path)

    assert sorted(removed) == sorted([killed, gone])
    assert png._profile_processes(killed) == []  # orphaned Chromium killed too
    assert live.is_dir()
    assert unknown.is_dir()
