"""Key clinical specialty allocation ("3223"): hand cases, brute force, messages, Liaoning."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

import geodata
from optimizer import InvalidProblemError
from optimizer.allocation import (
    AllocationProblem,
    Designation,
    DesignationLevel,
    reach,
    solve_allocation,
)
from planning.networks.fields import SpecialtyField
from planning.networks.specialties import SpecialtyRules, allocate_specialties

INF = np.inf


# --- brute force -------------------------------------------------------------------------


def _value(
    *,
    minutes: np.ndarray,
    weights: np.ndarray,
    standards: Sequence[float],
    holds: np.ndarray,
    level_weight: Sequence[float],
    spec_weight: Sequence[float],
) -> float:
    """Σ_l ω_l Σ_s v_s Σ_i w_si [some hospital within T_l holds s at l or above]."""
    total = 0.0
    for k, standard in enumerate(standards):
        up = holds[: k + 1].any(axis=0)  # hospital × specialty
        near = minutes <= standard  # demand × hospital
        covered = (near[:, :, None] & up[None, :, :]).any(axis=1)  # demand × specialty
        total += level_weight[k] * float((weights.T * covered * np.asarray(spec_weight)).sum())
    return total


def brute_force(  # noqa: PLR0912 - enumerates every rule of the model
    minutes: np.ndarray,
    weights: np.ndarray,
    levels: Sequence[DesignationLevel],
    *,
    groups: dict[str, Sequence[str]] | None = None,
    required: Sequence[tuple[int, int, int]] = (),
    spec_weight: Sequence[float] | None = None,
) -> float | None:
    """Best objective over every assignment of a level (or none) to each hospital-specialty
    pair; None when no assignment satisfies the rules."""
    n_s, _ = weights.shape
    n_h = minutes.shape[1]
    n_l = len(levels)
    eligible = np.zeros((n_l, n_h, n_s), dtype=bool)
    for k, lv in enumerate(levels):
        mask = np.ones((n_h, n_s), bool) if lv.eligible is None else np.asarray(lv.eligible)
        eligible[k] = mask if mask.ndim == 2 else mask[:, None]
    pairs = list(itertools.product(range(n_h), range(n_s)))
    options = [[None] + [k for k in range(n_l) if eligible[k, h, s]] for h, s in pairs]
    best: float | None = None
    for combo in itertools.product(*options):
        holds = np.zeros((n_l, n_h, n_s), dtype=bool)
        for (h, s), k in zip(pairs, combo, strict=True):
            if k is not None:
                holds[k, h, s] = True
        counts = holds.sum(axis=(1, 2))
        if any(
            counts[k] < lv.min_count or (lv.max_count is not None and counts[k] > lv.max_count)
            for k, lv in enumerate(levels)
        ):
            continue
        if any(not holds[k, h, s] for h, s, k in required):
            continue
        ok = True
        for k, lv in enumerate(levels):
            per_h = holds[k].sum(axis=1)
            for grouping, limit in lv.group_min.items():
                labels = np.asarray((groups or {})[grouping])
                for g in sorted(set(labels)):
                    lo = limit if isinstance(limit, int) else limit.get(g, 0)
                    ok &= bool(per_h[labels == g].sum() >= lo)
            for grouping, limit in lv.group_max.items():
                labels = np.asarray((groups or {})[grouping])
                for g in sorted(set(labels)):
                    hi = limit if isinstance(limit, int) else limit.get(g, 10**9)
                    ok &= bool(per_h[labels == g].sum() <= hi)
        if not ok:
            continue
        value = _value(
            minutes=minutes,
            weights=weights,
            standards=[lv.standard for lv in levels],
            holds=holds,
            level_weight=[lv.weight for lv in levels],
            spec_weight=spec_weight or [1.0] * n_s,
        )
        if best is None or value > best + 1e-9:
            best = value
    return best


def _random_case(seed: int) -> tuple[np.ndarray, np.ndarray, list[DesignationLevel], dict]:
    rng = np.random.default_rng(seed)
    n_d, n_h, n_s = int(rng.integers(4, 9)), 4, 2
    minutes = rng.integers(0, 80, (n_d, n_h)).astype(float)
    minutes[rng.random((n_d, n_h)) < 0.2] = INF
    minutes[:, 3] = minutes[:, 2]  # hospitals 2 and 3 are co-located
    weights = rng.integers(1, 40, (n_s, n_d)).astype(float)
    city = ["a", "a", "b", "b"]
    top = np.array([True, True, True, rng.random() < 0.5])
    low_elig = rng.random((n_h, n_s)) < 0.8
    q1 = int(rng.integers(0, 3))
    q2 = int(rng.integers(1, 4))
    levels = [
        DesignationLevel(
            "provincial",
            standard=float(rng.integers(30, 70)),
            min_count=q1,
            max_count=q1 + int(rng.integers(0, 2)),
            eligible=top,
            group_min={"city": {"b": 1}} if seed % 3 == 0 else {},
        ),
        DesignationLevel(
            "municipal",
            standard=float(rng.integers(10, 40)),
            min_count=q2,
            max_count=q2,
            eligible=low_elig,
            weight=float(rng.integers(1, 3)),
            group_max={"city": {"a": 1}} if seed % 4 == 1 else {},
        ),
    ]
    return minutes, weights, levels, {"city": city}


@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force(seed: int) -> None:
    minutes, weights, levels, groups = _random_case(seed)
    problem = AllocationProblem.from_matrix(
        minutes, levels=levels, specialty_ids=["s0", "s1"], weights=weights, hospital_groups=groups
    )
    result = solve_allocation(problem)
    expected = brute_force(minutes, weights, levels, groups=groups)
    if expected is None:
        assert result.status == "infeasible"
        assert result.message
        return
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected)
    assert result.stages["reach"] == pytest.approx(expected)
    # The plan obeys the rules it was solved under.
    pairs = [(d.hospital, d.specialty) for d in result.designations]
    assert len(pairs) == len(set(pairs))
    for k, lv in enumerate(levels):
        mine = [d for d in result.designations if d.level == lv.name]
        assert lv.min_count <= len(mine) <= (lv.max_count or 10**9)
        assert all(problem.eligible[k, d.hospital, int(d.specialty[1])] for d in mine)


def test_three_levels_with_required_and_specialty_weights() -> None:
    rng = np.random.default_rng(7)
    minutes = rng.integers(0, 100, (6, 3)).astype(float)
    weights = rng.integers(1, 30, (2, 6)).astype(float)
    levels = [
        DesignationLevel("national", 90, 1, 1, eligible=[True, True, False]),
        DesignationLevel("provincial", 50, 1, 2, eligible=[True, True, False]),
        DesignationLevel("county", 20, 1, 3),
    ]
    required = [(1, 0, 1)]  # hospital 1 holds specialty s0 at provincial level
    problem = AllocationProblem.from_matrix(
        minutes,
        levels=levels,
        specialty_ids=["s0", "s1"],
        weights=weights,
        specialty_weight=[1.0, 2.5],
        required=[(1, "s0", "provincial")],
    )
    result = solve_allocation(problem)
    expected = brute_force(minutes, weights, levels, required=required, spec_weight=[1.0, 2.5])
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected)
    assert Designation(1, "s0", "provincial") in result.designations


def test_hand_case_nesting_and_standard() -> None:
    """Two towns 10 and 40 min from the one hospital; provincial 30 min, county 60 min.

    A provincial designation reaches the near town at provincial level and both towns at
    county level (nesting): 5 + (5 + 3) = 13; a county one reaches only the county level: 8.
    """
    minutes = np.array([[10.0], [40.0]])
    levels = [
        DesignationLevel("provincial", 30, 0, 1),
        DesignationLevel("county", 60, 0, 1),
    ]
    problem = AllocationProblem.from_matrix(
        minutes, levels=levels, specialty_ids=["x"], weights=[5, 3]
    )
    result = solve_allocation(problem)
    assert result.designations == (Designation(0, "x", "provincial"),)
    assert result.objective == 13.0
    assert result.reached == {("x", "provincial"): 5.0, ("x", "county"): 8.0}
    assert reach(problem, [(0, "x", "county")]) == {("x", "provincial"): 0.0, ("x", "county"): 8.0}


def test_quota_binds_and_one_level_per_pair() -> None:
    """Every pair could take a designation; the quotas decide how many, one level a pair."""
    minutes = np.array([[5.0, 50.0, 50.0], [50.0, 5.0, 50.0], [50.0, 50.0, 5.0]])
    levels = [DesignationLevel("a", 10, 2, 2), DesignationLevel("b", 10, 3, 3)]
    problem = AllocationProblem.from_matrix(
        minutes, levels=levels, specialty_ids=["s", "t"], weights=[10, 20, 30]
    )
    result = solve_allocation(problem)
    assert result.status == "optimal"
    levels_used = [d.level for d in result.designations]
    assert levels_used.count("a") == 2
    assert levels_used.count("b") == 3
    pairs = [(d.hospital, d.specialty) for d in result.designations]
    assert len(set(pairs)) == 5


def test_balance_rule_changes_the_answer() -> None:
    """Town A (100 people) is near hospital 0, town B (10) near hospital 1. One designation
    goes to hospital 0; a minimum of one in city 'b' moves it to hospital 1."""
    minutes = np.array([[5.0, 90.0], [90.0, 5.0]])
    free = DesignationLevel("provincial", 30, 1, 1)
    problem = AllocationProblem.from_matrix(
        minutes,
        levels=[free],
        specialty_ids=["x"],
        weights=[100, 10],
        hospital_groups={"city": ["a", "b"]},
    )
    assert solve_allocation(problem).designations == (Designation(0, "x", "provincial"),)
    ruled = DesignationLevel("provincial", 30, 1, 1, group_min={"city": {"b": 1}})
    problem = AllocationProblem.from_matrix(
        minutes,
        levels=[ruled],
        specialty_ids=["x"],
        weights=[100, 10],
        hospital_groups={"city": ["a", "b"]},
    )
    result = solve_allocation(problem)
    assert result.designations == (Designation(1, "x", "provincial"),)
    assert result.objective == 10.0


def test_colocated_split_and_readiness() -> None:
    """Hospitals 0 and 1 stand at one place: the first listed takes the higher level; with
    readiness, the readier hospital does."""
    minutes = np.array([[5.0, 5.0]])
    levels = [DesignationLevel("national", 10, 1, 1), DesignationLevel("county", 10, 1, 1)]
    problem = AllocationProblem.from_matrix(
        minutes, levels=levels, specialty_ids=["x"], hospital_ids=["H1", "H2"]
    )
    result = solve_allocation(problem)
    assert result.designations == (
        Designation("H1", "x", "national"),
        Designation("H2", "x", "county"),
    )
    problem = AllocationProblem.from_matrix(
        minutes,
        levels=[DesignationLevel("national", 10, 1, 1)],
        specialty_ids=["x"],
        hospital_ids=["H1", "H2"],
        readiness=[0.2, 0.9],
    )
    result = solve_allocation(problem)
    assert result.designations == (Designation("H2", "x", "national"),)
    assert result.readiness == pytest.approx(0.9)


def test_readiness_tiebreak_stage_and_ranges() -> None:
    """Two places reach the same people; readiness picks one (stage 2). With a quota range
    and uniform readiness, stage 2 fills the range."""
    minutes = np.array([[5.0, 5.0, 200.0]])
    problem = AllocationProblem.from_matrix(
        np.array([[5.0, 8.0]]),
        levels=[DesignationLevel("p", 10, 1, 1)],
        specialty_ids=["x"],
        readiness=[1.0, 3.0],
    )
    result = solve_allocation(problem)
    assert result.designations == (Designation(1, "x", "p"),)
    assert result.stages["readiness"] == pytest.approx(3.0)
    problem = AllocationProblem.from_matrix(
        minutes, levels=[DesignationLevel("p", 10, 1, 3)], specialty_ids=["x"]
    )
    result = solve_allocation(problem)
    assert len(result.designations) == 3
    result = solve_allocation(problem, tiebreak=False)
    assert result.status == "optimal"
    assert "readiness" not in result.stages


def test_identical_specialties_symmetry_keeps_the_optimum() -> None:
    """Four interchangeable specialties (symmetry rows) against brute force."""
    rng = np.random.default_rng(3)
    minutes = rng.integers(0, 60, (5, 2)).astype(float)
    weights = np.tile(rng.integers(1, 20, 5).astype(float), (4, 1))
    levels = [DesignationLevel("a", 40, 2, 2), DesignationLevel("b", 20, 3, 3)]
    problem = AllocationProblem.from_matrix(
        minutes, levels=levels, specialty_ids=list("wxyz"), weights=weights
    )
    result = solve_allocation(problem)
    assert result.objective == pytest.approx(brute_force(minutes, weights, levels))


# --- messages ----------------------------------------------------------------------------


def test_infeasible_quota_message() -> None:
    levels = [
        DesignationLevel(
            "national",
            180,
            30,
            30,
            eligible=[True] * 6 + [False] * 4,
            holders=("tertiary hospital"),
        ),
    ]
    problem = AllocationProblem.from_matrix(
        np.ones((3, 10)), levels=levels, specialty_ids=["a", "b"]
    )
    result = solve_allocation(problem)
    assert result.status == "infeasible"
    assert result.message == (
        "30 national designations need 30 eligible tertiary hospital-specialty pairs, only 12 exist"
    )
    assert result.designations == ()
    assert math.isnan(result.objective)


def test_infeasible_messages_per_rule() -> None:
    minutes = np.ones((2, 3))
    both = [
        DesignationLevel("national", 60, 2, 2),
        DesignationLevel("provincial", 60, 2, 2),
    ]
    problem = AllocationProblem.from_matrix(minutes, levels=both, specialty_ids=["x"])
    assert solve_allocation(problem).message == (
        "the national and provincial quotas need at least 4 designations together, only 3 "
        "hospital-specialty pairs are eligible for them (one level per pair)"
    )
    city = DesignationLevel("provincial", 60, 1, 2, group_min={"city": 2})
    problem = AllocationProblem.from_matrix(
        minutes, levels=[city], specialty_ids=["x"], hospital_groups={"city": ["a", "a", "b"]}
    )
    message = solve_allocation(problem).message
    assert message == (
        "provincial: 1 city group(s) lack eligible hospital-specialty pairs for their minimum: "
        "b needs 2, has 1; provincial: the city minimums need 4 designations together but "
        "the quota allows at most 2"
    )


def test_bad_input_one_line() -> None:
    with pytest.raises(InvalidProblemError) as err:
        AllocationProblem.from_matrix(
            np.ones((2, 2)),
            levels=[DesignationLevel("a", -1, 3, 1, eligible=[True])],
            specialty_ids=["x", "x"],
            weights=[1, 2, 3],
            required=[(0, "y", "a")],
        )
    text = str(err.value)
    assert "\n" not in text
    for part in (
        "specialty_ids must be unique",
        "weights has shape",
        "standard must be",
        "min_count 3 exceeds max_count 1",
        "eligible has shape",
        "unknown id",
    ):
        assert part in text


# --- Liaoning ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> geodata.Dataset:
    return geodata.load_dataset("liaoning")


@pytest.fixture(scope="module")
def liaoning(world: geodata.Dataset):  # type: ignore[no-untyped-def]
    return allocate_specialties(world)


def test_liaoning_default_reaches_proven_optimum(liaoning) -> None:  # type: ignore[no-untyped-def]
    result = liaoning
    a = result.allocation
    assert a.status == "optimal"
    assert a.gap <= 1e-6
    by_level = result.by_region().sum()
    assert by_level[["national", "provincial", "municipal", "county"]].tolist() == [
        30,
        200,
        200,
        300,
    ]
    by_city = result.by_city()
    assert (by_city["provincial"] >= 2).all()
    assert (by_city["municipal"] >= 8).all()
    assert (by_city["county"] >= 8).all()
    assert (result.by_region()["national"] >= 1).all()
    table = result.designations_table()
    assert not table.duplicated(["facility_id", "field"]).any()
    tiers = table.groupby("level")["tier"].unique()
    assert set(tiers["county"]) == {"county_hospital"}
    assert set(tiers["national"]) == {"city_3a"}
    reach_table = result.reach()
    assert len(reach_table) == 80
    assert reach_table["share"].between(0, 1).all()
    summary = result.summary()
    assert summary["status"] == "optimal"
    assert [lv["designations"] for lv in summary["levels"]] == [30, 200, 200, 300]


def test_liaoning_infeasible_quota_is_explained(world: geodata.Dataset) -> None:
    rules = SpecialtyRules(quota={"national": 2000})
    result = allocate_specialties(world, rules)
    assert result.allocation.status == "infeasible"
    assert result.allocation.message.startswith(
        "2000 national designations need 2000 eligible tertiary hospital-specialty pairs, only "
    )


def test_liaoning_rules_errors_are_one_line(world: geodata.Dataset) -> None:
    fields = (SpecialtyField("x", "x", "x", demand_weight="pop_90plus"),)
    rules = SpecialtyRules(
        fields=fields, quota={"regional": 3}, require=(("H-999", "x", "county"),)
    )
    with pytest.raises(ValueError, match="unknown levels") as err:
        allocate_specialties(world, rules)
    text = str(err.value)
    assert "pop_90plus" in text
    assert "H-999" in text
    assert "\n" not in text


def test_liaoning_readiness_frame(world: geodata.Dataset) -> None:
    """A small Liaoning run with readiness from a frame: stage 2 runs and stays optimal."""
    fields = (SpecialtyField("cardiology", "心血管内科", "Cardiology"),)
    readiness = pd.DataFrame({"cardiology": {"H-005": 5.0, "H-002": 4.0}})
    rules = SpecialtyRules(
        fields=fields,
        quota={"national": 1, "provincial": (8, 10), "municipal": 14, "county": 20},
        min_per_region={"national": 0},
        min_per_city={"municipal": 1},
        min_per_county={},
        readiness=readiness,
    )
    result = allocate_specialties(world, rules)
    a = result.allocation
    assert a.status == "optimal"
    assert "readiness" in a.stages
    assert len(result.designations_table()) == int(result.by_field()["total"].iloc[0])


def test_cbc_agrees_on_a_small_case() -> None:
    minutes, weights, levels, groups = _random_case(2)
    problem = AllocationProblem.from_matrix(
        minutes, levels=levels, specialty_ids=["s0", "s1"], weights=weights, hospital_groups=groups
    )
    highs, cbc = solve_allocation(problem), solve_allocation(problem, solver="cbc")
    assert cbc.status == highs.status
    if highs.status == "optimal":
        assert cbc.objective == pytest.approx(highs.objective)
        assert cbc.solver.startswith("CBC")


def test_liaoning_time_limit_is_not_optimal(world: geodata.Dataset) -> None:
    result = allocate_specialties(world, time_limit_s=0.2)
    a = result.allocation
    assert a.status in ("feasible", "no_solution")
    assert a.message
    if a.status == "no_solution":
        assert a.designations == ()


def test_liaoning_small_run_is_deterministic(world: geodata.Dataset) -> None:
    fields = (
        SpecialtyField("cardiology", "心血管内科", "Cardiology"),
        SpecialtyField("paediatrics", "儿科", "Paediatrics", "pop_0_14", ("儿童",)),
    )
    rules = SpecialtyRules(
        fields=fields,
        quota={"national": 3, "provincial": 20, "municipal": 20, "county": 30},
        min_per_region={"national": 0, "provincial": 2},
        min_per_city={"municipal": 1},
        min_per_county={},
    )
    first, second = allocate_specialties(world, rules), allocate_specialties(world, rules)
    assert first.allocation.status == "optimal"
    assert first.allocation.designations == second.allocation.designations
    assert (first.by_city() == second.by_city()).all().all()
