"""Explore mode in a real Chromium: the graph grows when a node is clicked, shrinks under a
filter, scenarios run to their end, exports are well-formed, and every page is axe-clean.
The server and browser fixtures are test_browser's, imported rather than copied."""

import re

import pytest
import rdflib

from test_browser import assert_axe_clean, browser, page, server  # noqa: F401  (fixtures)

TIMRA = "kommun=timra-kommun&datum=2026-03-01"


def node_count(page):
    page.wait_for_function("() => document.getElementById('graf') && document.getElementById('graf').dataset.noder")
    return int(page.locator("#graf").get_attribute("data-noder"))


def click_node(page, node_id):
    """Click a node where Cytoscape drew it, as a user would."""
    page.evaluate("id => { document.getElementById('graf').scrollIntoView({block: 'center'});"
                  " window.utforska.cy.center(window.utforska.cy.getElementById(id)); }", node_id)
    page.wait_for_timeout(300)  # Cytoscape updates its cached canvas offset on the scroll event
    x, y = page.evaluate("""id => { const n = window.utforska.cy.getElementById(id);
        const box = document.getElementById('graf').getBoundingClientRect();
        const p = n.renderedPosition(); return [box.left + p.x, box.top + p.y]; }""", node_id)
    page.mouse.click(x, y)


def open_filters(page):
    """With a graph shown the filters are folded away; open them as a user would."""
    fold = page.locator("details.filterfold")
    if not fold.evaluate("d => d.open"):
        fold.locator("summary").click()


def test_explore_expand_and_filter(page, server):  # noqa: F811
    base, _ = server
    page.goto(f"{base}/utforska?nod=kalla-till-sip&{TIMRA}")
    before = node_count(page)
    assert page.locator("table.graph-table tbody tr").count() >= 1
    duty = page.evaluate("window.utforska.cy.nodes('[kind = \"atagande\"]')[0].id()")
    click_node(page, duty)
    page.wait_for_function(f"() => Number(document.getElementById('graf').dataset.noder) > {before}", timeout=10000)
    expanded = node_count(page)
    assert expanded > before
    assert "Vald nod" not in page.locator("#nodpanel").inner_text()  # the panel shows the node
    open_filters(page)
    page.get_by_label("Aktör").check()  # show actors only
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url(re.compile(r"slag=aktor"))
    assert 0 < node_count(page) < expanded
    assert set(page.evaluate("window.utforska.cy.nodes().map(n => n.data('kind'))")) <= {"aktor", "uppgift", "atagande", "lucka"}


def test_scenario_runs_to_its_end(page, server):  # noqa: F811
    base, _ = server
    page.goto(f"{base}/utforska")
    page.get_by_role("link", name="Skolan är orolig för en elev").click()
    page.get_by_label("Kommun").select_option(label="Timrå kommun")
    page.get_by_label("Datum").fill("2026-03-01")
    page.get_by_role("button", name="Visa svaren för kommunen").click()
    steps = 0
    while True:
        page.locator("#stegrubrik").wait_for()
        steps += 1
        assert node_count(page) >= 1
        if page.locator("#scenario-slut").count():
            break
        page.get_by_role("link", name="Nästa steg").click()
    assert steps == 6
    assert "Steg 6 av 6" in page.locator("#stegrubrik").inner_text()


def test_scenario_answers_differ_between_municipalities(page, server):  # noqa: F811
    base, _ = server
    texts = []
    for kommun in ("timra-kommun", "perstorp-kommun"):
        page.goto(f"{base}/utforska/scenario/scenario-bup-och-socialtjansten?kommun={kommun}&datum=2026-03-01&steg=1")
        texts.append(page.locator("ul.duties-short").inner_text())
    assert texts[0] != texts[1]


def test_explore_works_without_javascript(browser, server):  # noqa: F811
    base, _ = server
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/utforska?nod=timra-kommun&{TIMRA}")
    # the board's own row (recommendations addressed to it start with its name too)
    link = page.locator('table.graph-table a[href*="nod=timra-socialnamnden&"]').first
    link.click()
    page.wait_for_url(re.compile(r"nod=timra-socialnamnden"))
    assert page.locator("table.graph-table tbody tr").count() >= 1
    context.close()


@pytest.mark.parametrize("path", [
    "/utforska",
    f"/utforska?nod=timra-kommun&{TIMRA}",
    f"/utforska/kedja?uppgift=kalla-till-sip&{TIMRA}",
    f"/utforska/scenario/scenario-skolan-orolig?{TIMRA}",
    "/utforska/jamfor?uppgift=kalla-till-sip&kommun=timra-kommun&kommun2=perstorp-kommun&datum=2026-03-01",
    "/fragor/forum-per-kommun",
])
def test_explore_pages_are_axe_clean(page, server, path):  # noqa: F811
    base, _ = server
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    assert_axe_clean(page)


SCOPE = """PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
SELECT ?nod ?dokument ?lag ?fran ?till WHERE {
  OPTIONAL { ?nod ag:establishedBy ?dokument }
  OPTIONAL { ?nod (ag:legalBasis|ag:versionOf)?/eli:is_part_of ?lag }
  OPTIONAL { ?nod ag:validFrom ?fran }
  OPTIONAL { ?nod ag:validUntil ?till }
}"""


def shown(page) -> set[str]:
    """The graph's nodes, without gap markers (which follow whatever else is shown)."""
    node_count(page)
    return set(page.evaluate("window.utforska.cy.nodes().filter(n => n.data('kind') !== 'lucka').map(n => n.id())"))


def show_with(page, **fields):
    open_filters(page)
    for name, value in fields.items():
        if name == "datum":
            page.fill("#datum", value)
        else:
            page.select_option(f"#{name}", value)
    with page.expect_navigation():
        page.get_by_role("button", name="Visa").click()


def test_document_law_and_date_filters(page, server, loaded):  # noqa: F811
    """Each filter, chosen in the form as a user would, shows exactly the neighbours the
    graph says belong to the document, cite the law or are valid on the date."""
    from ansvarsgraf.embedded_store import OxigraphStore

    base, _ = server
    store = OxigraphStore.from_loaded(loaded)
    page.goto(f"{base}/utforska?nod=kalla-till-sip&{TIMRA}")
    everything = shown(page)
    scope = {iri: {"dokument": set(), "lag": set(), "fran": set(), "till": set()} for iri in everything}
    for row in store.select(SCOPE, {"nod": [rdflib.URIRef(i) for i in everything]}):
        for key in ("dokument", "lag", "fran", "till"):
            if row[key] is not None:
                scope[str(row["nod"])][key].add(str(row[key]))
    centre = "https://w3id.org/ansvarsgraf/id/kalla-till-sip"

    # A document none of the shown duties belongs to: every node tied to a document goes.
    own_documents = {d for s in scope.values() for d in s["dokument"]}
    assert own_documents  # the Timrå routine's duties are there to be filtered away
    options = page.eval_on_selector_all("#dokument option", "os => os.map(o => o.value)")
    other = next(o for o in options if o and not any(d.endswith("/" + o) for d in own_documents))
    show_with(page, dokument=other)
    assert shown(page) == {i for i in everything if not scope[i]["dokument"]} | {centre}

    # A law some of the shown nodes cite and others do not.
    show_with(page, dokument="")
    laws = sorted({law for s in scope.values() for law in s["lag"]})
    law = next(law for law in laws if any(s["lag"] and law not in s["lag"] for s in scope.values()))
    show_with(page, lag=law)
    expected = {i for i in everything if not scope[i]["lag"] or law in scope[i]["lag"]} | {centre}
    assert shown(page) == expected and expected < everything

    # An earlier date: what was not yet in force is no longer shown, and all that is shown was.
    show_with(page, lag="", datum="2024-06-01")
    page.wait_for_url(re.compile("datum=2024-06-01"))
    earlier = shown(page)
    later_only = {i for i in everything if any(f > "2024-06-01" for f in scope[i]["fran"])}
    assert later_only and not (earlier & later_only)
    valid = {str(r["nod"]): (r["fran"], r["till"]) for r in store.select(SCOPE, {"nod": [rdflib.URIRef(i) for i in earlier]})}
    for iri in earlier - {centre}:
        start, end = valid[iri]
        assert (start is None or str(start) <= "2024-06-01") and (end is None or str(end) >= "2024-06-01"), iri
