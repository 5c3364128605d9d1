"""Time-critical centres (issue 7A): the chain model, the designation layer, Liaoning runs."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from network_worlds import make_times, make_transfer, make_world

from geodata.dataset import Dataset
from geodata.travel import TravelTimes
from optimizer import Problem, solve
from optimizer.chain import ChainProblem, evaluate_chain, solve_chain
from optimizer.errors import InvalidOptionError, InvalidProblemError
from planning.networks.critical import CENTRE_TYPES, ChainSpec, plan_centres
from planning.networks.designation import designate
from planning.networks.levels import NetworkLevel, NetworkSpecError, eligible_sites

INF = math.inf

# --- the two-stage chain model (optimizer.chain) ---------------------------------------------


def _capture_case(weights: Sequence[float], handover: float = 0.0) -> ChainProblem:
    """Demand D: K at 20 min, C at 40; demand E: K at 10, C beyond S1. Transfer K→C 80 min.

    S1 = 60, S2 = 90. K is a county-level candidate, C a city-level candidate.
    """
    minutes = [[20.0, 40.0], [10.0, 100.0]]
    transfer = [[0.0, 80.0], [80.0, 0.0]]
    return ChainProblem.from_matrix(
        minutes,
        transfer,
        weights,
        first_leg_minutes=60,
        total_minutes=90,
        handover_minutes=handover,
        site_ids=["K", "C"],
        demand_ids=["D", "E"],
        first_cost=[0.0, np.nan],
        second_cost=[np.nan, 0.0],
    )


def test_chain_hand_case_capture_and_total_time() -> None:
    # Only C open: D goes straight to C (40 min) and is covered; E reaches nothing in 60 min.
    # K and C open: D's nearest centre is K (20 min) and its chain is 20 + 80 = 100 > 90, so
    # designating K loses D; E is covered through K: 10 + 80 = 90.
    d_heavy = _capture_case([5.0, 3.0])
    only_c = evaluate_chain(d_heavy, [False, False], [False, True])
    assert only_c.covered.tolist() == [True, False]
    both = evaluate_chain(d_heavy, [True, False], [False, True])
    assert both.covered.tolist() == [False, True]
    assert both.chain_minutes.tolist() == [100.0, 90.0]
    assert both.first_site.tolist() == [0, 0]
    assert both.final_site.tolist() == [1, 1]

    plan = solve_chain(d_heavy, max_total=2)
    assert plan.status == "optimal"
    assert plan.objective == 5.0
    assert plan.second_selected == ("C",)
    assert plan.first_selected == ()  # K would capture D: designating it lowers coverage

    e_heavy = _capture_case([3.0, 5.0])
    plan = solve_chain(e_heavy, max_total=2)
    assert (plan.objective, plan.first_selected, plan.second_selected) == (5.0, ("K",), ("C",))

    # One minute of handover at K pushes E's chain to 91 > 90: back to C alone.
    plan = solve_chain(_capture_case([3.0, 5.0], handover=1.0), max_total=2)
    assert (plan.objective, plan.first_selected) == (3.0, ())


def test_chain_first_leg_alone_is_not_enough() -> None:
    # The township reaches K in 30 min (within S1 = 60), but K → C takes 70: total 100 > 90.
    problem = ChainProblem.from_matrix(
        [[30.0, INF]],
        [[0.0, 70.0], [70.0, 0.0]],
        first_leg_minutes=60,
        total_minutes=90,
        first_cost=[0.0, np.nan],
        second_cost=[np.nan, 0.0],
    )
    times = evaluate_chain(problem, [True, False], [False, True])
    assert times.first_minutes[0] == 30.0
    assert times.chain_minutes[0] == 100.0
    assert not times.covered[0]
    plan = solve_chain(problem, max_total=2)
    assert plan.status == "optimal"
    assert plan.objective == 0.0


def test_chain_ties_go_to_the_shorter_chain() -> None:
    # K (level 1) and C (level 2) are both 10 min away: the patient goes to C (chain 10).
    problem = ChainProblem.from_matrix(
        [[10.0, 10.0]],
        [[0.0, 500.0], [500.0, 0.0]],
        first_leg_minutes=60,
        total_minutes=90,
        first_existing=[0],
        second_existing=[1],
    )
    times = evaluate_chain(problem, [False, False], [False, False])
    assert times.first_site[0] == 1
    assert times.chain_minutes[0] == 10.0
    assert times.covered[0]


def _brute_chain(  # noqa: PLR0912 - the rule spelled out in loops
    minutes: np.ndarray,
    transfer: np.ndarray,
    weights: np.ndarray,
    *,
    s1: float,
    s2: float,
    h: float,
    cost1: np.ndarray,
    cost2: np.ndarray,
    existing1: set[int],
    existing2: set[int],
    limits: Mapping[str, Any],
    groups: Mapping[str, list[int]],
) -> float | None:
    """Best covered weight over every assignment of levels (plain loops, the rule in words)."""
    n_d, n_s = minutes.shape
    options = []
    for j in range(n_s):
        if j in existing2:
            options.append([2])
        elif j in existing1:
            options.append([1])
        else:
            options.append(
                [0]
                + ([1] if not math.isnan(cost1[j]) else [])
                + ([2] if not math.isnan(cost2[j]) else [])
            )
    best: float | None = None
    for levels in itertools.product(*options):
        new1 = sum(1 for j, v in enumerate(levels) if v == 1 and j not in existing1)
        new2 = sum(1 for j, v in enumerate(levels) if v == 2 and j not in existing2)
        budget = sum(
            cost1[j] if v == 1 else cost2[j]
            for j, v in enumerate(levels)
            if v and j not in existing1 | existing2
        )
        if (
            new1 > limits.get("max_first", INF)
            or new2 > limits.get("max_second", INF)
            or new1 + new2 > limits.get("max_total", INF)
            or budget > limits.get("budget", INF)
        ):
            continue
        if any(
            sum(levels[j] == 2 for j in sites) < limits.get("min_second_per_group", {}).get(g, 0)
            or sum(levels[j] > 0 for j in sites) < limits.get("min_open_per_group", {}).get(g, 0)
            for g, sites in groups.items()
        ):
            continue
        value = 0.0
        for i in range(n_d):
            reach = [j for j in range(n_s) if levels[j] and math.isfinite(minutes[i, j])]
            if not reach:
                continue
            nearest = min(minutes[i, j] for j in reach)
            if nearest > s1:
                continue
            chains = []
            for j in reach:
                if minutes[i, j] != nearest:
                    continue
                if levels[j] == 2:
                    chains.append(nearest)
                    continue
                hops = [
                    transfer[j, k]
                    for k in range(n_s)
                    if k != j and levels[k] == 2 and math.isfinite(transfer[j, k])
                ]
                if hops:
                    chains.append(nearest + (h + min(hops)))
            if chains and min(chains) <= s2:
                value += weights[i]
        best = value if best is None else max(best, value)
    return best


def _random_chain(seed: int, *, duplicates: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = np.random.default_rng(seed)
    n_d, n_s = int(rng.integers(3, 9)), int(rng.integers(3, 7))
    minutes = rng.integers(0, 12, (n_d, n_s)).astype(float)
    minutes[rng.random((n_d, n_s)) < 0.2] = INF
    transfer = rng.integers(0, 10, (n_s, n_s)).astype(float)
    transfer[rng.random((n_s, n_s)) < 0.2] = INF
    if duplicates:  # co-located copies: same column, same transfers, 0 between them
        src = [*range(n_s), *(int(j) for j in rng.choice(n_s, 2))]
        minutes, transfer = minutes[:, src], transfer[np.ix_(src, src)]
        same = np.equal.outer(src, src)
        transfer[same] = 0.0
        n_s = len(src)
    cost1 = np.where(rng.random(n_s) < 0.7, rng.integers(1, 4, n_s).astype(float), np.nan)
    cost2 = np.where(rng.random(n_s) < 0.5, rng.integers(1, 4, n_s).astype(float), np.nan)
    if duplicates:
        cost1, cost2 = cost1[src], cost2[src]
    existing1 = {int(j) for j in rng.choice(n_s, int(rng.integers(0, 2)), replace=False)}
    existing2 = {int(j) for j in rng.choice(n_s, int(rng.integers(0, 2)), replace=False)}
    existing2 -= existing1
    perm = [int(j) for j in rng.permutation(n_s)]
    groups = {"a": sorted(perm[: n_s // 2]), "b": sorted(perm[n_s // 2 :])}
    limits: dict[str, Any] = {}
    for key, low, high in (("max_first", 0, 3), ("max_second", 0, 3), ("max_total", 1, 4)):
        if rng.random() < 0.5:
            limits[key] = int(rng.integers(low, high))
    if rng.random() < 0.3:
        limits["budget"] = float(rng.integers(2, 8))
    if rng.random() < 0.4:
        limits["min_second_per_group"] = {"a": 1}
    if rng.random() < 0.4:
        limits["min_open_per_group"] = {"b": int(rng.integers(1, 3))}
    data = {
        "minutes": minutes,
        "transfer": transfer,
        "weights": rng.integers(0, 20, n_d).astype(float),
        "s1": float(rng.integers(3, 12)),
        "s2": float(rng.integers(5, 20)),
        "h": float(rng.integers(0, 3)),
        "cost1": cost1,
        "cost2": cost2,
        "existing1": existing1,
        "existing2": existing2,
        "groups": groups,
    }
    return data, limits


@pytest.mark.parametrize("duplicates", [False, True])
@pytest.mark.parametrize("seed", range(40))
def test_chain_matches_brute_force(seed: int, duplicates: bool) -> None:
    data, limits = _random_chain(seed, duplicates=duplicates)
    problem = ChainProblem.from_matrix(
        data["minutes"],
        data["transfer"],
        data["weights"],
        first_leg_minutes=data["s1"],
        total_minutes=data["s2"],
        handover_minutes=data["h"],
        first_cost=data["cost1"],
        second_cost=data["cost2"],
        first_existing=sorted(data["existing1"]),
        second_existing=sorted(data["existing2"]),
        groups=data["groups"],
    )
    plan = solve_chain(problem, **limits)
    expected = _brute_chain(**data, limits=limits)
    if expected is None:
        assert plan.status == "infeasible"
        assert plan.message
        return
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(expected, abs=1e-9)
    # the plan respects its limits and its objective is what evaluate_chain says
    n_s = problem.base.n_site
    first = np.isin(np.arange(n_s), plan.first_selected)
    second = np.isin(np.arange(n_s), plan.second_selected)
    covered = evaluate_chain(problem, first, second).covered
    assert plan.objective == pytest.approx(float(data["weights"][covered].sum()))
    assert len(plan.first_selected) <= limits.get("max_first", INF)
    assert len(plan.second_selected) <= limits.get("max_second", INF)
    assert not set(plan.dropped) & set(plan.first_selected + plan.second_selected)


def test_chain_group_minimum_changes_the_answer() -> None:
    # Two demands beside their own city centre candidates; only one city centre allowed.
    # Without rules the heavier demand wins; "at least one city-level centre in group b" moves it.
    problem = ChainProblem.from_matrix(
        [[5.0, INF], [INF, 5.0]],
        [[0.0, 50.0], [50.0, 0.0]],
        [10.0, 1.0],
        first_leg_minutes=30,
        total_minutes=60,
        second_cost=[0.0, 0.0],
        groups={"a": [0], "b": [1]},
    )
    free = solve_chain(problem, max_second=1)
    assert (free.objective, free.second_selected) == (10.0, (0,))
    ruled = solve_chain(problem, max_second=1, min_second_per_group={"b": 1})
    assert (ruled.status, ruled.objective, ruled.second_selected) == ("optimal", 1.0, (1,))
    both = solve_chain(problem, max_second=1, min_second_per_group={"a": 1, "b": 1})
    assert both.status == "infeasible"
    assert "need 2 new level-2 centres but max_second = 1" in both.message


def test_chain_infeasible_and_invalid_input_messages() -> None:
    problem = ChainProblem.from_matrix(
        [[5.0, 5.0]],
        [[0.0, 1.0], [1.0, 0.0]],
        first_leg_minutes=30,
        total_minutes=60,
        first_cost=[0.0, 0.0],
        groups={"x": [0, 1]},
    )
    plan = solve_chain(problem, min_second_per_group={"x": 1})
    assert plan.status == "infeasible"
    assert plan.message == (
        "group 'x' needs 1 level-2 but has only 0 candidates and existing centres"
    )
    with pytest.raises(InvalidOptionError, match="max_total must be an integer >= 0"):
        solve_chain(problem, max_total=-1)
    with pytest.raises(InvalidOptionError, match="unknown groups"):
        solve_chain(problem, min_open_per_group={"nowhere": 1})
    with pytest.raises(InvalidProblemError, match="first_cost needs 2 values"):
        ChainProblem.from_matrix(
            [[5.0, 5.0]],
            [[0.0, 1.0], [1.0, 0.0]],
            first_leg_minutes=1,
            total_minutes=2,
            first_cost=[0.0],
        )
    with pytest.raises(InvalidProblemError, match="total_minutes must be a finite number"):
        ChainProblem.from_matrix([[5.0]], [[0.0]], first_leg_minutes=1, total_minutes=-2)


# --- the designation layer on a tiny world ---------------------------------------------------

TINY_DEMAND = [
    {"demand_id": "d1", "county_code": "210102", "population": 100.0},
    {"demand_id": "d2", "county_code": "210123", "population": 60.0},
    {"demand_id": "d3", "county_code": "210224", "population": 50.0},
    {"demand_id": "d4", "county_code": "210281", "population": 40.0},
    {"demand_id": "d5", "county_code": "210281", "population": 30.0},
]
TINY_SITES = [
    {"facility_id": "A3", "tier": "city_3a", "county_code": "210102"},
    {"facility_id": "AD", "tier": "county_hospital", "county_code": "210102"},  # district
    {"facility_id": "AC", "tier": "county_hospital", "county_code": "210123"},
    {"facility_id": "BC", "tier": "county_hospital", "county_code": "210224"},
    {"facility_id": "BK", "tier": "county_hospital", "county_code": "210281"},
    {
        "facility_id": "BM",
        "tier": "city_3a",
        "county_code": "210281",
        "hospital_type": "maternal_child",
    },
    {"facility_id": "TH", "tier": "township_health_center", "county_code": "210123"},
]
#                A3    AD    AC    BC    BK    BM    TH
TINY_MINUTES = [
    [10.0, 5.0, 70.0, INF, INF, INF, 50.0],  # d1
    [50.0, 40.0, 10.0, INF, INF, INF, 0.0],  # d2
    [INF, INF, INF, 20.0, 55.0, 50.0, INF],  # d3
    [INF, INF, INF, 70.0, 10.0, 10.0, INF],  # d4
    [INF, INF, 90.0, 55.0, 45.0, 30.0, INF],  # d5
]


@pytest.fixture
def tiny() -> tuple[Dataset, TravelTimes]:
    world = make_world(TINY_DEMAND, TINY_SITES)
    return world, make_times(world, TINY_MINUTES)


def test_capability_prerequisites(tiny: tuple[Dataset, TravelTimes]) -> None:
    world, _ = tiny
    county_types = world.units("county")["county_type"]
    ids = world.facilities["facility_id"].tolist()

    def able(tier: NetworkLevel, **kw: Any) -> list[str]:
        mask = eligible_sites(world.facilities, tier, county_types=county_types, **kw)
        return [i for i, m in zip(ids, mask, strict=True) if m]

    # county level and above, general hospitals, no district proxy, no township centre
    assert able(CENTRE_TYPES["stroke"]) == ["A3", "AC", "BC", "BK"]
    assert able(CENTRE_TYPES["maternal"]) == ["A3", "AC", "BC", "BK", "BM"]
    assert able(NetworkLevel(name="x", standard_minutes=60, district_hospitals=True)) == [
        "A3",
        "AD",
        "AC",
        "BC",
        "BK",
    ]
    # upgraded: county hospitals qualify only at county_3a level (ids or a status frame)
    assert able(CENTRE_TYPES["stroke"], upgraded=["BK"]) == ["A3", "BK"]
    status = pd.DataFrame(
        {"facility_id": ["AC", "BC"], "plan_tier": ["county_3a", "township_central"]}
    )
    assert able(CENTRE_TYPES["stroke"], upgraded=status) == ["A3", "AC"]
    assert able(CENTRE_TYPES["stroke"], eligible=["BC", "TH"]) == ["BC"]
    with pytest.raises(NetworkSpecError, match="flag_column 'pci' is not a facility column"):
        able(NetworkLevel(name="x", standard_minutes=60, flag_column="pci"))


def test_tiny_single_stage_by_hand(tiny: tuple[Dataset, TravelTimes]) -> None:
    world, times = tiny
    # Stroke candidates A3, AC, BC, BK; 60 min. Covers: A3 {d1,d2}=160, AC {d2}=60,
    # BC {d3,d5}=80, BK {d3,d4,d5}=120. One centre: A3 (160). Two: A3 + BK (280).
    one = plan_centres(world, "stroke", max_centres=1, times=times)
    assert one.status == "optimal"
    assert one.designated == {"stroke": ("A3",)}
    assert one.objective == 160.0
    two = plan_centres(world, "stroke", max_centres=2, times=times)
    assert (two.designated["stroke"], two.objective) == (("A3", "BK"), 280.0)
    # Everything reachable with 3: the third centre adds nothing and is dropped.
    three = plan_centres(world, "stroke", max_centres=3, times=times)
    assert three.objective == 280.0
    assert len(three.designated["stroke"]) == 2
    assert three.after["stroke"].covered_share == pytest.approx(280 / 280)
    # An existing centre at BK is open at no cost and outside the count.
    ex = plan_centres(world, "stroke", max_centres=1, existing=["BK"], times=times)
    assert ex.before["stroke"].covered_population == 120.0
    assert (ex.designated["stroke"], ex.objective) == (("A3",), 280.0)
    table = ex.centres_table()
    assert table[["facility_id", "status"]].values.tolist() == [
        ["A3", "designated"],
        ["BK", "existing"],
    ]


def test_tiny_per_city_and_per_county_change_the_answer(tiny: tuple[Dataset, TravelTimes]) -> None:
    world, times = tiny
    # One per city needs two centres: with max 1 it is infeasible, with a one-line reason.
    one = plan_centres(world, "stroke", max_centres=1, per_city=True, times=times)
    assert one.status == "infeasible"
    assert "2 new designations are needed to give every city 1 site(s)" in one.message
    # Without rules one centre goes to A3 (160); one per city moves the choice to BK + A3.
    # Per county (areas urban-210100, 210123, 210224, 210281) all four candidates are needed.
    free = plan_centres(world, "stroke", max_centres=4, times=times)
    ruled = plan_centres(world, "stroke", max_centres=4, per_county=True, times=times)
    assert len(free.designated["stroke"]) == 2  # A3 + BK reach everyone reachable
    assert set(ruled.designated["stroke"]) == {"A3", "AC", "BC", "BK"}
    assert ruled.objective == free.objective
    short = plan_centres(world, "stroke", max_centres=3, per_county=True, times=times)
    assert short.status == "infeasible"
    assert "4 new designations are needed to give every county_area 1 site(s)" in short.message


def _brute_designation(
    minutes: np.ndarray,
    weights: np.ndarray,
    able: np.ndarray,
    *,
    standard: float,
    max_new: int,
    city_of_site: Sequence[str],
    cities: Sequence[str],
    per_city: bool,
) -> float | None:
    best: float | None = None
    candidates = [j for j in range(minutes.shape[1]) if able[j]]
    for k in range(max_new + 1):
        for chosen in itertools.combinations(candidates, k):
            if per_city and any(all(city_of_site[j] != c for j in chosen) for c in cities):
                continue
            covered = (minutes[:, list(chosen)] <= standard).any(axis=1) if chosen else 0
            value = float((weights * covered).sum())
            best = value if best is None else max(best, value)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_designation_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    world = make_world(TINY_DEMAND, TINY_SITES)
    minutes = rng.integers(0, 90, (len(TINY_DEMAND), len(TINY_SITES))).astype(float)
    minutes[rng.random(minutes.shape) < 0.25] = INF
    times = make_times(world, minutes)
    weights = np.array([d["population"] for d in TINY_DEMAND])
    max_new, per_city = int(rng.integers(1, 4)), bool(seed % 2)
    result = plan_centres(world, "trauma", max_centres=max_new, per_city=per_city, times=times)
    county_types = world.units("county")["county_type"]
    able = eligible_sites(world.facilities, CENTRE_TYPES["trauma"], county_types=county_types)
    expected = _brute_designation(
        minutes,
        weights,
        able,
        standard=60.0,
        max_new=max_new,
        city_of_site=world.facilities["city_code"].tolist(),
        cities=["210100", "210200"],
        per_city=per_city,
    )
    if expected is None:
        assert result.status == "infeasible"
    else:
        assert result.status == "optimal"
        assert result.objective == pytest.approx(expected)
        assert result.after["trauma"].covered_population == pytest.approx(expected)


def test_tiny_chain_through_plan_centres(tiny: tuple[Dataset, TravelTimes]) -> None:
    world, times = tiny
    n = len(world.facilities)
    transfer = np.full((n, n), 30.0)
    np.fill_diagonal(transfer, 0.0)
    hops = make_transfer(world, transfer)
    # city-level candidates: A3 (general city_3a); county-level: AC, BC, BK. S1 60, S2 60.
    spec = ChainSpec(total_minutes=60.0)
    result = plan_centres(
        world, "stroke", max_centres=2, chain=spec, times=times, transfer_times=hops
    )
    assert result.status == "optimal"
    # A3 alone: d1 (10), d2 (50) covered = 160. Adding BK: d4 (10+30), d3 (55+30 > 60 no),
    # d5 (45+30 no) → +40 = 200. Adding BC instead: d3 (20+30) +50, d5 (55+30 no) → 210.
    assert result.designated == {"county_level": ("BC",), "city_level": ("A3",)}
    assert result.objective == 210.0
    assert result.after["stroke"].covered_population == 210.0
    assert result.after["stroke_first_contact"].covered_population == 100 + 60 + 50 + 30
    centres = result.centres_table().set_index("facility_id")
    assert centres.loc["BC", "covered_first_contact"] == 50.0
    assert centres.loc["A3", "covered_final"] == 210.0
    assert centres.loc["BC", "loss_if_dropped"] == 50.0


def test_tiny_chain_per_county(tiny: tuple[Dataset, TravelTimes]) -> None:
    world, times = tiny
    n = len(world.facilities)
    transfer = np.full((n, n), 30.0)
    np.fill_diagonal(transfer, 0.0)
    options: dict[str, Any] = {
        "chain": ChainSpec(total_minutes=60.0),
        "times": times,
        "transfer_times": make_transfer(world, transfer),
    }
    # A3 (city level) + BC + BK reach 250; AC adds nothing (d2 is covered through A3 or AC).
    free = plan_centres(world, "stroke", max_centres=4, **options)
    assert free.designated == {"county_level": ("BC", "BK"), "city_level": ("A3",)}
    assert free.objective == 250.0
    # one centre in every county area (urban-210100, 210123, 210224, 210281) forces AC in
    ruled = plan_centres(world, "stroke", max_centres=4, per_county=True, **options)
    assert ruled.designated == {"county_level": ("AC", "BC", "BK"), "city_level": ("A3",)}
    assert ruled.objective == 250.0
    short = plan_centres(world, "stroke", max_centres=3, per_county=True, **options)
    assert short.status == "infeasible"
    assert "need 4 new centres but max_total = 3" in short.message


def test_spec_round_trip_and_errors() -> None:
    tier = CENTRE_TYPES["neonatal_child"]
    assert NetworkLevel.from_dict(tier.to_dict()) == tier
    spec = ChainSpec(total_minutes=100, handover_minutes=15)
    assert ChainSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(
        NetworkSpecError,
        match=r"^centre: standard_minutes: missing - this key is required; "
        r"standard_minuts: unknown key - remove it or check its spelling$",
    ):
        NetworkLevel.from_dict({"name": "x", "standard_minuts": 60}, source="centre")
    with pytest.raises(NetworkSpecError, match="standard_minutes must be > 0"):
        NetworkLevel(name="x", standard_minutes=0)
    with pytest.raises(NetworkSpecError, match="unknown centre type 'burns'"):
        plan_centres(make_world(TINY_DEMAND, TINY_SITES), "burns")
    with pytest.raises(NetworkSpecError, match="demand_weights names columns"):
        designate(
            make_world(TINY_DEMAND, TINY_SITES),
            [NetworkLevel(name="x", standard_minutes=60, demand_weights={"births": 1.0})],
            network="x",
            times=make_times(make_world(TINY_DEMAND, TINY_SITES), TINY_MINUTES),
        )
    other = make_world(TINY_DEMAND, TINY_SITES[:-1])
    with pytest.raises(NetworkSpecError, match="travel times do not cover this world"):
        plan_centres(
            make_world(TINY_DEMAND, TINY_SITES), "stroke", times=make_times(other, np.ones((5, 6)))
        )
    with pytest.raises(NetworkSpecError, match="exceeds the travel-time cutoff 120 min"):
        plan_centres(
            make_world(TINY_DEMAND, TINY_SITES),
            "stroke",
            standard_minutes=150,
            times=make_times(make_world(TINY_DEMAND, TINY_SITES), TINY_MINUTES),
        )


# --- Liaoning ----------------------------------------------------------------------------------


def _core_mclp(world: Dataset, times: TravelTimes, tier: NetworkLevel, p: int) -> float:
    """The same maximal-covering optimum through the core `optimizer.solve` (another model)."""
    able = eligible_sites(world.facilities, tier, county_types=world.units("county")["county_type"])
    ids = world.facilities["facility_id"].astype(str)[able].tolist()
    sub = times.subset(demand_ids=world.demand["demand_id"].astype(str).tolist(), facility_ids=ids)
    weight = np.zeros(len(world.demand))
    for column, coefficient in tier.demand_weights.items():
        weight += coefficient * world.demand[column].to_numpy(np.float64)
    plan = solve(Problem.from_matrix(sub.minutes, weight), "coverage", p=p, threshold=60.0)
    assert plan.status == "optimal"
    return plan.objective


@pytest.mark.xdist_group("liaoning")
@pytest.mark.parametrize(
    ("centre", "options"),
    [
        ("chest_pain", {"max_centres": 15, "elderly_weight": 2.0}),
        ("stroke", {"max_centres": 15}),
        ("maternal", {"max_centres": 60, "per_city": True, "per_county": True}),
        ("neonatal_child", {"max_centres": 20, "per_city": True}),
        ("trauma", {"max_centres": 20}),
    ],
)
def test_liaoning_centres_are_proven_optimal(
    world: Dataset, times: TravelTimes, centre: str, options: dict[str, Any]
) -> None:
    result = plan_centres(world, centre, times=times, **options)
    assert result.status == "optimal"
    assert result.gap <= 1e-6
    designated = result.designated[centre]
    assert 0 < len(designated) <= options["max_centres"]
    after, before = result.after[centre], result.before[centre]
    assert before.covered_population == 0.0  # the shipped data has no designated centres
    assert after.covered_population == pytest.approx(result.objective)
    assert 0.75 < after.covered_share <= result.potential[centre].covered_share + 1e-12
    # coverage recomputed from the matrix, independently of the metrics code
    weight = result.weights[centre]
    sub = times.subset(
        demand_ids=world.demand["demand_id"].tolist(), facility_ids=list(designated)
    ).to_dense()
    assert float(weight[(sub <= 60.0).any(axis=1)].sum()) == pytest.approx(after.covered_population)
    # capability: county-level and above, no township centre, no district proxy
    tiers = world.facilities.set_index("facility_id").loc[list(designated), "tier"]
    assert set(tiers) <= {"county_hospital", "county_3a", "city_3a"}
    cities = result.city_table()
    if options.get("per_city"):
        assert (cities["providers_after"] >= 1).all()
        assert len(cities) == 14
    if not options.get("per_city") and not options.get("per_county"):
        # the same optimum through the core maximal-covering model
        tier = CENTRE_TYPES[centre]
        if "elderly_weight" in options:
            tier = NetworkLevel(
                name=centre,
                standard_minutes=60,
                demand_weights={"population": 1.0, "pop_65plus": options["elderly_weight"]},
            )
        assert _core_mclp(world, times, tier, options["max_centres"]) == pytest.approx(
            result.objective
        )
    summary = json.loads(json.dumps(result.summary(), allow_nan=False))
    assert summary["status"] == "optimal"
    assert summary["metrics"][centre]["after"]["covered_population"] == after.covered_population
    assert cities["covered_after"].sum() == pytest.approx(after.covered_population)


@pytest.mark.xdist_group("liaoning")
def test_liaoning_per_city_changes_the_stroke_plan(world: Dataset, times: TravelTimes) -> None:
    free = plan_centres(world, "stroke", max_centres=15, times=times)
    ruled = plan_centres(world, "stroke", max_centres=15, per_city=True, times=times)
    assert ruled.status == "optimal"
    without = free.city_table()
    assert (without["providers_after"] == 0).any()  # the free plan leaves some city without
    assert (ruled.city_table()["providers_after"] >= 1).all()
    assert ruled.objective < free.objective


@pytest.mark.xdist_group("liaoning")
def test_liaoning_stroke_chain(world: Dataset, times: TravelTimes) -> None:
    result = plan_centres(world, "stroke", max_centres=30, chain=True, per_city=True, times=times)
    assert result.status == "optimal"
    n1, n2 = len(result.designated["county_level"]), len(result.designated["city_level"])
    assert n1 + n2 <= 30
    assert n2 >= 14
    chain, first = result.after["stroke"], result.after["stroke_first_contact"]
    assert chain.covered_population == pytest.approx(result.objective)
    assert chain.covered_population <= first.covered_population
    assert chain.standard_minutes == 120.0
    assert first.standard_minutes == 60.0
    centres = result.centres_table()
    city_level = centres[centres["level"] == "city_level"]
    assert set(city_level["facility_tier"]) == {"city_3a"}
    assert city_level["city_code"].nunique() == 14
    assert centres["covered_final"].sum() == pytest.approx(chain.covered_population)
    # a single-stage stroke plan with the same 30 sites as stand-alone centres covers more:
    # the chain's county-level centres need a transfer within 120 minutes in total
    single = plan_centres(world, "stroke", max_centres=30, times=times)
    assert single.objective >= chain.covered_population


@pytest.mark.xdist_group("liaoning")
def test_liaoning_centres_on_upgraded_hospitals(world: Dataset, times: TravelTimes) -> None:
    from planning.upgrades import PlanningRules, plan_upgrades

    upgrade = plan_upgrades(world, PlanningRules(), budget_cny=1.5e9, times=times)
    assert upgrade.plan.status == "optimal"
    status = upgrade.facility_status()
    upgraded = set(status.loc[status["plan_tier"] == "county_3a", "facility_id"])
    assert upgraded  # the baseline plan raises some county hospitals to county_3a
    result = plan_centres(world, "stroke", max_centres=15, upgraded=status, times=times)
    assert result.status == "optimal"
    tiers = world.facilities.set_index("facility_id")["tier"]
    county_level = {f for f in result.designated["stroke"] if tiers[f] == "county_hospital"}
    assert county_level <= upgraded
    free = plan_centres(world, "stroke", max_centres=15, times=times)
    assert result.objective <= free.objective
