"""JSON API. The answer endpoints call answering.answer_question / answering.answer_task, the
same functions as `ansvarsgraf ask`, so CLI, API and page give one answer."""

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ..answering import answer_question, answer_task
from ..gaps import analyse_cached
from ..privacy import PersonalDataError
from ..queries import query_text
from .common import (DATUM, MAX_QUESTION_CHARS, InputError, catalog, documented, municipality, parse_date, slug,
                     store_of, task_iri)

router = APIRouter(prefix="/api", tags=["api"])


class AskRequest(BaseModel):
    fraga: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="Frågan i fritext. Skickas i kroppen, aldrig i URL:en.")
    kommun: str = Field(min_length=1, max_length=100, description="Kommunens namn, som i /api/kommuner.")
    datum: str | None = Field(default=None, min_length=1, max_length=20, json_schema_extra={"format": "date"},
                              description="ÅÅÅÅ-MM-DD; standard i dag.")
    efter: bool = Field(default=False, description="Ta med ändringar efter datumet (en senare paragraf, stöd och åtaganden kända ur källor skrivna efter datumet) som separata, daterade uppgifter.")


def _answer_json(result) -> Response:
    # orjson writes the dataclasses as they are, the same JSON as Answer.as_dict() (tested)
    # in a seventieth of the time: serialising was most of the cost of a cached answer.
    return Response(result.to_json(), media_type="application/json")


def _error(exc: InputError) -> JSONResponse:
    return JSONResponse({"fel": exc.message}, status_code=exc.status)


@router.post("/ask", summary="Vem ansvarar? Fråga i fritext", responses=documented(400, 404, 413))
def ask(body: AskRequest, request: Request):
    try:
        cat = catalog(request)
        kommun = municipality(cat, body.kommun)
        result = answer_question(store_of(request), body.fraga, slug(kommun.iri), parse_date(body.datum), after=body.efter)
    except InputError as exc:
        return _error(exc)
    except PersonalDataError as exc:
        return JSONResponse({"fel": str(exc)}, status_code=422)
    if result.tasks:
        request.state.resolved_task = slug(result.tasks[0]["iri"])
    return _answer_json(result)


@router.get("/answer", summary="Svar för en redan tolkad uppgift", responses=documented(400, 404))
def answer(request: Request, uppgift: str = Query(..., min_length=1, max_length=300),
           kommun: str = Query(..., min_length=1, max_length=100), datum: str | None = Query(None, **DATUM),
           efter: bool = Query(False, description="Ta med ändringar efter datumet (en senare paragraf, stöd och åtaganden kända ur källor skrivna efter datumet) som separata, daterade uppgifter")):
    try:
        cat = catalog(request)
        task = task_iri(cat, uppgift)
        result = answer_task(store_of(request), task, municipality(cat, kommun).iri, parse_date(datum), after=efter)
    except InputError as exc:
        return _error(exc)
    request.state.resolved_task = slug(task)
    return _answer_json(result)


@router.get("/uppgifter", summary="Uppgifter, med autokomplettering")
def tasks(request: Request, q: str | None = Query(None, min_length=1, max_length=200), antal: int = Query(10, ge=1, le=100)):
    cat = catalog(request)
    if q:
        return [{"id": slug(m.iri), "namn": m.label, "träff": m.score, "på": m.matched}
                for m in cat.matcher.match(q, limit=antal) if m.score >= 0.3]
    return [{"id": slug(iri), "namn": label} for iri, label in sorted(cat.task_labels.items(), key=lambda t: t[1])]


@router.get("/kommuner", summary="Kommuner i grafen")
def municipalities(request: Request):
    seen = {}
    for ref in catalog(request).municipalities.values():
        seen[ref.iri] = {"id": slug(ref.iri), "namn": ref.label}
    return sorted(seen.values(), key=lambda m: m["namn"])


@router.get("/gaps", summary="Ansvarsluckor i en kommun", responses=documented(400, 404))
def gaps(request: Request, kommun: str = Query(..., min_length=1, max_length=100), datum: str | None = Query(None, **DATUM)):

    try:
        report = analyse_cached(store_of(request), municipality(catalog(request), kommun).iri, parse_date(datum))
    except InputError as exc:
        return _error(exc)
    return report.as_dict()


LISTS = {
    "dokument": "lista-dokument",
    "aktorer": "lista-aktorer",
    "bestammelser": "lista-bestammelser",
}


@router.get("/{lista}", summary="Listor: dokument, aktorer, bestammelser", responses=documented(404))
def listing(lista: str, request: Request):
    if lista not in LISTS:
        return JSONResponse({"fel": f"Okänd lista '{lista[:40]}'; välj {', '.join(LISTS)}, kommuner eller uppgifter."}, status_code=404)
    rows = store_of(request).select(query_text(LISTS[lista]))
    return [{k: (slug(str(v)) if k == "nod" else str(v)) for k, v in row.items() if v is not None} for row in rows]
