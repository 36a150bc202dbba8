"""The staff page, the gap report and access, as people use them, in real Chromium.

Screenshots of every page at desktop (1366×900) and mobile (390×844) size are written to a
folder this module prints (ANSVARSGRAF_SKARMBILDER chooses it), to be looked at by a person.
"""

import os
import re
import shutil
import struct
import tempfile
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from ansvarsgraf.wording import readable
from test_browser import assert_axe_clean, browser, server, submit  # noqa: F401  (fixtures)

SHOTS = Path(os.environ.get("ANSVARSGRAF_SKARMBILDER") or tempfile.mkdtemp(prefix="ansvarsgraf-skarmbilder-"))
VIEWPORTS = {"dator": {"width": 1366, "height": 900}, "mobil": {"width": 390, "height": 844}}
DAY = "2026-03-01"

# The pages staff and auditors read (GET), by the name their screenshot gets.
STAFF_PAGES = {
    "fraga": "/",
    "svar": f"/svar?uppgift=skyddsbedomning&kommun=timra-kommun&datum={DAY}",
    "svar-ingen-ansvarig": f"/svar?uppgift=placerat-barns-skolgang&kommun=leksand-kommun&datum={DAY}",
    "svar-lots": f"/svar?uppgift=hantera-avvikelse&kommun=perstorp-kommun&datum={DAY}",
    "aktor": "/id/timra-socialnamnden",
    "overenskommelse": "/id/lotsmodellen-nordostra-skane-2019",
    "lagrum": "/lagrum/2025:400/K19P6",
    "lagrum-upphavt": "/lagrum/2001:453/K14P1",
    "luckor": f"/luckor?kommun=timra-kommun&datum={DAY}",
    "luckor-perstorp": f"/luckor?kommun=perstorp-kommun&datum={DAY}",
}
# Pages boards, managers and jurists read (from other issues): what changed between two dates,
# what rests on a provision, the responsibility matrix.
BOARD_PAGES = {
    "andringar": "/andringar?fran=2026-01-14&till=2026-01-15&kommun=hoor-kommun",
    "paverkan": f"/paverkan?lagrum=sfs:2001:453%23K2P7&datum={DAY}",
    "raci": f"/raci?kommun=timra-kommun&datum={DAY}",
}
# The other municipalities' gap reports and matrices, read for their words only (no screenshot):
# their reasons and descriptions name tasks, documents and findings, and their evidence holds
# board responses, which have no name of their own.
OTHER_MUNICIPALITIES = {
    **{f"luckor-{k}": f"/luckor?kommun={k}-kommun&datum={DAY}" for k in ("hoor", "leksand", "trelleborg")},
    **{f"raci-{k}": f"/raci?kommun={k}-kommun&datum={DAY}" for k in ("perstorp", "hoor", "leksand", "trelleborg")},
}
DEVELOPER_PAGES = {"utvecklare": "/utvecklare", "fardiga-fragor": "/fragor", "fraga-som-tabell": "/fragor/ataganden-pa-befattningar",
                   "ontologi": "/def"}
# Every page but the trainers' (test_explore_browser.py has those, at projector and phone size).
ALL_PAGES = {**STAFF_PAGES, **BOARD_PAGES, **DEVELOPER_PAGES}

# What staff must not have to read: ISO durations, field names of the data files, the law
# notes' file name, the project's own words for its data, ids as link text.
RAW_DURATION = re.compile(r"\bP\d+[DWMY]\b")
FIELD_NAME = re.compile(r"\b(giltig_från|giltig_till|frist_varaktighet|[a-zåäö]+_[a-zåäö]+)\b")
INTERNAL_WORDS = ("LAW-NOTES", "i grafen", "inte modellera", "är modellerad", ".yaml", ".md")
# An id as text: a lowercase slug of three parts or more with a letter in it (not a date),
# standing alone (not a piece of a web address), or one of the graph's IRIs.
ID_IN_TEXT = re.compile(r"(?<![\w/#.-])(?=[a-z0-9-]*[a-z])[a-z0-9]+(?:-[a-z0-9]+){2,}(?![\w/-])|https?://w3id\.org/\S+")
# English in the data's own words (a named source's place written in the notes' language):
# words that Swedish prose never uses.
ENGLISH = re.compile(r"\b(the|was|were|and|of|its)\b")
ID_LINK_TEXT = re.compile(r"^(https?://|/)|^[a-z0-9]+(-[a-z0-9]+){2,}$|\d{4}:\d+/K?\d|#K\d+P\d+")


def setup_module():
    print(f"\nSkärmbilder: {SHOTS}")


@pytest.fixture(params=list(VIEWPORTS))
def sized(request, browser):  # noqa: F811
    context = browser.new_context(locale="sv-SE", viewport=VIEWPORTS[request.param])
    yield request.param, context.new_page()
    context.close()


def ask_question(page, base, question, kommun="Timrå kommun"):
    submit(page, base, question, kommun, DAY)
    page.locator("#svarsrubrik").wait_for()


def shoot(page, name, size):
    path = SHOTS / f"{name}-{size}.png"
    page.screenshot(path=path, full_page=True)
    return path


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width} px bred på en {viewport} px skärm"


@pytest.mark.parametrize("name", list(ALL_PAGES))
def test_every_page_fits_the_screen_is_photographed_and_axe_clean(sized, server, name):  # noqa: F811
    # On a phone too: a table that scrolls sideways must be reachable by keyboard.
    size, page = sized
    base, _ = server
    page.goto(base + ALL_PAGES[name])
    page.wait_for_load_state("networkidle")
    shoot(page, name, size)
    no_sideways_scroll(page)
    assert_axe_clean(page)


@pytest.mark.parametrize("name", list(ALL_PAGES))
def test_no_sideways_scroll_at_200_percent_zoom(browser, server, name):  # noqa: F811
    # 200 % zoom of a 1366 px wide window: 683 CSS pixels, each drawn twice as large.
    context = browser.new_context(viewport={"width": 683, "height": 450}, device_scale_factor=2)
    page = context.new_page()
    page.goto(server[0] + ALL_PAGES[name])
    no_sideways_scroll(page)
    context.close()


def in_first_screen(page, locator) -> bool:
    """Wholly on the screen as it is scrolled now (within a pixel's rounding at the top edge,
    where the answer is scrolled to after submitting)."""
    box = locator.bounding_box()
    return box is not None and box["y"] >= -1 and box["y"] + box["height"] <= page.viewport_size["height"]


def test_the_verdict_comes_first_and_is_on_the_first_mobile_screen(sized, server, figures):  # noqa: F811
    size, page = sized
    base, _ = server
    ask_question(page, base, "Vem gör skyddsbedömningen?")
    page.wait_for_url(re.compile(r"/svar\?"))
    verdict = page.locator("p.verdict")
    text = verdict.inner_text()
    assert text.startswith("I Timrå kommun ska") and "Mottagningsenheten (IFO)" in text and "göra omedelbar skyddsbedömning" in text
    # The verdict's source stands in the sentence. Timrå's intake unit only has described
    # practice (KPMG 2020, 3.1: "hanteras denna av mottagningsenheten som gör ..."), so the
    # sentence's "ska" is the statute's, and the unit is named as practice (what the audit of
    # 2020-10-13 saw it do), not as an obligation.
    assert "SoL (2025:400) 20 kap. 1 §" in text and "Timrå (utför enligt granskningen 2020-10-13)" in text, text
    before_cards = page.evaluate("""() => {
        const v = document.querySelector('p.verdict'), c = document.querySelector('article.card');
        return !!(v.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING); }""")
    assert before_cards
    assert in_first_screen(page, verdict), (size, verdict.bounding_box())
    # Focus moved to the answer: a screen reader reads it next, Tab goes on into it.
    assert page.evaluate("document.activeElement.id") == "svarsrubrik"
    shoot(page, "svar-efter-fraga", size)
    page.screenshot(path=SHOTS / f"svar-forsta-skarmen-{size}.png")  # what a person sees first
    if size == "mobil":  # the folder named where the run's figures are (a worker has no terminal)
        figures(f"Skärmbilder (dator, mobil, projektor, 200 % zoom): {SHOTS}")


def test_an_answer_from_the_cache_says_it_may_be_stale_while_the_store_is_down(browser, oxigraph_endpoints, tmp_path, monkeypatch):  # noqa: F811
    """serve in front of a SPARQL server (the session's Oxigraph server, reached through a
    proxy the test closes, so the shared server lives on): once the store is gone, a question
    already answered is answered from the cache, and the page says it may be stale, beside the
    verdict on a phone's first screen, in words staff read."""
    from server import running_server
    from sparql_servers import DelayingProxy

    proxy = DelayingProxy(oxigraph_endpoints["port"])
    monkeypatch.setenv("ANSVARSGRAF_VERSION_CHECK_S", "1")
    context = browser.new_context(locale="sv-SE", viewport=VIEWPORTS["mobil"])
    page = context.new_page()
    try:
        with running_server(tmp_path / "serve.log", "--endpoint", f"http://127.0.0.1:{proxy.port}/query") as base:
            ask_question(page, base, "Vem gör skyddsbedömningen?")  # from the store; now cached
            assert page.locator(".stale").count() == 0
            answered = page.locator("p.verdict").inner_text()
            proxy.close()
            for _ in range(40):  # the version check falls due after 1 s and fails: degraded
                if "inaktuellt" in page.request.get(base + "/api/kommuner").headers.get("warning", ""):
                    break
                page.wait_for_timeout(250)
            ask_question(page, base, "Vem gör skyddsbedömningen?")
            page.wait_for_url(re.compile(r"/svar\?"))
            notice = page.get_by_role("status").filter(has_text="Kan vara inaktuellt")
            assert notice.count() == 1 and notice.is_visible()
            assert "Kontrollera igen" in notice.inner_text()
            assert not [w for w in (*INTERNAL_WORDS, "cache", "lager", "server") if w in notice.inner_text().lower()]
            verdict = page.locator("p.verdict")
            assert verdict.inner_text() == answered  # the cached answer, whole
            assert in_first_screen(page, notice) and in_first_screen(page, verdict)
            shoot(page, "svar-ur-cachen", "mobil")
            assert_axe_clean(page)
    finally:
        proxy.close()
        context.close()


def test_the_verdict_badges_read_as_swedish(page, server):  # noqa: F811
    base, _ = server
    page.goto(base + f"/svar?uppgift=kalla-till-sip&kommun=timra-kommun&datum={DAY}")
    badges = page.locator(".badge").all_inner_texts()
    assert "får sammankalla" in badges and "ska initiera" in badges
    assert not [b for b in badges if re.search(r"\b(ska|bör|får) (utför|sammankallar|ansvarar|initierar|tar emot)\b", b)]


def test_the_page_shows_how_the_question_was_read_and_the_alternatives(page, server):  # noqa: F811
    base, _ = server
    ask_question(page, base, "vem kallar till SIP")
    page.wait_for_url(re.compile(r"/svar\?"))
    interpretation = page.locator("p.interpretation")
    assert "Vi tolkade frågan som: Kalla till SIP" in interpretation.inner_text()
    alternatives = interpretation.locator("a")
    assert alternatives.count() >= 1
    first = alternatives.first.inner_text()
    # The same page reached without JavaScript (the redirect) offers the same alternatives.
    page.goto(page.url)
    assert page.locator("p.interpretation a").first.inner_text() == first
    page.locator("p.interpretation a").first.click()
    page.wait_for_url(re.compile(r"/svar\?"))
    assert page.locator("#svarsrubrik").inner_text().startswith(first)


def test_an_ambiguous_question_lists_its_choices(sized, server):  # noqa: F811
    size, page = sized
    base, _ = server
    ask_question(page, base, "uppföljning")
    assert page.locator("#svarsrubrik").inner_text() == "Menade du …"
    assert page.locator("ul.candidates a").count() >= 2
    shoot(page, "tvetydig-fraga", size)
    no_sideways_scroll(page)


def test_a_question_outside_the_sources_says_what_they_cover(page, server):  # noqa: F811
    base, _ = server
    ask_question(page, base, "vem betalar resan till mötet")
    text = page.locator("#svar").inner_text()
    assert "Det kan vi inte svara på" in text and "Svaren täcker" in text
    assert page.locator("article.duty").count() == 0


def test_the_skip_link_moves_focus_without_reloading(page, server):  # noqa: F811
    base, _ = server
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    page.evaluate("window.notReloaded = true")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate("document.activeElement.id") == "innehall"
    assert page.evaluate("window.notReloaded === true"), "sidan laddades om"
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('innehall').contains(document.activeElement)")


def test_favicon(page, server):  # noqa: F811
    base, _ = server
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    for url in (icon, "/favicon.ico"):
        response = page.request.get(base + url)
        assert response.status == 200 and response.headers["content-type"].startswith("image/")
    assert not failed


@pytest.mark.parametrize("name", list(STAFF_PAGES) + list(BOARD_PAGES) + list(OTHER_MUNICIPALITIES)
                         + ["okand-fraga", "tvetydig-fraga"])
def test_staff_pages_speak_plain_swedish(page, server, name):  # noqa: F811
    base, _ = server
    if name in ("okand-fraga", "tvetydig-fraga"):
        ask_question(page, base, {"okand-fraga": "vem betalar resan till mötet", "tvetydig-fraga": "uppföljning"}[name])
    else:
        page.goto(base + {**ALL_PAGES, **OTHER_MUNICIPALITIES}[name])
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    text = page.locator("main").inner_text()
    assert not RAW_DURATION.findall(text)
    assert not FIELD_NAME.findall(text)
    assert not [w for w in INTERNAL_WORDS if w in text]
    links = [t.strip() for t in page.locator("main a").all_inner_texts()]
    assert not [t for t in links if ID_LINK_TEXT.search(t)]
    assert page.locator("main [lang]:not([lang=sv])").count() == 0  # no English names
    # Issue 18: no id as text, from the page or from the data's own words (a reason, a note,
    # a described duty, a support's unnamed value, a board response in the evidence).
    assert not ID_IN_TEXT.findall(text)
    assert not ENGLISH.findall(text)
    if name.startswith("luckor"):
        # Each gap says what and where: no two alike, none only its kind's general title.
        headings = page.locator("article.gap h4").all_inner_texts()
        kinds = set(page.locator("table.summary").first.locator("tbody td:nth-child(2)").all_inner_texts())
        assert headings and len(set(headings)) == len(headings), "två luckor har samma rubrik"
        assert not [h for h in headings if h.strip() in kinds or "konstaterar en brist" in h], kinds


def test_an_unknown_address_is_said_in_staff_words_whatever_format_is_asked(page, server):  # noqa: F811
    base, _ = server
    for accept in ("text/html", "text/turtle"):
        response = page.request.get(base + "/id/finns-inte-alls", headers={"Accept": accept})
        assert response.status == 404
        assert "Det finns ingen sida med den adressen." in response.text(), accept
        assert not [w for w in INTERNAL_WORDS if w in response.text()], accept


def test_the_menu_is_for_staff_and_developer_material_is_in_the_footer(page, server):  # noqa: F811
    base, _ = server
    page.goto(base + "/")
    menu = page.get_by_role("navigation", name="Huvudmeny").inner_text()
    assert "Färdiga frågor" not in menu and "API" not in menu
    page.locator("footer").get_by_role("link", name="För utvecklare").click()
    assert page.get_by_role("link", name="Färdiga frågor").count() == 1


def squeeze(text: str) -> str:
    # NFKC: the PDF's text has the font's ligatures ("ﬁ" for "fi")
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_the_printed_gap_report_holds_every_piece_of_evidence_and_source(page, server, tmp_path):  # noqa: F811
    base, _ = server
    page.goto(base + STAFF_PAGES["luckor"])
    pdf = tmp_path / "luckor.pdf"
    page.pdf(path=pdf, format="A4")
    shutil.copy(pdf, SHOTS / "luckor-utskrift.pdf")
    printed = squeeze(" ".join(p.extract_text() for p in PdfReader(pdf).pages))
    report = page.request.get(base + f"/api/gaps?kommun=timra-kommun&datum={DAY}").json()
    with_evidence = [g for g in report["gaps"] if g["evidence"]]
    assert printed.count(squeeze("Belägg och källor")) == len(with_evidence) > 0
    for gap in with_evidence:
        assert squeeze(gap["heading"]) in printed
        for ev in gap["evidence"]:
            assert squeeze(readable(ev["node"]["label"])) in printed, ev["node"]["label"]
            for source in ev["sources"]:
                assert squeeze(readable(source["label"])) in printed, source["label"]
    assert squeeze("hämta .") not in printed and squeeze("Hämta rapporten") not in printed


def test_the_gap_report_opens_with_a_summary_and_narrows_by_kind_board_and_document(page, server):  # noqa: F811
    base, _ = server
    page.goto(base + STAFF_PAGES["luckor"])
    report = page.request.get(base + f"/api/gaps?kommun=timra-kommun&datum={DAY}").json()["gaps"]
    summary = page.locator("table.summary").first
    assert page.locator("main h3").first.inner_text() == "Sammanfattning"
    assert summary.locator("thead th").all_inner_texts() == ["Allvarlighet", "Typ av lucka", "Antal", "Bör åtgärdas av (antal luckor)"]
    counted = sum(int(n) for n in summary.locator("tbody tr td:nth-child(3)").all_inner_texts())
    assert counted == len(report) == page.locator("article.gap").count()
    # CSV and JSON stay, linked from the report, with every gap.
    response = page.request.get(base + page.get_by_role("link", name="CSV").get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text().splitlines()
    assert lines[0].startswith("kommun,datum,allvarlighet") and len(lines) > len(report)
    response = page.request.get(base + page.get_by_role("link", name="JSON").get_attribute("href"))
    assert response.status == 200 and response.json()["gaps"] == report
    headings = page.locator("article.gap h4").all_inner_texts()
    assert len(set(headings)) == len(headings), "två luckor har samma rubrik"
    assert any("Avvikelser enligt samverkansrutinen för skola och BUP rapporteras inte" in h for h in headings)
    page.get_by_label("Typ av lucka").select_option(label="En revision eller ett nämndsvar konstaterar en brist i ansvaret")
    page.get_by_label("Bör åtgärdas av").select_option(label="Socialnämnden i Timrå kommun")
    page.get_by_role("button", name="Visa urvalet").click()
    page.wait_for_url(re.compile(r"typ=dokumenterad-iakttagelse"))
    expected = [g for g in report if g["kind"] == "dokumenterad-iakttagelse"
                and any(a["label"] == "Socialnämnden i Timrå kommun" for a in g["act"])]
    assert page.locator("article.gap").count() == len(expected) > 0
    page.get_by_label("Dokument eller källa").select_option(label="Överenskommelse MITTBUS")
    page.get_by_role("button", name="Visa urvalet").click()
    page.wait_for_url(re.compile(r"dokument=mittbus"))
    assert 0 < page.locator("article.gap").count() < len(expected)
    assert all("MITTBUS" in t for t in page.locator("article.gap").all_inner_texts())


def test_the_readme_shows_the_answer_on_a_desktop_and_explore_on_a_projector():
    """The README's images are there, as PNGs of the sizes they claim: the answer at desktop
    width and the explore view at 1920×1080 among them."""
    project = Path(__file__).resolve().parents[1]
    readme = (project / "README.md").read_text(encoding="utf-8")
    sizes = {}
    for path in re.findall(r"!\[[^\]]+\]\(([^)\s]+\.png)\)", readme):
        head = (project / path).read_bytes()[:24]
        assert head.startswith(b"\x89PNG\r\n\x1a\n"), path
        sizes[path] = struct.unpack(">II", head[16:24])
    assert sizes.get("docs/skarmbilder/svar-dator.png", (0, 0))[0] >= 1280, sizes
    assert sizes.get("docs/skarmbilder/utforska-projektor.png") == (1920, 1080), sizes


def test_axe_finds_nothing_on_an_answer_after_asking(page, server):  # noqa: F811
    base, _ = server
    ask_question(page, base, "uppföljning")
    assert_axe_clean(page)
    ask_question(page, base, "vem kallar till SIP")
    assert_axe_clean(page)


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context(locale="sv-SE")
    yield context.new_page()
    context.close()
