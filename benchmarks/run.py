"""Run the benchmarks and write benchmarks/RESULTS.md.

Each ``benchmarks/bench_*.py`` module has ``main() -> str`` returning a markdown section
(medians of repeated runs, with the machine it ran on). ``python -m benchmarks.run [NAME ...]``
runs all of them, or the named ones (e.g. ``travel``), prints the sections and rewrites
RESULTS.md keeping the sections of benchmarks that were not run.
"""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path

from benchmarks import machine_line

HERE = Path(__file__).parent
RESULTS = HERE / "RESULTS.md"
_MARK = "<!-- bench:{name} -->"


def _names() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def _existing_sections() -> dict[str, str]:
    if not RESULTS.exists():
        return {}
    text = RESULTS.read_text(encoding="utf-8")
    pattern = re.compile(r"<!-- bench:(\w+) -->\n(.*?)(?=\n<!-- bench:|\Z)", re.S)
    return {m.group(1): m.group(2).rstrip() + "\n" for m in pattern.finditer(text)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {_names()})")
    args = parser.parse_args(argv)
    names = args.names or _names()
    unknown = sorted(set(names) - set(_names()))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {_names()}")
    sections = _existing_sections()
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        sections[name] = module.main().rstrip() + "\n"
    machine = machine_line()
    parts = [
        "# Benchmark results\n",
        (
            "Written by `make bench` (`python -m benchmarks.run`); every figure is a median of "
            f"repeated runs on the machine named in its section. Last machine: {machine}.\n"
        ),
    ]
    for name in sorted(sections):
        parts.append(_MARK.format(name=name) + "\n" + sections[name])
    RESULTS.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
