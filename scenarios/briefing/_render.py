"""Templates to HTML, HTML to PDF (WeasyPrint), both written atomically with stable bytes.

The templates in ``scenarios/_assets/briefing/`` are Jinja2 with autoescaping on and strict
undefined variables: every value from data reaches the page escaped (``<script>`` shows as
text), and a missing value is an error, not an empty cell. Images are embedded as base64 data
URIs, so the HTML is one self-contained file and WeasyPrint never fetches anything.

The PDF bytes do not depend on the caller's locale, time zone or working directory: there are
no dates in it, and the embedded fonts are named by their English family names (`layout`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import warnings
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

import jinja2

from scenarios import __version__
from scenarios.briefing._text import TEXT
from scenarios.errors import ScenariosError
from scenarios.maps.style import FONT_STACK, LANGUAGES

__all__ = [
    "TEMPLATES",
    "BriefingError",
    "briefing_names",
    "check_language",
    "data_uri",
    "font_configuration",
    "layout",
    "package_version",
    "page_context",
    "page_of",
    "pdf_bytes",
    "render",
    "write_atomic",
    "write_pages",
    "write_pdf",
]

#: Folder of the briefing templates and stylesheet.
TEMPLATES: Final = Path(__file__).parents[1] / "_assets" / "briefing"
_HTML_LANG: Final = {"zh": "zh-CN", "en": "en"}
_INSTALL: Final = (
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei && "
    'pip install "weasyprint>=62"'
)


#: The families of the stylesheet's font stack (``briefing.css`` names the same fonts).
_FONT_FAMILIES: Final = tuple(
    name.strip().strip('"') for name in FONT_STACK.split(",") if name.strip() != "sans-serif"
)
# Fontconfig rules for one document: a font that has one of our families among its names gets
# that (English) name first. Otherwise fontconfig puts first the name in the language of the
# process locale (LANG=zh_CN.UTF-8: "文泉驿微米黑"), and the PDF's font names, and the hash
# WeasyPrint derives its subset prefix from, follow the locale.
_FONT_NAME_RULES: Final = (
    '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
    "<fontconfig>\n"
    + "".join(
        '<match target="font"><test name="family" qual="any" compare="eq">'
        f"<string>{family}</string></test>"
        '<edit name="family" mode="prepend_first" binding="strong">'
        f"<string>{family}</string></edit></match>\n"
        for family in _FONT_FAMILIES
    )
    + "</fontconfig>\n"
)


class BriefingError(ScenariosError, RuntimeError):
    """A briefing could not be made (missing WeasyPrint, Pango, a CJK font or matplotlib)."""


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render `template` (a file in `TEMPLATES`) with `context`; values are escaped."""
    return _environment().get_template(template).render(**context)


def data_uri(png: Path) -> str:
    """``data:image/png;base64,...`` of a PNG file."""
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def write_atomic(path: Path, content: bytes) -> Path:
    """Write `content` to `path` through a temporary sibling file (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        msg = f"briefings need WeasyPrint and Pango: {_INSTALL} ({exc})"
        raise BriefingError(msg) from exc
    return weasyprint


def layout(html: str) -> Any:
    """Lay out `html` as pages (a ``weasyprint.Document``; ``len(doc.pages)`` pages).

    Fonts are looked up in a font configuration of its own (`font_configuration`), so the
    PDF names them the same way under every locale.
    """
    weasyprint = _weasyprint()
    return weasyprint.HTML(string=html).render(font_config=font_configuration())


def font_configuration() -> Any:
    """Make a WeasyPrint ``FontConfiguration`` naming our fonts by their English family names.

    Fontconfig orders a font's family names by the language of the process locale (read once
    from ``LC_ALL``/``LC_CTYPE``/``LANG``), and WeasyPrint names the embedded fonts after the
    first one. The rules added here - to this configuration only, not to the process - put
    the family the stylesheet asks for (``WenQuanYi Micro Hei``, ...) first instead.

    Warns (`RuntimeWarning`) and returns WeasyPrint's default configuration if a WeasyPrint
    release no longer has the hooks used (``FontConfiguration._config``, its CFFI bindings);
    the PDF is then correct but its font names follow the locale again.
    """
    _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    try:
        from weasyprint.text.ffi import ffi, fontconfig, pangoft2

        loaded = fontconfig.FcConfigParseAndLoadFromMemory(
            config._config, _FONT_NAME_RULES.encode("utf-8"), True
        )
        pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", config.font_map))
    except (ImportError, AttributeError) as exc:
        loaded, reason = False, f"{type(exc).__name__}: {exc}"
    else:
        reason = "fontconfig rejected the rules"
    if not loaded:
        msg = f"PDF font names will follow the locale (LANG): {reason}"
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
    return config


def pdf_bytes(html: str, document: Any | None = None) -> bytes:
    """Render the PDF of a briefing page: A4, fonts subset and embedded, deterministic bytes.

    WeasyPrint writes no creation or modification date unless the page has
    ``dcterms.created``/``dcterms.modified`` meta tags (ours have none), names itself as the
    producer (``WeasyPrint <version>``) and writes no file identifier by default; the
    identifier is pinned to a hash of the HTML so the PDF has one (readers and archives
    expect it) and it stays the same for the same page. Fonts are named as in `layout`.
    `document` is the layout of `html` when already made (`layout`).
    """
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    rendered = document if document is not None else layout(html)
    pdf = rendered.write_pdf(pdf_identifier=identifier)
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf without target returns bytes
        msg = "WeasyPrint returned no PDF"
        raise BriefingError(msg)
    return pdf


def write_pdf(html: str, path: Path, document: Any | None = None) -> Path:
    """Write the PDF of `html` to `path` (see `pdf_bytes`)."""
    return write_atomic(path, pdf_bytes(html, document))


def check_language(language: str) -> None:
    """Raise `ValueError` unless `language` is ``zh`` or ``en``."""
    if language not in LANGUAGES:
        msg = f"language {language!r}: use one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)


def briefing_names(language: str, *, pdf: bool = True) -> list[str]:
    """File names a briefing in `language` writes: ``briefing.html`` (+ ``.pdf``), ``_en``."""
    check_language(language)
    stem = "briefing" if language == "zh" else f"briefing_{language}"
    return [f"{stem}.html", f"{stem}.pdf"] if pdf else [f"{stem}.html"]


def package_version() -> str:
    """Return the installed healthplan version (`scenarios.__version__`)."""
    return __version__


def page_context(
    language: str, title: str, *, meta: str, footer: str, **extra: Any
) -> dict[str, Any]:
    """Context every page template needs (see ``base.html.j2``), plus `extra`."""
    return {
        "version": package_version(),
        "lang": language,
        "html_lang": _HTML_LANG[language],
        "labels": TEXT[language],
        "title": title,
        "meta": meta,
        "footer": footer,
        "page_size": "A4",
        "body_class": "",
        **extra,
    }


def page_of(document: Any, anchor: str) -> int:
    """0-based page of the element with id `anchor` in a `layout` (-1 if absent)."""
    for number, page in enumerate(document.pages):
        if anchor in page.anchors:
            return int(number)
    return -1


def write_pages(
    html: str, folder: Path, names: list[str], document: Any | None = None
) -> list[Path]:
    """Write ``names[0]`` (the HTML) and, when named, ``names[1]`` (its PDF) into `folder`."""
    written = [write_atomic(folder / names[0], html.encode("utf-8"))]
    if len(names) > 1:
        written.append(write_pdf(html, folder / names[1], document))
    return written
