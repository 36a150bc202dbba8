"""What a reader of an answer relies on (issue 16, points 3, 5 and 8): each shown value says
whether the source says it («quote», section) or the modeller concluded it (with the
reason), visibly different; described practice is never worded as an obligation and a
prohibition as one; something an audit observed carries its date, is warned about when
old (the age is data), and is not returned for days before it was observed; and a support
statement survives `export` and loading into every store the suite runs.
"""

import datetime as dt
import textwrap

import pytest
import rdflib
from rdflib.namespace import RDF, XSD

from ansvarsgraf import cli
from ansvarsgraf.answering import answer_task
from ansvarsgraf.cli_text import render_text
from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.wording import badge, verdict

ID = "https://w3id.org/ansvarsgraf/id/"
AG = rdflib.Namespace("https://w3id.org/ansvarsgraf/def#")
KOMMUN, TASK = ID + "timra-kommun", ID + "skip"
QUOTE = "Det finns även två utsedda SKIP-samordnare anställda på skolan samt socialförvaltningen och fungerar som stöd i SKIP-processen."

FIXTURE = f"""
- id: fx-stod-rutin
  typ: Rutin
  namn: Rutin som funnits sedan 2019
  parter: [timra-kommun]
  giltig_från: 2019
  källa: kalla-timra-2020-s3.2
  åtaganden:
    - id: fx-stod-praxis
      typ: Åtagande
      bärare: [timra-socialnamnden]
      uppgift: skip
      del: stödjer
      modalitet: beskrivet_arbetssätt
      observerad: 2020-10-13
      källa: kalla-timra-2020-s3.2
      stöd:
        bärare:
          slutsats: "Samordnaren på socialförvaltningen hör till socialnämnden."
          källa: kalla-timra-2020-s3.2
          citat: "{QUOTE}"
        modalitet:
          källa: kalla-timra-2020-s3.2
          citat: "fungerar som stöd i SKIP-processen"
    - id: fx-stod-forbud
      typ: Åtagande
      bärare: [timra-socialnamnden]
      uppgift: skip
      del: utför
      modalitet: får_inte
      giltig_från: 2019
      källa: kalla-timra-2020-s3.2
"""


@pytest.fixture(scope="module")
def fixture_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("stod") / "stod.yaml"
    path.write_text(textwrap.dedent(FIXTURE).lstrip(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def loaded(fixture_path):
    return load_data(paths=[fixture_path], base_paths=[DATA_DIR])


@pytest.fixture(scope="module")
def store(loaded):
    return OxigraphStore.from_loaded(loaded)


def duty(store, iri, on_date):
    answer = answer_task(store, TASK, KOMMUN, on_date)
    found = [d for d in answer.duties if d.iri == ID + iri]
    return answer, (found[0] if found else None)


def test_source_and_conclusion_are_shown_differently(store):
    answer, practice = duty(store, "fx-stod-praxis", dt.date(2021, 5, 1))
    by_field = {s.field: s for s in practice.support}
    said, concluded = by_field["modalitet"], by_field["bärare"]
    assert said.kind == "källa" and said.text.startswith("Källan säger: «fungerar som stöd i SKIP-processen»")
    assert "avsnitt 3.2 Samverkan internt" in said.text
    assert concluded.kind == "slutsats" and concluded.text.startswith("Slutsats: Socialnämnden i Timrå kommun (skäl: Samordnaren")
    assert "Källan säger" not in concluded.text  # a conclusion never reads as the source's words
    text = render_text(answer)
    assert "Källan säger: «fungerar som stöd" in text and "Slutsats: Socialnämnden" in text
    as_json = answer.as_dict()
    (shown,) = [d for d in as_json["duties"] if d["iri"] == ID + "fx-stod-praxis"]
    assert {s["kind"] for s in shown["support"]} == {"källa", "slutsats"}


def test_the_cli_words_support_as_the_staff_page_does(store):
    """Durations and the project's law notes in plain Swedish in `ask`'s text too; the
    source's quote exactly as written."""
    import dataclasses

    from ansvarsgraf.results import Support

    answer, practice = duty(store, "fx-stod-praxis", dt.date(2021, 5, 1))
    extra = Support("frist", "P1W", "slutsats", "Slutsats: P1W (skäl: en vecka enligt shared/LAW-NOTES.md avsnitt 5)")
    quoted = Support("uppgift", "skip", "källa", "Källan säger: «inom P2W_x» (avsnitt 3.2)", quote="inom P2W_x")
    changed = dataclasses.replace(practice, support=[*practice.support, extra, quoted])
    text = render_text(dataclasses.replace(answer, duties=[changed]))
    assert "Stöd för frist (en vecka): Slutsats: en vecka (skäl: en vecka enligt projektets lagnoteringar avsnitt 5)" in text
    assert "«inom P2W_x»" in text
    assert "LAW-NOTES" not in text and "P1W" not in text


def test_the_staff_page_marks_source_and_conclusion_with_different_classes(store):
    from fastapi.testclient import TestClient

    from ansvarsgraf.web.app import create_app

    client = TestClient(create_app(store))
    page = client.get("/svar", params={"uppgift": "skip", "kommun": "timra-kommun", "datum": "2021-05-01"})
    assert page.status_code == 200, page.text[:300]
    html = page.text
    assert 'class="support-source"' in html and 'class="support-conclusion"' in html
    assert '<span class="said">Källan säger:</span> <q>fungerar som stöd i SKIP-processen</q>' in html
    assert '<span class="concluded">Slutsats:</span>' in html


def test_a_duty_observed_in_2020_shows_its_observation_date(store):
    answer, practice = duty(store, "fx-stod-praxis", dt.date(2021, 5, 1))
    assert practice.observed == "2020-10-13"
    assert "enligt granskningen 2020-10-13" in render_text(answer)
    assert badge(practice.modality, practice.part, practice.observed) == "stödjer enligt granskningen 2020-10-13"


def test_described_practice_is_never_worded_as_an_obligation(store):
    answer, practice = duty(store, "fx-stod-praxis", dt.date(2021, 5, 1))
    only = answer.__class__(**{**answer.__dict__, "duties": [practice]})
    sentence = verdict(only)
    words = f"{sentence.lead} {' '.join(sentence.who)} {sentence.rest}"
    assert words.startswith("Enligt granskningen 2020-10-13 arbetar Socialnämnden")
    assert " ska " not in f" {words} " and "ingen skyldighet" in words


def test_a_prohibition_is_worded_as_one(store):
    answer, forbidden = duty(store, "fx-stod-forbud", dt.date(2021, 5, 1))
    assert forbidden.modality == "får inte"
    assert badge(forbidden.modality, forbidden.part) == "får inte utföra"
    only = answer.__class__(**{**answer.__dict__, "duties": [forbidden]})
    sentence = verdict(only)
    assert sentence.lead.endswith("får") and sentence.rest.startswith("inte ")


@pytest.mark.parametrize("on_date,returned", [
    (dt.date(2020, 10, 12), False),  # the routine existed (2019) but nobody had seen this practice
    (dt.date(2020, 10, 13), True),
])
def test_a_duty_is_not_returned_before_it_was_observed(store, on_date, returned):
    _answer, practice = duty(store, "fx-stod-praxis", on_date)
    assert (practice is not None) is returned
    _answer, forbidden = duty(store, "fx-stod-forbud", on_date)
    assert forbidden is not None  # its own start date (2019) rules, not an observation


@pytest.mark.parametrize("on_date,warned", [
    (dt.date(2022, 10, 13), False),  # two years (the data's ag:warnAfter P2Y) to the day
    (dt.date(2022, 10, 14), True),
])
def test_an_old_observation_is_warned_about(store, on_date, warned):
    _answer, practice = duty(store, "fx-stod-praxis", on_date)
    old = [w for w in practice.warnings if w.kind == "gammal_iakttagelse"]
    assert bool(old) is warned
    if warned:
        assert "2020-10-13" in old[0].text and "två år" in old[0].text


def test_the_age_of_an_old_observation_is_data(loaded):
    loaded.ontology.set((AG.observedOn, AG.warnAfter, rdflib.Literal("P1Y", datatype=XSD.duration)))
    try:
        store = OxigraphStore.from_loaded(loaded)
        _answer, practice = duty(store, "fx-stod-praxis", dt.date(2021, 10, 14))
        assert any(w.kind == "gammal_iakttagelse" and "ett år" in w.text for w in practice.warnings)
    finally:
        loaded.ontology.set((AG.observedOn, AG.warnAfter, rdflib.Literal("P2Y", datatype=XSD.duration)))


# -- round trip: export, then every store the suite runs -------------------------------------

STATEMENT = ID + "fx-stod-praxis--barare--timra-socialnamnden"
ASK_SUPPORT = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
SELECT ?st ?kind ?quote ?section ?reason WHERE {
  <https://w3id.org/ansvarsgraf/id/fx-stod-praxis> ag:statement ?st .
  ?st rdf:predicate ag:bearer ; rdf:object <https://w3id.org/ansvarsgraf/id/timra-socialnamnden> ; ag:supportKind ?kind .
  OPTIONAL { ?st ag:quote ?quote } OPTIONAL { ?st prov:wasDerivedFrom ?section } OPTIONAL { ?st ag:reason ?reason }
}"""


@pytest.fixture(scope="module")
def exported(loaded, fixture_path, tmp_path_factory):
    """The statements of the fixture as `ansvarsgraf export` writes them, in each format,
    read back; and a Turtle file of just the fixture's nodes and statements from the export."""
    folder = tmp_path_factory.mktemp("export")
    graphs = {}
    for fmt, parse_as in (("ttl", "turtle"), ("jsonld", "json-ld"), ("trig", "trig")):
        out = folder / f"graf.{fmt}"
        with pytest.MonkeyPatch.context() as patch:  # export the bundled data and the fixture
            patch.setattr(cli, "load_data", lambda: load_data(paths=[fixture_path], base_paths=[DATA_DIR]))
            assert cli.main(["export", "--format", fmt, "-o", str(out)]) == 0
        graph = rdflib.Dataset() if fmt == "trig" else rdflib.Graph()
        graph.parse(out, format=parse_as)
        graphs[fmt] = rdflib.Graph() + graph if fmt != "trig" else _union(graph)
    small = rdflib.Graph()
    ours = {s for s in graphs["ttl"].subjects() if str(s).startswith(ID + "fx-stod")}
    for s in ours:
        for p, o in graphs["ttl"].predicate_objects(s):
            small.add((s, p, o))
    path = folder / "stod.ttl"
    small.serialize(path, format="turtle")
    return graphs, path


def _union(dataset: rdflib.Dataset) -> rdflib.Graph:
    union = rdflib.Graph()
    for s, p, o, _g in dataset.quads():
        union.add((s, p, o))
    return union


def test_export_keeps_the_statement_in_every_format(loaded, exported):
    graphs, _path = exported
    original = {(p, o) for p, o in loaded.merged().predicate_objects(rdflib.URIRef(STATEMENT))}
    assert (RDF.type, AG.Statement) in original and len(original) >= 7
    for fmt, graph in graphs.items():
        assert {(p, o) for p, o in graph.predicate_objects(rdflib.URIRef(STATEMENT))} == original, fmt


@pytest.mark.parametrize("engine", ["inbyggd", "oxigraph-server", "virtuoso"])
def test_a_statement_loads_and_is_queried_in_every_store(exported, tmp_path_factory, engine):
    from sparql_servers import load_into, oxigraph_server, virtuoso_server

    from ansvarsgraf.remote_store import SparqlEndpointStore

    from ansvarsgraf.queries import query_text

    _graphs, path = exported
    shown = {"nod": [rdflib.URIRef(ID + "fx-stod-praxis")]}
    if engine == "inbyggd":
        store = OxigraphStore.from_loaded(load_data(paths=[path], base_paths=[]))
        rows, answers = store.select(ASK_SUPPORT), store.select(query_text("stod"), shown)
    else:
        server = oxigraph_server if engine == "oxigraph-server" else virtuoso_server
        with server(tmp_path_factory.mktemp(engine)) as endpoints:
            load_into(endpoints, str(path))
            store = SparqlEndpointStore(endpoints["query"])
            rows, answers = store.select(ASK_SUPPORT), store.select(query_text("stod"), shown)
    # What answers read (queries/stod.rq): both supports of the duty, with their kinds.
    assert sorted(str(r["slag"]).rsplit("#", 1)[-1] for r in answers) == ["conclusion", "source"], answers
    assert len(rows) == 1, rows
    (row,) = rows
    assert str(row["st"]) == STATEMENT and row["kind"] == AG.conclusion
    assert str(row["quote"]) == QUOTE and str(row["section"]) == ID + "kalla-timra-2020-s3.2"
    assert str(row["reason"]) == "Samordnaren på socialförvaltningen hör till socialnämnden."


def test_answers_order_modalities_as_the_vocabulary_ranks_them():
    """Answers list binding duties first and described practice last, in the vocabulary's
    ag:order, which is read from the ontology (vocabulary.py) and covers every modality."""
    from rdflib.namespace import SKOS

    from ansvarsgraf.duties import duty_order
    from ansvarsgraf.paths import ONTOLOGY_DIR
    from ansvarsgraf.results import DutyAnswer
    from ansvarsgraf.vocabulary import MODALITY_RANK

    graph = rdflib.Graph().parse(ONTOLOGY_DIR / "vocabularies.ttl")
    labels = {next(str(v) for v in graph.objects(c, SKOS.prefLabel) if v.language == "sv")
              for c in graph.subjects(SKOS.inScheme, AG.Modality)}
    assert set(MODALITY_RANK) == labels
    ranked = sorted(MODALITY_RANK, key=MODALITY_RANK.get)
    assert ranked[0] == "ska" and ranked[-1] == "beskrivet arbetssätt"
    assert ranked.index("får inte") < ranked.index("får")  # a prohibition binds, a permission does not
    duties = [DutyAnswer.__new__(DutyAnswer) for _ in ranked]
    for duty, modality in zip(duties, reversed(ranked)):
        duty.modality, duty.instrument, duty.part, duty.bearers = modality, None, "utför", []
    assert [d.modality for d in sorted(duties, key=duty_order)] == ranked
