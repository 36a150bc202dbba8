"""The JSON-LD context that maps the Swedish authoring keys of the YAML files to RDF.

The context (ontology/context.jsonld) is the single mapping: rdflib's JSON-LD parser turns
the YAML into triples with it, and this module reads the same file to check keys and
values before that, so that a typo gets a located error instead of being dropped silently
(JSON-LD ignores keys it does not know).
"""

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .paths import CONTEXT_FILE

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass(frozen=True)
class Term:
    """One authoring key: the predicate it writes and how its values are read."""

    key: str
    predicate: str
    kind: str  # "reference", "vocab", "typed", "text"
    datatype: str | None = None
    reverse: bool = False
    language: str | None = None


@dataclass
class AuthoringContext:
    raw: dict
    prefixes: dict[str, str]
    base: str
    terms: dict[str, Term] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    vocab: dict[str, str] = field(default_factory=dict)

    def expand(self, value: str) -> str:
        """Expand an id as JSON-LD does: prefix:rest, an absolute IRI, or relative to @base."""
        if value.startswith(("http://", "https://", "urn:")):
            return value
        prefix, sep, rest = value.partition(":")
        if sep and prefix in self.prefixes:
            return self.prefixes[prefix] + rest
        return self.base + value

    def expand_vocab(self, value: str) -> str:
        return self.vocab.get(value) or self.expand(value)

    def compact(self, iri: str) -> str:
        """The shortest way an author would write an IRI (for messages)."""
        if iri.startswith(self.base):
            return iri[len(self.base):]
        for prefix, ns in sorted(self.prefixes.items(), key=lambda p: -len(p[1])):
            if iri.startswith(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    def key_for(self, predicate: str, reverse: bool = False) -> str | None:
        for term in self.terms.values():
            if term.predicate == predicate and term.reverse == reverse:
                return term.key
        return None


@lru_cache(maxsize=4)
def load_context(path: Path = CONTEXT_FILE) -> AuthoringContext:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    ctx = raw["@context"]
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.endswith(("/", "#"))}

    def expand_curie(v: str) -> str:
        p, _, rest = v.partition(":")
        return prefixes[p] + rest if p in prefixes else v

    result = AuthoringContext(raw=raw, prefixes=prefixes, base=ctx["@base"])
    for key, value in ctx.items():
        if key.startswith("@") or key in prefixes or value in ("@id", "@type"):
            continue
        if isinstance(value, str):
            # A bare string is a class name (capitalised) or a value of a vocabulary.
            (result.types if key[:1].isupper() else result.vocab)[key] = expand_curie(value)
            continue
        if "@reverse" in value:
            result.terms[key] = Term(key, expand_curie(value["@reverse"]), "reference", reverse=True)
            continue
        typ = value.get("@type")
        predicate = expand_curie(value["@id"])
        if typ == "@id":
            term = Term(key, predicate, "reference")
        elif typ == "@vocab":
            term = Term(key, predicate, "vocab")
        elif typ:
            term = Term(key, predicate, "typed", datatype=expand_curie(typ))
        else:
            term = Term(key, predicate, "text", language=value.get("@language", ctx.get("@language")))
        result.terms[key] = term
    return result

