"""The rewrites a store needs of a shape or a gap rule, read by SPARQL's terminals: a
comment or a string that reads like the thing rewritten is left alone, another spelling of
the same SPARQL is found, and every shape and rule in the repository comes out the same as
rdflib's parser reads it (the algebra, not the text, is compared)."""

import datetime as dt
import re

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


# --- gap rules: the marked tree walks and `# som valfri` (gaps.specialise) ---------------

class Sets:
    """An organisation index with one member for every set a marker may name."""
    def __getattr__(self, name):
        return lambda *args: ["urn:member"]


def specialised(body: str) -> str:
    from ansvarsgraf.gaps import specialise

    return specialise(f"PREFIX ag: <{AG}>\nSELECT * WHERE {{\n{body}}}", Sets(), "urn:kommun", dt.date(2026, 3, 1))


def test_a_marker_in_any_spacing_or_case_is_applied():
    """The former line patterns skipped `#ersätts:` without its space (the rule then ran its
    slow tree walk unnoticed) and refused `filter not exists{` in lower case."""
    text = specialised("  #Ersätts :  organisationer-i-kommunen   $x\n  ?x ag:in* ?kommun .\n"
                       "  #  som valfri: ?y\n  filter not exists{ ?y ag:of ?x } ?x a ag:Board .\n")
    assert "VALUES (?x ?kommun) { (<urn:member> <urn:kommun>) }" in text and "ag:in*" not in text
    assert "OPTIONAL { ?y ag:of ?x }\n  FILTER(!BOUND(?y)) ?x a ag:Board ." in text
    names(text)  # still SPARQL


def test_a_marker_or_a_brace_inside_a_string_or_a_comment_counts_for_nothing():
    """The former patterns read a line of a long string as a marker or as `# slut`, and took
    ?y named only in a comment as bound by the block."""
    body = ('  ?x ag:note """\n  # ersätts: organisationer-i-kommunen ?x\n  ?x ag:in* ?kommun .\n""" .\n'
            '  # ersätts till slut: dokument-i-kraft-i-kommunen ?d\n  ?d ag:note "}" ; ag:text """\n  # slut\n""" .\n'
            '  ?d ag:party ?kommun .\n  # slut\n')
    text = specialised(body)
    assert '"""\n  # ersätts: organisationer-i-kommunen ?x\n  ?x ag:in* ?kommun .\n"""' in text
    assert "VALUES (?d ?kommun)" in text and "ag:party" not in text and "ag:text" not in text
    with pytest.raises(ValueError, match=re.escape("binder inte ?y")):
        specialised("  # som valfri: ?y\n  FILTER EXISTS { ?x ag:of ?z # ?y\n  }\n")


@pytest.mark.parametrize("body, says", [
    ("  # ersätts: organisationer-i-kommunen ?x\n  { ?x ag:in ?kommun } UNION {\n  ?x ag:at ?kommun }\n", "inte helt"),
    ("  # ersätts: organisationer-i-kommunen ?x\n\n  ?x ag:in* ?kommun .\n", "direkt ovanför"),
    ("  # ersätts: organisationer-i-kommunen ?x\n  ?y ag:in* ?kommun .\n", "binder inte ?x"),
    ("  # ersätts: organisationer ?x\n  ?x ag:in* ?kommun .\n", "okänd ersättning"),
    ("  # ersätts till slut: dokument-i-kraft-i-kommunen ?d\n  ?d ag:party ?kommun .\n", "saknar '# slut'"),
    ("  ?d ag:party ?kommun .\n  # slut\n", "står utan"),
    ("  # ersätts organisationer-i-kommunen ?x\n  ?x ag:in* ?kommun .\n", "liknar en markering"),
])
def test_a_marker_that_cannot_be_applied_is_refused(body, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        specialised(body)
