"""Facts the ontology holds are read from it in one place (vocabulary.py): the ag: namespace
is written once in the package, and the kinds' Swedish names are the ontology's labels."""

import ast
from pathlib import Path

import rdflib
from rdflib.namespace import RDFS

import ansvarsgraf
from ansvarsgraf.paths import ONTOLOGY_FILES
from ansvarsgraf.vocabulary import ACTOR_KINDS, AG, INSTRUMENT_KINDS, KIND_NAMES

PACKAGE = Path(ansvarsgraf.__file__).parent


def modules_spelling(text: str, package: Path = PACKAGE) -> list[str]:
    """The package's modules with a string constant (f-strings included) holding text."""
    return sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                  if any(isinstance(n, ast.Constant) and isinstance(n.value, str) and text in n.value
                         for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))))


def test_the_ag_namespace_is_written_once():
    assert modules_spelling(str(AG)) == ["vocabulary.py"]


def test_a_second_spelling_of_the_namespace_is_found(tmp_path):
    (tmp_path / "vocabulary.py").write_text(f'AG = "{AG}"\n', encoding="utf-8")
    (tmp_path / "yaml_source.py").write_text(f'def f(x):\n    return f"{AG}{{x}}"\n', encoding="utf-8")
    assert modules_spelling(str(AG), tmp_path) == ["vocabulary.py", "yaml_source.py"]


def test_every_kind_is_named_by_its_label_in_the_ontology():
    """The actor and document kinds are the ontology's subclasses of ag:Actor and
    ag:Instrument, each named by its Swedish rdfs:label (a board is "nämnd eller styrelse",
    as the ontology says, not "nämnd" as the code once said)."""
    ontology = rdflib.Graph()
    for path in ONTOLOGY_FILES:
        ontology.parse(path)
    for root, kinds in ((AG.Actor, ACTOR_KINDS), (AG.Instrument, INSTRUMENT_KINDS)):
        assert set(kinds) == set(ontology.transitive_subjects(RDFS.subClassOf, root)) - {root}
    labels = {k: next(str(v) for v in ontology.objects(k, RDFS.label) if v.language == "sv") for k in KIND_NAMES}
    assert KIND_NAMES == labels and len(KIND_NAMES) >= 10


def test_the_kinds_that_can_decide_are_read_from_the_ontology():
    """Where an escalation path may end (gaps' "eskalering-slutar") is the ontology's
    ag:canDecide, not a list in Python: boards and the organisations above them decide, units,
    posts and forums do not."""
    from ansvarsgraf.vocabulary import AG, DECIDING_KINDS

    assert {str(AG.Board), str(AG.Municipality), str(AG.Region)} <= DECIDING_KINDS
    assert not {str(AG.Unit), str(AG.Post), str(AG.Forum), str(AG.Administration)} & DECIDING_KINDS
