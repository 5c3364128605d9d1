"""`make demo`'s run, as a user would: the baseline preset with its offline maps and slide."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from scenarios.cli import app

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MAKEFILE = Path(__file__).parents[2] / "Makefile"


def test_demo_writes_the_baseline_map(tmp_path: Path) -> None:
    demo = re.search(r"^demo:.*?(?=^\S)", MAKEFILE.read_text(encoding="utf-8"), re.M | re.S)
    assert demo is not None
    assert "healthplan run baseline -o out/baseline --force" in demo.group(0)
    out = tmp_path / "baseline"
    result = CliRunner().invoke(app, ["run", "baseline", "-o", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert "results: " in result.stdout
    names = {p.name for p in out.iterdir()}
    assert {
        "map.html",
        "map_en.html",
        "map.png",
        "map_en.png",
        "plan.gpkg",
        "summary.json",
    } <= names
    assert {"briefing.html", "briefing.pdf", "briefing_en.html", "briefing_en.pdf"} <= names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left
    html = (out / "map.html").read_text(encoding="utf-8")
    assert 'src="http' not in html
    assert "Liaoning baseline" in html
    with Image.open(out / "map.png") as image:
        assert image.size == (1600, 1000)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # 42 before the Grade-3A hospital points and island seats of issue 13 (2 county 3A + 40)
    assert sum(summary["plan"]["upgrades"].values()) == 58
    assert "map.png" in summary["files"]
