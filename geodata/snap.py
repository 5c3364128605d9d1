"""Snap places to a road graph: nearest node plus a straight access leg.

Every place (a demand point, a facility) joins the road network at its nearest graph node.
The leg between the place and that node is the straight line in `settings.METRIC_CRS`
multiplied by a circuity factor and driven at a local access speed. Nearest nodes come from a
k-d tree over the projected node coordinates; everything is vectorised.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from geodata import settings
from geodata.errors import DataProblem, DataValidationError, HealthplanDataError, UnreachableError

__all__ = ["snap_points"]

#: How many offending row labels an error message lists before it says "and N more".
_MAX_LISTED = 5


def snap_points(
    graph: nx.Graph[Any],
    points: gpd.GeoDataFrame,
    *,
    access_speed_kph: float = settings.ACCESS_SPEED_KPH,
    circuity: float = settings.ACCESS_CIRCUITY,
) -> pd.DataFrame:
    """Snap points to their nearest graph node and price the access leg.

    Parameters
    ----------
    graph
        Road graph following the osmnx contract: nodes carry ``x``, ``y`` in the graph's
        ``crs`` graph attribute (EPSG:4326 when absent).
    points
        Point geometries in any CRS; the CRS must be set.
    access_speed_kph
        Speed on the access leg (km/h).
    circuity
        Factor (>= 1) applied to the straight-line access distance.

    Returns
    -------
    pandas.DataFrame
        On the index of `points`, with columns ``node`` (id of the nearest graph node),
        ``access_length_m`` (straight line in `settings.METRIC_CRS` x `circuity`) and
        ``access_time_s`` (``access_length_m`` at `access_speed_kph`).

    Raises
    ------
    DataValidationError
        If `points` has no CRS, or holds missing, empty or non-Point geometries.
    UnreachableError
        If the graph has no nodes.
    HealthplanDataError
        If `access_speed_kph` is not positive or `circuity` is below 1.
    """
    check_access_parameters(access_speed_kph=access_speed_kph, circuity=circuity)
    problems = point_problems(points, source="points")
    if problems:
        raise DataValidationError(problems)
    index = NodeIndex.from_graph(graph)
    snapped = index.snap(
        project_points(points), access_speed_kph=access_speed_kph, circuity=circuity
    )
    return pd.DataFrame(
        {
            "node": index.node_ids(snapped.node),
            "access_length_m": snapped.access_length_m,
            "access_time_s": snapped.access_time_s,
        },
        index=points.index,
    )


# --- helpers shared with geodata.travel ---------------------------------------------------------


def check_access_parameters(*, access_speed_kph: float, circuity: float) -> None:
    """Raise `HealthplanDataError` unless the access speed is positive and circuity >= 1."""
    if not (np.isfinite(access_speed_kph) and access_speed_kph > 0):
        msg = f"access_speed_kph must be a positive number, got {access_speed_kph!r}"
        raise HealthplanDataError(msg)
    if not (np.isfinite(circuity) and circuity >= 1):
        msg = f"circuity must be a number >= 1 (1 = straight line), got {circuity!r}"
        raise HealthplanDataError(msg)


def point_problems(points: gpd.GeoDataFrame, *, source: str) -> list[DataProblem]:
    """Every problem that stops `points` from being snapped (empty list when fine)."""
    if not isinstance(points, gpd.GeoDataFrame):
        return [
            DataProblem(
                source,
                "geometry",
                f"expected a GeoDataFrame, got {type(points).__name__}",
                "pass a geopandas.GeoDataFrame of Points",
            )
        ]
    problems: list[DataProblem] = []
    if points.crs is None:
        problems.append(
            DataProblem(
                source,
                "crs",
                "no CRS is set",
                "set it, e.g. points.set_crs('EPSG:4326') for longitude/latitude",
            )
        )
    geoms = points.geometry
    missing = np.asarray(geoms.isna() | geoms.is_empty, dtype=bool)
    if missing.any():
        problems.append(
            DataProblem(
                source,
                "geometry",
                f"{int(missing.sum())} rows have missing or empty geometry "
                f"(rows {_list_labels(points.index[missing])})",
                "give every row a Point or drop those rows",
            )
        )
    not_point = ~missing & np.asarray(geoms.geom_type != "Point", dtype=bool)
    if not_point.any():
        problems.append(
            DataProblem(
                source,
                "geometry",
                f"{int(not_point.sum())} rows are not Points "
                f"(rows {_list_labels(points.index[not_point])})",
                "use Points, e.g. the representative_point() of polygons",
            )
        )
    if not (missing.any() or not_point.any()):
        xy = geoms.get_coordinates().to_numpy()
        bad = ~np.isfinite(xy).all(axis=1)
        if bad.any():
            problems.append(
                DataProblem(
                    source,
                    "geometry",
                    f"{int(bad.sum())} Points have NaN or infinite coordinates "
                    f"(rows {_list_labels(points.index[bad])})",
                    "fix or drop those rows",
                )
            )
    return problems


def project_points(points: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Coordinates of validated Points in `settings.METRIC_CRS`, shape ``(n, 2)``."""
    xy = points.geometry.get_coordinates().to_numpy(dtype=np.float64)
    return _transform(xy, CRS.from_user_input(points.crs))


@dataclass(frozen=True)
class Snapped:
    """Places snapped to a graph: node positions (into `NodeIndex.ids`) and access legs."""

    node: NDArray[np.intp]
    access_length_m: NDArray[np.float64]
    access_time_s: NDArray[np.float64]


@dataclass(frozen=True)
class NodeIndex:
    """Graph nodes in graph order with projected coordinates and a k-d tree over them."""

    ids: Sequence[Hashable]
    xy: NDArray[np.float64]
    tree: cKDTree

    @classmethod
    def from_graph(cls, graph: nx.Graph[Any]) -> NodeIndex:
        """Index the nodes of `graph`.

        Raises
        ------
        UnreachableError
            If the graph has no nodes.
        DataValidationError
            If node coordinates are missing or not finite.
        """
        if graph.number_of_nodes() == 0:
            msg = "the road graph has no nodes - build or load a graph with a road network"
            raise UnreachableError(msg)
        ids = list(graph.nodes)
        nodes = graph.nodes
        x = np.fromiter((nodes[n].get("x", np.nan) for n in ids), np.float64, len(ids))
        y = np.fromiter((nodes[n].get("y", np.nan) for n in ids), np.float64, len(ids))
        bad = ~(np.isfinite(x) & np.isfinite(y))
        if bad.any():
            listed = _list_labels(pd.Index([ids[i] for i in np.flatnonzero(bad)]))
            raise DataValidationError(
                [
                    DataProblem(
                        "road graph",
                        "node x/y",
                        f"{int(bad.sum())} nodes lack finite coordinates (nodes {listed})",
                        "give every node numeric 'x' and 'y' in the graph's CRS",
                    )
                ]
            )
        crs = CRS.from_user_input(graph.graph.get("crs", settings.STORAGE_CRS))
        xy = _transform(np.column_stack([x, y]), crs)
        return cls(ids=ids, xy=xy, tree=cKDTree(xy))

    def snap(self, xy: NDArray[np.float64], *, access_speed_kph: float, circuity: float) -> Snapped:
        """Snap projected coordinates `xy` (shape ``(n, 2)``) to their nearest nodes.

        Parameters
        ----------
        xy
            Points in `geodata.settings.METRIC_CRS`, metres.
        access_speed_kph
            Speed of the access leg from a point to its node.
        circuity
            Factor (>= 1) from straight-line to travelled access distance.
        """
        distance, node = self.tree.query(xy, k=1)
        length = np.asarray(distance, dtype=np.float64) * circuity
        return Snapped(
            node=np.asarray(node, dtype=np.intp),
            access_length_m=length,
            access_time_s=length / (access_speed_kph / 3.6),
        )

    def node_ids(self, positions: NDArray[np.intp]) -> NDArray[Any]:
        """Node ids at `positions`: an integer array when every id is an integer."""
        if all(isinstance(n, int | np.integer) for n in self.ids):
            return np.asarray(self.ids, dtype=np.int64)[positions]
        ids = np.empty(len(self.ids), dtype=object)
        ids[:] = self.ids
        return ids[positions]


def _transform(xy: NDArray[np.float64], crs: CRS) -> NDArray[np.float64]:
    """Project ``(n, 2)`` coordinates from `crs` to `settings.METRIC_CRS`."""
    transformer = Transformer.from_crs(crs, settings.METRIC_CRS, always_xy=True)
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([np.asarray(x, np.float64), np.asarray(y, np.float64)])


def _list_labels(labels: pd.Index) -> str:
    shown = ", ".join(repr(v) for v in labels[:_MAX_LISTED])
    more = len(labels) - _MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown
