"""Input handling shared by the API and the pages: every bad input becomes a 4xx with a
Swedish message that says what to fix, never a 500."""

import datetime as dt
import re

from fastapi import Request
from pydantic import BaseModel, Field

from ..ids import local_id
from ..catalog import Catalog, catalog_for
from ..results import UnknownMunicipalityError

from ..ids import ID_BASE  # noqa: E402
MAX_QUESTION_CHARS = 500


class Fel(BaseModel):
    """Every refusal: what is wrong and how to put it right, in Swedish."""

    fel: str = Field(description="Vad som är fel och hur det rättas.")
    detaljer: list[str] | None = Field(None, description="Vilka fält som är fel (vid felaktig begäran).")


STATUS_SV = {
    400: "Ett värde har fel form (t.ex. ett datum som inte finns) eller saknas.",
    404: "Kommunen, uppgiften, noden eller listan finns inte i grafen.",
    413: "Begäran är för stor.",
    422: "Begäran är felaktig, eller innehåller något som ser ut som ett personnummer eller "
         "samordningsnummer (vägras på alla adresser, utan att numret upprepas).",
    502: "Den externa SPARQL-servern vägrade frågan.",
    503: "Den externa SPARQL-servern kan inte nås just nu (med Retry-After).",
}


# A date parameter as the schema states it (format: date); an impossible one (2026-02-30) is a 400.
DATUM = {"min_length": 1, "max_length": 20, "json_schema_extra": {"format": "date"},
         "description": "ÅÅÅÅ-MM-DD; utelämnas för i dag."}


def documented(*statuses: int) -> dict:
    """OpenAPI responses for the refusals a route gives, all with the body {"fel": …}."""
    return {status: {"model": Fel, "description": STATUS_SV[status]} for status in statuses}


class InputError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def store_of(request: Request):
    return request.app.state.store


def catalog(request: Request) -> Catalog:
    return catalog_for(store_of(request))


def parse_date(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(400, f"'{value[:20]}' är inget giltigt datum; skriv ÅÅÅÅ-MM-DD, t.ex. 2026-03-01.") from None


def task_iri(cat: Catalog, value: str | None) -> str:
    if not value:
        raise InputError(400, "Ange uppgift (parametern 'uppgift', t.ex. kalla-till-sip).")
    iri = value if value.startswith("http") else ID_BASE + value
    if iri not in cat.task_labels:
        raise InputError(404, f"Uppgiften '{value[:80]}' finns inte i uppgiftsvokabulären; se /api/uppgifter.")
    return iri


def municipality(cat: Catalog, value: str | None):
    if not value:
        raise InputError(400, "Ange kommun (ett namn ur /api/kommuner).")
    candidate = value.removeprefix(ID_BASE) if value.startswith(ID_BASE) else value
    try:
        return cat.municipality(candidate)
    except UnknownMunicipalityError as exc:
        raise InputError(404, str(exc)) from None


# What no IRI may contain (RFC 3987: controls, space, <>"{}|\^`): such a value names no node,
# and rdflib refuses to write it into a query.
NOT_IN_AN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f]')


def node_in_graph(iri: str, what: str = "Noden") -> str:
    """The IRI, if it could name a node at all; else a 404 that says so without quoting it."""
    if NOT_IN_AN_IRI.search(iri):
        raise InputError(404, f"{what} finns inte i grafen: adressen innehåller tecken som ingen nod har.")
    return iri


slug = local_id
