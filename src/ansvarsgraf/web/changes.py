"""Pages and API for what changes: the change report (/andringar, /api/andringar), the impact
of a provision (a section on every /lagrum/… page, /api/paverkan) and the responsibility
matrix (/raci, /api/raci). The analyses are in changes.py, impact.py and raci.py; this
module only reads the request and renders. `install(app)` adds the routes and the template
functions the resource page's partials call."""

import datetime as dt
from pathlib import Path

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..changes import ChangeReport, change_report, item_text
from ..impact import Impact, UnknownProvisionError, impact, provision_iri
from ..ids import ID_BASE
from ..raci import Matrix, UnknownDocumentError, documents, matrix, render_csv, render_xlsx
from ..graph_store import per_data_version
from .common import DATUM, InputError, catalog, documented, municipality, parse_date, slug, store_of
from ..links import href
from .pages import render

router = APIRouter()
TEMPLATES = Path(__file__).parent / "templates"


def install(app: FastAPI) -> None:
    """The routes (before the API's /api/{lista}) and the functions partials call."""
    app.include_router(router)
    app.state.templates.env.globals.update(item_text=item_text, impact_of=_impact_of, raci_links=_raci_links)


@per_data_version(maxsize=32)
def _cached_report(store, d1: dt.date, d2: dt.date, kommuner: tuple[str, ...] | None) -> ChangeReport:
    return change_report(store, d1, d2, list(kommuner) if kommuner else None)


def _report(request: Request, fran: str | None, till: str | None, kommun: str | None) -> ChangeReport:
    if not fran or not till:
        raise InputError(400, "Ange båda datumen: 'fran' och 'till' (ÅÅÅÅ-MM-DD).")
    d1, d2 = parse_date(fran), parse_date(till)
    kommuner = (municipality(catalog(request), kommun).iri,) if kommun else None
    return _cached_report(store_of(request), d1, d2, kommuner)


@router.get("/api/andringar", tags=["api"], summary="Svar som skiljer sig mellan två datum, och varför",
            responses=documented(400, 404))
def changes_api(request: Request, fran: str = Query(..., **DATUM), till: str = Query(..., **DATUM),
                kommun: str | None = Query(None, min_length=1, max_length=100)):
    try:
        return _report(request, fran, till, kommun).as_dict()
    except InputError as exc:
        return JSONResponse({"fel": exc.message}, status_code=exc.status)


@router.get("/andringar", response_class=HTMLResponse, include_in_schema=False)
def changes_page(request: Request, fran: str = "", till: str = "", kommun: str = ""):
    context = {"fran": fran, "till": till, "chosen_kommun": kommun}
    if not (fran or till):
        return render(request, "changes.html", report=None, **context)
    try:
        report = _report(request, fran, till, kommun)
    except InputError as exc:
        return render(request, "changes.html", status=exc.status, report=None, error=exc.message, **context)
    return render(request, "changes.html", report=report, **context)


def render_standalone(template: str, **context) -> str:
    """A printable page without the site around it (the CLI's --format html)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    css = (Path(__file__).parent / "static" / "app.css").read_text(encoding="utf-8")
    return env.get_template(template).render(css=css, href=href, item_text=item_text, **context)


# ---------------------------------------------------------------------------
# Impact of a provision
# ---------------------------------------------------------------------------

@per_data_version(maxsize=256)
def _cached_impact(store, iri: str, on_date: dt.date, with_answers: bool) -> Impact:
    return impact(store, iri, on_date, with_answers)


def _impact_of(request: Request, iri: str, datum: str | None = None) -> Impact | None:
    """For the section on a /lagrum page (without the answers, which the section links to)."""
    try:
        return _cached_impact(store_of(request), iri, parse_date(datum), False)
    except (UnknownProvisionError, InputError):
        return None


def _impact(request: Request, lagrum: str | None, datum: str | None) -> Impact:
    if not lagrum:
        raise InputError(400, "Ange bestämmelsen (parametern 'lagrum', t.ex. sfs:2001:453#K2P7).")
    try:
        iri = provision_iri(lagrum)
    except UnknownProvisionError as exc:  # no such provision, however it was written: not found
        raise InputError(404, str(exc)) from None
    try:
        return _cached_impact(store_of(request), iri, parse_date(datum), True)
    except UnknownProvisionError as exc:
        raise InputError(404, str(exc)) from None


@router.get("/api/paverkan", tags=["api"], summary="Dokument, kommuner och svar som en bestämmelse påverkar",
            responses=documented(400, 404))
def impact_api(request: Request, lagrum: str = Query(..., min_length=1, max_length=200), datum: str | None = Query(None, **DATUM)):
    try:
        return _impact(request, lagrum, datum).as_dict()
    except InputError as exc:
        return JSONResponse({"fel": exc.message}, status_code=exc.status)


@router.get("/paverkan", response_class=HTMLResponse, include_in_schema=False)
def impact_page(request: Request, lagrum: str = "", datum: str = ""):
    try:
        result = _impact(request, lagrum, datum)
    except InputError as exc:
        return render(request, "error.html", status=exc.status, title="Påverkan", message=exc.message)
    return render(request, "impact.html", impact=result, lagrum=lagrum, datum=result.date)


# ---------------------------------------------------------------------------
# Responsibility matrix
# ---------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@per_data_version(maxsize=64)
def _cached_matrix(store, kommun: str, on_date: dt.date, document: str | None) -> Matrix:
    return matrix(store, kommun, on_date, document)


def _matrix(request: Request, kommun: str | None, dokument: str | None, datum: str | None) -> Matrix:
    kommun_ref = municipality(catalog(request), kommun)
    document = (dokument if dokument.startswith("http") else ID_BASE + dokument) if dokument else None
    try:
        return _cached_matrix(store_of(request), kommun_ref.iri, parse_date(datum), document)
    except UnknownDocumentError as exc:
        raise InputError(404, str(exc)) from None


def _raci_links(request: Request, iri: str, datum: str | None = None) -> list[dict]:
    """A municipality's matrix; a document's matrix in each municipality where it applies."""
    store = store_of(request)
    cat = catalog(request)
    query = f"&datum={datum}" if datum else ""
    if iri in cat.by_iri:
        return [{"href": f"/raci?kommun={slug(iri)}{query}", "label": f"Ansvarsmatris för {cat.by_iri[iri].label}"}]
    if iri in documents(store):
        where = sorted((m for m in cat.by_iri.values() if cat.organisations.party_in(iri, m.iri)), key=lambda m: m.label)
        return [{"href": f"/raci?kommun={slug(m.iri)}&dokument={slug(iri)}{query}", "label": f"Ansvarsmatris i {m.label}"} for m in where]
    return []


@router.get("/api/raci", tags=["api"], summary="Ansvarsmatris (RACI) för en kommun eller ett dokument",
            responses=documented(400, 404))
def raci_api(request: Request, kommun: str = Query(..., min_length=1, max_length=100),
             dokument: str | None = Query(None, min_length=1, max_length=200), datum: str | None = Query(None, **DATUM)):
    try:
        return _matrix(request, kommun, dokument, datum).as_dict()
    except InputError as exc:
        return JSONResponse({"fel": exc.message}, status_code=exc.status)


@router.get("/raci", include_in_schema=False)
def raci_page(request: Request, kommun: str = "", dokument: str = "", datum: str = "", format: str = "html"):
    context = {"chosen_kommun": kommun, "chosen_dokument": dokument,
               "dokument_val": sorted(documents(store_of(request)).items(), key=lambda d: d[1])}
    if not kommun:
        return render(request, "raci.html", matrix=None, **context)
    try:
        if format not in ("html", "csv", "xlsx"):
            raise InputError(400, "Formatet ska vara html, csv eller xlsx.")
        result = _matrix(request, kommun, dokument, datum)
    except InputError as exc:
        return render(request, "raci.html", status=exc.status, matrix=None, error=exc.message, **context)
    name = f"ansvarsmatris-{slug(result.municipality.iri)}" + (f"-{slug(result.document.iri)}" if result.document else "") + f"-{result.date}"
    if format == "csv":
        return Response(render_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if format == "xlsx":
        return Response(render_xlsx(result), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    download = f"/raci?kommun={slug(result.municipality.iri)}&datum={result.date}" + (f"&dokument={slug(result.document.iri)}" if result.document else "")
    return render(request, "raci.html", matrix=result, datum=result.date, download=download, **context)
