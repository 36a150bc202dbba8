"""The Swedish web page: ask, see the answer, follow every actor, document and provision.

Server-rendered HTML that works without JavaScript. The question is sent by POST; the
answer's URL (/svar?uppgift=…&kommun=…&datum=…) holds only the resolved task, so it can be
shared and reloaded and never carries the free text. The chosen municipality is remembered
in a cookie. With JavaScript the same endpoints are fetched and only the answer is replaced.
"""

import datetime as dt
from pathlib import Path
from collections import defaultdict
from dataclasses import replace
from urllib.parse import urlencode

import rdflib
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ..answering import answer_question, answer_task
from ..dates import as_date, period_start, valid_between
from ..duties import known_on, read_support
from ..errors import StoreUnavailable
from ..gaps import analyse_cached, render_csv, touched_by
from ..graph_view import property_names
from ..privacy import PersonalDataError
from ..queries import all_queries, query_text
from .. import wording
from ..links import href
from ..vocabulary import ACTOR_KINDS, AG, INSTRUMENT_KINDS
from ..wording import WORDING
from .common import MAX_QUESTION_CHARS, InputError, catalog, municipality, parse_date, slug, store_of, task_iri

router = APIRouter(include_in_schema=False)
COOKIE = "kommun"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# Nodes that are their own source (the law) or claim nothing (a scenario's step), as
# ags:UnsupportedStatementShape leaves them out: their values need no support of their own.
LAW_KINDS = {"http://data.europa.eu/eli/ontology#LegalResource", "http://data.europa.eu/eli/ontology#LegalResourceSubdivision",
             str(AG.ProvisionVersion), str(AG.ScenarioStep)}
STATIC = Path(__file__).parent / "static"


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    cat = catalog(request)
    kommuner = sorted({m.iri: m for m in cat.municipalities.values()}.values(), key=lambda m: m.label)
    context.setdefault("chosen_kommun", request.cookies.get(COOKIE, ""))
    context.setdefault("datum", dt.date.today().isoformat())
    fragment = request.headers.get("x-fragment") == "1"
    # While the store is down, what a page shows comes from caches: say so on the page, not
    # only in the Warning header (web/unavailable.py), which no one reading the page sees.
    context.setdefault("stale", bool(request.app.state.store.degraded))
    response = request.app.state.templates.TemplateResponse(
        request, template, {"kommuner": kommuner, "tasks": sorted(cat.task_labels.values()), "fragment": fragment,
                            "href": href, "slug": slug, "link_text": wording.link_text, **WORDING, **context}, status_code=status)
    return response


MAX_ALTERNATIVES = 5


def permalink(task: str, kommun_iri: str, datum: str) -> str:
    return "/svar?" + urlencode({"uppgift": slug(task), "kommun": slug(kommun_iri), "datum": datum})


@router.get("/", response_class=HTMLResponse)
def index(request: Request):
    return render(request, "index.html", answer=None)


@router.post("/fraga", response_class=HTMLResponse)
def ask(request: Request, fraga: str = Form("", max_length=MAX_QUESTION_CHARS), kommun: str = Form(""), datum: str = Form("")):
    try:
        cat = catalog(request)
        kommun_ref = municipality(cat, kommun)
        on_date = parse_date(datum or None)
        if not fraga.strip():
            raise InputError(400, "Skriv en fråga, t.ex. ”Vem ska kalla till SIP?”.")
        result = answer_question(store_of(request), fraga, slug(kommun_ref.iri), on_date)
    except InputError as exc:
        return render(request, "index.html", status=exc.status, error=exc.message, answer=None, chosen_kommun=kommun)
    except PersonalDataError as exc:
        # The question is not echoed back into the form: it may hold a child's identity number.
        return render(request, "index.html", status=422, error=str(exc), answer=None, chosen_kommun=kommun)
    if result.status in ("besvarad", "ingen_ansvarig"):
        request.state.resolved_task = slug(result.tasks[0]["iri"])
        # The answer's address says how the question was read and which other tasks it may
        # mean (task ids only, never the question), so the page can offer them as the API does.
        tolkning = [("tolkad", "1")] + [("alt", slug(c["iri"])) for c in result.candidates[:MAX_ALTERNATIVES]]
        url = permalink(result.tasks[0]["iri"], kommun_ref.iri, on_date.isoformat()) + "&" + urlencode(tolkning) + "#svar"
        response = RedirectResponse(url, status_code=303)
    else:
        response = render(request, "index.html", answer=result, question=fraga, chosen_kommun=slug(kommun_ref.iri),
                          datum=on_date.isoformat(), permalink=permalink)
    response.set_cookie(COOKIE, slug(kommun_ref.iri), max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@router.get("/svar", response_class=HTMLResponse)
def answer_page(request: Request, uppgift: str = "", kommun: str = "", datum: str = "", efter: bool = False,
                tolkad: bool = False, alt: list[str] = Query([])):
    try:
        cat = catalog(request)
        task = task_iri(cat, uppgift)
        kommun_ref = municipality(cat, kommun)
        on_date = parse_date(datum or None)
        others = dict.fromkeys(task_iri(cat, a) for a in alt[:MAX_ALTERNATIVES])
        alternatives = [{"iri": iri, "label": cat.task_labels[iri]} for iri in others if iri != task]
    except InputError as exc:
        return render(request, "index.html", status=exc.status, error=exc.message, answer=None)
    request.state.resolved_task = slug(task)
    result = answer_task(store_of(request), task, kommun_ref.iri, on_date, after=efter)
    response = render(request, "index.html", answer=result, chosen_kommun=slug(kommun_ref.iri), datum=on_date.isoformat(),
                      question=cat.task_labels[task], permalink=permalink, after=efter, tolkad=tolkad, alternatives=alternatives,
                      touching_gaps=_touching_gaps(request, result, kommun_ref.iri, on_date))
    response.set_cookie(COOKIE, slug(kommun_ref.iri), max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def _touching_gaps(request: Request, result, kommun_iri: str, on_date):
    iris = {d.iri for d in result.duties} | {d.instrument.iri for d in result.duties if d.instrument}
    iris |= {t["iri"] for t in result.tasks}
    try:
        return touched_by(analyse_cached(store_of(request), kommun_iri, on_date), iris)
    except StoreUnavailable:
        # The answer itself came from the cache; the gap analysis needs the store. Show the
        # answer (the page says it may be stale) and say the gaps could not be read.
        return None


@router.get("/luckor", response_class=HTMLResponse)
def gaps_page(request: Request, kommun: str = "", datum: str = "", typ: str = "", ansvarig: str = "", dokument: str = ""):
    """The gap report with a summary first; narrowed to one kind, one responsible board or
    one document by plain GET parameters, so it works (and prints) without JavaScript."""
    if not kommun:
        return render(request, "gaps.html", reports=[])
    try:
        report = _gap_report(request, kommun, datum)
    except InputError as exc:
        return render(request, "gaps.html", status=exc.status, reports=[], error=exc.message)
    chosen = {"typ": typ, "ansvarig": ansvarig, "dokument": dokument}

    def wanted(gap) -> bool:
        return (not typ or gap.kind == typ) and (not ansvarig or any(slug(a.iri) == ansvarig for a in gap.act)) and \
            (not dokument or any(slug(d.iri) == dokument for d in report.documents(gap)))

    shown = replace(report, gaps=[g for g in report.gaps if wanted(g)])
    documents = sorted({d.iri: d for g in report.gaps for d in report.documents(g)}.values(), key=lambda d: d.label)
    return render(request, "gaps.html", reports=[shown], full_reports=[report], chosen=chosen, documents=documents,
                  chosen_kommun=slug(report.municipality.iri), datum=report.date)


@router.get("/luckor.csv")
def gaps_csv(request: Request, kommun: str = "", datum: str = ""):

    try:
        report = _gap_report(request, kommun, datum)
    except InputError as exc:
        return render(request, "gaps.html", status=exc.status, reports=[], error=exc.message)
    name = f"ansvarsluckor-{slug(report.municipality.iri)}-{report.date}.csv"
    return Response(render_csv([report]), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def _gap_report(request: Request, kommun: str, datum: str):

    if not kommun:
        raise InputError(400, "Välj kommun (parametern 'kommun').")
    kommun_ref = municipality(catalog(request), kommun)
    return analyse_cached(store_of(request), kommun_ref.iri, parse_date(datum or None))


@router.get("/utvecklare", response_class=HTMLResponse)
def developers_page(request: Request):
    """Named queries, the API, SPARQL and the ontology: linked from the footer, not the menu."""
    return render(request, "developers.html")


@router.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico whatever the page links; the same icon as favicon.svg.
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon")


@router.get("/fragor", response_class=HTMLResponse)
def queries_page(request: Request):
    queries = [q for q in all_queries().values() if not q.needs_bindings]
    return render(request, "queries.html", queries=queries)


@router.get("/fragor/{name}", response_class=HTMLResponse)
def query_result_page(request: Request, name: str):
    """One named query's result as a table, with its text, for those learning SPARQL."""
    named = all_queries().get(name)
    if named is None or named.needs_bindings:
        return render(request, "error.html", status=404, title="Finns inte",
                      message=f"Det finns ingen färdig fråga '{name[:60]}' som kan köras fristående; se /fragor.")
    rows = store_of(request).select(named.text)
    columns = list(rows[0].keys()) if rows else []
    return render(request, "query_result.html", query=named, columns=columns, rows=rows,
                  cell=lambda v: ("", None) if v is None else (str(v), href(v) if isinstance(v, rdflib.URIRef) else None))


# ---------------------------------------------------------------------------
# Resource pages: /id/… and /lagrum/…
# ---------------------------------------------------------------------------

def resource_page(request: Request, iri: str, on_date: dt.date | None = None) -> HTMLResponse:
    store = store_of(request)
    rows = store.select(query_text("beskriv"), {"nod": rdflib.URIRef(iri)})
    if not rows:
        return render(request, "error.html", status=404, title="Finns inte",
                      message="Det finns ingen sida med den adressen.")
    names = property_names(store)
    properties: dict[str, list] = defaultdict(list)
    label = None
    types = [str(r["varde"]) for r in rows if str(r["egenskap"]) == RDF_TYPE]
    supports = _supports(store, [iri])[iri]
    if on_date is not None:  # as of a day: only support whose source was written by then (issue 14)
        supports = [s for s in supports if known_on(s, on_date)]
    shown = set() if LAW_KINDS & set(types) else {str(r["egenskap"]) for r in store.select(query_text("visas-med-stod"))}
    hidden = _statuses_not_on(catalog(request), iri, on_date) if on_date is not None else set()
    for row in rows:
        prop, value = str(row["egenskap"]), row["varde"]
        if prop == RDF_TYPE or (prop, str(value)) in hidden:
            continue
        if prop == "http://www.w3.org/2004/02/skos/core#prefLabel" and getattr(value, "language", None) == "sv":
            label = str(value)
        if getattr(value, "language", None) not in (None, "sv"):
            continue  # staff read Swedish; the other languages are in the Turtle and JSON-LD
        properties[names.get(prop, prop.rsplit("#", 1)[-1].rsplit("/", 1)[-1])].append(
            {"text": _value_text(prop, value, row["namn"]),
             "href": href(value) if isinstance(value, rdflib.URIRef) else None,
             # Issue 16: what each value rests on; a shown value without it says so.
             "support": [x for x in supports if x.property == prop and x.object == str(value)],
             "shown": prop in shown})
    kind = next((names[t] for t in types if t in names and t.startswith(AG)), None) or \
        next((names[t] for t in types if t in names), "nod")
    sections = _sections(store, iri, types)
    notice = None
    if on_date is not None:
        sections, notice = as_of(catalog(request), iri, sections, on_date)
    day = on_date.isoformat() if on_date else ""
    return render(request, "resource.html", iri=iri, label=label or slug(iri), kind=kind, properties=dict(properties),
                  sections=sections, datum=day, notice=notice,
                  dated=lambda url: f"{url}?datum={day}" if day and str(url).startswith(("/id/", "/lagrum/")) else url)


def _statuses_not_on(cat, iri: str, on_date: dt.date) -> set[tuple[str, str]]:
    """A document page as of a day shows the status on that day (the history entry begun
    last, organisation_index.status_on): the other entries, and a single status before its
    start, are left out as (property, value) pairs."""
    validity = cat.organisations.validity(iri)
    if validity is None or not validity.statuses:
        return set()
    current = validity.status_node_on(on_date)
    hidden = {(str(AG.qualifiedStatus), node) for _, _, node in validity.statuses if node not in (iri, current)}
    if current != iri:
        hidden |= {(str(AG.status), status) for _, status, node in validity.statuses if node == iri}
        hidden |= {(str(p), start) for start, _, node in validity.statuses if node == iri and start
                   for p in (AG.statusFrom, AG.statusFromMonth, AG.statusFromYear)}
    return hidden


def _supports(store, iris: list[str]) -> dict[str, list]:
    """Each node's supports, read as answers read them (stod.rq, duties.read_support)."""
    rows = store.select(query_text("stod"), {"nod": [rdflib.URIRef(i) for i in dict.fromkeys(iris)]}) if iris else []
    grouped: dict[str, list] = {i: [] for i in iris}
    for row in rows:
        grouped.setdefault(str(row["nod"]), []).append(row)
    return {i: read_support(r) for i, r in grouped.items()}


def _value_text(prop: str, value, name) -> str:
    """A value as staff read it: a node by its name (or words for its address), a revision
    interval as "varje år", prose without the project's shorthand."""
    if name is not None:
        return wording.readable(str(name))
    if isinstance(value, rdflib.URIRef):
        return wording.link_text(str(value))
    if prop == AG + "revisionInterval":
        return wording.interval_words(str(value))
    return wording.readable(str(value))


def _sections(store, iri: str, types: list[str]) -> list[dict]:
    node = rdflib.URIRef(iri)
    sections = []
    actor_types, instrument_types = set(map(str, ACTOR_KINDS)), set(map(str, INSTRUMENT_KINDS))
    if actor_types & set(types):
        by_task: dict[str, list] = defaultdict(list)
        for r in store.select(query_text("atagande-for-aktor"), {"aktor": node}):
            by_task[str(r["uppgiftsnamn"])].append(r)
        sections.append({"title": "Åtaganden, efter uppgift", "kind": "duties_by_task", "items": dict(sorted(by_task.items()))})
    if instrument_types & set(types):
        sections.append({"title": "Åtaganden i dokumentet", "kind": "duties_in_instrument",
                         "items": store.select(query_text("atagande-i-dokument"), {"dokument": node})})
    if "http://data.europa.eu/eli/ontology#LegalResourceSubdivision" in types:
        chain = store.select(query_text("lagrum-kedja"), {"citerad": node})
        sections.append({"title": "Tidigare och senare bestämmelser", "kind": "chain",
                         # riktning as str: an rdflib Literal never equals a str in the template
                         "items": [{**r, "riktning": str(r["riktning"])} for r in chain if str(r["riktning"]) != "samma"]})
        sections.append({"title": "Lydelser", "kind": "versions",
                         "items": store.select(query_text("lydelser"), {"bestammelse": node})})
        sections.append({"title": "Åtaganden och dokument som vilar på bestämmelsen", "kind": "resting",
                         "items": store.select(query_text("atagande-pa-lagrum"), {"bestammelse": node})})
    findings = store.select(query_text("iakttagelser"), {"nod": node})
    if findings:
        support = _supports(store, [str(r["iakttagelse"]) for r in findings])
        findings = [{**r, "support": support[str(r["iakttagelse"])]} for r in findings]
        sections.append({"title": "Iakttagelser i revisioner", "kind": "findings", "items": findings})
    return sections


def as_of(cat, iri: str, sections: list[dict], on_date: dt.date) -> tuple[list[dict], str | None]:
    """A resource page as of a day: duties that apply then (their own dates and their
    document's), sections of law and wordings that had begun, findings written by then;
    and a notice when the document itself does not apply on the day."""
    index = cat.organisations

    def applies(row) -> bool:
        document = row.get("dokument")
        validity = index.validity(str(document)) if document is not None else None
        return valid_between(row.get("fran"), row.get("till"), on_date) and \
            (validity is None or validity.in_force(on_date))

    def written(row) -> bool:
        day = period_start(row.get("rapportdatum") or row.get("rapportar"))
        return day is None or day <= on_date

    keep = {"duties_by_task": applies, "duties_in_instrument": lambda r: applies({**r, "dokument": iri}),
            "chain": lambda r: as_date(r.get("fran")) is None or as_date(r["fran"]) <= on_date,
            "versions": lambda r: as_date(r.get("fran")) is None or as_date(r["fran"]) <= on_date,
            "findings": written}
    dated = []
    for section in sections:
        test = keep.get(section["kind"])
        items = section["items"]
        if test is not None and isinstance(items, dict):
            items = {k: [r for r in rows if test(r)] for k, rows in items.items()}
            items = {k: rows for k, rows in items.items() if rows}
        elif test is not None:
            items = [r for r in items if test(r)]
        if section["kind"] == "findings" and not items:
            continue  # none written yet: no section, as when there are none at all
        dated.append({**section, "items": items})
    validity = index.validity(iri)
    if validity is not None and validity.drafting_on(on_date):
        return dated, f"Dokumentet är under framtagande på {on_date.isoformat()} och gäller inte."
    if validity is not None and not validity.in_force(on_date):
        return dated, f"Dokumentet gäller inte på {on_date.isoformat()}."
    return dated, None
