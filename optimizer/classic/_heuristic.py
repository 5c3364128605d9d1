r"""Swap local search for the p-median on a dense cost matrix (upper bounds for Benders).

Demand ``i`` pays ``w_i · min(b_i, min_{j∈S} c_ij)`` for the selection ``S`` of ``k`` columns;
``b_i`` is the cost of a site that is always open (an existing or required site, or a large
penalty when there is none), so it acts as one extra column that never leaves ``S``.

`interchange` is the best-improvement vertex substitution of Teitz & Bart (1968), evaluated for
all ``(in, out)`` pairs at once as in Whitaker's fast interchange (1983) and Resende & Werneck
(2007): with ``d1_i``, ``d2_i`` the nearest and second-nearest open costs and ``φ(i)`` the
nearest open column, the saving of opening ``f`` and closing ``j`` is

.. math::

    \text{gain}_f - \text{loss}_j + \text{extra}_{fj}, \qquad
    \text{gain}_f = \sum_i w_i (d1_i - c_{if})^+, \quad
    \text{loss}_j = \sum_{i: φ(i) = j} w_i (d2_i - d1_i),

    \text{extra}_{fj} = \sum_{i: φ(i) = j} w_i \big(d2_i - \max(c_{if}, d1_i)\big)^+ ,

so one round costs a few passes over the matrix and one ``(n × m) · (m × k)`` product. The
search is started from the ``k`` largest values of an LP solution (`optimizer.classic._benders`),
which on OR-Library-like graphs was as good as or better than a greedy start. Everything is
numpy; the only Python loop runs over the swaps.

`greedy` and `sparse_interchange` do the same on a sparse matrix (a missing entry costs the
row's fallback ``b_i``), in ``O(nnz + n k + m k)`` per step: they give the Benders solver of
`optimizer.classic._benders` its first plan before any LP is solved, on instances whose dense matrix
would not fit (10,000 demand rows and more). The sparse saving keeps only stored entries: a
missing ``c_if = b_i`` gives no gain (``d1_i <= b_i``) and no extra (``d2_i <= b_i`` when
``φ(i)`` is a chosen column).
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from optimizer.core.arrays import FloatArray, IntArray

__all__ = ["greedy", "interchange", "selection_cost", "sparse_interchange", "sparse_nearest"]


_MAX_ROUNDS = 10_000


def _two_nearest(
    costs: FloatArray, base: FloatArray, chosen: IntArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Return the nearest and second-nearest open cost of every row, and the nearest's position.

    The position is in ``chosen`` (``len(chosen)`` when it is the always-open ``base``).
    """
    sub = np.concatenate([costs[:, chosen], base[:, None]], axis=1)
    nearest = np.argmin(sub, axis=1)
    d1 = sub[np.arange(sub.shape[0]), nearest]
    if sub.shape[1] == 1:
        return d1, d1.copy(), nearest
    two = np.partition(sub, 1, axis=1)
    return d1, two[:, 1], nearest


def selection_cost(
    costs: FloatArray, weights: FloatArray, base: FloatArray, chosen: IntArray
) -> float:
    """``Σ_i w_i · min(b_i, min_{j∈chosen} c_ij)``."""
    d1, _, _ = _two_nearest(costs, base, chosen)
    return float(weights @ d1)


def interchange(
    costs: FloatArray,
    weights: FloatArray,
    base: FloatArray,
    chosen: IntArray,
    *,
    max_rounds: int = _MAX_ROUNDS,
    deadline: float = math.inf,
) -> IntArray:
    """Best-improvement swaps from ``chosen`` until no swap saves (a swap local optimum).

    Parameters
    ----------
    costs
        Dense demand × candidate costs (unreachable pairs hold a large finite penalty).
    weights
        Demand weights.
    base
        Cost of each demand's always-open fallback.
    chosen
        Start selection (distinct columns); its size is kept.
    max_rounds
        Limit on the number of swaps.
    deadline
        ``time.perf_counter()`` value after which no further swap is searched.

    Returns
    -------
    numpy.ndarray
        The improved selection, sorted; its cost is never above the start's.
    """
    n = costs.shape[1]
    chosen = np.sort(np.asarray(chosen, dtype=np.intp))
    k = chosen.size
    if k in (0, n):
        return chosen
    rows = np.arange(costs.shape[0])
    for _ in range(max_rounds):
        if time.perf_counter() > deadline:
            break
        d1, d2, nearest = _two_nearest(costs, base, chosen)
        current = float(weights @ d1)
        gain = weights @ np.maximum(d1[:, None] - costs, 0.0)
        loss = np.bincount(nearest, weights=weights * (d2 - d1), minlength=k + 1)[:k]
        extra_rows = weights[:, None] * np.maximum(
            d2[:, None] - np.maximum(costs, d1[:, None]), 0.0
        )
        owner = np.zeros((costs.shape[0], k + 1))
        owner[rows, nearest] = 1.0
        saving = gain[:, None] - loss[None, :] + extra_rows.T @ owner[:, :k]
        swapped = _best_swap(saving, chosen, current)
        if swapped is None:
            break
        chosen = swapped
    return chosen


def sparse_nearest(
    costs: sp.csr_array, base: FloatArray, chosen: IntArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    """`_two_nearest` for a sparse ``costs`` (missing entries cost ``base``)."""
    sub = np.repeat(base[:, None], chosen.size + 1, axis=1)
    if chosen.size:
        block = sp.csr_array(costs[:, chosen]).tocoo()
        rows, cols = np.asarray(block.row), np.asarray(block.col)
        sub[rows, cols] = np.minimum(np.asarray(block.data, dtype=np.float64), base[rows])
    return _two_nearest(sub, base, np.arange(chosen.size, dtype=np.intp))


def greedy(
    costs: sp.csr_array,
    weights: FloatArray,
    base: FloatArray,
    k: int,
) -> IntArray:
    """Add the column with the largest saving ``Σ_i w_i (d1_i - c_if)^+``, ``k`` times.

    Returns the ``k`` columns, sorted. It runs to the end whatever the time (``k`` passes
    over the stored entries), so a time-limited solve always has a plan.
    """
    n_col = costs.shape[1]
    csc = sp.csc_array(costs)
    row_of = np.repeat(np.arange(costs.shape[0], dtype=np.intp), np.diff(costs.indptr))
    d1 = base.astype(np.float64).copy()
    chosen: list[int] = []
    for _ in range(k):
        saving = np.bincount(
            costs.indices,
            weights=weights[row_of] * np.maximum(d1[row_of] - costs.data, 0.0),
            minlength=n_col,
        )
        saving[chosen] = -np.inf
        f = int(np.argmax(saving))
        chosen.append(f)
        rows = csc.indices[csc.indptr[f] : csc.indptr[f + 1]]
        d1[rows] = np.minimum(d1[rows], csc.data[csc.indptr[f] : csc.indptr[f + 1]])
    return np.sort(np.asarray(chosen, dtype=np.intp))


def sparse_interchange(
    costs: sp.csr_array,
    weights: FloatArray,
    base: FloatArray,
    chosen: IntArray,
    *,
    max_rounds: int = _MAX_ROUNDS,
    deadline: float = math.inf,
) -> IntArray:
    """`interchange` on a sparse matrix (see the module docstring); same contract."""
    n_col = costs.shape[1]
    chosen = np.sort(np.asarray(chosen, dtype=np.intp))
    k = chosen.size
    if k in (0, n_col):
        return chosen
    row_of = np.repeat(np.arange(costs.shape[0], dtype=np.intp), np.diff(costs.indptr))
    w_entry = weights[row_of]
    for _ in range(max_rounds):
        if time.perf_counter() > deadline:
            break
        d1, d2, nearest = sparse_nearest(costs, base, chosen)
        current = float(weights @ d1)
        gain = np.bincount(
            costs.indices,
            weights=w_entry * np.maximum(d1[row_of] - costs.data, 0.0),
            minlength=n_col,
        )
        loss = np.bincount(nearest, weights=weights * (d2 - d1), minlength=k + 1)[:k]
        slot = nearest[row_of]
        owned = slot < k
        extra = np.bincount(
            costs.indices[owned] * k + slot[owned],
            weights=(w_entry * np.maximum(d2[row_of] - np.maximum(costs.data, d1[row_of]), 0.0))[
                owned
            ],
            minlength=n_col * k,
        ).reshape(n_col, k)
        saving = np.asarray(gain[:, None] - loss[None, :] + extra, dtype=np.float64)
        swapped = _best_swap(saving, chosen, current)
        if swapped is None:
            break
        chosen = swapped
    return chosen


def _best_swap(saving: FloatArray, chosen: IntArray, current: float) -> IntArray | None:
    """Apply the best swap of `saving` (site in x slot out) to `chosen`; None if none helps.

    ``saving[f, slot]`` is the cost saved by opening site ``f`` instead of ``chosen[slot]``;
    a swap must save more than a relative 1e-9 of the `current` cost.
    """
    saving[chosen] = -np.inf
    best = int(np.argmax(saving))
    f, slot = divmod(best, chosen.size)
    if not saving[f, slot] > 1e-9 * max(1.0, abs(current)):
        return None
    swapped = chosen.copy()
    swapped[slot] = f
    return np.sort(swapped)
