"""PNG export of a saved map for slides: headless Debian Chromium driven by Playwright.

>>> export_png("out/map.html", "out/map.png", width=1600, height=1000, scale=2)

Uses the system Chromium (``/usr/bin/chromium``, Debian package ``chromium``) and never
downloads a browser (no ``playwright install``). Chinese labels need a CJK font: Debian's
``fonts-wqy-microhei``. The page is opened from its file URL with networking left to the page
(maps from `scenarios.maps.save_map` need none); the screenshot is taken once the page has
set ``window.healthplanMapReady`` (after Leaflet's ``whenReady`` and two painted frames), or,
for other Leaflet pages, once vector overlays or tiles exist, and web fonts are loaded.
Interactive controls (zoom buttons, layer switcher) are hidden in the image.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Final

from scenarios._map_html import READY_FLAG

__all__ = ["CHROMIUM", "ExportError", "export_png"]

#: The Debian Chromium binary.
CHROMIUM: Final = Path("/usr/bin/chromium")
_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
_INSTALL: Final = "apt-get install chromium fonts-wqy-microhei && pip install playwright"
_HIDE_CONTROLS: Final = ".leaflet-control-zoom, .leaflet-control-layers { display: none; }"
_FLAG_JS: Final = f"() => window.{READY_FLAG} === true"
_DRAWN_JS: Final = """() => typeof L !== "undefined" && document.querySelectorAll(
    ".leaflet-overlay-pane path, .leaflet-overlay-pane canvas, .leaflet-tile-loaded"
).length > 0"""


class ExportError(RuntimeError):
    """The PNG could not be made (missing browser, or the page never finished drawing)."""


def export_png(
    html_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    *,
    width: int = 1600,
    height: int = 1000,
    scale: float = 2,
    timeout_s: float = 60,
) -> Path:
    """Screenshot a map page into a PNG of ``width * scale`` by ``height * scale`` pixels.

    Parameters
    ----------
    html_path
        A saved map (`scenarios.maps.save_map`) or another Leaflet page.
    png_path
        Output file; parent folders are created.
    width, height
        Viewport in CSS pixels (the map's layout size).
    scale
        Device scale factor: 2 gives a sharp 3200 x 2000 image for a 1600 x 1000 layout.
    timeout_s
        Upper bound for loading, drawing and the screenshot (starting the browser may take
        up to 30 s more on a busy machine).

    Returns
    -------
    pathlib.Path
        `png_path`.

    Raises
    ------
    ExportError
        If Playwright or Chromium is missing (with the install line), or the map did not
        finish drawing within `timeout_s`.
    FileNotFoundError
        If `html_path` does not exist.
    """
    source = Path(html_path).resolve()
    if not source.is_file():
        msg = f"{source}: map file not found - write it with scenarios.maps.save_map first"
        raise FileNotFoundError(msg)
    if width <= 0 or height <= 0 or scale <= 0:
        msg = f"width, height and scale must be positive, got {width}, {height}, {scale}"
        raise ValueError(msg)
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        msg = f"PNG export needs Playwright: {_INSTALL}"
        raise ExportError(msg) from exc
    if not os.access(CHROMIUM, os.X_OK):
        msg = f"PNG export needs Chromium at {CHROMIUM}: {_INSTALL}"
        raise ExportError(msg)

    ready = _FLAG_JS if READY_FLAG in source.read_text(encoding="utf-8") else _DRAWN_JS
    target = Path(png_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="healthplan-chromium-")
    errors: list[str] = []
    timeout_ms = timeout_s * 1000.0
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=list(_ARGS),
                viewport={"width": width, "height": height},
                device_scale_factor=scale,
                # Starting the browser is not the page's fault: give it at least 30 s.
                timeout=max(timeout_ms, 30_000.0),
            )
            try:
                page = context.new_page()
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto(source.as_uri(), wait_until="load", timeout=timeout_ms)
                page.add_style_tag(content=_HIDE_CONTROLS)
                page.wait_for_function(ready, timeout=timeout_ms)
                page.evaluate("() => document.fonts.ready.then(() => true)")
                page.screenshot(path=str(target), full_page=False, timeout=timeout_ms)
            finally:
                context.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        page_error = f" (page error: {errors[0]})" if errors else ""
        msg = f"{source.name}: PNG export failed: {first}{page_error}"
        raise ExportError(msg) from exc
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return target
