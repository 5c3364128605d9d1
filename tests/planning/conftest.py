"""Fixtures of the network tests: the Liaoning world and its travel times in a private cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import geodata
from geodata.dataset import Dataset
from geodata.travel import TravelTimes


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every travel-time cache of these tests (transfer matrices too) goes to a temp folder."""
    folder = tmp_path_factory.mktemp("travel-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HEALTHPLAN_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def world(cache_dir: Path) -> Dataset:
    """The shipped Liaoning world with its road graph built."""
    dataset = geodata.load_dataset("liaoning")
    dataset.graph()
    return dataset


@pytest.fixture(scope="session")
def times(world: Dataset) -> TravelTimes:
    """Township × facility minutes, 120-minute cutoff (the default of the planners)."""
    return world.travel_times(cutoff_minutes=120)


@pytest.fixture(scope="session")
def times_240(world: Dataset) -> TravelTimes:
    """Township × facility minutes, 240-minute cutoff (the provincial laboratory standard)."""
    return world.travel_times(cutoff_minutes=240)
