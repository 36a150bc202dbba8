"""Identity numbers are recognised in every form staff write them, and ordinary numbers
(dates, law references, organisation and phone numbers) are not mistaken for them."""

import pytest
from fastapi.testclient import TestClient

from ansvarsgraf.privacy import PersonalDataError, contains_identity_number, refuse_identity_numbers


REFUSED = [
    # personnummer, correct check digit: 10 and 12 digits, with -, + or nothing
    "121212-1212", "121212+1212", "1212121212", "20121212-1212", "19121212+1212", "201212121212",
    # samordningsnummer (day + 60), correct check digit
    "121272-1219", "121272+1219", "1212721219", "20121272-1219", "201212721219",
    # mistyped check digit, written as an identity number: still personal data
    "121212-1213", "19121272+1212", "201212121213", "121212 1213", "121212 - 1213",
]

PASSED = [
    "991399-1234",      # month 13: no birth date, wrong check digit (issue 20: this gave a 500)
    "1212121213",       # ten bare digits with a wrong check digit: not told apart from other numbers
    "0701234567",       # a phone number
    "212000-1355",      # an organisation number (month 20)
    "2026-03-01", "SFS 2001:453", "19 kap. 5 § SoL", "1700000000", "dnr 2024-1234", "kalla-timra-2020",
]


@pytest.mark.parametrize("number", REFUSED)
def test_identity_numbers_are_recognised_in_every_form(number):
    assert contains_identity_number(f"vem kallar till SIP för {number}?")
    with pytest.raises(PersonalDataError):
        refuse_identity_numbers(number)


@pytest.mark.parametrize("text", PASSED)
def test_other_numbers_pass(text):
    assert not contains_identity_number(f"vem kallar till SIP, {text}")
    refuse_identity_numbers(text)


def test_the_check_digit_decides_for_bare_ten_digits():
    """The library's check really runs: the same bare digits are refused with the right
    check digit and passed with a wrong one."""
    assert contains_identity_number("1212721219") and not contains_identity_number("1212721218")
    assert contains_identity_number("1901011237") and not contains_identity_number("1901011238")


@pytest.fixture(scope="module")
def client(store):
    from ansvarsgraf.web.app import create_app

    return TestClient(create_app(store))


def test_a_number_that_is_not_an_identity_number_is_answered_not_a_500(client):
    """Issue 20: 'vem kallar till SIP för 991399-1234' crashed /api/ask and /fraga."""
    question = "vem kallar till SIP för 991399-1234"
    response = client.post("/api/ask", json={"fraga": question, "kommun": "Timrå", "datum": "2026-03-01"})
    assert response.status_code == 200, response.text
    assert response.json()["tasks"][0]["iri"].endswith("kalla-till-sip")
    page = client.post("/fraga", data={"fraga": question, "kommun": "Timrå", "datum": "2026-03-01"}, follow_redirects=False)
    assert page.status_code == 303 and "uppgift=kalla-till-sip" in page.headers["location"]


@pytest.mark.parametrize("number", ["121212-1212", "1212721219", "201212121213"])
def test_an_identity_number_in_a_question_is_refused_without_echo(client, number):
    response = client.post("/api/ask", json={"fraga": f"vem kallar till SIP för {number}", "kommun": "Timrå"})
    assert response.status_code == 422 and "personnummer" in response.json()["fel"]
    page = client.post("/fraga", data={"fraga": f"vem kallar till SIP för {number}", "kommun": "Timrå"})
    assert page.status_code == 422 and "personnummer" in page.text
    for text in (response.text, page.text):
        assert number not in text and number.replace("-", "") not in text
