"""What the organisation index says about scope on a small hand-made graph: cases the
bundled data does not contain (a recommendation addressed to a municipality itself), each
beside its counterpart that must come out the other way."""

import pyoxigraph as ox
import pytest

from ansvarsgraf.organisation_index import OrganisationIndex
from ansvarsgraf.store import OxigraphStore

GRAPH = """
@prefix ag: <https://w3id.org/ansvarsgraf/def#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix id: <https://w3id.org/ansvarsgraf/id/> .

id:a a ag:Municipality ; skos:prefLabel "A"@sv .
id:b a ag:Municipality ; skos:prefLabel "B"@sv .
id:a-soc a ag:Board ; org:subOrganizationOf id:a ; skos:prefLabel "Socialnämnden i A"@sv .
id:a-enhet a ag:Unit ; org:subOrganizationOf id:a-soc .
id:b-soc a ag:Board ; org:subOrganizationOf id:b .

id:rek-till-a a ag:Recommendation ; ag:addressedTo id:a .
id:rek-till-a-enhet a ag:Recommendation ; ag:addressedTo id:a-enhet .
id:rek-till-b-namnd a ag:Recommendation ; ag:addressedTo id:b-soc .
"""
ID = "https://w3id.org/ansvarsgraf/id/"


@pytest.fixture(scope="module")
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
