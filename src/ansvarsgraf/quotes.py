"""Check that every quote (`citat`) stands verbatim in the section its node cites.

The source documents ship with the project (kallor/*.txt, byte for byte as received), each
with an anchor file (kallor/*.ankare.yaml) that gives every section id its lines in the text.
A node's quote must be found in one of the sections (or whole documents) its `källa` names;
statutes and sources without a shipped text are not checked here. Before comparing, the text
loses its page headers (listed in the anchor file), and whitespace, soft hyphens, words broken
across lines and typographic quote marks and dashes count as equal. For an OCR text the anchor
file lists how garbled characters and words read (`fatt` = fått); a quote in correct Swedish
matches the garbled text, and the repairs it needed are reported with it.

A quote that is not found gives an error at the `citat:` line with the nearest passage
(rapidfuzz) and its section; a quote found in another section than the one cited names both.
Quotes known to have no verbatim support (statements the re-modelling of issue 16 will turn
into conclusions) are listed in kallor/citat-undantag.yaml and give a warning instead.
"""

import bisect
import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import rdflib
import yaml
from rapidfuzz import fuzz

from .context import load_context
from .dataset import LoadedData
from .paths import DATA_DIR, PROJECT_ROOT, display_path
from .vocabulary import AG

SOURCES_DIR = PROJECT_ROOT / "kallor"
EXCEPTIONS_FILE = "citat-undantag.yaml"
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
DCTERMS = rdflib.namespace.DCTERMS
RDF = rdflib.RDF
# The marker a warning for a listed exception carries, so it can be found and counted.
UNSUPPORTED_MARKER = "[SAKNAR ORDAGRANT STÖD]"

# Characters typed in one of several ways in the sources and in the YAML.
_TYPOGRAPHY = {
    '"': '"”“„»«', "”": '"”“„»«', "“": '"”“„»«', "„": '"”“„»«', "»": '"”“„»«', "«": '"”“„»«',
    "'": "'’‘", "’": "'’‘", "‘": "'’‘",
    "-": "-–—‐", "–": "-–—‐", "—": "-–—‐", "‐": "-–—‐",
}
_INSERTION = re.compile(r"\[(?!…\]|\.\.\.\])[^\[\]]*\]")
_ELLIPSIS = re.compile(r"\s*(?:\[…\]|\[\.\.\.\]|…|\.\.\.)\s*")
# A word broken across lines ("sam-\nverkan") still reads as one word (the prepared text has
# no soft hyphens and no spaces around line breaks).
_BREAK = r"(?:-\n)?"


@dataclass(frozen=True)
class Section:
    id: str
    spans: tuple[tuple[int, int], ...]  # character ranges in the prepared text: body, footnotes
    lines: tuple[int, int]  # first and last line in the shipped file, from 1

    def holds(self, start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in self.spans)

    @property
    def size(self) -> int:
        return sum(b - a for a, b in self.spans)


@dataclass(eq=False)  # one object per document: hashed by identity
class SourceText:
    """One shipped document, prepared for matching."""

    document: str  # the SourceDocument id (compact), as in data/audits/
    file: str  # kallor/003_….txt, as shown to people
    text: str  # page headers dropped, OCR word repairs applied
    line_starts: list[int]
    line_numbers: list[int]
    sections: dict[str, Section]
    readings: dict[str, set[str]] = field(default_factory=dict)  # quote char -> text chars
    word_repairs: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, garbled, repaired

    def line_of(self, offset: int) -> int:
        return self.line_numbers[max(bisect.bisect_right(self.line_starts, offset) - 1, 0)]

    def section_at(self, start: int, end: int) -> Section | None:
        """The innermost section holding the span."""
        holding = [s for s in self.sections.values() if s.holds(start, end)]
        return min(holding, key=lambda s: s.size, default=None)


@dataclass(frozen=True)
class QuoteFinding:
    severity: str  # FEL, VARNING, INFO
    node: str
    message: str
    file: str | None
    line: int | None
    value: str | None = None


@dataclass
class QuoteReport:
    findings: list[QuoteFinding]
    checked: int  # quotes compared with a shipped text
    failed: int  # quotes not found (errors and listed exceptions)
    unchecked: int  # quotes citing only statutes or sources without a shipped text
    repaired: int  # quotes that matched only through recorded OCR repairs
    exceptions: list[str]  # nodes on the exception list that still fail


@dataclass
class Sources:
    texts: dict[str, SourceText]  # by document id
    by_section: dict[str, SourceText]  # section id -> its document
    exceptions: dict[str, tuple[str, int]]  # node id -> (reason, line)
    problems: list[QuoteFinding]  # broken anchor files


def load_sources(folder: Path = SOURCES_DIR) -> Sources:
    """Every anchor file in the folder with its text; problems become findings, not crashes."""
    return _load_sources(str(folder))


@lru_cache(maxsize=4)
def _load_sources(folder_name: str) -> Sources:
    folder = Path(folder_name)
    texts: dict[str, SourceText] = {}
    problems: list[QuoteFinding] = []
    for anchor_file in sorted(folder.glob("*.ankare.yaml")) if folder.is_dir() else []:
        source = _read_anchor_file(anchor_file, problems)
        if source is not None:
            texts[source.document] = source
    by_section = {sid: t for t in texts.values() for sid in t.sections}
    exceptions = _read_exceptions(folder / EXCEPTIONS_FILE, problems)
    return Sources(texts, by_section, exceptions, problems)


def _read_anchor_file(path: Path, problems: list[QuoteFinding]) -> SourceText | None:
    shown = display_path(path)

    def problem(message: str, line: int | None = None) -> None:
        problems.append(QuoteFinding("FEL", path.name, message, shown, line))

    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        problem(f"ankarfilen kan inte läsas: {exc}")
        return None
    if not isinstance(data, dict) or not {"källa", "text", "avsnitt"} <= set(data):
        problem("ankarfilen ska ha 'källa', 'text' och 'avsnitt'")
        return None
    key_lines = _key_lines(root)
    text_path = path.parent / str(data["text"])
    if not text_path.is_file():
        problem(f"texten {data['text']} finns inte bredvid ankarfilen", key_lines.get("text"))
        return None
    raw = text_path.read_bytes()
    if data.get("sha256") and hashlib.sha256(raw).hexdigest() != data["sha256"]:
        problem(f"texten {data['text']} har ändrats (sha256 stämmer inte); se över ankarna och skriv in den nya kontrollsumman",
                key_lines.get("sha256"))
    lines = raw.decode("utf-8").split("\n")
    headers = {str(h).strip() for h in data.get("sidhuvud") or []}
    ocr = data.get("reparationer") or {}
    repairs = {str(k): str(v) for k, v in (ocr.get("ord") or {}).items()}
    repair_pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, sorted(repairs, key=len, reverse=True))) + r")(?!\w)") if repairs else None
    readings: dict[str, set[str]] = {}
    for garbled, meant in (ocr.get("tecken") or {}).items():
        for char in meant:
            readings.setdefault(str(char), set()).add(str(garbled))

    # The prepared text: kept lines joined by newlines, OCR word repairs applied line by line,
    # with each kept line's offset, so a match maps back to its line and section.
    # Footnotes interrupt the running text; they move to the end and belong to the section
    # that refers to them.
    footnotes = {}
    for item in data.get("fotnoter") or []:
        if isinstance(item, dict) and isinstance(item.get("rad"), int) and 1 <= item["rad"] <= len(lines):
            footnotes[item["rad"]] = str(item.get("avsnitt"))
        else:
            problem(f"fotnoten {item} ska ha 'rad' (ett radnummer i texten) och 'avsnitt'", key_lines.get("fotnoter"))
    order = [n for n in range(1, len(lines) + 1) if n not in footnotes] + sorted(footnotes)
    parts, starts, numbers, word_repairs = [], [], [], []
    offset = 0
    for number in order:
        # Soft hyphens and the spaces around a line break never matter to a quote.
        line = lines[number - 1].replace("\u00ad", "").strip()
        if line and line in headers:
            continue
        if number in footnotes and parts and parts[-1] != "":
            starts.append(offset)
            numbers.append(number)
            parts.append("")  # a footnote never runs on from the text before it
            offset += 1
        if repair_pattern is not None:
            pieces, last = [], 0
            for m in repair_pattern.finditer(line):
                pieces.append(line[last:m.start()])
                here = offset + sum(len(p) for p in pieces)
                fixed = repairs[m.group(1)]
                word_repairs.append((here, here + len(fixed), m.group(1), fixed))
                pieces.append(fixed)
                last = m.end()
            pieces.append(line[last:])
            line = "".join(pieces)
        starts.append(offset)
        numbers.append(number)
        parts.append(line)
        offset += len(line) + 1
    text = "\n".join(parts)

    sections: dict[str, Section] = {}
    for item in data["avsnitt"] or []:
        sid, span, heading = item.get("id"), item.get("rader"), item.get("rubrik")
        where = _item_line(root, sid)
        if not sid or not isinstance(span, list) or len(span) != 2 or not all(isinstance(n, int) for n in span):
            problem(f"avsnittet '{sid}' ska ha 'rader: [första, sista]'", where)
            continue
        first, last = span
        if not 1 <= first <= last <= len(lines):
            problem(f"avsnittet '{sid}': raderna {first}–{last} ligger utanför texten (1–{len(lines)})", where)
            continue
        if heading is not None and lines[first - 1].strip() != str(heading).strip():
            problem(f"avsnittet '{sid}': rad {first} är '{lines[first - 1].strip()[:80]}', inte rubriken '{heading}'", where)
        kept = [i for i, n in enumerate(numbers) if first <= n <= last and n not in footnotes]
        if not kept:
            continue
        spans = [(starts[kept[0]], starts[kept[-1]] + len(parts[kept[-1]]))]
        spans += [(starts[i], starts[i] + len(parts[i])) for i, n in enumerate(numbers)
                  if footnotes.get(n) == sid and parts[i]]
        sections[str(sid)] = Section(str(sid), tuple(spans), (first, last))
    for number, sid in footnotes.items():
        if sid not in sections:
            problem(f"fotnoten på rad {number} hör till '{sid}', som inte är ett avsnitt i filen", key_lines.get("fotnoter"))
    return SourceText(
        document=str(data["källa"]), file=display_path(text_path), text=text, line_starts=starts,
        line_numbers=numbers, sections=sections, readings=readings, word_repairs=word_repairs,
    )


def _key_lines(root) -> dict[str, int]:
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 1 for k, _v in root.value}


def _item_line(root, sid) -> int | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "avsnitt" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                for k, v in getattr(item, "value", []):
                    if k.value == "id" and v.value == sid:
                        return item.start_mark.line + 1
    return None


def _read_exceptions(path: Path, problems: list[QuoteFinding]) -> dict[str, tuple[str, int]]:
    if not path.is_file():
        return {}
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    found: dict[str, tuple[str, int]] = {}
    for item in root.value if isinstance(root, yaml.SequenceNode) else []:
        pairs = {k.value: v.value for k, v in item.value}
        if not pairs.get("nod") or not pairs.get("skäl"):
            problems.append(QuoteFinding("FEL", EXCEPTIONS_FILE, "varje undantag ska ha 'nod' och 'skäl'",
                                         display_path(path), item.start_mark.line + 1))
            continue
        found[pairs["nod"]] = (pairs["skäl"], item.start_mark.line + 1)
    return found


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------


def normalise(quote: str) -> str:
    return re.sub(r"\s+", " ", quote.replace("\u00ad", "")).strip()


def quote_pattern(quote: str, readings: dict[str, set[str]] | None = None,
                  breaks: frozenset[tuple[str, str]] | None = None) -> re.Pattern:
    """A pattern that finds the quote in a source text with the allowed differences.

    `breaks` are the (before, after) characters of every word broken across lines in the text
    to be searched (break_pairs): a break is allowed only between two letters that could stand
    around one there. The text cannot match a break anywhere else, so the pattern finds the same
    matches; without breaks in the text it is a fifth of the length and compiles in half the
    time (every validation compiles ~1,500 such patterns). None allows a break between any two."""
    readings = readings or {}
    # "avvikels[e]hantering": square brackets mark the quoter's own insertion, not the source's.
    quote = _INSERTION.sub("", quote)
    pieces = [p for p in _ELLIPSIS.split(normalise(quote)) if p]
    parts = []
    for piece in pieces:
        allowed = []
        for i, char in enumerate(piece):
            chars = {char} | set(_TYPOGRAPHY.get(char, "")) | readings.get(char, set())
            if i == 0 and len(pieces) and piece is pieces[0]:
                chars |= {char.upper(), char.lower()}  # a quote may start mid-sentence
            allowed.append(chars)
        out = []
        for i, char in enumerate(piece):
            if char == " ":
                out.append(r"\s+")
                continue
            cls = "".join(re.escape(c) for c in sorted(allowed[i]))
            out.append(f"[{cls}]" if len(allowed[i]) > 1 else cls)
            if char.isalnum() and i + 1 < len(piece) and piece[i + 1].isalnum() and (
                    breaks is None or any(a in allowed[i] and b in allowed[i + 1] for a, b in breaks)):
                out.append(_BREAK)
        parts.append("".join(out))
    return re.compile(r"[\s\S]*?".join(parts))


@lru_cache(maxsize=16)
def break_pairs(text: str) -> frozenset[tuple[str, str]]:
    """The characters before and after every "-\n" in a text: where _BREAK can match."""
    return frozenset((text[i - 1], text[i + 2]) for i in _all(text, "-\n") if 0 < i and i + 2 < len(text))


def _all(text: str, part: str):
    at = text.find(part)
    while at >= 0:
        yield at
        at = text.find(part, at + 1)


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    repairs: tuple[str, ...]  # "fatt → fått", as the text has it and as the quote reads


def find(source: SourceText, quote: str, start: int = 0, end: int | None = None) -> Match | None:
    m = quote_pattern(quote, source.readings, break_pairs(source.text)).search(source.text, start, len(source.text) if end is None else end)
    if m is None:
        return None
    return Match(m.start(), m.end(), tuple(_repairs(source, m.start(), m.end(), quote)))


def _repairs(source: SourceText, start: int, end: int, quote: str) -> list[str]:
    """Which recorded repairs the match needed, word by word."""
    shown = []
    for a, b, garbled, fixed in source.word_repairs:
        if start <= a and b <= end:
            shown.append(f"{garbled} → {fixed}")
    if source.readings:
        found = re.sub(r"-\n", "", source.text[start:end]).split()
        wanted = normalise(quote).split()
        matcher = difflib.SequenceMatcher(a=found, b=wanted, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "replace" and i2 - i1 == j2 - j1:
                for x, y in zip(found[i1:i2], wanted[j1:j2]):
                    x, y = x.strip(".,:;!?()\"”"), y.strip(".,:;!?()\"”")
                    if x != y and f"{x} → {y}" not in shown:
                        shown.append(f"{x} → {y}")
    return shown


def nearest(quote: str, texts: list[SourceText]) -> tuple[float, str, str] | None:
    """The most similar passage in the given texts: (score, section id, passage)."""
    wanted = _fold(normalise(quote))
    best = None
    for source in texts:
        prepared = _fold(re.sub(r"\s+", " ", re.sub(r"-\n", "", source.text)))
        # Map offsets in the collapsed text back to the prepared text via a parallel index.
        index = _collapse_index(source.text)
        result = fuzz.partial_ratio_alignment(wanted, prepared, score_cutoff=0)
        if result is None:
            continue
        if best is None or result.score > best[0]:
            a, b = index[min(result.dest_start, len(index) - 1)], index[min(max(result.dest_end - 1, 0), len(index) - 1)] + 1
            section = source.section_at(a, b)
            passage = re.sub(r"\s+", " ", source.text[a:b]).strip()
            best = (result.score, section.id if section else source.document, passage)
    return best


def _collapse_index(text: str) -> list[int]:
    """For each character of the collapsed text (as nearest() builds it), its offset in text."""
    joined = re.sub(r"-\n", "\0\0", text)
    index, previous_space = [], False
    for i, char in enumerate(joined):
        if char == "\0":
            continue
        if char.isspace():
            if previous_space:
                continue
            previous_space = True
        else:
            previous_space = False
        index.append(i)
    return index


def _fold(text: str) -> str:
    """Letters without diacritics, for similarity only (the OCR text lost most of them)."""
    return "".join(_fold_char(c) for c in text)


def _fold_char(char: str) -> str:
    # One character for one, so offsets in the folded text are offsets in the text.
    folded = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return folded if len(folded) == 1 else char


# ---------------------------------------------------------------------------
# Checking the loaded data
# ---------------------------------------------------------------------------


def check_quotes(loaded: LoadedData, sources: Sources | None = None,
                 only_files: set[str] | None = None) -> QuoteReport:
    sources = sources or load_sources()
    ctx = load_context()
    findings: list[QuoteFinding] = list(sources.problems)
    checked = failed = unchecked = repaired = 0
    still_failing: list[str] = []
    seen_nodes: set[str] = set()
    for name, graph in loaded.files.items():
        if only_files is not None and name not in only_files:
            continue
        for node, quote in sorted(graph.subject_objects(AG.quote)):
            node_id = ctx.compact(str(node))
            seen_nodes.add(node_id)
            file, line = loaded.sourcemap.locate(str(node), str(AG.quote))
            cited = [ctx.compact(str(c)) for c in graph.objects(node, PROV.wasDerivedFrom)]
            if not cited and node_id in sources.by_section:
                cited = [node_id]  # a section's own quote stands in that section
            spans = _spans(sources, cited)
            if not spans:
                unchecked += 1
                continue
            checked += 1
            found = next((m for m in (_find_in(src, sec, str(quote)) for src, sec in spans) if m), None)
            if found is not None:
                if found.repairs:
                    repaired += 1
                    findings.append(QuoteFinding(
                        "INFO", node_id, f"citatet hittades i OCR-texten efter reparation: {'; '.join(found.repairs)}",
                        file, line, str(quote)))
                if node_id in sources.exceptions:
                    reason, at = sources.exceptions[node_id]
                    findings.append(QuoteFinding(
                        "VARNING", node_id, f"står på undantagslistan ({EXCEPTIONS_FILE} rad {at}) men citatet finns ordagrant i källan; ta bort undantaget",
                        file, line, str(quote)))
                continue
            failed += 1
            message = _mismatch_message(sources, spans, str(quote))
            if node_id in sources.exceptions:
                reason, at = sources.exceptions[node_id]
                still_failing.append(node_id)
                findings.append(QuoteFinding(
                    "VARNING", node_id, f"{UNSUPPORTED_MARKER} {reason} ({EXCEPTIONS_FILE} rad {at}). {message}",
                    file, line, str(quote)))
            else:
                findings.append(QuoteFinding("FEL", node_id, message, file, line, str(quote)))
    findings += _check_local_copies(loaded, sources, ctx, only_files)
    if only_files is None:
        for node_id, (_reason, at) in sorted(sources.exceptions.items()):
            if node_id not in seen_nodes:
                findings.append(QuoteFinding(
                    "VARNING", node_id, "undantaget gäller en nod som inte har något citat; ta bort det",
                    display_path(SOURCES_DIR / EXCEPTIONS_FILE), at))
    return QuoteReport(findings, checked, failed, unchecked, repaired, still_failing)


def local_copy(value: str) -> Path:
    """Where a `lokal_kopia` points: shipped texts are named from the project root
    (kallor/003_….txt), data tables from the data folder (law/….csv)."""
    for base in (PROJECT_ROOT, DATA_DIR):
        if (base / value).is_file():
            return base / value
    return PROJECT_ROOT / value


def _check_local_copies(loaded: LoadedData, sources: Sources, ctx, only_files) -> list[QuoteFinding]:
    """A document naming a shipped text must have it, and the text's anchors must belong to it."""
    found = []
    shipped = {Path(t.file).name: t for t in sources.texts.values()}
    for name, graph in loaded.files.items():
        if only_files is not None and name not in only_files:
            continue
        for node, value in graph.subject_objects(AG.localCopy):
            node_id = ctx.compact(str(node))
            file, line = loaded.sourcemap.locate(str(node), str(AG.localCopy))
            value = str(value)
            if not value.startswith(SOURCES_DIR.name + "/"):
                continue  # sources outside the collection (data tables, notes) are not checked here
            if not local_copy(value).is_file():
                found.append(QuoteFinding("FEL", node_id, f"lokal_kopia '{value}' finns inte i projektet", file, line, value))
            elif Path(value).name not in shipped:
                found.append(QuoteFinding("FEL", node_id, f"'{value}' saknar ankarfil ({Path(value).stem}.ankare.yaml); "
                                          "utan den kan citaten inte kontrolleras", file, line, value))
            elif shipped[Path(value).name].document != node_id:
                found.append(QuoteFinding("FEL", node_id, f"ankarfilen för '{value}' gäller "
                                          f"{shipped[Path(value).name].document}, inte {node_id}", file, line, value))
    for name, graph in loaded.files.items():
        if only_files is not None and name not in only_files:
            continue
        for section, document in graph.subject_objects(DCTERMS.isPartOf):
            document_id, section_id = ctx.compact(str(document)), ctx.compact(str(section))
            if (section, RDF.type, AG.SourceSection) in graph and document_id in sources.texts \
                    and section_id not in sources.texts[document_id].sections:
                file, line = loaded.sourcemap.locate(str(section))
                found.append(QuoteFinding("FEL", section_id, f"avsnittet saknar ankare i {Path(sources.texts[document_id].file).stem}"
                                          ".ankare.yaml; skriv in dess rader där", file, line))
    return found


def _spans(sources: Sources, cited: list[str]) -> list[tuple[SourceText, Section | None]]:
    """The checkable places a node cites: sections, or whole documents (section None)."""
    spans = []
    for target in cited:
        if target in sources.by_section:
            source = sources.by_section[target]
            spans.append((source, source.sections[target]))
        elif target in sources.texts:
            spans.append((sources.texts[target], None))
    return spans


def _find_in(source: SourceText, section: Section | None, quote: str) -> Match | None:
    if section is None:
        return find(source, quote)
    return next((m for a, b in section.spans if (m := find(source, quote, a, b))), None)


def _mismatch_message(sources: Sources, spans, quote: str) -> str:
    cited = ", ".join(sec.id if sec else src.document for src, sec in spans)
    # Verbatim elsewhere: in another section of the same document, or in another document.
    for source in dict.fromkeys([*(src for src, _ in spans), *sources.texts.values()]):
        match = find(source, quote)
        if match is not None:
            section = source.section_at(match.start, match.end)
            where = section.id if section else source.document
            line = source.line_of(match.start)
            return (f"citatet står inte i {cited} som noden anger i 'källa', utan i {where} "
                    f"({source.file} rad {line}); rätta 'källa' eller citatet")
    texts = list(dict.fromkeys(src for src, _ in spans))
    best = nearest(quote, texts)
    if best is None:
        return f"citatet finns inte ordagrant i {cited}"
    score, section, passage = best
    if len(passage) > 300:
        passage = passage[:297] + "…"
    return (f"citatet finns inte ordagrant i {cited}; närmast ({score:.0f} % lika) i {section}: «{passage}»")
