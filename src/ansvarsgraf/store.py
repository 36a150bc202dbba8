"""The configured store (open_store), and the store names as they were before the stores
were split (graph_store, embedded_store, remote_store, prepared): code written against
`ansvarsgraf.store` keeps working. New code imports from those modules; nothing in the
package imports this one except the CLI and the web app, which need open_store."""

import os
from pathlib import Path

from .embedded_store import OxigraphStore, open_embedded_store
from .graph_store import (SPARQL_TOKENS, GraphStore, Row, bind, checked_bindings, in_canonical_order,  # noqa: F401
                          insert_after_where, per_data_version, values_block)
from .prepared import (KEEP_VERSIONS, MANIFEST, NotAPreparedStoreError, PreparedStore, open_prepared_store,  # noqa: F401
                       prepare_store, write_manifest)
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
