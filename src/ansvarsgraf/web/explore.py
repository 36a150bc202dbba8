"""Explore mode for training sessions: the graph you can walk, the chain behind an answer,
guided scenarios and two municipalities side by side.

Every page is server-rendered and complete without JavaScript: the neighbourhood is a
table whose links re-centre the view. With JavaScript (static/explore.js and the vendored
Cytoscape) the same elements, embedded in the page as JSON, are drawn; clicking a node
fetches its neighbours from /api/graf. Scenario steps and the chain are answered live by
answer.answer_task, the same function as the answer page.
"""

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ..answering import answer_task
from ..compare_view import compare
from ..gaps import analyse_cached
from ..graph_view import KINDS, Filters, UnknownNodeError, View, chain, disambiguate, neighbourhood
from ..queries import query_text
from ..scenarios import all_scenarios, find_scenario
from .common import (DATUM, ID_BASE, InputError, catalog, documented, municipality, node_in_graph, parse_date, slug, store_of,
                     task_iri)
from ..links import href
from .pages import render

router = APIRouter()

# Colour and shape per kind; the legend, the canvas and the SVG export all read this.
# Colours keep 3:1 contrast against white (WCAG 1.4.11); shapes carry the kind for those
# who cannot tell the colours apart.
SHAPES = {
    "rectangle": "2,3 14,3 14,13 2,13",
    "hexagon": "4,1 12,1 15,8 12,15 4,15 1,8",
    "ellipse": None,
    "diamond": "8,1 15,8 8,15 1,8",
    "octagon": "5,1 11,1 15,5 15,11 11,15 5,15 1,11 1,5",
    "triangle": "8,1 15,15 1,15",
    "pentagon": "8,1 15,6 12,15 4,15 1,6",
    "vee": "1,1 8,6 15,1 8,15",
    "star": "8,1 10,6 15,6 11,9 13,15 8,11 3,15 5,9 1,6 6,6",
    "rhomboid": "5,2 15,2 11,14 1,14",
    "tag": "1,2 11,2 15,8 11,14 1,14",
}
STYLE = {
    "lag": ("#0b4f8a", "rectangle"), "dokument": ("#2e7d32", "hexagon"), "aktor": ("#6a1b9a", "ellipse"),
    "atagande": ("#a14d00", "diamond"), "forum": ("#00695c", "octagon"), "uppgift": ("#37474f", "triangle"),
    "kalla": ("#6d4c41", "tag"), "scenario": ("#ad1457", "vee"), "lucka": ("#c62828", "star"),
    "eskalering": ("#4e5d94", "rhomboid"), "ovrigt": ("#757575", "pentagon"),
}

# The column each kind stands in, left to right: law → document → duty → actor → escalation
# (the reading order a trainer walks). Tasks stand with their duties, forums with the actors,
# sources with the documents they describe, gaps after everything they touch.
LAYERS = {"lag": 0, "dokument": 1, "kalla": 1, "uppgift": 2, "atagande": 2, "scenario": 2, "forum": 3, "aktor": 3,
          "ovrigt": 3, "eskalering": 4, "lucka": 5}
HIDDEN_KINDS = ("lucka", "kalla")  # behind the toggle: a projected graph shows who does what first


def legend() -> list[dict]:
    return [{"kind": k, "label": KINDS[k][0], "colour": STYLE[k][0], "shape": STYLE[k][1], "points": SHAPES[STYLE[k][1]]}
            for k in KINDS]


def node_iri(value: str) -> str:
    return value if value.startswith(("http://", "https://")) else ID_BASE + value


def node_param(iri: str) -> str:
    return slug(iri) if iri.startswith(ID_BASE) else iri


def page_of(iri: str, kommun: str | None, datum: str) -> str | None:
    if iri.startswith("lucka:"):
        return "/luckor?" + urlencode({"kommun": kommun, "datum": datum}) if kommun else None
    if iri.startswith("eskalering:"):
        return None
    return href(iri)


def elements(view: View, kommun: str | None, datum: str) -> list[dict]:
    """Cytoscape's elements: nodes with label, kind and page, edges with Swedish labels."""
    out = []
    for node in view.nodes.values():
        out.append({"group": "nodes", "data": {
            "id": node.iri, "label": node.label, "kind": node.kind, "slag": KINDS[node.kind][0], "lager": _layer(node.iri, node.kind),
            "href": page_of(node.iri, kommun, datum), "luckor": node.gaps, "centrum": node.iri in view.centres,
            "nod": node_param(node.iri)}})
    for edge in view.edges:
        out.append({"group": "edges", "data": {
            "id": f"{edge.source}|{edge.label}|{edge.target}", "source": edge.source, "target": edge.target,
            "label": edge.label}})
    return out


def _layer(iri: str, kind: str) -> int:
    """An escalation route reads left to right too: its n-th step one column further."""
    if kind == "eskalering":
        step = iri.rsplit(":", 1)[-1]
        return LAYERS[kind] + (int(step) - 1 if step.isdigit() else 0)
    return LAYERS[kind]


class ExploreParams:
    """The explore form's fields, parsed once for the page and the API."""

    def __init__(self, request: Request, nod: list[str], kommun: str, datum: str, dokument: str, lag: str,
                 slag: list[str]):
        cat = catalog(request)
        self.kommun_ref = municipality(cat, kommun) if kommun else None
        self.on_date = parse_date(datum or None)
        self.nodes = [node_in_graph(node_iri(n)) for n in nod if n]
        unknown = [s for s in slag if s not in KINDS]
        if unknown:
            raise InputError(400, f"Okänt slag av nod '{unknown[0][:40]}'; välj bland {', '.join(KINDS)}.")
        self.slag = slag
        self.filters = Filters(kommun=self.kommun_ref.iri if self.kommun_ref else None,
                               dokument=node_in_graph(node_iri(dokument), "Dokumentet") if dokument else None,
                               lag=node_in_graph(node_iri(lag), "Lagen") if lag else None,
                               kinds=frozenset(slag) if slag else None, datum=self.on_date)
        self.raw = {"kommun": slug(self.kommun_ref.iri) if self.kommun_ref else "", "datum": self.on_date.isoformat(),
                    "dokument": dokument, "lag": lag}

    def view(self, request: Request) -> View:
        store = store_of(request)
        gaps = analyse_cached(store, self.kommun_ref.iri, self.on_date) if self.kommun_ref else None
        try:
            view = neighbourhood(store, self.nodes, self.filters, gaps)
        except UnknownNodeError as exc:
            raise InputError(404, f"Noden '{node_param(str(exc))[:80]}' finns inte i grafen; välj en nod i listan på /utforska.") from None
        disambiguate(store, view)
        return view

    def link(self, iri: str) -> str:
        """The explore page centred on this node, with the same filters."""
        query = [("nod", node_param(iri))] + [(k, v) for k, v in self.raw.items() if v] + [("slag", s) for s in self.slag]
        return "/utforska?" + urlencode(query)


@router.get("/api/graf", tags=["api"], summary="Grannskapet kring en eller flera noder, för grafvyn",
            responses=documented(400, 404))
def graph_api(request: Request, nod: list[str] = Query(..., min_length=1, max_length=300),
              kommun: str | None = Query(None, min_length=1, max_length=100), datum: str | None = Query(None, **DATUM),
              dokument: str | None = Query(None, min_length=1, max_length=300),
              lag: str | None = Query(None, min_length=1, max_length=300),
              slag: list[str] = Query([], json_schema_extra={"items": {"type": "string", "enum": list(KINDS)}})):
    try:
        params = ExploreParams(request, nod, kommun or "", datum or "", dokument or "", lag or "", slag)
        view = params.view(request)
    except InputError as exc:
        return JSONResponse({"fel": exc.message}, status_code=exc.status)
    return {"elements": elements(view, params.raw["kommun"] or None, params.raw["datum"]), "avkortad": view.truncated}


@router.get("/api/kedja", tags=["api"], summary="Kedjan från lag till befattning och eskalering för en uppgift",
            responses=documented(400, 404))
def chain_api(request: Request, uppgift: str = Query(..., min_length=1, max_length=300),
              kommun: str = Query(..., min_length=1, max_length=100), datum: str | None = Query(None, **DATUM)):
    try:
        answer = _answer(request, uppgift, kommun, datum or "")
    except InputError as exc:
        return JSONResponse({"fel": exc.message}, status_code=exc.status)
    return {"elements": elements(_chain(request, answer), slug(answer.municipality.iri), answer.date)}


def _answer(request: Request, uppgift: str, kommun: str, datum: str):
    cat = catalog(request)
    task = task_iri(cat, uppgift)
    kommun_ref = municipality(cat, kommun)
    request.state.resolved_task = slug(task)
    return answer_task(store_of(request), task, kommun_ref.iri, parse_date(datum or None))


def _page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    tasks = sorted(catalog(request).task_labels.items(), key=lambda t: t[1])
    return render(request, template, status=status, task_options=[(slug(i), label) for i, label in tasks], **context)


def _choices(request: Request) -> dict:
    store = store_of(request)
    tasks = sorted(catalog(request).task_labels.items(), key=lambda t: t[1])
    return {"uppgifter": [{"nod": iri, "namn": label} for iri, label in tasks], **{name: store.select(query_text(q)) for name, q in
            (("aktorer", "lista-aktorer"), ("dokument", "lista-dokument"), ("bestammelser", "lista-bestammelser"),
             ("lagar", "lista-forfattningar"))}}


def _chain(request: Request, answer) -> View:
    view = chain(answer)
    _merge_routes(view)
    disambiguate(store_of(request), view)
    return view


def _merge_routes(view: View) -> None:
    """Duties of one document share its escalation route: drawn once, not once per duty."""
    kept: dict[tuple, str] = {}
    alias: dict[str, str] = {}
    for edge in view.edges:  # steps come in route order, each after the one it follows
        target = view.nodes[edge.target]
        if target.kind != "eskalering":
            continue
        key = (alias.get(edge.source, edge.source), target.label)
        alias[target.iri] = kept.setdefault(key, target.iri)
    if not any(a != b for a, b in alias.items()):
        return
    edges, view.edges = view.edges, []
    for iri, same in alias.items():
        if iri != same:
            del view.nodes[iri]
    for edge in edges:
        view.add_edge(alias.get(edge.source, edge.source), alias.get(edge.target, edge.target), edge.label)


def _graph_context(view: View, kommun: str | None, datum: str, link, title: str, kommun_namn: str | None) -> dict:
    """The graph for the canvas (JSON read by static/explore.js: the page carries no inline
    script or style) and for the table: one row per node, in the canvas' left-to-right order."""
    data = json.dumps({"elements": elements(view, kommun, datum), "stil": {k: {"colour": c, "shape": s}
                       for k, (c, s) in STYLE.items()}, "former": SHAPES, "forklaring": legend(),
                       "dolda": HIDDEN_KINDS, "titel": title, "kommun": kommun_namn, "datum": datum}, ensure_ascii=False)
    links: dict[str, list[tuple[str, str]]] = {iri: [] for iri in view.nodes}
    for edge in view.edges:
        links[edge.source].append((edge.label, view.nodes[edge.target].label))
        links[edge.target].append((edge.label + " (från)", view.nodes[edge.source].label))
    rows = sorted(view.nodes.values(), key=lambda n: (_layer(n.iri, n.kind), n.label.casefold()))
    return {"view": view, "graph_json": data.replace("</", "<\\/"), "legend": legend(), "link": link,
            "title": title, "rows": rows, "links": links, "hidden_kinds": HIDDEN_KINDS,
            "page_of": lambda iri: page_of(iri, kommun, datum),
            "kind_label": lambda kind: KINDS[kind][0]}


@router.get("/utforska", response_class=HTMLResponse, include_in_schema=False)
def explore_page(request: Request, nod: list[str] = Query([]), kommun: str = "", datum: str = "", dokument: str = "",
                 lag: str = "", slag: list[str] = Query([])):
    base = {"choices": _choices(request), "kinds": KINDS, "chosen_slag": slag, "dokument_val": dokument,
            "lag_val": lag, "nod_val": nod[0] if nod else "", "scenarios": all_scenarios(store_of(request))}
    try:
        params = ExploreParams(request, nod, kommun, datum, dokument, lag, slag)
        view = params.view(request) if params.nodes else None
    except InputError as exc:
        return _page(request, "explore.html", status=exc.status, error=exc.message, graph=None, expanded=[], **base)
    graph = None
    if view:
        centre = view.nodes[view.centres[0]].label
        kommun_namn = params.kommun_ref.label if params.kommun_ref else None
        graph = _graph_context(view, params.raw["kommun"] or None, params.raw["datum"], params.link,
                               f"Grannskapet kring {centre}", kommun_namn)
    return _page(request, "explore.html", graph=graph, expanded=params.nodes,
                  chosen_kommun=params.raw["kommun"] or request.cookies.get("kommun", ""),
                  datum=params.raw["datum"], **base)


@router.get("/utforska/kedja", response_class=HTMLResponse, include_in_schema=False)
def chain_page(request: Request, uppgift: str = "", kommun: str = "", datum: str = ""):
    if not uppgift:
        return _page(request, "chain.html", answer=None, graph=None)
    try:
        answer = _answer(request, uppgift, kommun, datum)
    except InputError as exc:
        return _page(request, "chain.html", status=exc.status, error=exc.message, answer=None, graph=None)
    return _page(request, "chain.html", answer=answer, chosen_kommun=slug(answer.municipality.iri), datum=answer.date,
                  chosen_task=slug(answer.tasks[0]["iri"]), **_chain_graph(request, answer))


def _chain_graph(request: Request, answer) -> dict:
    kommun, datum = slug(answer.municipality.iri), answer.date
    link = lambda iri: "/utforska?" + urlencode({"nod": node_param(iri), "kommun": kommun, "datum": datum})  # noqa: E731
    title = f"Kedjan för {answer.tasks[0]['label']} i {answer.municipality.label}"
    return {"graph": _graph_context(_chain(request, answer), kommun, datum, link, title, answer.municipality.label)}


@router.get("/utforska/scenario/{scenario_id}", response_class=HTMLResponse, include_in_schema=False)
def scenario_page(request: Request, scenario_id: str, kommun: str = "", datum: str = "", steg: int = Query(1, ge=1, le=100)):
    store = store_of(request)
    scenario = find_scenario(store, node_iri(scenario_id))
    if scenario is None:
        return render(request, "error.html", status=404, title="Finns inte",
                      message=f"Det finns inget scenario '{scenario_id[:60]}'. Se listan på /utforska.")
    context = {"scenario": scenario, "scenario_id": scenario_id, "answer": None, "graph": None,
               "step": scenario.steps[min(steg, len(scenario.steps)) - 1]}
    if not kommun:
        return _page(request, "scenario.html", **context)
    try:
        answer = _answer(request, slug(context["step"].task), kommun, datum)
    except InputError as exc:
        return _page(request, "scenario.html", status=exc.status, error=exc.message, **context)
    context.update(answer=answer, **_chain_graph(request, answer))
    return _page(request, "scenario.html", chosen_kommun=slug(answer.municipality.iri), datum=answer.date,
                  step_link=lambda n: f"/utforska/scenario/{scenario_id}?" + urlencode(
                      {"kommun": slug(answer.municipality.iri), "datum": answer.date, "steg": n}), **context)


@router.get("/utforska/jamfor", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, uppgift: str = "", kommun: str = "", kommun2: str = "", datum: str = ""):
    if not (uppgift and kommun and kommun2):
        return _page(request, "compare.html", answers=[], chosen_task=uppgift, kommun2=kommun2)
    try:
        answers = [_answer(request, uppgift, k, datum) for k in (kommun, kommun2)]
    except InputError as exc:
        return _page(request, "compare.html", status=exc.status, error=exc.message, answers=[], chosen_task=uppgift,
                      kommun2=kommun2)
    from .pages import permalink
    comparison = compare(*answers) if all(a.status in ("besvarad", "ingen_ansvarig") for a in answers) else None
    return _page(request, "compare.html", answers=answers, comparison=comparison,
                  chosen_task=slug(answers[0].tasks[0]["iri"]) if answers[0].tasks else uppgift,
                  chosen_kommun=slug(answers[0].municipality.iri), kommun2=slug(answers[1].municipality.iri),
                  datum=answers[0].date, permalink=permalink)
