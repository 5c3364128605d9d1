"""Former home of `geodata.gcj02`, kept only until `scenarios` imports the public module.

Delete this file once no module imports ``geodata._gcj02``.
"""

from __future__ import annotations

from geodata.gcj02 import gcj02_to_wgs84, in_china, wgs84_to_gcj02

__all__ = ["gcj02_to_wgs84", "in_china", "wgs84_to_gcj02"]
