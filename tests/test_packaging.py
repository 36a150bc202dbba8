"""The package installs anywhere: a wheel built from the repository, installed with `pip`
into a fresh virtual environment outside the repository, answers a question and serves the
page on the bundled data (ontology, data and queries travel inside the wheel)."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from server import running_server

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel) -> Path:
    """bin/ of a fresh venv with the built wheel (dependencies from the package index)."""
    work = tmp_path_factory.mktemp("installerad")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    # Outside too: with PYTHONPATH at src/, pip saw the egg-info the build leaves there as
    # ansvarsgraf already installed and skipped the wheel.
    subprocess.run([str(work / "venv" / "bin" / "pip"), "install", "--quiet", str(wheel)],
                   check=True, capture_output=True, cwd=work, env=_outside_env())
    return work / "venv" / "bin"


def _outside_env() -> dict:
    # Nothing may point back at the repository: no ANSVARSGRAF_HOME, no PYTHONPATH.
    return {k: v for k, v in os.environ.items() if k not in ("ANSVARSGRAF_HOME", "PYTHONPATH")}


@pytest.mark.timeout(600)
def test_installed_wheel_answers_from_its_bundled_files(installed, tmp_path):
    where = subprocess.run([str(installed / "python"), "-c",
                            "import ansvarsgraf.paths as p; print(p.PROJECT_ROOT)"],
                           capture_output=True, text=True, cwd=tmp_path, env=_outside_env(), check=True).stdout.strip()
    assert "_bundled" in where and not where.startswith(str(REPO))
    run = subprocess.run([str(installed / "ansvarsgraf"), "ask", "vem kallar till SIP?", "--kommun", "Timrå",
                          "--datum", "2026-03-01", "--json"],
                         capture_output=True, text=True, cwd=tmp_path, env=_outside_env(), timeout=300)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["status"] == "besvarad" and answer["duties"], answer["message"]


@pytest.mark.timeout(600)
def test_installed_wheel_serves_the_page(installed, tmp_path):
    with running_server(tmp_path / "serve.log", command=(str(installed / "ansvarsgraf"),), cwd=tmp_path,
                        env=_outside_env()) as base:
        page = urllib.request.urlopen(base + "/", timeout=30).read().decode()
        assert "<form" in page
        kommuner = json.loads(urllib.request.urlopen(base + "/api/kommuner", timeout=30).read())
        assert len(kommuner) >= 5


def test_ansvarsgraf_home_points_at_another_folder(tmp_path):
    code = "import ansvarsgraf.paths as p; print(p.DATA_DIR)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "ANSVARSGRAF_HOME": str(tmp_path)}).stdout.strip()
    assert out == str(tmp_path / "data")
