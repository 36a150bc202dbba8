"""The command line as a jurist and a program use it: exit codes, located output, JSON, export."""

import json
import subprocess
import sys
import textwrap

import rdflib

from ansvarsgraf.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "ansvarsgraf.cli", *args], capture_output=True, text=True, timeout=300)


def test_validate_one_agreement_file_reports_only_that_file(capsys):
    code = main(["validate", "data/agreements/mittbus-2013.yaml", "--datum", "2026-03-01"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 filer kontrollerade" in out and "0 fel" in out
    assert all(line.startswith("data/agreements/mittbus-2013.yaml") for line in out.splitlines()[:-1])


def test_validate_a_broken_file_exits_non_zero_with_file_and_line(tmp_path, capsys):
    broken = tmp_path / "ny-overenskommelse.yaml"
    broken.write_text(textwrap.dedent("""
        - id: cli-test-avtal
          typ: Överenskommelse
          namn: Testavtal
          parter: [timra-kommun]
          källa: kalla-timra-2020
          åtaganden:
            - id: cli-test-avtal-1
              typ: Åtagande
              uppgift: kalla-till-sip
              del: sammankallar
              modalitet: ska
              beskrivning: Någon ska kalla.
              källa: kalla-timra-2020
        """).lstrip(), encoding="utf-8")
    code = main(["validate", str(broken), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["fel"] >= 2
    rules = {r["rule"] for r in report["resultat"]}
    assert {"ags:DutyShape", "ags:AgreementDatedShape"} <= rules
    assert all(r["file"] == str(broken) and r["line"] for r in report["resultat"])


def test_syntax_error_loads_nothing_and_says_where(tmp_path, capsys):
    broken = tmp_path / "trasig.yaml"
    broken.write_text("- id: x\n  typ: Forum\n  namn: [oavslutad\n", encoding="utf-8")
    code = main(["validate", str(broken)])
    err = capsys.readouterr().err
    assert code == 1 and f"{broken}:3" in err and "inget har laddats" in err


def test_ask_json_is_the_answer_structure():
    result = run("ask", "vem tar emot orosanmälan", "--kommun", "timrå", "--datum", "2026-03-01", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["municipality"]["label"] == "Timrå kommun"
    assert answer["status"] == "besvarad" and answer["duties"]
    assert all(d["sources"] for d in answer["duties"])


def test_ask_rejects_a_bad_date_and_an_unknown_municipality():
    bad_date = run("ask", "vem kallar till SIP", "--kommun", "Timrå", "--datum", "2026-02-30")
    assert bad_date.returncode == 2 and "ÅÅÅÅ-MM-DD" in bad_date.stderr
    unknown = run("ask", "vem kallar till SIP", "--kommun", "Atlantis")
    assert unknown.returncode == 2 and "Atlantis" in unknown.stderr


def test_ask_refuses_personnummer_without_echoing_it():
    result = run("ask", "vem kallar till SIP för 121212-1212", "--kommun", "Timrå")
    assert result.returncode == 2
    assert "personnummer" in result.stderr and "121212" not in result.stderr + result.stdout


def test_export_formats_parse_back(tmp_path):
    sizes = {}
    for fmt, parser in (("ttl", "turtle"), ("jsonld", "json-ld"), ("trig", "trig")):
        out = tmp_path / f"graf.{fmt}"
        assert main(["export", "--format", fmt, "--output", str(out)]) == 0
        graph = rdflib.Dataset() if fmt == "trig" else rdflib.Graph()
        graph.parse(out, format=parser)
        sizes[fmt] = len(graph) if fmt != "trig" else sum(len(g) for g in graph.graphs())
    assert sizes["ttl"] > 5000 and sizes["ttl"] == sizes["jsonld"]
    assert sizes["trig"] >= sizes["ttl"]
