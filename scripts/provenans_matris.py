"""Measures which per-statement provenance mechanism works on this project's stack
(docs/provenans.md): RDF 1.2 triple terms (and the older RDF-star syntax), rdf:Statement
reification and qualified n-ary statement nodes, through pyoxigraph (embedded), rdflib
(parse, export as Turtle/JSON-LD/TriG), pySHACL, pyshacl-turbo, the Oxigraph server and
Virtuoso 7. Every cell is a real call; an exception is recorded as its first line.

Run from the repository root: PYTHONPATH=src:tests python scripts/provenans_matris.py
(starts both servers on 127.0.0.1 in a temporary folder and stops them afterwards).
"""

import io
import json
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import rdflib

PREFIXES = """@prefix ag: <https://w3id.org/ansvarsgraf/def#> .
@prefix id: <https://w3id.org/ansvarsgraf/id/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
SPARQL_PREFIXES = "".join(f"PREFIX {line.split()[1]} {line.split()[2]}\n" for line in PREFIXES.splitlines())
QUOTE = "Det finns även två utsedda SKIP-samordnare anställda på skolan samt socialförvaltningen"

# The same fact in each mechanism: timra-skip-samordnare-stod has bearer X, said by section
# 3.2 of the Timrå audit with a quote; its modality `ska` is the modeller's conclusion.
DATA = {
    "RDF 1.2 triple terms (reifier + annotation)": PREFIXES + f"""
id:timra-skip-samordnare-stod ag:bearer id:timra-skip-samordnare-skolan ~ id:stod-1 {{|
    prov:wasDerivedFrom id:kalla-timra-2020-s3.2 ; ag:quote "{QUOTE}"@sv ; ag:supportKind ag:source |}} .
id:timra-skip-samordnare-stod ag:modality ag:ska ~ id:stod-2 {{|
    ag:supportKind ag:conclusion ; ag:reason "Källan beskriver en utsedd funktion i indikativ form."@sv |}} .
""",
    "RDF-star (CG, << s p o >> as subject)": PREFIXES + f"""
<< id:timra-skip-samordnare-stod ag:bearer id:timra-skip-samordnare-skolan >>
    prov:wasDerivedFrom id:kalla-timra-2020-s3.2 ; ag:quote "{QUOTE}"@sv ; ag:supportKind ag:source .
""",
    "rdf:Statement (RDF reification)": PREFIXES + f"""
id:timra-skip-samordnare-stod ag:bearer id:timra-skip-samordnare-skolan .
id:stod-1 a rdf:Statement ; rdf:subject id:timra-skip-samordnare-stod ; rdf:predicate ag:bearer ;
    rdf:object id:timra-skip-samordnare-skolan ;
    prov:wasDerivedFrom id:kalla-timra-2020-s3.2 ; ag:quote "{QUOTE}"@sv ; ag:supportKind ag:source .
id:timra-skip-samordnare-stod ag:modality ag:ska .
id:stod-2 a rdf:Statement ; rdf:subject id:timra-skip-samordnare-stod ; rdf:predicate ag:modality ;
    rdf:object ag:ska ; ag:supportKind ag:conclusion ; ag:reason "Källan beskriver en utsedd funktion i indikativ form."@sv .
""",
    "n-ary ag:Statement (ORG/PROV-O-style qualified node)": PREFIXES + f"""
id:timra-skip-samordnare-stod ag:bearer id:timra-skip-samordnare-skolan ;
    ag:statement id:stod-1 , id:stod-2 .
id:stod-1 a ag:Statement ; ag:subject id:timra-skip-samordnare-stod ; ag:property ag:bearer ;
    ag:value id:timra-skip-samordnare-skolan ;
    prov:wasDerivedFrom id:kalla-timra-2020-s3.2 ; ag:quote "{QUOTE}"@sv ; ag:supportKind ag:source .
id:timra-skip-samordnare-stod ag:modality ag:ska .
id:stod-2 a ag:Statement ; ag:subject id:timra-skip-samordnare-stod ; ag:property ag:modality ;
    ag:value ag:ska ; ag:supportKind ag:conclusion ; ag:reason "Källan beskriver en utsedd funktion i indikativ form."@sv .
""",
}

# "Which bearer does the source say, with which quote?" in each mechanism.
QUERIES = {
    "RDF 1.2 triple terms (reifier + annotation)": """SELECT ?b ?q WHERE {
  id:timra-skip-samordnare-stod ag:bearer ?b {| ag:quote ?q |} }""",
    "RDF-star (CG, << s p o >> as subject)": """SELECT ?b ?q WHERE {
  << id:timra-skip-samordnare-stod ag:bearer ?b >> ag:quote ?q }""",
    "rdf:Statement (RDF reification)": """SELECT ?b ?q WHERE {
  ?st rdf:subject id:timra-skip-samordnare-stod ; rdf:predicate ag:bearer ; rdf:object ?b ; ag:quote ?q .
  id:timra-skip-samordnare-stod ag:bearer ?b }""",
    "n-ary ag:Statement (ORG/PROV-O-style qualified node)": """SELECT ?b ?q WHERE {
  id:timra-skip-samordnare-stod ag:statement ?st .
  ?st ag:property ag:bearer ; ag:value ?b ; ag:quote ?q }""",
}

# A SHACL shape every mechanism should satisfy: a supported statement of kind "source" has a
# quote. The data below has none for a second bearer, so a conforming engine must object.
SHAPES = PREFIXES + """@prefix sh: <http://www.w3.org/ns/shacl#> .
<urn:s:SourceNeedsQuote> a sh:NodeShape ;
    sh:targetSubjectsOf ag:supportKind ;
    sh:sparql [ sh:select \"\"\"PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
        SELECT $this WHERE { $this ag:supportKind ag:source . FILTER NOT EXISTS { $this ag:quote ?q } }\"\"\" ;
        sh:message "stöd ur källan utan citat" ] .
"""
UNQUOTED = {
    "RDF 1.2 triple terms (reifier + annotation)":
        "id:timra-skip-samordnare-stod ag:bearer id:x ~ id:stod-3 {| ag:supportKind ag:source |} .",
    "RDF-star (CG, << s p o >> as subject)":
        "<< id:timra-skip-samordnare-stod ag:bearer id:x >> ag:supportKind ag:source .",
    "rdf:Statement (RDF reification)":
        "id:stod-3 a rdf:Statement ; rdf:subject id:timra-skip-samordnare-stod ; rdf:predicate ag:bearer ; rdf:object id:x ; ag:supportKind ag:source .",
    "n-ary ag:Statement (ORG/PROV-O-style qualified node)":
        "id:stod-3 a ag:Statement ; ag:subject id:timra-skip-samordnare-stod ; ag:property ag:bearer ; ag:value id:x ; ag:supportKind ag:source .",
}


def first_line(exc: Exception) -> str:
    return f"NEJ: {type(exc).__name__}: {str(exc).splitlines()[0][:110] if str(exc) else ''}"


def rows_of(results) -> int:
    return len(list(results))


def cell(fn):
    try:
        return fn()
    except Exception as exc:  # every failure is a finding here
        return first_line(exc)


def embedded(turtle: str, query: str) -> dict:
    out = {}
    store = ox.Store()
    out["pyoxigraph: läsa Turtle"] = cell(lambda: (store.load(turtle, format=ox.RdfFormat.TURTLE), f"ja ({len(store)} kvader)")[1])
    out["pyoxigraph: SPARQL"] = cell(lambda: f"ja ({rows_of(store.query(SPARQL_PREFIXES + query))} rader)")

    def round_trip(fmt):
        text = ox.serialize(store, format=fmt)
        again = ox.Store()
        again.load(text, format=fmt)
        return f"ja ({len(again)} = {len(store)})" if len(again) == len(store) else f"NEJ ({len(again)} ≠ {len(store)})"

    for fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD):
        out[f"pyoxigraph: skriva+läsa {fmt.name}"] = cell(lambda fmt=fmt: round_trip(fmt))
    return out


def with_rdflib(turtle: str) -> dict:
    out = {}
    graph = rdflib.Graph()
    parsed = cell(lambda: (graph.parse(data=turtle, format="turtle"), f"ja ({len(graph)} tripler)")[1])
    out["rdflib: läsa Turtle"] = parsed
    if parsed.startswith("NEJ"):
        # The loader's path: could rdflib take the graph from Oxigraph's N-Triples instead?
        store = ox.Store()
        try:
            store.load(turtle, format=ox.RdfFormat.TURTLE)
            nt = ox.serialize(store, format=ox.RdfFormat.N_QUADS).decode()
            out["rdflib: läsa Oxigraphs N-Quads"] = cell(lambda: (rdflib.Dataset().parse(data=nt, format="nquads"), "ja")[1])
        except Exception as exc:
            out["rdflib: läsa Oxigraphs N-Quads"] = first_line(exc)
        for fmt in ("turtle", "json-ld", "trig"):
            out[f"rdflib: export {fmt}"] = "NEJ (inget att exportera)"
        return out
    for fmt, reader in (("turtle", "turtle"), ("json-ld", "json-ld"), ("trig", "trig")):
        def trip(fmt=fmt, reader=reader):
            text = (rdflib.Dataset() if fmt == "trig" else graph).serialize(format=fmt) if fmt != "trig" else \
                _as_dataset(graph).serialize(format="trig")
            again = rdflib.Dataset() if fmt == "trig" else rdflib.Graph()
            again.parse(data=text, format=reader)
            n = len(list(again.quads())) if fmt == "trig" else len(again)
            return f"ja ({n} = {len(graph)})" if n == len(graph) else f"NEJ ({n} ≠ {len(graph)})"
        out[f"rdflib: export {fmt}"] = cell(trip)
    return out


def _as_dataset(graph: rdflib.Graph) -> rdflib.Dataset:
    ds = rdflib.Dataset()
    named = ds.graph(rdflib.URIRef("https://w3id.org/ansvarsgraf/graph/test"))
    named += graph
    return ds


def shacl(turtle: str, unquoted: str) -> dict:
    import pyshacl

    out = {}
    data = turtle + "\n" + unquoted + "\n"

    def run_pyshacl():
        graph = rdflib.Graph().parse(data=data, format="turtle")
        conforms, _report, _text = pyshacl.validate(graph, shacl_graph=rdflib.Graph().parse(data=SHAPES, format="turtle"),
                                                   advanced=True)
        return "ja (saknat citat hittat)" if not conforms else "NEJ (saknat citat inte hittat)"

    def run_turbo():
        import pyshacl_turbo
        from pyshacl_turbo.rdf import Input

        store = ox.Store()
        store.load(data, format=ox.RdfFormat.TURTLE)
        nt = ox.serialize(store, format=ox.RdfFormat.N_TRIPLES).decode()
        shapes = rdflib.Graph().parse(data=SHAPES, format="turtle")
        program = pyshacl_turbo.compile_shapes(shapes, advanced=True)
        conforms, _report, _text = program.validate(Input(nt, "nt", None, {}, preserve_ids=True))
        return "ja (saknat citat hittat)" if not conforms else "NEJ (saknat citat inte hittat)"

    out["pySHACL"] = cell(run_pyshacl)
    out["pyshacl-turbo"] = cell(run_turbo)
    return out


def remote(endpoints: dict, name: str, turtle: str, query: str, virtuoso: bool) -> dict:
    """Load by the Graph Store protocol / SPARQL Update as `ansvarsgraf load` does, then query."""
    out = {}
    graph = f"urn:test:{abs(hash(name))}"
    store = ox.Store()
    try:
        store.load(turtle, format=ox.RdfFormat.TURTLE)
        nt = ox.serialize(store, format=ox.RdfFormat.N_TRIPLES).decode()
    except Exception as exc:
        return {"laddning": first_line(exc), "SPARQL": "–"}
    try:
        if virtuoso:
            _virtuoso_put(endpoints, graph, nt)
        else:
            _post(endpoints["update"], f"INSERT DATA {{ GRAPH <{graph}> {{ {nt} }} }}", "application/sparql-update")
        out["laddning"] = "ja"
    except Exception as exc:
        out["laddning"] = first_line(exc)
    try:  # even when loading failed: does the server's SPARQL parser take the syntax?
        # This mechanism's graph only (the Oxigraph server runs with the union default graph,
        # which FROM does not narrow).
        start = query.index("{")
        scoped = query[:start] + f"{{ GRAPH <{graph}> {{" + query[start + 1:query.rindex("}")] + "} }"
        url = endpoints["query"] + "?" + urllib.parse.urlencode({"query": SPARQL_PREFIXES + scoped})
        req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        body = json.loads(urllib.request.urlopen(req, timeout=30).read())
        n = len(body['results']['bindings'])
        out["SPARQL"] = f"ja ({n} rader)" if n else "NEJ (frågan tolkas, 0 rader)"
    except urllib.error.HTTPError as exc:
        out["SPARQL"] = f"NEJ: HTTP {exc.code}: {exc.read()[:110]!r}"
    except Exception as exc:
        out["SPARQL"] = first_line(exc)
    return out


def _post(url: str, body: str, content_type: str) -> None:
    req = urllib.request.Request(url, data=body.encode("utf-8"), headers={"Content-Type": content_type}, method="POST")
    try:
        urllib.request.urlopen(req, timeout=30).read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"HTTP {exc.code}: {exc.read()[:110]!r}") from None


def _virtuoso_put(endpoints: dict, graph: str, nt: str) -> None:
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, endpoints["graph_store"], "dba", "dba")
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager))
    url = endpoints["graph_store"] + "?" + urllib.parse.urlencode({"graph": graph})
    req = urllib.request.Request(url, data=nt.encode("utf-8"), headers={"Content-Type": "application/n-triples"}, method="PUT")
    try:
        opener.open(req, timeout=60).read()
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        detail = next((line.strip() for line in body.splitlines() if "rror" in line and "<title>" not in line), body[:110])
        raise RuntimeError(f"HTTP {exc.code}: {detail[:150]}") from None


def main() -> int:
    from sparql_servers import oxigraph_server, virtuoso_server

    results = {}
    for name, turtle in DATA.items():
        row = {}
        row.update(embedded(turtle, QUERIES[name]))
        row.update(with_rdflib(turtle))
        row.update(shacl(turtle, PREFIXES + UNQUOTED[name]))
        results[name] = row
    with tempfile.TemporaryDirectory() as work:
        with oxigraph_server(Path(work)) as endpoints:
            for name, turtle in DATA.items():
                for key, value in remote(endpoints, name, turtle, QUERIES[name], virtuoso=False).items():
                    results[name][f"Oxigraph-server: {key}"] = value
        with virtuoso_server(Path(work)) as endpoints:
            for name, turtle in DATA.items():
                for key, value in remote(endpoints, name, turtle, QUERIES[name], virtuoso=True).items():
                    results[name][f"Virtuoso: {key}"] = value
    json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
