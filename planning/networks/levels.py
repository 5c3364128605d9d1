"""Network levels as configuration: `NetworkLevel` (TOML-able), capability and demand rules.

A *network level* is a service that some facilities are designated to provide: a stroke
centre, a county public-health laboratory. (A facility *tier* is something else: the
``tier`` of a facility, `geodata.tiers`; a level names the tiers that may host it in
``candidate_tiers``.) It has a travel-time standard, a demand weight (a linear combination of
demand columns), capability prerequisites (which facilities qualify), limits (count, budget,
at least one per city / county) and optionally the lower levels it also provides.
`planning.networks.designation.designate` plans any list of them.

A level in TOML (``NetworkLevel.from_dict(tomllib.loads(text))``)::

    name = "dialysis"
    standard_minutes = 45
    max_new = 10
    candidate_tiers = ["county_hospital", "county_3a", "city_3a"]
    [demand_weights]
    population = 1.0
    pop_65plus = 1.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from planning.errors import PlanningError

if TYPE_CHECKING:
    import scipy.sparse as sp

    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes

__all__ = [
    "COUNTY_LEVEL_AND_ABOVE",
    "NetworkLevel",
    "NetworkSpecError",
    "demand_weight",
    "eligible_sites",
    "site_groups",
    "spec_from_dict",
    "subset_minutes",
    "upgraded_ids",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Facility tiers of county-level-and-above hospitals (the capability floor of the designations,
#: docs/networks.md).
COUNTY_LEVEL_AND_ABOVE: tuple[str, ...] = ("county_hospital", "county_3a", "city_3a")

Name = Annotated[str, Field(strict=True, min_length=1)]


class NetworkSpecError(PlanningError, ValueError):
    """A network specification (tier, chain, lab network) that cannot describe a network."""


@dataclass(frozen=True)
class NetworkLevel:
    """One designated service level; every field is a TOML key of the same name.

    Attributes
    ----------
    name
        Level name, e.g. ``"stroke"`` or ``"county_lab"``.
    standard_minutes
        Travel-time standard: demand within it of a designated site is covered.
    demand_weights
        Demand column → coefficient; the tier's demand weight is their sum (e.g.
        ``{"population": 1, "pop_65plus": 2}`` counts a person aged 65+ three times).
    candidate_tiers
        Facility tiers that may be designated (default: county-level-and-above hospitals).
    hospital_types
        ``hospital_type`` values that qualify (empty = any). A facility without a
        ``hospital_type`` counts as ``general`` (the county people's hospital).
    name_pattern
        Regular expression (case-insensitive) on ``name_en`` / ``name_zh``: facilities of a
        candidate tier whose name matches qualify whatever their type (children's hospitals).
    flag_column
        Boolean facility column that must be true (a capability flag such as ``pci``).
    district_hospitals
        Whether the county hospitals of urban districts qualify. Default no: in Liaoning's
        data they are proxies placed at the district seat, and city centres sit in tertiary
        general hospitals (NORMS 2.13; the county_3a candidates of the upgrade plan follow
        the same rule).
    serves
        Lower tiers of the same network that a site of this tier also provides (nesting).
    designation_cost_cny
        Cost of one designation (default 0: designation is organisational, NORMS 6c).
    max_new, budget_cny
        Most new designations of this tier, and their budget.
    min_per_city, min_per_county
        Every city / county ends with at least this many sites providing the tier (existing
        and nesting higher tiers included).
    county_unit
        ``"county_area"`` (default: counties and county-level cities, and each city's urban
        districts together as one area) or ``"county"`` (every county-level unit, each
        district on its own; pair it with ``district_hospitals = true``).
    min_county_coverage
        Minimum covered share of every county (of ``county_unit``), or None.
    source
        Where the standard and the rules come from (NORMS row or ASSUMPTION).
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    name: Name
    standard_minutes: float
    demand_weights: Mapping[str, float] = field(default_factory=lambda: {"population": 1.0})
    candidate_tiers: tuple[str, ...] = COUNTY_LEVEL_AND_ABOVE
    hospital_types: tuple[str, ...] = ("general",)
    name_pattern: str = ""
    flag_column: str = ""
    district_hospitals: bool = False
    serves: tuple[str, ...] = ()
    designation_cost_cny: float = 0.0
    max_new: int | None = None
    budget_cny: float | None = None
    min_per_city: int = 0
    min_per_county: int = 0
    county_unit: Literal["county", "county_area"] = "county_area"
    min_county_coverage: float | None = None
    source: str = ""

    def __post_init__(self) -> None:
        """Check the settings (one `NetworkSpecError` naming every problem)."""
        problems = []
        if not self.standard_minutes > 0:
            problems.append(f"standard_minutes must be > 0, got {self.standard_minutes!r}")
        if not self.demand_weights or any(v < 0 for v in self.demand_weights.values()):
            problems.append("demand_weights needs at least one column with a coefficient >= 0")
        for key in ("designation_cost_cny", "max_new", "budget_cny", "min_per_city"):
            value = getattr(self, key)
            if value is not None and value < 0:
                problems.append(f"{key} must be >= 0, got {value!r}")
        if self.min_per_county < 0:
            problems.append(f"min_per_county must be >= 0, got {self.min_per_county!r}")
        if self.min_county_coverage is not None and not 0 <= self.min_county_coverage <= 1:
            problems.append("min_county_coverage must be in [0, 1]")
        if self.name in self.serves:
            problems.append("a tier cannot serve itself")
        try:
            re.compile(self.name_pattern)
        except re.error as exc:
            problems.append(f"name_pattern is not a regular expression ({exc})")
        if problems:
            msg = f"network tier {self.name!r}: " + "; ".join(problems)
            raise NetworkSpecError(msg)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "network tier") -> NetworkLevel:
        """Validate a mapping (e.g. a parsed TOML table); unknown keys are errors.

        Raises
        ------
        NetworkSpecError
            One line naming `source`, every bad key and the problem.
        """
        tier: NetworkLevel = spec_from_dict(cls, data, source)
        return tier

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists for tuples), the inverse of `from_dict`; None values left out."""
        out = asdict(self)
        out["demand_weights"] = dict(self.demand_weights)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items() if v is not None}


def spec_from_dict(kind: type[Any], data: Mapping[str, Any], source: str) -> Any:
    """Validate `data` (a parsed TOML table) into the spec dataclass `kind`.

    Parameters
    ----------
    kind
        The spec dataclass (`NetworkLevel`, `LabNetworkSpec`, ...).
    data
        The settings; unknown keys are errors.
    source
        Where `data` comes from, named first in the error message.

    Raises
    ------
    NetworkSpecError
        One line naming `source`, every bad key and its problem (unknown keys included).
    """
    try:
        return TypeAdapter(kind).validate_python(dict(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(table)"
            text = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "unexpected_keyword_argument":
                text = "unknown key - remove it or check its spelling"
            elif err["type"] == "missing":
                text = "missing - this key is required"
            problems.append(f"{key}: {text}")
        msg = f"{source}: " + "; ".join(problems)
        raise NetworkSpecError(msg) from None


def demand_weight(demand: pd.DataFrame, weights: Mapping[str, float]) -> FloatArray:
    """``Σ coefficient × column`` over the demand rows.

    Raises
    ------
    NetworkSpecError
        Naming the missing columns and the numeric columns there are.
    """
    missing = [c for c in weights if c not in demand.columns]
    if missing:
        numeric = [c for c in demand.columns if pd.api.types.is_numeric_dtype(demand[c])]
        msg = (
            f"demand_weights names columns the demand does not have: {missing} - use "
            f"{', '.join(numeric)}"
        )
        raise NetworkSpecError(msg)
    total = np.zeros(len(demand))
    for column, coefficient in weights.items():
        values = pd.to_numeric(demand[column], errors="coerce").fillna(0.0).to_numpy(np.float64)
        total += coefficient * values
    return total


def upgraded_ids(upgraded: Iterable[str] | pd.DataFrame) -> set[str]:
    """Return the facility ids at county_3a level.

    `upgraded` is the ids themselves, or a `PlanResult.facility_status()` frame whose rows
    with ``plan_tier`` ``county_3a`` are taken.
    """
    if isinstance(upgraded, pd.DataFrame):
        if not {"facility_id", "plan_tier"} <= set(upgraded.columns):
            msg = (
                "upgraded frame needs facility_id and plan_tier columns - pass "
                "PlanResult.facility_status() or a list of facility ids"
            )
            raise NetworkSpecError(msg)
        rows = upgraded[upgraded["plan_tier"] == "county_3a"]
        return set(rows["facility_id"].astype(str))
    if isinstance(upgraded, str):
        return {upgraded}
    return {str(i) for i in upgraded}


def eligible_sites(
    facilities: pd.DataFrame,
    tier: NetworkLevel,
    *,
    county_types: pd.Series | None = None,
    upgraded: Iterable[str] | pd.DataFrame | None = None,
    eligible: Iterable[str] | None = None,
) -> BoolArray:
    """Facilities that qualify for `tier` (its capability prerequisites), in frame order.

    Parameters
    ----------
    facilities
        The world's facility table.
    tier
        The tier (candidate tiers, hospital types, name pattern, flag column).
    county_types
        County code → county type (``world.units("county")["county_type"]``), needed to
        leave out district hospitals unless ``tier.district_hospitals``.
    upgraded
        When given, a county hospital qualifies only if it is at county_3a level in this set
        of ids (or `PlanResult.facility_status()` frame); tertiary hospitals are unaffected.
    eligible
        When given, only these facility ids qualify (hospitals flagged by the planner).
    """
    ids = facilities["facility_id"].astype(str)
    mask = facilities["tier"].isin(tier.candidate_tiers)
    kind = (
        facilities["hospital_type"].fillna("general")
        if "hospital_type" in facilities.columns
        else pd.Series("general", index=facilities.index)
    )
    typed = kind.isin(tier.hospital_types) if tier.hospital_types else mask
    if tier.name_pattern:
        names = facilities.get("name_en", pd.Series("", index=facilities.index)).fillna("")
        names = names.astype(str) + " " + facilities["name_zh"].fillna("").astype(str)
        typed = typed | names.str.contains(tier.name_pattern, case=False, regex=True)
    mask &= typed
    if tier.flag_column:
        if tier.flag_column not in facilities.columns:
            msg = (
                f"tier {tier.name!r}: flag_column {tier.flag_column!r} is not a facility "
                "column - add it (true for capable hospitals) or leave flag_column empty"
            )
            raise NetworkSpecError(msg)
        flags = facilities[tier.flag_column].astype(str).str.lower().isin(["true", "1", "yes"])
        mask &= flags
    if not tier.district_hospitals and county_types is not None:
        district = facilities["county_code"].astype(str).map(county_types).eq("district")
        mask &= ~(district & (facilities["tier"] == "county_hospital"))
    if upgraded is not None:
        mask &= (facilities["tier"] != "county_hospital") | ids.isin(upgraded_ids(upgraded))
    if eligible is not None:
        mask &= ids.isin({str(i) for i in eligible})
    return np.asarray(mask.to_numpy(), dtype=np.bool_)


def site_groups(world: Dataset, frame: pd.DataFrame) -> dict[str, NDArray[Any]]:
    """``city``, ``county`` and ``county_area`` labels of every row of `frame`.

    ``county_area`` is the county code for counties and county-level cities and
    ``urban-<city code>`` for districts (a city's urban districts count as one area).
    """
    county_type = world.units("county")["county_type"]
    district = frame["county_code"].map(county_type).eq("district").to_numpy()
    urban = ("urban-" + frame["city_code"].astype(str)).to_numpy()
    county = frame["county_code"].astype(str).to_numpy()
    return {
        "city": frame["city_code"].astype(str).to_numpy(),
        "county": county,
        "county_area": np.where(district, urban, county).astype(str),
    }


def subset_minutes(
    times: TravelTimes, demand_ids: list[str], facility_ids: list[str], what: str
) -> sp.csr_array:
    """Restrict ``times`` to the given rows and columns, in that order.

    Parameters
    ----------
    times
        The travel times.
    demand_ids, facility_ids
        The rows and the columns to keep, in the order wanted.
    what
        What `times` are, as the error message names them (e.g. ``"travel times"``).

    Raises
    ------
    NetworkSpecError
        When `times` lacks an id (it was computed for another world or facility list).
    """
    try:
        return times.subset(demand_ids=demand_ids, facility_ids=facility_ids).minutes
    except KeyError as exc:
        msg = (
            f"{what} do not cover this world ({exc.args[0]}) - compute them on the same "
            "demand and facilities"
        )
        raise NetworkSpecError(msg) from None
