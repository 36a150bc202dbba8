"""Shared fixtures: the bundled data loaded once, an embedded store over it, and its
validation on two dates (before and after the new Socialtjänstlag)."""

import datetime as dt

import pytest

from ansvarsgraf.dataset import load_data
from ansvarsgraf.store import OxigraphStore
from ansvarsgraf.validation import validate


@pytest.fixture(scope="session")
def loaded():
    return load_data()


@pytest.fixture(scope="session")
def store(loaded):
    return OxigraphStore.from_loaded(loaded)


@pytest.fixture(scope="session")
def findings_2026(loaded):
    return validate(loaded, dt.date(2026, 3, 1))
