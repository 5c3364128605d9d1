"""GCJ-02 <-> WGS-84 conversion against published point pairs."""

from __future__ import annotations

import numpy as np
import pytest

from geodata.gcj02 import gcj02_to_wgs84, in_china, wgs84_to_gcj02

# (wgs_lat, wgs_lon, gcj_lat, gcj_lon) from the test suite of googollee/eviltransform
# (python/test.py, ``TESTS``: Shanghai, Shenzhen, Beijing), computed there with the same public
# formula, so the match is exact to float rounding.
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_PAIRS)
def test_forward_and_inverse_match_eviltransform(
    wgs_lat: float, wgs_lon: float, gcj_lat: float, gcj_lon: float
) -> None:
    lon, lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert float(lon) == pytest.approx(gcj_lon, abs=1e-10)
    assert float(lat) == pytest.approx(gcj_lat, abs=1e-10)
    lon, lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert float(lon) == pytest.approx(wgs_lon, abs=1e-8)
    assert float(lat) == pytest.approx(wgs_lat, abs=1e-8)


def test_forward_matches_coordtransform() -> None:
    # wandergis/coordtransform, as quoted by hutool's CoordinateUtilTest.wgs84ToGcj02Test:
    # wgs84ToGcj02(116.404, 39.915) == (116.41024449916938, 39.91640428150164).
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41024449916938, abs=1e-10)
    assert float(lat) == pytest.approx(39.91640428150164, abs=1e-10)


def test_inverse_matches_published_approximations() -> None:
    # coordtransform's one-step inverse gcj02ToWgs84(116.404, 39.915) ==
    # (116.39775550083061, 39.91359571849836) (hutool CoordinateUtilTest) and gcoord's
    # GCJ02.to.WGS84([123, 45]) ~ (122.99395597, 44.99804071) (hujiulong/gcoord,
    # test/unit/crs/GCJ02.spec.js). Both are approximate inverses good to a few 1e-7 deg, so
    # the iterative inverse must agree with them to 1e-6 deg.
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    assert float(lon) == pytest.approx(116.39775550083061, abs=1e-6)
    assert float(lat) == pytest.approx(39.91359571849836, abs=1e-6)
    lon, lat = gcj02_to_wgs84(123.0, 45.0)
    assert float(lon) == pytest.approx(122.99395597, abs=1e-6)
    assert float(lat) == pytest.approx(44.99804071, abs=1e-6)


def test_round_trip_over_liaoning_grid() -> None:
    lon, lat = np.meshgrid(np.linspace(118.5, 126.0, 61), np.linspace(38.5, 43.6, 41))
    glon, glat = wgs84_to_gcj02(lon, lat)
    # the offset in Liaoning is ~0.005-0.007 deg: the conversion really moves points
    assert float(np.min(np.hypot(glon - lon, glat - lat))) > 1e-3
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert wlon.shape == lon.shape
    assert float(np.max(np.abs(wlon - lon))) < 1e-7
    assert float(np.max(np.abs(wlat - lat))) < 1e-7


def test_points_outside_china_unchanged() -> None:
    # gcoord: GCJ02.to.WGS84([183, 45]) returns the input unchanged
    lon = np.array([183.0, -0.1276, 2.35, 140.0])
    lat = np.array([45.0, 51.5072, 48.85, 35.0])
    assert not in_china(lon, lat).any()
    for func in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lon, out_lat = func(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)


def test_scalar_and_empty_inputs() -> None:
    lon, lat = gcj02_to_wgs84(np.array([]), np.array([]))
    assert lon.shape == (0,)
    assert lat.shape == (0,)
