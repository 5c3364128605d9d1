"""Road graph -> reduced CSR matrix and multi-source Dijkstra for `geodata.travel` (private)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from geodata.errors import DataProblem, DataValidationError
from geodata.snap import NodeIndex, Snapped

__all__ = ["Network", "compute_minutes", "csr_from_coo", "empty_coo"]

#: Upper bound on the dense Dijkstra output held at once (sources x graph nodes x 8 bytes).
DIJKSTRA_CHUNK_BYTES = 256 * 2**20
#: Relative slack on the network-only Dijkstra limit so that rounding in
#: ``cutoff - access`` never prunes a pair whose exact total is within the cutoff; the exact
#: cutoff test is applied to the summed total afterwards.
_LIMIT_SLACK = 1e-9


@dataclass(frozen=True)
class Network:
    """Edges of a road graph as node positions, in canonical order, and the reduced CSR."""

    n_nodes: int
    node_xy: NDArray[np.float64]
    u: NDArray[np.intp]
    v: NDArray[np.intp]
    seconds: NDArray[np.float64]

    @classmethod
    def from_graph(cls, graph: nx.Graph[Any], index: NodeIndex) -> Network:
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
        return csr_from_coo(u, v, seconds, (self.n_nodes, self.n_nodes))


def compute_minutes(
    network: Network,
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
        return csr_from_coo(*empty_coo(), shape)
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
    return csr_from_coo(rows[keep], cols[keep], seconds[keep] / 60.0, shape)


def _reachable(
    csr: sparse.csr_array,
    sources: NDArray[np.intp],
    targets: NDArray[np.intp],
    limit: float,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Finite shortest paths from `sources` to `targets` within `limit`, as (i, j, seconds).

    ``i`` and ``j`` index `sources` and `targets`. Sources run in chunks so the dense
    Dijkstra output stays below `DIJKSTRA_CHUNK_BYTES` on large graphs.
    """
    chunk = max(1, DIJKSTRA_CHUNK_BYTES // (8 * csr.shape[0]))
    parts: list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]] = []
    for start in range(0, len(sources), chunk):
        dist = dijkstra(csr, directed=True, indices=sources[start : start + chunk], limit=limit)
        sub = np.asarray(dist, dtype=np.float64)[:, targets]
        i, j = np.nonzero(np.isfinite(sub))
        parts.append((i + start, j, sub[i, j]))
    if not parts:
        return empty_coo()
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


def csr_from_coo(
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


def empty_coo() -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float64)
