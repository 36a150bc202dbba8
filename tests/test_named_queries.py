"""Every named query (queries/*.rq), gap rule (queries/luckor/*.rq) and query about the store
itself (queries/lager/*.rq) is SPARQL that rdflib's parser reads, uses each variable its '# Bind:' line declares, and asks only this graph."""

import ast
import re
from pathlib import Path

import pytest

import ansvarsgraf
from ansvarsgraf.gaps import RULES_DIR
from ansvarsgraf.paths import QUERIES_DIR
from ansvarsgraf.queries import NamedQuery, all_queries

PACKAGE = Path(ansvarsgraf.__file__).parent


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


# The store layer builds its own bookkeeping statements (the version graph, the publish lock,
# the bindings' sub-SELECT, the fast SHACL engine's targets) from constants its updates share;
# every other module reads its SPARQL from queries/.
BUILDS_ITS_OWN = {"graph_store", "remote_store", "publish", "fast_shacl"}
SPARQL_FORM = re.compile(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b[^\"']*(WHERE|\{)|\bPREFIX\s+\w*:\s*<", re.IGNORECASE)


def sparql_in_python(package: Path = PACKAGE) -> list[str]:
    """String constants that read as a SPARQL query (a query form with a group, and a
    variable), outside the store layer: not a docstring, a message naming a keyword or SQL
    with its bare `?` parameters."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.stem in BUILDS_ITS_OWN:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        found += [f"{path.name}:{node.lineno}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                  and SPARQL_FORM.search(node.value) and re.search(r"[?$]\w", node.value)]
    return found


def test_no_sparql_query_is_written_in_python():
    assert sparql_in_python() == []


def test_a_query_written_in_python_is_found(tmp_path):
    """The check can fail: the former ONTOLOGY_QUERY of web/linked_data.py, and an f-string."""
    package = tmp_path / "ansvarsgraf"
    package.mkdir()
    (package / "pages.py").write_text('Q = """\nCONSTRUCT { ?s ?p ?o } WHERE {\n  ?s ?p ?o }"""\n'
                                      'def f(x):\n    return f"SELECT ?a WHERE {{ <{x}> ?p ?a }}"\n', encoding="utf-8")
    assert sparql_in_python(package) == ["pages.py:1", "pages.py:5"]
