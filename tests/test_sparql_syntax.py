"""One parser lock for all SPARQL parsing (sparql_syntax.py): rdflib's grammar keeps parse
state in shared objects, so two threads parsing at once fail. Every module parses through
sparql_syntax, never with rdflib's parser directly."""

import ast
from pathlib import Path

import ansvarsgraf
PACKAGE = Path(ansvarsgraf.__file__).parent
# rdflib's entry points that parse SPARQL text (prepareQuery and Graph.query parse too).
PARSERS = {"parseQuery", "parseUpdate", "translateQuery", "translateUpdate", "prepareQuery", "prepareUpdate"}


def parsing_without_the_lock(package: Path = PACKAGE) -> list[str]:
    """Modules other than sparql_syntax that import one of rdflib's parsers."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "sparql_syntax.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rdflib"):
                found += [f"{path.name}: {a.name}" for a in node.names if a.name in PARSERS]
            elif isinstance(node, ast.Attribute) and node.attr in PARSERS:
                found.append(f"{path.name}: {node.attr}")
    return found


def test_every_parse_takes_the_one_lock():
    assert parsing_without_the_lock() == []


def test_a_parse_around_the_lock_is_found(tmp_path):
    """The check can fail: each way a module could reach rdflib's parser is caught."""
    package = tmp_path / "ansvarsgraf"
    package.mkdir()
    for line in ("from rdflib.plugins.sparql.parser import parseQuery",
                 "from rdflib.plugins.sparql import prepareQuery",
                 "import rdflib.plugins.sparql.algebra as a\nq = a.translateQuery"):
        (package / "queries.py").write_text(line + "\n", encoding="utf-8")
        assert parsing_without_the_lock(package) != [], line
    (package / "queries.py").write_text("from .sparql_syntax import parse_query\n", encoding="utf-8")
    assert parsing_without_the_lock(package) == []

