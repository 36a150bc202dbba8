"""Training scenarios (data/scenarios/): a sequence of questions, read from the graph.

The scenarios are data, loaded and validated like every other file; here they are only
read back in order. Each step names a task, which the web page answers live with
answer.answer_task for the chosen municipality and date.
"""

from dataclasses import dataclass, field

from .queries import query_text
from .graph_store import GraphStore


@dataclass
class Step:
    order: int
    question: str
    task: str
    task_label: str


@dataclass
class Scenario:
    iri: str
    label: str
    description: str | None
    steps: list[Step] = field(default_factory=list)


def all_scenarios(store: GraphStore) -> list[Scenario]:
    found: dict[str, Scenario] = {}
    for row in store.select(query_text("scenarier")):
        iri = str(row["scenario"])
        scenario = found.setdefault(iri, Scenario(iri, str(row["namn"]),
                                                  str(row["beskrivning"]) if row["beskrivning"] is not None else None))
        scenario.steps.append(Step(int(row["ordning"]), str(row["fraga"]), str(row["uppgift"]), str(row["uppgiftsnamn"])))
    for scenario in found.values():
        scenario.steps.sort(key=lambda s: s.order)
    return list(found.values())


def find_scenario(store: GraphStore, iri: str) -> Scenario | None:
    return next((s for s in all_scenarios(store) if s.iri == iri), None)
