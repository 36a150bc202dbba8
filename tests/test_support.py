"""Per-field support (`stöd:`) and dates with their precision, as the loader reads them
(issue 16, points 1, 2 and 4; docs/provenans.md).

A jurist writes a `stöd:` block; what they rely on: each field value gets its own
ag:Statement with a stable id and the plain triple stays; a quote in the block is checked
against its own section and a wrong one is reported at the quote's line; mistakes in the
block are located errors. A date written as a year or a month keeps that precision.
"""

import textwrap

import pytest
import rdflib
from rdflib.namespace import RDF, SKOS, XSD

from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.validation import quote_findings
from ansvarsgraf.yaml_source import read_yaml_file

AG = rdflib.Namespace("https://w3id.org/ansvarsgraf/def#")
ID = rdflib.Namespace("https://w3id.org/ansvarsgraf/id/")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")

QUOTE = "Det finns även två utsedda SKIP-samordnare anställda på skolan samt socialförvaltningen och fungerar som stöd i SKIP-processen."

RUTIN = """
    - id: test-rutin
      typ: Rutin
      namn: En rutin
      parter: [timra-kommun, timra-socialnamnden]
      giltig_från: 2019
      giltig_till: "2023-01"
      status: gällande
      observerad: 2020-10-13
      källa: kalla-timra-2020-s3.2
      stöd:
        parter:
          - värde: timra-kommun
            slutsats: "Två förvaltningar i samma kommun."
            källa: kalla-timra-2020-s3.2
            citat: "Socialtjänsten har tillsammans med skolan framarbetat en process"
          - värde: timra-socialnamnden
            källa: kalla-timra-2020-s3.2
            citat: "{quote}"
        giltig_från: &upprattad
          källa: kalla-timra-2020-s3.2
          citat: "SKIP:en upprättades under 2019"
          observerad: 2020-10
        status: *upprattad
        namn:
          - annan_källa: {{titel: "Timrå kommuns webbsida", url: "https://www.timra.se/", läst: 2026-11-20}}
          - lagrum: sfs:2001:453#K5P1a
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def load(path):
    return load_data(paths=[path], base_paths=[DATA_DIR])


def errors(path):
    """The reader's errors for one file (what `load_data` reports for it, without loading
    the rest of the data)."""
    return read_yaml_file(path, path.name).errors


def statements(graph, node, predicate):
    return {st: graph.value(st, RDF.object) for st in graph.subjects(RDF.predicate, predicate)
            if graph.value(st, RDF.subject) == node}


@pytest.fixture(scope="module")
def rutin(tmp_path_factory):
    """The routine loaded with the bundled data once for the module (2 s a load): its tests only
    read it, and the teardown checks that none changed the graph or the loaded files."""
    path = write(tmp_path_factory.mktemp("rutin"), "rutin.yaml", RUTIN.format(quote=QUOTE))
    loaded = load(path)
    graph = loaded.merged()
    sizes = (len(graph), {name: len(g) for name, g in loaded.files.items()})
    yield path, loaded, graph
    assert (len(graph), {name: len(g) for name, g in loaded.files.items()}) == sizes


def test_each_value_gets_its_own_statement_and_the_triple_stays(rutin):
    _path, _loaded, g = rutin
    node = ID["test-rutin"]
    parties = statements(g, node, AG.party)
    assert set(parties.values()) == {ID["timra-kommun"], ID["timra-socialnamnden"]}
    assert (node, AG.party, ID["timra-kommun"]) in g  # the plain triple, for every existing query
    by_value = {v: st for st, v in parties.items()}
    kommun, namnd = by_value[ID["timra-kommun"]], by_value[ID["timra-socialnamnden"]]
    assert kommun == ID["test-rutin--parter--timra-kommun"]  # stable: node, field, value
    assert g.value(kommun, AG.supportKind) == AG.conclusion  # a reason with a quote is a conclusion
    assert str(g.value(kommun, AG.reason)) == "Två förvaltningar i samma kommun."
    assert g.value(namnd, AG.supportKind) == AG.source
    assert str(g.value(namnd, AG.quote)) == QUOTE
    assert g.value(namnd, PROV.wasDerivedFrom) == ID["kalla-timra-2020-s3.2"]
    assert (node, AG.statement, namnd) in g and (namnd, RDF.type, AG.Statement) in g


def test_an_anchor_reuses_one_support_and_keeps_the_precision(rutin):
    _path, _loaded, g = rutin
    node = ID["test-rutin"]
    (start,) = statements(g, node, AG.validFromYear)
    (status,) = statements(g, node, AG.status)
    for st in (start, status):
        assert str(g.value(st, AG.quote)) == "SKIP:en upprättades under 2019"
        assert g.value(st, AG.observedOnMonth) == rdflib.Literal("2020-10", datatype=XSD.gYearMonth)
    assert g.value(start, RDF.object) == rdflib.Literal("2019", datatype=XSD.gYear)


def test_statute_and_named_source_supports(rutin):
    _path, _loaded, g = rutin
    kinds = {g.value(st, AG.supportKind): st for st in statements(g, ID["test-rutin"], rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    assert set(kinds) == {AG.statute, AG.namedSource}
    assert g.value(kinds[AG.statute], AG.statute) == rdflib.URIRef("https://lagen.nu/2001:453#K5P1a")
    named = kinds[AG.namedSource]
    assert g.value(named, AG.accessedOn) == rdflib.Literal("2026-11-20", datatype=XSD.date)
    source = g.value(named, PROV.wasDerivedFrom)
    assert str(g.value(source, rdflib.URIRef("http://purl.org/dc/terms/title"))) == "Timrå kommuns webbsida"
    assert str(g.value(source, AG.url)) == "https://www.timra.se/"


@pytest.mark.parametrize("field,kind,predicate,line", [
    (AG.party, AG.conclusion, AG.reason, 13),
    (AG.party, AG.conclusion, PROV.wasDerivedFrom, 14),
    (AG.party, AG.conclusion, AG.quote, 15),
    (AG.party, AG.source, AG.quote, 18),
    (SKOS.prefLabel, AG.namedSource, PROV.wasDerivedFrom, 25),  # annan_källa
    (SKOS.prefLabel, AG.statute, AG.statute, 26),
])
def test_each_key_of_a_support_is_located_at_its_own_line(rutin, field, kind, predicate, line):
    """A finding about a support's reason, section, quote or statute points the jurist to the
    line where that key is written (validation locates findings with the source map)."""
    path, loaded, g = rutin
    (st,) = [st for st in statements(g, ID["test-rutin"], field) if g.value(st, AG.supportKind) == kind]
    assert loaded.sourcemap.locate(str(st), str(predicate)) == (str(path), line)


def test_dates_keep_their_precision(rutin):
    _path, _loaded, g = rutin
    node = ID["test-rutin"]
    assert g.value(node, AG.validFromYear) == rdflib.Literal("2019", datatype=XSD.gYear)
    assert g.value(node, AG.validUntilMonth) == rdflib.Literal("2023-01", datatype=XSD.gYearMonth)
    assert g.value(node, AG.observedOn) == rdflib.Literal("2020-10-13", datatype=XSD.date)
    # no invented day: the xsd:date properties every query compares stay empty
    assert g.value(node, AG.validFrom) is None and g.value(node, AG.validUntil) is None


def test_quotes_in_a_support_block_are_checked_against_their_own_section(rutin):
    path, loaded, _g = rutin
    assert not [f for f in quote_findings(loaded, {f"{path}"} | set(loaded.files)) if f.severity == "FEL"
                and f.node.startswith("test-rutin")]


def test_a_changed_quote_in_a_support_block_is_an_error_at_its_line(tmp_path):
    changed = QUOTE.replace("två utsedda", "tre utsedda")
    path = write(tmp_path, "rutin.yaml", RUTIN.format(quote=changed))
    loaded = load(path)
    found = [f for f in quote_findings(loaded) if f.severity == "FEL" and f.node.startswith("test-rutin")]
    assert len(found) == 1, found
    assert found[0].node == "test-rutin--parter--timra-socialnamnden"
    assert found[0].line == 18  # the `citat:` line inside the block, not the node's line
    assert "två utsedda" in found[0].message  # the nearest passage of the section


@pytest.mark.parametrize("block,line,expected", [
    ("stöd:\n  namnn: {källa: kalla-timra-2020-s3.2, citat: x}", 6, "okänt fält 'namnn'"),
    ("stöd:\n  parter: {källa: kalla-timra-2020-s3.2, citat: x}", 6, "noden har inget 'parter'"),
    ("stöd:\n  namn: {citat: x}", 6, "inget slag"),
    ("stöd:\n  namn: {värde: Annat namn, slutsats: x}", 6, "'Annat namn' finns inte i fältet 'namn'"),
    ("stöd:\n  namn: {lagrum: sfs:2001:453#K5P1a, slutsats: x}", 6, "flera slag"),
    ("stöd:\n  namn: {sida: 3, slutsats: x}", 6, "okänd nyckel 'sida'"),
    ("stöd:\n  namn: {annan_källa: {titel: x, adress: y}}", 6, "okänd nyckel 'adress'"),
    ("stöd: ja", 5, "'stöd' ska vara"),
    # when a named source was read is a day: a year or a month is no reading date
    ("stöd:\n  namn: {annan_källa: {titel: x, url: 'https://www.timra.se/', läst: 2026}}", 6,
     "'läst' ska vara ett fullständigt datum ÅÅÅÅ-MM-DD, inte '2026'"),
    # one support quotes one passage: several are several supports, written as a list
    ("stöd:\n  namn: {källa: kalla-timra-2020-s3.2, citat: [x, y]}", 6, "'citat' ska ha ett enkelt värde"),
    # a date in a support entry is one value: a list is a located error, not a crash
    ("stöd:\n  namn: {källa: kalla-timra-2020-s3.2, citat: x, observerad: [2020]}", 6,
     "'observerad' ska ha ett enkelt värde"),
])
def test_mistakes_in_a_support_block_are_located(tmp_path, block, line, expected):
    body = "\n".join("  " + row for row in block.splitlines())
    path = tmp_path / "stod.yaml"
    path.write_text("- id: ett-forum\n  typ: Forum\n  namn: Ett forum\n  källa: kalla-timra-2020-s3.2\n" + body + "\n",
                    encoding="utf-8")
    found = errors(path)
    assert any(e.line == line and expected in e.message for e in found), found


@pytest.mark.parametrize("key,value,predicate,datatype", [
    ("giltig_från", "2021", "validFromYear", XSD.gYear),
    ("giltig_från", '"2021-10"', "validFromMonth", XSD.gYearMonth),
    ("giltig_från", "2021-10", "validFromMonth", XSD.gYearMonth),
    ("giltig_från", "2021-10-13", "validFrom", XSD.date),
    # a precision's own key (files written before a date key took every precision)
    ("giltig_från_år", "2021", "validFromYear", XSD.gYear),
    ("giltig_till_månad", '"2023-01"', "validUntilMonth", XSD.gYearMonth),
])
def test_every_precision_of_a_date_is_accepted(tmp_path, key, value, predicate, datatype):
    path = write(tmp_path, "datum.yaml", f"""
        - id: en-overenskommelse
          typ: Överenskommelse
          namn: En överenskommelse
          {key}: {value}
        """)
    result = read_yaml_file(path, path.name)
    assert result.errors == []
    assert result.graph.value(ID["en-overenskommelse"], AG[predicate]) == rdflib.Literal(value.strip('"'), datatype=datatype)


@pytest.mark.parametrize("first", ["giltig_från_år: 2021", 'giltig_från_månad: "2021-03"'])
def test_a_date_written_twice_in_two_precisions_is_refused(tmp_path, first):
    path = write(tmp_path, "datum.yaml", f"""
        - id: en-overenskommelse
          typ: Överenskommelse
          namn: En överenskommelse
          {first}
          giltig_från: 2021-03-01
        """)
    assert any(e.line == 5 and "en gång" in e.message for e in errors(path))


@pytest.mark.parametrize("observed,predicate,datatype", [
    ("2020-10-13", "observedOn", XSD.date),
    ('"2020-10"', "observedOnMonth", XSD.gYearMonth),
    ("2020", "observedOnYear", XSD.gYear),
])
def test_when_a_support_was_observed_is_kept_at_its_precision(tmp_path, observed, predicate, datatype):
    path = write(tmp_path, "observerad.yaml", f"""
        - id: ett-forum
          typ: Forum
          namn: Ett forum
          stöd:
            namn: {{källa: kalla-timra-2020-s3.2, citat: "Ett forum", observerad: {observed}}}
        """)
    result = read_yaml_file(path, path.name)
    assert result.errors == []
    (st,) = statements(result.graph, ID["ett-forum"], rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))
    assert result.graph.value(st, AG[predicate]) == rdflib.Literal(observed.strip('"'), datatype=datatype)


def test_a_support_may_cite_several_sections_and_statutes(tmp_path):
    path = write(tmp_path, "flera.yaml", """
        - id: ett-forum
          typ: Forum
          namn: Ett forum
          stöd:
            namn:
              - lagrum: [sfs:2001:453#K5P1a, sfs:2001:453#K5P1b]
              - källa: [kalla-timra-2020-s3.2, kalla-timra-2020-s3.3]
                citat: "Ett forum"
        """)
    result = read_yaml_file(path, path.name)
    assert result.errors == []
    g = result.graph
    by_kind = {g.value(st, AG.supportKind): st for st in statements(g, ID["ett-forum"], rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    assert set(g.objects(by_kind[AG.statute], AG.statute)) == {
        rdflib.URIRef("https://lagen.nu/2001:453#K5P1a"), rdflib.URIRef("https://lagen.nu/2001:453#K5P1b")}
    assert set(g.objects(by_kind[AG.source], PROV.wasDerivedFrom)) == {ID["kalla-timra-2020-s3.2"], ID["kalla-timra-2020-s3.3"]}


def test_status_history_entries_are_numbered_from_one_in_the_written_order(tmp_path):
    """Findings and answers name an entry of a status history `<node>--status--N`; N counts
    the entries as the jurist does, from the first written."""
    path = write(tmp_path, "historik.yaml", """
        - id: en-overenskommelse
          typ: Överenskommelse
          namn: En överenskommelse
          status:
            - värde: under_framtagande
              från: 2020
              slutsats: "Påhittat värde."
            - värde: gällande
              från: 2021-03
              slutsats: "Påhittat värde."
        """)
    result = read_yaml_file(path, path.name)
    assert result.errors == []
    g = result.graph
    entries = {e: g.value(e, AG.status) for e in g.objects(ID["en-overenskommelse"], AG.qualifiedStatus)}
    assert entries == {ID["en-overenskommelse--status--1"]: AG.under_framtagande,
                       ID["en-overenskommelse--status--2"]: AG.gallande}


@pytest.mark.parametrize("written, value", [("ja", True), ("nej", False), ("true", True)])
def test_a_yes_or_no_field_and_its_support_keep_the_value_written(tmp_path, written, value):
    """`datum_saknas_i_källan: ja` is xsd:boolean true in the graph, and its support is about
    that same value (the statement's object is the triple's object)."""
    path = write(tmp_path, "ja.yaml", f"""
        - id: en-rutin
          typ: Rutin
          namn: En rutin
          datum_saknas_i_källan: {written}
          stöd:
            datum_saknas_i_källan: {{slutsats: "Källan anger inget datum."}}
        """)
    result = read_yaml_file(path, path.name)
    assert result.errors == []
    g = result.graph
    literal = g.value(ID["en-rutin"], AG.undatedInSource)
    assert literal.datatype == XSD.boolean and literal.value is value
    (st,) = statements(g, ID["en-rutin"], AG.undatedInSource)
    assert g.value(st, RDF.object) == literal
