"""Validate the loaded data with the SHACL shapes and locate every result in its file.

Two engines give the same results: pySHACL, the reference, and the fast engine
(fast_shacl.py: pyshacl-turbo for the core constraints, one pyoxigraph query per SPARQL
constraint), which validates a national graph in well under a minute where pySHACL ran for
hours. The fast engine is the default; tests/test_validation_engines.py holds it to
pySHACL's results. Each result is mapped back through the source map to the file and line
the jurist wrote (the line of the offending key when the rule is about one property, else
the line where the node starts). Quotes are checked against the shipped source texts
(quotes.py) in the same run, so `ansvarsgraf validate` reports them with the rest.
"""

import datetime as dt
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import pyshacl
import rdflib
from rdflib.graph import ReadOnlyGraphAggregate
from rdflib.namespace import SH, XSD
from rdflib.plugins.sparql.processor import SPARQLProcessor

from . import fast_shacl, quotes
from .context import load_context
from .dataset import LoadedData
from .fast_shacl import ShaclResult
from .paths import SHAPES_FILE
from .sparql_syntax import algebra
from .vocabulary import AG

VALIDATION_NODE = rdflib.URIRef("urn:ansvarsgraf:validering")
SEVERITY_NAMES = {SH.Violation: "FEL", SH.Warning: "VARNING", SH.Info: "INFO"}
ENGINES = ("fast", "pyshacl")


@dataclass(frozen=True)
class Finding:
    """One SHACL result, located."""

    severity: str  # FEL, VARNING, INFO
    node: str
    path: str | None
    message: str
    rule: str
    file: str | None
    line: int | None
    value: str | None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "(okänd fil)")
        key = f" [{self.path}]" if self.path else ""
        return f"{where}: {self.severity} {self.node}{key}: {self.message} (regel: {self.rule})"

    def as_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=2)
def load_shapes(path: Path = SHAPES_FILE) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


@dataclass
class ValidationRun:
    findings: list[Finding]
    engine: str  # which engine ran, in words (the benchmark and the CLI print it)


def validate(loaded: LoadedData, on_date: dt.date, only_files: set[str] | None = None,
             focused: bool = False, engine: str = "fast") -> list[Finding]:
    """Run every shape on the merged data; keep results about nodes in only_files if given.

    focused=True validates only what the files' nodes can reach: the jurist's edit loop on one
    agreement, seconds instead of a whole-graph run. (pySHACL's own focus-node mode was tried
    and misses results, e.g. class targets reached through rdfs:subClassOf.) The test suite
    checks that it reports exactly what a full run reports for those files.
    engine="pyshacl" runs the reference engine instead of the fast one.
    """
    return run_validation(loaded, on_date, only_files, focused, engine).findings


def run_validation(loaded: LoadedData, on_date: dt.date, only_files: set[str] | None = None,
                   focused: bool = False, engine: str = "fast") -> ValidationRun:
    """validate(), also telling which engine ran."""
    if engine not in ENGINES:
        raise ValueError(f"okänd valideringsmotor '{engine}'; välj {' eller '.join(ENGINES)}")
    # The ontology goes into the data graph: sh:class follows rdfs:subClassOf there, and
    # the controlled vocabularies (modality, parts, finding kinds) are checked as data.
    if focused and only_files is not None:
        graphs = [_reachable(_index(loaded), loaded, only_files)]
    else:
        graphs = [*loaded.files.values(), loaded.ontology]
    date = rdflib.Graph()
    date.add((VALIDATION_NODE, AG.validationDate, rdflib.Literal(on_date.isoformat(), datatype=XSD.date)))
    graphs.append(date)
    results = None
    used = "pySHACL"
    if engine == "fast" and fast_shacl.missing():
        # An environment installed before the dependency was added: the reference engine
        # gives the same findings, only slower, and the engine name says why.
        used = f"pySHACL ({fast_shacl.missing()})"
    elif engine == "fast":
        data = fast_shacl.data_graph(graphs)
        if data.respelled:
            # Oxigraph would see other spellings than pySHACL does; stay exact, if slower.
            used = f"pySHACL (Oxigraph skriver om {len(data.respelled)} literaler, t.ex. {data.respelled[0]})"
        else:
            results = fast_shacl.validate_data(data, fast_shacl.cached_plan(load_shapes()))
            used = fast_shacl.ENGINE_NAME
        del data
    if results is None:
        results = _pyshacl_results(graphs)
    findings = [_locate(result, loaded) for result in results]
    findings += quote_findings(loaded, only_files)
    if only_files is not None:
        findings = [f for f in findings if f.file in only_files]
    return ValidationRun(sorted(findings, key=lambda f: (f.file or "~", f.line or 0, f.severity, f.message)), used)


def quote_findings(loaded: LoadedData, only_files: set[str] | None = None) -> list[Finding]:
    """Every quote checked against the shipped source text (quotes.py), as located findings."""
    report = quotes.check_quotes(loaded, only_files=only_files)
    return [Finding(severity=q.severity, node=q.node, path="citat", message=q.message, rule="citatkontroll",
                    file=q.file, line=q.line, value=q.value) for q in report.findings]


def _pyshacl_results(graphs: list[rdflib.Graph]) -> list[ShaclResult]:
    """The reference engine: pySHACL on one rdflib graph of all the parts."""
    data = rdflib.Graph()
    for part in graphs:
        data += part
    with queries_parsed_once():
        _conforms, report, _text = pyshacl.validate(
            data,
            shacl_graph=load_shapes(),
            inference="none",
            allow_warnings=True,
            advanced=True,  # SPARQL targets (SHACL Advanced Features)
        )
    return fast_shacl.results_from_report(report)


class PreparedQueryProcessor(SPARQLProcessor):
    """rdflib's SPARQL processor, with each query text parsed and translated once (what
    rdflib's prepareQuery does). pySHACL hands rdflib a SPARQL constraint's text anew for
    every focus node, and parsing was most of a run: RevisionOverdueShape took 3 s a parse on
    a loaded machine, against 0.05 s to evaluate."""

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803 (rdflib's names)
        if isinstance(strOrQuery, str):
            strOrQuery = _prepared(strOrQuery, base, tuple(sorted((initNs or {}).items())))
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


@lru_cache(maxsize=512)
def _prepared(text: str, base, namespaces: tuple):
    return algebra(text, base, dict(namespaces))


@contextmanager
def queries_parsed_once():
    """rdflib's "sparql" query processor is PreparedQueryProcessor while pySHACL runs."""
    rdflib.plugin.register("sparql", rdflib.query.Processor, __name__, "PreparedQueryProcessor")
    try:
        yield
    finally:
        rdflib.plugin.register("sparql", rdflib.query.Processor, SPARQLProcessor.__module__, SPARQLProcessor.__name__)


def _index(loaded: LoadedData) -> rdflib.Graph:
    """All files as one read-only view, kept per load: the edit loop validates file after
    file. A view, not a merged copy: copying 1M triples took 25 s on the first edit."""
    cached = getattr(loaded, "_merged_index", None)
    if cached is None:
        cached = ReadOnlyGraphAggregate(list(loaded.files.values()))
        loaded._merged_index = cached
    return cached


def _reachable(merged: rdflib.Graph, loaded: LoadedData, only_files: set[str]) -> rdflib.Graph:
    """The files' triples, everything their nodes reach by outgoing links (bearers' chains up
    to the municipality, parties, tasks, provisions, types), the nodes that point at them
    with their own statements (responses to a recommendation), and the ontology."""
    seeds = {s for name in only_files if name in loaded.files for s in loaded.files[name].subjects()}
    sub = rdflib.Graph()
    sub += loaded.ontology
    seen, todo = set(), list(seeds)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in merged.predicate_objects(node):
            sub.add((node, p, o))
            if not isinstance(o, rdflib.Literal) and o not in seen:
                todo.append(o)
    for seed in seeds:
        for referrer in set(merged.subjects(None, seed)):
            for p, o in merged.predicate_objects(referrer):
                sub.add((referrer, p, o))
    return sub


def _locate(result: ShaclResult, loaded: LoadedData) -> Finding:
    ctx = load_context()
    focus, path, value = result.focus, result.path, result.value
    severity = SEVERITY_NAMES.get(result.severity, "FEL")
    messages = list(result.messages)
    swedish = [m for m in messages if getattr(m, "language", None) == "sv"] or messages
    message = str(swedish[0]) if swedish else "regeln är inte uppfylld"
    rule = _rule_name(result.shape)
    file, line = loaded.sourcemap.locate(str(focus), str(path) if isinstance(path, rdflib.URIRef) else None)
    key = ctx.key_for(str(path)) if isinstance(path, rdflib.URIRef) else None
    return Finding(
        severity=severity,
        node=ctx.compact(str(focus)),
        path=key or (ctx.compact(str(path)) if isinstance(path, rdflib.URIRef) else None),
        message=_compact_iris(message, ctx),
        rule=rule,
        file=file,
        line=line,
        value=ctx.compact(str(value)) if value is not None else None,
    )


def _rule_name(shape) -> str:
    """The named shape a result came from (property shapes are blank nodes inside one)."""
    if isinstance(shape, rdflib.URIRef):
        return "ags:" + str(shape).rsplit("#", 1)[-1]
    shapes = load_shapes()
    parent = shapes.value(predicate=SH.property, object=shape) or shapes.value(predicate=SH.sparql, object=shape)
    if isinstance(parent, rdflib.URIRef):
        return "ags:" + str(parent).rsplit("#", 1)[-1]
    return "ags:(namnlös regel)"


def _compact_iris(message: str, ctx) -> str:
    for prefix in (ctx.base, "https://lagen.nu/"):
        message = message.replace(prefix, "sfs:" if prefix.startswith("https://lagen") else "")
    return message
