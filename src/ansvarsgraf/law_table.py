"""Read a comparison table between a repealed act and its replacement (CSV) into RDF.

Each row becomes an ag:Succession (old, new, scope, the table's own row text, and the
source the table comes from) plus dcterms:replaces / dcterms:isReplacedBy between the two
provisions. The table's metadata (which acts, which source) is data too: a YAML sidecar
with the same name declares the two acts and the source document, so nothing about a
particular law is written in code.

Provisions the table names but no law file describes get a minimal node here (type,
act, chapter, section, label) with the validity that follows from the act's.
"""

import csv
import re
from pathlib import Path

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from .errors import DataError
from .vocabulary import AG
from .yaml_source import FileResult, SourceMap

ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
ID = rdflib.Namespace("https://w3id.org/ansvarsgraf/id/")
REQUIRED_COLUMNS = ("old", "old_uri", "new", "new_uri", "scope", "table_row", "note")
PROVISION_URI = re.compile(r"^https://lagen\.nu/(?P<sfs>\d{4}:\d+)#(?:K(?P<chapter>\d+[a-z]?))?P(?P<section>\d+[a-z]?)$")


def read_table(path: Path, display: str, table_id: str) -> FileResult:
    """Read the CSV at path; table_id is the id of the sidecar's table node."""
    errors: list[DataError] = []
    graph = rdflib.Graph()
    sourcemap = SourceMap()
    table = ID[table_id]
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    except (UnicodeDecodeError, csv.Error) as exc:
        return FileResult(graph, sourcemap, [DataError(display, None, f"kunde inte läsas som CSV: {exc}")], {})
    if not rows or tuple(rows[0]) != REQUIRED_COLUMNS:
        return FileResult(graph, sourcemap, [DataError(display, 1, f"första raden ska vara kolumnerna {','.join(REQUIRED_COLUMNS)}")], {})
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(REQUIRED_COLUMNS):
            errors.append(DataError(display, number, f"raden har {len(row)} kolumner, ska ha {len(REQUIRED_COLUMNS)}"))
            continue
        record = dict(zip(REQUIRED_COLUMNS, row))
        if record["scope"] not in ("helt", "delvis"):
            errors.append(DataError(display, number, f"omfattning ska vara 'helt' eller 'delvis', inte '{record['scope']}'"))
            continue
        old, new = _provision_uri(record["old_uri"]), _provision_uri(record["new_uri"])
        if old is None or new is None:
            bad = record["old_uri"] if old is None else record["new_uri"]
            errors.append(DataError(display, number, f"'{bad}' är ingen lagen.nu-URI för en paragraf (t.ex. https://lagen.nu/2025:400#K19P5)"))
            continue
        succession = URIRef(f"{table}/rad-{number}")
        graph.add((succession, RDF.type, AG.Succession))
        graph.add((succession, AG.predecessor, old))
        graph.add((succession, AG.successor, new))
        graph.add((succession, AG.scope, AG[record["scope"]]))
        graph.add((succession, AG.tableRow, Literal(record["table_row"], lang="sv")))
        graph.add((succession, DCTERMS.isPartOf, table))
        if record["note"]:
            graph.add((succession, AG.unreliable, Literal(True)))
            graph.add((succession, AG.note, Literal(record["note"], lang="en")))
        else:
            # Unreliable rows are kept as rows but not used as links between provisions.
            graph.add((new, DCTERMS.replaces, old))
            graph.add((old, DCTERMS.isReplacedBy, new))
        for uri, label in ((old, record["old"]), (new, record["new"])):
            sourcemap.nodes.setdefault(str(uri), (display, number))
            graph.add((uri, AG.tableLabel, Literal(label)))
        sourcemap.nodes[str(succession)] = (display, number)
    if errors:
        return FileResult(rdflib.Graph(), SourceMap(), errors, {})
    return FileResult(graph, sourcemap, [], {})


def _provision_uri(text: str) -> URIRef | None:
    return URIRef(text) if PROVISION_URI.match(text) else None


def complete_provisions(graph: rdflib.Graph) -> rdflib.Graph:
    """Minimal nodes for provisions that only a table names: type, act, chapter, section, label.

    Run on the merged graph, after every law file is read, so a provision described in a
    law file is never given a second label here.
    """
    added = rdflib.Graph()
    for uri, label in graph.subject_objects(AG.tableLabel):
        if (uri, RDF.type, None) in graph:
            continue
        match = PROVISION_URI.match(str(uri))
        act = URIRef(f"https://lagen.nu/{match['sfs']}")
        added.add((uri, RDF.type, ELI.LegalResourceSubdivision))
        added.add((uri, ELI.is_part_of, act))
        if match["chapter"]:
            added.add((uri, AG.chapter, Literal(_spaced(match["chapter"]))))
        added.add((uri, AG.section, Literal(_spaced(match["section"]))))
        short = graph.value(act, SKOS.altLabel)
        prefix = f"{short} ({match['sfs']})" if short else f"SFS {match['sfs']}"
        added.add((uri, SKOS.prefLabel, Literal(f"{prefix} {label}", lang="sv")))
        # A repealed act ends all its sections; only an act that replaces another as a
        # whole starts all its sections on one day (older acts grew section by section).
        until = graph.value(act, AG.validUntil)
        if until is not None:
            added.add((uri, AG.validUntil, until))
        start = graph.value(act, AG.validFrom)
        if start is not None and (act, DCTERMS.replaces, None) in graph:
            added.add((uri, AG.validFrom, start))
        added.add((uri, PROV.wasDerivedFrom, act))
    return added


def _spaced(designation: str) -> str:
    """'1a' → '1 a', as Swedish statutes write it."""
    return re.sub(r"(\d)([a-z])$", r"\1 \2", designation)
