"""Read one authoring YAML file into RDF, remembering the line of every node and key.

A file is a list of nodes (or one node). Each node is a mapping with `id` and `typ`; the
keys are the Swedish terms of ontology/context.jsonld. Nested lists of nodes are allowed
only under keys that the context declares as reverse links (e.g. `åtaganden` under an
agreement), so every node still has its own id and line.

Checks made here, before JSON-LD sees the data, because JSON-LD would silently drop or
mangle them: unknown keys (with a suggestion), duplicate keys, empty values, malformed
dates, durations, numbers and ids. Every error names the file and the line.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
import yaml
from rapidfuzz import process as fuzzy

from .context import RDF_TYPE, AuthoringContext, Term, load_context
from .errors import DataError

ID_PATTERN = re.compile(r"^(?:[a-z][a-z0-9]*:)?[A-Za-z0-9][A-Za-z0-9._:#/\-åäöÅÄÖ]*$")
DURATION_PATTERN = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass
class SourceMap:
    """Where each subject and each (subject, predicate) was written: file and line."""

    nodes: dict[str, tuple[str, int]] = field(default_factory=dict)
    keys: dict[tuple[str, str], int] = field(default_factory=dict)

    def merge(self, other: "SourceMap") -> None:
        self.nodes.update(other.nodes)
        self.keys.update(other.keys)

    def locate(self, node: str, predicate: str | None = None) -> tuple[str | None, int | None]:
        file, line = self.nodes.get(node, (None, None))
        if predicate and (node, predicate) in self.keys:
            line = self.keys[(node, predicate)]
        return file, line


@dataclass
class FileResult:
    graph: rdflib.Graph
    sourcemap: SourceMap
    errors: list[DataError]
    defined: dict[str, int]  # ids defined in this file, with their line


def read_yaml_file(path: Path, display: str, ctx: AuthoringContext | None = None) -> FileResult:
    ctx = ctx or load_context()
    reader = _Reader(ctx, display)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return reader.fail(None, f"filen är inte UTF-8 ({exc.reason} vid byte {exc.start}); spara den som UTF-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        line, noticed = _broken_line(text, exc)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{context}, {problem}" if context else problem
        also = f" (upptäckt på rad {noticed})" if noticed and noticed != line else ""
        return reader.fail(line, f"YAML-syntaxfel: {detail}{also}. Kontrollera indrag, kolon och citattecken på raden")
    if root is None:
        return FileResult(rdflib.Graph(), SourceMap(), [], {})
    if isinstance(root, yaml.MappingNode):
        items = [root]
    elif isinstance(root, yaml.SequenceNode):
        items = root.value
    else:
        return reader.fail(_line(root), "filen ska vara en lista av noder (rader som börjar med '- id: …')")
    nodes = []
    for item in items:
        node = reader.node(item)
        if node is not None:
            nodes.append(node)
    if reader.errors:
        return FileResult(rdflib.Graph(), SourceMap(), reader.errors, {})
    graph = rdflib.Graph()
    try:
        graph.parse(data=json.dumps({"@context": ctx.raw["@context"], "@graph": nodes}), format="json-ld")
    except Exception as exc:  # rdflib raises many kinds; all mean the file cannot be read
        return reader.fail(None, f"kunde inte tolkas som JSON-LD: {exc}")
    return FileResult(graph, reader.sourcemap, [], reader.defined)


def _broken_line(text: str, exc: yaml.YAMLError) -> tuple[int | None, int | None]:
    """The line to fix, and the line where the parser gave up.

    The scanner's context is the start of the construct it could not finish (an unclosed
    quote, noticed at the end of the file), and so is the parser's for an unclosed [ or {:
    that is the line. Otherwise the parser's context is only the start of the enclosing
    block list or mapping, lines above the break: there the break
    is where the parser gave up — unless the token before it is a quoted string running over
    several lines up to that point, whose quote was left open where it starts."""
    problem = getattr(exc, "problem_mark", None)
    if problem is None:
        return None, None
    context = getattr(exc, "context_mark", None)
    unfinished = isinstance(exc, yaml.scanner.ScannerError) or "flow" in (getattr(exc, "context", None) or "")
    if unfinished and context is not None and context.line <= problem.line:
        return context.line + 1, problem.line + 1
    previous = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if (token.start_mark.line, token.start_mark.column) >= (problem.line, problem.column):
                break
            previous = token
    except yaml.YAMLError:
        pass
    if (isinstance(previous, yaml.ScalarToken) and previous.style in ('"', "'")
            and previous.start_mark.line < previous.end_mark.line == problem.line):
        return previous.start_mark.line + 1, problem.line + 1
    return problem.line + 1, problem.line + 1


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    def __init__(self, ctx: AuthoringContext, display: str):
        self.ctx = ctx
        self.display = display
        self.errors: list[DataError] = []
        self.sourcemap = SourceMap()
        self.defined: dict[str, int] = {}

    def fail(self, line: int | None, message: str) -> FileResult:
        self.errors.append(DataError(self.display, line, message))
        return FileResult(rdflib.Graph(), SourceMap(), self.errors, {})

    def error(self, node: yaml.Node, message: str) -> None:
        self.errors.append(DataError(self.display, _line(node), message))

    def node(self, item: yaml.Node, parent_key: Term | None = None) -> dict | None:
        if not isinstance(item, yaml.MappingNode):
            self.error(item, "här ska en nod stå: en uppsättning 'nyckel: värde' som börjar med 'id:'")
            return None
        pairs = {}
        for key_node, value_node in item.value:
            key = key_node.value
            if key in pairs:
                self.error(key_node, f"nyckeln '{key}' står två gånger i samma nod; ta bort den ena")
                continue
            pairs[key] = (key_node, value_node)
        if "id" not in pairs:
            self.error(item, "noden saknar 'id:'; varje nod behöver ett id (t.ex. 'id: <kommun>-socialnamnden')")
            return None
        id_value = self.scalar(pairs["id"][1], "id")
        if id_value is None:
            return None
        if not ID_PATTERN.match(id_value):
            self.error(pairs["id"][1], f"ogiltigt id '{id_value}': använd små bokstäver, siffror och bindestreck (t.ex. '<kommun>-samverkansrutin')")
            return None
        iri = self.ctx.expand(id_value)
        if iri in self.defined:
            self.error(pairs["id"][1], f"id '{id_value}' definieras redan på rad {self.defined[iri]} i samma fil")
            return None
        self.defined[iri] = _line(item)
        self.sourcemap.nodes[iri] = (self.display, _line(item))
        out: dict = {"id": id_value}
        if parent_key is not None:
            self.sourcemap.keys[(iri, parent_key.predicate)] = _line(item)
        if "typ" not in pairs:
            self.error(item, f"noden '{id_value}' saknar 'typ:' (t.ex. 'typ: Åtagande')")
        for key, (key_node, value_node) in pairs.items():
            if key == "id":
                continue
            if key == "typ":
                out["typ"] = self.types(value_node)
                self.sourcemap.keys[(iri, RDF_TYPE)] = _line(key_node)
                continue
            term = self.ctx.terms.get(key)
            if term is None:
                self.error(key_node, f"okänd nyckel '{key}'{self.suggest(key, self.ctx.terms)}")
                continue
            if not term.reverse:
                self.sourcemap.keys[(iri, term.predicate)] = _line(key_node)
            value = self.value(term, value_node)
            if value is not None:
                out[key] = value
        return out

    def suggest(self, word: str, choices) -> str:
        match = fuzzy.extractOne(word, list(choices), score_cutoff=70)
        return f"; menade du '{match[0]}'?" if match else ""

    def types(self, node: yaml.Node):
        values = node.value if isinstance(node, yaml.SequenceNode) else [node]
        names = []
        for v in values:
            name = self.scalar(v, "typ")
            if name is None:
                continue
            if name not in self.ctx.types:
                self.error(v, f"okänd typ '{name}'{self.suggest(name, self.ctx.types)}")
                continue
            names.append(name)
        return names if len(names) != 1 else names[0]

    def scalar(self, node: yaml.Node, key: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"'{key}' ska ha ett enkelt värde, inte en lista eller nod")
            return None
        if node.tag.endswith(":null") or node.value == "":
            self.error(node, f"'{key}' saknar värde; skriv ett värde eller ta bort raden")
            return None
        return node.value

    def value(self, term: Term, node: yaml.Node):
        if term.reverse:
            if not isinstance(node, yaml.SequenceNode):
                self.error(node, f"'{term.key}' ska vara en lista av noder (rader som börjar med '- id: …')")
                return None
            children = [self.node(child, parent_key=term) for child in node.value]
            return [c for c in children if c is not None]
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if isinstance(node, yaml.SequenceNode) and not items:
            self.error(node, f"'{term.key}' är en tom lista; skriv minst ett värde eller ta bort raden")
            return None
        values = [self.atom(term, item) for item in items]
        values = [v for v in values if v is not None]
        if not values:
            return None
        return values if isinstance(node, yaml.SequenceNode) else values[0]

    def atom(self, term: Term, node: yaml.Node):
        text = self.scalar(node, term.key)
        if text is None:
            return None
        if term.kind in ("reference", "vocab"):
            if not ID_PATTERN.match(text):
                self.error(node, f"'{term.key}' ska vara ett id (t.ex. '<kommun>-socialnamnden'), inte '{text}'")
                return None
            prefix, sep, _ = text.partition(":")
            if sep and prefix not in self.ctx.prefixes and not text.startswith(("http:", "https:")):
                self.error(node, f"okänt prefix '{prefix}:' i '{text}'; kända prefix: {', '.join(sorted(self.ctx.prefixes))}")
                return None
            if term.kind == "vocab" and text not in self.ctx.vocab and not sep:
                self.error(node, f"'{text}' är inget känt värde för '{term.key}'{self.suggest(text, self.ctx.vocab)}")
                return None
            return text
        if term.kind == "typed":
            return self.typed(term, node, text)
        return text

    def typed(self, term: Term, node: yaml.Node, text: str):
        datatype = term.datatype.removeprefix(XSD)
        if datatype == "date":
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                self.error(node, f"'{term.key}' ska vara ett datum ÅÅÅÅ-MM-DD, inte '{text}'")
                return None
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                self.error(node, f"'{term.key}' ska skrivas ÅÅÅÅ-MM-DD, inte '{text}'")
                return None
        elif datatype == "gYear":
            if not re.fullmatch(r"\d{4}", text):
                self.error(node, f"'{term.key}' ska vara ett årtal ÅÅÅÅ, inte '{text}'")
                return None
        elif datatype == "duration":
            if not DURATION_PATTERN.match(text):
                self.error(node, f"'{term.key}' ska vara en varaktighet som P1Y (ett år), P6M (sex månader) eller P14D (14 dagar), inte '{text}'")
                return None
        elif datatype == "integer":
            if not re.fullmatch(r"\d+", text):
                self.error(node, f"'{term.key}' ska vara ett heltal, inte '{text}'")
                return None
        elif datatype == "decimal":
            try:
                float(text)
            except ValueError:
                self.error(node, f"'{term.key}' ska vara ett tal, inte '{text}'")
                return None
        elif datatype == "boolean":
            lowered = text.lower()
            if lowered not in ("true", "false", "ja", "nej"):
                self.error(node, f"'{term.key}' ska vara ja eller nej, inte '{text}'")
                return None
            return {"@value": "true" if lowered in ("true", "ja") else "false", "@type": term.datatype}
        return text
