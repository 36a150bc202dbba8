"""An answer for a date holds only what was known and in force on that date, and pages
say which way a provision's succession runs. Expectations come from the data's own dates
(read from the graph), never from the code."""

import re

import pytest
import rdflib
from fastapi.testclient import TestClient

from ansvarsgraf.web.app import create_app
from ansvarsgraf.web.pages import href

SUCCESSIONS = """
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?ny ?gammal WHERE { ?ny dcterms:replaces ?gammal }"""


@pytest.fixture(scope="module")
def client(store):
    return TestClient(create_app(store))


def _direction_of_links(page: str) -> dict[str, str]:
    """On a provision page: linked provision → the word its item starts with."""
    return {link: word for word, link in re.findall(r"<li>(Tidigare|Senare): <a href=\"([^\"]+)\"", page)}


def test_every_provision_page_lists_its_predecessors_as_earlier(store, client):
    pairs = [(str(r["ny"]), str(r["gammal"])) for r in store.select(SUCCESSIONS)]
    successors = [p for p in pairs if "#" in p[0] and "#" in p[1]]  # sections, not whole acts
    assert len(successors) > 100  # the SoL comparison table alone has some 270 rows
    pages: dict[str, dict[str, str]] = {}
    for new, old in successors:
        for page, other, word in ((new, old, "Tidigare"), (old, new, "Senare")):
            if page not in pages:
                response = client.get(href(page))
                assert response.status_code == 200, page
                pages[page] = _direction_of_links(response.text)
            assert pages[page].get(href(other)) == word, (page, other)
