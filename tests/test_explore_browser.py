"""The trainers' views in a real Chromium, as they are used on a projector and on a phone:
the layered graph reads left to right with readable labels that never overlap, the chain is
a chain, the comparison shows differences only, exports carry title, municipality, date and
legend, and every page works under a strict Content-Security-Policy, fits 390 px and is
axe-clean. Screenshots go to the folder the session prints (ANSVARSGRAF_SKARMBILDER, or a
temporary folder), to be looked at by a person."""

import base64
import csv
import io
import struct

import pytest

from test_browser import assert_axe_clean, browser, server  # noqa: F401  (fixtures)
from test_page_staff import SHOTS

DATE = "datum=2026-03-01"
TIMRA = f"kommun=timra-kommun&{DATE}"
PAGES = {
    "utforska-start": "/utforska",
    "utforska": f"/utforska?nod=kalla-till-sip&{TIMRA}",
    "kedja": f"/utforska/kedja?uppgift=kalla-till-sip&{TIMRA}",
    "jamfor": f"/utforska/jamfor?uppgift=kalla-till-sip&kommun=timra-kommun&kommun2=perstorp-kommun&{DATE}",
    "scenario": f"/utforska/scenario/scenario-skolan-orolig?{TIMRA}",
}
PROJECTOR, PHONE = (1920, 1080), (390, 844)
# The policy the hardened server sends; the tests add it themselves so they hold either way.
# (Under it, wait_for_function takes functions only: a bare expression would need eval.)
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'"


@pytest.fixture(scope="module")
def shots():
    """The staff pages' folder (test_page_staff.SHOTS): one folder for every screenshot."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nSkärmbilder: {SHOTS}")
    return SHOTS


def open_page(browser, size, locale="sv-SE"):  # noqa: F811
    """A page whose every response carries the strict policy, recording any violation."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale, accept_downloads=True)
    page = context.new_page()

    def with_policy(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    page.route("**/*", with_policy)
    page.add_init_script("window.__brott = []; document.addEventListener('securitypolicyviolation',"
                         " e => window.__brott.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));")
    return context, page


def close_page(context, page) -> None:
    """Stop the policy route first: a response still being fetched when the context closes
    raises 'Request context disposed' into whichever test runs next."""
    page.unroute_all(behavior="ignoreErrors")
    context.close()


@pytest.fixture
def projector(browser):  # noqa: F811
    context, page = open_page(browser, PROJECTOR)
    yield page
    close_page(context, page)


def violations(page):
    return page.evaluate("window.__brott")


def graph_ready(page):
    page.wait_for_function("() => window.utforska && document.getElementById('graf').dataset.noder")


def overlapping_labels(page):
    """Pairs of visible nodes whose drawn boxes (shape and label) meet, in screen pixels."""
    return page.evaluate("""() => {
        const boxes = window.utforska.cy.nodes(':visible').map(n =>
            [n.data('visning'), n.renderedBoundingBox({includeLabels: true, includeOverlays: false})]);
        const pairs = [];
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i][1], b = boxes[j][1];
            if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) pairs.push([boxes[i][0], boxes[j][0]]);
        }
        return pairs; }""")


def smallest_label_px(page):
    return page.evaluate("""() => { const cy = window.utforska.cy;
        return Math.min(...cy.nodes(':visible').map(n => parseFloat(n.style('font-size')) * cy.zoom())); }""")


def visible_labels(page):
    return page.evaluate("window.utforska.cy.nodes(':visible').map(n => n.data('visning'))")


@pytest.mark.parametrize("size", [PROJECTOR, PHONE], ids=["1920x1080", "390x844"])
@pytest.mark.parametrize("name", list(PAGES))
def test_trainer_pages_at_projector_and_phone_size(browser, server, shots, name, size):  # noqa: F811
    base, _ = server
    context, page = open_page(browser, size)
    try:
        page.goto(base + PAGES[name])
        page.wait_for_load_state("networkidle")
        has_graph = page.locator("#graf").count() > 0
        if has_graph:
            graph_ready(page)
            page.locator("#grafrubrik").scroll_into_view_if_needed()
            page.evaluate("document.getElementById('grafrubrik').scrollIntoView()")
        page.screenshot(path=shots / f"{name}-{size[0]}x{size[1]}.png")
        page.screenshot(path=shots / f"{name}-{size[0]}x{size[1]}-hela.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        if has_graph:
            assert overlapping_labels(page) == []
            labels = visible_labels(page)
            assert len(labels) == len(set(labels)), "two nodes read the same"
            if size == PROJECTOR:
                assert smallest_label_px(page) >= 14
        assert violations(page) == []
        assert_axe_clean(page)
        # The policy was in force: an inline style attribute is refused and reported.
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
        page.wait_for_function("() => window.__brott.length > 0")
    finally:
        close_page(context, page)


def test_chain_reads_left_to_right_by_layer(projector, server):  # noqa: F811
    base, _ = server
    projector.goto(base + PAGES["kedja"])
    graph_ready(projector)
    nodes = projector.evaluate("""window.utforska.cy.nodes(':visible').map(n =>
        ({kind: n.data('kind'), layer: n.data('lager'), x: n.position('x')}))""")
    kinds = {n["kind"] for n in nodes}
    assert {"lag", "atagande", "aktor", "eskalering"} <= kinds
    for a in nodes:
        for b in nodes:
            if a["layer"] < b["layer"]:
                assert a["x"] < b["x"], (a, b)
    order = {"lag": 0, "dokument": 1, "atagande": 2, "aktor": 3, "eskalering": 4}
    leftmost = {k: min(n["x"] for n in nodes if n["kind"] == k) for k in order if k in kinds}
    assert sorted(leftmost, key=leftmost.get) == sorted(leftmost, key=order.get)


def test_expanded_neighbours_are_placed_beside_the_clicked_node(projector, server):  # noqa: F811
    base, _ = server
    projector.goto(base + f"/utforska?nod=timra-kommun&{TIMRA}")
    graph_ready(projector)
    before = projector.evaluate("Object.fromEntries(window.utforska.cy.nodes().map(n => [n.id(), n.position()]))")
    target = projector.evaluate("window.utforska.cy.nodes('[kind = \"dokument\"]:visible')[0].id()")
    count = len(before)
    projector.evaluate("id => { const cy = window.utforska.cy; cy.getElementById(id).emit('tap'); }", target)
    projector.wait_for_function(f"() => window.utforska.cy.nodes().length > {count}", timeout=15000)
    projector.wait_for_timeout(200)
    after = projector.evaluate("Object.fromEntries(window.utforska.cy.nodes().map(n => [n.id(), n.position()]))")
    assert after[target] == pytest.approx(before[target], abs=0.5)  # the clicked node stays
    layer = projector.evaluate("Object.fromEntries(window.utforska.cy.nodes().map(n => [n.id(), n.data('lager')]))")
    # The others keep their places, except that a column steps up, down or aside as a whole.
    moves: dict[int, list[float]] = {}
    for node, p in before.items():
        moves.setdefault(layer[node], []).append(after[node]["x"] - p["x"])
    assert all(max(dx) - min(dx) < 1 and min(dx) > -0.5 for dx in moves.values()), moves
    fresh = [n for n in after if n not in before]
    assert fresh
    # New nodes stand where their kind belongs: the whole picture still reads left to right.
    shown = projector.evaluate("window.utforska.cy.nodes(':visible').map(n => n.id())")
    assert any(n in shown for n in fresh)
    for a in shown:
        for b in shown:
            if layer[a] < layer[b]:
                assert after[a]["x"] < after[b]["x"], (a, b)
    assert overlapping_labels(projector) == []


def test_gap_and_source_nodes_wait_behind_a_toggle(projector, server):  # noqa: F811
    base, _ = server
    projector.goto(base + f"/utforska?nod=timra-kommun&{TIMRA}")
    graph_ready(projector)
    hidden = "window.utforska.cy.nodes('[kind = \"lucka\"], [kind = \"kalla\"]')"
    assert projector.evaluate(f"{hidden}.length") > 0
    assert projector.evaluate(f"{hidden}.filter(':visible').length") == 0
    toggle = projector.get_by_label("Visa ansvarsluckor och källor")
    toggle.focus()
    projector.keyboard.press("Space")  # reachable and usable from the keyboard
    projector.wait_for_function(f"() => {hidden}.filter(':visible').length > 0")
    assert projector.evaluate(f"{hidden}.filter(':visible').length") == projector.evaluate(f"{hidden}.length")
    assert overlapping_labels(projector) == []
    projector.keyboard.press("Tab")
    assert projector.evaluate("document.activeElement.textContent") == "Zooma in"
    zoom = projector.evaluate("window.utforska.cy.zoom()")
    projector.keyboard.press("Enter")
    assert projector.evaluate("window.utforska.cy.zoom()") > zoom


@pytest.mark.parametrize("path", [
    "/utforska?nod=kalla-timra-2020-s1&nod=kalla-perstorp-2022-s1&nod=kalla-leksand-2023-sammanfattning",
    f"/utforska?nod=mittbus-2013&{TIMRA}&slag=kalla&slag=dokument&slag=atagande&slag=aktor",
    f"/utforska/kedja?uppgift=samverkan-barn-som-far-illa&{TIMRA}",
])
def test_no_two_nodes_read_the_same(projector, server, path):  # noqa: F811
    base, _ = server
    projector.goto(base + path)
    graph_ready(projector)
    toggle = projector.get_by_label("Visa ansvarsluckor och källor")
    if not toggle.is_checked():
        toggle.check()
    labels = visible_labels(projector)
    assert len(labels) == len(set(labels)), sorted(labels)
    rows = projector.locator("table.graph-table tbody th").all_inner_texts()
    assert len(rows) == len(set(rows))


def test_summaries_named_alike_are_told_apart_by_their_document(projector, server):  # noqa: F811
    base, _ = server
    projector.goto(base + "/utforska?nod=kalla-timra-2020-s1&nod=kalla-perstorp-2022-s1")
    graph_ready(projector)
    centres = projector.evaluate("window.utforska.cy.nodes('[?centrum]').map(n => n.data('visning'))")
    assert len(centres) == 2 and all(c.startswith("Sammanfattning (") for c in centres)
    assert any("Timrå" in c for c in centres) and any("Perstorp" in c for c in centres)


def test_table_keeps_one_link_per_node(projector, server):  # noqa: F811
    base, _ = server
    for path in (PAGES["utforska"], PAGES["kedja"]):
        projector.goto(base + path)
        graph_ready(projector)
        count = projector.evaluate("window.utforska.cy.nodes().length")
        rows = projector.locator("table.graph-table tbody tr")
        assert rows.count() == count
        for i in range(rows.count()):
            links = rows.nth(i).locator("a").count()
            kind = rows.nth(i).locator("td").first.inner_text()
            assert links == (0 if kind == "Eskalering" else 1), rows.nth(i).inner_text()


def test_compare_shows_only_what_differs(projector, server):  # noqa: F811
    base, _ = server
    projector.goto(base + PAGES["jamfor"])
    tables = projector.locator("table.difftable")
    assert tables.count() >= 2
    assert "Timrå kommun" in tables.first.inner_text() and "Perstorps kommun" in tables.first.inner_text()
    for t in range(tables.count()):
        for row in tables.nth(t).locator("tbody tr").all():
            cells = row.locator("td").all_inner_texts()
            if len(cells) == 2:
                assert cells[0].strip() != cells[1].strip(), row.inner_text()
            assert any(c.strip() for c in cells)
    assert projector.locator("td.skiljer").count() > 0  # the differences are marked
    # What both share is folded: the law text once, closed, below the differences.
    folded = projector.locator("details.lika")
    assert folded.count() == 1 and not folded.evaluate("d => d.open")
    summaries = folded.locator("dl.lagtext dd").all_text_contents()
    assert summaries
    text = projector.locator("main").text_content()
    for summary in summaries:
        assert text.count(summary.strip()) == 1
    # The first difference is on a projector's first screen, not after pages of law text.
    assert tables.first.bounding_box()["y"] < PROJECTOR[1]


# --- exports ----------------------------------------------------------------------------------

def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def dark_in_bands(page, data: bytes, top: int, bottom: int) -> list[int]:
    """Dark pixels in the first `top` and last `bottom` rows of the PNG, decoded by the browser
    from the downloaded file's bytes (not from the canvas that made it)."""
    return page.evaluate("""([b64, top, bottom]) => new Promise(resolve => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        createImageBitmap(new Blob([bytes], {type: 'image/png'})).then(image => {
            const canvas = document.createElement('canvas');
            canvas.width = image.width; canvas.height = image.height;
            const ctx = canvas.getContext('2d'); ctx.drawImage(image, 0, 0);
            const dark = (y, h) => { const d = ctx.getImageData(0, y, image.width, h).data; let n = 0;
                for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 200) n++; return n; };
            resolve([dark(0, 6), dark(6, top - 6), dark(image.height - bottom, bottom)]); }); })""",
        [base64.b64encode(data).decode(), top, bottom])


def drawn_graph_size(page) -> tuple[int, int]:
    """The size of the graph alone as cytoscape draws it for the PNG (at most 6000 px)."""
    return page.evaluate("""() => new Promise(resolve => {
        const cy = window.utforska.cy, box = cy.elements(':visible').boundingBox();
        const scale = Math.min(2, 6000 / Math.max(box.w, box.h, 1));
        createImageBitmap(cy.png({output: 'blob', full: true, scale: scale})).then(i => resolve([i.width, i.height])); })""")


def download(page, name, path):
    with page.expect_download() as event:
        page.get_by_role("button", name=name).click()
    event.value.save_as(path)
    return path.read_bytes()


def test_exports_carry_title_municipality_date_and_legend(projector, server, tmp_path):  # noqa: F811
    base, _ = server
    projector.goto(base + f"/utforska?nod=timra-kommun&{TIMRA}")
    graph_ready(projector)
    title = projector.locator("#grafrubrik").inner_text()
    assert title == "Grannskapet kring Timrå kommun"

    # PNG: the drawn graph plus a heading band with text above it and a legend band below.
    image = download(projector, "Spara bild (PNG)", tmp_path / "vy.png")
    graph_w, graph_h = drawn_graph_size(projector)
    width, height = png_size(image)
    assert width >= graph_w and height >= graph_h + 200
    margin, heading, legend = dark_in_bands(projector, image, 100, 90)
    assert margin == 0 and heading > 500 and legend > 300, (margin, heading, legend)

    # SVG: the same heading and legend as text.
    svg = download(projector, "Spara bild (SVG)", tmp_path / "vy.svg").decode("utf-8")
    assert svg.startswith("<svg") and f"<title>{title}</title>" in svg
    assert "Kommun: Timrå kommun" in svg and "2026-03-01" in svg and "Teckenförklaring" in svg
    assert "Aktör" in svg and "Överenskommelse eller rutin" in svg

    # CSV, comma and semicolon: UTF-8 with BOM, heading rows, names rather than IRIs.
    count = projector.evaluate("window.utforska.cy.nodes().length")
    for button, sep, file in (("Spara noder och samband (CSV)", ",", "vy.csv"),
                              ("Spara för Excel (CSV med semikolon)", ";", "vy-excel.csv")):
        raw = download(projector, button, tmp_path / file)
        assert raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=sep))
        assert rows[0] == [title]
        assert rows[1] == ["Kommun: Timrå kommun · Datum i grafen: 2026-03-01"]
        assert rows[2][0].startswith("Ansvarsgraf, exporterad ")
        header = rows[4]
        assert header == ["typ", "namn", "slag", "från", "samband", "till", "ansvarslucka", "sida"]
        nodes = [r for r in rows[5:] if r[0] == "nod"]
        edges = [r for r in rows[5:] if r[0] == "samband"]
        assert len(nodes) == count and any(r[1] == "Timrå kommun" for r in nodes)
        assert edges and all(len(r) == len(header) for r in rows[5:])
        names = {r[1] for r in nodes}
        for edge in edges:
            assert edge[3] in names and edge[5] in names and "://" not in edge[3] + edge[5]
        assert sep in text.splitlines()[4]


def test_the_png_heading_and_legend_keep_their_size_however_large_the_graph(projector, server, tmp_path):  # noqa: F811
    # A neighbourhood ten times as spread out is drawn smaller (6000 px at most); the bands
    # with title, municipality, date and legend must not shrink with it.
    base, _ = server
    projector.goto(base + f"/utforska?nod=timra-kommun&{TIMRA}")
    graph_ready(projector)
    bands = []
    for spread in (1, 10):
        # In one batch: node by node, Cytoscape redrew the whole graph after every move (15-20 s
        # of the test per spread in headless Chromium); the positions and the PNG are the same.
        projector.evaluate("""k => { const cy = window.utforska.cy;
            cy.batch(() => cy.nodes().positions(n => ({x: n.position('x') * k, y: n.position('y') * k}))); }""", spread)
        image = download(projector, "Spara bild (PNG)", tmp_path / f"vy-{spread}.png")
        (_, graph_h), (_, height) = drawn_graph_size(projector), png_size(image)
        margin, heading, legend = dark_in_bands(projector, image, 100, 90)
        assert margin == 0 and heading > 500 and legend > 300, (spread, margin, heading, legend)
        bands.append(height - graph_h)
    # 110 + 90 units at 2 px each, and the legend's rows (a row more or less as the width changes)
    assert min(bands) >= 400 and abs(bands[0] - bands[1]) <= 60, bands
