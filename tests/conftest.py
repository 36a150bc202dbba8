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


@pytest.fixture(scope="session")
def virtuoso_endpoints(tmp_path_factory):
    from sparql_servers import load_into, virtuoso_server

    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as endpoints:
        load_into(endpoints)
        yield endpoints


@pytest.fixture(scope="session", params=["inbyggd", "oxigraph-server", "virtuoso"])
def store(request, loaded):
    """Every test that asks the graph runs against the embedded store and two real servers
    (the Oxigraph server and Virtuoso Open Source), with the same expected answers."""
    if request.param == "inbyggd":
        return OxigraphStore.from_loaded(loaded)
    from ansvarsgraf.remote_store import SparqlEndpointStore

    fixture = {"oxigraph-server": "oxigraph_endpoints", "virtuoso": "virtuoso_endpoints"}[request.param]
    return SparqlEndpointStore(request.getfixturevalue(fixture)["query"])


@pytest.fixture(scope="session")
def findings_2026(loaded):
    return validate(loaded, dt.date(2026, 3, 1))
