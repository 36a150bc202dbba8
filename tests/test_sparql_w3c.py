"""The applicable cases of the W3C SPARQL 1.1 Protocol test suite, against the real
`ansvarsgraf serve` on loopback. The cases are data (tests/data/w3c-protocol.yaml, taken from
w3c/rdf-tests), each run under its W3C test id; the file also lists the cases that do not
apply to a read-only endpoint, and why."""

import http.client
import io
import json
import urllib.parse
from pathlib import Path

import pytest
import rdflib
import yaml
from rdflib.query import Result


SUITE = yaml.safe_load((Path(__file__).parent / "data" / "w3c-protocol.yaml").read_text(encoding="utf-8"))
RESULT_PARSERS = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
                  "text/csv": "csv", "text/tab-separated-values": "tsv"}
RDF_PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
               "application/ld+json": "json-ld"}


@pytest.fixture(scope="module")
def base(served):
    # The session's `ansvarsgraf serve` (conftest.served): the protocol cases only read from it.
    return served[0]


def test_every_case_of_the_manifest_is_run_or_has_a_reason():
    ids = [c["id"] for c in SUITE["run"]] + [c["id"] for c in SUITE["not_applicable"]]
    assert len(ids) == len(set(ids)) == 34  # the manifest's entries
    assert len(SUITE["run"]) == 21 and all(c["reason"] for c in SUITE["not_applicable"])


@pytest.mark.parametrize("case", SUITE["run"], ids=[c["id"] for c in SUITE["run"]])
def test_w3c_protocol(base, case):
    host = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    body = case["body"].encode(case.get("encoding", "utf-8")) if "body" in case else None
    connection.request(case["method"], case["path"], body=body, headers=case.get("headers", {}))
    response = connection.getresponse()
    content = response.read()
    expect = case["expect"]
    if expect["status"] == "4xx":
        assert 400 <= response.status < 500, (response.status, content[:300])
        assert json.loads(content)["fel"]  # a message, in Swedish
        return
    assert 200 <= response.status < 400, (response.status, content[:300])
    media_type = response.getheader("content-type").split(";")[0]
    if expect.get("format") in ("boolean", "tabular"):
        result = Result.parse(io.BytesIO(content), format=RESULT_PARSERS[media_type])
        assert result.type == ("ASK" if expect["format"] == "boolean" else "SELECT")
        if "boolean" in expect:
            assert result.askAnswer is expect["boolean"]
    elif expect.get("format") == "RDF":
        rdflib.Graph().parse(data=content, format=RDF_PARSERS[media_type])
