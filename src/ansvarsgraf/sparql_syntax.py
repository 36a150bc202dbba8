"""rdflib's SPARQL parser, one parse at a time, and what its parse tree holds.

rdflib's SPARQL grammar (pyparsing) keeps parse state in shared objects: two threads parsing
at once fail with TypeError (seen as 500s under 8 concurrent requests). Every parse in the
package goes through here and takes PARSER_LOCK: the named queries' checks, the binding
order keys, the public endpoint's check, the SHACL engines' constraints and the shapes and
gap rules rewritten for a store (a forked child takes a fresh lock, sparql_endpoint._work).
tests/test_sparql_syntax.py holds every other module to it.
"""

import threading

from pyparsing import ParseResults
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Variable

PARSER_LOCK = threading.Lock()


def parse_query(text: str):
    """rdflib's parse of a SPARQL query (ParseException when it is not one)."""
    with PARSER_LOCK:
        return parseQuery(text)


def parse_update(text: str):
    """rdflib's parse of a SPARQL update (ParseException when it is not one)."""
    with PARSER_LOCK:
        return parseUpdate(text)


def algebra(text: str, base: str | None = None, namespaces: dict | None = None):
    """The query's SPARQL algebra (rdflib's translateQuery of its parse)."""
    return translateQuery(parse_query(text), base, namespaces)


def parse_tree(node):
    """Every node of rdflib's parse tree or algebra (CompValues hold their parts by name,
    lists in order). The algebra keeps an EXISTS's translated pattern as an attribute of
    its node, beside the parsed one under the same name: both are walked."""
    yield node
    if isinstance(node, CompValue):
        children = [*node.values(), *(v for v in vars(node).values() if isinstance(v, CompValue))]
    else:
        children = node if isinstance(node, (list, ParseResults)) else ()
    for child in children:
        yield from parse_tree(child)


def variables(parsed) -> set[str]:
    """The names of the variables anywhere in a parse (?x and $x are one variable)."""
    return {str(n) for n in parse_tree(parsed) if isinstance(n, Variable)}


def contains(parsed, name: str) -> bool:
    """Whether the parse has a part of this grammar rule (e.g. ServiceGraphPattern)."""
    return any(isinstance(n, CompValue) and n.name == name for n in parse_tree(parsed))
