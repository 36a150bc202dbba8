"""A question that fits several unrelated tasks about equally well is not answered as one
of them: the user is asked "Menade du …" with the candidates, and no duties are shown.

The questions below are genuinely ambiguous (following up a SIP, a placement or a report
are different duties with different bearers); answering one of them outright would give
a confident answer to a question that was not asked.
"""

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from ansvarsgraf.answering import answer_question

ID = "https://w3id.org/ansvarsgraf/id/"
SPRING_2026 = dt.date(2026, 3, 1)

# question → tasks that must all be among the candidates
AMBIGUOUS = {
    "vem följer upp": {"folja-upp-sip", "folja-upp-samverkan"},
    "vem ska följa upp": {"folja-upp-sip", "folja-upp-samverkan"},
    "anmälan": {"anmala-oro"},
    "vem ska ta initiativ": {"kalla-till-sip", "ta-initiativ-till-samverkan"},
}

# Questions close to those that name one task clearly: they must be answered.
CLEAR = {
    "vem följer upp placeringen": "folja-upp-placering",
    "vem tar emot orosanmälan": "ta-emot-anmalan",
    "vem tar initiativ till samverkan kring barn som far illa": "ta-initiativ-till-samverkan",
}


@pytest.mark.parametrize("question", sorted(AMBIGUOUS))
def test_ambiguous_question_offers_candidates_instead_of_an_answer(store, question):
    answer = answer_question(store, question, "Timrå", SPRING_2026)
    assert answer.status == "tvetydig", (answer.status, [t["iri"] for t in answer.tasks])
    assert not answer.duties and "Menade du" in answer.message
    offered = {c["iri"].removeprefix(ID) for c in answer.candidates}
    assert AMBIGUOUS[question] <= offered, offered


@pytest.mark.parametrize("question", sorted(CLEAR))
def test_clear_question_is_answered(store, question):
    answer = answer_question(store, question, "Timrå", SPRING_2026)
    assert answer.status != "tvetydig" and answer.tasks[0]["iri"] == ID + CLEAR[question]


def test_the_api_and_the_page_ask_back(store):
    from ansvarsgraf.web.app import create_app

    client = TestClient(create_app(store))
    body = client.post("/api/ask", json={"fraga": "vem följer upp", "kommun": "Timrå", "datum": "2026-03-01"}).json()
    assert body["status"] == "tvetydig" and not body["duties"]
    assert {ID + "folja-upp-sip", ID + "folja-upp-samverkan"} <= {c["iri"] for c in body["candidates"]}
    page = client.post("/fraga", data={"fraga": "vem följer upp", "kommun": "Timrå", "datum": "2026-03-01"})
    assert page.status_code == 200 and "Menade du" in page.text
