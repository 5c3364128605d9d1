"""PNG export of a saved map for slides: headless Debian Chromium driven by Playwright.

>>> export_png("out/map.html", "out/map.png", width=1600, height=1000, scale=2)

Uses the system Chromium (``/usr/bin/chromium``, Debian package ``chromium``) and never
downloads a browser (no ``playwright install``). Chinese labels need a CJK font: Debian's
``fonts-wqy-microhei``. The page is opened from its file URL with networking left to the page
(maps from `scenarios.maps.save_map` need none); the screenshot is taken once the page has
set ``window.healthplanMapReady`` (after Leaflet's ``whenReady``, the end of any zoom animation
and two painted frames), or, for other Leaflet pages, once vector overlays or tiles exist; in
both cases only once no zoom animation is running and web fonts are loaded. Interactive
controls (zoom buttons, layer switcher) are hidden in the image.

Equal pages give byte-identical PNGs: the viewport, device scale factor, locale (``en-US``),
time zone (UTC) and the browser's ``LC_ALL``/``TZ`` are fixed, whatever the caller's
environment.

The browser profile is a folder ``healthplan-chromium-<pid>-*`` in the temporary directory.
It is removed, and any Chromium process still using it killed, when the export ends - also on
``KeyboardInterrupt`` (Ctrl-C, or SIGTERM turned into one by the CLI). Folders left by a
process that was killed outright (``kill -9``) are removed by the next export, once no
process with their PID exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from scenarios.maps._html import READY_FLAG

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext
from scenarios.errors import ScenariosError

__all__ = ["CHROMIUM", "ExportError", "export_png", "remove_stale_profiles"]

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
#: Locale, time zone and C library environment of the browser: fixed, so that the caller's
#: ``LANG``/``TZ`` cannot change fonts, number formats or dates in the image.
_LOCALE: Final = "en-US"
_TIMEZONE: Final = "UTC"
_BROWSER_ENV: Final = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
#: Chromium puts its singleton socket in a folder under ``TMPDIR``; a Unix socket path has at
#: most 107 bytes, so a long ``TMPDIR`` (pytest's under xdist, say) stops it at start-up.
_LONGEST_TMPDIR: Final = 48
#: Profile folders: ``healthplan-chromium-<pid of the exporting process>-<random>``.
_PROFILE_PREFIX: Final = "healthplan-chromium-"
_PROFILE_PATTERN: Final = re.compile(rf"^{_PROFILE_PREFIX}(\d+)-")
_INSTALL: Final = "apt-get install chromium fonts-wqy-microhei && pip install playwright"
_HIDE_CONTROLS: Final = ".leaflet-control-zoom, .leaflet-control-layers { display: none; }"
_FLAG_JS: Final = f"() => window.{READY_FLAG} === true"
_DRAWN_JS: Final = """() => typeof L !== "undefined" && document.querySelectorAll(
    ".leaflet-overlay-pane path, .leaflet-overlay-pane canvas, .leaflet-tile-loaded"
).length > 0"""
# Leaflet marks the map pane while a zoom animation runs; overlays are CSS-scaled until then.
_STILL_JS: Final = '() => document.querySelector(".leaflet-zoom-anim") === null'
_SETTLED_JS: Final = """() => document.fonts.ready.then(() => new Promise((resolve) =>
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)))))"""


class ExportError(ScenariosError, RuntimeError):
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
    _check_browser()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    ready = _FLAG_JS if READY_FLAG in source.read_text(encoding="utf-8") else _DRAWN_JS
    target = Path(png_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_profiles()
    profile = Path(tempfile.mkdtemp(prefix=f"{_PROFILE_PREFIX}{os.getpid()}-"))
    errors: list[str] = []
    interrupted = False

    def quiet_after_interrupt(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # Ctrl-C in a terminal also stops Playwright's driver; its loop then reports the
        # lost pipe when the objects are collected, after the interrupt has been handled.
        if not interrupted:
            loop.default_exception_handler(context)

    try:
        manager = sync_playwright()
        with _watch_interrupts() as signalled, manager as playwright:
            with contextlib.suppress(AttributeError):  # the loop is private to Playwright
                manager._loop.set_exception_handler(quiet_after_interrupt)
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=list(_ARGS),
                env=_browser_env(),
                locale=_LOCALE,
                timezone_id=_TIMEZONE,
                viewport={"width": width, "height": height},
                device_scale_factor=scale,
                # Starting the browser is not the page's fault: give it at least 30 s.
                timeout=max(timeout_s * 1000.0, 30_000.0),
            )
            try:
                _screenshot(
                    context, source, target, ready=ready, errors=errors, timeout_s=timeout_s
                )
            finally:
                # After an interrupt the driver may be gone already; the browser is
                # killed below in any case.
                with contextlib.suppress(PlaywrightError):
                    context.close()
    except KeyboardInterrupt:
        interrupted = True
        raise
    except PlaywrightError as exc:
        if signalled:  # an interrupt that Playwright turned into "browser has been closed"
            interrupted = True
            raise KeyboardInterrupt from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        page_error = f" (page error: {errors[0]})" if errors else ""
        msg = f"{source.name}: PNG export failed: {first}{page_error}"
        raise ExportError(msg) from exc
    finally:
        _remove_profile(profile)
    return target


def _browser_env() -> dict[str, str | float | bool]:
    """Return the browser's environment: fixed locale and time zone, a short ``TMPDIR``."""
    env: dict[str, str | float | bool] = {**os.environ, **_BROWSER_ENV}
    if len(tempfile.gettempdir()) > _LONGEST_TMPDIR and Path("/tmp").is_dir():
        env["TMPDIR"] = "/tmp"
    return env


@contextlib.contextmanager
def _watch_interrupts() -> Iterator[list[int]]:
    """Record SIGINT/SIGTERM while the browser runs, then pass each to the previous handler.

    A signal that lands while Playwright starts or drives Chromium (and, with Ctrl-C in a
    terminal, also reaches Chromium and the driver) often comes back as "Target page,
    context or browser has been closed" rather than `KeyboardInterrupt`; the record tells
    the two apart. Off the main thread nothing is watched.
    """
    signalled: list[int] = []
    previous: dict[int, Any] = {}

    def record(number: int, frame: FrameType | None) -> None:
        signalled.append(number)
        handler = previous.get(number)
        if callable(handler):
            handler(number, frame)
        elif handler != signal.SIG_IGN:
            raise KeyboardInterrupt

    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            current = signal.getsignal(number)
            if number == signal.SIGTERM and not callable(current):
                continue  # default SIGTERM ends the process: nothing to tell apart
            previous[number] = current
            signal.signal(number, record)
        except ValueError:  # not the main thread
            break
    try:
        yield signalled
    finally:
        for watched, handler in previous.items():
            signal.signal(watched, handler)


def _check_browser() -> None:
    """Raise `ExportError` with the install line unless Playwright and Chromium are there."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        msg = f"PNG export needs Playwright: {_INSTALL}"
        raise ExportError(msg) from exc
    if not os.access(CHROMIUM, os.X_OK):
        msg = f"PNG export needs Chromium at {CHROMIUM}: {_INSTALL}"
        raise ExportError(msg)


def _screenshot(
    context: BrowserContext,
    source: Path,
    target: Path,
    *,
    ready: str,
    errors: list[str],
    timeout_s: float,
) -> None:
    """Open `source`, wait until it is drawn and still, and write the screenshot."""
    timeout_ms = timeout_s * 1000.0
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(source.as_uri(), wait_until="load", timeout=timeout_ms)
    page.add_style_tag(content=_HIDE_CONTROLS)
    page.wait_for_function(ready, timeout=timeout_ms)
    page.wait_for_function(_STILL_JS, timeout=timeout_ms)
    page.evaluate(_SETTLED_JS)
    page.screenshot(path=str(target), full_page=False, timeout=timeout_ms)


def remove_stale_profiles(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the browser profiles of exports whose process no longer exists.

    A profile folder is named after the PID of the process that made it; when no process
    with that PID exists (the export was killed outright), any Chromium still using the
    folder is killed and the folder removed. Profiles of live processes, of other users and
    of unknown origin are left alone. A reused PID keeps a stale folder until that process
    ends; a temporary directory shared between PID namespaces (containers) is not supported:
    profiles of another namespace's live exports would look stale.

    Parameters
    ----------
    folder
        Where to look; default the temporary directory (`tempfile.gettempdir`).

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    removed: list[Path] = []
    for path in sorted(Path(folder or tempfile.gettempdir()).glob(f"{_PROFILE_PREFIX}*")):
        match = _PROFILE_PATTERN.match(path.name)
        if match is None or not path.is_dir() or _process_exists(int(match.group(1))):
            continue
        _remove_profile(path)
        if not path.exists():
            removed.append(path)
    return removed


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove_profile(profile: Path) -> None:
    """Kill every process still using `profile` (Chromium and its helpers), then remove it."""
    for pid in _profile_processes(profile):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(profile, ignore_errors=True)


def _profile_processes(profile: Path) -> list[int]:
    """PIDs of the Chromium processes started with `profile` (Linux ``/proc``; else none).

    Chromium passes ``--user-data-dir=<profile>`` to every helper process (renderers, GPU,
    zygotes); the folder name holds a random part, so it names one export's browser only.
    """
    flag = b"--user-data-dir=" + os.fsencode(profile)
    pids: list[int] = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if flag in cmdline.read_bytes().split(b"\0"):
                pids.append(int(cmdline.parent.name))
    return pids
