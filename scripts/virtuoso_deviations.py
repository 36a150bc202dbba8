"""Minimal reproductions of where Virtuoso Open Source 7.2.5 (Debian 12) answers SPARQL
differently from the specification and from Oxigraph.

Starts Virtuoso on 127.0.0.1 (scripts/virtuoso.sh unpacks it) and runs each case there and on
pyoxigraph with the same triples: first CASES on the few triples in DATA, then DATA_CASES on
the project's data/ (some errors only come with Virtuoso's plan for more data), and prints
whether they agree. docs/drift.md says how ansvarsgraf works around each one. Run again with
a newer Virtuoso to see which still hold:

    python scripts/virtuoso_deviations.py
"""

import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib
from SPARQLWrapper import JSON, POST, SPARQLWrapper

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from sparql_servers import publisher, virtuoso_server  # noqa: E402

GRAPH = "urn:avvikelser"
DATA = """
@prefix org: <http://www.w3.org/ns/org#> .
@prefix ag: <https://w3id.org/ansvarsgraf/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<urn:enhet> org:subOrganizationOf <urn:namnd> ; skos:prefLabel "Mottagningsenheten"@sv .
<urn:namnd> org:subOrganizationOf <urn:kommun> ; skos:prefLabel "Socialnämnden i Höörs kommun"@sv .
<urn:dok> ag:party <urn:kommun> ; ag:status ag:gallande ; ag:revisionInterval "P1Y"^^xsd:duration .
<urn:atagande1> ag:task <urn:uppgift> ; ag:establishedBy <urn:dok> .
<urn:atagande2> ag:task <urn:smalare-uppgift> .
<urn:smalare-uppgift> skos:broader <urn:uppgift> .
<urn:iakttagelse1> ag:concerns <urn:atagande1> .
<urn:iakttagelse2> ag:concerns <urn:atagande2> .
<urn:forum> ag:convenor <urn:enhet> .
<urn:rutin> ag:revisionInterval "P14D"^^xsd:duration ; ag:qualifiedStatus <urn:post1> , <urn:post2> .
<urn:post1> ag:status ag:under_framtagande ; ag:statusFromYear "2019"^^xsd:gYear .
<urn:post2> ag:status ag:gallande ; ag:statusFrom "2020-01-15"^^xsd:date .
<urn:utkast> ag:revisionInterval "P1Y"^^xsd:duration ; ag:status ag:under_framtagande .
"""
P = """PREFIX org: <http://www.w3.org/ns/org#> PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
DATE = '"2026-03-01"^^xsd:date'

# (what it shows, query); each query reads only the triples above.
CASES = [
    ("VALUES binds the start of a transitive path",
     "SELECT ?x WHERE { VALUES ?k { <urn:enhet> } ?k org:subOrganizationOf+ ?x }"),
    ("VALUES with two rows binds the end of a transitive path",
     "SELECT ?k ?x WHERE { VALUES ?k { <urn:kommun> <urn:namnd> } ?x org:subOrganizationOf+ ?k }"),
    ("a UNION nested after a zero-or-one path, inside a UNION",
     """SELECT ?f WHERE { ?i ag:concerns ?f .
       { ?f a <urn:Ingenting> } UNION { ?f ag:establishedBy? ?d . { ?d ag:party <urn:kommun> } UNION { ?d ag:party/org:hasMember <urn:kommun> } } }"""),
    ("a union of BIND-only branches",
     "SELECT ?k ?x WHERE { { BIND(<urn:kommun> AS ?k) } UNION { BIND(<urn:namnd> AS ?k) } ?x org:subOrganizationOf+ ?k }"),
    ("BIND(EXISTS …) gives a boolean",
     "SELECT ?x ?har WHERE { ?x org:subOrganizationOf <urn:namnd> . BIND(EXISTS { ?x skos:prefLabel ?n } AS ?har) }"),
    ("CONCAT of a data value and a non-ASCII string from the query",
     'SELECT ?t WHERE { <urn:namnd> skos:prefLabel ?n . BIND(CONCAT(?n, " – ä") AS ?t) }'),
    ("… and with the string typed as xsd:string (how ansvarsgraf sends it)",
     'SELECT ?t WHERE { <urn:namnd> skos:prefLabel ?n . BIND(CONCAT(?n, " – ä"^^xsd:string) AS ?t) }'),
    ("a variable bound by BIND first (as the remote store sends a parameter), left out of SELECT, and an OPTIONAL",
     "SELECT ?atagande ?u WHERE { BIND(<urn:dok> AS ?d) ?atagande ag:establishedBy ?d OPTIONAL { ?atagande ag:task ?u } }"),
    ("… and with the bound variable selected (how ansvarsgraf writes such a query)",
     "SELECT ?d ?atagande ?u WHERE { BIND(<urn:dok> AS ?d) ?atagande ag:establishedBy ?d OPTIONAL { ?atagande ag:task ?u } }"),
    ("an xsd:duration keeps its value",
     "SELECT ?v (STR(?v) AS ?s) WHERE { <urn:dok> ag:revisionInterval ?v }"),
    ("STR of a duration in days (RevisionOverdueShape)",
     "SELECT (STR(?v) AS ?s) WHERE { <urn:rutin> ag:revisionInterval ?v }"),
    ("BIND(?outer AS ?x) inside NOT EXISTS keeps the outer value (RevisionOverdueShape's date)",
     f"SELECT ?d WHERE {{ BIND({DATE} AS ?idag) ?d ag:qualifiedStatus ?p .\n"
     "       FILTER NOT EXISTS { BIND(?idag AS ?datum) ?d ag:qualifiedStatus ?e . ?e ag:statusFromYear ?s .\n"
     "                           FILTER(STR(?s) <= SUBSTR(STR(?datum), 1, 4)) } }"),
    ("!BOUND(?x) || STRLEN(?x) … with ?x unbound (RevisionOverdueShape, status_från)",
     f"SELECT ?d WHERE {{ BIND({DATE} AS ?idag) ?d ag:revisionInterval ?i OPTIONAL {{ ?d ag:statusFrom ?s }}\n"
     "       FILTER NOT EXISTS { ?d ag:status ag:under_framtagande . FILTER(!BOUND(?s) || STR(?s) <= SUBSTR(STR(?idag), 1, STRLEN(STR(?s)))) } }"),
    ("GROUP_CONCAT keeps a common language tag",
     "SELECT (GROUP_CONCAT(?n; separator=\"|\") AS ?alla) WHERE { ?x org:subOrganizationOf ?y ; skos:prefLabel ?n }"),
]

# Cases that need the project's data/ (Virtuoso's plan, and with it the error, depends on
# how much data there is); run on the union of all graphs, as ansvarsgraf runs them.
ID = "https://w3id.org/ansvarsgraf/id/"
DUTY_IN_FORCE = """?atagande ag:task ?task . ?task skos:broader* <{uppgift}> .
       FILTER NOT EXISTS {{ ?atagande ag:validFrom ?f . FILTER(?f > ?datum) }}
       OPTIONAL {{ ?atagande ag:establishedBy ?dokument }}
       FILTER(!BOUND(?dokument) || (EXISTS {{ ?dokument ag:party ?kommun }}
              && NOT EXISTS {{ ?dokument ag:validFrom ?df . FILTER(?df > ?datum) }}
              && NOT EXISTS {{ ?dokument ag:status ag:under_framtagande }}))"""
DATA_CASES = [
    ("two one-row VALUES, a path, OPTIONAL and three EXISTS tests (queries/ansvar-for-uppgift.rq)",
     f"SELECT ?atagande ?dokument WHERE {{ VALUES ?kommun {{ <{ID}timra-kommun> }} VALUES ?datum {{ {DATE} }}\n"
     + DUTY_IN_FORCE.format(uppgift=ID + "ta-emot-anmalan") + " }"),
    ("… the same with BIND (how ansvarsgraf binds a single value)",
     f"SELECT ?atagande ?dokument WHERE {{ BIND(<{ID}timra-kommun> AS ?kommun) BIND({DATE} AS ?datum)\n"
     + DUTY_IN_FORCE.format(uppgift=ID + "ta-emot-anmalan") + " }"),
    ("a zero-or-one step before a zero-or-more path (queries/forum-per-kommun.rq)",
     "SELECT DISTINCT ?forum ?kommun WHERE { ?forum a ag:Forum ; (ag:establishedBy/ag:party|ag:convenor)/(org:postIn)?/"
     "(org:hasMember|org:subOrganizationOf)* ?kommun . ?kommun a ag:Municipality }"),
    ("a UNION of three ways of being a party after skos:broader* (lagstadgad-uppgift-utan-lokal-barare.rq)",
     f"""SELECT DISTINCT ?fokus WHERE {{ BIND(<{ID}perstorp-kommun> AS ?kommun)
       ?lokal ag:establishedBy ?dok ; ag:task ?lokaluppgift . ?lokaluppgift skos:broader* ?fokus .
       {{ ?dok ag:party ?kommun }} UNION {{ ?dok ag:party/org:hasMember ?kommun }} UNION {{ ?dok ag:party/org:subOrganizationOf+ ?kommun }} }}"""),
    ("IF(!BOUND(…)) after two OPTIONALs, with a UNION in the group (forum-ofullstandigt.rq)",
     f"""SELECT DISTINCT ?fokus ?saknas WHERE {{ BIND(<{ID}perstorp-kommun> AS ?kommun) ?fokus a ag:Forum .
       ?fokus ag:establishedBy ?dok . {{ ?dok ag:party ?kommun }} UNION {{ ?dok ag:party/org:subOrganizationOf+ ?kommun }}
       OPTIONAL {{ ?fokus ag:convenor ?c }} OPTIONAL {{ ?fokus ag:hasParticipant ?p }}
       BIND(CONCAT(IF(!BOUND(?c), "sammankallande ", ""), IF(!BOUND(?p), "deltagare", "")) AS ?saknas) }}"""),
    ("a class path joined with an OPTIONAL that filters on lang() (SHACL target in gaps.py)",
     'SELECT ?this ?namn WHERE { { ?this a/rdfs:subClassOf* ag:Recommendation } ?this ag:addressedTo ?a . '
     'OPTIONAL { ?a skos:prefLabel ?namn . FILTER(lang(?namn) = "sv") } }'),
    ("ORDER BY on names that differ after some 20 characters (queries/lista-aktorer.rq)",
     'SELECT ?nod ?namn WHERE { ?nod a ?t ; skos:prefLabel ?namn . FILTER(lang(?namn) = "sv") '
     'FILTER(?t IN (ag:Board, ag:Administration)) } ORDER BY ?namn'),
    ("the default graph is the union of the data's graphs only",
     "SELECT ?s ?o WHERE { ?s rdfs:subClassOf ?o }"),
]


# gaps.DUTIES_PER_ACTOR as it was written until 2026-12-05 (queries/ataganden-per-aktor.rq):
# two UNIONs in one group with the OPTIONAL dates between them. Kept here to show whether
# Virtuoso still mis-plans that form; the query now computes the duties and actors in a
# sub-SELECT with DISTINCT and adds the dates outside it (docs/drift.md).
DUTIES_PER_ACTOR_BEFORE = """PREFIX org: <http://www.w3.org/ns/org#>
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
SELECT ?aktor ?atagande ?dok ?fran ?till WHERE {
  {
    { ?dok ag:party ?kommun } UNION { ?dok ag:party/org:hasMember ?kommun } UNION { ?dok ag:party/org:subOrganizationOf+ ?kommun }
    ?atagande ag:establishedBy ?dok ; a ag:Duty ; ag:bearer ?barare .
  } UNION {
    ?barare a ag:StatutoryRole .
    ?atagande ag:bearer ?barare ; a ag:Duty .
    FILTER NOT EXISTS { ?atagande ag:establishedBy ?annat }
  }
  OPTIONAL { ?atagande ag:validFrom|ag:validFromMonth|ag:validFromYear ?fran }
  OPTIONAL { ?atagande ag:validUntil|ag:validUntilMonth|ag:validUntilYear ?till }
  {
    ?barare (org:subOrganizationOf|org:postIn)* ?kommun .
    BIND(?barare AS ?aktor)
  } UNION {
    ?barare a ag:StatutoryRole .
    ?aktor ag:fulfils ?barare .
    ?aktor org:subOrganizationOf* ?kommun .
  }
}"""
MUNICIPALITIES = ("hoor-kommun", "leksand-kommun", "perstorp-kommun", "timra-kommun", "trelleborg-kommun")


def repeated_rows(embedded, url: str) -> None:
    """Duties per actor through the product's own stores (the remote store reads the
    published version's union graph), in every source municipality: the old form gave
    repeated rows on Virtuoso (Perstorp: 180 rows against Oxigraph's 87 on 2026-12-05, the
    same set), and after the few triples above had been loaded and dropped a different,
    smaller set (Perstorp 20 of 68, Timrå 41 of 45, Leksand 9 of 11); the current
    gaps.DUTIES_PER_ACTOR gives Oxigraph's rows, counted, in both cases."""
    from collections import Counter

    from ansvarsgraf.gaps import DUTIES_PER_ACTOR
    from ansvarsgraf.remote_store import SparqlEndpointStore

    remote = SparqlEndpointStore(url)
    for title, query in (("the form until 2026-12-05 (UNIONs with the OPTIONALs between them)", DUTIES_PER_ACTOR_BEFORE),
                         ("gaps.DUTIES_PER_ACTOR as it is (sub-SELECT DISTINCT, OPTIONALs outside)", DUTIES_PER_ACTOR)):
        found = []
        for kommun in MUNICIPALITIES:
            bindings = {"kommun": rdflib.URIRef(ID + kommun)}
            rows = lambda store: Counter(tuple(sorted((k, str(v)) for k, v in r.items())) for r in store.select(query, bindings))  # noqa: E731
            expected, got = rows(embedded), rows(remote)
            if got != expected:
                found.append(f"{kommun.removesuffix('-kommun')}: Oxigraph {sum(expected.values())} rader, Virtuoso "
                             f"{sum(got.values())} ({'samma mängd' if set(got) == set(expected) else 'OLIKA MÄNGDER'})")
        print(f"{'AVVIKER' if found else 'lika   '}  duties per actor through the stores, {title}")
        for line in found:
            print(f"         {line}")


def bind_chain(steps: int) -> str:
    """A chain of BINDs in which each step uses the one before twice, as date arithmetic
    does: Virtuoso 7.2.5 writes a BIND variable out in full at each use, so compiling it
    doubles with every step (the figure printed is the time it took)."""
    binds = " ".join(f"BIND(?v{i} + ?v{i} * 2 AS ?v{i + 1})" for i in range(steps))
    return f"SELECT ?v{steps} WHERE {{ BIND(1 AS ?v0) {binds} }}"


# Last, on a fresh server (with the few triples, then data/): the server may not survive it.
NESTED_NOT_EXISTS = ("a FILTER NOT EXISTS inside a FILTER NOT EXISTS (status on a date, RevisionOverdueShape)",
                     f"""SELECT ?d WHERE {{ BIND({DATE} AS ?idag) ?d ag:revisionInterval ?i .
       FILTER NOT EXISTS {{ ?d ag:qualifiedStatus ?e . ?e ag:status ag:under_framtagande ; ag:statusFromYear ?s .
                           FILTER NOT EXISTS {{ ?d ag:qualifiedStatus ?senare . ?senare ag:statusFrom|ag:statusFromMonth|ag:statusFromYear ?t .
                                               FILTER(STR(?t) <= SUBSTR(STR(?idag), 1, STRLEN(STR(?t))) && STR(?t) > STR(?s)) }} }} }}""")


def crash_cases() -> list[tuple[str, str]]:
    """Last, as the server may not survive the second: duties per actor bound with VALUES,
    the current gaps.DUTIES_PER_ACTOR first, then the form until 2026-12-05."""
    from ansvarsgraf.gaps import DUTIES_PER_ACTOR
    from ansvarsgraf.graph_store import bind

    values = {"kommun": rdflib.URIRef(ID + "hoor-kommun"), "datum": rdflib.Literal("2026-03-01", datatype=rdflib.XSD.date)}
    return [("two one-row VALUES and a sub-SELECT DISTINCT over UNIONs of paths (gaps.DUTIES_PER_ACTOR)",
             bind(DUTIES_PER_ACTOR, values)),
            ("two one-row VALUES, EXISTS over a UNION and a UNION of paths (the form until 2026-12-05)",
             bind(DUTIES_PER_ACTOR_BEFORE, values))]


def oxigraph_rows(run, query: str) -> list[tuple]:
    result = run(query)
    names = [v.value for v in result.variables]
    return [tuple(_text(s[n]) for n in names) for s in result]


def _text(term) -> str:
    if term is None:
        return "-"
    if isinstance(term, ox.Literal):
        suffix = f"@{term.language}" if term.language else ("" if term.datatype.value.endswith("#string") else f"^^{term.datatype.value.rsplit('#', 1)[-1]}")
        return f'"{term.value}"{suffix}'
    return term.value


def virtuoso_rows(url: str, query: str) -> list[tuple] | str:
    client = SPARQLWrapper(url)
    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setQuery(query)
    try:
        result = client.query().convert()
    except Exception as exc:  # the server's error is the finding
        text = str(exc)
        return "fel: " + text[max(text.find("Virtuoso"), 0):][:90].replace("\\n", " ")
    names = result["head"]["vars"]
    out = []
    for row in result["results"]["bindings"]:
        values = []
        for n in names:
            b = row.get(n)
            if b is None:
                values.append("-")
            elif b["type"] == "uri":
                values.append(b["value"])
            else:
                dt = b.get("datatype", "")
                suffix = f"@{b['xml:lang']}" if "xml:lang" in b else ("" if not dt or dt.endswith("#string") else f"^^{dt.rsplit('#', 1)[-1]}")
                values.append(f'"{b["value"]}"{suffix}')
        out.append(tuple(values))
    return out


def compare(title: str, query: str, run_locally, url: str, from_graph: str | None = None) -> None:
    expected = oxigraph_rows(run_locally, P + query)
    started = time.monotonic()
    got = virtuoso_rows(url, P + (query.replace("WHERE {", f"FROM <{from_graph}> WHERE {{", 1) if from_graph else query))
    took = time.monotonic() - started
    same = got == expected if "ORDER BY" in query or isinstance(got, str) else sorted(got) == sorted(expected)
    print(f"{'lika   ' if same else 'AVVIKER'}  {title}" + (f" ({took:.1f} s i Virtuoso)" if took >= 1 else ""))
    if not same:
        show = lambda rows: rows if isinstance(rows, str) else f"{len(rows)} rader {rows[:3]}{' …' if len(rows) > 3 else ''}"  # noqa: E731
        print(f"         Oxigraph: {show(expected)}\n         Virtuoso: {show(got)}")


def main() -> int:
    from ansvarsgraf.dataset import load_data
    from ansvarsgraf.embedded_store import OxigraphStore
    from sparql_servers import load_into

    small = ox.Store()
    small.load(DATA.encode(), format=ox.RdfFormat.TURTLE)
    with virtuoso_server(Path(tempfile.mkdtemp(prefix="virtuoso-avvikelser-"))) as endpoints:
        publisher(endpoints).replace_graph(GRAPH, rdflib.Graph().parse(data=DATA, format="turtle"))
        print(f"Några tripler (grafen <{GRAPH}>):")
        for title, query in [*CASES, *((f"a chain of {n} BINDs, each using the one before twice", bind_chain(n)) for n in (8, 16))]:
            compare(title, query, small.query, endpoints["query"], from_graph=GRAPH)
        publisher(endpoints).drop_graph(GRAPH)
        load_into(endpoints)
        embedded = OxigraphStore.from_loaded(load_data())
        print("\nHela data/ (unionen av graferna):")
        for title, query in DATA_CASES:
            compare(title, query, embedded.raw_query, endpoints["query"])
        repeated_rows(embedded, endpoints["query"])
        for title, query in crash_cases():
            compare(title, query, embedded.raw_query, endpoints["query"])
    with virtuoso_server(Path(tempfile.mkdtemp(prefix="virtuoso-avvikelser-"))) as endpoints:
        publisher(endpoints).replace_graph(GRAPH, rdflib.Graph().parse(data=DATA, format="turtle"))
        print(f"\nNågra tripler, en ny server (grafen <{GRAPH}>), sedan hela data/:")
        compare(*NESTED_NOT_EXISTS, small.query, endpoints["query"], from_graph=GRAPH)
        publisher(endpoints).drop_graph(GRAPH)
        load_into(endpoints)
        compare(*NESTED_NOT_EXISTS, embedded.raw_query, endpoints["query"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
