"""The world layer: admin units, population demand, facilities, road graphs, travel times.

Typical use::

    import geodata
    world = geodata.load_dataset("liaoning")
    world.summary()                      # 14 cities, 100 counties, 1,406 townships, 42,591,407
    times = world.travel_times(cutoff_minutes=120)

Modules: `geodata.dataset` (load and hold a world), `geodata.io` and `geodata.validate`
(user tables), `geodata.osm` and `geodata.approx_roads` (road graphs), `geodata.snap` and
`geodata.travel` (access legs and travel-time matrices), `geodata.settings` (defaults),
`geodata.gcj02` (the GCJ-02 datum of Chinese web maps); `geodata.build` is the build script of
the shipped dataset (not used at run time).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from geodata.dataset import Dataset, load_dataset
from geodata.datasets import get_path
from geodata.errors import (
    DataProblem,
    DataValidationError,
    HealthplanDataError,
    OSMReadError,
    UnknownIdError,
    UnreachableError,
)
from geodata.schema import TIERS

try:
    __version__ = version("healthplan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "TIERS",
    "DataProblem",
    "DataValidationError",
    "Dataset",
    "HealthplanDataError",
    "OSMReadError",
    "UnknownIdError",
    "UnreachableError",
    "__version__",
    "get_path",
    "load_dataset",
]
