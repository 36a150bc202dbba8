"""Gap analysis: where responsibility is unclear, missing or stale, for a municipality and date.

Every gap is computed from the graph, never listed by hand, in three ways:
- rules written as SPARQL in queries/luckor/*.rq (their header names the gap, its severity
  and its meaning; each returns the focus node, evidence, who should act and a text);
- the SHACL warning shapes of ontology/shapes.ttl, run as plain SPARQL over the store, so
  "stale", "cites a repealed section" and "no response" mean the same here as in validate;
- graph analyses with networkx: escalation routes that loop or stop at a node that cannot
  decide, and actors on whom a large share of the duties converge.
Each gap carries its evidence with provenance and who should act (the agreement's steering
group, or the board concerned).
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import networkx as nx
import rdflib
from rdflib.namespace import PROV, RDF, SKOS

from .answering import lapsed_documents
from .catalog import catalog_for
from .dates import valid_between
from .ids import local_id as _local
from .duties import DutyBuilder
from .results import Ref, Support
from .paths import QUERIES_DIR
from .queries import query_text
from .graph_store import GraphStore, per_data_version, terminals
from .shape_queries import warning_shapes
from .vocabulary import AG, DECIDING_KINDS, GAP_HEADINGS, INSTRUMENT_KINDS, KIND_NAMES
from .links import href
from .wording import WORDING, lower_first

RULES_DIR = QUERIES_DIR / "luckor"
SEVERITY_ORDER = {"hög": 0, "medel": 1, "låg": 2, "info": 3}
BOTTLENECK_SHARE = 0.25  # an actor carrying a quarter of the municipality's duties
BOTTLENECK_MIN_DUTIES = 5
DOCUMENT_KINDS = {KIND_NAMES[k] for k in INSTRUMENT_KINDS}


@dataclass
class Evidence:
    node: Ref
    sources: list[Ref]
    # What each shown statement about the node rests on (stod.rq, read by duties.DutyBuilder):
    # "Källan säger: «…» (…)", "Slutsats: … (skäl: …)", a statute or another named source.
    support: list[Support] = field(default_factory=list)


@dataclass
class Gap:
    kind: str
    title: str
    severity: str
    focus: Ref
    texts: list[str]
    evidence: list[Evidence] = field(default_factory=list)
    act: list[Ref] = field(default_factory=list)
    detail: str | None = None  # e.g. the kind of audit finding
    # What and where in words, for a board reading the report ("<kommun>: avvikelser
    # enligt samverkansrutinen för skola och BUP rapporteras inte …"); `title` names the kind.
    heading: str = ""
    # What the data leaves open about the gap itself (a finding without `kommuner`, counted
    # here by what it concerns): for whoever maintains the data, shown apart from the gap.
    data_warnings: list[str] = field(default_factory=list)


@dataclass
class GapReport:
    municipality: Ref
    date: str
    gaps: list[Gap]

    def as_dict(self) -> dict:
        return asdict(self)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for gap in self.gaps:
            counts[gap.severity] += 1
        return dict(counts)

    def summary(self) -> list[dict]:
        """One row per severity and kind: how many gaps, and which boards should act on them."""
        rows: dict[tuple[str, str], dict] = {}
        for gap in self.gaps:
            row = rows.setdefault((gap.severity, gap.title), {"severity": gap.severity, "kind": gap.kind, "title": gap.title,
                                                             "count": 0, "act": defaultdict(int)})
            row["count"] += 1
            for actor in {a.label for a in gap.act}:
                row["act"][actor] += 1
        ordered = sorted(rows.values(), key=lambda r: (SEVERITY_ORDER.get(r["severity"], 9), -r["count"], r["title"]))
        return [{**r, "act": sorted(r["act"].items(), key=lambda i: (-i[1], i[0]))} for r in ordered]

    def by_actor(self) -> list[tuple[Ref, dict[str, int]]]:
        """Who should act, with the number of gaps per severity: a board's own to-do list."""
        actors: dict[str, Ref] = {}
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for gap in self.gaps:
            for actor in {a.iri: a for a in gap.act}.values():
                actors[actor.iri] = actor
                counts[actor.iri][gap.severity] += 1
        return sorted(((actors[i], dict(c)) for i, c in counts.items()), key=lambda a: (-sum(a[1].values()), a[0].label))

    def groups(self) -> list[tuple[str, list[Gap]]]:
        """The gaps by kind, the most severe kinds first (the order of the report within)."""
        grouped: dict[str, list[Gap]] = defaultdict(list)
        for gap in self.gaps:
            grouped[gap.title].append(gap)
        return sorted(grouped.items(), key=lambda g: (min(SEVERITY_ORDER.get(x.severity, 9) for x in g[1]), g[0]))

    def documents(self, gap: Gap) -> list[Ref]:
        """The documents and sources a gap is about or rests on (for filtering by document)."""
        refs = ([gap.focus] if gap.focus.kind in DOCUMENT_KINDS else []) + [s for e in gap.evidence for s in e.sources]
        return list({r.iri: r for r in refs}.values())


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    severity: str
    text: str


def _header(text: str, key: str) -> str | None:
    match = re.search(rf"^# {key}: (.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


@lru_cache(maxsize=1)
def rules(folder: Path = RULES_DIR) -> tuple[Rule, ...]:
    found = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        found.append(Rule(path.stem, _header(text, "Lucka") or path.stem, _header(text, "Allvarlighet") or "medel", text))
    return tuple(found)


@per_data_version(maxsize=64)
def analyse_cached(store: GraphStore, municipality_iri: str, on_date: dt.date) -> GapReport:
    """The web page links answers to gaps; the analysis only changes with the data."""
    return analyse(store, municipality_iri, on_date)


def touched_by(report: GapReport, iris: set[str]) -> list[Gap]:
    """The gaps whose focus or evidence is one of these nodes (an answer's duties, documents, task)."""
    return [g for g in report.gaps if g.focus.iri in iris or any(e.node.iri in iris for e in g.evidence)]


def analyse(store: GraphStore, municipality_iri: str, on_date: dt.date) -> GapReport:
    catalog = catalog_for(store)
    kommun = next(m for m in catalog.municipalities.values() if m.iri == municipality_iri)
    reader = DutyBuilder(store, catalog, kommun, on_date)
    bindings = {"kommun": rdflib.URIRef(municipality_iri),
                "datum": rdflib.Literal(on_date.isoformat(), datatype=rdflib.XSD.date)}
    gaps: list[Gap] = []
    for rule in rules():
        gaps.extend(_rule_gaps(store, reader, rule, bindings))
    gaps.extend(_shape_gaps(store, reader, bindings))
    gaps.extend(_escalation_gaps(store, reader, bindings))
    gaps.extend(_bottleneck_gaps(store, reader, bindings))
    gaps.extend(_lapsed_gaps(reader, on_date))
    # SPARQL leaves the order of rows open and servers differ in it: sort on everything a
    # reader sees, so that a report reads the same from every store.
    gaps.sort(key=lambda g: (SEVERITY_ORDER.get(g.severity, 9), g.title, g.focus.label, g.focus.iri, g.detail or "", g.texts))
    with_support(reader, gaps)
    return GapReport(kommun, on_date.isoformat(), with_headings(kommun, gaps))


def with_support(reader: DutyBuilder, gaps: list[Gap]) -> None:
    """Each piece of evidence with the support of its statements known on the report's date
    (issue 14: support from a source written later is no evidence on that date), read in one
    query."""
    evidence = [e for g in gaps for e in g.evidence]
    reader.prefetch_support(sorted({e.node.iri for e in evidence}))
    for item in evidence:
        item.support = reader.split_by_date(reader.support(item.node.iri))[0]


# --- headings: what and where, from the gap's own data ----------------------------------

def _clause(text: str, limit: int = 110) -> str:
    """The first statement of a finding, without its parentheses, cut at a word, on one line
    (a quote keeps the source's line breaks and double spaces; a heading must not)."""
    text = " ".join(re.sub(r"\s*\([^()]*\)", "", text).split())
    text = re.split(r";|\.(?:\s|$)", text, maxsplit=1)[0].strip()
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",") + " …"
    return text  # its own capitals: a region's or a municipality's name stays as written


def _task_words(task: str) -> str:
    # Task names are verb phrases ("Kalla till SIP") or noun phrases ("Placerade barns skolgång").
    words = task[:1].lower() + task[1:] if len(task) > 1 and not task[1].isupper() else task
    return f"ska {words}" if task.split(" ", 1)[0].lower().endswith("a") else f"ansvarar för {words}"


def _heading_fields(gap: Gap, omits: tuple[str, ...]) -> dict[str, str | None]:
    """What a heading template (ag:GapKind in ontology/vocabularies.ttl) may name; None
    where the gap lacks it, so that the template's fallback is used."""
    texts = list(gap.texts)
    for words in omits:
        texts = [t.replace(words, "") for t in texts]
    first = texts[0] if texts else None
    repealed = re.findall(r"(?:hänvisar till|vilar dokumentet på|knutit dokumentet till) (.+?), som upphörde", " ".join(texts))
    return {
        "fokus": gap.focus.label,
        "fokus_kort": _clause(gap.focus.label, 140),
        "fokus_kortare": _clause(gap.focus.label, 120),
        "text_kort": _clause(first) if first else None,
        "text_lång": _clause(first, 140) if first else None,
        "bevis_kort": lower_first(_clause(gap.evidence[0].node.label, 80)) if gap.evidence else None,
        "uppgift_som_verb": _task_words(gap.focus.label),
        "avvisande": first.split(" avvisar ")[0] if first and " avvisar " in first else None,
        "upphävda": ", ".join(dict.fromkeys(repealed)) or "bestämmelse",
        "hänvisar": "hänvisar till" if texts and all(t.startswith(REFERENCE_WORDS["källa"]) for t in texts) else None,
    }


def _what(gap: Gap) -> str:
    """The first heading of the gap's kind whose fields the gap has; a kind without headings
    gets its title and its focus."""
    headings, omits = GAP_HEADINGS.get(gap.kind, ((), ()))
    fields = _heading_fields(gap, omits)
    for template in headings:
        names = re.findall(r"\{(\w+)\}", template)
        if all(fields.get(n) for n in names):
            return template.format(**fields)
    return f"{gap.title[:1].lower()}{gap.title[1:]}: {gap.focus.label}"


def with_headings(kommun: Ref, gaps: list[Gap]) -> list[Gap]:
    """Each gap's heading: the municipality, then what; a heading two gaps share names the
    focus too (one finding about three units is three gaps)."""
    for gap in gaps:
        gap.heading = f"{kommun.label}: {_what(gap)}"
    shared = defaultdict(int)
    for gap in gaps:
        shared[gap.heading] += 1
    for gap in gaps:
        if shared[gap.heading] > 1:
            # Named even when the text already mentions it: a finding about "<region> och
            # <kommun>" is two gaps whose texts both name both.
            gap.heading += f" ({gap.focus.label})" if gap.focus.label not in gap.heading else f" (gäller {gap.focus.label})"
    return gaps


def _label(reader: DutyBuilder, iri: str) -> Ref:
    """A node as a person should see it: its name, or for a duty its description."""
    (node,) = reader.describe(iri)
    label = node.label() if node.text(SKOS.prefLabel) else _describe_short(node)
    return Ref(iri, label, node.kind() or ("åtagande" if node.one(rdflib.URIRef(AG + "task")) else None))


def _evidence(reader: DutyBuilder, iri: str) -> Evidence:
    (node,) = reader.describe(iri)
    return Evidence(_label(reader, iri), reader.sources(node))


def _describe_short(node) -> str:
    from rdflib.namespace import DCTERMS

    return node.text(DCTERMS.description) or _response_name(node) or _local(node.iri)


def _response_name(node) -> str | None:
    """A board's response has no name of its own: it is the board's answer, with its stance."""
    board, stance = node.ref(AG.respondent), node.ref(AG.stance)
    if board is None:
        return None
    return f"Svar från {board.label}" + (f": {stance.label}" if stance else "")


# A rule marks a pattern that walks the organisation tree for one municipality with a comment
# `# ersätts: <kind> ?var` on the line right above it, or a block of lines with `# ersätts till
# slut: <kind> ?var` above and `# slut` below (the documents in force on the date: the party
# path and every date condition). The rule file stays complete, runnable SPARQL (the
# reference); the engine replaces the marked line or block with the same set, computed from
# the organisation index, as VALUES: walking paths per candidate takes minutes at national
# scale. tests/test_gaps.py checks that both give the same gaps.
MARKER = re.compile(r"#\s*ersätts(\s+till\s+slut)?\s*:\s*([\w-]+)\s+[?$](\w+)\s*$", re.IGNORECASE)
BLOCK_END = re.compile(r"#\s*slut\s*$", re.IGNORECASE)
# A `FILTER EXISTS {` or `FILTER NOT EXISTS {` with `# som valfri: ?var` on the line above runs
# on the embedded engine as `OPTIONAL { … }` followed by FILTER(BOUND(?var)) or
# FILTER(!BOUND(?var)): Oxigraph 0.5 does not plan the inside of an EXISTS (its joins run in the
# written order without keys, oxigraph/oxigraph#885; 40 s for one municipality at 90,000
# triples against milliseconds as an OPTIONAL), while Virtuoso 7.2.5 runs out of memory on the
# OPTIONAL form (SQ200), so the rule file keeps the EXISTS. The two mean the same when ?var is
# bound by every match of the block and the variables the block shares with the rest of the
# query are bound there (the block's filters become the OPTIONAL's condition, which sees them).
AS_OPTIONAL = re.compile(r"#\s*som\s+valfri\s*:\s*[?$](\w+)\s*$", re.IGNORECASE)
# A comment that begins like a marker but is not one is refused, not silently left unapplied.
LIKE_A_MARKER = re.compile(r"#\s*(ersätts|som\s+valfri)\b", re.IGNORECASE)

# The markers are comments, and the patterns they mark are found by SPARQL's terminals
# (graph_store.terminals): a marker inside a string is none, a "}" or "?var" in a string or a
# comment counts for nothing, and keywords may be written in any case and spacing.


def for_store(store, text: str, index, municipality: str, on_date: dt.date | None = None) -> str:
    """The rule as the store runs it best: specialised for the embedded engine; as written
    for a SPARQL server, whose own planner handles the paths (and Virtuoso 7.2.5 fails on
    inline tables inside EXISTS and sub-SELECTs, docs/drift.md)."""
    return specialise(text, index, municipality, on_date) if store.inline_tables else text


# The sets a marker may name, each computed from the organisation index for one municipality
# on a date. One table: the names a rule may use are its keys.
SETS = {
    "dokument-med-kommunen-som-part": lambda index, m, on_date: index.documents_with_party(m),
    "organisationer-i-kommunen": lambda index, m, on_date: index.below(m),
    "delar-av-kommunen": lambda index, m, on_date: index.below(m, ("del",)),
    # The same rule as answers (organisation_index.DocumentValidity): signed, valid
    # from/until with their precision, a later version begun, under drafting.
    "dokument-i-kraft-i-kommunen": lambda index, m, on_date: _dated(index.documents_in_force, m, on_date),
}


def specialise(text: str, index, municipality: str, on_date: dt.date | None = None) -> str:
    text, marked = _marked(text)
    here = rdflib.URIRef(municipality).n3()
    edits = []
    for start, end, lead, kind, variable in marked:
        # The table binds ?kommun too, exactly as the replaced pattern does.
        rows = " ".join(f"({rdflib.URIRef(v).n3()} {here})" for v in SETS[kind](index, municipality, on_date))
        edits.append((start, end, f"{lead}VALUES (?{variable} ?kommun) {{ {rows} }}"))
    return _edited(text, edits)




@lru_cache(maxsize=64)
def _marked(text: str) -> tuple[str, tuple[tuple[int, int, str, str, str], ...]]:
    """The rule with its `# som valfri` blocks as OPTIONALs, and where each marked pattern
    is: (start, end, what precedes the table, set, variable). Read once per rule text; only
    the sets differ between municipalities and dates."""
    text = _exists_as_optional(text)
    tokens = terminals(text)
    marked, done = [], 0
    for n, token in enumerate(tokens):
        if token.start() < done or token.lastgroup != "comment":
            continue
        marker = MARKER.match(token.group())
        if marker is None:
            if BLOCK_END.match(token.group()):
                raise ValueError("'# slut' står utan ett '# ersätts till slut:' ovanför")
            _refuse_a_near_marker(token.group())
            continue
        block, kind, variable = marker.groups()
        if kind not in SETS:
            raise ValueError(f"okänd ersättning '{kind}' i regel: välj {', '.join(SETS)}")
        indent = _indent(text, token.start())
        if block:
            end = next((t for t in tokens[n + 1:] if t.lastgroup == "comment" and BLOCK_END.match(t.group())), None)
            if end is None:
                raise ValueError("ett block '# ersätts till slut:' saknar '# slut'")
            replaced = [t for t in tokens[n + 1:] if t.end() <= end.start()]
            start, done, lead = token.end(), end.end(), "\n" + indent  # the marker stays; the block through '# slut' goes
        else:
            first = next((t for t in tokens[n + 1:] if t.lastgroup != "comment"), None)
            if first is None or text.count("\n", token.end(), first.start()) != 1:
                raise ValueError(f"'# ersätts: {kind} ?{variable}' står inte direkt ovanför ett mönster")
            line_end = _line_end(text, first.start())
            replaced = [t for t in tokens[n + 1:] if t.start() < line_end]
            start, done, lead = _line_start(text, first.start()), max(line_end, replaced[-1].end()), indent
        _check_whole(replaced, variable, f"'# ersätts{block or ''}: {kind} ?{variable}'")
        marked.append((start, done, lead, kind, variable))
    return text, tuple(marked)


def _exists_as_optional(text: str) -> str:
    tokens = terminals(text)
    edits = []
    for n, token in enumerate(tokens):
        marker = AS_OPTIONAL.match(token.group()) if token.lastgroup == "comment" else None
        if marker is None:
            continue
        variable = marker.group(1)
        code = [t for t in tokens[n + 1:] if t.lastgroup != "comment"]
        words = [t.group().upper() for t in code[:4]]
        negated = words[:3] == ["FILTER", "NOT", "EXISTS"]
        opening = 3 if negated else 2
        if not (negated or words[:2] == ["FILTER", "EXISTS"]) or len(code) <= opening or code[opening].group() != "{":
            raise ValueError(f"'# som valfri: ?{variable}' står inte ovanför 'FILTER (NOT) EXISTS {{'")
        close = _closing(code, opening)
        if close is None or _unbalanced(tokens):
            raise ValueError(f"blocket under '# som valfri: ?{variable}' slutar inte med '}}'")
        _check_whole(code[opening + 1:close], variable, f"'# som valfri: ?{variable}'")
        indent = _indent(text, code[0].start())
        edits.append((code[0].start(), code[opening].end(), "OPTIONAL {"))
        edits.append((code[close].end(), code[close].end(), f"\n{indent}FILTER({'!' if negated else ''}BOUND(?{variable}))"))
    return _edited(text, edits)


def _closing(code: list, opening: int) -> int | None:
    """The index of the brace that closes code[opening]."""
    depth = 0
    for n in range(opening, len(code)):
        depth += {"{": 1, "}": -1}.get(code[n].group(), 0)
        if depth == 0:
            return n
    return None


def _unbalanced(tokens: list) -> bool:
    """Whether the braces or parentheses of these terminals fail to close inside them."""
    code = [t.group() for t in tokens if t.lastgroup == "mark"]
    return code.count("{") != code.count("}") or code.count("(") != code.count(")")


def _check_whole(tokens: list, variable: str, what: str) -> None:
    """The replaced pattern is whole (its braces and parentheses close inside it) and binds
    the variable the marker names."""
    if _unbalanced(tokens):
        raise ValueError(f"mönstret under {what} är inte helt (klamrar eller parenteser går inte jämnt ut)")
    if not any(t.lastgroup == "variable" and t.group()[1:] == variable for t in tokens):
        raise ValueError(f"mönstret under {what} binder inte ?{variable}")


def _refuse_a_near_marker(comment: str) -> None:
    if LIKE_A_MARKER.match(comment) and not AS_OPTIONAL.match(comment):
        raise ValueError(f"kommentaren '{comment.strip()}' liknar en markering men går inte att läsa: "
                         "skriv '# ersätts: <slag> ?variabel', '# ersätts till slut: <slag> ?variabel' eller '# som valfri: ?variabel'")


def _edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _line_start(text: str, position: int) -> int:
    return text.rfind("\n", 0, position) + 1


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end


def _indent(text: str, position: int) -> str:
    """The whitespace that begins the line the position is on."""
    line = text[_line_start(text, position):position]
    return line[:len(line) - len(line.lstrip())]


def _dated(documents_in_force, municipality: str, on_date: dt.date | None) -> list[str]:
    if on_date is None:
        raise ValueError("'dokument-i-kraft-i-kommunen' behöver datumet (for_store(..., on_date))")
    return documents_in_force(municipality, on_date)


def _rule_gaps(store, reader, rule: Rule, bindings) -> list[Gap]:
    grouped: dict[tuple[str, str], dict] = {}
    text = for_store(store, rule.text, reader.catalog.organisations, str(bindings["kommun"]), reader.on_date)
    rows = store.select(text, bindings)
    _describe_written(reader, [str(row[k]) for row in rows for k in ("fokus", "bevis", "agerar") if row.get(k) is not None])
    for row in rows:
        focus = str(row["fokus"])
        if not reader.known(focus) or (row.get("bevis") is not None and not reader.known(str(row["bevis"]))):
            continue  # written after the report's date (a later audit's recommendation or finding)
        # One gap per focus, and per kind of finding when the rule reports findings.
        key = (focus, str(row.get("typ") or ""))
        entry = grouped.setdefault(key, {"texts": [], "evidence": [], "act": [], "detail": None, "warnings": []})
        for key, target in (("text", "texts"), ("bevis", "evidence"), ("agerar", "act"), ("datavarning", "warnings")):
            value = row.get(key)
            if value is not None and str(value) and str(value) not in entry[target]:
                entry[target].append(str(value))
        if row.get("typ") is not None:
            entry["detail"] = str(row["typ"])
    gaps = []
    for (focus, _kind), entry in grouped.items():
        # Sorted: the rows come in the server's order (see analyse).
        gaps.append(Gap(rule.name, rule.title, rule.severity, _label(reader, focus), sorted(entry["texts"]),
                        [_evidence(reader, e) for e in sorted(entry["evidence"])],
                        [_label(reader, a) for a in sorted(entry["act"])], entry["detail"],
                        data_warnings=sorted(entry["warnings"])))
    return gaps


# --- SHACL warning shapes as SPARQL (shape_queries.py) ----------------------------------

def _describe_written(reader: DutyBuilder, iris: list[str]) -> None:
    """The nodes a rule returned, their sources and the reports these are part of, described
    in one query per level rather than one per node: `known` and the evidence's sources then
    read each one's date from the cache."""
    seen: set[str] = set()
    while iris:
        seen.update(iris)
        nodes = reader.describe(*iris)
        iris = list(dict.fromkeys(str(p) for n in nodes for p in (n.one(rdflib.DCTERMS.isPartOf), n.one(AG.foundIn),
                                                                   *n.all(PROV.wasDerivedFrom)) if p is not None and str(p) not in seen))


@per_data_version(maxsize=256)
def _rows(store, query: str, bindings: tuple = ()) -> tuple:
    """The rows of a query that does not depend on everything a report does: the warning
    shapes read only the date (or nothing), the escalation edges nothing, the documents and
    duties per actor only the municipality. Reports for several municipalities or dates
    (the CSV of all, a test over all) run each such query once per data version."""
    return tuple(store.select(query, dict(bindings)))


def _shape_gaps(store, reader, bindings) -> list[Gap]:
    gaps = []
    for shape in warning_shapes():
        # Read once per data version and date with the catalog: answers on the date use the
        # same rows (the revision warning, duties.py).
        rows = reader.catalog.shape_rows(store, shape, reader.on_date)
        _describe_written(reader, sorted(rows))
        by_focus: dict[str, list[str]] = defaultdict(list)
        for focus, its in sorted(rows.items()):
            for row in its:
                if row.get("who") is not None and row.get("oldLabel") is not None:
                    row = {**row, "who": _reference_words(reader, focus, str(row["oldLabel"]))}
                text = shape.text(row)
                if text not in by_focus[focus]:
                    by_focus[focus].append(text)
        for focus, texts in by_focus.items():
            if not reader.catalog.organisations.concerns(focus, str(bindings["kommun"])):
                continue
            if not reader.known(focus):
                continue  # a recommendation or finding written after the report's date
            (node,) = reader.describe(focus)
            named = {str(k) for k in node.all(AG.concernsMunicipality)}
            if named and str(bindings["kommun"]) not in named:
                continue  # a recommendation of a shared report for another municipality
            # Who should act: the steering group; else the addressees the source names
            # (those in the municipality, when some are); else the parties.
            act = [_label(reader, str(f)) for f in node.all(AG.governingForum)] or \
                [_label(reader, a) for a in _here(reader, [str(p) for p in node.all(AG.addressedTo)])] or \
                [_label(reader, str(p)) for p in node.all(AG.party)]
            gaps.append(Gap(shape.name, shape.label, "medel", _label(reader, focus), sorted(texts), [_evidence(reader, focus)], act))
    return gaps


# A document's legal basis as its support has it (issue 16, point 8): only a reference the
# source itself makes is "the document's"; otherwise the report says whose it is.
REFERENCE_WORDS = {
    "källa": "Dokumentet hänvisar till",
    "lag": "Enligt lagen vilar dokumentet på",
    "annan_källa": "Enligt {text_lower} vilar dokumentet på",
    "slutsats": "Enligt modellerarens slutsats (skäl: {reason}) vilar dokumentet på",
    None: "Utan angivet stöd har modelleraren knutit dokumentet till",
}


def _reference_words(reader: DutyBuilder, document: str, provision: str) -> str:
    support = next((s for s in reader.support(document) if s.value == provision), None)
    if support is None:
        return REFERENCE_WORDS[None]
    text = support.text.removeprefix("Enligt ")
    return REFERENCE_WORDS[support.kind].format(text_lower=text, reason=support.reason or "inget skäl angivet")


def _here(reader, actors: list[str]) -> list[str]:
    """The actors that belong to the municipality, or all of them when none does."""
    index, kommun = reader.catalog.organisations, reader.kommun.iri
    local = [a for a in actors if a == kommun or kommun in index.ancestors(a, ("del", "befattning"))]
    return local or actors


# --- networkx analyses -----------------------------------------------------------------

# The analyses' named queries (queries/*.rq).
ESCALATION_EDGES = query_text("eskaleringar")
INSTRUMENTS_IN_MUNICIPALITY = query_text("dokument-med-eskalering-i-kommun")
DUTIES_PER_ACTOR = query_text("ataganden-per-aktor")


def _escalation_gaps(store, reader, bindings) -> list[Gap]:
    graph = nx.DiGraph()
    graph.add_edges_from((str(r["fran"]), str(r["till"])) for r in _rows(store, ESCALATION_EDGES))
    gaps = []
    query = for_store(store, INSTRUMENTS_IN_MUNICIPALITY, reader.catalog.organisations, str(bindings["kommun"]))
    index = reader.catalog.organisations
    for row in _rows(store, query, (("kommun", bindings["kommun"]),)):
        start = str(row["dok"])
        if not _in_force(index, start, reader.on_date):
            continue  # not yet signed or in force, lapsed, replaced or under drafting
        reachable = nx.descendants(graph, start) | {start}
        cycle = next((c for c in nx.simple_cycles(graph.subgraph(reachable))), None)
        if cycle:
            names = " → ".join(_label(reader, n).label for n in cycle + cycle[:1])
            gaps.append(Gap("eskalering-i-ring", "Eskaleringsvägen går i ring", "hög", _label(reader, start),
                            [f"Eskaleringen går i ring: {names}."], [_evidence(reader, n) for n in cycle],
                            [_label(reader, start)]))
            continue
        ends = [n for n in reachable if graph.out_degree(n) == 0]
        for end in ends:
            (node,) = reader.describe(end)
            if DECIDING_KINDS & {str(t) for t in node.all(RDF.type)}:
                continue
            path = nx.shortest_path(graph, start, end)
            names = " → ".join(_label(reader, n).label for n in path)
            gaps.append(Gap("eskalering-slutar", "Eskaleringsvägen slutar hos någon som inte kan besluta", "medel",
                            _label(reader, start),
                            [f"Eskaleringen {names} slutar hos {node.label()} ({node.kind()}); källorna anger ingen väg vidare till en nämnd eller styrgrupp som kan besluta."],
                            [_evidence(reader, n) for n in path], [_label(reader, start)]))
    return gaps


def _in_force(index, document: str, on_date: dt.date) -> bool:
    validity = index.validity(document)
    return validity is not None and validity.in_force(on_date)


def _lapsed_gaps(reader: DutyBuilder, on_date: dt.date) -> list[Gap]:
    """Documents of the municipality that applied before the date and no longer do, with
    no version of them applying: whatever they organised has no written basis on the date."""
    gaps = []
    for document in reader.catalog.organisations.documents_with_party(reader.kommun.iri):
        tasks = reader.catalog.document_tasks.get(document, set())
        for note in {n.text: n for task in tasks for n in lapsed_documents(reader.catalog, task, reader.kommun, on_date)
                     if n.source.iri == document and n.kind == "ingen_giltig_version"}.values():
            gaps.append(Gap("ingen-giltig-version", "Inget av dokumentets versioner gäller på datumet", "hög",
                            _label(reader, document), [note.text], [_evidence(reader, document)], [_label(reader, document)]))
    return gaps


def _bottleneck_gaps(store, reader, bindings) -> list[Gap]:
    duties_by_actor: dict[str, set[str]] = defaultdict(set)
    index = reader.catalog.organisations
    query = for_store(store, DUTIES_PER_ACTOR, index, str(bindings["kommun"]))
    for row in _rows(store, query, (("kommun", bindings["kommun"]),)):
        # A duty counts on the date when it and its document (if any) apply then.
        if not valid_between(row["fran"], row["till"], reader.on_date):
            continue
        if row["dok"] is not None and not _in_force(index, str(row["dok"]), reader.on_date):
            continue
        duties_by_actor[str(row["aktor"])].add(str(row["atagande"]))
    total = len(set().union(*duties_by_actor.values())) if duties_by_actor else 0
    reader.describe(*duties_by_actor)  # one query for every actor, not one each
    gaps = []
    for actor, duties in duties_by_actor.items():
        (node,) = reader.describe(actor)
        if AG + "Municipality" in {str(t) for t in node.all(RDF.type)}:
            continue  # the municipality as a whole carries everything; not a bottleneck
        if len(duties) >= BOTTLENECK_MIN_DUTIES and total and len(duties) / total >= BOTTLENECK_SHARE:
            gaps.append(Gap("flaskhals", "Många åtaganden samlas hos en aktör", "info", _label(reader, actor),
                            [f"{len(duties)} av {total} åtaganden som gäller i kommunen ({len(duties) / total:.0%}) vilar på {node.label()}."],
                            [_evidence(reader, d) for d in sorted(duties)[:10]], [_label(reader, actor)]))
    return gaps


# --- output --------------------------------------------------------------------------

def render_text(report: GapReport) -> str:
    lines = [f"Ansvarsluckor i {report.municipality.label} per {report.date}: {len(report.gaps)} st "
             + ", ".join(f"{n} {s}" for s, n in sorted(report.counts().items(), key=lambda i: SEVERITY_ORDER.get(i[0], 9)))]
    for number, gap in enumerate(report.gaps, start=1):
        lines.append("")
        lines.append(f"{number}. [{gap.severity}] {gap.title}: {gap.focus.label}")
        for text in gap.texts:
            lines.append(f"   {text}")
        for warning in gap.data_warnings:
            lines.append(f"   Datavarning: {warning}")
        if gap.act:
            lines.append("   Bör åtgärdas av: " + ", ".join(a.label for a in gap.act))
        for ev in gap.evidence:
            sources = "; ".join(s.label for s in ev.sources) or "ingen källa"
            lines.append(f"   Belägg: {ev.node.label} – {sources}")
            for support in ev.support:
                lines.append(f"     {support.field} ({support.value}): {support.text}")
    return "\n".join(lines)


def render_csv(reports: list[GapReport]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["kommun", "datum", "allvarlighet", "lucka", "typ", "gäller", "förklaring", "bör_åtgärdas_av", "belägg", "källor",
                     "rubrik", "datavarningar"])
    for report in reports:
        for gap in report.gaps:
            writer.writerow([report.municipality.label, report.date, gap.severity, gap.title, gap.kind, gap.focus.label,
                             " ".join(gap.texts), "; ".join(a.label for a in gap.act),
                             "; ".join(e.node.label for e in gap.evidence),
                             "; ".join(s.label for e in gap.evidence for s in e.sources), gap.heading,
                             " ".join(gap.data_warnings)])
    return buffer.getvalue()


def render_html(reports: list[GapReport]) -> str:
    """A standalone, printable HTML report (the same template as the web page)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape


    templates = Path(__file__).parent / "web" / "templates"
    env = Environment(loader=FileSystemLoader(templates), autoescape=select_autoescape(["html"]))
    css = (Path(__file__).parent / "web" / "static" / "app.css").read_text(encoding="utf-8")
    return env.get_template("gaps_report.html").render(reports=reports, css=css, href=href, print_all=True, **WORDING)
