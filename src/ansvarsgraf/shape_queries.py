"""The SHACL warning shapes of ontology/shapes.ttl as plain SPARQL on a store, for a date.

`validate` runs the shapes with a SHACL engine on the loaded files; the gap report and the
answers' warnings run the same constraints here, on whatever store serves them, so that a
rule (say RevisionOverdueShape) means the same in all three. A shape's SELECT becomes a
query on ?this (its targets as a pattern) with the validation date bound as ?today."""

import datetime as dt
import re
from collections import defaultdict
from functools import lru_cache
from typing import NamedTuple

import rdflib
from rdflib.namespace import SH

from .graph_store import GraphStore, insert_after_where, terminals
from .paths import ONTOLOGY_FILES
from .validation import load_shapes
from .vocabulary import AG

# The node the validator gives the validation date (validation.py); a store has no such node.
VALIDATION_NODE = rdflib.URIRef("urn:ansvarsgraf:validering")
ABOUT_THE_DATA = rdflib.URIRef("https://w3id.org/ansvarsgraf/shapes#aboutTheData")


class WarningShape(NamedTuple):
    name: str      # "RevisionOverdueShape"
    label: str     # its Swedish rdfs:label
    message: str   # its Swedish sh:message, with {?var} for the row's values
    query: str     # the SELECT with prefixes, run on ?this and ?today
    dated: bool = False  # whether the query reads the date (?today)

    def text(self, row: dict) -> str:
        """The message with the row's values filled in, as the SHACL engines fill it."""
        return re.sub(r"\{\?(\w+)\}", lambda m: str(row.get(m.group(1)) or ""), self.message)


@lru_cache(maxsize=1)
def warning_shapes() -> tuple[WarningShape, ...]:
    """Every warning shape with a SPARQL constraint except those marked `ags:aboutTheData` (a
    statement without support, an invented day): they are about the data and belong to
    `validate`. Every other warning shape is a kind of responsibility gap with its heading in
    ontology/vocabularies.ttl (ag:GapKind; a test holds the two together, so a new shape is
    never silently left out of the report)."""
    shapes = load_shapes()
    namespaces = {str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace)) for d in shapes.objects(None, SH.declare)}
    prefixes = "\n".join(f"PREFIX {name}: <{namespace}>" for name, namespace in namespaces.items())
    found = []
    for shape in shapes.subjects(SH.severity, SH.Warning):
        if shapes.value(shape, ABOUT_THE_DATA) is not None:
            continue  # about the data (support, an invented day), not a gap in the world
        targets = _target_pattern(shapes, shape)
        for constraint in shapes.objects(shape, SH.sparql):
            select = dated_on_store(str(shapes.value(constraint, SH.select)), namespaces)
            # Run without SHACL's focus nodes, the shape's targets must become a pattern, in
            # the query's own WHERE group (not a "WHERE {" in a comment or string).
            select = insert_after_where(select, [targets])
            message = next((str(m) for m in shapes.objects(constraint, SH.message) if m.language == "sv"), "")
            label = next((str(m) for m in shapes.objects(shape, rdflib.RDFS.label) if m.language == "sv"), str(shape))
            dated = any(t.lastgroup == "variable" and t.group() == "?today" for t in terminals(select))
            found.append(WarningShape(str(shape).rsplit("#", 1)[-1], label, message, prefixes + "\n" + select, dated))
    return tuple(sorted(found))


def warning_shape(name: str) -> WarningShape:
    return next(s for s in warning_shapes() if s.name == name)


def shape_rows(store: GraphStore, shape: WarningShape, on_date: dt.date,
               focus: list[str] | None = None) -> dict[str, list[dict]]:
    """The shape's result rows on the date, by focus node: for these focus nodes, or for
    every target of the shape. One query."""
    bindings: dict = {"today": rdflib.Literal(on_date.isoformat(), datatype=rdflib.XSD.date)} if shape.dated else {}
    if focus is not None:
        if not focus:
            return {}
        bindings["this"] = [rdflib.URIRef(f) for f in focus]
    rows: dict[str, list[dict]] = defaultdict(list)
    for row in store.select(shape.query, bindings):
        rows[str(row["this"])].append(row)
    return dict(rows)


def dated_on_store(select: str, namespaces: dict[str, str]) -> str:
    """A SHACL SELECT as a store runs it: every variable written ?x (SHACL's $this is ?this),
    and each triple that reads the validation date (`<urn:ansvarsgraf:validering>
    ag:validationDate ?d .`, which only the validator's data graph has) taken out, its
    variable becoming ?today, which the caller binds. A date read again under another name
    inside an EXISTS (where rdflib's OPTIONAL does not see ?today) is ?today too: not
    `BIND(?today AS …)`, which Virtuoso 7.2.5 loses inside a NOT EXISTS (docs/drift.md).

    Read by SPARQL's terminals (graph_store.terminals), not by a pattern on the text: a
    comment or a string that reads like a date triple is left alone, the predicate may be a
    prefixed name or a full IRI and the variable ?d or $d. Any other use of the node (`… ?d ;
    ag:other ?x`, a path) is refused rather than half taken out; tests/test_store_rewrites.py
    checks with rdflib's algebra that no shape keeps a date triple. (The terminals, not the
    algebra, because parsing the revision shape takes a second or more, on the first answer.)"""
    code = [t for t in terminals(select) if t.lastgroup not in ("comment", "string")]
    triples, dates = [], set()
    for n, token in enumerate(code):
        if _iri(token, namespaces) != VALIDATION_NODE:
            continue
        predicate, variable, end = code[n + 1:n + 4] if n + 3 < len(code) else (None, None, None)
        if predicate is None or _iri(predicate, namespaces) != AG.validationDate or variable.lastgroup != "variable" \
                or end.group() not in (".", "}"):
            raise ValueError("valideringsdatumet ska läsas i en egen trippel: "
                             "`<urn:ansvarsgraf:validering> ag:validationDate ?datum .`")
        triples.append((token.start(), end.end() if end.group() == "." else variable.end()))
        dates.add(variable.group()[1:])
    edits = [(start, end, "") for start, end in triples]
    edits += [(t.start(), t.end(), "?today" if t.group()[1:] in dates else "?" + t.group()[1:]) for t in code
              if t.lastgroup == "variable" and not any(start <= t.start() < end for start, end in triples)]
    for start, end, text in sorted(edits, reverse=True):
        select = select[:start] + text + select[end:]
    return select


def _iri(token, namespaces: dict[str, str]) -> rdflib.URIRef | None:
    """The IRI a terminal names: <…>, or a prefixed name with a declared prefix."""
    text = token.group()
    if token.lastgroup == "iri":
        return rdflib.URIRef(text[1:-1])
    if token.lastgroup == "word" and ":" in text:
        prefix, local = text.split(":", 1)
        if prefix in namespaces:
            return rdflib.URIRef(namespaces[prefix] + local)
    return None


def _target_pattern(shapes: rdflib.Graph, shape) -> str:
    """The shape's sh:targetClass / sh:targetSubjectsOf as a SPARQL pattern on ?this.

    A class target lists the class and its subclasses from the ontology rather than follow
    `a/rdfs:subClassOf*` in the store: Virtuoso 7.2.5 loses or repeats rows when that path
    is joined with an OPTIONAL that filters on lang() (docs/drift.md)."""
    alternatives = []
    for target in shapes.objects(shape, SH.targetClass):
        classes = ", ".join(f"<{c}>" for c in sorted(_with_subclasses(str(target))))
        alternatives.append(f"{{ ?this a ?targetType . FILTER(?targetType IN ({classes})) }}")
    alternatives += [f"{{ ?this <{p}> ?targetValue }}" for p in shapes.objects(shape, SH.targetSubjectsOf)]
    return " UNION ".join(alternatives)


def _with_subclasses(cls: str) -> set[str]:
    return {str(c) for c in _ontology().transitive_subjects(rdflib.RDFS.subClassOf, rdflib.URIRef(cls))}


@lru_cache(maxsize=1)
def _ontology() -> rdflib.Graph:
    ontology = rdflib.Graph()
    for path in ONTOLOGY_FILES:
        ontology.parse(path)
    return ontology
