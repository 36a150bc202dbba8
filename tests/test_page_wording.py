"""Plain Swedish on the staff page: verb forms, durations in words, the opening sentence."""

import datetime as dt
import re

import pytest
import rdflib
from rdflib.namespace import RDF, SKOS

from ansvarsgraf.answering import answer_task
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.paths import ONTOLOGY_DIR
from ansvarsgraf.wording import badge, deadline_words, interval_words, part_forms, readable, task_phrase, verdict

AG = rdflib.Namespace("https://w3id.org/ansvarsgraf/def#")


def test_every_part_has_its_verb_forms():
    graph = rdflib.Graph().parse(ONTOLOGY_DIR / "vocabularies.ttl")
    labels = {str(v) for c in graph.subjects(SKOS.inScheme, AG.Part) if (c, RDF.type, SKOS.Concept) in graph
              for v in graph.objects(c, SKOS.prefLabel) if v.language == "sv"}
    assert len(labels) >= 12 and labels == set(part_forms())
    assert all(f.infinitive for f in part_forms().values())


@pytest.mark.parametrize("modality, part, expected", [
    ("ska", "utför", "ska utföra"), ("får", "sammankallar", "får sammankalla"), ("bör", "ansvarar", "bör ansvara"),
    ("ska", "tar emot", "ska ta emot"), ("ska", "följer upp", "ska följa upp"), ("", "utför", "utför"),
])
def test_badges_read_as_swedish(modality, part, expected):
    assert badge(modality, part) == expected


@pytest.mark.parametrize("value, expected", [("P1Y", "varje år"), ("P2Y", "vartannat år"), ("P6M", "var sjätte månad"),
                                             ("P1M", "varje månad"), ("P2W", "varannan vecka"),
                                             # as the stores give them back: weeks in days, months over a year
                                             ("P14D", "varannan vecka"), ("P21D", "var tredje vecka"), ("P7D", "varje vecka"),
                                             ("P10D", "var tionde dag"), ("P1Y6M", "var 18:e månad"), ("P24M", "vartannat år"),
                                             ("P22D", "var 22:a dag"), ("P1Y2D", "P1Y2D"), ("varje vecka", "varje vecka")])
def test_intervals_in_words(value, expected):
    assert interval_words(value) == expected


@pytest.mark.parametrize("value, expected", [("P14D", "inom 14 dagar"), ("P7D", "inom sju dagar"), ("P4M", "inom fyra månader"),
                                             ("P1Y", "inom ett år"), ("genast", "genast")])
def test_deadlines_in_words(value, expected):
    assert deadline_words(value) == expected


def test_notes_lose_the_projects_shorthand():
    text = readable("bygger på `revideras: P1Y` och giltig_från; se Projektets lagnoteringar (LAW-NOTES) och LAW-NOTES avsnitt 5")
    assert not re.search(r"P\d+[DWMY]|_|`|LAW-NOTES", text)
    assert "revideras: ett år" in text and "giltig från" in text and "projektets lagnoteringar avsnitt 5" in text


def test_the_law_notes_file_name_reads_as_the_law_notes():
    # a named source's reference as the data files wrote it, folder and extension included
    text = readable("Enligt Projektets lagnoteringar (LAW-NOTES), avsnitt 5 (shared/LAW-NOTES.md avsnitt 5, läst 2026-12-04); se LAW-NOTES.md")
    assert text == "Enligt Projektets lagnoteringar, avsnitt 5 (projektets lagnoteringar avsnitt 5, läst 2026-12-04); se projektets lagnoteringar"
    assert readable("enligt projektets lagtabell (data/law/sol-2001-453-to-2025-400.yaml); själv") == "enligt projektets lagtabell; själv"


@pytest.mark.parametrize("part, task, expected", [
    ("utför", "Göra förhandsbedömning", "göra förhandsbedömning"),
    ("ansvarar", "Göra förhandsbedömning", "ansvara för att göra förhandsbedömning"),
    ("sammankallar", "Kalla till SIP", "kalla till SIP"),
    ("sammankallar", "Upprätta SIP", "kalla till möte för att upprätta SIP"),
    ("tar emot", "Ta emot en orosanmälan", "ta emot en orosanmälan"),
    ("tar emot", "Ta initiativ till samverkan", "ta emot ärenden för att ta initiativ till samverkan"),
    ("ansvarar", "Placerade barns skolgång", "ansvara för placerade barns skolgång"),
    ("deltar", "Samordnad individuell plan (SIP)", "delta i arbetet med samordnad individuell plan (SIP)"),
])
def test_what_the_bearer_does(part, task, expected):
    assert task_phrase(part, task) == expected


def test_every_answer_opens_with_a_sentence_naming_who_and_on_what_basis(store):
    """For every task in every municipality: a sentence in Swedish word order that names
    the first duty's bearers as the municipality names them, and its basis."""
    catalog = catalog_for(store)
    kommuner = {m.iri: m for m in catalog.municipalities.values()}
    checked = 0
    for kommun in kommuner:
        for task in catalog.task_labels:
            answer = answer_task(store, task, kommun, dt.date(2026, 3, 1))
            v = verdict(answer)
            if not answer.duties:
                assert v is None
                continue
            duty = answer.duties[0]
            if duty.modality == "beskrivet arbetssätt":
                # described practice is the audit's dated observation, never an obligation
                assert v.lead == f"Enligt granskningen {duty.observed} arbetar", v.lead
            else:
                assert v.lead == f"I {answer.municipality.label} {duty.modality}"
            # each bearer by the organisations that fill it here (a statutory role), else itself
            names = {n for b in duty.bearers for n in ([r.label for r in b.fulfilled_by] or [b.actor.label])}
            assert set(v.who) == names
            assert v.basis and all(v.basis), (task, kommun)
            assert not re.search(r"\b(ska|bör|får) \S+ (utför|ansvarar|sammankallar)\b", " ".join([v.lead, *v.who, v.rest]))
            checked += 1
    assert checked > 50
