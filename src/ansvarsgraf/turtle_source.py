"""Read a Turtle data file, with the line where each subject is first written.

Turtle is for machine-made data (generated national graphs, exports); jurists write YAML.
rdflib gives no positions, so subject lines are found by reading the lines that start a
statement at column 0, which is how every Turtle file in this project is laid out.
"""

import re
from pathlib import Path

import rdflib
from rdflib.plugins.parsers.notation3 import BadSyntax

from .errors import DataError
from .yaml_source import FileResult, SourceMap

SUBJECT_AT_LINE_START = re.compile(r"^(<[^>\s]*>|[A-Za-z][\w\-.]*:[^\s;,]*|:[^\s;,]+)\s")


def read_turtle_file(path: Path, display: str) -> FileResult:
    graph = rdflib.Graph()
    try:
        graph.parse(path, format="turtle")
    except BadSyntax as exc:
        line = getattr(exc, "lines", None)
        line = line + 1 if isinstance(line, int) else None
        return FileResult(rdflib.Graph(), SourceMap(), [DataError(display, line, f"Turtle-syntaxfel: {getattr(exc, '_why', exc)}")], {})
    except Exception as exc:
        return FileResult(rdflib.Graph(), SourceMap(), [DataError(display, None, f"kunde inte läsas som Turtle: {exc}")], {})
    sourcemap = SourceMap()
    namespaces = {prefix: str(ns) for prefix, ns in graph.namespaces()}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = SUBJECT_AT_LINE_START.match(text)
        if not match or text.startswith("@"):
            continue
        token = match.group(1)
        if token.startswith("<"):
            iri = token[1:-1]
        else:
            prefix, _, local = token.partition(":")
            if prefix not in namespaces:
                continue
            iri = namespaces[prefix] + local
        sourcemap.nodes.setdefault(iri, (display, number))
    return FileResult(graph, sourcemap, [], {s: line for s, (_, line) in sourcemap.nodes.items()})
