"""Benchmarks: speed and memory targets (see benchmarks/run.py)."""

from __future__ import annotations

import os
import platform

__all__ = ["machine_line"]


def machine_line() -> str:
    """One line naming the machine a benchmark ran on."""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
