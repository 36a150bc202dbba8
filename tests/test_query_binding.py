"""Bindings land in the query's WHERE group, never in a comment or a string that happens
to read "WHERE {", on the embedded store and in the form sent to SPARQL servers."""

import pytest
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


# Awkward but legal SPARQL: each query selects ?sak and ?namn of the three things, and binding
# ?sak must limit the rows on the embedded store and in the form sent to servers alike.
NAMN = "<https://example.org/namn>"
AWKWARD = {
    "gemener, ingen blank före klammern": f"select ?sak ?namn where{{ ?sak {NAMN} ?namn }}",
    "utan det valfria WHERE": f"SELECT ?sak ?namn {{ ?sak {NAMN} ?namn }}",
    "under-SELECT först, utan WHERE": (f"SELECT ?sak ?namn {{\n  {{ SELECT ?annan WHERE {{ ?annan {NAMN} \"a\" }} }}\n"
                                       f"  ?sak {NAMN} ?namn\n}}"),
    "under-SELECT i EXISTS i projektionen": (f"SELECT ?sak ?namn (EXISTS {{ SELECT ?x WHERE {{ ?x {NAMN} \"a\" }} }} AS ?finns)\n"
                                             f"WHERE {{ ?sak {NAMN} ?namn }}"),
    "klamrar och WHERE i kommentarer, strängar och PREFIX": (
        "PREFIX where: <https://example.org/>  # WHERE { ?sak\n"
        "PREFIX select: <https://example.org/x#WHERE>\n"
        "SELECT ?sak ?namn # { inte här\n"
        "WHERE { ?sak where:namn ?namn . FILTER(?namn != \"\"\"}\n WHERE {\"\"\" && ?namn != '{' && ?namn != \"\\\"{\") }"),
}


@pytest.mark.parametrize("query", AWKWARD.values(), ids=AWKWARD.keys())
def test_awkward_queries_are_bound_in_their_own_where_group(query):
    store = _store()
    for value, expected in ((EX.b, ["b"]), ([EX.a, EX.c], ["a", "c"])):
        assert sorted(str(r["namn"]) for r in store.select(query, {"sak": value})) == expected
        text = bind_for_server(query, {"sak": value})  # (rdflib cannot run EXISTS { SELECT … }; Oxigraph can)
        assert sorted(str(r["namn"]) for r in store.select(text)) == expected, text
    assert len(store.select(query)) == 3


@pytest.mark.parametrize("query", [
    f"ASK {{ ?sak {NAMN} \"a\" }}",
    f"ask where{{ ?sak {NAMN} \"a\" }}",
    f"ASK # WHERE {{ här }}\n{{ ?sak {NAMN} ?namn FILTER(?namn = \"a\") }}",
])
def test_an_ask_without_where_is_bound_too(query):
    store = _store()
    assert store.ask(query, {"sak": EX.a}) is True
    assert store.ask(query, {"sak": EX.b}) is False
    assert bool(_graph().query(bind_for_server(query, {"sak": EX.b})).askAnswer) is False


@pytest.mark.parametrize("query", [
    f"CONSTRUCT {{ ?sak <urn:heter> ?namn }} WHERE {{ ?sak {NAMN} ?namn }}",
    f"CONSTRUCT {{ ?sak <urn:heter> ?namn }} {{ ?sak {NAMN} ?namn }}",  # the group without WHERE
])
def test_a_construct_is_bound_in_its_pattern_not_its_template(query):
    graph = _store().construct(query, {"sak": EX.b})
    assert sorted(str(o) for o in graph.objects()) == ["b"]
    assert sorted(str(o) for _s, _p, o in _graph().query(bind_for_server(query, {"sak": EX.b}))) == ["b"]


def test_a_query_without_a_group_is_refused_in_words():
    with pytest.raises(ValueError, match="saknar WHERE"):
        bind("DESCRIBE <https://example.org/a>", {"sak": EX.b})


def test_a_warning_shapes_targets_land_in_its_where_group(monkeypatch):
    """shape_queries puts a shape's targets into its SELECT the same way: a header comment
    that reads "WHERE {" takes nothing."""
    from ansvarsgraf import shape_queries

    shapes = rdflib.Graph().parse(data='''
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:ex:Namnform> a sh:NodeShape ; sh:severity sh:Warning ; sh:targetSubjectsOf <https://example.org/namn> ;
            sh:sparql [ sh:message "namn {?namn}"@sv ; sh:select """# Varnar för … WHERE { … } i en kommentar
                SELECT $this ?namn WHERE { $this <https://example.org/namn> ?namn FILTER(?namn != "b") }""" ] .
    ''', format="turtle")
    monkeypatch.setattr(shape_queries, "load_shapes", lambda: shapes)
    shape_queries.warning_shapes.cache_clear()
    try:
        (shape,) = shape_queries.warning_shapes()
        assert "# Varnar för … WHERE { … } i en kommentar" in shape.query.splitlines()
        rows = _store().select(shape.query)
    finally:
        shape_queries.warning_shapes.cache_clear()
    assert sorted(str(r["namn"]) for r in rows) == ["a", "c"]
