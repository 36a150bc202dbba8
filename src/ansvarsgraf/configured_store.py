"""The configured store (open_store): a SPARQL server, a prepared store on disk or the
bundled data in memory, chosen by argument or environment. The CLI and the web app open
their store here; everything below them takes a store as an argument."""

import os
from pathlib import Path

from .embedded_store import open_embedded_store
from .graph_store import GraphStore
from .prepared import open_prepared_store
from .remote_store import SparqlEndpointStore

ENDPOINT_ENV = "ANSVARSGRAF_ENDPOINT"
UPDATE_ENDPOINT_ENV = "ANSVARSGRAF_UPDATE_ENDPOINT"
PREPARED_STORE_ENV = "ANSVARSGRAF_STORE"


def open_store(endpoint: str | None = None, update_endpoint: str | None = None,
               prepared: Path | None = None) -> GraphStore:
    """The configured store: a SPARQL server when an endpoint is given (argument or
    ANSVARSGRAF_ENDPOINT), else a prepared on-disk store (argument or ANSVARSGRAF_STORE),
    else the bundled data in an in-memory embedded store."""
    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    if not endpoint:
        prepared = prepared or os.environ.get(PREPARED_STORE_ENV)
        return open_prepared_store(Path(prepared)) if prepared else open_embedded_store()
    return SparqlEndpointStore(endpoint, update_endpoint or os.environ.get(UPDATE_ENDPOINT_ENV))
