"""GCJ-02 ("Mars coordinates") <-> WGS-84 conversion, vectorised with numpy.

GCJ-02 is the obfuscated datum that Chinese map providers (AMap/Gaode, Tencent) publish. The
forward transform (WGS-84 -> GCJ-02) is the widely used public, reverse-engineered formula
(Krasovsky 1940 ellipsoid constants ``a = 6378245``, ``ee = 0.00669342162296594323``); it is
reported to match the official offset to about 1-2 m. There is no closed-form inverse, so
`gcj02_to_wgs84` iterates the forward formula (fixed-point on the offset) until every point
moves by less than ``tol`` degrees.

Points outside the rough China bounding box used by every public implementation are returned
unchanged, as the official offset is not applied there.

Used by the dataset build (`geodata.build`: AMap sources are in GCJ-02) and by the maps, which
draw the data in GCJ-02 over Gaode tiles.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["gcj02_to_wgs84", "in_china", "wgs84_to_gcj02"]

_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323
# Bounding box of the public implementations (coordtransform, eviltransform, gcoord).
_LON_MIN: Final = 72.004
_LON_MAX: Final = 137.8347
_LAT_MIN: Final = 0.8293
_LAT_MAX: Final = 55.8271

FloatArray = NDArray[np.float64]


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether points fall inside the rough China box where GCJ-02 offsets apply.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (broadcastable).

    Returns
    -------
    numpy.ndarray
        Boolean mask, True inside the box.
    """
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    return (x >= _LON_MIN) & (x <= _LON_MAX) & (y >= _LAT_MIN) & (y <= _LAT_MAX)


def _offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS-84 in degrees at WGS-84 points (no bounding-box test)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    periodic = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += periodic
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += periodic
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude/latitude to GCJ-02.

    Parameters
    ----------
    lon, lat
        WGS-84 degrees (scalars or arrays of the same shape).

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitudes and latitudes (float64, input shape); points outside China unchanged.
    """
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _offset(x, y)
    inside = in_china(x, y)
    return np.where(inside, x + dlon, x), np.where(inside, y + dlat, y)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-9, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to WGS-84 by iterating the forward formula.

    Starting from the GCJ-02 point, each step sets ``wgs = gcj - offset(wgs)``; the offset
    varies by less than 1e-4 of its size per degree, so this converges in 3-5 steps.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees (scalars or arrays of the same shape).
    tol
        Stop when no point moves by more than this (degrees); the forward transform of the
        result then reproduces the input to about ``tol``.
    max_iter
        Upper bound on iterations.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitudes and latitudes (float64, input shape); points outside China unchanged.

    Raises
    ------
    ArithmeticError
        If the iteration has not converged after ``max_iter`` steps (not seen in practice).
    """
    gx = np.asarray(lon, dtype=np.float64)
    gy = np.asarray(lat, dtype=np.float64)
    wx = gx.copy()
    wy = gy.copy()
    for _ in range(max_iter):
        dlon, dlat = _offset(wx, wy)
        nx = gx - dlon
        ny = gy - dlat
        step = max(
            float(np.max(np.abs(nx - wx), initial=0.0)), float(np.max(np.abs(ny - wy), initial=0.0))
        )
        wx, wy = nx, ny
        if step < tol:
            break
    else:
        msg = f"gcj02_to_wgs84: no convergence to {tol} deg after {max_iter} iterations"
        raise ArithmeticError(msg)
    inside = in_china(gx, gy)
    return np.where(inside, wx, gx), np.where(inside, wy, gy)
