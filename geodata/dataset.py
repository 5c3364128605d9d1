"""The world in one object: admin units, demand, facilities, road graph and travel times.

>>> import geodata
>>> world = geodata.load_dataset("liaoning")
>>> len(world.demand), int(world.demand["population"].sum())
(1406, 42591407)
>>> graph = world.graph()                      # approximated roads, or graph(osm="x.osm.pbf")
>>> times = world.travel_times(cutoff_minutes=120)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.datasets import available, get_path
from geodata.errors import HealthplanDataError
from geodata.io import read_csv_text, read_facilities, read_table
from geodata.schema import ADMIN_UNIT_COLUMNS, DEMAND_AGE_BANDS
from geodata.settings import STORAGE_CRS
from geodata.validate import validate_admin_units, validate_demand, validate_facilities

if TYPE_CHECKING:
    import networkx as nx

    from geodata.travel import TravelTimes

__all__ = ["Dataset", "load_dataset"]

_CODE_DTYPES = dict.fromkeys(("code", "parent_code", "county_code", "city_code"), str)
_CORRIDOR_DTYPES = {"place_adcode": str, "route_code": str}


@dataclass
class Dataset:
    """A validated planning world (contract: ``docs/data_contract.md``).

    Attributes
    ----------
    name
        ``"liaoning"`` or the file name of a user GeoPackage.
    boundaries
        Province, city and county polygons: code, name_zh, name_en, level, parent_code, ...
    townships
        Township-level units as seat points, with kind, population and provenance flags.
    demand
        One point per township-level unit: demand_id, township_code, county_code, city_code,
        population and age bands.
    facilities
        One point per facility: facility_id, name_zh, name_en, tier, county_code, city_code,
        beds, upgrade_cost_cny, is_proxy, ...
    seats
        Province, city and county seat points (used as road-graph nodes).
    corridors
        Expressway corridors (ordered county-level places) for the approximated graph.
    manifest
        Build manifest (file hashes, counts, parameters) or ``{}``.
    population_year
        Year of the townships' demand columns: 2020 (the census) or a projection year
        (`with_population`).
    population_variant
        ``"census"`` for 2020, else the projection variant (``low``, ``central``, ``high``).
    """

    name: str
    boundaries: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    seats: gpd.GeoDataFrame
    corridors: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    cross_border: gpd.GeoDataFrame | None = None
    cross_border_on: bool = False
    _graphs: dict[str, nx.MultiDiGraph[Any]] = field(default_factory=dict, repr=False)
    _province: list[tuple[gpd.GeoDataFrame, BaseGeometry | None]] = field(
        default_factory=list, repr=False
    )
    population_year: int = 2020
    population_variant: str = "census"
    _census: pd.DataFrame | None = field(default=None, repr=False)

    # --- admin units ---------------------------------------------------------------------
    @property
    def province(self) -> BaseGeometry | None:
        """The province polygon (WGS-84), or None when the dataset has no boundaries.

        Computed once per `boundaries` frame (the union of a detailed outline takes ~50 ms and
        every facility file checked against the world needs it).
        """
        if self._province and self._province[0][0] is self.boundaries:
            return self._province[0][1]
        rows = self.boundaries[self.boundaries["level"] == "province"]
        outline = None if rows.empty else shapely.union_all(rows.geometry.to_numpy())
        self._province[:] = [(self.boundaries, outline)]
        return outline

    @property
    def admin_units(self) -> gpd.GeoDataFrame:
        """All admin units in one frame: polygons for province/city/county, township points.

        The ``admin_units`` layer of the data contract (``docs/data_contract.md``): the
        required columns, ``kind`` (empty on polygon rows), ``county_type`` (empty except on
        county rows), and ``population`` and ``coord_source`` when the world has them.
        """
        cols = [*ADMIN_UNIT_COLUMNS, "kind", "county_type"]
        towns = self.townships.assign(
            level="township", parent_code=self.townships["county_code"], county_type=""
        )
        polygons = self.boundaries.assign(kind=self.boundaries.get("kind", ""))
        if "county_type" not in polygons:
            polygons["county_type"] = ""
        if "population" in polygons and "population" in towns:
            cols.append("population")
        if "coord_source" in towns:
            polygons["coord_source"] = ""
            cols.append("coord_source")
        for column in _POLYGON_SERVICE:
            if column in polygons:
                towns[column] = ""
                cols.append(column)
        for column in _TOWNSHIP_SERVICE:
            if column in towns:
                polygons[column] = ""
                cols.append(column)
        frames = [polygons[[*cols, "geometry"]], towns[[*cols, "geometry"]]]
        units = pd.concat(frames, ignore_index=True)
        return gpd.GeoDataFrame(units, geometry="geometry", crs=STORAGE_CRS)

    def units(self, level: str) -> gpd.GeoDataFrame:
        """Boundaries of one level (``"city"`` or ``"county"``), indexed by code."""
        rows = self.boundaries[self.boundaries["level"] == level]
        return rows.set_index("code", drop=False).sort_index()

    # --- population futures (geodata.projection) ----------------------------------------
    def with_population(self, year: int, variant: str = "central") -> Dataset:
        """Return the same world with the townships' demand columns of one projection.

        ``population``, ``pop_0_14``, ``pop_15_64``, ``pop_65plus`` and ``pop_female_15_49``
        of `townships` and `demand` are replaced by the county projection of `year` and
        `variant` (``projections.csv`` of the shipped dataset, ``docs/projections.md``),
        carried down to townships by their 2020 share of each band, and ``population`` of
        the county, city and province `boundaries` by their sums; everything else is shared
        with this world. Year 2020 gives today's census figures unchanged
        (`population_variant` ``"census"`` whatever the variant).

        Parameters
        ----------
        year
            One of `geodata.projection.YEARS` (2020, 2025, 2030, 2035).
        variant
            One of `geodata.projection.VARIANTS` (``low``, ``central``, ``high``).

        Returns
        -------
        Dataset
            A new world with `population_year` and `population_variant` set.

        Raises
        ------
        geodata.errors.HealthplanDataError
            An unknown year or variant (the message names the valid ones), or a world
            without projections (a user GeoPackage) for a year other than 2020.
        """
        from geodata.projection import with_population

        return with_population(self, year, variant)

    @property
    def census_population(self) -> pd.DataFrame:
        """The 2020 census demand columns per township (``code``, ``county_code`` and bands).

        Kept by `with_population`, so a projected world can be projected again from 2020.
        """
        if self._census is not None:
            return self._census
        from geodata.projection import DEMAND_COLUMNS

        missing = [c for c in DEMAND_COLUMNS if c not in self.townships.columns]
        if missing:
            msg = (
                f"{self.name}: column {missing[0]!r}: townships lack the age bands a projection "
                "needs - use the shipped dataset"
            )
            raise HealthplanDataError(msg)
        return pd.DataFrame(self.townships[["code", "county_code", *DEMAND_COLUMNS]])

    def with_cross_border(self) -> Dataset:
        """Return this world with the cross-border hospitals added as providers.

        The rows of `cross_border` are appended to `facilities` (they keep their columns,
        ``province`` and ``city_name_zh`` included; Liaoning rows have those empty), and the
        approximated road graph gains one node per cross-border hospital, joined to its
        nearest places inside the province (`geodata.approx_roads`, step 6). Their
        ``county_code`` and ``city_code`` are the neighbour prefecture's adcode (e.g.
        ``130300`` Qinhuangdao), not a county of the world: group by the world's counties with
        that in mind. The world itself is not changed; calling this on a world that already
        has them returns it unchanged.

        Returns
        -------
        Dataset
            A new world (its own graph cache) whose facilities include the cross-border rows.

        Raises
        ------
        geodata.errors.HealthplanDataError
            If the world has no cross-border table, or its ids clash with facility ids.
        """
        if self.cross_border_on:
            return self
        if self.cross_border is None or self.cross_border.empty:
            msg = (
                f"{self.name}: no cross-border providers - only the shipped dataset has them "
                "(cross_border.csv), or a GeoPackage with a 'cross_border' layer"
            )
            raise HealthplanDataError(msg)
        clash = sorted(set(self.cross_border["facility_id"]) & set(self.facilities["facility_id"]))
        if clash:
            msg = (
                f"{self.name}: cross-border ids {', '.join(clash[:3])} are also facility ids - "
                "rename the cross-border rows or the facilities"
            )
            raise HealthplanDataError(msg)
        extra = self.cross_border.assign(_cross=True)
        base = self.facilities.assign(_cross=False)
        for column in ("province", "city_name_zh"):
            if column not in base:
                base[column] = ""
        combined = pd.concat([base, extra], ignore_index=True)
        combined = combined.drop(columns="_cross")
        for column in ("province", "city_name_zh", "township_code"):
            if column in combined:
                combined[column] = combined[column].fillna("").astype(str)
        facilities = gpd.GeoDataFrame(combined, geometry="geometry", crs=STORAGE_CRS)
        return replace(self, facilities=facilities, cross_border_on=True, _graphs={}, _province=[])

    # --- network and travel times ----------------------------------------------------------
    def graph(
        self, *, osm: str | Path | None = None, speeds_kph: dict[str, float] | None = None
    ) -> nx.MultiDiGraph[Any]:
        """Return the road graph: OpenStreetMap roads from `osm`, else the approximated network.

        Built once per (source, speeds) and kept on the object.
        """
        key = json.dumps([str(osm) if osm else None, speeds_kph], sort_keys=True)
        if key not in self._graphs:
            if osm is not None:
                from geodata.osm import graph_from_osm

                self._graphs[key] = graph_from_osm(osm, speeds_kph=speeds_kph)
            else:
                self._graphs[key] = self._approximated_graph(speeds_kph)
        return self._graphs[key]

    def _approximated_graph(self, speeds_kph: dict[str, float] | None) -> nx.MultiDiGraph[Any]:
        from geodata.approx_roads import EXTERNAL_LEVEL, approximated_graph

        land = self.province
        if land is None:
            msg = (
                f"{self.name}: no province boundary - the approximated road graph needs the "
                "land polygon; pass osm= with an OpenStreetMap file instead"
            )
            raise HealthplanDataError(msg)
        seats = self.seats[self.seats["level"].isin(["city", "county"])][
            ["code", "level", "geometry"]
        ]
        towns = self.townships.assign(level="township")[["code", "level", "geometry"]]
        frames = [seats, towns]
        if self.cross_border_on and self.cross_border is not None:
            outside = self.cross_border.rename(columns={"facility_id": "code"})
            frames.append(outside.assign(level=EXTERNAL_LEVEL)[["code", "level", "geometry"]])
        places = gpd.GeoDataFrame(
            pd.concat(frames, ignore_index=True), geometry="geometry", crs=STORAGE_CRS
        )
        graph: nx.MultiDiGraph[Any] = approximated_graph(
            places, land, self.corridors, speeds_kph=speeds_kph
        )
        return graph

    def travel_times(
        self,
        *,
        graph: nx.MultiDiGraph[Any] | None = None,
        cutoff_minutes: float = 120.0,
        cache: bool = True,
    ) -> TravelTimes:
        """Demand x facility travel-time matrix in minutes (sparse, cut off, cached on disk).

        Parameters
        ----------
        graph
            Road graph; default `graph` (the approximated network).
        cutoff_minutes
            Pairs farther apart than this are unreachable.
        cache
            Read from and write to the travel-time cache (see `geodata.travel.travel_times`).

        Returns
        -------
        geodata.travel.TravelTimes
            Rows are `demand`, columns `facilities`, in their order.
        """
        from geodata.travel import travel_times

        return travel_times(
            graph if graph is not None else self.graph(),
            self.demand,
            self.facilities,
            cutoff_minutes=cutoff_minutes,
            cache=cache,
        )

    # --- reporting ---------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Return the counts and totals a planner checks first (``healthplan data info``)."""
        levels = self.boundaries["level"].value_counts()
        facilities = self.facilities
        out: dict[str, Any] = {
            "dataset": self.name,
            "cities": int(levels.get("city", 0)),
            "counties": int(levels.get("county", 0)),
            "townships": len(self.townships),
            "township_kinds": _counts(self.townships, "kind") if "kind" in self.townships else {},
            "population": int(self.demand["population"].sum()),
            "facilities": len(facilities),
            "facilities_by_tier": _counts(facilities, "tier"),
            "proxy_facilities": int(facilities["is_proxy"].astype(bool).sum()),
            "upgrade_candidates": int(facilities["upgrade_cost_cny"].notna().sum())
            if "upgrade_cost_cny" in facilities
            else 0,
        }
        if "coord_source" in self.townships:
            out["township_coord_source"] = _counts(self.townships, "coord_source")
        for band in DEMAND_AGE_BANDS:
            if band in self.demand:
                out[band] = int(self.demand[band].sum())
        return out

    def to_gpkg(self, path: str | Path) -> Path:
        """Write the dataset as a GeoPackage that `load_dataset` reads back into the same world.

        Layers ``admin_units``, ``demand``, ``facilities`` and ``seats``, ``corridors``
        (a table without geometry) when the world has corridors, and ``cross_border`` when it
        has cross-border providers (the ``facilities`` layer never holds them: a world read
        back has them off, `with_cross_border` turns them on); see
        ``docs/data_contract.md``. The build manifest is not written.

        Parameters
        ----------
        path
            The ``.gpkg`` file; layers already in it are replaced.

        Returns
        -------
        pathlib.Path
            `path`.
        """
        path = Path(path)
        self.admin_units.to_file(path, layer="admin_units", driver="GPKG")
        self.demand.to_file(path, layer="demand", driver="GPKG")
        facilities = self.facilities
        if self.cross_border_on and self.cross_border is not None:
            outside = set(self.cross_border["facility_id"])
            facilities = facilities[~facilities["facility_id"].isin(outside)].drop(
                columns=["province", "city_name_zh"], errors="ignore"
            )
        facilities.to_file(path, layer="facilities", driver="GPKG")
        if self.cross_border is not None:
            self.cross_border.to_file(path, layer="cross_border", driver="GPKG")
        self.seats.to_file(path, layer="seats", driver="GPKG")
        if self.corridors is not None:
            import pyogrio

            pyogrio.write_dataframe(self.corridors, path, layer="corridors", driver="GPKG")
        return path


def _counts(frame: pd.DataFrame, column: str) -> dict[str, int]:
    counts = frame[column].value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def _points_csv(path: Path) -> gpd.GeoDataFrame:
    df = pd.read_csv(path, dtype=_CODE_DTYPES, encoding="utf-8")
    geometry = gpd.points_from_xy(df.pop("lon"), df.pop("lat"))
    return gpd.GeoDataFrame(df, geometry=geometry, crs=STORAGE_CRS)


def _demand_from_townships(townships: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keep = [
        c
        for c in (
            "name_zh",
            "name_en",
            "kind",
            "county_code",
            "city_code",
            "population",
            *DEMAND_AGE_BANDS,
            "coord_source",
            "population_source",
            "service_tier",
        )
        if c in townships.columns
    ]
    demand = townships[["code", *keep, "geometry"]].rename(columns={"code": "demand_id"})
    demand.insert(1, "township_code", demand["demand_id"])
    return gpd.GeoDataFrame(demand, geometry="geometry", crs=STORAGE_CRS)


def _load_builtin(name: str) -> Dataset:
    folder = get_path(name)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    boundaries = validate_admin_units(
        gpd.read_file(folder / "boundaries.geojson"), source=f"{name}/boundaries.geojson"
    )
    townships = _points_csv(folder / "townships.csv")
    seats = _points_csv(folder / "seats.csv")
    corridors_path = folder / "corridors.csv"
    corridors = (
        pd.read_csv(corridors_path, dtype=_CORRIDOR_DTYPES) if corridors_path.exists() else None
    )
    province = shapely.union_all(boundaries.loc[boundaries["level"] == "province", "geometry"])
    counties = boundaries.loc[boundaries["level"] == "county", "code"]
    demand = validate_demand(
        _demand_from_townships(townships), source=f"{name}/townships.csv", province=province
    )
    facilities = validate_facilities(
        read_csv_text(folder / "facilities.csv"),
        source=f"{name}/facilities.csv",
        province=province,
        counties=counties,
    )
    cross_path = folder / "cross_border.csv"
    cross_border = (
        _validate_cross_border(read_csv_text(cross_path), f"{name}/cross_border.csv")
        if cross_path.exists()
        else None
    )
    return Dataset(
        name=name,
        boundaries=boundaries,
        townships=townships,
        demand=demand,
        facilities=facilities,
        seats=seats,
        corridors=corridors,
        manifest=manifest,
        cross_border=cross_border,
        _province=[(boundaries, province)],
    )


def _validate_cross_border(table: pd.DataFrame, source: str) -> gpd.GeoDataFrame:
    """Check cross-border providers: the facility contract, without the province checks.

    They lie outside the province and name a neighbour's adcode, so the inside-the-province
    and county-of-the-world checks are the two left out.
    """
    frame = validate_facilities(table, source=source, province=None, counties=None)
    for column in ("province", "city_name_zh", "township_code"):
        if column in frame:
            frame[column] = frame[column].fillna("").astype(str)
    return frame


#: Columns of the admin_units layer that belong to one side of the split only.
_TOWNSHIP_SERVICE = ("service_tier", "service_tier_basis")
_POLYGON_SERVICE = ("service_area", "service_area_basis")
_TOWNSHIP_ONLY = ("kind", "coord_source", *_TOWNSHIP_SERVICE)
_POLYGON_ONLY = ("level", "parent_code", "county_type", *_POLYGON_SERVICE)


def _load_gpkg(path: Path) -> Dataset:
    units_table = read_table(path, layer="admin_units")  # a file GDAL cannot read fails here
    layers = _layers(path)
    units = validate_admin_units(units_table, source=f"{path.name} (layer 'admin_units')")
    township = units["level"] == "township"
    boundaries = units[~township].drop(columns=list(_TOWNSHIP_ONLY), errors="ignore")
    boundaries = boundaries.reset_index(drop=True)
    towns = units[township].reset_index(drop=True)
    city_of = dict(zip(boundaries["code"], boundaries["parent_code"], strict=True))
    towns = towns.assign(
        county_code=towns["parent_code"], city_code=towns["parent_code"].map(city_of).fillna("")
    )
    townships = gpd.GeoDataFrame(
        towns.drop(columns=list(_POLYGON_ONLY), errors="ignore"), geometry="geometry", crs=units.crs
    )
    polygons = boundaries.loc[boundaries["level"] == "province", "geometry"]
    province = shapely.union_all(polygons.to_numpy()) if len(polygons) else None
    counties = boundaries.loc[boundaries["level"] == "county", "code"]
    demand = validate_demand(
        read_table(path, layer="demand"), source=f"{path.name} (layer 'demand')", province=province
    )
    facilities = read_facilities(
        path, layer="facilities", province=province, counties=counties if len(counties) else None
    )
    seats = (
        read_table(path, layer="seats")
        if "seats" in layers
        else gpd.GeoDataFrame(
            {"code": [], "level": []}, geometry=gpd.GeoSeries([], crs=STORAGE_CRS)
        )
    )
    if "code" in seats:
        seats["code"] = seats["code"].astype(str)
    return Dataset(
        name=path.name,
        boundaries=boundaries,
        townships=townships,
        demand=demand,
        facilities=facilities,
        seats=seats,
        corridors=_read_corridors(path) if "corridors" in layers else None,
        cross_border=_validate_cross_border(
            read_table(path, layer="cross_border"),
            f"{path.name} (layer 'cross_border')",
        )
        if "cross_border" in layers
        else None,
    )


def _read_corridors(path: Path) -> pd.DataFrame:
    import pyogrio

    corridors: pd.DataFrame = pyogrio.read_dataframe(path, layer="corridors", read_geometry=False)
    return corridors.astype(_CORRIDOR_DTYPES)


def _layers(path: Path) -> list[str]:
    import pyogrio

    return [str(row[0]) for row in pyogrio.list_layers(path)]


def load_dataset(
    source: str | Path = "liaoning",
    *,
    facilities: str | Path | None = None,
    facilities_layer: str | None = None,
) -> Dataset:
    """Load and validate a planning world.

    Parameters
    ----------
    source
        A built-in dataset name (``"liaoning"``) or a GeoPackage with layers ``admin_units``,
        ``demand`` and ``facilities`` (and optionally ``seats``) in the data contract
        (``docs/data_contract.md``).
    facilities
        A user's real facility table (CSV with lon/lat, GeoPackage layer or GeoJSON) that
        replaces the dataset's facilities; validated against the dataset's counties and
        province outline.
    facilities_layer
        Layer of `facilities` when it is a GeoPackage (default ``facilities``).
    """
    path = Path(source)
    if isinstance(source, str) and source in available():  # a name, even beside a folder
        path = Path()
    elif path.is_dir():
        msg = (
            f"{path}: is a folder, not a dataset - give a GeoPackage (.gpkg) with layers "
            "admin_units, demand, facilities or a built-in name (liaoning)"
        )
        raise HealthplanDataError(msg)
    if path.suffix.lower() == ".gpkg":
        if not path.exists():
            msg = f"{path}: dataset file not found - check the path or use a built-in name"
            raise HealthplanDataError(msg)
        world = _load_gpkg(path)
    else:
        world = _load_builtin(str(source))
    if facilities is not None:
        counties = world.boundaries.loc[world.boundaries["level"] == "county", "code"]
        world.facilities = read_facilities(
            facilities,
            layer=facilities_layer,
            province=world.province,
            counties=counties if len(counties) else None,
        )
    return world
