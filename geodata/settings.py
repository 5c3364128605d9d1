"""Settings for the world layer: plain, documented, typed values that tests can redirect.

Every number here is a default a scenario can override. Each carries its source, or says
``ASSUMPTION`` with the reasoning (``NORMS`` rows refer to ``../shared/data/raw/planning_norms``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

__all__ = [
    "ACCESS_CIRCUITY",
    "ACCESS_SPEED_KPH",
    "APPROX_BRIDGES",
    "APPROX_CIRCUITY",
    "APPROX_COAST_TOLERANCE_M",
    "APPROX_FERRY_BOARDING_MIN",
    "APPROX_FERRY_CIRCUITY",
    "APPROX_K_NEAREST",
    "APPROX_MAX_LINK_KM",
    "APPROX_SPEEDS_KPH",
    "METRIC_CRS",
    "OSM_HIGHWAY_SPEEDS_KPH",
    "STORAGE_CRS",
    "cache_dir",
]

#: CRS of everything stored and returned (WGS-84 longitude/latitude).
STORAGE_CRS: Final = "EPSG:4326"
#: Metric CRS for distances and nearest-neighbour searches: UTM zone 51N. Liaoning spans
#: 118.8-125.8 E; at the western edge the UTM scale error is about 0.1 %, far below the
#: uncertainty of travel speeds. Edge lengths of road graphs use geodesic distances instead.
METRIC_CRS: Final = "EPSG:32651"


def cache_dir() -> Path:
    """Folder for cached travel-time matrices (``HEALTHPLAN_CACHE_DIR`` overrides it)."""
    env = os.environ.get("HEALTHPLAN_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "healthplan"


# --- approximated road network (built from seat points; see geodata.approx_roads) -----------

#: Road length = straight line x circuity. ASSUMPTION anchored to published detour indices of
#: 1.2-1.4 for inter-town road travel (Ballou, Rahardja & Sakai 2002, Transp. Res. A 36:843;
#: Giacomin & Levinson 2015, Environ. Plan. B 42:1068).
APPROX_CIRCUITY: Final = 1.3
#: Mean running speed by link class (km/h). ASSUMPTION: below the legal limits (expressway
#: 120, first-class national road 80-100, rural roads 40-60) to allow for junctions, towns and
#: slow traffic. The winter scenario scales these.
APPROX_SPEEDS_KPH: Final[dict[str, float]] = {
    "expressway": 90.0,
    "national": 60.0,
    "rural": 40.0,
    "ferry": 25.0,
}
#: Waiting and boarding time added to every ferry link (minutes). ASSUMPTION.
APPROX_FERRY_BOARDING_MIN: Final = 30.0
#: Sea-lane length over straight-line length of a ferry link. ASSUMPTION: ferries sail nearly
#: straight between islands, with some detour around headlands; 1.1 gives 皮口 -> 大长山岛
#: (25.7 km straight) 98 min with boarding, against 1-1.5 h for the scheduled car ferry.
APPROX_FERRY_CIRCUITY: Final = 1.1
#: Fixed links over the sea between township seats (codes), which are land links, not ferries:
#: 长山大桥 (opened 2008) joins 大长山岛镇 and 小长山岛镇.
APPROX_BRIDGES: Final[tuple[tuple[str, str], ...]] = (("210224100", "210224103"),)
#: Each seat is linked to its k nearest neighbours, besides the Delaunay triangulation.
APPROX_K_NEAREST: Final = 4
#: Links longer than this (straight line) are dropped, except ferries and expressway corridors.
APPROX_MAX_LINK_KM: Final = 60.0
#: A land link may leave the province's land polygon by at most this much (coastal seats,
#: boundary generalisation); anything further crosses the sea and is dropped.
APPROX_COAST_TOLERANCE_M: Final = 1_000.0

# --- access legs (place -> nearest graph node) ----------------------------------------------

#: Speed on the local road between a place and its snapped graph node (km/h). ASSUMPTION.
ACCESS_SPEED_KPH: Final = 20.0
#: Circuity applied to the straight-line access leg. ASSUMPTION, as APPROX_CIRCUITY.
ACCESS_CIRCUITY: Final = 1.3

# --- OpenStreetMap networks -------------------------------------------------------------------

#: Fallback speeds by OSM ``highway`` class (km/h) where no ``maxspeed`` tag can be used:
#: osmnx's convention is to impute missing speeds from the mean of tagged edges of the same
#: class and to fall back to these. Values follow China's Road Traffic Safety Law defaults
#: (expressway max 120, urban roads without centre line 30, highways without centre line 40).
OSM_HIGHWAY_SPEEDS_KPH: Final[dict[str, float]] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 35.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
}
