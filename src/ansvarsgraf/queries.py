"""Named SPARQL queries: one .rq file each in queries/, whose leading comment says what
it answers. The answer engine, the API and `ansvarsgraf query NAME` all read them here."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .paths import QUERIES_DIR


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    text: str

    @property
    def needs_bindings(self) -> bool:
        """Queries for the answer engine say '# Bind: …'; the rest run as they are."""
        return any(line.startswith("# Bind:") for line in self.text.splitlines())


def _parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if not line.startswith("# Bind:"):
            comment.append(line.lstrip("# ").rstrip())
    return NamedQuery(path.stem, " ".join(c for c in comment if c), text)


@lru_cache(maxsize=1)
def all_queries(folder: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    return {p.stem: _parse(p) for p in sorted(folder.glob("*.rq"))}


def query_text(name: str) -> str:
    try:
        return all_queries()[name].text
    except KeyError:
        raise KeyError(f"ingen namngiven fråga '{name}' i queries/") from None
