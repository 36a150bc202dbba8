"""The staff page in a real headless Chromium (Debian's), driven by Playwright, checked by axe-core.

Chromium is launched from /usr/bin/chromium with the flags that keep it off the closed
network; `playwright install` cannot download browsers here.
"""

import re
import shutil
import urllib.request

import pytest

pytest.importorskip("playwright.sync_api")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def server(served):
    """(base URL, log) of the session's one `serve` (conftest.py), for every Chromium file."""
    return served


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    yield page
    context.close()


def assert_axe_clean(page):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, results.generate_report()


def submit(page, base, question, kommun="Timrå kommun", date=None):
    """Fill in the question page and send it, as a person would."""
    page.goto(base + "/")
    page.get_by_label("Din fråga").fill(question)
    page.get_by_label("Kommun").select_option(label=kommun)
    if date:
        page.get_by_label("Datum").fill(date)
    page.get_by_role("button", name="Fråga").click()


def ask(page, base, question, kommun="Timrå kommun", date="2026-03-01"):
    submit(page, base, question, kommun, date)
    page.wait_for_url(re.compile(r"/svar\?"))
    page.locator("#svarsrubrik").wait_for()


def test_question_answer_and_working_statute_link(page, server):
    base, _ = server
    ask(page, base, "Vem ska erbjuda möte efter en orosanmälan?")
    assert "uppgift=erbjuda-mote-efter-anmalan" in page.url and "orosanm" not in page.url
    card = page.locator("article.duty").first
    assert "Socialnämnden i Timrå kommun" in card.inner_text()
    law = card.locator("a[rel=external]", has_text="SoL (2025:400) 19 kap. 5 §")
    assert law.get_attribute("href") == "https://lagen.nu/2025:400#K19P5"
    internal = card.get_by_role("link", name="mer om paragrafen").first.get_attribute("href")
    with urllib.request.urlopen(base + internal) as response:
        assert response.status == 200 and "19 kap. 5 §" in response.read().decode()


def test_permalink_reloads_to_the_same_answer(page, server):
    base, _ = server
    ask(page, base, "vem tar emot avvikelser i lotsmodellen", kommun="Perstorps kommun")
    first = page.locator("article.duty").first.inner_text()
    permalink = page.url
    page.goto("about:blank")
    page.goto(permalink)
    assert page.locator("article.duty").first.inner_text() == first
    assert page.locator("#kommun").input_value() == "perstorp-kommun"


def test_municipality_is_remembered(page, server):
    base, _ = server
    ask(page, base, "vem kallar till SIP", kommun="Leksands kommun")
    page.goto(base + "/")
    assert page.locator("#kommun").input_value() == "leksand-kommun"


def test_ambiguous_question_offers_choices(page, server):
    base, _ = server
    submit(page, base, "uppföljning")
    heading = page.get_by_role("heading", name="Menade du …")
    heading.wait_for()
    choices = page.locator("ul.candidates a")
    assert choices.count() >= 2
    choices.first.click()
    page.wait_for_url(re.compile(r"/svar\?"))


def test_keyboard_only(page, server):
    base, _ = server
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#innehall$"))
    page.wait_for_timeout(300)  # the fragment navigation replaces the evaluation context once
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "fraga":
            break
    assert page.evaluate("document.activeElement.id") == "fraga"
    page.keyboard.type("vem kallar till SIP")
    page.keyboard.press("Escape")  # closes the suggestion list, as a keyboard user would
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "kommun"
    page.keyboard.type("Timr")  # select typeahead; Playwright types å as inserted text, not a key
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "datum"
    for _ in range(4):  # Chromium's date field has a stop per part (day, month, year)
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/svar\?"))
    page.locator("#svarsrubrik").wait_for()
    assert page.evaluate("document.activeElement.id") == "svarsrubrik"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_page_works_without_javascript(browser, server):
    base, _ = server
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    ask(page, base, "vem tar emot orosanmälan")
    assert page.locator("article.duty").count() >= 1
    context.close()


def test_the_page_loads_nothing_from_other_hosts(page, server):
    base, _ = server
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    ask(page, base, "vem kallar till SIP")
    assert hosts == {base.split("/")[2]}


def test_personnummer_is_refused_and_never_logged(page, server):
    base, log = server
    # The session's server is shared with other files (schemathesis among them): the refusal
    # looked for is the one logged after this request was sent, not an earlier one.
    before = len(log.read_text(errors="replace"))
    submit(page, base, "Vem kallar till SIP för Kalle 121212-1212?")
    page.get_by_role("alert").wait_for()
    assert "personnummer" in page.get_by_role("alert").inner_text()
    assert "121212" not in page.content()
    text = log.read_text(errors="replace")
    assert "POST /fraga 422" in text[before:]
    assert "121212" not in text and "Kalle" not in text and "SIP för" not in text
