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
def oxigraph_endpoints(tmp_path_factory):
    from sparql_servers import load_into, oxigraph_server

    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as endpoints:
        load_into(endpoints)
        yield endpoints


@pytest.fixture(scope="session", params=["inbyggd", "oxigraph-server"])
def store(request, loaded):
    """Every test that asks the graph runs against the embedded store and a real server."""
    if request.param == "inbyggd":
        return OxigraphStore.from_loaded(loaded)
    from ansvarsgraf.remote_store import SparqlEndpointStore

    return SparqlEndpointStore(request.getfixturevalue("oxigraph_endpoints")["query"])


@pytest.fixture(scope="session")
def findings_2026(loaded):
    return validate(loaded, dt.date(2026, 3, 1))
