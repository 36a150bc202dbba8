"""`ansvarsgraf diff`: what an edit of data/ changes, against a git revision or a folder.
The edit is a fixture (tests/fixtures/diff/): one duty added to Timrå's SKIP process."""

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ansvarsgraf.answering import answer_task
from ansvarsgraf.cli import main
from ansvarsgraf.data_diff import DiffSourceError, data_folder_at, diff
from ansvarsgraf.ids import ID_BASE
from ansvarsgraf.paths import DATA_DIR, PROJECT_ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "diff" / "timra-skip-samordning.yaml"
ADDED = ID_BASE + "timra-skip-samordna-fixtur"
ON = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def at_head(tmp_path_factory) -> Path:
    return data_folder_at("HEAD", tmp_path_factory.mktemp("head"))


@pytest.fixture(scope="module")
def edited(at_head, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("redigerad") / "data"
    shutil.copytree(at_head, folder)
    shutil.copy(FIXTURE, folder / "agreements" / FIXTURE.name)
    return folder


def test_data_at_a_revision_is_the_committed_data(at_head):
    name = "law/bestammelser.yaml"
    committed = subprocess.run(["git", "-C", str(PROJECT_ROOT), "show", f"HEAD:data/{name}"], capture_output=True, check=True).stdout
    assert (at_head / name).read_bytes() == committed


def test_diff_against_a_revision_reports_the_added_duty_and_the_answer_it_changes(edited):
    result = diff("HEAD", ON, data=edited, municipality="Timrå")
    (node,) = result.nodes
    assert (node.node.iri, node.kind, node.change) == (ADDED, "åtagande", "tillkom")
    (changed,) = result.answers
    assert changed.task.iri == ID_BASE + "skip" and changed.municipality.label == "Timrå kommun"
    assert [(i.kind, i.duty.iri) for i in changed.items] == [("åtagande tillkom", ADDED)]
    # The answer a user gets from the edited data has the duty; the gap about SKIP lacking a
    # coordinator closes.
    from ansvarsgraf.data_diff import _store

    assert ADDED in {d.iri for d in answer_task(_store(edited), ID_BASE + "skip", ID_BASE + "timra-kommun", ON).duties}
    assert any(g.kind == "stängd lucka" and g.focus.iri == ID_BASE + "skip" for g in result.gaps)


def test_diff_between_two_folders_both_ways(at_head, edited):
    back = diff(str(edited), ON, data=at_head, municipality="Timrå")
    assert [(n.node.iri, n.change) for n in back.nodes] == [(ADDED, "togs bort")]
    assert [i.kind for a in back.answers for i in a.items] == ["åtagande upphörde"]
    assert diff(str(at_head), ON, data=at_head, municipality="Timrå").empty


def test_cli_diff(edited, capsys):
    assert main(["diff", "--mot", "HEAD", "--data", str(edited), "--kommun", "Timrå", "--datum", "2026-03-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["nodes"][0]["node"]["iri"] == ADDED and data["answers"]
    assert main(["diff", "--mot", "ingen-sadan-revision", "--data", str(edited)]) == 2


def test_unknown_revision_is_refused():
    with pytest.raises(DiffSourceError):
        diff("ingen-sadan-revision", ON, data=DATA_DIR)
