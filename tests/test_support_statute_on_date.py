"""A statutory duty's support says what the law said on the day asked about (issue 16, point 8).

The law files cite today's sections (SoL 2025:400) and the engine follows the comparison
table back to the predecessor for earlier days. The per-field support ("Lagen säger: …") must
do the same as the legal basis: on 2025-06-30 the duty to offer a meeting rests on SoL
(2001:453) 14 kap. 1 a §, not on a section that applied only from the next day; a section that
did not exist yet is not shown at all.
"""

import datetime as dt

from ansvarsgraf.answering import answer_task

ID = "https://w3id.org/ansvarsgraf/id/"
DUTY = ID + "lag-sol-19-5-erbjuda-mote"


def duty_support(store, day):
    answer = answer_task(store, ID + "erbjuda-mote-efter-anmalan", ID + "perstorp-kommun", day)
    (duty,) = [d for d in answer.duties if d.iri == DUTY]
    return [s for s in duty.support if s.kind == "lag"]


def test_before_the_new_law_the_support_names_the_old_section(store):
    statutes = duty_support(store, dt.date(2025, 6, 30))
    assert statutes, "the duty's fields rest on a statute"
    assert {s.statute.label for s in statutes} == {"SoL (2001:453) 14 kap. 1 a §"}
    assert all("2025:400" not in s.text and "2025:400" not in s.value for s in statutes)


def test_from_the_new_law_the_support_names_the_new_section(store):
    statutes = duty_support(store, dt.date(2025, 7, 1))
    assert {s.statute.label for s in statutes} == {"SoL (2025:400) 19 kap. 5 §"}
    assert any(s.text == "Lagen säger: SoL (2025:400) 19 kap. 5 §" for s in statutes)
