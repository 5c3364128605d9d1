"""Travel times from demand places to facilities over a road graph, cached on disk.

The time from a demand place to a facility is

    access leg (place -> its node) + shortest network path (node -> node) + access leg

with the access legs of `geodata.snap`. Two places snapped to the same node are joined by
their own straight access leg instead of a detour through the node (by the triangle
inequality never longer), so places at identical coordinates are 0 minutes apart.

The network part runs `scipy.sparse.csgraph.dijkstra` once per unique snapped node on the
side with fewer of them, limited to the cutoff. The result is a sparse matrix in which a
stored entry means "reachable within the cutoff" - explicit zeros included - and a missing
entry means "unreachable"; it is cached under a sha256 of everything it depends on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from geodata import settings
from geodata.errors import DataProblem, DataValidationError, UnreachableError
from geodata.snap import (
    NodeIndex,
    Snapped,
    check_access_parameters,
    point_problems,
    project_points,
)

__all__ = ["TravelTimes", "travel_times"]

logger = logging.getLogger(__name__)

#: Bumped whenever the computation or the file layout changes; part of every cache key.
_FORMAT_VERSION = "travel-times-v1"
#: Upper bound on the dense Dijkstra output held at once (sources x graph nodes x 8 bytes).
_DIJKSTRA_CHUNK_BYTES = 256 * 2**20
#: Relative slack on the network-only Dijkstra limit so that rounding in
#: ``cutoff - access`` never prunes a pair whose exact total is within the cutoff; the exact
#: cutoff test is applied to the summed total afterwards.
_LIMIT_SLACK = 1e-9


@dataclass(frozen=True, eq=False, repr=False)
class TravelTimes:
    """Sparse demand x facility travel times in minutes.

    Attributes
    ----------
    minutes
        ``(n_demand, n_facility)`` CSR array (float64, canonical: sorted indices, no
        duplicates). A stored entry means the facility is reachable within
        `cutoff_minutes` and holds the time - *including explicit zeros* for co-located
        places. A missing entry means unreachable within the cutoff. Never call
        ``eliminate_zeros()`` on it, and do not use sparse arithmetic that drops zeros
        (for example ``@``); use the methods here, which preserve them.
    demand_ids, facility_ids
        Row and column ids (numpy ``str`` arrays), unique.
    cutoff_minutes
        Cutoff the matrix was computed with.
    key
        sha256 hex digest of the inputs (the cache key).
    from_cache
        Whether this object was read from the on-disk cache.
    """

    minutes: sparse.csr_array
    demand_ids: NDArray[np.str_]
    facility_ids: NDArray[np.str_]
    cutoff_minutes: float
    key: str
    from_cache: bool = field(default=False)

    def __post_init__(self) -> None:
        shape = (len(self.demand_ids), len(self.facility_ids))
        if self.minutes.shape != shape:
            msg = f"minutes has shape {self.minutes.shape}, ids give {shape}"
            raise ValueError(msg)
        if self.minutes.dtype != np.float64:
            msg = f"minutes must be float64, got {self.minutes.dtype}"
            raise ValueError(msg)
        if not self.minutes.has_canonical_format:
            msg = "minutes must be in canonical CSR format (sorted indices, no duplicates)"
            raise ValueError(msg)
        for name, ids in (("demand_ids", self.demand_ids), ("facility_ids", self.facility_ids)):
            if len(np.unique(ids)) != len(ids):
                msg = f"{name} must be unique"
                raise ValueError(msg)

    # --- shape and ids --------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_demand, n_facility)``."""
        return (len(self.demand_ids), len(self.facility_ids))

    @cached_property
    def _demand_pos(self) -> dict[str, int]:
        return {d: i for i, d in enumerate(self.demand_ids.tolist())}

    @cached_property
    def _facility_pos(self) -> dict[str, int]:
        return {f: j for j, f in enumerate(self.facility_ids.tolist())}

    def __repr__(self) -> str:
        n_d, n_f = self.shape
        source = ", from cache" if self.from_cache else ""
        return (
            f"TravelTimes({n_d} demand x {n_f} facilities, {self.minutes.nnz} reachable pairs "
            f"<= {self.cutoff_minutes:g} min, key={self.key[:12]}{source})"
        )

    # --- queries --------------------------------------------------------------------------

    def to_dense(self, fill: float = np.inf) -> NDArray[np.float64]:
        """Dense ``(n_demand, n_facility)`` minutes with `fill` where unreachable."""
        out = np.full(self.shape, fill, dtype=np.float64)
        out[self._rows(), self.minutes.indices] = self.minutes.data
        return out

    def lookup(self, demand_id: str, facility_id: str) -> float:
        """Minutes from `demand_id` to `facility_id`, ``inf`` when unreachable.

        Raises
        ------
        KeyError
            If either id is unknown.
        """
        i = _position(self._demand_pos, demand_id, "demand")
        j = _position(self._facility_pos, facility_id, "facility")
        lo, hi = self.minutes.indptr[i], self.minutes.indptr[i + 1]
        cols = self.minutes.indices[lo:hi]
        k = int(np.searchsorted(cols, j))
        if k < len(cols) and cols[k] == j:
            return float(self.minutes.data[lo + k])
        return float("inf")

    def nearest(
        self, facility_mask: ArrayLike | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
        """Minutes to, and column index of, each demand place's nearest facility.

        Parameters
        ----------
        facility_mask
            Boolean array over the facilities; only those marked True are considered.

        Returns
        -------
        minutes
            Per demand place, ``inf`` where no (considered) facility is reachable.
        facility
            Column index of the nearest facility (lowest index on ties), ``-1`` where none.
        """
        rows, cols, data = self._rows(), self.minutes.indices, self.minutes.data
        if facility_mask is not None:
            mask = np.asarray(facility_mask, dtype=bool)
            if mask.shape != (self.shape[1],):
                msg = f"facility_mask must have shape ({self.shape[1]},), got {mask.shape}"
                raise ValueError(msg)
            keep = mask[cols]
            rows, cols, data = rows[keep], cols[keep], data[keep]
        order = np.lexsort((cols, data, rows))
        first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]] if len(order) else order
        minutes = np.full(self.shape[0], np.inf)
        facility = np.full(self.shape[0], -1, dtype=np.intp)
        minutes[rows[first]] = data[first]
        facility[rows[first]] = cols[first]
        return minutes, facility

    def unreachable_demand(self) -> NDArray[np.str_]:
        """Ids of demand places that reach no facility within the cutoff."""
        empty: NDArray[np.str_] = self.demand_ids[np.diff(self.minutes.indptr) == 0]
        return empty

    def subset(
        self,
        *,
        demand_ids: Iterable[str] | None = None,
        facility_ids: Iterable[str] | None = None,
    ) -> TravelTimes:
        """Rows and/or columns by id, in the order given (explicit zeros kept).

        Raises
        ------
        KeyError
            If an id is unknown.
        ValueError
            If an id is repeated.
        """
        new_d, row_map = _selection(self.demand_ids, self._demand_pos, demand_ids, "demand")
        new_f, col_map = _selection(self.facility_ids, self._facility_pos, facility_ids, "facility")
        rows = row_map[self._rows()]
        cols = col_map[self.minutes.indices]
        keep = (rows >= 0) & (cols >= 0)
        matrix = _csr_from_coo(
            rows[keep], cols[keep], self.minutes.data[keep], (len(new_d), len(new_f))
        )
        digest = hashlib.sha256(self.key.encode())
        _hash_strings(digest, new_d)
        _hash_strings(digest, new_f)
        return TravelTimes(matrix, new_d, new_f, self.cutoff_minutes, digest.hexdigest())

    # --- files ----------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write to an ``.npz`` file atomically (temporary file, then `os.replace`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    format_version=np.array(_FORMAT_VERSION),
                    data=self.minutes.data,
                    indices=self.minutes.indices,
                    indptr=self.minutes.indptr,
                    demand_ids=self.demand_ids,
                    facility_ids=self.facility_ids,
                    cutoff_minutes=np.array(self.cutoff_minutes, dtype=np.float64),
                    key=np.array(self.key),
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TravelTimes:
        """Read a file written by `save`.

        Raises
        ------
        ValueError
            If the file is not a travel-time file of this format version.
        """
        with np.load(path, allow_pickle=False) as npz:
            if "format_version" not in npz or str(npz["format_version"]) != _FORMAT_VERSION:
                msg = f"{path}: not a travel-time file of format {_FORMAT_VERSION}"
                raise ValueError(msg)
            demand_ids = npz["demand_ids"].astype(str)
            facility_ids = npz["facility_ids"].astype(str)
            matrix = sparse.csr_array(
                (npz["data"], npz["indices"], npz["indptr"]),
                shape=(len(demand_ids), len(facility_ids)),
            )
            return cls(
                minutes=matrix,
                demand_ids=demand_ids,
                facility_ids=facility_ids,
                cutoff_minutes=float(npz["cutoff_minutes"]),
                key=str(npz["key"]),
            )

    def _rows(self) -> NDArray[np.intp]:
        return np.repeat(np.arange(self.shape[0], dtype=np.intp), np.diff(self.minutes.indptr))


def travel_times(
    graph: nx.Graph[Any],
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    cutoff_minutes: float = 120.0,
    demand_id: str = "demand_id",
    facility_id: str = "facility_id",
    access_speed_kph: float = settings.ACCESS_SPEED_KPH,
    circuity: float = settings.ACCESS_CIRCUITY,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> TravelTimes:
    """Demand x facility travel times within a cutoff, cached on disk.

    Parameters
    ----------
    graph
        Road graph following the osmnx contract (``x``, ``y`` on nodes, ``travel_time`` in
        seconds on edges). Parallel edges count with their fastest one; an undirected graph
        is driven both ways.
    demand, facilities
        Point GeoDataFrames (any CRS) with unique ids in `demand_id` / `facility_id`.
    cutoff_minutes
        Pairs whose total time is at most this are stored; the rest are unreachable.
    demand_id, facility_id
        Id columns; values are compared as strings.
    access_speed_kph, circuity
        Access-leg parameters, see `geodata.snap.snap_points`.
    cache
        Read from and write to the cache.
    cache_dir
        Cache folder; default ``settings.cache_dir() / "travel_times"``.

    Returns
    -------
    TravelTimes
        The matrix; ``from_cache`` tells whether it was read from the cache.

    Raises
    ------
    DataValidationError
        For missing or duplicate ids, missing CRS, bad geometries or bad edge travel times;
        all problems of both frames are reported together.
    UnreachableError
        If the graph has no nodes or either frame has no rows.
    """
    check_access_parameters(access_speed_kph=access_speed_kph, circuity=circuity)
    if not (np.isfinite(cutoff_minutes) and cutoff_minutes >= 0):
        msg = f"cutoff_minutes must be a finite number >= 0, got {cutoff_minutes!r}"
        raise ValueError(msg)
    problems = [
        *_id_problems(demand, demand_id, source="demand"),
        *point_problems(demand, source="demand"),
        *_id_problems(facilities, facility_id, source="facilities"),
        *point_problems(facilities, source="facilities"),
    ]
    if problems:
        raise DataValidationError(problems)
    if len(demand) == 0 or len(facilities) == 0:
        msg = (
            f"nothing to route: {len(demand)} demand places and {len(facilities)} facilities"
            " - pass at least one of each"
        )
        raise UnreachableError(msg)

    index = NodeIndex.from_graph(graph)
    network = _Network.from_graph(graph, index)
    d_ids = demand[demand_id].astype(str).to_numpy(dtype=str)
    f_ids = facilities[facility_id].astype(str).to_numpy(dtype=str)
    d_xy = project_points(demand)
    f_xy = project_points(facilities)

    digest = hashlib.sha256(_FORMAT_VERSION.encode())
    network.update_hash(digest)
    for ids, xy in ((d_ids, d_xy), (f_ids, f_xy)):
        _hash_strings(digest, ids)
        digest.update(np.ascontiguousarray(xy, dtype="<f8").tobytes())
    for value in (access_speed_kph, circuity, cutoff_minutes):
        digest.update(np.float64(value).astype("<f8").tobytes())
    digest.update(settings.METRIC_CRS.encode())
    key = digest.hexdigest()

    folder = Path(cache_dir) if cache_dir is not None else settings.cache_dir() / "travel_times"
    path = folder / f"{key}.npz"
    if cache and path.exists():
        try:
            cached = TravelTimes.load(path)
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("ignoring unreadable travel-time cache %s: %s", path, exc)
        else:
            if cached.key == key:
                return replace(cached, from_cache=True)
            logger.warning("ignoring travel-time cache %s: key mismatch", path)

    minutes = _compute_minutes(
        network,
        index.snap(d_xy, access_speed_kph=access_speed_kph, circuity=circuity),
        index.snap(f_xy, access_speed_kph=access_speed_kph, circuity=circuity),
        d_xy,
        f_xy,
        cutoff_s=cutoff_minutes * 60.0,
        access_mps=access_speed_kph / 3.6,
        circuity=circuity,
    )
    result = TravelTimes(minutes, d_ids, f_ids, float(cutoff_minutes), key)
    if cache:
        result.save(path)
    return result


# --- network ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Network:
    """Edges of a road graph as node positions, in canonical order, and the reduced CSR."""

    n_nodes: int
    node_xy: NDArray[np.float64]
    u: NDArray[np.intp]
    v: NDArray[np.intp]
    seconds: NDArray[np.float64]

    @classmethod
    def from_graph(cls, graph: nx.Graph[Any], index: NodeIndex) -> _Network:
        pos = {node: i for i, node in enumerate(index.ids)}
        edges: list[tuple[Any, Any, Any]] = list(graph.edges(data="travel_time"))
        u = np.fromiter((pos[e[0]] for e in edges), np.intp, len(edges))
        v = np.fromiter((pos[e[1]] for e in edges), np.intp, len(edges))
        seconds = np.fromiter(
            (np.nan if e[2] is None else e[2] for e in edges), np.float64, len(edges)
        )
        bad = ~(np.isfinite(seconds) & (seconds >= 0))
        if bad.any():
            first = edges[int(np.argmax(bad))]
            raise DataValidationError(
                [
                    DataProblem(
                        "road graph",
                        "edge travel_time",
                        f"{int(bad.sum())} edges lack a finite travel_time >= 0 "
                        f"(first: {first[0]!r} -> {first[1]!r}: {first[2]!r})",
                        "set travel_time in seconds on every edge, "
                        "e.g. with osmnx.routing.add_edge_travel_times",
                    )
                ]
            )
        if not graph.is_directed():
            u, v = np.concatenate([u, v]), np.concatenate([v, u])
            seconds = np.concatenate([seconds, seconds])
        # Self-loops never shorten a path; a canonical order makes the cache key independent
        # of the order edges were added in.
        loop = u == v
        u, v, seconds = u[~loop], v[~loop], seconds[~loop]
        order = np.lexsort((seconds, v, u))
        return cls(len(index.ids), index.xy, u[order], v[order], seconds[order])

    def update_hash(self, digest: Any) -> None:
        for array, dtype in (
            (self.node_xy, "<f8"),
            (self.u, "<i8"),
            (self.v, "<i8"),
            (self.seconds, "<f8"),
        ):
            digest.update(np.ascontiguousarray(array, dtype=dtype).tobytes())

    def csr(self, *, transpose: bool = False) -> sparse.csr_array:
        """Fastest edge per (u, v) as a CSR of seconds; of the reversed graph if `transpose`."""
        # In (u, v, seconds) order the first edge of each (u, v) run is the fastest one;
        # keeping only it means no duplicates reach scipy (coo -> csr would sum them).
        first = np.r_[True, (self.u[1:] != self.u[:-1]) | (self.v[1:] != self.v[:-1])]
        u, v, seconds = self.u[first], self.v[first], self.seconds[first]
        if transpose:
            u, v = v, u
        return _csr_from_coo(u, v, seconds, (self.n_nodes, self.n_nodes))


def _compute_minutes(
    network: _Network,
    demand: Snapped,
    facilities: Snapped,
    d_xy: NDArray[np.float64],
    f_xy: NDArray[np.float64],
    *,
    cutoff_s: float,
    access_mps: float,
    circuity: float,
) -> sparse.csr_array:
    """Sparse demand x facility minutes within `cutoff_s` (explicit zeros kept)."""
    d_nodes, d_inv = np.unique(demand.node, return_inverse=True)
    f_nodes, f_inv = np.unique(facilities.node, return_inverse=True)
    limit = cutoff_s - demand.access_time_s.min() - facilities.access_time_s.min()
    shape = (len(d_xy), len(f_xy))
    if limit < 0:
        return _csr_from_coo(*_empty_coo(), shape)
    limit = limit * (1 + _LIMIT_SLACK) + _LIMIT_SLACK

    # Unique-node pairs reachable over the network: (demand node k, facility node l, seconds).
    if len(d_nodes) <= len(f_nodes):
        k, l_, net = _reachable(network.csr(), d_nodes, f_nodes, limit)
    else:
        l_, k, net = _reachable(network.csr(transpose=True), f_nodes, d_nodes, limit)

    # Expand each node pair to every (demand place, facility place) pair on those nodes.
    d_order, d_start, d_count = _groups(d_inv, len(d_nodes))
    f_order, f_start, f_count = _groups(f_inv, len(f_nodes))
    per_pair = d_count[k] * f_count[l_]
    pair = np.repeat(np.arange(len(k)), per_pair)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    rows = d_order[d_start[k[pair]] + offset // f_count[l_[pair]]]
    cols = f_order[f_start[l_[pair]] + offset % f_count[l_[pair]]]
    seconds = demand.access_time_s[rows] + net[pair] + facilities.access_time_s[cols]
    # Places on the same node: their own straight leg, never longer than via the node.
    same = d_nodes[k[pair]] == f_nodes[l_[pair]]
    if same.any():
        gap = np.hypot(*(d_xy[rows[same]] - f_xy[cols[same]]).T)
        seconds[same] = gap * circuity / access_mps
    keep = seconds <= cutoff_s
    return _csr_from_coo(rows[keep], cols[keep], seconds[keep] / 60.0, shape)


def _reachable(
    csr: sparse.csr_array,
    sources: NDArray[np.intp],
    targets: NDArray[np.intp],
    limit: float,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Finite shortest paths from `sources` to `targets` within `limit`, as (i, j, seconds).

    ``i`` and ``j`` index `sources` and `targets`. Sources run in chunks so the dense
    Dijkstra output stays below `_DIJKSTRA_CHUNK_BYTES` on large graphs.
    """
    chunk = max(1, _DIJKSTRA_CHUNK_BYTES // (8 * csr.shape[0]))
    parts: list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]] = []
    for start in range(0, len(sources), chunk):
        dist = dijkstra(csr, directed=True, indices=sources[start : start + chunk], limit=limit)
        sub = np.asarray(dist, dtype=np.float64)[:, targets]
        i, j = np.nonzero(np.isfinite(sub))
        parts.append((i + start, j, sub[i, j]))
    if not parts:
        return _empty_coo()
    return (
        np.concatenate([p[0] for p in parts]).astype(np.intp),
        np.concatenate([p[1] for p in parts]).astype(np.intp),
        np.concatenate([p[2] for p in parts]),
    )


def _groups(
    inverse: NDArray[np.intp], n_groups: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """Members sorted by group, each group's start in that order, and group sizes."""
    order = np.argsort(inverse, kind="stable").astype(np.intp)
    count = np.bincount(inverse, minlength=n_groups).astype(np.intp)
    start = (np.cumsum(count) - count).astype(np.intp)
    return order, start, count


# --- sparse helpers that never drop explicit zeros ---------------------------------------------


def _csr_from_coo(
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    data: NDArray[np.float64],
    shape: tuple[int, int],
) -> sparse.csr_array:
    """Canonical CSR from unique (row, col) pairs, built directly (zeros stay stored)."""
    order = np.lexsort((cols, rows))
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    matrix = sparse.csr_array(
        (
            np.asarray(data, dtype=np.float64)[order],
            np.asarray(cols, dtype=np.int64)[order],
            indptr,
        ),
        shape=shape,
    )
    matrix.has_sorted_indices = True
    matrix.has_canonical_format = True
    return matrix


def _empty_coo() -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float64)


# --- ids ----------------------------------------------------------------------------------------


def _id_problems(frame: pd.DataFrame, column: str, *, source: str) -> list[DataProblem]:
    arg = "demand_id" if source == "demand" else "facility_id"
    if column not in frame.columns:
        return [
            DataProblem(
                source,
                column,
                "id column is missing",
                f"add a unique '{column}' column or pass {arg}='<your id column>'",
            )
        ]
    values = frame[column]
    if values.isna().any():
        return [
            DataProblem(
                source,
                column,
                f"{int(values.isna().sum())} rows have no id",
                "give every row an id",
            )
        ]
    ids = values.astype(str)
    dup = ids[ids.duplicated(keep=False)].unique()
    if len(dup):
        shown = ", ".join(repr(d) for d in dup[:5])
        more = f" and {len(dup) - 5} more" if len(dup) > 5 else ""
        return [
            DataProblem(
                source,
                column,
                f"{len(dup)} ids are not unique ({shown}{more})",
                "make the ids unique, e.g. drop duplicated rows",
            )
        ]
    return []


def _hash_strings(digest: Any, values: Sequence[str] | NDArray[np.str_]) -> None:
    digest.update(len(values).to_bytes(8, "little"))
    for value in values:
        encoded = str(value).encode()
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)


def _position(positions: dict[str, int], value: str, kind: str) -> int:
    try:
        return positions[value]
    except KeyError:
        msg = f"unknown {kind} id {value!r}"
        raise KeyError(msg) from None


def _selection(
    ids: NDArray[np.str_],
    positions: dict[str, int],
    wanted: Iterable[str] | None,
    kind: str,
) -> tuple[NDArray[np.str_], NDArray[np.intp]]:
    """Selected ids and a map from old position to new position (-1 when dropped)."""
    if wanted is None:
        return ids, np.arange(len(ids), dtype=np.intp)
    chosen = [str(w) for w in wanted]
    if len(set(chosen)) != len(chosen):
        msg = f"{kind} ids in subset must not repeat"
        raise ValueError(msg)
    old = np.fromiter((_position(positions, w, kind) for w in chosen), np.intp, len(chosen))
    mapping = np.full(len(ids), -1, dtype=np.intp)
    mapping[old] = np.arange(len(chosen), dtype=np.intp)
    return ids[old], mapping
