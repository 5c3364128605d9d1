"""The five time-critical centres, designated on county-level-and-above hospitals.

The centres are chest pain, stroke, critical maternal, critical neonatal / child and trauma
centres.

>>> import geodata
>>> from planning.networks.critical import plan_centres
>>> world = geodata.load_dataset("liaoning")
>>> stroke = plan_centres(world, "stroke", max_centres=15)
>>> stroke.status, stroke.after["stroke"].covered_share > 0.8
('optimal', True)
>>> chain = plan_centres(world, "stroke", max_centres=30, chain=True, per_city=True)

Each centre type is a `NetworkLevel` in `CENTRE_TYPES` (standard, demand weight, capability
prerequisites, each with its source); a single-stage plan is `designation.designate` on it
(maximal covering with count/budget limits and per-city/county minimums). The two-stage
chain (``chain=True``: township → nearest centre, then transfer to a city-level centre; the
total time decides coverage) is `optimizer.chain` with the defaults of `CHAIN_DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict

from planning.networks._chain import plan_chain
from planning.networks.designation import designate
from planning.networks.levels import NetworkLevel, NetworkSpecError, spec_from_dict
from planning.networks.report import NetworkResult

if TYPE_CHECKING:
    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes
    from planning.networks.existing import ExistingCentres

__all__ = [
    "CENTRE_TYPES",
    "CHAIN_DEFAULTS",
    "ChainSpec",
    "plan_all_centres",
    "plan_centres",
]

BoolArray = NDArray[np.bool_]

#: The five centre types with their defaults. NORMS = shared/data/raw/planning_norms/NORMS.md.
CENTRE_TYPES: Final[dict[str, NetworkLevel]] = {
    "chest_pain": NetworkLevel(
        name="chest_pain",
        standard_minutes=60.0,
        source=(
            "60 min: derived (NORMS 6b: 120-min first-contact-to-wire, N 2.5/2.7, minus a "
            "60-min door-to-wire; 30 min is the strict option under the 90-min D2B ceiling, "
            "N 2.2); PCI-capable general hospital of county level and above (N 2.1)"
        ),
    ),
    "stroke": NetworkLevel(
        name="stroke",
        standard_minutes=60.0,
        source=(
            "60 min: sourced (N 2.10 'three 1-hours': pre-hospital transfer <= 1 h; N 2.11 "
            "stroke map: every patient reaches a map hospital within 1 h of calling); "
            "general hospital of county level and above"
        ),
    ),
    "maternal": NetworkLevel(
        name="maternal",
        standard_minutes=60.0,
        demand_weights={"pop_female_15_49": 1.0},
        hospital_types=("general", "maternal_child"),
        source=(
            "60 min: ASSUMPTION (no national time or radius, N 2.17; county-level 1-hour "
            "convention, N 6b); >= 1 centre per city and per county: sourced (N 2.15, "
            "per_city/per_county); women 15-49 as the births proxy: ASSUMPTION; general or "
            "maternal-child hospitals (county centres need Level II+ with ICU, N 2.15)"
        ),
    ),
    "neonatal_child": NetworkLevel(
        name="neonatal_child",
        standard_minutes=60.0,
        demand_weights={"pop_0_14": 1.0},
        hospital_types=("general", "maternal_child"),
        name_pattern=r"children|儿童",
        source=(
            "60 min: ASSUMPTION (as maternal, N 2.17); >= 1 per city and per county: "
            "sourced (N 2.16); children 0-14: ASSUMPTION (neonates are not a census band); "
            "general, maternal-child and children's hospitals"
        ),
    ),
    "trauma": NetworkLevel(
        name="trauma",
        standard_minutes=60.0,
        source=(
            "60 min: weakly sourced golden hour (N 2.14); layout sourced (N 2.13: county "
            "trauma centres at county hospitals, city centres at tertiary general hospitals)"
        ),
    ),
}


@dataclass(frozen=True)
class ChainSpec:
    """The two-stage chain of a centre type (every field is a TOML key of the same name).

    Attributes
    ----------
    total_minutes
        ``S2``: first leg + handover + transfer must be within it.
    first_leg_minutes
        ``S1``: the township must reach its first-contact centre within it; None = the centre
        type's ``standard_minutes``.
    handover_minutes
        ``h``: time at a county-level centre before the transfer (door-in-door-out).
    first_tiers, second_tiers
        Facility tiers that may be county-level (first-contact) and city-level centres; both
        also need the centre type's other prerequisites.
    max_first, max_second
        Most new county-level / city-level designations (``max_centres`` limits both).
    source
        Where the numbers come from.
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    total_minutes: float
    first_leg_minutes: float | None = None
    handover_minutes: float = 0.0
    first_tiers: tuple[str, ...] = ("county_hospital", "county_3a")
    second_tiers: tuple[str, ...] = ("city_3a",)
    max_first: int | None = None
    max_second: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        """Reject negative minutes and limits (one `NetworkSpecError` naming them all)."""
        bad = [
            key
            for key in ("total_minutes", "first_leg_minutes", "handover_minutes")
            if getattr(self, key) is not None and not getattr(self, key) >= 0
        ]
        bad += [k for k in ("max_first", "max_second") if (getattr(self, k) or 0) < 0]
        if bad:
            msg = f"chain: {', '.join(bad)} must be >= 0"
            raise NetworkSpecError(msg)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "chain") -> ChainSpec:
        """Validate a mapping (a parsed TOML table); unknown keys are errors."""
        spec: ChainSpec = spec_from_dict(cls, data, source)
        return spec

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists for tuples); None values left out."""
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in asdict(self).items()
            if v is not None
        }


_CHAIN_TOTAL = (
    "120 min total: ASSUMPTION mirroring the 2-hour radius of PCI networks (N 2.6) and the "
    "regional 120-min standard (N 6a); no national chain time was found"
)

#: Chain defaults per centre type: county-level first contact within the type's standard,
#: city-level definitive care within the total; handover 0 (ASSUMPTION: road time only).
CHAIN_DEFAULTS: Final[dict[str, ChainSpec]] = {
    "chest_pain": ChainSpec(
        total_minutes=120.0,
        source=(
            "120 min total: N 2.5 (lyse first when PCI cannot be reached within 120 min) and "
            "N 2.6 (2-hour PCI network radius); county centres as primary-level chest pain "
            "centres (N 2.8)"
        ),
    ),
    "stroke": ChainSpec(total_minutes=120.0, source=_CHAIN_TOTAL),
    "maternal": ChainSpec(total_minutes=120.0, source=_CHAIN_TOTAL + "; city/county tiers N 2.15"),
    "neonatal_child": ChainSpec(
        total_minutes=120.0, source=_CHAIN_TOTAL + "; city/county tiers N 2.16"
    ),
    "trauma": ChainSpec(total_minutes=120.0, source=_CHAIN_TOTAL + "; county→city N 2.13"),
}


def _centre(centre: str | NetworkLevel) -> NetworkLevel:
    if isinstance(centre, NetworkLevel):
        return centre
    if centre not in CENTRE_TYPES:
        msg = f"unknown centre type {centre!r} - use one of {', '.join(CENTRE_TYPES)}"
        raise NetworkSpecError(msg)
    return CENTRE_TYPES[centre]


def plan_centres(
    world: Dataset,
    centre: str | NetworkLevel,
    *,
    max_centres: int | None = None,
    budget_cny: float | None = None,
    per_city: bool = False,
    per_county: bool = False,
    county_unit: Literal["county", "county_area"] | None = None,
    standard_minutes: float | None = None,
    elderly_weight: float = 0.0,
    existing: Iterable[str] | None = None,
    existing_city_level: Iterable[str] | None = None,
    upgraded: Iterable[str] | pd.DataFrame | None = None,
    eligible: Iterable[str] | None = None,
    chain: bool | ChainSpec = False,
    times: TravelTimes | None = None,
    transfer_times: TravelTimes | None = None,
    solver: str = "highs",
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
) -> NetworkResult:
    """Designate centres of one type to maximise the weighted population within its standard.

    Parameters
    ----------
    world
        The planning world.
    centre
        A key of `CENTRE_TYPES` or a `NetworkLevel` of your own.
    max_centres
        Most new designations (both levels together with ``chain``).
    budget_cny
        Budget for the new designations (designations cost the tier's
        ``designation_cost_cny``, 0 by default).
    per_city, per_county
        Every city / county ends with at least one centre (existing included). With
        ``chain``, every city needs a city-level centre and every county a centre of either
        level.
    county_unit
        Override of the tier's ``county_unit`` for ``per_county``.
    standard_minutes
        Override of the travel-time standard (the first-leg standard with ``chain``).
    elderly_weight
        Adds ``elderly_weight × pop_65plus`` to the demand weight (for stroke and chest pain:
        a person aged 65+ counts ``1 + elderly_weight`` times).
    existing
        Facility ids already designated (open at no cost, before and after, outside
        ``max_centres``); county-level centres with ``chain``. A planner's CSV of existing
        centres is read by `planning.networks.existing.read_existing_centres`.
    existing_city_level
        With ``chain``: facility ids of existing city-level centres.
    upgraded, eligible
        Capability restrictions (see `designation.eligible_sites`): county hospitals count
        only if at county_3a level in ``upgraded``; only ``eligible`` ids count.
    chain
        True (the type's `CHAIN_DEFAULTS`) or a `ChainSpec`: two-stage chain model.
    times
        Demand × facility minutes (default: the world's, cutoff 120 min or the standard).
    transfer_times
        With ``chain``: facility × facility minutes (default: computed on the world's graph
        and cached).
    solver, time_limit_s, mip_gap
        Solver settings (``mip_gap`` default 1e-6).

    Returns
    -------
    NetworkResult
        Keyed by the centre name (single stage), or by the centre name (whole chain) and
        ``<name>_first_contact`` (chain).
    """
    tier = _centre(centre)
    changes: dict[str, Any] = {"max_new": max_centres, "budget_cny": budget_cny}
    if per_city:
        changes["min_per_city"] = 1
    if per_county:
        changes["min_per_county"] = 1
    if county_unit is not None:
        changes["county_unit"] = county_unit
    if standard_minutes is not None:
        changes["standard_minutes"] = float(standard_minutes)
    if elderly_weight:
        weights = dict(tier.demand_weights)
        weights["pop_65plus"] = weights.get("pop_65plus", 0.0) + float(elderly_weight)
        changes["demand_weights"] = weights
    tier = replace(tier, **changes)
    if chain is False:
        if existing_city_level is not None:
            msg = "existing_city_level applies to chain=True only - pass existing= instead"
            raise NetworkSpecError(msg)
        return designate(
            world,
            [tier],
            network=tier.name,
            existing={tier.name: list(existing or ())},
            upgraded=upgraded,
            eligible=eligible,
            times=times,
            solver=solver,
            time_limit_s=time_limit_s,
            mip_gap=mip_gap,
        )
    spec = CHAIN_DEFAULTS.get(tier.name, ChainSpec(total_minutes=120.0)) if chain is True else chain
    return plan_chain(
        world,
        tier,
        spec,
        existing=existing,
        existing_city_level=existing_city_level,
        upgraded=upgraded,
        eligible=eligible,
        times=times,
        transfer_times=transfer_times,
        solver=solver,
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
    )


def plan_all_centres(
    world: Dataset, *, existing_centres: ExistingCentres | None = None, **options: Any
) -> dict[str, NetworkResult]:
    """`plan_centres` for each of the five types with the same options.

    Parameters
    ----------
    world
        The planning world.
    existing_centres
        The planner's table of existing centres
        (`planning.networks.existing.read_existing_centres`): each type starts from its own
        (with ``chain=True``, those at city-level tiers are city-level centres).
    **options
        Keyword arguments of `plan_centres` (not ``existing``, ``existing_city_level``).
    """
    results = {}
    for name in CENTRE_TYPES:
        ids: dict[str, Any] = {}
        if existing_centres is not None:
            chain = options.get("chain", False)
            if chain is False:
                ids["existing"] = existing_centres.ids(name)
            else:
                spec = chain if isinstance(chain, ChainSpec) else None
                first, city = existing_centres.chain_levels(name, world, spec)
                ids = {"existing": first, "existing_city_level": city}
        results[name] = plan_centres(world, name, **ids, **options)
    return results
