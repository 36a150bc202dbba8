"""Whole-graph SHACL validation fast enough for a national graph, with pySHACL's results.

Why this exists: pySHACL runs every SPARQL-based constraint once per focus node on rdflib
(about 10 ms a node), so at ~100k triples a full run did not finish in 300 s; the SPARQL
constraints were nearly all of that time (see benchmarks/run.py). Here:

- the core constraints (minCount, class, or, in, pattern, qualifiedValueShape …) run in
  pyshacl-turbo, a Rust SHACL engine with pySHACL's calls, on a pyoxigraph Store;
- each SPARQL-based constraint runs as ONE query over the whole graph on pyoxigraph: the
  constraint's SELECT with $this left as a variable and joined with the shape's targets.
  That is what SHACL means when every target is a focus node, and it lets the query engine
  plan once instead of 100 000 times. pyshacl-turbo also evaluates SPARQL constraints, but
  it parses `a - 1 + b` as `a - (1 + b)` (a revision due 2020-11 became 2018-11) and took
  50 s on one property-path constraint that pyoxigraph answers in milliseconds.

pySHACL stays the reference: the results are built as pySHACL 0.40 builds them (focus node,
sh:value defaulting to the focus node, ?path as result path, {?var} and {$this} filled in
messages, duplicates per focus node dropped, the shape's severity), and
tests/test_validation_engines.py compares both engines on the bundled data and fixtures.
A shapes graph using something this module cannot run whole-graph with the same meaning
(SPARQL on property shapes, nested SELECT, aggregates, LIMIT …) raises UnsupportedShapes
instead of giving different answers.
"""

import logging
import re
import time
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from pyparsing import ParseException
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.plugins.sparql.parserutils import CompValue

from .graph_store import insert_after_where
from .sparql_syntax import parse_query, parse_tree

ENGINE_NAME = "pyshacl-turbo (kärnregler) + pyoxigraph (SPARQL-regler)"
# Each step's time at DEBUG ("kärnregler", "lager", one line per SPARQL constraint): the
# benchmark collects them to show which check grows with the graph (benchmarks/run.py).
TIMINGS = logging.getLogger(__name__ + ".timings")


def missing() -> str | None:
    """Why the fast engine cannot run here (its Rust part is not installed), or None."""
    try:
        import pyshacl_turbo  # noqa: F401
    except ImportError as exc:
        return f"pyshacl-turbo saknas ({exc.name}); installera med `pip install -e .`"
    return None
_TARGET_OBJECT = "?ansvarsgraf_target_object"


class UnsupportedShapes(ValueError):
    """The shapes use a construct the whole-graph engine cannot run with pySHACL's meaning."""


@dataclass(frozen=True)
class ShaclResult:
    """One validation result, as either engine reports it (what Finding is located from)."""

    focus: rdflib.term.Node
    path: rdflib.term.Node | None
    value: rdflib.term.Node | None
    severity: rdflib.URIRef
    messages: tuple[rdflib.Literal, ...]
    shape: rdflib.term.Node


def results_from_report(report: rdflib.Graph) -> list[ShaclResult]:
    """The results of a SHACL validation report graph (pySHACL's or pyshacl-turbo's)."""
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        found.append(ShaclResult(
            focus=report.value(result, SH.focusNode),
            path=report.value(result, SH.resultPath),
            value=report.value(result, SH.value),
            severity=report.value(result, SH.resultSeverity),
            messages=tuple(sorted(report.objects(result, SH.resultMessage), key=str)),
            shape=report.value(result, SH.sourceShape),
        ))
    return found


# --- compiling the shapes -----------------------------------------------------------------

@dataclass(frozen=True)
class SparqlConstraint:
    shape: rdflib.term.Node
    severity: rdflib.URIRef
    messages: tuple[rdflib.Literal, ...]  # the constraint's sh:message, then the shape's own
    query: str  # the whole-graph query: prefixes, SELECT with ?this joined to the targets
    variables: tuple[str, ...]  # projected variables, in projection order


@dataclass
class Plan:
    core_shapes: rdflib.Graph  # the shapes without their sh:sparql constraints
    core: object  # pyshacl_turbo.CompiledShapes, compiled once
    sparql: list[SparqlConstraint]


# What a SPARQL constraint must not contain, as nodes of rdflib's parse tree (not found in the
# text: a comment or a string saying "LIMIT" is no LIMIT).
_UNSUPPORTED = {
    # pySHACL itself refuses these in SPARQL constraints.
    "MinusGraphPattern": "MINUS", "InlineData": "VALUES", "ValuesClause": "VALUES", "ServiceGraphPattern": "SERVICE",
    # These mean something else once per focus node than once for the whole graph.
    "SubSelect": "nästlad SELECT", "LimitOffsetClauses": "LIMIT/OFFSET/GROUP BY/HAVING",
    "GroupClause": "LIMIT/OFFSET/GROUP BY/HAVING", "HavingClause": "LIMIT/OFFSET/GROUP BY/HAVING",
}
_SHACL_VARIABLES = {"shapesGraph", "currentShape", "PATH", "failure"}
_TARGETS = {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target}
# What a shape may say besides constraints (targets, metadata, severity, messages).
_NOT_CONSTRAINTS = _TARGETS | {RDF.type, RDFS.label, RDFS.comment, SH.severity, SH.message, SH.deactivated,
                               SH.name, SH.description, SH.order, SH.group}


def compile_plan(shapes: rdflib.Graph) -> Plan:
    """Split the shapes into the core part (for pyshacl-turbo) and whole-graph SPARQL queries."""
    import pyshacl_turbo

    constraints = []
    for shape, node in sorted(shapes.subject_objects(SH.sparql)):
        if _deactivated(shapes, shape) or _deactivated(shapes, node):
            continue
        constraints.append(_compile_constraint(shapes, shape, node))
    core = rdflib.Graph()
    for prefix, namespace in shapes.namespaces():
        core.bind(prefix, namespace)
    core += shapes
    core.remove((None, SH.sparql, None))
    for shape in {c.shape for c in constraints}:
        if {p for p in core.predicates(shape) if p.startswith(str(SH))} <= _NOT_CONSTRAINTS:
            # Nothing left for the core engine to check on this shape; its targets would
            # only cost time (ReferenceExistsShape's SPARQL target: seconds at 1M triples;
            # UnsupportedStatementShape's over every supported value: minutes at 370k). Only
            # SHACL's own terms can be constraints: the project's annotations on a shape
            # (ags:aboutTheData) are not, and must not keep its targets in the core.
            for target in _TARGETS:
                core.remove((shape, target, None))
    program = pyshacl_turbo.compile_shapes(core, advanced=True)
    return Plan(core_shapes=core, core=program, sparql=constraints)


@lru_cache(maxsize=4)
def cached_plan(shapes: rdflib.Graph) -> Plan:
    return compile_plan(shapes)


def _deactivated(graph: rdflib.Graph, node) -> bool:
    return any(getattr(v, "value", None) is True for v in graph.objects(node, SH.deactivated))


def _compile_constraint(shapes: rdflib.Graph, shape, node) -> SparqlConstraint:
    name = str(shape)
    if (shape, SH.path, None) in shapes:
        raise UnsupportedShapes(f"{name}: SPARQL-regel på en egenskapsform stöds inte; kör med pySHACL")
    if (None, None, shape) in shapes:
        # Removing the SPARQL constraint from a shape that another shape uses (sh:node,
        # sh:or, sh:qualifiedValueShape …) would change what that shape checks.
        raise UnsupportedShapes(f"{name}: en form med SPARQL-regel används av en annan form; kör med pySHACL")
    selects = list(shapes.objects(node, SH.select))
    if len(selects) != 1:
        raise UnsupportedShapes(f"{name}: en SPARQL-regel ska ha exakt en sh:select")
    select = str(selects[0])
    try:
        parsed = parse_query(select)
    except ParseException as exc:
        raise UnsupportedShapes(f"{name}: SPARQL-regeln går inte att tolka (rad {exc.lineno}): {exc.msg}") from exc
    nodes = list(parse_tree(parsed))
    kinds = {n.name for n in nodes if isinstance(n, CompValue)}
    refused = sorted({_UNSUPPORTED[k] for k in kinds if k in _UNSUPPORTED} | {"aggregat" for k in kinds if k.startswith("Aggregate_")})
    if {str(n) for n in nodes if isinstance(n, rdflib.Variable)} & _SHACL_VARIABLES:
        refused.append("$shapesGraph/$currentShape/$PATH/?failure")
    if refused:
        raise UnsupportedShapes(f"{name}: {refused[0]} i en SPARQL-regel stöds inte av den snabba valideringen; kör med pySHACL")
    projection = parsed[1]["projection"] if "projection" in parsed[1] else None  # CompValue.get gives the key
    if not projection:
        raise UnsupportedShapes(f"{name}: SELECT * stöds inte; räkna upp variablerna")
    variables = tuple(str(p["var"]) for p in projection if "var" in p)
    if "this" not in variables or len(variables) < len(projection):
        # pySHACL drops rows where none of this/path/value is bound, and treats projected
        # expressions as plain variables; insist on the plain, common form.
        raise UnsupportedShapes(f"{name}: SELECT ska välja $this och bara variabler")
    # $this needs no rewriting: in SPARQL $this and ?this are one variable, which the
    # targets below bind (pySHACL binds it too, and leaves strings saying "$this" alone).
    targets = _target_pattern(shapes, shape)
    if targets is None:
        raise UnsupportedShapes(f"{name}: formen har ett mål som inte stöds")
    query = insert_after_where(select, [targets])
    prefixes = _prefixes(shapes, node) | _target_prefixes(shapes, shape)
    header = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(prefixes.items()))
    severity = shapes.value(shape, SH.severity) or SH.Violation
    own = list(shapes.objects(node, SH.message))
    messages = own + [m for m in shapes.objects(shape, SH.message) if m not in own]
    return SparqlConstraint(shape, severity, tuple(messages), header + query, variables)


def _target_pattern(shapes: rdflib.Graph, shape) -> str | None:
    """The shape's focus nodes as a sub-SELECT of ?this (each node once, as SHACL counts)."""
    alternatives = []
    classes = list(shapes.objects(shape, SH.targetClass))
    kinds = set(shapes.objects(shape, RDF.type))
    if RDFS.Class in kinds or OWL.Class in kinds:  # implicit class target
        classes.append(shape)
    alternatives += [f"?this rdf:type/rdfs:subClassOf* {c.n3()} ." for c in classes]
    alternatives += [f"VALUES ?this {{ {n.n3()} }}" for n in shapes.objects(shape, SH.targetNode)]
    alternatives += [f"?this {p.n3()} {_TARGET_OBJECT} ." for p in shapes.objects(shape, SH.targetSubjectsOf)]
    alternatives += [f"{_TARGET_OBJECT} {p.n3()} ?this ." for p in shapes.objects(shape, SH.targetObjectsOf)]
    for target in shapes.objects(shape, SH.target):
        select = shapes.value(target, SH.select)
        kinds = set(shapes.objects(target, RDF.type))
        if select is None or (kinds and kinds != {SH.SPARQLTarget}):
            return None  # parameterised SPARQL target types are not supported here
        alternatives.append("{ " + str(select) + " }")  # its $this is ?this
    if not alternatives:
        return "FILTER(false)"  # no targets: SHACL validates nothing
    union = " UNION ".join("{ " + a + " }" for a in alternatives)
    return "{ SELECT DISTINCT ?this WHERE { " + union + " } }"


def _target_prefixes(shapes: rdflib.Graph, shape) -> dict[str, str]:
    found: dict[str, str] = {}
    for target in shapes.objects(shape, SH.target):
        found |= _prefixes(shapes, target)
    return found


def _prefixes(shapes: rdflib.Graph, node) -> dict[str, str]:
    """sh:prefixes of a SPARQL constraint or target, as pySHACL collects them."""
    found = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}
    ontologies = set(shapes.subjects(RDF.type, OWL.Ontology))
    everywhere = {d for o in ontologies for d in shapes.objects(o, SH.declare)}
    for holder in shapes.objects(node, SH.prefixes):
        own = set(shapes.objects(holder, SH.declare))
        declares = own if own and holder in ontologies else everywhere | own
        for declaration in declares:
            prefix, namespace = shapes.value(declaration, SH.prefix), shapes.value(declaration, SH.namespace)
            if prefix is None or namespace is None:
                raise UnsupportedShapes(f"{node}: sh:declare saknar sh:prefix eller sh:namespace")
            found[str(prefix)] = str(namespace)
    return found


# --- running ------------------------------------------------------------------------------

@dataclass
class DataGraph:
    """The SHACL data graph as rdflib's N-Triples: pyshacl-turbo reads the text, and the
    SPARQL constraints query a pyoxigraph Store parsed from it."""

    ntriples: str
    respelled: list[str]  # literals Oxigraph spells otherwise than rdflib (see _respelled)

    def store(self) -> ox.Store:
        store = ox.Store()
        # Blank nodes keep rdflib's labels, so a result about one names the node pySHACL names.
        store.bulk_extend(ox.parse(self.ntriples, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False))
        return store


def data_graph(graphs) -> DataGraph:
    """Every triple of the given rdflib graphs, serialised once for both engines."""
    start = time.perf_counter()
    data = b"".join(graph.serialize(format="nt", encoding="utf-8") for graph in graphs)
    typed = {m for m in _TYPED_LITERAL.findall(data) if b"\\" not in m[0]}
    tags = {t for t in _LANGUAGE_TAG.findall(data) if t != t.lower()}
    graph = DataGraph(data.decode("utf-8"), _respelled(typed) + sorted(f"@{t.decode()}" for t in tags))
    _timed("N-Triples för båda motorerna (rdflib)", start, len(typed))
    return graph


def validate_data(data: DataGraph, plan: Plan) -> list[ShaclResult]:
    """Every result of the shapes on the data graph: the core engine first, then the Store
    for the SPARQL constraints, so the two never hold a copy of the graph at the same time
    (at 1M triples each is several hundred MB)."""
    from pyshacl_turbo.rdf import Input

    # pyshacl-turbo reads N-Triples text directly (about 8 s at 1M triples); given the Store
    # it would dump and re-read it (13 s), and it would see Oxigraph's literal spellings
    # instead of rdflib's. Input is its own wrapper for serialised data (pinned version).
    start = time.perf_counter()
    source = Input(data.ntriples, "nt", None, {}, preserve_ids=True)
    _conforms, report, _text = plan.core.validate(source, allow_warnings=True, allow_infos=True)
    results = results_from_report(report)
    del source, report
    start = _timed("kärnregler (pyshacl-turbo)", start, len(results))
    store = data.store()
    start = _timed("lager för SPARQL-reglerna (pyoxigraph)", start, len(store))
    for constraint in plan.sparql:
        found = _run_constraint(store, constraint)
        results.extend(found)
        start = _timed(f"SPARQL-regel {constraint.shape}", start, len(found))
    return results


def _timed(step: str, start: float, count: int) -> float:
    now = time.perf_counter()
    TIMINGS.debug("%s: %.2f s (%d)", step, now - start, count, extra={"step": step, "seconds": now - start})
    return now


def _run_constraint(store: ox.Store, constraint: SparqlConstraint) -> list[ShaclResult]:
    seen: set = set()
    results = []
    for solution in store.query(constraint.query):
        bound = {}
        for name in constraint.variables:
            term = solution[name]
            if term is not None:
                bound[name] = _to_rdflib(term)
        path, value, focus = bound.pop("path", None), bound.pop("value", None), bound.pop("this")
        key = (focus, path, value, tuple(sorted(bound.items())))
        if key in seen:  # pySHACL drops a focus node's duplicate rows
            continue
        seen.add(key)
        if value is None:
            value = focus  # a node shape's sh:value is its focus node
        # pySHACL fills {?var} with the row's other variables first, then this, path, value.
        fill = dict(bound)
        fill["this"] = focus
        if path is not None:
            fill["path"] = path
        fill["value"] = value
        messages = tuple(sorted({rdflib.Literal(_fill(str(m), fill)) for m in constraint.messages}, key=str))
        results.append(ShaclResult(focus, path, value, constraint.severity, messages, constraint.shape))
    return results


def _fill(message: str, bound: dict) -> str:
    # The same substitution as pySHACL (re.sub with the value as replacement text).
    for name, term in bound.items():
        message = re.sub("{{[?$]{}}}".format(name), str(term), message)
    return message


def _to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


# --- when the fast engine would not say the same as pySHACL ---------------------------------

# Typed literals in N-Triples (what data_graph loads), lexical form and datatype.
_TYPED_LITERAL = re.compile(rb'"((?:[^"\\\n]|\\.)*)"\^\^<([^>]+)>')
_LANGUAGE_TAG = re.compile(rb'"@([A-Za-z0-9\-]+)')


def _respelled(typed: set[tuple[bytes, bytes]]) -> list[str]:
    """Typed literals Oxigraph stores in another spelling than rdflib does.

    Both keep valid typed literals in a canonical form, but not always the same one (rdflib
    keeps P0D and 1.50, Oxigraph stores PT0S and 1.5). pySHACL sees rdflib's spelling, so
    sh:pattern, STR() and message texts could differ: the caller uses pySHACL when this is
    not empty. `typed` comes from rdflib's N-Triples, i.e. rdflib's spelling. (Lexical forms
    with escapes are never valid numbers, dates or durations; Oxigraph keeps them as written.)"""
    candidates = sorted((lexical.decode(), datatype.decode()) for lexical, datatype in typed
                        if datatype.decode() != str(XSD.string))
    probe = ox.Store()
    probe.extend(ox.Quad(ox.NamedNode(f"urn:ansvarsgraf:probe:{i}"), ox.NamedNode("urn:ansvarsgraf:probe"),
                         ox.Literal(lexical, datatype=ox.NamedNode(datatype)))
                 for i, (lexical, datatype) in enumerate(candidates))
    found = []
    for quad in probe:
        lexical = candidates[int(quad.subject.value.rsplit(":", 1)[1])][0]
        if quad.object.value != lexical:
            found.append(f'"{lexical}" → "{quad.object.value}"')
    return sorted(found)
