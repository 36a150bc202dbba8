"""Every named query (queries/*.rq), gap rule (queries/luckor/*.rq) and query about the store
itself (queries/lager/*.rq) is SPARQL that rdflib's parser reads, uses each variable its '# Bind:' line declares, and asks only this graph."""

import pytest

from ansvarsgraf.gaps import RULES_DIR
from ansvarsgraf.paths import QUERIES_DIR
from ansvarsgraf.queries import NamedQuery, all_queries


def test_every_named_query_and_rule_is_sound():
    queries = [*all_queries().values(), *all_queries(RULES_DIR).values(), *all_queries(QUERIES_DIR / "lager").values()]
    assert len(queries) > 50
    assert [p for q in queries for p in q.problems()] == []
    assert sum(q.needs_bindings for q in queries) >= 15  # the checks above did see declarations


@pytest.mark.parametrize("text,problem", [
    ("# Bind: ?kommun\nSELECT ?a WHERE { ?a ?b ?c }", "anger ?kommun under # Bind: men använder den inte"),
    ("SELECT ?a WHERE { SERVICE <https://example.org/sparql> { ?a ?b ?c } }", "SERVICE"),
    ("DELETE WHERE { ?a ?b ?c }", "går inte att tolka som SPARQL-fråga (rad 1)"),
    ("# En fråga WHERE { i kommentaren }\nSELECT ?a WHERE { ?a ?b ?c", "går inte att tolka"),
])
def test_a_broken_query_is_named_with_what_is_wrong(text, problem):
    (found,) = NamedQuery("trasig", "", text).problems()
    assert found.startswith("trasig.rq") and problem in found
