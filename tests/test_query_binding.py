"""Bindings land in the query's WHERE group, never in a comment or a string that happens
to read "WHERE {", on the embedded store and in the form sent to SPARQL servers."""

import rdflib

from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.graph_store import bind
from ansvarsgraf.remote_store import bind_for_server

EX = rdflib.Namespace("https://example.org/")
# A header comment and a string that each contain "WHERE {" (an IRI cannot hold a "{").
QUERY = """# Vilka namn finns? Frågan binds som SELECT … WHERE { … }.
# Bind: ?sak
SELECT ?sak ?namn WHERE {
  ?sak <https://example.org/namn> ?namn .
  FILTER(?namn != "WHERE { inte här }")
}"""


def _graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in ("a", "b", "c"):
        graph.add((EX[name], EX.namn, rdflib.Literal(name)))
    return graph


def _store() -> OxigraphStore:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(_graph().serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return OxigraphStore(store)


def test_a_bound_variable_limits_the_rows_though_a_comment_reads_where():
    store = _store()
    assert [str(r["namn"]) for r in store.select(QUERY, {"sak": EX.b})] == ["b"]
    assert [str(r["namn"]) for r in store.select(QUERY, {"sak": [EX.a, EX.c]})] == ["a", "c"]
    assert len(store.select(QUERY)) == 3


def test_the_comment_and_the_literal_are_left_as_they_were():
    bound = bind(QUERY, {"sak": EX.b})
    assert bound.splitlines()[0] == QUERY.splitlines()[0]
    assert '"WHERE { inte här }"' in bound


def test_the_form_for_servers_is_bound_in_the_where_group_too():
    graph = _graph()
    for value, expected in ((EX.b, ["b"]), ([EX.a, EX.c], ["a", "c"])):
        text = bind_for_server(QUERY, {"sak": value})
        assert sorted(str(r.namn) for r in graph.query(text)) == expected, text
