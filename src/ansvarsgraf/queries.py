"""Named SPARQL queries: one .rq file each in queries/, whose leading comment says what
it answers. The answer engine, the analyses, the API and `ansvarsgraf query NAME` all read
them here.

A query that the engine binds says so in its header: `# Bind: ?var …` names the variables
it is given. rdflib's SPARQL parser reads each query once, when it is first checked (it
takes tens of milliseconds a query, so not on every start): `problems` lists a declared
variable the query does not use and what a named query must not do (update, SERVICE).
tests/test_named_queries.py checks every file.
"""

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from pyparsing import ParseException

from .paths import QUERIES_DIR
from .sparql_syntax import contains, parse_query, variables

BIND_LINE = "# Bind:"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    text: str

    @property
    def needs_bindings(self) -> bool:
        """Queries for the answer engine say '# Bind: …'; the rest run as they are."""
        return any(line.startswith(BIND_LINE) for line in self.text.splitlines())

    @cached_property
    def declared_bindings(self) -> frozenset[str]:
        """The variables the header's '# Bind:' lines name."""
        header = [line for line in self.text.splitlines() if line.startswith(BIND_LINE)]
        return frozenset(re.findall(r"\?(\w+)", " ".join(header)))

    @cached_property
    def parsed(self):
        """rdflib's parse of the query, or the ParseException that says where it fails."""
        try:
            return parse_query(self.text)
        except ParseException as exc:
            return exc

    def problems(self) -> list[str]:
        """What is wrong with the query as a named query, in Swedish; [] when nothing is."""
        if isinstance(self.parsed, ParseException):
            return [f"{self.name}.rq går inte att tolka som SPARQL-fråga (rad {self.parsed.lineno}): {self.parsed.msg}"]
        found = [f"{self.name}.rq anger ?{v} under {BIND_LINE} men använder den inte"
                 for v in sorted(self.declared_bindings - variables(self.parsed))]
        if contains(self.parsed, "ServiceGraphPattern"):
            found.append(f"{self.name}.rq frågar en annan tjänst (SERVICE); en namngiven fråga läser bara grafen")
        return found


def _parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if not line.startswith(BIND_LINE):
            comment.append(line.lstrip("# ").rstrip())
    return NamedQuery(path.stem, " ".join(c for c in comment if c), text)


@lru_cache(maxsize=1)
def all_queries(folder: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    return {p.stem: _parse(p) for p in sorted(folder.glob("*.rq"))}


@lru_cache(maxsize=None)
def store_query(name: str) -> str:
    """A query about the store itself rather than the graph's content (queries/lager/):
    not a named query, so not offered on /fragor or /api/fragor."""
    return (QUERIES_DIR / "lager" / f"{name}.rq").read_text(encoding="utf-8")


def query_text(name: str) -> str:
    try:
        return all_queries()[name].text
    except KeyError:
        raise KeyError(f"ingen namngiven fråga '{name}' i queries/") from None
