"""Public-health laboratory (CDC) network: province, city and county levels, as configuration.

>>> import geodata
>>> from planning.networks.labs import LabNetworkSpec, plan_lab_network
>>> world = geodata.load_dataset("liaoning")
>>> result = plan_lab_network(world)                    # the three default levels
>>> result.status, {k: len(v) for k, v in result.designated.items()}
('optimal', {'province_lab': 1, 'city_lab': 15, 'county_lab': 37})

Nothing here is specific to laboratories: a level is a `NetworkLevel` (standard, demand weight,
candidate facilities, limits, the lower levels it also serves) and the network is a
`LabNetworkSpec` that can be read from TOML. Adding a level, or a whole new network, is a
change of configuration, not of code::

    name = "public_health_labs"
    objective = "fewest"

    [[levels]]
    name = "province_lab"
    standard_minutes = 240
    candidate_tiers = ["city_3a"]
    max_new = 1
    serves = ["city_lab", "county_lab"]

    [[levels]]
    name = "city_lab"
    standard_minutes = 120
    candidate_tiers = ["city_3a"]
    min_per_city = 1
    serves = ["county_lab"]

    [[levels]]
    name = "county_lab"
    standard_minutes = 60
    candidate_tiers = ["county_hospital", "county_3a"]

Liaoning's data lists no CDC sites, so the levels are hosted at hospital locations: a city's
laboratories at its tertiary general hospitals (city seats), a county's at its county
hospital (the county seat). ASSUMPTION: location proxies; pass ``eligible=`` or a world with
CDC facilities to use real sites.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal

import pandas as pd
from pydantic import ConfigDict, Field

from planning.networks.designation import designate
from planning.networks.levels import NetworkLevel, NetworkSpecError, spec_from_dict

if TYPE_CHECKING:
    from geodata.dataset import Dataset
    from geodata.travel import TravelTimes
    from planning.networks.report import NetworkResult

__all__ = ["DEFAULT_LAB_LEVELS", "LabNetworkSpec", "plan_lab_network"]

_SYSTEM = (
    "three levels: sourced (Liaoning 14th Five-Year health plan, seed "
    "liaoning-health-plan-14th-five-year.txt: 'a three-level disease prevention and control "
    "system at the provincial, city and county (district) levels'; public-health laboratory "
    "network: seed liaoning-key-clinical-specialty-3223.txt)"
)

#: Default levels. Every standard is an ASSUMPTION (no national sample-transport time was
#: found in NORMS.md); the structure is sourced (`_SYSTEM`).
DEFAULT_LAB_LEVELS: Final[tuple[NetworkLevel, ...]] = (
    NetworkLevel(
        name="province_lab",
        standard_minutes=240.0,
        candidate_tiers=("city_3a",),
        max_new=1,
        serves=("city_lab", "county_lab"),
        source=(
            "one provincial reference laboratory; 240 min: ASSUMPTION (a specimen reaches it "
            "by road within half a working day); " + _SYSTEM
        ),
    ),
    NetworkLevel(
        name="city_lab",
        standard_minutes=120.0,
        candidate_tiers=("city_3a",),
        min_per_city=1,
        serves=("county_lab",),
        source=(
            "at least one per city: " + _SYSTEM + "; 120 min: ASSUMPTION (the regional "
            "2-hour radius of NORMS 6a)"
        ),
    ),
    NetworkLevel(
        name="county_lab",
        standard_minutes=60.0,
        candidate_tiers=("county_hospital", "county_3a"),
        source=(
            "60 min: ASSUMPTION (the county-level 1-hour convention of NORMS 6a/6b); hosted "
            "at county hospitals of counties and county-level cities (urban districts are "
            "served by the city laboratories)"
        ),
    ),
)


@dataclass(frozen=True)
class LabNetworkSpec:
    """A laboratory network (or any multi-level designated network); TOML keys as fields.

    Attributes
    ----------
    name
        Network name in reports.
    objective
        ``"fewest"`` (default: the fewest laboratories that keep every level's best
        achievable coverage) or ``"coverage"`` (maximal coverage within the limits).
    budget_cny
        Shared budget (``coverage`` objective only).
    levels
        The levels, highest first by convention; ``serves`` nests them.
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    name: Annotated[str, Field(strict=True, min_length=1)] = "public_health_labs"
    objective: Literal["coverage", "fewest"] = "fewest"
    budget_cny: float | None = None
    levels: tuple[NetworkLevel, ...] = DEFAULT_LAB_LEVELS

    def __post_init__(self) -> None:
        """Check the levels: at least one, distinct names, each serving only known levels."""
        names = [level.name for level in self.levels]
        problems = []
        if not names:
            problems.append("levels needs at least one level")
        if len(set(names)) != len(names):
            problems.append(f"level names repeat: {names}")
        for level in self.levels:
            unknown = [s for s in level.serves if s not in names]
            if unknown:
                problems.append(f"level {level.name!r} serves unknown levels {unknown}")
        if problems:
            msg = f"lab network {self.name!r}: " + "; ".join(problems)
            raise NetworkSpecError(msg)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "lab network") -> LabNetworkSpec:
        """Validate a mapping (a parsed TOML document); unknown keys are errors."""
        spec: LabNetworkSpec = spec_from_dict(cls, data, source)
        return spec

    @classmethod
    def from_toml(cls, text: str, *, source: str = "lab network TOML") -> LabNetworkSpec:
        """Parse and validate TOML text (one-line `NetworkSpecError` on any problem)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = f"{source}: not valid TOML ({exc})"
            raise NetworkSpecError(msg) from None
        return cls.from_dict(data, source=source)

    @classmethod
    def read(cls, path: str | Path) -> LabNetworkSpec:
        """Read a TOML file."""
        path = Path(path)
        return cls.from_toml(path.read_text(encoding="utf-8"), source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, the inverse of `from_dict`; None values left out."""
        out = {k: v for k, v in asdict(self).items() if v is not None}
        out["levels"] = [level.to_dict() for level in self.levels]
        return out


def plan_lab_network(
    world: Dataset,
    spec: LabNetworkSpec | None = None,
    *,
    existing: Mapping[str, Iterable[str]] | None = None,
    upgraded: Iterable[str] | pd.DataFrame | None = None,
    eligible: Iterable[str] | None = None,
    times: TravelTimes | None = None,
    solver: str = "highs",
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
) -> NetworkResult:
    """Designate the laboratories of every level of `spec` (default `DEFAULT_LAB_LEVELS`).

    Parameters
    ----------
    world
        The planning world.
    spec
        The network; default three levels with the ``fewest`` objective.
    existing
        Level name → facility ids of existing laboratories (open at no cost; a laboratory
        also serves the levels below it).
    upgraded, eligible
        Capability restrictions (see `planning.networks.levels.eligible_sites`).
    times
        Demand × facility minutes; default the world's with a cutoff of the largest standard.
    solver, time_limit_s, mip_gap
        Solver settings (``mip_gap`` default 1e-6 for every stage).

    Returns
    -------
    NetworkResult
        Keyed by level name; ``status == "optimal"`` is the solver's proof.
    """
    spec = spec or LabNetworkSpec()
    return designate(
        world,
        spec.levels,
        network=spec.name,
        objective=spec.objective,
        existing=existing,
        upgraded=upgraded,
        eligible=eligible,
        budget_cny=spec.budget_cny,
        times=times,
        solver=solver,
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
    )
