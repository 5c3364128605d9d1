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

from geodata import settings
from geodata._network import Network, compute_minutes, csr_from_coo
from geodata.errors import (
    DataProblem,
    DataValidationError,
    HealthplanDataError,
    UnknownIdError,
    UnreachableError,
)
from geodata.snap import (
    NodeIndex,
    check_access_parameters,
    point_problems,
    project_points,
)

__all__ = ["TravelTimes", "travel_times"]

logger = logging.getLogger(__name__)

#: Bumped whenever the computation or the file layout changes; part of every cache key.
_FORMAT_VERSION = "travel-times-v1"


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
        """Check that the matrix and the ids agree (a programming error otherwise)."""
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
        """One line: the shape, reachable pairs, cutoff and whether read from cache."""
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
        UnknownIdError
            If either id is unknown (also a `KeyError`).
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
        UnknownIdError
            If an id is unknown (also a `KeyError`).
        HealthplanDataError
            If an id is repeated.
        """
        new_d, row_map = _selection(self.demand_ids, self._demand_pos, demand_ids, "demand")
        new_f, col_map = _selection(self.facility_ids, self._facility_pos, facility_ids, "facility")
        rows = row_map[self._rows()]
        cols = col_map[self.minutes.indices]
        keep = (rows >= 0) & (cols >= 0)
        matrix = csr_from_coo(
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
        HealthplanDataError
            If the file is not a travel-time file of this format version.
        """
        with np.load(path, allow_pickle=False) as npz:
            if "format_version" not in npz or str(npz["format_version"]) != _FORMAT_VERSION:
                msg = f"{path}: not a travel-time file of format {_FORMAT_VERSION}"
                raise HealthplanDataError(msg)
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
        raise HealthplanDataError(msg)
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
    network = Network.from_graph(graph, index)
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

    minutes = compute_minutes(
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
        raise UnknownIdError(msg) from None


def _selection(
    ids: NDArray[np.str_],
    positions: dict[str, int],
    wanted: Iterable[str] | None,
    kind: str,
) -> tuple[NDArray[np.str_], NDArray[np.intp]]:
    """Return the selected ids and a map from old to new position (-1 when dropped)."""
    if wanted is None:
        return ids, np.arange(len(ids), dtype=np.intp)
    chosen = [str(w) for w in wanted]
    if len(set(chosen)) != len(chosen):
        msg = f"{kind} ids in subset must not repeat"
        raise HealthplanDataError(msg)
    old = np.fromiter((_position(positions, w, kind) for w in chosen), np.intp, len(chosen))
    mapping = np.full(len(ids), -1, dtype=np.intp)
    mapping[old] = np.arange(len(chosen), dtype=np.intp)
    return ids[old], mapping
