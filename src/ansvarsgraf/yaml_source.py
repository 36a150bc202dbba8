"""Read one authoring YAML file into RDF, remembering the line of every node and key.

A file is a list of nodes (or one node). Each node is a mapping with `id` and `typ`; the
keys are the Swedish terms of ontology/context.jsonld. Nested lists of nodes are allowed
only under keys that the context declares as reverse links (e.g. `åtaganden` under an
agreement), so every node still has its own id and line.

Checks made here, before JSON-LD sees the data, because JSON-LD would silently drop or
mangle them: unknown keys (with a suggestion), duplicate keys, empty values, malformed
dates, durations, numbers and ids. Every error names the file and the line.

Dates keep the precision the source gives (issue 16, point 4): a date key takes 2021,
2021-10 or 2021-10-13 and writes, in that order, its `_år` key (xsd:gYear), its `_månad`
key (xsd:gYearMonth) or itself (xsd:date). One predicate per precision, as the existing
ag:validFromYear does, so a query comparing xsd:dates never meets a year it would silently
drop, and no day is invented.

A node's `stöd:` block (docs/provenans.md) becomes one ag:Statement per field value and
support: the reification of the plain triple (rdf:subject/predicate/object, the triple
itself stays) with its support kind, section, quote, statute, named source or reason.
"""
import hashlib
import unicodedata

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
from .vocabulary import AG

ID_PATTERN = re.compile(r"^(?:[a-z][a-z0-9]*:)?[A-Za-z0-9][A-Za-z0-9._:#/\-åäöÅÄÖ]*$")
DURATION_PATTERN = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SUPPORT_KEY = "stöd"
# The keys of one support entry in a `stöd:` block, and of a named source in it.
SUPPORT_KEYS = ("värde", "källa", "citat", "lagrum", "annan_källa", "slutsats", "observerad")
NAMED_SOURCE_KEYS = ("titel", "url", "referens", "läst", "utgiven")
# `status:` as a dated history: a list of entries with these keys (docs/for-jurister.md).
STATUS_KEY = "status"
HISTORY_KEYS = ("värde", "från", "stöd", *SUPPORT_KEYS[1:])
# Precision of a date as written: the suffix of the key it is stored under.
DATE_PRECISIONS = ((re.compile(r"^\d{4}$"), "_år"), (re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"), "_månad"))


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
        root = _compose(text)
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
        graph.parse(data=json.dumps({"@context": ctx.raw["@context"], "@graph": nodes + reader.statements}),
                    format="json-ld")
    except Exception as exc:  # rdflib raises many kinds; all mean the file cannot be read
        return reader.fail(None, f"kunde inte tolkas som JSON-LD: {exc}")
    return FileResult(graph, reader.sourcemap, [], reader.defined)


def _compose(text: str) -> yaml.Node | None:
    """The file's node tree with line marks. libyaml's composer (when PyYAML has it) builds the
    same tree some twenty times faster, which every start of `serve`, `ask` and `prepare`
    pays for; a file it refuses is composed again by the pure-Python one, whose error marks
    and wording `_broken_line` and the error messages are written for."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


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
        self.statements: list[dict] = []  # ag:Statement nodes made from `stöd:` blocks

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
        written: dict[str, tuple[Term, yaml.Node]] = {}  # key as written -> term used, value
        history = None  # the `status:` key when it holds a dated history
        for key, (key_node, value_node) in pairs.items():
            if key in ("id", SUPPORT_KEY):
                continue
            if key == STATUS_KEY and _is_history(value_node):
                history = key_node
                self.sourcemap.keys[(iri, AG + "qualifiedStatus")] = _line(key_node)
                self.status_history(id_value, iri, value_node)
                continue
            if key == "typ":
                out["typ"] = self.types(value_node)
                self.sourcemap.keys[(iri, RDF_TYPE)] = _line(key_node)
                continue
            term = self.ctx.terms.get(key)
            if term is None:
                self.error(key_node, f"okänd nyckel '{key}'{self.suggest(key, self.ctx.terms)}")
                continue
            term = self.precise_term(term, value_node)
            if term is None:
                continue
            same_date = next((k for k in out if term.kind == "typed" and _date_key(k) == _date_key(term.key)), None)
            if same_date is not None:
                self.error(key_node, f"'{key}' anger samma datum som '{same_date}' i noden; skriv datumet en gång, med den precision källan ger")
                continue
            if not term.reverse:
                self.sourcemap.keys[(iri, term.predicate)] = _line(key_node)
            value = self.value(term, value_node)
            if value is not None:
                out[term.key] = value
                written[key] = (term, value_node)
        if history is not None:
            single = next((k for k in written if _date_key(k) == STATUS_KEY + "_från"), None)
            if single is not None:
                self.error(pairs[single][0], f"'{single}' hör till en ensam status; i en statushistorik har varje post sitt eget 'från'")
        if SUPPORT_KEY in pairs:
            self.supports(id_value, iri, pairs[SUPPORT_KEY][1], written, pairs.get("typ"), history is not None)
        return out

    def status_history(self, node_id: str, iri: str, sequence: yaml.SequenceNode) -> None:
        """`status: [{värde, från, stöd…}, …]`: one ag:DatedStatus per entry (PROV-O's
        qualification pattern, as prov:qualifiedAssociation), linked from the document with
        ag:qualifiedStatus, with ag:status and ag:statusFrom/-Month/-Year as a single status
        has them, and its support as an ag:Statement about the entry. A missing value or
        start is left to SHACL (DatedStatusShape), which reports it at the entry's line."""
        status_term, from_term = self.ctx.terms[STATUS_KEY], self.ctx.terms[STATUS_KEY + "_från"]
        for number, entry in enumerate(sequence.value, start=1):
            if not isinstance(entry, yaml.MappingNode):
                self.error(entry, "en post i statushistoriken ska vara {värde: …, från: ÅÅÅÅ[-MM[-DD]]} med sitt stöd")
                continue
            keys: dict[str, tuple[yaml.Node, yaml.Node]] = {}
            for k, v in entry.value:
                if k.value not in HISTORY_KEYS:
                    self.error(k, f"okänd nyckel '{k.value}' i statushistoriken{self.suggest(k.value, HISTORY_KEYS)}")
                elif k.value in keys:
                    self.error(k, f"'{k.value}' står två gånger i samma post i statushistoriken")
                else:
                    keys[k.value] = (k, v)
            entry_id = f"{node_id}--status--{number}"
            entry_iri = self.ctx.expand(entry_id)
            self.sourcemap.nodes[entry_iri] = (self.display, _line(entry))
            node: dict = {"@id": entry_iri, "@type": AG + "DatedStatus", "@reverse": {AG + "qualifiedStatus": {"@id": iri}}}
            value = self.atom(status_term, keys["värde"][1]) if "värde" in keys else None
            if value is not None:
                node[AG + "status"] = self.rdf_object(status_term, value)
                self.sourcemap.keys[(entry_iri, AG + "status")] = _line(keys["värde"][0])
            if "från" in keys:
                term = self.precise_term(from_term, keys["från"][1])
                start = self.atom(term, keys["från"][1]) if term is not None else None
                if start is not None:
                    node[term.predicate] = {"@value": start, "@type": term.datatype}
                    self.sourcemap.keys[(entry_iri, term.predicate)] = _line(keys["från"][0])
            self.statements.append(node)
            # The entry's support: written in the entry itself, or several under its `stöd:`.
            inline = [(k, v) for k, v in entry.value if k.value in SUPPORT_KEYS and k.value != "värde"]
            if "stöd" in keys and inline:
                self.error(inline[0][0], "skriv postens stöd antingen direkt i posten eller under dess 'stöd:', inte båda")
                continue
            blocks = _items(keys["stöd"][1]) if "stöd" in keys else \
                [yaml.MappingNode(entry.tag, inline, entry.start_mark, entry.end_mark)] if inline else []
            counts: dict[str, int] = {}
            for block in blocks if value is not None else []:
                self.statement(entry_id, entry_iri, STATUS_KEY, status_term, {value: node[AG + "status"]}, block, counts)

    def precise_term(self, term: Term, node: yaml.Node) -> Term | None:
        """The key a date is stored under, by the precision written: year, month or day."""
        if term.kind != "typed" or term.datatype != XSD + "date" or not isinstance(node, yaml.ScalarNode):
            return term
        for pattern, suffix in DATE_PRECISIONS:
            if pattern.match(node.value):
                variant = self.ctx.terms.get(term.key + suffix)
                if variant is None:
                    self.error(node, f"'{term.key}' ska vara ett fullständigt datum ÅÅÅÅ-MM-DD, inte '{node.value}'")
                    return None
                return variant
        return term

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
                self.error(node, f"'{term.key}' ska vara ett datum ÅÅÅÅ-MM-DD, ÅÅÅÅ-MM eller ÅÅÅÅ, inte '{text}'")
                return None
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                self.error(node, f"'{term.key}' ska skrivas ÅÅÅÅ-MM-DD, ÅÅÅÅ-MM eller ÅÅÅÅ, inte '{text}'")
                return None
        elif datatype == "gYearMonth":
            if not DATE_PRECISIONS[1][0].match(text):
                self.error(node, f"'{term.key}' ska vara en månad ÅÅÅÅ-MM, inte '{text}'")
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

    # -- the `stöd:` block ---------------------------------------------------------------

    def supports(self, node_id: str, iri: str, block: yaml.Node,
                 written: dict[str, tuple[Term, yaml.Node]], typ: tuple[yaml.Node, yaml.Node] | None,
                 history: bool = False) -> None:
        """One ag:Statement per (field value, support) of a node's `stöd:` block."""
        if not isinstance(block, yaml.MappingNode):
            self.error(block, "'stöd' ska vara en uppsättning 'fält: stöd', ett fält per rad (se docs/for-jurister.md)")
            return
        fields = dict(written)
        if typ is not None:
            fields["typ"] = (Term("typ", RDF_TYPE, "type"), typ[1])
        seen: set[str] = set()
        for key_node, value_node in block.value:
            field_key = key_node.value
            if field_key in seen:
                self.error(key_node, f"fältet '{field_key}' står två gånger i 'stöd'; skriv flera stöd som en lista under ett fält")
                continue
            seen.add(field_key)
            if field_key == STATUS_KEY and history:
                self.error(key_node, "statushistoriken har sitt stöd i varje post (källa och citat, eller slutsats), inte under 'stöd'")
                continue
            if field_key not in fields:
                known = self.ctx.terms.get(field_key)
                if known is None or known.reverse:
                    self.error(key_node, f"okänt fält '{field_key}' i 'stöd'{self.suggest(field_key, fields)}; stödet gäller ett fält i noden")
                else:
                    self.error(key_node, f"'stöd' har ett stöd för '{field_key}' men noden har inget '{field_key}'")
                continue
            term, values_node = fields[field_key]
            objects = self.field_objects(term, values_node)
            entries = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            if not entries:
                self.error(value_node, f"stödet för '{field_key}' är en tom lista")
                continue
            counts: dict[str, int] = {}
            for entry in entries:
                self.statement(node_id, iri, field_key, term, objects, entry, counts)

    def field_objects(self, term: Term, node: yaml.Node) -> dict[str, object]:
        """The field's values as written -> their RDF object in JSON-LD (as the triple has it)."""
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        objects = {}
        for item in items:
            if isinstance(item, yaml.ScalarNode) and item.value:
                objects[item.value] = self.rdf_object(term, item.value)
        return objects

    def rdf_object(self, term: Term, text: str):
        if term.kind == "type":
            return {"@id": self.ctx.types[text]}
        if term.kind == "reference":
            return {"@id": self.ctx.expand(text)}
        if term.kind == "vocab":
            return {"@id": self.ctx.expand_vocab(text)}
        if term.kind == "typed":
            if term.datatype == XSD + "boolean":
                return {"@value": "true" if text.lower() in ("true", "ja") else "false", "@type": term.datatype}
            return {"@value": text, "@type": term.datatype}
        return {"@value": text, "@language": term.language} if term.language else {"@value": text}

    def statement(self, node_id: str, iri: str, field_key: str, term: Term, objects: dict[str, object],
                  entry: yaml.Node, counts: dict[str, int]) -> None:
        if not isinstance(entry, yaml.MappingNode):
            self.error(entry, f"stödet för '{field_key}' ska vara 'källa:' och 'citat:', 'lagrum:', 'annan_källa:' eller 'slutsats:'")
            return
        keys: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in entry.value:
            if k.value not in SUPPORT_KEYS:
                self.error(k, f"okänd nyckel '{k.value}' i stödet för '{field_key}'{self.suggest(k.value, SUPPORT_KEYS)}")
                return
            if k.value in keys:
                self.error(k, f"'{k.value}' står två gånger i samma stöd för '{field_key}'")
                return
            keys[k.value] = (k, v)
        kinds = [kind for kind, present in (
            ("statute", "lagrum" in keys), ("namedSource", "annan_källa" in keys),
            ("conclusion", "slutsats" in keys),
            ("source", "källa" in keys and "slutsats" not in keys)) if present]
        if not kinds:
            self.error(entry, f"stödet för '{field_key}' anger inget slag: skriv 'källa:' med 'citat:', 'lagrum:', 'annan_källa:' eller 'slutsats:'")
            return
        if len(kinds) > 1:
            self.error(entry, f"stödet för '{field_key}' blandar flera slag ({', '.join(k for k in SUPPORT_KEYS if k in keys and k not in ('värde', 'citat', 'observerad'))}); skriv ett stöd per slag, som en lista")
            return
        if "värde" in keys:
            value_text = self.scalar(keys["värde"][1], "värde")
            if value_text is None:
                return
            if value_text not in objects:
                self.error(keys["värde"][1], f"värdet '{value_text}' finns inte i fältet '{field_key}' (där står: {', '.join(objects)})")
                return
            chosen = [value_text]
        else:
            chosen = list(objects)
        for value_text in chosen:
            base = f"{_slug(node_id)}--{_slug(field_key, exact=False)}--{_slug(value_text)}"
            counts[base] = counts.get(base, 0) + 1
            st_id = base if counts[base] == 1 else f"{base}--{counts[base]}"
            st_iri = self.ctx.expand(st_id)
            body = self.support_body(keys, field_key, st_iri)
            if body is None:
                return
            self.sourcemap.nodes[st_iri] = (self.display, _line(entry))
            for key, (k, _v) in keys.items():
                predicate = {"källa": PROV + "wasDerivedFrom", "citat": AG + "quote", "lagrum": AG + "statute",
                             "slutsats": AG + "reason", "annan_källa": PROV + "wasDerivedFrom"}.get(key)
                if predicate:
                    self.sourcemap.keys[(st_iri, predicate)] = _line(k)
            self.sourcemap.keys[(st_iri, AG + "supportKind")] = _line(entry)
            self.sourcemap.keys[(st_iri, RDF + "object")] = _line(keys["värde"][0]) if "värde" in keys else _line(entry)
            self.statements.append({
                "@id": st_iri, "@type": AG + "Statement",
                RDF + "subject": {"@id": iri}, RDF + "predicate": {"@id": term.predicate},
                RDF + "object": objects[value_text],
                AG + "supportKind": {"@id": AG + kinds[0]},
                "@reverse": {AG + "statement": {"@id": iri}},
                **body,
            })

    def support_body(self, keys: dict[str, tuple[yaml.Node, yaml.Node]], field_key: str, st_iri: str) -> dict | None:
        """The support's own triples in JSON-LD; None after a located error."""
        body: dict = {}
        readers = (("källa", PROV + "wasDerivedFrom", self.reference), ("citat", AG + "quote", self.swedish),
                   ("lagrum", AG + "statute", self.reference), ("slutsats", AG + "reason", self.swedish))
        for key, predicate, read in readers:
            if key in keys:
                values = [read(v, key) for v in (_items(keys[key][1]) if read == self.reference else [keys[key][1]])]
                if any(v is None or v.get("@value", "") is None for v in values):
                    return None
                body[predicate] = values
        sections = body.pop(PROV + "wasDerivedFrom", [])
        if "annan_källa" in keys:
            named = self.named_source(keys["annan_källa"][1], st_iri, body)
            if named is None:
                return None
            sections.append(named)
        if sections:
            body[PROV + "wasDerivedFrom"] = sections
        if "observerad" in keys:
            observed = self.date_object("observerad", keys["observerad"][1])
            if observed is None:
                return None
            body[observed[0]] = observed[1]
        return body

    def swedish(self, node: yaml.Node, key: str) -> dict:
        return {"@value": self.scalar(node, key), "@language": "sv"}

    def reference(self, node: yaml.Node, key: str) -> dict | None:
        text = self.atom(Term(key, "", "reference"), node)
        return {"@id": self.ctx.expand(text)} if text is not None else None

    def date_object(self, key: str, node: yaml.Node) -> tuple[str, dict] | None:
        """A date written in a support entry: (predicate of its precision, typed literal)."""
        # `läst` (when a named source was read) is a day; it is no key of a node.
        term = self.ctx.terms.get(key) or Term(key, AG + "accessedOn", "typed", datatype=XSD + "date")
        term = self.precise_term(term, node)
        if term is None:
            return None
        value = self.atom(term, node)
        return (term.predicate, {"@value": value, "@type": term.datatype}) if value is not None else None

    def named_source(self, node: yaml.Node, st_iri: str, body: dict) -> dict | None:
        """`annan_källa: {titel, url, referens, läst, utgiven}`: a prov:Entity of its own, read on `läst`,
        written on `utgiven` when the source states it."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "'annan_källa' ska vara {titel: …, url: … eller referens: …, läst: ÅÅÅÅ-MM-DD, och utgiven: när källan anger det}")
            return None
        source: dict = {"@id": st_iri + "--annan-kalla", "@type": AG + "NamedSource"}
        for k, v in node.value:
            if k.value not in NAMED_SOURCE_KEYS:
                self.error(k, f"okänd nyckel '{k.value}' i 'annan_källa'{self.suggest(k.value, NAMED_SOURCE_KEYS)}")
                return None
            if k.value in ("läst", "utgiven"):
                # `läst` is the reader's day, on the statement; `utgiven` is when the source says
                # it was written or published (a day, month or year as it gives it), on the source.
                dated = self.date_object(k.value, v)
                if dated is None:
                    return None
                (body if k.value == "läst" else source)[dated[0]] = dated[1]
                continue
            text = self.scalar(v, k.value)
            if text is None:
                return None
            if k.value == "titel":
                source[DCTERMS + "title"] = {"@value": text, "@language": "sv"}
            elif k.value == "url":
                if not text.startswith(("http://", "https://")):
                    self.error(v, f"'url' ska börja med https:// eller http://, inte '{text}'")
                    return None
                source[AG + "url"] = {"@value": text, "@type": XSD + "anyURI"}
            else:
                source[DCTERMS + "bibliographicCitation"] = {"@value": text, "@language": "sv"}
        self.sourcemap.nodes[source["@id"]] = (self.display, _line(node))
        self.statements.append(source)
        return {"@id": source["@id"]}


def _is_history(node: yaml.Node) -> bool:
    """`status:` written as a list of entries (mappings), not one value."""
    return isinstance(node, yaml.SequenceNode) and any(isinstance(item, yaml.MappingNode) for item in node.value)


def _date_key(key: str) -> str:
    """giltig_från_år and giltig_från_månad are giltig_från at another precision."""
    for suffix in ("_år", "_månad"):
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def _items(node: yaml.Node) -> list[yaml.Node]:
    return node.value if isinstance(node, yaml.SequenceNode) else [node]


def _slug(text: str, exact: bool = True) -> str:
    """A stable id part: ASCII letters, digits and hyphens. With exact, a short hash keeps
    two values that fold to the same letters (or a long literal) apart; field keys (bärare
    -> barare) are few and distinct, so they go without."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if (slug == text or not exact) and len(slug) <= 80:
        return slug
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return f"{slug[:40].rstrip('-')}-{digest}" if slug else digest
