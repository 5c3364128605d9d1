"""Existing time-critical centres from the planner's CSV (issue 13, "Who each tier serves").

Before issue 13 every centre type started from 0 % "before": no existing centre could be
given except as facility ids in Python. The table of `planning.networks.existing` makes
"before" the status quo: its centres are open before and after, at no cost, outside the
count of new designations.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from network_worlds import make_times, make_transfer, make_world

from geodata.dataset import Dataset
from geodata.errors import HealthplanDataError
from geodata.travel import TravelTimes
from planning.networks.critical import CENTRE_TYPES, ChainSpec, plan_all_centres, plan_centres
from planning.networks.existing import read_existing_centres
from planning.networks.levels import eligible_sites

INF = math.inf
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "existing_centres.csv"

DEMAND = [
    {"demand_id": "d1", "county_code": "210102", "population": 100.0},
    {"demand_id": "d2", "county_code": "210123", "population": 60.0},
    {"demand_id": "d3", "county_code": "210224", "population": 50.0},
    {"demand_id": "d4", "county_code": "210281", "population": 40.0},
    {"demand_id": "d5", "county_code": "210281", "population": 30.0},
]
SITES = [
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
#           A3    AD    AC    BC    BK    BM    TH
MINUTES = [
    [10.0, 5.0, 70.0, INF, INF, INF, 50.0],  # d1
    [50.0, 40.0, 10.0, INF, INF, INF, 0.0],  # d2
    [INF, INF, INF, 20.0, 55.0, 50.0, INF],  # d3
    [INF, INF, INF, 70.0, 10.0, 10.0, INF],  # d4
    [INF, INF, 90.0, 55.0, 45.0, 30.0, INF],  # d5
]


@pytest.fixture
def tiny() -> tuple[Dataset, TravelTimes]:
    world = make_world(DEMAND, SITES)
    return world, make_times(world, MINUTES)


def _csv(folder: Path, text: str, name: str = "centres.csv", *, bom: bool = False) -> Path:
    path = folder / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# --- the file ----------------------------------------------------------------------------------


def test_reads_ids_aliases_bom_and_hash(tmp_path: Path, tiny: tuple[Dataset, TravelTimes]) -> None:
    world, _ = tiny
    text = (
        "facility_id,centre,certified_year,source,name_zh\n"
        "BK,stroke,2019,provincial list,BK\n"
        "A3,胸痛中心,,,\n"
        ",,,,\n"  # a row of empty cells (a spreadsheet's leftover) is skipped
        "AD,卒中中心,,,\n"  # a district hospital may hold a certified centre
        "BM,maternal,2021,,\n"
    )
    path = _csv(tmp_path, text, bom=True)
    table = read_existing_centres(path, world)
    assert table.by_centre() == {
        "chest_pain": ("A3",),
        "stroke": ("BK", "AD"),
        "maternal": ("BM",),
        "neonatal_child": (),
        "trauma": (),
    }
    assert table.table["certified_year"].tolist() == ["2019", "", "", "2021"]
    summary = table.summary()
    assert summary["rows"] == 4
    assert summary["file"] == "centres.csv"
    # SHA-256 of the file's bytes, BOM included
    assert summary["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # the chain splits by tier: city_3a is city level, the county hospital first contact
    assert table.chain_levels("stroke", world) == (("BK", "AD"), ())
    assert table.chain_levels("chest_pain", world) == ((), ("A3",))
    # a header alone: no existing centre
    empty = read_existing_centres(_csv(tmp_path, "facility_id,centre\n", "none.csv"), world)
    assert empty.by_centre()["stroke"] == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "facility_id,centre\nZZ,stroke\n",
            "centres.csv: row 2: facility_id: unknown facility 'ZZ' - ",
        ),
        (
            "facility_id,centre\nBK,strokes\n",
            "centres.csv: row 2: centre: unknown centre type 'strokes' - did you mean 'stroke'?",
        ),
        (
            "facility_id,centre\nBK,stroke\nA3,chest_pain\nBK,卒中中心\n",
            (
                "centres.csv: row 4: facility_id: BK stroke is listed twice (also row 2) - keep "
                "one row per facility and centre type"
            ),
        ),
        (
            "facility_id,centre\nTH,stroke\n",
            (
                "centres.csv: row 2: facility_id: facility 'TH' (TH) is a township_health_center; "
                "stroke centres need a hospital of tier county_hospital, county_3a, city_3a - "
                "remove the row or check the facility_id"
            ),
        ),
        (
            "facility_id,centre\nBM,stroke\n",
            (
                "centres.csv: row 2: facility_id: facility 'BM' (BM) is a maternal_child hospital; "
                "stroke centres need a general hospital - remove the row"
            ),
        ),
        (
            "facility_id,center\nBK,stroke\n",
            (
                "centres.csv: centre: required column missing (is 'center' meant?) - add a "
                "'centre' column"
            ),
        ),
        (
            "facility_id,centre,year\nBK,stroke,2019\n",
            "centres.csv: year: unknown column - ",
        ),
        (
            "facility_id,centre\n,stroke\n",
            "centres.csv: row 2: facility_id: empty - give the facility's id",
        ),
        (
            "facility_id,centre,certified_year\nBK,stroke,19\n",
            "centres.csv: row 2: certified_year: '19' is not a year - write the year",
        ),
        (
            "facility_id,centre,name_zh\nBK,stroke,BC\n",
            "centres.csv: row 2: name_zh: 'BC' but facility 'BK' is 'BK' - check the facility_id",
        ),
    ],
)
def test_bad_files_one_line_naming_file_row_field_fix(
    tmp_path: Path, tiny: tuple[Dataset, TravelTimes], text: str, message: str
) -> None:
    world, _ = tiny
    with pytest.raises(HealthplanDataError) as error:
        read_existing_centres(_csv(tmp_path, text), world)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_files_unreadable(tmp_path: Path, tiny: tuple[Dataset, TravelTimes]) -> None:
    world, _ = tiny
    with pytest.raises(HealthplanDataError, match=r"missing\.csv: \(file\): file not found"):
        read_existing_centres(tmp_path / "missing.csv", world)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("facility_id,centre\nBK,卒中中心\n".encode("gbk"))
    with pytest.raises(HealthplanDataError, match=r"gbk.csv: cannot read the CSV: it is not UTF-8"):
        read_existing_centres(gbk, world)
    xlsx = _csv(tmp_path, "facility_id,centre\n", "centres.xlsx")
    with pytest.raises(HealthplanDataError, match=r"centres.xlsx: \(file\): .xlsx: not a CSV"):
        read_existing_centres(xlsx, world)
    # every problem is reported, at most ten of them and a count of the rest
    many = "facility_id,centre\n" + "".join(f"X{i},stroke\n" for i in range(13))
    with pytest.raises(HealthplanDataError) as error:
        read_existing_centres(_csv(tmp_path, many), world)
    text = str(error.value)
    assert text.startswith("centres.csv: row 2: facility_id: unknown facility 'X0'")
    assert "(and 10 more:" in text
    assert "centres.csv: (rows): 3 more problems - fix those above" in text


def test_example_file_is_valid_on_liaoning_ids() -> None:
    # The documented example names Liaoning facilities; it is checked against the shipped
    # world in test_liaoning_before_is_real below. Here: only its shape.
    header = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "facility_id,centre,certified_year,source,name_zh"


# --- before and after ------------------------------------------------------------------------


def test_tiny_before_is_the_table_and_after_adds_to_it(
    tmp_path: Path, tiny: tuple[Dataset, TravelTimes]
) -> None:
    world, times = tiny
    # Stroke covers (60 min): A3 {d1, d2} = 160, AC {d2} = 60, BC {d3, d5} = 80,
    # BK {d3, d4, d5} = 120, of 280 people. Without a table "before" is 0.
    without = plan_centres(world, "stroke", max_centres=1, times=times)
    assert without.before["stroke"].covered_population == 0.0
    assert (without.designated["stroke"], without.objective) == (("A3",), 160.0)
    # With BC as an existing stroke centre: before 80 (d3, d5) = 28.6 %; one new centre is
    # still A3 (+160); BK would add only d4 (40).
    path = _csv(tmp_path, "facility_id,centre\nBC,stroke\nBK,trauma\n")
    table = read_existing_centres(path, world)
    results = plan_all_centres(world, existing_centres=table, max_centres=1, times=times)
    stroke = results["stroke"]
    assert stroke.before["stroke"].covered_population == 80.0
    assert stroke.before["stroke"].covered_share == pytest.approx(80 / 280)
    assert (stroke.designated["stroke"], stroke.objective) == (("A3",), 240.0)
    assert stroke.after["stroke"].covered_population == 240.0
    centres = stroke.centres_table()
    assert centres[["facility_id", "status"]].values.tolist() == [
        ["A3", "designated"],
        ["BC", "existing"],
    ]
    # trauma starts from BK (120 of 280) and adds A3; the other types start from 0
    assert results["trauma"].before["trauma"].covered_population == 120.0
    assert results["trauma"].after["trauma"].covered_population == 280.0
    assert results["chest_pain"].before["chest_pain"].covered_population == 0.0


def test_tiny_chain_takes_city_level_centres_from_the_tier(
    tmp_path: Path, tiny: tuple[Dataset, TravelTimes]
) -> None:
    world, times = tiny
    n = len(world.facilities)
    transfer = np.full((n, n), 30.0)
    np.fill_diagonal(transfer, 0.0)
    options = {
        "chain": ChainSpec(total_minutes=60.0),
        "times": times,
        "transfer_times": make_transfer(world, transfer),
    }
    table = read_existing_centres(
        _csv(tmp_path, "facility_id,centre\nA3,stroke\nBC,stroke\n"), world
    )
    # A3 (city_3a) is a city-level centre, BC a county-level one. Before: d1 (A3, 10 min),
    # d2 (A3, 50), d3 (BC 20 + transfer 30 = 50) = 210 of 280; d4 (BC 70) and d5 (BC 55 + 30)
    # are not covered. One new centre: BK takes d4 (10 + 30) -> 250.
    stroke = plan_all_centres(world, existing_centres=table, max_centres=1, **options)["stroke"]
    assert stroke.status == "optimal"
    assert stroke.before["stroke"].covered_population == 210.0
    assert stroke.designated == {"county_level": ("BK",), "city_level": ()}
    assert stroke.after["stroke"].covered_population == 250.0
    centres = stroke.centres_table().set_index("facility_id")
    assert centres.loc["A3", "level"] == "city_level"
    assert centres.loc["BC", "level"] == "county_level"
    assert set(centres.loc[["A3", "BC"], "status"]) == {"existing"}


def _brute(
    minutes: np.ndarray, weights: np.ndarray, able: np.ndarray, existing: np.ndarray, max_new: int
) -> float:
    best = 0.0
    candidates = [j for j in range(minutes.shape[1]) if able[j] and not existing[j]]
    for k in range(max_new + 1):
        for chosen in itertools.combinations(candidates, k):
            open_ = existing.copy()
            open_[list(chosen)] = True
            covered = (minutes[:, open_] <= 60.0).any(axis=1)
            best = max(best, float((weights * covered).sum()))
    return best


@pytest.mark.parametrize("seed", range(10))
def test_existing_centres_match_brute_force(
    tmp_path: Path, tiny: tuple[Dataset, TravelTimes], seed: int
) -> None:
    world, _ = tiny
    rng = np.random.default_rng(100 + seed)
    minutes = rng.integers(0, 90, (len(DEMAND), len(SITES))).astype(float)
    minutes[rng.random(minutes.shape) < 0.3] = INF
    times = make_times(world, minutes)
    county_types = world.units("county")["county_type"]
    able = eligible_sites(world.facilities, CENTRE_TYPES["trauma"], county_types=county_types)
    hosts = [s["facility_id"] for s in SITES if s["facility_id"] not in ("TH", "BM")]
    chosen = sorted(rng.choice(hosts, size=int(rng.integers(1, 3)), replace=False).tolist())
    text = "facility_id,centre\n" + "".join(f"{f},trauma\n" for f in chosen)
    table = read_existing_centres(_csv(tmp_path, text), world)
    existing = world.facilities["facility_id"].isin(chosen).to_numpy()
    weights = np.array([d["population"] for d in DEMAND])
    max_new = int(rng.integers(0, 3))
    result = plan_centres(
        world, "trauma", max_centres=max_new, existing=table.ids("trauma"), times=times
    )
    before = float((weights * (minutes[:, existing] <= 60.0).any(axis=1)).sum())
    assert result.before["trauma"].covered_population == pytest.approx(before)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(_brute(minutes, weights, able, existing, max_new))
    assert not set(result.designated["trauma"]) & set(chosen)


# --- Liaoning and scenario runs --------------------------------------------------------------


@pytest.mark.xdist_group("liaoning")
def test_liaoning_before_is_real(world: Dataset, times: TravelTimes) -> None:
    """The example table on Liaoning: "before" was 0 % for every type, now the status quo.

    Stroke (3 example centres: Shengjing, Chaoyang Central, Faku County): before 0 % ->
    27.49 %; after 15 new centres 81.20 % -> 83.24 %. Chest pain (Shengjing, Dalian Medical
    University First): before 0 % -> 32.02 %; after 81.20 % -> 82.67 %. (On the dataset before
    the Grade-3A points of issue 13: 28.02 % and 32.16 % before, 80.86 % without the table.)
    """
    table = read_existing_centres(EXAMPLE, world)
    assert table.summary()["centres"] == {
        "chest_pain": 2,
        "stroke": 3,
        "maternal": 1,
        "neonatal_child": 1,
        "trauma": 1,
    }
    expected = {"stroke": (0.2749, 0.8120, 0.8324), "chest_pain": (0.3202, 0.8120, 0.8267)}
    demand_ids = world.demand["demand_id"].astype(str).tolist()
    for centre, (before, after_without, after_with) in expected.items():
        ids = table.ids(centre)
        without = plan_centres(world, centre, max_centres=15, times=times)
        given = plan_centres(world, centre, max_centres=15, existing=ids, times=times)
        assert without.before[centre].covered_share == 0.0
        assert given.before[centre].covered_share == pytest.approx(before, abs=5e-5)
        assert without.after[centre].covered_share == pytest.approx(after_without, abs=5e-5)
        assert given.after[centre].covered_share == pytest.approx(after_with, abs=5e-5)
        assert given.status == "optimal"
        assert len(given.designated[centre]) == 15
        assert not set(given.designated[centre]) & set(ids)
        # "before" recomputed from the matrix, independently of the metrics code
        sub = times.subset(demand_ids=demand_ids, facility_ids=list(ids)).to_dense()
        weight = given.weights[centre]
        share = float(weight[(sub <= 60.0).any(axis=1)].sum() / weight.sum())
        assert given.before[centre].covered_share == pytest.approx(share)


def _scenario(folder: Path, body: str, name: str = "centres.toml") -> Path:
    path = folder / name
    path.write_text(
        'name = "existing"\nkind = "centres"\n[centres]\ntypes = ["stroke", "chest_pain"]\n'
        "max_centres = 15\n" + body,
        encoding="utf-8",
    )
    return path


@pytest.mark.xdist_group("liaoning")
def test_scenario_key_summary_and_errors(tmp_path: Path, world: Dataset) -> None:
    from scenarios.errors import ScenarioError
    from scenarios.runner import run_scenario
    from scenarios.scenario import load_scenario

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(EXAMPLE, data / "my_centres.csv")
    scenario = _scenario(tmp_path, 'existing = "data/my_centres.csv"\n')
    # the path is relative to the scenario file, whatever the working directory
    resolved = load_scenario(scenario)
    assert resolved.scenario.centres.existing == str(data / "my_centres.csv")
    run_scenario(scenario, tmp_path / "out", png=False, briefing=False)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["data"]["existing_centres"] == {
        "file": "my_centres.csv",
        "sha256": hashlib.sha256(EXAMPLE.read_bytes()).hexdigest(),
        "rows": 8,
        "centres": {"chest_pain": 2, "stroke": 3, "maternal": 1, "neonatal_child": 1, "trauma": 1},
    }
    stroke = summary["networks"]["stroke"]
    assert stroke["existing"] == {"existing": ["H-002", "H-033", "CH-210124"]}
    assert stroke["metrics"]["stroke"]["before"]["covered_share"] == pytest.approx(0.2749, abs=5e-5)
    assert stroke["metrics"]["stroke"]["after"]["covered_share"] == pytest.approx(0.8324, abs=5e-5)
    table = pd.read_csv(tmp_path / "out" / "centres.csv", dtype=str)
    existing = table[table["status"] == "existing"]
    assert sorted(zip(existing["centre_type"], existing["facility_id"], strict=True)) == [
        ("chest_pain", "H-002"),
        ("chest_pain", "H-012"),
        ("stroke", "CH-210124"),
        ("stroke", "H-002"),
        ("stroke", "H-033"),
    ]

    # kind = "upgrade" does not read it; a missing file; a bad row
    upgrade = tmp_path / "upgrade.toml"
    upgrade.write_text('name = "u"\n[centres]\nexisting = "data/my_centres.csv"\n', "utf-8")
    with pytest.raises(
        ScenarioError, match=re.escape('centres.existing: applies to kind = "centres" only')
    ):
        load_scenario(upgrade)
    with pytest.raises(ScenarioError, match=r"centres\.existing: file .*nowhere\.csv' not found"):
        load_scenario(_scenario(tmp_path, 'existing = "nowhere.csv"\n', "missing.toml"))
    (data / "bad.csv").write_text("facility_id,centre\nH-002,stroke\nH-002,stroke\n", "utf-8")
    bad = _scenario(tmp_path, 'existing = "data/bad.csv"\n', "bad.toml")
    with pytest.raises(HealthplanDataError, match=r"bad\.csv: row 3: facility_id: H-002 stroke is"):
        run_scenario(bad, tmp_path / "bad-out", png=False, briefing=False)
    assert not (tmp_path / "bad-out").exists()
