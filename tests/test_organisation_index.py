"""What the organisation index says about scope on a small hand-made graph: cases the
bundled data does not contain (a recommendation addressed to a municipality itself), each
beside its counterpart that must come out the other way."""

import datetime as dt

import pyoxigraph as ox
import pytest

from ansvarsgraf.organisation_index import OrganisationIndex
from ansvarsgraf.embedded_store import OxigraphStore

GRAPH = """
@prefix ag: <https://w3id.org/ansvarsgraf/def#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix id: <https://w3id.org/ansvarsgraf/id/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .

id:a a ag:Municipality ; skos:prefLabel "A"@sv .
id:b a ag:Municipality ; skos:prefLabel "B"@sv .
id:a-soc a ag:Board ; org:subOrganizationOf id:a ; skos:prefLabel "Socialnämnden i A"@sv .
id:a-enhet a ag:Unit ; org:subOrganizationOf id:a-soc .
id:b-soc a ag:Board ; org:subOrganizationOf id:b ; skos:prefLabel "Socialnämnden i B"@sv .
id:a-post org:postIn id:a-enhet ; skos:prefLabel "Socialsekreterare"@sv .
# Two parents: the path takes the same one every time (the first by IRI).
id:delad org:subOrganizationOf id:b-soc, id:a-soc .
# A cycle in the data (SHACL reports it): the path stops instead of hanging.
id:x org:subOrganizationOf id:y . id:y org:subOrganizationOf id:x .
id:z org:subOrganizationOf id:x .
# A statutory role filled by A's board and by a unit of A's region.
id:a ag:region id:reg .
id:reg-enhet org:subOrganizationOf id:reg ; skos:prefLabel "Barnhälsovården"@sv ; ag:fulfils id:roll .
id:a-soc ag:fulfils id:roll .
# An association A is a member of, party to an agreement.
id:forbund org:hasMember id:a .
id:forbundsavtal ag:party id:forbund ; ag:validFrom "2020-01-01"^^xsd:date .

id:rek-till-a a ag:Recommendation ; ag:addressedTo id:a .
id:rek-till-a-enhet a ag:Recommendation ; ag:addressedTo id:a-enhet .
id:rek-till-b-namnd a ag:Recommendation ; ag:addressedTo id:b-soc .

# Documents A is party to (through its board), each with one way of giving its period.
id:avtal-2020 ag:party id:a-soc ; ag:validFrom "2020-01-01"^^xsd:date ; ag:validUntil "2020-12-31"^^xsd:date .
id:avtal-ar-2021 ag:party id:a-soc ; ag:validFromYear "2021"^^xsd:gYear ; ag:validUntilYear "2021"^^xsd:gYear .
id:avtal-ar-tz ag:party id:a ; ag:validFromYear "2022Z"^^xsd:gYear ; ag:validUntilYear "2022Z"^^xsd:gYear .
# Valid from 1 January but signed in February: not before it was signed.
id:avtal-signerat ag:party id:a ; ag:validFrom "2020-01-01"^^xsd:date ; dcterms:dateAccepted "2020-02-01"^^xsd:date .
id:avtal-utkast ag:party id:a ; ag:validFrom "2020-01-01"^^xsd:date ; ag:status ag:under_framtagande .
id:rutin-v1 ag:party id:a ; ag:validFrom "2020-01-01"^^xsd:date ; dcterms:isReplacedBy id:rutin-v2 .
id:rutin-v2 ag:party id:a ; dcterms:dateAccepted "2020-07-01"^^xsd:date .
id:rutin-v3 ag:party id:a ; ag:validFrom "2021-01-01"^^xsd:date ; dcterms:replaces id:rutin-v2 .
# No start date: known from the earliest source describing it; with an undated source, always.
id:odaterad ag:party id:a ; prov:wasDerivedFrom id:kalla-mars, id:kalla-maj .
id:kalla-mars dcterms:date "2020-03-01"^^xsd:date .
id:kalla-maj dcterms:date "2020-05-01"^^xsd:date .
id:odaterad-ar ag:party id:a ; prov:wasDerivedFrom id:kalla-ar .
id:kalla-ar ag:year "2020"^^xsd:gYear .
id:odaterad-kalla ag:party id:a ; prov:wasDerivedFrom id:kalla-mars, id:kalla-utan-datum .
"""
ID = "https://w3id.org/ansvarsgraf/id/"


# Built for each test (it takes milliseconds), so that the mutation run records every test as
# reaching the index's set-up, not only the first one to use a shared fixture.
@pytest.fixture
def index():
    store = ox.Store()
    store.load(GRAPH.encode(), format=ox.RdfFormat.TURTLE)
    return OrganisationIndex(OxigraphStore(store))


@pytest.mark.parametrize("recommendation,concerns_a,concerns_b", [
    ("rek-till-a", True, False),         # addressed to the municipality itself
    ("rek-till-a-enhet", True, False),   # to a unit under one of its boards
    ("rek-till-b-namnd", False, True),   # to another municipality's board
])
def test_a_recommendation_concerns_the_municipality_it_is_addressed_to_and_no_other(index, recommendation, concerns_a, concerns_b):
    assert index.concerns(ID + recommendation, ID + "a") is concerns_a
    assert index.concerns(ID + recommendation, ID + "b") is concerns_b


@pytest.mark.parametrize("document,day,applies", [
    # first and last day of a dated period, and the days just outside
    ("avtal-2020", "2019-12-31", False), ("avtal-2020", "2020-01-01", True),
    ("avtal-2020", "2020-12-31", True), ("avtal-2020", "2021-01-01", False),
    # a period given in years runs from 1 January to 31 December
    ("avtal-ar-2021", "2020-12-31", False), ("avtal-ar-2021", "2021-01-01", True),
    ("avtal-ar-2021", "2021-12-31", True), ("avtal-ar-2021", "2022-01-01", False),
    ("avtal-ar-tz", "2022-01-01", True), ("avtal-ar-tz", "2023-01-01", False),  # a year with time zone
    # not before it was signed, even when its validity starts earlier
    ("avtal-signerat", "2020-01-31", False), ("avtal-signerat", "2020-02-01", True),
    # a draft never applies
    ("avtal-utkast", "2020-06-01", False),
    # a replaced version ends the day its successor begins
    ("rutin-v1", "2020-06-30", True), ("rutin-v1", "2020-07-01", False),
    ("rutin-v2", "2020-06-30", False), ("rutin-v2", "2020-07-01", True),
    ("rutin-v2", "2020-12-31", True), ("rutin-v2", "2021-01-01", False), ("rutin-v3", "2021-01-01", True),
    # undated: from the day the earliest source describing it was written
    ("odaterad", "2020-02-29", False), ("odaterad", "2020-03-01", True),
    ("odaterad-ar", "2019-12-31", False), ("odaterad-ar", "2020-01-01", True),  # a source dated by year
    ("odaterad-kalla", "2019-01-01", True),
])
def test_a_document_applies_from_its_first_to_its_last_day(index, document, day, applies):
    on = dt.date.fromisoformat(day)
    assert index.applies(ID + document, ID + "a", on) is applies
    assert (ID + document in index.documents_in_force(ID + "a", on)) is applies


def test_a_document_applies_only_where_the_municipality_is_a_party(index):
    on = dt.date(2020, 6, 1)
    assert index.applies(ID + "avtal-2020", ID + "a", on)
    assert not index.applies(ID + "avtal-2020", ID + "b", on)
    assert ID + "avtal-2020" not in index.documents_in_force(ID + "b", on)
    assert not index.applies(ID + "finns-inte", ID + "a", on)


def test_versions_are_linked_both_ways_and_through_each_other(index):
    assert index.versions(ID + "rutin-v1") == {ID + "rutin-v2", ID + "rutin-v3"}
    assert index.versions(ID + "rutin-v2") == {ID + "rutin-v1", ID + "rutin-v3"}
    assert index.versions(ID + "rutin-v3") == {ID + "rutin-v1", ID + "rutin-v2"}
    assert index.versions(ID + "avtal-2020") == set()


def _within_seconds(function, *args, seconds=10):
    """The result, or a failure (not a hang) when the call does not return in time."""
    import threading

    result = []
    worker = threading.Thread(target=lambda: result.append(function(*args)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert result, f"{function.__name__}{args} returned nothing within {seconds} s"
    return result[0]


def test_the_path_goes_up_from_a_post_to_its_municipality_with_names(index):
    assert [(n.iri[len(ID):], n.label) for n in index.path(ID + "a-post")] == [
        ("a-enhet", "a-enhet"), ("a-soc", "Socialnämnden i A"), ("a", "A")]
    assert [n.iri for n in index.path(ID + "delad")] == [ID + "a-soc", ID + "a"]
    assert len(index.path(ID + "x")) == 1  # x -> y, then the cycle stops it
    assert [n.iri for n in _within_seconds(index.path, ID + "z")] == [ID + "x", ID + "y"]  # into a cycle
    assert index.path(ID + "a") == []


def test_below_follows_only_the_relations_asked_for(index):
    every = index.below(ID + "a")
    boards_and_units = index.below(ID + "a", ("del",))
    assert {ID + s for s in ("a", "a-soc", "a-enhet", "a-post", "delad")} == set(every)
    assert ID + "a-post" not in boards_and_units and ID + "a-enhet" in boards_and_units


def test_a_role_is_filled_by_the_municipalitys_own_organisation_or_its_regions(index):
    assert [n.label for n in index.fulfilled_by(ID + "roll", ID + "a")] == ["Barnhälsovården", "Socialnämnden i A"]
    assert index.fulfilled_by(ID + "roll", ID + "b") == []


def test_a_member_of_a_party_is_a_party(index):
    assert index.party_in(ID + "forbundsavtal", ID + "a")
    assert not index.party_in(ID + "forbundsavtal", ID + "b")
    assert ID + "forbundsavtal" in index.documents_with_party(ID + "a")
    assert index.applies(ID + "forbundsavtal", ID + "a", dt.date(2020, 1, 1))
