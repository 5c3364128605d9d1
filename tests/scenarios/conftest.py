"""Fixtures of the scenarios tests: the Liaoning world and hand-made plans (`map_inputs`)."""

from __future__ import annotations

import pytest
from map_inputs import Plan, make_plan

import geodata


@pytest.fixture(scope="session")
def world() -> geodata.Dataset:
    """The shipped Liaoning world with its default road graph built (and cached on it)."""
    dataset = geodata.load_dataset("liaoning")
    dataset.graph()
    return dataset


@pytest.fixture(scope="session")
def plan(world: geodata.Dataset) -> Plan:
    """A county_3a plan with 9 upgrades."""
    return make_plan(world)


@pytest.fixture(scope="session")
def evil_plan(world: geodata.Dataset) -> Plan:
    """The same plan with a facility named ``<script>alert(1)</script>``."""
    return make_plan(world, evil=True)
