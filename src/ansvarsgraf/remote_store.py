"""A store behind any SPARQL 1.1 server: SPARQLWrapper for queries, SPARQL 1.1 Update to
publish the data, one named graph per source file.

This is how a large deployment runs: several stateless API processes (`ansvarsgraf serve
--endpoint …`) in front of a clustered SPARQL store (see docs/drift.md). The server's
default graph must be the union of the named graphs (Oxigraph: --union-default-graph;
Virtuoso does this by default).

Publishing replaces a file's graph with one Graph Store Protocol PUT when the server has one
(Oxigraph: /store, Virtuoso: /sparql-graph-crud-auth) — a PUT replaces the graph as a whole —
or else with ONE SPARQL Update request (DROP + INSERT DATA), which every SPARQL 1.1 store runs
as one transaction; either way readers never see half a file (over SPARQL Update a file of
more than MAX_UPDATE_TRIPLES triples is sent in several requests and loses that); files are
parsed and checked locally first, so a broken file never reaches the server and the
previous version of its graph stays in place.
"""

from typing import Iterable

import rdflib
from rdflib.term import Node
from SPARQLWrapper import DIGEST, JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .store import Row, bind

MAX_UPDATE_TRIPLES = 50_000  # per request; a larger graph is sent as DROP + several INSERTs

# `load` ends by writing a new data version here; API processes that cache what they derive
# from the data (catalog, answers, gap reports) check it and rebuild when it changes.
VERSION_GRAPH = "urn:ansvarsgraf:dataversion"
VERSION_NODE = "urn:ansvarsgraf:data"
VERSION_QUERY = f"SELECT ?version WHERE {{ <{VERSION_NODE}> <http://purl.org/dc/terms/identifier> ?version }}"
VERSION_CHECK_ENV = "ANSVARSGRAF_VERSION_CHECK_S"


class RemoteStoreError(RuntimeError):
    """The SPARQL server could not be reached or refused the request."""


class SparqlEndpointStore:
    def __init__(self, query_url: str, update_url: str | None = None, timeout_s: float = 30.0,
                 user: str | None = None, password: str | None = None, digest: bool = False,
                 graph_store_url: str | None = None):
        self.query_url = query_url
        self.update_url = update_url
        self.graph_store_url = graph_store_url
        self.timeout_s = timeout_s
        self._credentials = (user, password) if user else None
        self._digest = digest  # Virtuoso's authenticated endpoint uses HTTP digest
        import os

        self.version_check_s = float(os.environ.get(VERSION_CHECK_ENV, "10"))
        self._version: tuple[float, str] | None = None  # (checked at, version)

    def __repr__(self) -> str:
        return f"SparqlEndpointStore({self.query_url!r})"

    def _client(self, url: str) -> SPARQLWrapper:
        client = SPARQLWrapper(url)
        client.setTimeout(int(max(1, self.timeout_s)))
        client.setMethod(POST)  # queries can be long; POST keeps them out of URLs and logs
        if self._credentials:
            if self._digest:
                client.setHTTPAuth(DIGEST)
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
        result = self._json(bind(query, bindings))
        if "boolean" in result:
            return bool(result["boolean"])
        # Virtuoso may answer ASK as one row with one binding (e.g. __ask_retval = 1).
        rows = result.get("results", {}).get("bindings", [])
        value = next(iter(rows[0].values()))["value"] if rows and rows[0] else "0"
        return value in ("1", "true")

    def construct(self, query: str, bindings=None) -> rdflib.Graph:
        client = self._client(self.query_url)
        client.setQuery(bind(query, bindings))
        client.setReturnFormat(TURTLE)  # every server speaks Turtle; Virtuoso refuses N-Triples here
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

    def _graph_store(self, method: str, name: str, body: bytes | None = None) -> None:
        import urllib.error
        import urllib.parse
        import urllib.request

        url = f"{self.graph_store_url}?{urllib.parse.urlencode({'graph': name})}"
        request = urllib.request.Request(url, data=body, method=method,
                                         headers={"Content-Type": "application/n-triples"} if body is not None else {})
        handlers = []
        if self._credentials:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, self.graph_store_url, *self._credentials)
            handler = urllib.request.HTTPDigestAuthHandler if self._digest else urllib.request.HTTPBasicAuthHandler
            handlers.append(handler(passwords))
        try:
            with urllib.request.build_opener(*handlers).open(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if not (method == "DELETE" and exc.code == 404):
                raise RemoteStoreError(f"Graph Store-adressen {self.graph_store_url} svarade {exc.code}: {exc.read()[:300]!r}") from exc
        except OSError as exc:
            raise RemoteStoreError(f"Graph Store-adressen {self.graph_store_url} svarade inte: {exc}") from exc

    def drop_graph(self, name: str) -> None:
        if self.graph_store_url:
            self._graph_store("DELETE", name)
        else:
            self.update(f"DROP SILENT GRAPH <{name}>")

    def replace_graph(self, name: str, graph: rdflib.Graph) -> None:
        """Replace one named graph so that readers see the old or the new version, never half."""
        if self.graph_store_url:
            self._graph_store("PUT", name, graph.serialize(format="nt", encoding="utf-8"))
            return
        triples = graph.serialize(format="nt").splitlines()
        chunks = [triples[i:i + MAX_UPDATE_TRIPLES] for i in range(0, len(triples), MAX_UPDATE_TRIPLES)] or [[]]
        first = f"DROP SILENT GRAPH <{name}> ;\nINSERT DATA {{ GRAPH <{name}> {{\n" + "\n".join(chunks[0]) + "\n} }"
        self.update(first)
        for chunk in chunks[1:]:
            self.update(f"INSERT DATA {{ GRAPH <{name}> {{\n" + "\n".join(chunk) + "\n} }")

    def data_version(self) -> str:
        """The version `load` last published; asked at most every version_check_s seconds, so
        answers are at most that much behind a new load."""
        import time

        now = time.monotonic()
        if self._version is None or now - self._version[0] >= self.version_check_s:
            rows = self.select(VERSION_QUERY)
            self._version = (now, max((str(r["version"]) for r in rows), default=""))
        return self._version[1]

    def mark_published(self) -> str:
        """Write a new data version (after every graph of a load is in place)."""
        import datetime as dt
        import uuid

        version = uuid.uuid4().hex
        graph = rdflib.Graph()
        node = rdflib.URIRef(VERSION_NODE)
        graph.add((node, rdflib.DCTERMS.identifier, rdflib.Literal(version)))
        graph.add((node, rdflib.DCTERMS.modified, rdflib.Literal(dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                                                  datatype=rdflib.XSD.dateTime)))
        self.replace_graph(VERSION_GRAPH, graph)
        self._version = None
        return version

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

