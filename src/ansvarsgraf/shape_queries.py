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

from .graph_store import GraphStore, insert_after_where
from .paths import ONTOLOGY_FILES
from .validation import load_shapes

VALIDATION_TRIPLE = "<urn:ansvarsgraf:validering> ag:validationDate ?today ."
# The validation date read again under another name, as a shape may inside an EXISTS.
DATE_AGAIN = re.compile(r"<urn:ansvarsgraf:validering>\s+ag:validationDate\s+\?(\w+)\s*\.")
ABOUT_THE_DATA = rdflib.URIRef("https://w3id.org/ansvarsgraf/shapes#aboutTheData")


class WarningShape(NamedTuple):
    name: str      # "RevisionOverdueShape"
    label: str     # its Swedish rdfs:label
    message: str   # its Swedish sh:message, with {?var} for the row's values
    query: str     # the SELECT with prefixes, run on ?this and ?today

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
    prefixes = "\n".join(f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>"
                         for d in shapes.objects(None, SH.declare))
    found = []
    for shape in shapes.subjects(SH.severity, SH.Warning):
        if shapes.value(shape, ABOUT_THE_DATA) is not None:
            continue  # about the data (support, an invented day), not a gap in the world
        targets = _target_pattern(shapes, shape)
        for constraint in shapes.objects(shape, SH.sparql):
            select = str(shapes.value(constraint, SH.select)).replace("$this", "?this")
            select = select.replace(VALIDATION_TRIPLE, "")
            # The date read again under another name, inside an EXISTS (where rdflib's OPTIONAL
            # does not see ?today), is ?today on a store: not `BIND(?today AS …)`, which Virtuoso
            # 7.2.5 loses inside a NOT EXISTS (docs/drift.md). The text stays one per shape.
            for name in set(DATE_AGAIN.findall(select)):
                select = re.sub(rf"\?{name}\b", "?today", DATE_AGAIN.sub("", select))
            # Run without SHACL's focus nodes, the shape's targets must become a pattern, in
            # the query's own WHERE group (not a "WHERE {" in a comment or string).
            select = insert_after_where(select, [targets])
            message = next((str(m) for m in shapes.objects(constraint, SH.message) if m.language == "sv"), "")
            label = next((str(m) for m in shapes.objects(shape, rdflib.RDFS.label) if m.language == "sv"), str(shape))
            found.append(WarningShape(str(shape).rsplit("#", 1)[-1], label, message, prefixes + "\n" + select))
    return tuple(sorted(found))


def warning_shape(name: str) -> WarningShape:
    return next(s for s in warning_shapes() if s.name == name)


def shape_rows(store: GraphStore, shape: WarningShape, on_date: dt.date,
               focus: list[str] | None = None) -> dict[str, list[dict]]:
    """The shape's result rows on the date, by focus node: for these focus nodes, or for
    every target of the shape. One query."""
    bindings: dict = {"today": rdflib.Literal(on_date.isoformat(), datatype=rdflib.XSD.date)} if "?today" in shape.query else {}
    if focus is not None:
        if not focus:
            return {}
        bindings["this"] = [rdflib.URIRef(f) for f in focus]
    rows: dict[str, list[dict]] = defaultdict(list)
    for row in store.select(shape.query, bindings):
        rows[str(row["this"])].append(row)
    return dict(rows)


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
