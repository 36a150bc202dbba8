"""The rewrites a store needs of a shape or a gap rule, read by SPARQL's terminals: a
comment or a string that reads like the thing rewritten is left alone, another spelling of
the same SPARQL is found, and every shape and rule in the repository comes out the same as
rdflib's parser reads it (the algebra, not the text, is compared)."""

import pytest
import rdflib

from ansvarsgraf.graph_store import terminals
from ansvarsgraf.shape_queries import VALIDATION_NODE, dated_on_store, warning_shapes
from ansvarsgraf.sparql_syntax import algebra, parse_tree, variables
from ansvarsgraf.validation import load_shapes
from ansvarsgraf.vocabulary import AG

NAMESPACES = {"ag": str(AG), "skos": str(rdflib.SKOS)}
PREFIXES = "".join(f"PREFIX {p}: <{n}>\n" for p, n in NAMESPACES.items())


def date_triples(query: str) -> list:
    """The triples of a query's algebra that read the validation date (EXISTS included)."""
    return [(s, p, o) for node in parse_tree(algebra(query).algebra) if getattr(node, "name", None) == "BGP"
            for s, p, o in node.triples if s == VALIDATION_NODE]


def names(query: str) -> set[str]:
    return variables(algebra(query).algebra)


def test_no_shape_reads_the_validation_date_on_a_store():
    """Every warning shape as run on a store (shape_queries.warning_shapes) reads no triple of
    the validator's date node, and each variable the shape read the date into is ?today."""
    shapes = load_shapes()
    selects = {str(s).rsplit("#", 1)[-1]: PREFIXES + str(shapes.value(c, rdflib.SH.select))
               for s in shapes.subjects(rdflib.SH.severity, rdflib.SH.Warning) for c in shapes.objects(s, rdflib.SH.sparql)}
    checked = 0
    for shape in warning_shapes():
        original = selects[shape.name]
        dates = {str(o) for _s, _p, o in date_triples(original)}
        assert date_triples(shape.query) == [], shape.name
        assert names(shape.query) == (names(original) - dates) | ({"today"} if dates else set()) \
            | {"targetType", "targetValue"} & names(shape.query), shape.name
        assert shape.dated == bool(dates), shape.name
        checked += bool(dates)
    assert checked >= 2  # the revision and the repealed-provision shapes read the date


def rewritten(select: str) -> str:
    return dated_on_store(select, NAMESPACES)


def test_a_date_triple_is_taken_out_and_its_variable_becomes_today():
    query = rewritten("""SELECT $this ?d WHERE {
        <urn:ansvarsgraf:validering>   ag:validationDate
            $d .
        $this ag:due ?due . FILTER(?due < ?d)
        FILTER NOT EXISTS { <urn:ansvarsgraf:validering> <https://w3id.org/ansvarsgraf/def#validationDate> ?again.
                            $this ag:later ?l . FILTER(?l <= ?again) }
    }""")
    assert date_triples(PREFIXES + query) == []
    assert names(PREFIXES + query) == {"this", "today", "due", "l"}
    assert "$" not in query


def test_a_comment_or_a_string_that_reads_like_a_date_triple_is_left_alone():
    """The former regexes renamed ?last everywhere after a comment naming it, and wrote
    "$this" inside a string as "?this"."""
    select = """SELECT $this ?last WHERE {
        # not <urn:ansvarsgraf:validering> ag:validationDate ?last . (the date is read below)
        <urn:ansvarsgraf:validering> ag:validationDate ?today .
        $this ag:modified ?last ; skos:note ?note .
        FILTER(?note != "$this <urn:ansvarsgraf:validering> ag:validationDate ?last .")
    }"""
    query = rewritten(select)
    assert "?last" in query.split("\n", 2)[1]  # the comment as written
    assert '"$this <urn:ansvarsgraf:validering> ag:validationDate ?last ."' in query
    assert names(PREFIXES + query) == {"this", "last", "note"}
    assert {t.group() for t in terminals(query) if t.lastgroup == "variable"} == {"?this", "?last", "?note"}


@pytest.mark.parametrize("use", [
    "<urn:ansvarsgraf:validering> ag:validationDate ?d ; ag:other ?x .",
    "<urn:ansvarsgraf:validering> ag:validationDate/ag:next ?d .",
    "?x ag:seenBy <urn:ansvarsgraf:validering> .",
])
def test_another_use_of_the_validation_node_is_refused(use):
    with pytest.raises(ValueError, match="egen trippel"):
        rewritten(f"SELECT $this WHERE {{ {use} $this ag:p ?d }}")
