"""`make demo`: plan the Liaoning baseline (1.5 bn CNY, two tiers) and write its map.

Writes ``out/baseline/`` (``map.html`` offline map in Chinese, ``map_en.html`` in English,
``map.png`` for slides, ``upgrades.csv``). The folder is built in a temporary folder next to it
and renamed into place, so a failure never leaves a half-written result.
Run: .venv/bin/python examples/liaoning_baseline_map.py [OUT_DIR]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import geodata
from scenarios.maps import plan_map, save_map
from scenarios.planning import PlanningRules, plan_upgrades
from scenarios.png import export_png

TIER = "township_central"


def main(out: Path) -> None:
    world = geodata.load_dataset("liaoning")
    result = plan_upgrades(world, PlanningRules(), objective="coverage", budget_cny=1.5e9)
    plan = result.plan
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for language, name in (("zh", "map.html"), ("en", "map_en.html")):
            m = plan_map(
                world,
                result.facility_status(),
                result.demand_status(TIER),
                result.county_summary(TIER),
                tier=TIER,
                language=language,
                title="辽宁 2025 基线方案" if language == "zh" else "Liaoning 2025 baseline",
            )
            save_map(m, work / name)
        export_png(work / "map.html", work / "map.png", width=1600, height=1000, scale=1)
        result.upgrades_table().to_csv(work / "upgrades.csv", index=False, float_format="%.6g")
        work.chmod(0o755)  # mkdtemp and atomic saves create private files
        for path in work.iterdir():
            path.chmod(0o644)
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"baseline plan {plan.status}: {len(plan.upgraded_sites)} upgrades, "
        f"{plan.cost / 1e9:.2f} bn CNY, solved in {plan.runtime_s:.2f} s"
    )
    for tier, after in result.after.items():
        before = result.before[tier]
        print(f"  {tier}: covered {before.covered_share:.1%} -> {after.covered_share:.1%}")
    print(f"map: {out / 'map.html'} (English: map_en.html), slide: {out / 'map.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/baseline"))
