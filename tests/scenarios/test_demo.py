"""`make demo`'s script, run as a user would: baseline plan, offline maps, slide, table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SCRIPT = Path(__file__).parents[2] / "examples" / "liaoning_baseline_map.py"


def test_demo_writes_the_baseline_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("liaoning_baseline_map", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "baseline"
    module.main(out)
    assert sorted(p.name for p in out.iterdir()) == [
        "map.html",
        "map.png",
        "map_en.html",
        "upgrades.csv",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left
    html = (out / "map.html").read_text(encoding="utf-8")
    assert 'src="http' not in html
    assert "辽宁 2025 基线方案" in html
    with Image.open(out / "map.png") as image:
        assert image.size == (1600, 1000)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50
    table = pd.read_csv(out / "upgrades.csv", dtype={"facility_id": str, "county_code": str})
    assert len(table) == 42
    assert table["upgrade_cost_cny"].sum() == pytest.approx(1.5e9)
    printed = capsys.readouterr().out
    assert "baseline plan optimal: 42 upgrades, 1.50 bn CNY" in printed
