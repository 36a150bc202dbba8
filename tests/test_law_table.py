"""The comparison table between a repealed act and its replacement (law_table.py): each
row links the old section to the new one (unless the row is marked unreliable), a broken
row is refused with its line and what is wrong, and a section only the table names gets
the act, chapter, section, name and validity that follow from its act."""

import textwrap

import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from ansvarsgraf.law_table import complete_provisions, read_table

AG = rdflib.Namespace("https://w3id.org/ansvarsgraf/def#")
ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
TABLE = URIRef("https://w3id.org/ansvarsgraf/id/tabell")
HEADER = "old,old_uri,new,new_uri,scope,table_row,note\n"
OLD, NEW = URIRef("https://lagen.nu/2001:453#K1P1"), URIRef("https://lagen.nu/2025:400#K2P1a")


def read(tmp_path, rows: str, header: str = HEADER):
    path = tmp_path / "tabell.csv"
    path.write_text(header + textwrap.dedent(rows).lstrip(), encoding="utf-8")
    return read_table(path, "data/law/tabell.csv", table_id="tabell")


def test_a_row_links_the_old_section_to_the_new_one_and_says_where_it_came_from(tmp_path):
    result = read(tmp_path, """
        1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 a §,https://lagen.nu/2025:400#K2P1a,delvis,1 kap. 1 § — 2 kap. 1 a §,
        """)
    assert result.errors == [] and result.defined == {}  # a table defines no ids of its own
    g, row = result.graph, URIRef(f"{TABLE}/rad-2")
    assert set(g.predicate_objects(row)) == {
        (RDF.type, AG.Succession), (AG.predecessor, OLD), (AG.successor, NEW), (AG.scope, AG.delvis),
        (AG.tableRow, Literal("1 kap. 1 § — 2 kap. 1 a §", lang="sv")), (DCTERMS.isPartOf, TABLE)}
    assert (NEW, DCTERMS.replaces, OLD) in g and (OLD, DCTERMS.isReplacedBy, NEW) in g
    assert g.value(OLD, AG.tableLabel) == Literal("1 kap. 1 §") and g.value(NEW, AG.tableLabel) == Literal("2 kap. 1 a §")
    # Each node points at its line, so a validation error on it names data/law/tabell.csv:2.
    assert {iri: where for iri, where in result.sourcemap.nodes.items()} == {
        str(OLD): ("data/law/tabell.csv", 2), str(NEW): ("data/law/tabell.csv", 2), str(row): ("data/law/tabell.csv", 2)}


def test_a_section_named_on_several_rows_points_at_its_first_row(tmp_path):
    result = read(tmp_path, """
        1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 §,https://lagen.nu/2025:400#K2P1,delvis,a,
        1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 2 §,https://lagen.nu/2025:400#K2P2,helt,b,
        """)
    assert result.sourcemap.nodes[str(OLD)] == ("data/law/tabell.csv", 2)
    assert result.sourcemap.nodes["https://lagen.nu/2025:400#K2P2"] == ("data/law/tabell.csv", 3)
    assert result.graph.value(URIRef(f"{TABLE}/rad-3"), AG.scope) == AG.helt


def test_an_unreliable_row_is_kept_with_its_note_but_links_nothing(tmp_path):
    result = read(tmp_path, """
        1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 a §,https://lagen.nu/2025:400#K2P1a,helt,rad,the table is ambiguous here
        """)
    g, row = result.graph, URIRef(f"{TABLE}/rad-2")
    assert g.value(row, AG.unreliable) == Literal(True)
    assert g.value(row, AG.note) == Literal("the table is ambiguous here", lang="en")
    assert (None, DCTERMS.replaces, None) not in g and (None, DCTERMS.isReplacedBy, None) not in g
    assert (row, AG.predecessor, OLD) in g


def test_a_reliable_row_has_no_note(tmp_path):
    g = read(tmp_path, "1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 a §,https://lagen.nu/2025:400#K2P1a,helt,rad,\n").graph
    assert (None, AG.unreliable, None) not in g and (None, AG.note, None) not in g


@pytest.mark.parametrize("rows,line,message", [
    ("1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 §,https://lagen.nu/2025:400#K2P1,helt,rad\n",
     2, "raden har 6 kolumner, ska ha 7"),
    ("1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 §,https://lagen.nu/2025:400#K2P1,nästan,rad,\n",
     2, "omfattning ska vara 'helt' eller 'delvis', inte 'nästan'"),
    ("1 kap. 1 §,https://lagen.nu/2001:453,2 kap. 1 §,https://lagen.nu/2025:400#K2P1,helt,rad,\n",
     2, "'https://lagen.nu/2001:453' är ingen lagen.nu-URI för en paragraf (t.ex. https://lagen.nu/2025:400#K19P5)"),
    ("1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 §,http://lagen.nu/2025:400#K2P1,helt,rad,\n",
     2, "'http://lagen.nu/2025:400#K2P1' är ingen lagen.nu-URI för en paragraf (t.ex. https://lagen.nu/2025:400#K19P5)"),
])
def test_a_broken_row_is_refused_with_its_line_and_what_is_wrong(tmp_path, rows, line, message):
    result = read(tmp_path, rows)
    assert [(e.file, e.line, e.message) for e in result.errors] == [("data/law/tabell.csv", line, message)]
    assert len(result.graph) == 0 and result.sourcemap.nodes == {} and result.defined == {}


def test_every_broken_row_is_reported_and_nothing_of_the_table_is_loaded(tmp_path):
    result = read(tmp_path, """
        1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 §,https://lagen.nu/2025:400#K2P1,helt,rad,
        1 kap. 2 §,https://lagen.nu/2001:453#K1P2,2 kap. 2 §,https://lagen.nu/2025:400#K2P2,nästan,rad,
        1 kap. 3 §,https://lagen.nu/2001:453#K1P3,2 kap. 3 §,https://lagen.nu/2025:400#K2P3,helt
        """)
    assert [e.line for e in result.errors] == [3, 4]
    assert len(result.graph) == 0 and result.sourcemap.nodes == {}


def test_reading_goes_on_after_each_kind_of_broken_row(tmp_path):
    result = read(tmp_path, """
        1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 §,https://lagen.nu/2025:400#K2P1,helt
        1 kap. 2 §,https://lagen.nu/2001:453#K1P2,2 kap. 2 §,https://lagen.nu/2025:400#K2P2,nästan,rad,
        1 kap. 3 §,https://lagen.nu/2001:453,2 kap. 3 §,https://lagen.nu/2025:400#K2P3,helt,rad,
        1 kap. 4 §,https://lagen.nu/2001:453#K1P4,2 kap. 4 §,https://lagen.nu/2025:400#K2P4,delvis
        """)
    assert [e.line for e in result.errors] == [2, 3, 4, 5]


def test_a_table_without_the_header_is_refused_on_line_1(tmp_path):
    for header in ("old,old_uri,new,new_uri,scope,table_row\n", ""):
        result = read(tmp_path, "", header=header)
        assert [(e.file, e.line, e.message) for e in result.errors] == [
            ("data/law/tabell.csv", 1, "första raden ska vara kolumnerna old,old_uri,new,new_uri,scope,table_row,note")]
        assert len(result.graph) == 0 and result.sourcemap.nodes == {} and result.defined == {}


def test_a_table_that_is_not_utf8_is_refused_as_unreadable(tmp_path):
    path = tmp_path / "tabell.csv"
    path.write_bytes((HEADER + "1 kap. 1 §,a,b,c,helt,rad,\n").encode("latin-1"))
    result = read_table(path, "data/law/tabell.csv", table_id="tabell")
    (error,) = result.errors
    assert error.file == "data/law/tabell.csv" and error.line is None and error.message.startswith("kunde inte läsas som CSV: ")
    # Nothing of it is loaded and it defines nothing (the loader reads every file's definitions).
    assert len(result.graph) == 0 and result.sourcemap.nodes == {} and result.defined == {}


def _graph(*triples):
    g = rdflib.Graph()
    for t in triples:
        g.add(t)
    return g


ACT_NEW, ACT_OLD = URIRef("https://lagen.nu/2025:400"), URIRef("https://lagen.nu/2001:453")
FROM, UNTIL = Literal("2025-07-01", datatype=XSD.date), Literal("2025-06-30", datatype=XSD.date)


def test_a_section_only_the_table_names_gets_its_act_chapter_section_and_name(tmp_path):
    g = _graph((NEW, AG.tableLabel, Literal("2 kap. 1 a §")), (ACT_NEW, SKOS.altLabel, Literal("SoL")),
               (ACT_NEW, AG.validFrom, FROM), (ACT_NEW, DCTERMS.replaces, ACT_OLD))
    added = complete_provisions(g)
    assert set(added.predicate_objects(NEW)) == {
        (RDF.type, ELI.LegalResourceSubdivision), (ELI.is_part_of, ACT_NEW), (AG.chapter, Literal("2")),
        (AG.section, Literal("1 a")), (SKOS.prefLabel, Literal("SoL (2025:400) 2 kap. 1 a §", lang="sv")),
        (AG.validFrom, FROM), (PROV.wasDerivedFrom, ACT_NEW)}


def test_a_section_of_a_repealed_act_ends_with_it_and_an_older_act_gives_no_common_start():
    section = URIRef("https://lagen.nu/2001:453#P12b")
    g = _graph((section, AG.tableLabel, Literal("12 b §")), (ACT_OLD, AG.validUntil, UNTIL),
               (ACT_OLD, AG.validFrom, Literal("2002-01-01", datatype=XSD.date)))
    added = complete_provisions(g)
    assert set(added.predicate_objects(section)) == {
        (RDF.type, ELI.LegalResourceSubdivision), (ELI.is_part_of, ACT_OLD), (AG.section, Literal("12 b")),
        (SKOS.prefLabel, Literal("SFS 2001:453 12 b §", lang="sv")),
        (AG.validUntil, UNTIL), (PROV.wasDerivedFrom, ACT_OLD)}


def test_a_section_a_law_file_describes_is_left_as_the_file_says():
    g = _graph((NEW, AG.tableLabel, Literal("2 kap. 1 a §")), (NEW, RDF.type, ELI.LegalResourceSubdivision),
               (ACT_NEW, AG.validFrom, FROM), (ACT_NEW, DCTERMS.replaces, ACT_OLD))
    assert len(complete_provisions(g)) == 0


def test_the_sections_a_law_file_describes_do_not_stop_the_others_from_being_completed():
    described = [URIRef(f"https://lagen.nu/2025:400#K3P{n}") for n in range(1, 4)]
    only_in_table = [URIRef(f"https://lagen.nu/2025:400#K4P{n}") for n in range(1, 4)]
    g = rdflib.Graph()
    for uri in described:  # described first, whatever order the graph gives them in
        g.add((uri, AG.tableLabel, Literal("3 kap.")))
        g.add((uri, RDF.type, ELI.LegalResourceSubdivision))
    for uri in only_in_table:
        g.add((uri, AG.tableLabel, Literal("4 kap.")))
    added = complete_provisions(g)
    assert set(added.subjects(RDF.type, ELI.LegalResourceSubdivision)) == set(only_in_table)


def test_texts_are_tagged_in_the_lower_case_the_queries_ask_for(tmp_path):
    """The queries filter on lang(?x) = "sv", a case-sensitive string comparison: a tag
    written "SV" passes only on a store that lower-cases tags (Oxigraph does; rdflib keeps
    the case and hides it by comparing literals case-insensitively in Python)."""
    g = read(tmp_path, "1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 a §,https://lagen.nu/2025:400#K2P1a,helt,rad,a note\n").graph
    row = URIRef(f"{TABLE}/rad-2")
    assert g.value(row, AG.tableRow).language == "sv" and g.value(row, AG.note).language == "en"
    added = complete_provisions(_graph((NEW, AG.tableLabel, Literal("2 kap. 1 a §"))))
    assert added.value(NEW, SKOS.prefLabel).language == "sv"
    assert added.value(NEW, SKOS.prefLabel) == Literal("SFS 2025:400 2 kap. 1 a §", lang="sv")
