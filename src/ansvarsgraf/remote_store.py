"""A store behind any SPARQL 1.1 server: SPARQLWrapper for queries, SPARQL 1.1 Update to
publish the data, one named graph per source file.

This is how a large deployment runs: several stateless API processes (`ansvarsgraf serve
--endpoint …`) in front of a clustered SPARQL store (see docs/drift.md). The server's
default graph must be the union of the named graphs (Oxigraph: --union-default-graph;
Virtuoso does this by default).

Publishing replaces a file's graph in ONE update request (DROP + INSERT DATA), which every
SPARQL 1.1 store runs as one transaction, so readers never see half a file (a file of more
than MAX_UPDATE_TRIPLES triples is sent in several requests and loses that guarantee); files are
parsed and checked locally first, so a broken file never reaches the server and the
previous version of its graph stays in place.
"""

from typing import Iterable

import rdflib
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .store import Row, bind

MAX_UPDATE_TRIPLES = 50_000  # per request; a larger graph is sent as DROP + several INSERTs


class RemoteStoreError(RuntimeError):
    """The SPARQL server could not be reached or refused the request."""


class SparqlEndpointStore:
    def __init__(self, query_url: str, update_url: str | None = None, timeout_s: float = 30.0,
                 user: str | None = None, password: str | None = None):
        self.query_url = query_url
        self.update_url = update_url
        self.timeout_s = timeout_s
        self._credentials = (user, password) if user else None

    def __repr__(self) -> str:
        return f"SparqlEndpointStore({self.query_url!r})"

    def _client(self, url: str) -> SPARQLWrapper:
        client = SPARQLWrapper(url)
        client.setTimeout(int(max(1, self.timeout_s)))
        client.setMethod(POST)  # queries can be long; POST keeps them out of URLs and logs
        if self._credentials:
            client.setCredentials(*self._credentials)
        return client

    def _json(self, query: str) -> dict:
        client = self._client(self.query_url)
        client.setQuery(query)
        client.setReturnFormat(JSON)
        try:
            return client.query().convert()
        except (SPARQLWrapperException, OSError) as exc:
            raise RemoteStoreError(f"SPARQL-servern {self.query_url} svarade inte: {exc}") from exc

    def select(self, query: str, bindings: dict[str, Node | Iterable[Node]] | None = None) -> list[Row]:
        result = self._json(bind(query, bindings))
        names = result["head"]["vars"]
        return [{n: _term(b.get(n)) for n in names} for b in result["results"]["bindings"]]

    def ask(self, query: str, bindings=None) -> bool:
        return bool(self._json(bind(query, bindings))["boolean"])

    def construct(self, query: str, bindings=None) -> rdflib.Graph:
        client = self._client(self.query_url)
        client.setQuery(bind(query, bindings))
        client.addCustomHttpHeader("Accept", "application/n-triples, text/turtle;q=0.9")
        try:
            response = client.query().response
            body = response.read().decode("utf-8")
            content_type = response.headers.get("Content-Type", "")
        except (SPARQLWrapperException, OSError) as exc:
            raise RemoteStoreError(f"SPARQL-servern {self.query_url} svarade inte: {exc}") from exc
        graph = rdflib.Graph()
        fmt = "nt" if "n-triples" in content_type else "turtle"
        if body.strip():
            graph.parse(data=body, format=fmt)
        return graph

    # --- publishing -------------------------------------------------------------------

    def update(self, request: str) -> None:
        if not self.update_url:
            raise RemoteStoreError("Ingen uppdateringsadress (--update-endpoint) är angiven.")
        client = self._client(self.update_url)
        client.setQuery(request)
        try:
            client.query()
        except (SPARQLWrapperException, OSError) as exc:
            raise RemoteStoreError(f"SPARQL-servern {self.update_url} vägrade uppdateringen: {exc}") from exc

    def replace_graph(self, name: str, graph: rdflib.Graph) -> None:
        """Replace one named graph; in one request when it fits, so readers see old or new."""
        triples = graph.serialize(format="nt").splitlines()
        chunks = [triples[i:i + MAX_UPDATE_TRIPLES] for i in range(0, len(triples), MAX_UPDATE_TRIPLES)] or [[]]
        first = f"DROP SILENT GRAPH <{name}> ;\nINSERT DATA {{ GRAPH <{name}> {{\n" + "\n".join(chunks[0]) + "\n} }"
        self.update(first)
        for chunk in chunks[1:]:
            self.update(f"INSERT DATA {{ GRAPH <{name}> {{\n" + "\n".join(chunk) + "\n} }")

    def graph_names(self) -> list[str]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(str(r["g"]) for r in rows)


def _term(value: dict | None) -> Node | None:
    if value is None:
        return None
    kind = value["type"]
    if kind == "uri":
        return rdflib.URIRef(value["value"])
    if kind == "bnode":
        return rdflib.BNode(value["value"])
    if "xml:lang" in value:
        return rdflib.Literal(value["value"], lang=value["xml:lang"])
    datatype = value.get("datatype")
    return rdflib.Literal(value["value"], datatype=rdflib.URIRef(datatype) if datatype else None)

