"""The vocabularies the graph speaks, defined once: every module takes its namespaces here,
and the facts the ontology holds about them (which classes are actors and documents, their
Swedish names, the order of modalities and parts) are read from the ontology, not repeated
in Python."""

import rdflib
from rdflib.namespace import RDFS, SKOS

from .paths import ONTOLOGY_FILES

AG = rdflib.Namespace("https://w3id.org/ansvarsgraf/def#")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")


def _ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    return graph


def _swedish(graph: rdflib.Graph, node, prop) -> str:
    return next((str(v) for v in graph.objects(node, prop) if getattr(v, "language", None) == "sv"), str(node))


def _kinds(graph: rdflib.Graph, root) -> tuple[rdflib.URIRef, ...]:
    """The classes under root (not root itself), in the ontology's IRI order."""
    return tuple(sorted(c for c in graph.transitive_subjects(RDFS.subClassOf, root) if c != root))


def _ranks(graph: rdflib.Graph, scheme) -> dict[str, int]:
    """A scheme's concepts by Swedish label → their ag:order (the order the ontology gives)."""
    return {_swedish(graph, c, SKOS.prefLabel): int(n) for c in graph.subjects(SKOS.inScheme, scheme)
            for n in graph.objects(c, AG.order)}


def _gap_headings(graph: rdflib.Graph) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each kind of gap (ag:GapKind, by skos:notation) → (headings in order of preference,
    words its texts omit first)."""
    found = {}
    for kind in graph.subjects(SKOS.inScheme, AG.GapKind):
        headings = tuple(str(v) for p in (AG.gapHeading, AG.gapHeadingFallback) for v in graph.objects(kind, p))
        found[str(graph.value(kind, SKOS.notation))] = (headings, tuple(str(v) for v in graph.objects(kind, AG.gapHeadingOmits)))
    return found


_GRAPH = _ontology()
ACTOR_KINDS = _kinds(_GRAPH, AG.Actor)  # kommun, region, nämnd eller styrelse … forum
INSTRUMENT_KINDS = _kinds(_GRAPH, AG.Instrument)  # överenskommelse, rutin, reglemente, plan, beskriven praxis
KIND_NAMES = {kind: _swedish(_GRAPH, kind, RDFS.label) for kind in ACTOR_KINDS + INSTRUMENT_KINDS}
MODALITY_RANK = _ranks(_GRAPH, AG.Modality)  # ska 1, får inte 2, bör 3, får 4, beskrivet arbetssätt 5
PART_RANK = _ranks(_GRAPH, AG.Part)
# The kinds whose actors can decide (ag:canDecide): where an escalation path may end.
DECIDING_KINDS = frozenset(str(k) for k in ACTOR_KINDS if (k, AG.canDecide, rdflib.Literal(True)) in _GRAPH)
GAP_HEADINGS = _gap_headings(_GRAPH)  # the kinds of gap the analysis reports, with their headings
del _GRAPH
