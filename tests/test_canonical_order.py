"""Every store gives the rows in the same order: the query's ORDER BY, as rdflib's SPARQL
parser reads it, then all the values where that leaves ties or there is none
(graph_store.in_canonical_order). Queries here are awkward but legal SPARQL; the rows come
in an order a server might give, which the answer must not depend on."""

import pyoxigraph as ox
import pytest
import rdflib

from ansvarsgraf.graph_store import in_canonical_order

EX = rdflib.Namespace("https://example.org/")
PATTERN = "?sak <https://example.org/namn> ?namn"
# As a server might give them: neither by name nor by thing.
SERVER_ORDER = [(EX.d, "z"), (EX.c, "x"), (EX.b, "y"), (EX.a, "x")]


def _ordered(query: str, names=("sak", "namn")) -> list[str]:
    ox.Store().query(query)  # legal SPARQL (Oxigraph parses it)
    rows = [dict(zip(names, (sak, rdflib.Literal(namn)))) for sak, namn in SERVER_ORDER]
    return [str(row[names[0]]).rsplit("/", 1)[1] for row in in_canonical_order(query, list(names), rows)]


BY_NAME_DESCENDING = ["d", "b", "a", "c"]  # z, y, then the two x by thing
BY_NAME = ["a", "c", "b", "d"]
BY_EVERYTHING = ["a", "b", "c", "d"]


@pytest.mark.parametrize("query, expected", [
    (f"SELECT ?sak ?namn WHERE {{ {PATTERN} }} ORDER BY DESC(?namn)", BY_NAME_DESCENDING),
    (f"select ?sak ?namn where {{ {PATTERN} }} order by desc($namn)", BY_NAME_DESCENDING),  # $namn is ?namn
    (f"SELECT ?sak ?namn WHERE {{ {PATTERN} }} ORDER BY (?namn)", BY_NAME),
    (f"SELECT ?sak ?namn WHERE {{ {PATTERN} }}\nORDER BY ?namn # ORDER BY DESC(?namn)\nLIMIT 10", BY_NAME),
    (f"SELECT ?sak ?namn WHERE {{ {PATTERN} }} ORDER BY ?namn VALUES ?sak {{ <https://example.org/a> }}", BY_NAME),
    (f"PREFIX order: <https://example.org/> # ORDER BY DESC(?namn)\nSELECT ?sak ?namn WHERE {{ {PATTERN} "
     f"FILTER(?namn != \"}} ORDER BY DESC(?namn)\") }} ORDER BY ?namn", BY_NAME),
    (f"SELECT ?sak ?namn WHERE {{ {PATTERN} }}", BY_EVERYTHING),
])
def test_rows_follow_the_order_by(query, expected):
    assert _ordered(query) == expected


def test_a_variable_named_like_a_keyword_is_a_key():
    query = "SELECT ?sak ?limit WHERE { ?sak <https://example.org/namn> ?limit } ORDER BY DESC(?limit) ?sak LIMIT 10"
    assert _ordered(query, ("sak", "limit")) == BY_NAME_DESCENDING


def test_a_triple_that_reads_order_by_orders_nothing():
    query = (f"PREFIX ex: <https://example.org/> PREFIX by: <https://example.org/by#>\n"
             f"SELECT ?sak ?namn WHERE {{ {PATTERN} OPTIONAL {{ ?sak ex:order by:namn }} }}")
    assert _ordered(query) == BY_EVERYTHING


def test_a_sub_selects_order_by_does_not_order_the_answer():
    """SPARQL leaves the order of the outer query open; servers differ in whether they keep the
    sub-SELECT's. So every store gives the canonical order."""
    query = f"SELECT ?sak ?namn {{ {{ SELECT ?sak ?namn WHERE {{ {PATTERN} }} ORDER BY DESC(?namn) LIMIT 4 }} }}"
    assert _ordered(query) == BY_EVERYTHING


def test_an_order_by_an_expression_keeps_the_servers_order():
    query = f"SELECT ?sak ?namn WHERE {{ {PATTERN} }} ORDER BY STRLEN(STR(?sak)) ?namn"
    assert _ordered(query) == ["d", "c", "b", "a"]


def test_reading_the_order_by_leaves_no_query_result_to_another_thread(monkeypatch):
    """The catalog queries the embedded store from worker threads. Reading an ORDER BY with
    rdflib may leave the caller's frames in reference cycles; a pyoxigraph result held there
    and freed by another thread's garbage collection fails ("unsendable")."""
    import gc
    import sys
    import threading
    import uuid

    from ansvarsgraf.embedded_store import OxigraphStore

    store = ox.Store()
    for sak in (EX.a, EX.b):  # two rows: one needs no order
        store.add(ox.Quad(ox.NamedNode(sak), ox.NamedNode(EX.namn), ox.Literal(sak[-1])))
    embedded = OxigraphStore(store)
    failed = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: failed.append(str(unraisable.exc_value)))
    for _ in range(3):  # texts not read before (no cached keys)
        query = f"SELECT ?sak ?namn WHERE {{ {PATTERN} }} ORDER BY ?namn # {uuid.uuid4()}"
        worker = threading.Thread(target=embedded.select, args=(query,))
        worker.start()
        worker.join()
    gc.collect()
    assert failed == []
