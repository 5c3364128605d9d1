"""Deterministic synthetic seat points for townships that no source locates.

Each missing unit of a county is placed, in code order, on the candidate grid point that
maximises ``min(distance to every seat already placed in the county, f x distance to the edge
of the search region)``; ties go to the first grid point (west to east, then south to north).
No randomness, so the same inputs always give the same points.

- Subdistricts (``synthetic_urban_fill``) search the urban core: the convex hull of the county's
  located subdistrict seats buffered by ``URBAN_BUFFER_M`` (fewer than 3 seats: discs of
  ``URBAN_DISC_M`` around them and the county seat), clipped to the county, on a
  ``URBAN_GRID_M`` grid with f = 1.
- Everything else (``synthetic_county_fill``) searches the whole county polygon on a
  ``COUNTY_GRID_M`` grid with f = 1.5, i.e. the largest empty area away from the border.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from geodata.build.common import METRIC_EPSG, to_metric

__all__ = [
    "COUNTY_GRID_M",
    "URBAN_BUFFER_M",
    "URBAN_DISC_M",
    "URBAN_GRID_M",
    "fill_county",
]

#: Grid spacing for rural and special units (m).
COUNTY_GRID_M: Final = 500.0
#: Grid spacing for subdistricts (m).
URBAN_GRID_M: Final = 200.0
#: Buffer around the hull of located subdistrict seats (m).
URBAN_BUFFER_M: Final = 1_000.0
#: Disc radius around located subdistrict seats and the county seat when the hull is too small.
URBAN_DISC_M: Final = 3_000.0

_TO_WGS: Final = Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)


def _metric(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.column_stack(to_metric(xy[:, 0], xy[:, 1])))


def _grid(region: BaseGeometry, spacing: float) -> NDArray[np.float64]:
    """Grid points (x, y) inside ``region``, refining the spacing until there are some."""
    while True:
        minx, miny, maxx, maxy = region.bounds
        xs = np.arange(np.floor(minx / spacing) * spacing, maxx + spacing, spacing)
        ys = np.arange(np.floor(miny / spacing) * spacing, maxy + spacing, spacing)
        mx, my = np.meshgrid(xs, ys)
        gx, gy = mx.ravel(), my.ravel()
        inside = shapely.contains_xy(region, gx, gy)
        if inside.sum() >= 4 or spacing <= 10.0:
            break
        spacing /= 2.0
    if not inside.any():
        point = region.representative_point()
        return np.array([[point.x, point.y]])
    return np.column_stack([gx[inside], gy[inside]])


class _Region:
    """A search region with its candidate grid and current nearest-seat distances."""

    def __init__(
        self, region: BaseGeometry, spacing: float, factor: float, placed: NDArray[np.float64]
    ):
        self.points = _grid(region, spacing)
        self.region = region
        self.factor = factor
        # edge distances are costly: computed lazily, only for points that can still win
        self.edge_score = np.full(len(self.points), np.nan)
        self.nearest = np.full(len(self.points), np.inf)
        for p in placed:
            self.add(p)

    def add(self, point: NDArray[np.float64]) -> None:
        d = np.hypot(self.points[:, 0] - point[0], self.points[:, 1] - point[1])
        np.minimum(self.nearest, d, out=self.nearest)

    def _edge(self, idx: NDArray[np.intp]) -> NDArray[np.float64]:
        todo = idx[np.isnan(self.edge_score[idx])]
        if len(todo):
            dist = shapely.distance(self.region.boundary, shapely.points(self.points[todo]))
            self.edge_score[todo] = self.factor * np.asarray(dist, dtype=np.float64)
        return self.edge_score[idx]

    def best(self) -> NDArray[np.float64]:
        """Grid point maximising min(nearest, edge score); ties to the lowest index."""
        order = np.lexsort((np.arange(len(self.points)), -self.nearest))
        best_score = -np.inf
        best_idx = -1
        for start in range(0, len(order), 512):
            chunk = order[start : start + 512]
            if self.nearest[chunk[0]] < best_score:
                break
            score = np.minimum(self.nearest[chunk], self._edge(chunk))
            top = float(score.max())
            if top > best_score:
                best_score = top
                best_idx = int(chunk[score == top].min())
            elif top == best_score:
                best_idx = min(best_idx, int(chunk[score == top].min()))
        best: NDArray[np.float64] = self.points[best_idx]
        return best


def fill_county(
    county: BaseGeometry,
    *,
    todo_kinds: list[str],
    known_lon: NDArray[np.float64],
    known_lat: NDArray[np.float64],
    known_urban: NDArray[np.bool_],
    seat: tuple[float, float],
) -> list[tuple[float, float, str]]:
    """Place the missing seats of one county.

    Parameters
    ----------
    county
        County polygon (WGS-84).
    todo_kinds
        Kind of each unit to place, in placement (code) order.
    known_lon, known_lat
        Seats already located in the county (WGS-84).
    known_urban
        Which of the known seats are subdistricts.
    seat
        County seat (lon, lat), WGS-84.

    Returns
    -------
    list of tuple
        ``(lon, lat, coord_source)`` per unit, in the order of ``todo_kinds``.
    """
    poly = _metric(county)
    kx, ky = to_metric(known_lon, known_lat)
    placed = np.column_stack([kx, ky]) if len(kx) else np.zeros((0, 2))
    regions: dict[str, _Region] = {}
    if any(k == "subdistrict" for k in todo_kinds):
        urban = placed[known_urban] if len(placed) else placed
        sx, sy = to_metric(seat[0], seat[1])
        if len(urban) >= 3:
            area = shapely.convex_hull(shapely.multipoints(urban)).buffer(URBAN_BUFFER_M)
        else:
            centres = np.vstack([urban, [[float(sx), float(sy)]]])
            area = shapely.union_all(shapely.buffer(shapely.points(centres), URBAN_DISC_M))
        core = shapely.intersection(area, poly)
        if core.is_empty or core.area < 4 * URBAN_GRID_M**2:
            core = poly
        regions["urban"] = _Region(core, URBAN_GRID_M, 1.0, placed)
    if any(k != "subdistrict" for k in todo_kinds):
        regions["county"] = _Region(poly, COUNTY_GRID_M, 1.5, placed)
    out: list[tuple[float, float, str]] = []
    for kind in todo_kinds:
        key = "urban" if kind == "subdistrict" else "county"
        point = regions[key].best()
        for region in regions.values():
            region.add(point)
        lon, lat = _TO_WGS.transform(float(point[0]), float(point[1]))
        out.append((float(lon), float(lat), f"synthetic_{key}_fill"))
    return out
